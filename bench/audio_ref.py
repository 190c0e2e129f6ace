#!/usr/bin/env python3
"""Audio features: euterpe (`euterpe audio features`) against librosa, accuracy and speed.

Called by bench/audio.sh with the interpreter of bench/.venv-librosa (librosa 0.11). Inputs: the
WAVs of ``<shared>/audio`` and the first ``--mp3-count`` MP3s (sorted by name) of
``<shared>/mer4q/audio``, in two groups, WAV and MP3, that are timed and compared separately (the
two tools decode MP3 with different decoders).

Kinds (``--kind`` of the CLI; the librosa call, all defaults):

* ``mfcc``: ``librosa.feature.mfcc(y=y, sr=sr)``, 20 coefficients.
* ``mel``:  ``librosa.feature.melspectrogram(y=y, sr=sr)``, power, 128 bands.

with ``y, sr = librosa.load(path, sr=None)`` (no resampling; the files are 22.05 kHz mono).

Timing. Every run is a separate process, for one tool, one kind and one group of files; the runs
are interleaved over ROUNDS rounds (the machine is shared) and medians are reported.

* euterpe: ``RAYON_NUM_THREADS=1 euterpe audio features DIR --kind KIND --out DIR --jobs 1`` on a
  folder of symbolic links to the group's files; its CPU time is the process's user plus system
  time (``getrusage(RUSAGE_CHILDREN)`` before and after), so it includes start-up and writing.
* librosa: this script's ``worker`` subcommand, on one thread (OMP, OpenBLAS, MKL and numba limited
  to 1 before numpy is imported). It imports librosa, processes the group's shortest file once as
  a warm-up (lazy imports, numba JIT, FFT plans, the mel filter cache), then loads and computes
  every file of the group, timing each one with ``time.process_time``: the sum is the
  **steady-state** CPU time. **Including import/JIT** is the whole worker process's CPU time (from
  getrusage, interpreter start-up included) less the steady-state time of the warm-up file, i.e.
  what a fresh Python process costs to go through the list once. Saving the .npy files is outside
  the per-file timing (but inside the whole-process time, as it is for euterpe).

Accuracy: each euterpe array against librosa's for the same file and kind: shape, maximum absolute
difference, relative error ``max|a - b| / max|b|``, and for mel the maximum difference in dB after
``librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=None)`` on both, over the bins where librosa's
value is within 80 dB of that file's maximum. Where the frame counts differ, or for MP3 where a
decoder's start offset (encoder delay) shifts the frames, the best whole-frame offset in
``[-MAX_OFFSET, MAX_OFFSET]`` is searched and the overlapping frames are compared.

Writes ``<out>/results.json`` (everything, per run and per file) and the section "## Audio
features" of docs/benchmarks.md. ``--report-only`` rewrites the section from results.json.
"""

import os

# One thread: must be set before numpy (and numba, through librosa) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

KINDS = ("mfcc", "mel")
GROUPS = ("wav", "mp3")
GROUP_NAMES = {"wav": "WAV", "mp3": "MP3"}
TOOLS = ("librosa", "euterpe")
MAX_OFFSET = 8  # frames searched either way when aligning euterpe's frames with librosa's
DB_RANGE = 80.0  # mel dB comparison: bins within this many dB of the file's maximum


def log(msg):
    print(f"[audio_ref] {msg}", file=sys.stderr, flush=True)


# --- the librosa worker (a separate process per run) -----------------------------------------------


def worker(args):
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    t_cpu, t_wall = time.process_time(), time.perf_counter()
    import librosa
    import numpy as np

    # librosa is lazily loaded: touch the submodules used so that their import counts here.
    librosa.load, librosa.feature.mfcc, librosa.feature.melspectrogram  # noqa: B018
    import_cpu, import_wall = time.process_time() - t_cpu, time.perf_counter() - t_wall

    def feature(path):
        y, sr = librosa.load(path, sr=None)
        if args.kind == "mfcc":
            s = librosa.feature.mfcc(y=y, sr=sr)
        else:
            s = librosa.feature.melspectrogram(y=y, sr=sr)
        return y, sr, s

    t_cpu, t_wall = time.process_time(), time.perf_counter()
    feature(args.warmup)
    warmup_cpu, warmup_wall = time.process_time() - t_cpu, time.perf_counter() - t_wall

    files = [line for line in Path(args.list).read_text().splitlines() if line.strip()]
    save = Path(args.save)
    save.mkdir(parents=True, exist_ok=True)
    rows = []
    save_cpu = 0.0
    for path in files:
        t_cpu, t_wall = time.process_time(), time.perf_counter()
        y, sr, s = feature(path)
        cpu, wall = time.process_time() - t_cpu, time.perf_counter() - t_wall
        t_save = time.process_time()
        np.save(save / f"{Path(path).stem}.npy", s.astype(np.float32))
        save_cpu += time.process_time() - t_save
        rows.append({"path": path, "stem": Path(path).stem, "samples": int(len(y)), "sr": int(sr),
                     "shape": list(s.shape), "cpu_s": cpu, "wall_s": wall})
    print(json.dumps({
        "kind": args.kind, "warmup_file": args.warmup,
        "import_cpu_s": import_cpu, "import_wall_s": import_wall,
        "warmup_cpu_s": warmup_cpu, "warmup_wall_s": warmup_wall,
        "save_cpu_s": save_cpu, "files": rows,
    }))


# --- runs ---------------------------------------------------------------------------------------------


def inputs(args):
    """{"wav": [paths], "mp3": [paths]}, each sorted by name."""
    shared = Path(args.shared)
    wavs = sorted((shared / "audio").glob("*.wav"), key=lambda p: p.name)
    mp3s = sorted((shared / "mer4q" / "audio").glob("*.mp3"), key=lambda p: p.name)[:args.mp3_count]
    if not wavs or not mp3s:
        sys.exit(f"missing inputs under {shared} (audio/*.wav, mer4q/audio/*.mp3)")
    return {"wav": [str(p) for p in wavs], "mp3": [str(p) for p in mp3s]}


def timed(cmd, env=None):
    """Runs cmd as a whole process; (stdout, wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, check=False, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.stdout, wall, cpu


def run(args, files):
    import soundfile

    out = Path(args.out).resolve()
    # One input folder per group: symbolic links to the chosen files.
    for group, paths in files.items():
        d = out / "in" / group
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        for p in paths:
            (d / Path(p).name).symlink_to(Path(p).resolve())
        (out / f"files_{group}.txt").write_text("".join(p + "\n" for p in paths))
    warmups = {g: min(ps, key=lambda p: soundfile.info(p).duration) for g, ps in files.items()}

    env_rust = dict(os.environ, RAYON_NUM_THREADS="1")
    env_py = dict(os.environ)
    runs = [(tool, kind, group) for tool in TOOLS for kind in KINDS for group in GROUPS]
    results = []
    for r in range(args.rounds):
        k = r % len(runs)  # rotate so that no run always comes first
        for tool, kind, group in runs[k:] + runs[:k]:
            dest = out / tool / kind / group
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            if tool == "euterpe":
                cmd = [args.bin, "audio", "features", str(out / "in" / group), "--kind", kind,
                       "--out", str(dest), "--jobs", "1"]
                _, wall, cpu = timed(cmd, env_rust)
                missing = [p for p in files[group] if not (dest / f"{Path(p).stem}.npy").is_file()]
                if missing:
                    sys.exit(f"euterpe wrote no .npy for {len(missing)} files, e.g. {missing[0]}")
                row = {"cpu_s": cpu, "wall_s": wall}
            else:
                cmd = [sys.executable, __file__, "worker", "--kind", kind,
                       "--list", str(out / f"files_{group}.txt"), "--warmup", warmups[group],
                       "--save", str(dest)]
                stdout, wall, cpu = timed(cmd, env_py)
                w = json.loads(stdout.strip().splitlines()[-1])
                steady = sum(f["cpu_s"] for f in w["files"])
                warm = next(f for f in w["files"] if f["path"] == w["warmup_file"])
                row = {"cpu_s": steady, "wall_s": sum(f["wall_s"] for f in w["files"]),
                       "process_cpu_s": cpu, "process_wall_s": wall,
                       "cold_cpu_s": cpu - warm["cpu_s"], "cold_wall_s": wall - warm["wall_s"],
                       "worker": w}
            row.update({"round": r + 1, "tool": tool, "kind": kind, "group": group})
            results.append(row)
            log(f"round {r + 1}/{args.rounds}: {tool} {kind} {group}: "
                f"CPU {row['cpu_s']:.2f} s, wall {wall:.2f} s")
    return results


# --- accuracy --------------------------------------------------------------------------------------------


def compare_arrays(a, b, kind, search):
    """Compares euterpe's array a with librosa's b. Frames are axis 1 (librosa's layout)."""
    import librosa
    import numpy as np

    res = {"shape_euterpe": list(a.shape), "shape_librosa": list(b.shape),
           "shape_equal": a.shape == b.shape, "transposed": False}
    if a.ndim == 2 and a.shape != b.shape and a.shape == b.shape[::-1]:
        a = a.T
        res["transposed"] = True
    if a.ndim != 2 or a.shape[0] != b.shape[0]:
        res["comparable"] = False
        return res
    res["comparable"] = True
    a = a.astype(np.float64)
    b = b.astype(np.float64)

    def aligned(offset):
        # a[:, i + offset] against b[:, i]
        lo = max(0, -offset)
        hi = min(b.shape[1], a.shape[1] - offset)
        if hi - lo < 1:
            return None
        return a[:, lo + offset:hi + offset], b[:, lo:hi]

    def rel(pair):
        x, y = pair
        return float(np.abs(x - y).max() / max(np.abs(y).max(), 1e-30))

    offset = 0
    if search or a.shape != b.shape:
        candidates = [o for o in range(-MAX_OFFSET, MAX_OFFSET + 1) if aligned(o) is not None]
        # Prefer 0 on ties; the best offset minimises the relative error.
        offset = min(candidates, key=lambda o: (rel(aligned(o)), abs(o)))
    x, y = aligned(offset)
    res.update({"frame_offset": offset, "frames_compared": int(y.shape[1]),
                "max_abs_diff": float(np.abs(x - y).max()),
                "max_abs_librosa": float(np.abs(y).max()),
                "rel_err": rel((x, y))})
    if offset != 0:
        x0, y0 = aligned(0) or (x, y)
        res["rel_err_offset0"] = rel((x0, y0))
    if kind == "mel":
        da = librosa.power_to_db(x, ref=1.0, amin=1e-10, top_db=None)
        db = librosa.power_to_db(y, ref=1.0, amin=1e-10, top_db=None)
        mask = db > db.max() - DB_RANGE
        res["db_max_abs_diff"] = float(np.abs(da - db)[mask].max())
        res["db_mean_abs_diff"] = float(np.abs(da - db)[mask].mean())
        res["db_bins_compared"] = int(mask.sum())
    return res


def accuracy(args, files):
    import numpy as np

    out = Path(args.out)
    rows = []
    for group, paths in files.items():
        for kind in KINDS:
            for p in paths:
                stem = Path(p).stem
                a = np.load(out / "euterpe" / kind / group / f"{stem}.npy")
                b = np.load(out / "librosa" / kind / group / f"{stem}.npy")
                row = compare_arrays(a, b, kind, search=(group == "mp3"))
                row.update({"file": p, "group": group, "kind": kind,
                            "dtype_euterpe": str(a.dtype)})
                rows.append(row)
    return rows


# --- report ---------------------------------------------------------------------------------------------


def fmt(x):
    """A time or rate in a table: three significant figures, thousands separated."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.1e}"


def audio_seconds(results, group):
    for x in results:
        if x["tool"] == "librosa" and x["group"] == group:
            return sum(f["samples"] / f["sr"] for f in x["worker"]["files"])
    return float("nan")


def accuracy_rows(acc):
    rows = []
    for group in GROUPS:
        for kind in KINDS:
            xs = [x for x in acc if x["group"] == group and x["kind"] == kind]
            if not xs:
                continue
            ok = [x for x in xs if x["comparable"]]
            same = f"{sum(x['shape_equal'] for x in xs)}/{len(xs)}"
            transposed = sum(x["transposed"] for x in xs)
            if transposed:
                same += f" ({transposed} transposed: frames × bins)"
            if not ok:
                rows.append(f"| {GROUP_NAMES[group]} | {kind} | {len(xs)} | {same} "
                            "| not comparable | | | | |")
                continue
            rels = [x["rel_err"] for x in ok]
            offsets = sorted({x["frame_offset"] for x in ok})
            frame_diff = sorted({x["shape_euterpe"][-1] - x["shape_librosa"][-1]
                                 for x in ok if not x["transposed"]} |
                                {x["shape_euterpe"][0] - x["shape_librosa"][-1]
                                 for x in ok if x["transposed"]})
            db = (f"{max(x['db_max_abs_diff'] for x in ok):.3g} "
                  f"(mean {statistics.mean(x['db_mean_abs_diff'] for x in ok):.2g})"
                  if kind == "mel" else "—")
            rows.append(
                f"| {GROUP_NAMES[group]} | {kind} | {len(xs)} | {same} "
                f"| {', '.join(f'{d:+d}' for d in frame_diff)} "
                f"| {', '.join(f'{o:+d}' for o in offsets)} "
                f"| {max(x['max_abs_diff'] for x in ok):.3g} "
                f"| {statistics.median(rels):.2g} ({max(rels):.2g}) | {db} |")
    return rows


def speed_rows(results):
    rows = []
    summary = []
    for group in GROUPS:
        audio = audio_seconds(results, group)
        for kind in KINDS:
            def pick(tool, key):
                return [x[key] for x in results
                        if x["tool"] == tool and x["kind"] == kind and x["group"] == group]

            e_cpu = pick("euterpe", "cpu_s")
            if not e_cpu:
                continue
            e_med = statistics.median(e_cpu)
            nfiles = next(len(x["worker"]["files"]) for x in results
                          if x["tool"] == "librosa" and x["group"] == group)
            lines = [
                ("euterpe (whole process)", e_cpu, pick("euterpe", "wall_s")),
                ("librosa, steady-state", pick("librosa", "cpu_s"), pick("librosa", "wall_s")),
                ("librosa, including import/JIT", pick("librosa", "cold_cpu_s"),
                 pick("librosa", "cold_wall_s")),
            ]
            for name, cpus, walls in lines:
                med = statistics.median(cpus)
                ratio = "1.00 (reference)" if name.startswith("euterpe") else f"{med / e_med:.2f}×"
                rows.append(
                    f"| {GROUP_NAMES[group]} | {kind} | {name} | {nfiles} | {audio:,.0f} "
                    f"| {fmt(med)} ({fmt(min(cpus))}–{fmt(max(cpus))}) "
                    f"| {fmt(statistics.median(walls))} | {audio / med:,.0f} | {ratio} |")
            steady = statistics.median(pick("librosa", "cpu_s")) / e_med
            summary.append(f"{GROUP_NAMES[group]} {kind}: {steady:.2f}×")
    return rows, summary


def overheads(results):
    """Median import and warm-up (first call) costs of the librosa worker, per kind."""
    out = {}
    for kind in KINDS:
        xs = [x for x in results if x["tool"] == "librosa" and x["kind"] == kind]
        if not xs:
            continue
        imp = statistics.median(x["worker"]["import_cpu_s"] for x in xs)
        jit = statistics.median(
            x["worker"]["warmup_cpu_s"]
            - next(f["cpu_s"] for f in x["worker"]["files"] if f["path"] == x["worker"]["warmup_file"])
            for x in xs)
        out[kind] = (imp, jit)
    return out


def write_docs(args, data):
    meta = data["meta"]
    results = data["runs"]
    acc_rows = accuracy_rows(data["accuracy"])
    sp_rows, summary = speed_rows(results)
    over = overheads(results)
    over_text = "; ".join(f"{k}: import {fmt(i)} s, first call {fmt(j)} s more than later ones"
                          for k, (i, j) in over.items())
    mp3 = [x for x in data["accuracy"] if x["group"] == "mp3" and x["comparable"]]
    offsets = sorted({x["frame_offset"] for x in mp3})
    section = "\n".join([
        "## Audio features",
        "",
        "MFCCs and power mel spectrograms: `euterpe audio features` against librosa, whose "
        "defaults euterpe reproduces (22.05 kHz as stored, `n_fft` 2048, hop 512, centred "
        "frames with constant padding, Hann window, 128 Slaney mel bands up to 11.025 kHz; 20 "
        "MFCCs from the dB mel spectrogram with `top_db` 80, orthonormal DCT-II). librosa: "
        "`y, sr = librosa.load(path, sr=None)`, then `librosa.feature.mfcc(y=y, sr=sr)` or "
        "`librosa.feature.melspectrogram(y=y, sr=sr)`; euterpe: `euterpe audio features DIR "
        "--kind mfcc|mel --out DIR --jobs 1` with `RAYON_NUM_THREADS=1`. Both on one thread.",
        "",
        f"* Command: `{meta['command']}`" + (" (creates `bench/.venv-librosa`)"),
        f"* Date: {meta['date']}",
        f"* Machine: {meta['machine']}; shared with other work, hence {meta['rounds']} "
        "interleaved rounds (median, range)",
        f"* Versions: librosa {meta['librosa']}, numpy {meta['numpy']}, scipy {meta['scipy']}, "
        f"soundfile {meta['soundfile']} (libsndfile {meta['libsndfile']}), "
        f"Python {meta['python']}; euterpe at this commit, release profile, {meta['rustc']}",
        f"* Files: the {meta['n_wav']} WAVs of `shared/data/audio` (22.05 kHz mono 16-bit) and "
        f"the first {meta['n_mp3']} MP3s by name of `shared/data/mer4q/audio` (30 s excerpts, "
        "22.05 kHz mono).",
        "",
        "Accuracy (euterpe's array `a` against librosa's `b`, per file; the worst file unless "
        "said):",
        "",
        "| files | kind | n | same shape | frames, euterpe − librosa | frame offset | "
        "max abs diff | relative error, median (max) | mel dB diff, max (mean) |",
        "|---|---|---:|---:|---|---|---:|---:|---:|",
        *acc_rows,
        "",
        "Speed (CPU seconds for the whole group of files, one thread; audio s per CPU-s is "
        "seconds of audio processed per CPU-second):",
        "",
        "| files | kind | tool | n | audio s | CPU s (range) | wall s | audio s per CPU-s "
        "| librosa ÷ euterpe (CPU) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
        *sp_rows,
        "",
        f"**Summary**: librosa's steady-state CPU time divided by euterpe's whole process "
        f"(higher: euterpe faster) — {'; '.join(summary)}.",
        "",
        "How to read it:",
        "",
        "* **relative error**: `max|a − b| / max|b|` over the file's whole array. **mel dB "
        "diff**: the largest `|dB(a) − dB(b)|` with `librosa.power_to_db(S, ref=1.0, "
        f"amin=1e-10, top_db=None)` on both, over the bins where librosa's value is within "
        f"{DB_RANGE:.0f} dB of that file's maximum (quieter bins are rounding noise in both and "
        "are left out); the mean over those bins, averaged over files, in brackets.",
        "* **frame offset**: the whole-frame shift `o` for which `a[:, i + o]` matches `b[:, i]` "
        f"best, searched within ±{MAX_OFFSET} frames for MP3 (and wherever the frame counts "
        "differ); the errors are over the overlapping frames at that offset. WAV rows are "
        "compared frame for frame. MP3 decoders differ: librosa decodes through libsndfile "
        "(mpg123), euterpe through symphonia, and whether the encoder delay and padding "
        "are trimmed (gapless playback) shifts the samples by a part of a frame, which no "
        "whole-frame offset removes; the MP3 rows measure decoder differences as much as the "
        "features" + (f" (offsets found: {', '.join(f'{o:+d}' for o in offsets)})." if offsets
                      else "."),
        "* **euterpe (whole process)**: the CLI's user plus system CPU time, start-up, decoding "
        "and writing the `.npy` files included. **librosa, steady-state**: the sum over files of "
        "load plus features, after a warm-up call on the group's shortest file, writing "
        "excluded. **librosa, including import/JIT**: a fresh Python process going through the "
        "list once (interpreter start-up, `import librosa`, the first call's numba JIT and "
        "caches, writing included). Median librosa overheads: " + over_text + ".",
        "* **librosa ÷ euterpe**: librosa's median CPU seconds divided by euterpe's on the same "
        "files (above 1: euterpe is faster). Python runs with `OMP_NUM_THREADS`, "
        "`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` and `NUMBA_NUM_THREADS` set to 1.",
        f"* Raw results, per run and per file: `{args.out}/results.json` (not committed).",
        "",
    ])
    path = Path(args.docs)
    text = path.read_text()
    start = text.find("\n## Audio features\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start + 1] + section + (text[end:] if end >= 0 else "")
    path.write_text(text)
    return acc_rows, sp_rows, summary


def meta(args, files):
    import librosa
    import numpy
    import scipy
    import soundfile

    env = os.environ
    return {
        "command": env.get("BENCH_COMMAND", "bash bench/audio.sh"),
        "date": env.get("BENCH_DATE") or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": env.get("BENCH_MACHINE", platform.processor() or "?"),
        "rustc": env.get("BENCH_RUSTC", "?"),
        "rounds": args.rounds,
        "librosa": librosa.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
        "soundfile": soundfile.__version__, "libsndfile": soundfile.__libsndfile_version__,
        "python": platform.python_version(),
        "bin": args.bin, "n_wav": len(files["wav"]), "n_mp3": len(files["mp3"]),
        "files": files,
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        p = argparse.ArgumentParser(prog="audio_ref.py worker")
        p.add_argument("--kind", choices=KINDS, required=True)
        p.add_argument("--list", required=True, help="file with one audio path a line")
        p.add_argument("--warmup", required=True, help="audio file for the untimed first call")
        p.add_argument("--save", required=True, help="folder for <stem>.npy")
        worker(p.parse_args(sys.argv[2:]))
        return

    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="target/release/euterpe")
    p.add_argument("--shared", default="../shared/data")
    p.add_argument("--out", default="bench/out/audio")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--mp3-count", type=int, default=40)
    p.add_argument("--docs", default="docs/benchmarks.md")
    p.add_argument("--no-docs", action="store_true", help="do not touch the docs")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the docs from the last run's results.json without running")
    args = p.parse_args()

    out = Path(args.out)
    if args.report_only:
        data = json.loads((out / "results.json").read_text())
    else:
        files = inputs(args)
        out.mkdir(parents=True, exist_ok=True)
        runs = run(args, files)
        log("comparing arrays")
        data = {"meta": meta(args, files), "runs": runs, "accuracy": accuracy(args, files)}
        (out / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    if args.no_docs:
        acc_rows = accuracy_rows(data["accuracy"])
        sp_rows, summary = speed_rows(data["runs"])
    else:
        acc_rows, sp_rows, summary = write_docs(args, data)
    print("\n".join(acc_rows))
    print("\n".join(sp_rows))
    print("librosa ÷ euterpe (steady-state CPU): " + "; ".join(summary))


if __name__ == "__main__":
    main()
