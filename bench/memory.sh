#!/usr/bin/env bash
# Peak memory (maximum resident set size) of euterpe against the same work in PyTorch, one thread
# each, every process run alone (issue 17, item 6).
#
#   bash bench/memory.sh
#
# Sets up bench/.venv-torch (pinned PyTorch, bench/requirements-torch.txt; as bench/speed.sh
# does), builds the euterpe binary and the token_speed example in release mode, and measures with
# GNU time's %M (peak RSS in KiB) REPEATS times each, interleaved:
#
#   * floor: `euterpe --version` / `python -c "import torch"` (interpreter + library, no work);
#   * generate: `euterpe generate --bars 32 --seed 1` with the built-in folk model (REMI LSTM,
#     vocabulary 642, embedding 64, 2 x 256) / `bench/speed_ref.py sample --cell lstm` with the
#     same shapes and as many tokens as euterpe wrote (oneDNN on, PyTorch's default, and off);
#   * training, token models: the token_speed example / `bench/speed_ref.py train`, the shapes and
#     steps of bench/speed.sh (LSTM 2 x 256, batch 32 x 128, 2 + 5 steps; Transformer 4 x 256,
#     batch 32 x 256, 2 + 2 steps);
#   * training, JSB LSTM: `euterpe train --config configs/jsb-lstm.toml --set train.epochs=1`
#     (one epoch plus validation on the real JSB Chorales) / bench/memory_ref.py, the same frame
#     model and loop written with stock PyTorch modules.
#
# Prints a markdown table (median of the repeats, MiB = 1024 KiB) on stdout; raw figures go to
# bench/out/memory/. Environment: REPEATS (3), PYTHON (python3, to create the venv),
# EUTERPE_SHARED_DATA (../shared/data).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

REPEATS=${REPEATS:-3}
PYTHON=${PYTHON:-python3}
DATA=${EUTERPE_SHARED_DATA:-../shared/data}/polyphonic/jsb_chorales.json
VENV=bench/.venv-torch
OUT=bench/out/memory
BIN=target/release/euterpe
TOKEN_SPEED=target/release/examples/token_speed
TIME=/usr/bin/time

log() { echo "[memory.sh] $*" >&2; }

[[ -x $TIME ]] || { log "needs GNU time at $TIME (apt-get install time)"; exit 1; }
[[ -f $DATA ]] || { log "JSB Chorales not found at $DATA (see ../shared/data/README.md)"; exit 1; }

if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV with PyTorch (about 5 GiB: PyPI's Linux wheel needs the CUDA libraries to load)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-torch.txt
fi
PY=$VENV/bin/python

log "building euterpe and token_speed (release)"
cargo build --quiet --release -p euterpe --bin euterpe -p euterpe-train --example token_speed

mkdir -p "$OUT"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/euterpe-memory.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1

# The token count of euterpe's 32 bars, for PyTorch's sampler (the seed fixes it).
"$BIN" generate --bars 32 --seed 1 --out "$SCRATCH/probe.mid" --json >"$OUT/generate.json"
TOKENS=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["tokens"])' "$OUT/generate.json")
log "euterpe wrote $TOKENS tokens for 32 bars; PyTorch samples as many"

RSS=$OUT/rss.tsv
: >"$RSS"
# measure ROW TOOL COMMAND...: one run under GNU time; appends "row<TAB>tool<TAB>KiB" to $RSS.
measure() {
    local row=$1 tool=$2
    shift 2
    rm -rf "$SCRATCH/run"
    if ! "$TIME" -f '%M' -o "$SCRATCH/rss" "$@" >"$SCRATCH/stdout" 2>"$SCRATCH/stderr"; then
        log "failed: $*"
        cat "$SCRATCH/stderr" >&2
        exit 1
    fi
    printf '%s\t%s\t%s\n' "$row" "$tool" "$(tail -n 1 "$SCRATCH/rss")" >>"$RSS"
    tail -n 1 "$SCRATCH/stdout" >>"$OUT/stdout.jsonl"
}

: >"$OUT/stdout.jsonl"
LSTM642=(--cell lstm --vocab 642 --embedding 64 --hidden 256 --layers 2)
for ((r = 1; r <= REPEATS; r++)); do
    log "repeat $r/$REPEATS"
    measure floor euterpe "$BIN" --version
    measure floor pytorch "$PY" -c "import torch"
    measure generate euterpe "$BIN" generate --bars 32 --seed 1 --out "$SCRATCH/gen.mid" --json
    measure generate pytorch "$PY" bench/speed_ref.py sample "${LSTM642[@]}" --tokens "$TOKENS" --warmup 0
    measure generate "pytorch --no-mkldnn" "$PY" bench/speed_ref.py sample "${LSTM642[@]}" \
        --tokens "$TOKENS" --warmup 0 --no-mkldnn
    measure train-lstm euterpe "$TOKEN_SPEED" --cell lstm --steps 5
    measure train-lstm pytorch "$PY" bench/speed_ref.py train --cell lstm --steps 5
    measure train-transformer euterpe "$TOKEN_SPEED" --cell transformer --steps 2
    measure train-transformer pytorch "$PY" bench/speed_ref.py train --cell transformer --steps 2
    measure train-jsb euterpe "$BIN" train --config configs/jsb-lstm.toml --data "$DATA" \
        --out "$SCRATCH/run" --set train.epochs=1 --json
    measure train-jsb pytorch "$PY" bench/memory_ref.py --data "$DATA"
done

{
    echo "* Command: \`bash bench/memory.sh\` (REPEATS=$REPEATS, median; peak RSS from GNU time's %M)"
    echo "* Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "* Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc --all)"
    echo "* Versions: PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), Python $("$PY" -c 'import platform; print(platform.python_version())'); $(rustc --version)"
    echo "* 32 bars from the built-in folk model: $TOKENS tokens"
    echo
    "$PYTHON" - "$RSS" <<'EOF'
import statistics, sys
from collections import defaultdict

rows = [
    ("floor", "Process floor: `euterpe --version` / `python -c \"import torch\"`"),
    ("generate", "`generate`, built-in folk model (REMI LSTM 2 × 256), 32 bars"),
    ("train-lstm", "Training, token LSTM 2 × 256, batch 32 × 128, 7 steps"),
    ("train-transformer", "Training, token Transformer 4 × 256, batch 32 × 256, 4 steps"),
    ("train-jsb", "Training, JSB Chorales LSTM (configs/jsb-lstm.toml), 1 epoch + valid"),
]
kib = defaultdict(list)
for line in open(sys.argv[1]):
    row, tool, value = line.rstrip("\n").split("\t")
    kib[(row, tool)].append(int(value))

def mib(row, tool):
    v = kib[(row, tool)]
    med = statistics.median(v) / 1024
    return med, f"{med:,.0f} ({min(v) / 1024:,.0f}–{max(v) / 1024:,.0f})"

print("| workload | euterpe MiB (range) | PyTorch MiB (range) | PyTorch ÷ euterpe |")
print("|---|---:|---:|---:|")
for row, label in rows:
    ours, ours_text = mib(row, "euterpe")
    theirs, theirs_text = mib(row, "pytorch")
    print(f"| {label} | {ours_text} | {theirs_text} | {theirs / ours:.1f}× |")
    if (row, "pytorch --no-mkldnn") in kib:
        other, other_text = mib(row, "pytorch --no-mkldnn")
        print(f"| … PyTorch with `--no-mkldnn` | | {other_text} | {other / ours:.1f}× |")
EOF
} | tee "$OUT/table.md"
