#!/usr/bin/env bash
# The melody GAN against the LSTM and Transformer token models on the same melodies (issue 15,
# docs/gans.md "The melody GAN against the token models").
#
#   bash bench/melody_compare.sh [LSTM_DIR] [TRANSFORMER_DIR] [N] [SEED]
#
# Data: POP909's MELODY tracks, the split every model was trained with (split seed 0). The token
# models are trained by configs/pop909-melody-lstm.toml and configs/pop909-melody-transformer.toml
# (defaults runs/pop909-melody-lstm and runs/pop909-melody-transformer); the GAN is the built-in
# melody-gan. Each writes N (100) melodies of 16 bars with seeds from SEED (1), temperature 1:
# the token models unprompted; the GAN over the chords of the first N validation songs, from the
# bar where each song's melody starts (it needs chords; the token models do not). Every set is
# measured with MusPy's metrics (`euterpe metrics --melody --excerpt-beats 64`) against the
# validation songs' melodies cut into 64-beat excerpts (sixteen bars of 4/4), and so are the
# training songs' melodies: the figure a model can hope to reach. Prints a Markdown table and
# writes bench/out/melody-compare/{table.md,*.json}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LSTM=${1:-runs/pop909-melody-lstm}
TRANSFORMER=${2:-runs/pop909-melody-transformer}
N=${3:-100}
SEED=${4:-1}
DATA=../shared/data/pop909
OUT=bench/out/melody-compare
BIN=target/release/euterpe

cargo build --quiet --release -p euterpe
rm -rf "$OUT"
mkdir -p "$OUT"/{gan,lstm,transformer}

measure() { # name set [--split S]
    local name=$1 set=$2
    shift 2
    "$BIN" metrics "$set" "$@" --melody --excerpt-beats 64 \
        --reference "$DATA" --reference-split valid --json > "$OUT/$name.json"
}

# The GAN: one melody per validation song, over its chords.
i=0
while read -r song && [ "$i" -lt "$N" ]; do
    i=$((i + 1))
    "$BIN" generate --model melody-gan --chords-from "$song" --bars 16 --melody-only \
        --seed $((SEED + i - 1)) --out "$OUT/gan/$(printf %03d "$i").mid" > /dev/null 2>&1
done < <("$BIN" data split "$DATA" --split valid)
for model in lstm transformer; do
    dir=$LSTM
    [ "$model" = transformer ] && dir=$TRANSFORMER
    "$BIN" generate --model "$dir" --num-outputs "$N" --bars 16 --seed "$SEED" \
        --out "$OUT/$model/piece.mid" > /dev/null 2>&1
done

measure train "$DATA" --split train
for model in gan lstm transformer; do
    measure "$model" "$OUT/$model"
done

python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import json, sys
out = sys.argv[1]
sets = [("POP909 training melodies", "train"), ("melody GAN (over valid songs' chords)", "gan"),
        ("LSTM (2 × 256)", "lstm"), ("Transformer (4 × 256)", "transformer")]
reports = {k: json.load(open(f"{out}/{k}.json")) for _, k in sets}
ref = reports["train"]["reference"]["comparison"]
names = [m["metric"] for m in ref["metrics"]]
print(f"Reference: {ref['reference_pieces']} excerpts of 64 beats from the validation melodies. "
      "Each cell: mean, then the overlap area with the reference's distribution.\n")
print("| metric | valid (reference) | " + " | ".join(n for n, _ in sets) + " |")
print("|---|---:|" + "---:|" * len(sets))
for i, name in enumerate(names):
    r = ref["metrics"][i]["reference"]
    cells = []
    for _, k in sets:
        c = reports[k]["reference"]["comparison"]["metrics"][i]
        g, o = c["generated"], c["overlap"]
        mean = "–" if g["mean"] is None else f"{g['mean']:.3f}"
        area = "" if o is None else f" ({o['area']:.2f})"
        cells.append(mean + area)
    rmean = "–" if r["mean"] is None else f"{r['mean']:.3f}"
    print(f"| {name} | {rmean} | " + " | ".join(cells) + " |")
areas = [reports[k]["reference"]["mean_overlap_area"] for _, k in sets]
print("| **mean overlap area** | 1 | " + " | ".join(f"**{a:.3f}**" for a in areas) + " |")
counts = [reports[k]["reference"]["comparison"]["generated_pieces"] for _, k in sets]
print("| excerpts measured | " + str(ref["reference_pieces"]) + " | " + " | ".join(map(str, counts)) + " |")
PY
