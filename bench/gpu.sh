#!/usr/bin/env bash
# GPU training throughput: euterpe's token models on burn's CUDA backend against the same models in
# PyTorch on the same GPU, the same shapes as the CPU table of bench/speed.sh, interleaved rounds.
#
# Two halves, because the GPU machine has PyTorch but no Rust toolchain and no network:
#
#   bash bench/gpu.sh build            # here: builds token_speed with --features cuda into .gpu/
#   bash bench/gpu.sh run [OUTDIR]     # on the GPU machine, from the repository root, with .gpu/
#                                      # carried: runs both tools, writes OUTDIR/gpu.jsonl and
#                                      # OUTDIR/gpu.md (a markdown table), prints the table
#
# Environment: CELLS ("lstm transformer"), ROUNDS (3), STEPS (20 timed steps), WARMUP (5),
# BATCH (empty: the CPU table's 32), CUDARC_CUDA_VERSION (13000 for CUDA 13.0, at build time),
# PYTHON (python3: the GPU machine's interpreter with PyTorch).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN_DIR=.gpu
BIN=$BIN_DIR/token_speed
log() { echo "[gpu.sh] $*" >&2; }

build() {
    export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-13000}
    log "building token_speed with --features cuda (CUDA $CUDARC_CUDA_VERSION)"
    cargo build --quiet --release -p euterpe-train --features cuda --example token_speed
    mkdir -p "$BIN_DIR"
    # Not committed: the folder is ignored, and travels to the GPU machine as a carried path.
    local exclude
    exclude=$(git rev-parse --git-path info/exclude)
    mkdir -p "$(dirname "$exclude")"
    grep -qx "/$BIN_DIR/" "$exclude" 2>/dev/null || echo "/$BIN_DIR/" >>"$exclude"
    cp target/release/examples/token_speed "$BIN"
    strip "$BIN"
    log "$BIN: $(du -h "$BIN" | cut -f1); carry '$BIN_DIR' and run: bash bench/gpu.sh run \$OUT"
}

run() {
    local out=${1:-bench/out/gpu}
    local python=${PYTHON:-python3}
    local rounds=${ROUNDS:-3} steps=${STEPS:-20} warmup=${WARMUP:-5}
    local batch_args=()
    [[ -n ${BATCH:-} ]] && batch_args=(--batch "$BATCH")
    [[ -x $BIN ]] || { log "missing $BIN: run 'bash bench/gpu.sh build' where Rust is, carry $BIN_DIR"; exit 1; }
    mkdir -p "$out"
    local results=$out/gpu.jsonl
    : >"$results"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out/gpu.txt" || true
    for round in $(seq "$rounds"); do
        for cell in ${CELLS:-lstm transformer}; do
            log "round $round/$rounds: $cell euterpe"
            "$BIN" --device cuda --cell "$cell" --steps "$steps" --warmup "$warmup" "${batch_args[@]}" \
                | tail -1 | sed "s/^{/{\"round\":$round,/" >>"$results"
            log "round $round/$rounds: $cell pytorch"
            "$python" bench/speed_ref.py train --device cuda --cell "$cell" --steps "$steps" \
                --warmup "$warmup" "${batch_args[@]}" | tail -1 | sed "s/^{/{\"round\":$round,/" >>"$results"
        done
    done
    "$python" - "$results" "$out/gpu.txt" >"$out/gpu.md" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
gpu = open(sys.argv[2]).read().strip() or "unknown GPU"
print(f"GPU: {gpu}; torch {next((r['torch'] for r in rows if 'torch' in r), '?')}\n")
print("| model | tool | batch × seq | tokens/s (range) | mean loss | euterpe ÷ tool |")
print("|---|---|---|---:|---:|---:|")
for cell in dict.fromkeys(r["cell"] for r in rows):
    rates = {}
    for tool in ("euterpe", "pytorch"):
        mine = [r for r in rows if r["cell"] == cell and r["tool"] == tool]
        if mine:
            rates[tool] = (statistics.median(r["tokens_per_s"] for r in mine), mine)
    ours = rates.get("euterpe", (None,))[0]
    for tool, (median, mine) in rates.items():
        lo, hi = min(r["tokens_per_s"] for r in mine), max(r["tokens_per_s"] for r in mine)
        ratio = "1.00 (reference)" if tool == "euterpe" else (f"{ours / median:.2f}×" if ours else "")
        loss = statistics.median(r["mean_loss"] for r in mine)
        print(f"| {cell} | {tool} | {mine[0]['batch']} × {mine[0]['seq']} | {median:,.0f} ({lo:,.0f}–{hi:,.0f}) | {loss:.3f} | {ratio} |")
EOF
    cat "$out/gpu.md"
}

case ${1:-} in
    build) build ;;
    run) run "${2:-}" ;;
    *) echo "usage: bash bench/gpu.sh build | run [OUTDIR]" >&2; exit 2 ;;
esac
