#!/usr/bin/env bash
# Control of the audio LSTM: 10 generated clips per emotion, judged by the audio emotion
# classifier. Prints the 4-quadrant and arousal agreement.
# bench/audio_control.sh [MODEL] [TEMPERATURE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-audio-lstm}
temperature=${2:-0.1}
seconds=${3:-10}
cargo build --release -q -p euterpe --bin euterpe
bin=target/release/euterpe
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for e in happy tense sad calm; do
  for s in $(seq 1 10); do
    "$bin" generate-audio --model "$model" --emotion "$e" --seconds "$seconds" --seed "$s" \
      --temperature "$temperature" --out "$dir/$e-$s.wav" > /dev/null
  done
done
"$bin" classify "$dir" --model audio-emotion --json | python3 -c '
import json, sys
want = {"happy": "Q1", "tense": "Q2", "sad": "Q3", "calm": "Q4"}
high = {"Q1", "Q2"}
r = json.load(sys.stdin)
n = q = a = 0
for p in r["pieces"]:
    e = p["file"].split("/")[-1].split("-")[0]
    got = p["class"]
    n += 1
    q += got == want[e]
    a += (got in high) == (want[e] in high)
print(f"clips {n}: 4Q agreement {q / n:.3f}, arousal agreement {a / n:.3f}")
'
