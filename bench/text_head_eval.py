#!/usr/bin/env python3
"""How well the learned prompt layer reads mood words it has never seen.

    python3 bench/text_head_eval.py [--euterpe target/release/euterpe] [--folds 5]

mer4q's labels.csv tags every song with AllMusic mood words and a quadrant. Each mood word gets
the quadrant most of its songs have (words without a clear majority are left out). The 151 words
are dealt into --folds folds (by a hash of the word); for each fold a text head is trained with
`euterpe train --config configs/text-emotion.toml` on the songs with that fold's words removed
from their tags, then scored with `euterpe eval` on the held-out words, one word per text.
So every word is judged once by a head that never saw it. Variants change one setting with
--set. Also reported: the shipped config's songs-level validation figures (mer4q's split,
artists held out) and two baselines: the majority quadrant and the sign of the word's VADER
valence with the majority arousal (what the lexicon alone could say).
Standard library only; the binary does the work.
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = os.path.join(ROOT, "..", "shared", "data", "mer4q", "labels.csv")
CONFIG = os.path.join(ROOT, "configs", "text-emotion.toml")
VARIANTS = {
    "shipped config": [],
    "linear (no hidden layer)": ["model.layers=0"],
    "whole tag lists only": ["data.text.word_subsets=false"],
    "128 hidden": ["model.hidden=128"],
    "dropout 0.4": ["model.dropout=0.4"],
    "dropout 0.1": ["model.dropout=0.1"],
    "weight decay 0.1": ["optim.weight_decay=0.1"],
    "lr 1e-3": ["optim.lr=1e-3"],
}


def tags(row):
    return [t.strip().lower() for t in row["moods"].split(";") if t.strip()]


def word_labels(rows, purity):
    votes = collections.defaultdict(collections.Counter)
    for r in rows:
        for t in tags(r):
            votes[t][r["quadrant"]] += 1
    out = {}
    for word, c in votes.items():
        (q, n), total = c.most_common(1)[0], sum(c.values())
        if n / total >= purity and (len(c) == 1 or c.most_common(2)[1][1] < n):
            out[word] = q
    return out


def fold_of(word, folds):
    return int(hashlib.sha256(word.encode()).hexdigest(), 16) % folds


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["moods", "quadrant", "split", "artist"])
        w.writeheader()
        w.writerows(rows)


def held_out_accuracy(exe, rows, labels, folds, sets, tmp, tag):
    correct = total = 0
    confusion = collections.Counter()
    for k in range(folds):
        held = {w for w in labels if fold_of(w, folds) == k}
        train = []
        for r in rows:
            kept = [t for t in tags(r) if t not in held]
            if kept:
                train.append({"moods": "; ".join(kept), "quadrant": r["quadrant"],
                              "split": r["split"], "artist": r["artist"]})
        evals = [{"moods": w, "quadrant": labels[w], "split": "valid", "artist": w} for w in sorted(held)]
        tpath, epath = os.path.join(tmp, f"train-{k}.csv"), os.path.join(tmp, f"eval-{k}.csv")
        write_csv(tpath, train)
        write_csv(epath, evals)
        out = os.path.join(tmp, f"{tag}-{k}")
        cmd = [exe, "train", "--config", CONFIG, "--data", tpath, "--out", out, "--json"]
        for s in sets:
            cmd += ["--set", s]
        run(cmd)
        report = json.loads(run([exe, "eval", "--model", out, "--data", epath, "--json"]))
        n = report["sequences"]
        correct += round(report["accuracy"] * n)
        total += n
        for i, row in enumerate(report["classification"]["confusion"]):
            for j, c in enumerate(row):
                confusion[(i, j)] += c
    return correct / total, total, confusion


def vader_baseline(labels, lexicon_path, majority_arousal_high):
    vader = {}
    with open(lexicon_path) as f:
        for line in f:
            w, v = line.rstrip("\n").split("\t")
            vader[w] = float(v)
    hits = 0
    for w, q in labels.items():
        v = vader.get(w, 0.0)
        if majority_arousal_high:
            guess = "1" if v >= 0 else "2"
        else:
            guess = "4" if v >= 0 else "3"
        hits += guess == q
    covered = sum(w in vader for w in labels)
    return hits / len(labels), covered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--euterpe", default=os.path.join(ROOT, "target", "release", "euterpe"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--purity", type=float, default=0.5)
    args = ap.parse_args()
    rows = list(csv.DictReader(open(LABELS)))
    labels = word_labels(rows, args.purity)
    counts = collections.Counter(labels.values())
    print(f"{len(rows)} songs, {len(labels)} mood words with a majority quadrant: "
          + ", ".join(f"Q{q} {counts[q]}" for q in "1234"))
    majority = counts.most_common(1)[0][1] / len(labels)
    high = counts["1"] + counts["2"] >= counts["3"] + counts["4"]
    vader, covered = vader_baseline(labels, os.path.join(ROOT, "models", "text-encoder", "vader.tsv"), high)
    print(f"baseline: majority quadrant {majority:.3f}; VADER sign with the majority arousal "
          f"{vader:.3f} ({covered} of the words in VADER)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "songs")
        run([args.euterpe, "train", "--config", CONFIG, "--data", LABELS, "--out", out, "--json"])
        report = json.loads(run([args.euterpe, "eval", "--model", out, "--data", LABELS, "--json"]))
        c = report["classification"]
        print(f"songs, mer4q valid split (whole tag lists, artists held out): accuracy "
              f"{c['accuracy']:.3f}, macro-F1 {c['macro_f1']:.3f}, n = {c['pieces']}")
        print("| variant | unseen-word accuracy | words |")
        print("|---|---|---|")
        for name, sets in VARIANTS.items():
            acc, n, confusion = held_out_accuracy(args.euterpe, rows, labels, args.folds, sets, tmp,
                                                  "v%d" % list(VARIANTS).index(name))
            print(f"| {name} | {acc:.3f} | {n} |", flush=True)
            if not sets:
                print("confusion (rows: word's quadrant, columns: predicted): "
                      + "; ".join("Q%d: %s" % (i + 1, " ".join(str(confusion[(i, j)]) for j in range(4)))
                                  for i in range(4)))


if __name__ == "__main__":
    main()
