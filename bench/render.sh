#!/usr/bin/env bash
# Rendering speed: euterpe-render (SoundFont and built-in synthesiser) against FluidSynth, both
# rendering the same MIDI files with the same SoundFont (TimGM6mb) to 44.1 kHz 16-bit stereo WAV.
#
#   bash bench/render.sh
#
# Installs fluidsynth and timgm6mb-soundfont with apt-get when missing (needs root), builds the
# render example in release mode, times every tool on every file as a whole process (start-up,
# SoundFont loading, MIDI parsing, synthesis, writing), ROUNDS rounds interleaved, and writes the
# medians into docs/benchmarks.md under "## Rendering". Raw results go to bench/out/render/.
#
# Environment: ROUNDS (5), EUTERPE_SHARED_DATA (../shared/data), SF2 (the TimGM6mb path).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-5}
DATA=${EUTERPE_SHARED_DATA:-../shared/data}
SF2=${SF2:-/usr/share/sounds/sf2/TimGM6mb.sf2}
OUT=bench/out/render
BIN=target/release/examples/render

log() { echo "[render.sh] $*" >&2; }

if ! command -v fluidsynth >/dev/null || [[ ! -f $SF2 ]]; then
    log "installing fluidsynth and timgm6mb-soundfont with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        fluidsynth timgm6mb-soundfont >/dev/null
fi
[[ -f $SF2 ]] || { log "missing SoundFont $SF2"; exit 1; }

log "building the render example (release)"
cargo build --quiet --release -p euterpe-render --example render

FILES=(
    "$DATA/pop909/001/001.mid"
    "$DATA/pop909/002/002.mid"
    "$DATA/emopia/midi/Q1_0vLPYiPN7qY_0.mid"
)
for f in "${FILES[@]}"; do [[ -f $f ]] || { log "missing $f"; exit 1; }; done

mkdir -p "$OUT"
export BENCH_DATE BENCH_MACHINE BENCH_RUSTC BENCH_FLUIDSYNTH BENCH_ROUNDS=$ROUNDS
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
BENCH_RUSTC=$(rustc --version)
BENCH_FLUIDSYNTH=$(fluidsynth --version 2>/dev/null | head -1)
python3 bench/render_ref.py --bin "$BIN" --sf2 "$SF2" --out "$OUT" --rounds "$ROUNDS" \
    --docs docs/benchmarks.md "${FILES[@]}"
