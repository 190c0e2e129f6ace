#!/usr/bin/env bash
# Pretraining → fine-tuning, compared: the `piano` generator's fine-tuning on a short budget
# (configs/piano-compare.toml) trained from scratch and from the pretrained model under each strategy,
# with the same budget; then each model's control accuracy (euterpe eval-control). Writes the
# table to docs/finetuning.md (and the raw JSON under OUT).
#
#   bash bench/finetune_table.sh [PRETRAINED=runs/piano-pretrain] [OUT=runs/finetune] [N=20]
#
# PRETRAINED comes from:
#   euterpe train --config configs/piano-pretrain.toml --data ../shared/data --out runs/piano-pretrain
# Two runs train at a time (one thread each).
set -euo pipefail
cd "$(dirname "$0")/.."
PRE=${1:-runs/piano-pretrain}
OUT=${2:-runs/finetune}
N=${3:-20}
DATA=../shared/data
BIN=target/release/euterpe
[ -x "$BIN" ] || cargo build --release -p euterpe
mkdir -p "$OUT"

train() { # name, extra args...
  local name=$1; shift
  if [ -f "$OUT/$name/weights.bin" ] && [ -f "$OUT/$name/train.json" ]; then return; fi
  rm -rf "${OUT:?}/$name"
  "$BIN" train --config configs/piano-compare.toml --data "$DATA" --out "$OUT/$name" --json "$@" \
    > "$OUT/$name.json.tmp" 2> "$OUT/$name.log"
  mv "$OUT/$name.json.tmp" "$OUT/$name/train.json"
}

train scratch & train full --init-from "$PRE" --strategy full & wait
train freeze-lower-2 --init-from "$PRE" --strategy freeze-lower:2 & train gradual --init-from "$PRE" --strategy gradual & wait

# Control accuracy as the piano card measures it: guidance 3, every emotion asked in EMOPIA's
# style (the emotion classifier's domain).
GUIDANCE=${GUIDANCE:-3}
EMOTION_STYLE=${EMOTION_STYLE:-pop-piano}
for name in scratch full freeze-lower-2 gradual; do
  [ -f "$OUT/$name/control-g$GUIDANCE.json" ] || "$BIN" eval-control --model "$OUT/$name" --n "$N" \
    --guidance "$GUIDANCE" --emotion-style "$EMOTION_STYLE" --json > "$OUT/$name/control-g$GUIDANCE.json"
done

python3 - "$OUT" "$N" "$PRE" "$GUIDANCE" "$EMOTION_STYLE" <<'PY' > docs/finetuning.md
import json, sys, os
out, n, pre, guidance, emotion_style = sys.argv[1:6]
rows = []
for name, label in [("scratch", "from scratch"), ("full", "full fine-tuning"),
                    ("freeze-lower-2", "freeze-lower:2 (embedding + LSTM layer 1 frozen)"),
                    ("gradual", "gradual unfreezing (one group per epoch, from the top)")]:
    t = json.load(open(f"{out}/{name}/train.json"))
    c = json.load(open(f"{out}/{name}/control-g{guidance}.json"))
    m = [json.loads(l) for l in open(f"{out}/{name}/metrics.jsonl")]
    tr = [e.get("trainable") for e in m if e.get("trainable")]
    trainable = f"{t['parameters']:,}" if not tr else (
        f"{tr[0]:,}" if tr[0] == tr[-1] else f"{tr[0]:,} → {tr[-1]:,}")
    per = c["emotion"]["per_class"]
    rows.append(f"| {label} | {t['best_valid_nll']:.4f} | {c['emotion']['overall']:.3f} "
                f"({', '.join(f'{k} {v:.2f}' for k, v in sorted(per.items()))}) | "
                f"{c['style']['overall']:.3f} | {trainable} | {t['seconds']:.0f} |")
print("# Pretraining → fine-tuning\n")
print("The `piano` generator's fine-tuning on a short budget (`configs/piano-compare.toml`: REMI LSTM 2 × 256, emotion and style "
      "control tokens, four epochs of 50 batches of 32 × 256 tokens) from scratch and from the model "
      f"pretrained without labels on all the shared MIDI (`{pre}`, `configs/piano-pretrain.toml`), "
      "under each strategy, with the same budget and seed. Valid NLL: nats per token on a fixed sample "
      "of the validation windows (controls included). Control accuracy: the share of "
      f"{n} pieces of 8 bars per class that the built-in classifiers (`emotion`, `style`; trained apart "
      f"from any generator) put in the class asked for (`euterpe eval-control --n {n} --guidance "
      f"{guidance} --emotion-style {emotion_style}`: every emotion asked in the style {emotion_style}, "
      "sampled with classifier-free guidance). Time: training seconds on one thread of a "
      "2-vCPU machine, two runs at a time.\n")
print("| run | valid NLL | emotion control (per quadrant) | style control | trainable parameters | time (s) |")
print("|---|---:|---|---:|---:|---:|")
print("\n".join(rows))
print(f"\nMade by `GUIDANCE={guidance} EMOTION_STYLE={emotion_style} bash bench/finetune_table.sh {pre} {out} {n}`.")
PY
cat docs/finetuning.md
