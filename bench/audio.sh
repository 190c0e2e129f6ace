#!/usr/bin/env bash
# Audio features: euterpe (`euterpe audio features`) against librosa 0.11, accuracy and speed, for
# MFCCs and power mel spectrograms.
#
#   bash bench/audio.sh
#
# Sets up bench/.venv-librosa (librosa 0.11 with numpy, scipy, soundfile, soxr), builds the euterpe
# CLI in release mode, and runs bench/audio_ref.py on the four WAVs of shared/data/audio and the
# first MP3_COUNT MP3s (by name) of shared/data/mer4q/audio: every tool, kind and group of files
# (WAV, MP3) as a whole process on one thread, ROUNDS rounds interleaved; then compares euterpe's
# arrays with librosa's and writes the medians into docs/benchmarks.md under "## Audio features".
# Raw results go to bench/out/audio/ (results.json).
#
# Environment: ROUNDS (3), MP3_COUNT (40), EUTERPE_SHARED_DATA (../shared/data), PYTHON (python3,
# to create the venv), EUTERPE_BIN (target/release/euterpe), SKIP_BUILD (set to 1 to use
# EUTERPE_BIN as it is, without cargo), NO_DOCS (set to 1 to leave docs/benchmarks.md alone).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-3}
MP3_COUNT=${MP3_COUNT:-40}
DATA=${EUTERPE_SHARED_DATA:-../shared/data}
PYTHON=${PYTHON:-python3}
EUTERPE_BIN=${EUTERPE_BIN:-target/release/euterpe}
SKIP_BUILD=${SKIP_BUILD:-0}
NO_DOCS=${NO_DOCS:-0}
LIBROSA_SPEC='librosa==0.11.*'
VENV=bench/.venv-librosa
OUT=bench/out/audio

# The machine, before the thread limits below (GNU nproc obeys OMP_NUM_THREADS).
CORES=$(nproc)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

# One thread everywhere (audio_ref.py sets the same for its librosa workers).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
    RAYON_NUM_THREADS=1

log() { echo "[audio.sh] $*" >&2; }

# --- librosa ------------------------------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY=$VENV/bin/python
if ! "$PY" -c 'import librosa, sys; sys.exit(not librosa.__version__.startswith("0.11."))' \
    2>/dev/null; then
    log "installing $LIBROSA_SPEC into $VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "$LIBROSA_SPEC"
fi

# --- euterpe ----------------------------------------------------------------------------------------
if [[ $SKIP_BUILD != 1 ]]; then
    log "building the euterpe CLI (release)"
    cargo build --quiet --release -p euterpe --bin euterpe
fi
[[ -x $EUTERPE_BIN ]] || { log "missing $EUTERPE_BIN (build it, or set EUTERPE_BIN)"; exit 1; }

for dir in audio mer4q/audio; do
    [[ -d $DATA/$dir ]] || { log "missing $DATA/$dir"; exit 1; }
done

# --- runs, comparison, docs ---------------------------------------------------------------------------
mkdir -p "$OUT"
BENCH_COMMAND="bash bench/audio.sh"
if [[ $ROUNDS != 3 || $MP3_COUNT != 40 ]]; then
    BENCH_COMMAND="ROUNDS=$ROUNDS MP3_COUNT=$MP3_COUNT $BENCH_COMMAND"
fi
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_MACHINE="$CPU_MODEL, nproc $CORES"
BENCH_RUSTC=$(rustc --version 2>/dev/null || echo "rustc ?")
export BENCH_COMMAND BENCH_DATE BENCH_MACHINE BENCH_RUSTC
DOCS_ARGS=(--docs docs/benchmarks.md)
[[ $NO_DOCS == 1 ]] && DOCS_ARGS=(--no-docs)
"$PY" bench/audio_ref.py --bin "$EUTERPE_BIN" --shared "$DATA" --out "$OUT" --rounds "$ROUNDS" \
    --mp3-count "$MP3_COUNT" "${DOCS_ARGS[@]}"
