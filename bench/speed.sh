#!/usr/bin/env bash
# Training and generation speed of euterpe's token models against the same models in PyTorch,
# side by side in one run, on one thread each.
#
#   bash bench/speed.sh
#
# Sets up bench/.venv-torch (pinned PyTorch, bench/requirements-torch.txt), builds the token_speed
# and gen_speed examples in release mode, runs every tool interleaved for ROUNDS rounds (the
# machine is shared and noisy) and writes "## Training speed" and "## Generation speed" into
# docs/benchmarks.md. Raw results go to bench/out/speed/.
#
# Environment: ROUNDS (3), STEPS (5, timed training steps per run), TOKENS (2000, sampled tokens
# per run), SECTIONS (train,sample: which to measure and rewrite; `sample` alone leaves the
# training table as it is), PYTHON (python3, to create the venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-5}
TOKENS=${TOKENS:-2000}
SECTIONS=${SECTIONS:-train,sample}
PYTHON=${PYTHON:-python3}
VENV=bench/.venv-torch
OUT=bench/out/speed

log() { echo "[speed.sh] $*" >&2; }

if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV with PyTorch (about 5 GiB: PyPI's Linux wheel needs the CUDA libraries to load)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-torch.txt
fi

log "building token_speed and gen_speed (release)"
cargo build --quiet --release -p euterpe-train --example token_speed \
    -p euterpe-generate --example gen_speed

mkdir -p "$OUT"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC') \
BENCH_MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc --all)" \
BENCH_RUSTC=$(rustc --version) \
    "$VENV/bin/python" bench/speed.py --rounds "$ROUNDS" --steps "$STEPS" --tokens "$TOKENS" \
    --out "$OUT" --docs docs/benchmarks.md --sections "$SECTIONS"
