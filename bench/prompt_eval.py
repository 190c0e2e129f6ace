#!/usr/bin/env python3
"""Caption evaluation of `euterpe generate --prompt`, as Text2midi and MuseCoco report it.

Captions are written from the attributes of the validation pieces of the shared corpora
(EMOPIA and VGMIDI: emotion; POP909, EMOPIA, VGMIDI, Essen: style = corpus; every piece: its
tempo, estimated key, meter), in several phrasings. One piece is generated per caption and
measured: tempo bin and tempo within ±10 % (of the tempo the caption names), key (estimated
with Krumhansl–Schmuckler, exact and up to the relative major/minor), meter, instrument, and
emotion and style by the built-in classifiers.

    python3 bench/prompt_eval.py [--bin target/release/euterpe] [--per-corpus 60] [--out DIR]
                                 [--moods exact|learned]

--moods learned writes the emotion with mood words that are in neither the exact layer's lists nor
the learned layer's training tags (mer4q's AllMusic moods), so the learned layer alone reads them.
"emotion read" is the share of captions whose emotion the prompt layers turned into the quadrant
the caption's piece is labelled with (from `--explain`), before any music is written.

Standard library only; the euterpe binary does the MIDI work (data split, stats, metrics,
classify). Prints a Markdown table and writes DIR/results.json.
"""
import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
EMOTION_WORDS = {
    1: ["happy", "joyful", "cheerful", "excited"],
    2: ["tense", "angry", "anxious", "agitated"],
    3: ["sad", "melancholic", "gloomy", "sorrowful"],
    4: ["calm", "relaxed", "peaceful", "serene"],
}
# Mood words in neither the exact lists nor mer4q's tags (the learned layer's training data).
UNSEEN_EMOTION_WORDS = {
    1: ["jubilant", "elated", "festive", "bouncy", "sunny", "upbeat", "merry", "ecstatic"],
    2: ["furious", "frantic", "violent", "frightening", "stormy", "chaotic", "panicked", "hectic"],
    3: ["grieving", "heartbroken", "desolate", "tearful", "wistful", "forlorn", "doleful", "bereaved"],
    4: ["restful", "placid", "lulling", "meditative", "unhurried", "hushed", "balmy", "leisurely"],
}
STYLE_WORDS = {"pop": ["pop"], "pop-piano": ["pop-piano"], "game": ["game"], "folk": ["folk"]}
CORPUS_STYLE = {"emopia": "pop-piano", "vgmidi": "game", "pop909": "pop", "essen": "folk"}
# The tempo words of the exact layer with the BPM it sets, and the Italian bins measured.
TEMPO_WORDS = [("slow", 70), ("andante", 90), ("moderato", 110), ("allegro", 130), ("fast", 150)]
BINS = [(0, 60, "largo"), (60, 76, "adagio"), (76, 108, "andante"), (108, 120, "moderato"),
        (120, 168, "allegro"), (168, 1e9, "presto")]
PHRASINGS = [
    "a {emotion} {style} piano piece in {key}, {tempo}",
    "{tempo}, {emotion} {style} music for piano in {key}",
    "write something {emotion} in {key} on the piano, {style} style, {tempo}",
    "piano, {key}, {tempo}; mood: {emotion}; genre: {style}",
    "I'd like a {style} tune that sounds {emotion}, {tempo}, in the key of {key}, played on piano",
]


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def valid_pieces(binary, corpus):
    out = run([binary, "data", "split", os.path.join(DATA, corpus), "--split", "valid", "--json"])
    return json.loads(out)


def quadrant(label):
    if not label:
        return None
    if label.get("quadrant"):
        return label["quadrant"]
    v, a = label.get("valence"), label.get("arousal")
    if v is None or a is None:
        return None
    return {(True, True): 1, (False, True): 2, (False, False): 3, (True, False): 4}[(v > 0, a > 0)]


def attributes(binary, path):
    stats = json.loads(run([binary, "data", "stats", path, "--json"]))
    metrics = json.loads(run([binary, "metrics", path, "--per-piece", "--json"]))
    key = metrics["pieces"][0]["metrics"].get("key") if metrics["pieces"] else None
    meters = stats.get("time_signatures") or {}
    return {"bpm": stats.get("min_bpm"), "key": key,
            "meter": max(meters, key=meters.get) if meters else None}


def tempo_bin(bpm):
    return next(name for lo, hi, name in BINS if lo <= bpm < hi)


def caption(rng, attrs, q, style, words=EMOTION_WORDS):
    if rng.random() < 0.5 and attrs["bpm"]:
        bpm = int(round(attrs["bpm"]))
        tempo_text, tempo = f"at {bpm} BPM", bpm
    else:
        word, bpm = min(TEMPO_WORDS, key=lambda w: abs(w[1] - (attrs["bpm"] or 110)))
        tempo_text, tempo = word, bpm
    emotion = rng.choice(words[q]) if q else ""
    text = rng.choice(PHRASINGS).format(emotion=emotion, style=style, key=attrs["key"],
                                        tempo=tempo_text)
    text = text.replace("mood: ; ", "").replace("sounds ,", "sounds,")
    text = " ".join(text.replace(" ,", ",").split())
    if attrs["meter"] in ("3/4", "6/8") and rng.random() < 0.5:
        text += f", in {attrs['meter']}"
    return text, tempo


def read_emotion(explain):
    """The quadrant on --explain's emotion line (None when no emotion was asked)."""
    for line in explain.splitlines():
        words = line.split()
        if words[:1] == ["emotion"]:
            return next((w.rstrip(":") for w in words if w.rstrip(":") in ("Q1", "Q2", "Q3", "Q4")), None)
    return None


def read_key(name):
    tonic, mode = name.split()
    return NAMES.index(tonic), mode == "minor"


def relative(a, b):
    (ta, ma), (tb, mb) = read_key(a), read_key(b)
    if ma == mb:
        return ta == tb
    return (ta + 3) % 12 == tb if ma else (tb + 3) % 12 == ta


def varlen(body, j):
    """A MIDI variable-length number at `body[j]`: its value and the index after it."""
    n = 0
    while True:
        n = (n << 7) | (body[j] & 0x7F)
        j += 1
        if not body[j - 1] & 0x80:
            return n, j


def programs(path):
    """Programs of the melodic channels of a MIDI file (a small reader: program changes only)."""
    data = open(path, "rb").read()
    found, i = set(), 14
    while i + 8 <= len(data):
        kind, size = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "big")
        body, i = data[i + 8:i + 8 + size], i + 8 + size
        if kind != b"MTrk":
            continue
        j, status = 0, 0
        while j < len(body):
            _, j = varlen(body, j)  # the delta time
            if body[j] & 0x80:
                status, j = body[j], j + 1
            if status == 0xFF:
                n, j = varlen(body, j + 1)
                j += n
            elif status in (0xF0, 0xF7):
                n, j = varlen(body, j)
                j += n
            elif status & 0xF0 == 0xC0:
                if status & 0x0F != 9:
                    found.add(body[j])
                j += 1
            elif status & 0xF0 == 0xD0:
                j += 1
            else:
                j += 2
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/euterpe")
    ap.add_argument("--per-corpus", type=int, default=60)
    ap.add_argument("--bars", type=int, default=8)
    ap.add_argument("--out", default="runs/prompt-eval")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--moods", choices=["exact", "learned"], default="exact")
    ap.add_argument("--guidance", type=float, default=None,
                    help="classifier-free guidance passed to generate (default: generate's own)")
    a = ap.parse_args()
    words = EMOTION_WORDS if a.moods == "exact" else UNSEEN_EMOTION_WORDS
    rng = random.Random(a.seed)
    os.makedirs(os.path.join(a.out, "midi"), exist_ok=True)
    rows = []
    for corpus, style in CORPUS_STYLE.items():
        pieces = valid_pieces(a.bin, corpus)
        rng.shuffle(pieces)
        for piece in pieces[: a.per_corpus]:
            attrs = attributes(a.bin, piece["path"])
            if not attrs["key"]:
                continue
            q = quadrant(piece.get("label"))
            text, tempo = caption(rng, attrs, q, style, words)
            rows.append({"corpus": corpus, "source": piece["path"], "caption": text,
                         "tempo": tempo, "key": attrs["key"], "quadrant": q, "style": style,
                         "meter": attrs["meter"] if ("in " + str(attrs["meter"])) in text else None})
    print(f"{len(rows)} captions", file=sys.stderr)
    for i, r in enumerate(rows):
        out = os.path.join(a.out, "midi", f"{i:04d}.mid")
        extra = [] if a.guidance is None else ["--guidance", str(a.guidance)]
        res = subprocess.run([a.bin, "generate", "--prompt", r["caption"], "--explain",
                              "--bars", str(a.bars), "--seed", str(a.seed + i), "--out", out]
                             + extra, capture_output=True, text=True)
        r["ok"] = res.returncode == 0
        r["out"] = out
        r["explain"] = res.stdout
        r["read_emotion"] = read_emotion(res.stdout)
        if not r["ok"]:
            r["error"] = res.stderr.strip().splitlines()[-1:]
            continue
        got = attributes(a.bin, out)
        r.update({"got_bpm": got["bpm"], "got_key": got["key"], "got_meter": got["meter"],
                  "got_programs": sorted(programs(out))})
    judged = {}
    for model in ["emotion", "style"]:
        judgement = json.loads(run([a.bin, "classify", os.path.join(a.out, "midi"), "--model", model,
                                 "--json"]))
        judged[model] = {os.path.basename(p["file"]): p["class"] for p in judgement["pieces"]}
    for r in rows:
        name = os.path.basename(r["out"])
        r["got_emotion"] = judged["emotion"].get(name)
        r["got_style"] = judged["style"].get(name)
    json.dump(rows, open(os.path.join(a.out, "results.json"), "w"), indent=1)
    report(rows)


def share(hits):
    hits = list(hits)
    return (sum(hits) / len(hits), len(hits)) if hits else (float("nan"), 0)


def report(rows):
    ok = [r for r in rows if r["ok"]]
    measures = {
        "generated": share(r["ok"] for r in rows),
        "tempo bin": share(tempo_bin(r["got_bpm"]) == tempo_bin(r["tempo"]) for r in ok),
        "tempo within ±10 %": share(abs(r["got_bpm"] - r["tempo"]) <= 0.1 * r["tempo"] for r in ok),
        "key (exact)": share(r["got_key"] == r["key"] for r in ok if r["got_key"]),
        "key (or its relative)": share(relative(r["got_key"], r["key"]) for r in ok if r["got_key"]),
        "meter": share(r["got_meter"] == r["meter"] for r in ok if r["meter"]),
        "instrument (piano)": share(r["got_programs"] in ([], [0]) for r in ok),
        "emotion read": share(r.get("read_emotion") == f"Q{r['quadrant']}" for r in ok if r["quadrant"]),
        "emotion (classifier)": share(r["got_emotion"] == f"Q{r['quadrant']}" for r in ok if r["quadrant"]),
        "style (classifier)": share(r["got_style"] == r["style"] for r in ok),
    }
    print("| measure | share | captions |")
    print("|---|---|---|")
    for name, (s, n) in measures.items():
        print(f"| {name} | {s:.3f} | {n} |")
    per = defaultdict(list)
    for r in ok:
        if r["quadrant"]:
            per[f"Q{r['quadrant']}"].append(r["got_emotion"] == f"Q{r['quadrant']}")
    print("\nemotion per quadrant: " + ", ".join(
        f"{q} {sum(v) / len(v):.2f} (n={len(v)})" for q, v in sorted(per.items())))
    styles = defaultdict(Counter)
    for r in ok:
        styles[r["style"]][r["got_style"]] += 1
    print("style asked → judged: " + "; ".join(
        f"{s}: {dict(c)}" for s, c in sorted(styles.items())))


if __name__ == "__main__":
    main()
