#!/usr/bin/env python3
"""Image sweep of `euterpe generate --image`: pictures whose colour statistics vary in a
controlled way (a brightness sweep, a saturation sweep, and a texture sweep of checkerboards),
N pieces each; the built-in emotion classifier judges the pieces, and the valence and arousal
it hears are compared with what the picture asked for.

    python3 bench/image_sweep.py [--bin target/release/euterpe] [--pieces 8] [--out DIR]

Heard valence = P(Q1) + P(Q4) - P(Q2) - P(Q3), heard arousal = P(Q1) + P(Q2) - P(Q3) - P(Q4)
(mean over the pieces). Standard library only (pictures are written as PNG with zlib).
"""
import argparse
import colorsys
import json
import os
import re
import struct
import subprocess
import zlib


def png(path, width, height, pixel):
    rows = b"".join(
        b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows, 9)))
        f.write(chunk(b"IEND", b""))


def rgb(h, s, v):
    return tuple(int(round(255 * c)) for c in colorsys.hsv_to_rgb(h / 360, s, v))


def pictures():
    """(name, sweep, setting, pixel function)."""
    out = []
    for v in [0.15, 0.35, 0.55, 0.75, 0.95]:
        c = rgb(215, 0.45, v)
        out.append((f"bright-{v:.2f}", "brightness (blue, S .45)", v, lambda x, y, c=c: c))
    for s in [0.0, 0.25, 0.5, 0.75, 1.0]:
        c = rgb(15, s, 0.85)
        out.append((f"sat-{s:.2f}", "saturation (red-orange, V .85)", s, lambda x, y, c=c: c))
    for cell in [0, 32, 16, 8, 4]:
        a, b = rgb(40, 0.6, 0.9), rgb(40, 0.6, 0.45)
        f = (lambda x, y, a=a: a) if cell == 0 else (
            lambda x, y, a=a, b=b, k=cell: a if (x // k + y // k) % 2 else b)
        out.append((f"edges-{cell}", "texture (checkerboard cell px, 0 = flat)", cell, f))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/euterpe")
    ap.add_argument("--pieces", type=int, default=8)
    ap.add_argument("--bars", type=int, default=8)
    ap.add_argument("--out", default="runs/image-sweep")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for name, sweep, setting, pixel in pictures():
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        image = os.path.join(a.out, name + ".png")
        png(image, 160, 120, pixel)
        res = subprocess.run(
            [a.bin, "generate", "--image", image, "--explain", "--bars", str(a.bars),
             "--num-outputs", str(a.pieces), "--seed", "1", "--out",
             os.path.join(folder, "piece.mid")], capture_output=True, text=True, check=True)
        m = re.search(r"valence (-?[\d.]+), arousal (-?[\d.]+)", res.stdout)
        tempo = re.search(r"tempo\s+([\d.]+) BPM", res.stdout)
        judged = json.loads(subprocess.run(
            [a.bin, "classify", folder, "--model", "emotion", "--json"],
            capture_output=True, text=True, check=True).stdout)
        p = [x["probabilities"] for x in judged["pieces"]]
        heard_v = sum(q["Q1"] + q["Q4"] - q["Q2"] - q["Q3"] for q in p) / len(p)
        heard_a = sum(q["Q1"] + q["Q2"] - q["Q3"] - q["Q4"] for q in p) / len(p)
        rows.append({"picture": name, "sweep": sweep, "setting": setting,
                     "valence": float(m.group(1)), "arousal": float(m.group(2)),
                     "tempo": float(tempo.group(1)), "heard_valence": heard_v,
                     "heard_arousal": heard_a})
    json.dump(rows, open(os.path.join(a.out, "results.json"), "w"), indent=1)
    print("| picture | sweep | asked valence | asked arousal | tempo | heard valence | heard arousal |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['picture']} | {r['sweep']} | {r['valence']:+.2f} | {r['arousal']:+.2f} | "
              f"{r['tempo']:.0f} | {r['heard_valence']:+.2f} | {r['heard_arousal']:+.2f} |")
    for axis in ["valence", "arousal"]:
        xs = [r[axis] for r in rows]
        ys = [r["heard_" + axis] for r in rows]
        print(f"\n{axis}: Pearson r between asked and heard over {len(rows)} pictures = "
              f"{pearson(xs, ys):.2f}", end="")
    print()


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx = sum((x - mx) ** 2 for x in xs) ** 0.5
    sy = sum((y - my) ** 2 for y in ys) ** 0.5
    return sxy / (sx * sy) if sx and sy else float("nan")


if __name__ == "__main__":
    main()
