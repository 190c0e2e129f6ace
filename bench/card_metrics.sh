#!/usr/bin/env bash
# Music metrics of a model's output against its training corpus, for its model card.
#
#   bash bench/card_metrics.sh models/folk-lstm ../shared/data/essen/midi [N] [BARS] [SEED]
#
# Generates N pieces (100) of BARS bars (16) with seed SEED (1) using `euterpe generate`, compares
# them with the reference corpus through `euterpe metrics --reference --json`, and writes the table
# as the "## Generated music" section of MODEL/card.md (replacing an older one). GENERATE_ARGS adds
# options to `euterpe generate` (e.g. GENERATE_ARGS="--style pop-piano" for a conditioned model).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODEL=${1:?model directory}
REFERENCE=${2:?reference MIDI folder}
N=${3:-100}
BARS=${4:-16}
SEED=${5:-1}
OUT=bench/out/card/$(basename "$MODEL")

cargo build --quiet --release -p euterpe
rm -rf "$OUT"
mkdir -p "$OUT/midi"
# shellcheck disable=SC2086 # GENERATE_ARGS is a list of words
target/release/euterpe generate --model "$MODEL" --num-outputs "$N" --bars "$BARS" --seed "$SEED" \
    ${GENERATE_ARGS:-} --out "$OUT/midi/piece.mid" > /dev/null
target/release/euterpe metrics "$OUT/midi" --reference "$REFERENCE" --json > "$OUT/metrics.json"

python3 - "$MODEL/card.md" "$OUT/metrics.json" "$N" "$BARS" "$SEED" "$MODEL" "$REFERENCE" "${GENERATE_ARGS:-}" <<'PY'
import json, sys
card, metrics, n, bars, seed, model, reference, extra = sys.argv[1:]
extra = f" {extra}" if extra else ""
m = json.load(open(metrics))
rows = []
for c in m["reference"]["comparison"]["metrics"]:
    g, r = c["generated"], c["reference"]
    if g["mean"] is None or r["mean"] is None:
        continue
    inside = r["min"] <= g["min"] and g["max"] <= r["max"]
    area = c["overlap"]["area"] if c["overlap"] else float("nan")
    rows.append(
        f"| {c['metric']} | {g['mean']:.3f} ± {g['std']:.3f} | {g['min']:.3f}–{g['max']:.3f} | "
        f"{r['mean']:.3f} ± {r['std']:.3f} | {r['min']:.3f}–{r['max']:.3f} | "
        f"{'yes' if inside else 'no'} | {area:.3f} |"
    )
body = (
    f"{n} pieces of {bars} bars from `euterpe generate --model {model} --num-outputs {n} "
    f"--bars {bars} --seed {seed}{extra}` (temperature 1, no top-k/top-p), against all "
    f"{m['reference']['comparison']['reference_pieces']} pieces of `{reference}`; "
    "metrics as MusPy and mgeval define them (`euterpe metrics --reference`; command: "
    f"`{'GENERATE_ARGS=' + repr(extra.strip()) + ' ' if extra else ''}bash bench/card_metrics.sh {model} {reference}`). *Inside* means every generated piece "
    "lies within the corpus's range; the overlap is the area shared by the two sets' "
    "distributions (1 = identical).\n\n"
    "| metric | generated mean ± std | generated range | corpus mean ± std | corpus range | inside | overlap |\n"
    "|---|---:|---:|---:|---:|:---:|---:|\n" + "\n".join(rows) + "\n\n"
    f"Mean overlap area over all metrics: {m['reference']['mean_overlap_area']:.3f}.\n"
)
text = open(card).read()
head = "## Generated music\n"
start = text.find(head)
if start >= 0:
    end = text.find("\n## ", start + len(head))
    text = text[:start] + (text[end + 1:] if end >= 0 else "")
text = text.rstrip("\n") + "\n\n" + head + "\n" + body
open(card, "w").write(text)
print(body)
PY
