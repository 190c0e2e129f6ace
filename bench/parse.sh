#!/usr/bin/env bash
# MIDI parse benchmark: euterpe against symusic and pretty_midi, "parse plus note extraction"
# throughput per CPU-second, single-threaded.
#
#   bash bench/parse.sh
#
# Sets up bench/.venv (pinned symusic and pretty_midi), builds the parse_bench example in release
# mode, lists every MIDI file of the four shared corpora, runs all tools interleaved for ROUNDS rounds
# (the machine is shared and noisy), prints a markdown table and writes it into docs/benchmarks.md
# under "## MIDI parsing". Raw results go to bench/out/parse/.
#
# Environment: ROUNDS (3), REPS (3, repetitions per run; the best counts), SUBSET (200, files for the
# pretty_midi comparison), EUTERPE_SHARED_DATA (../shared/data), PYTHON (python3, to create the venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=${ROUNDS:-3}
REPS=${REPS:-3}
SUBSET=${SUBSET:-200}
DATA=${EUTERPE_SHARED_DATA:-../shared/data}
PYTHON=${PYTHON:-python3}
SYMUSIC_VERSION=0.6.0
PRETTY_MIDI_VERSION=0.2.11.post0
VENV=bench/.venv
OUT=bench/out/parse
BENCH=target/release/examples/parse_bench

# The machine, before the thread limits below (GNU nproc obeys OMP_NUM_THREADS).
CORES=$(nproc)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

# One thread everywhere: numpy's OpenBLAS would otherwise start worker threads whose spinning is
# charged to the Python process's CPU time.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1

log() { echo "[parse.sh] $*" >&2; }

# --- Python references --------------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
log "installing symusic==$SYMUSIC_VERSION pretty_midi==$PRETTY_MIDI_VERSION into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "symusic==$SYMUSIC_VERSION" "pretty_midi==$PRETTY_MIDI_VERSION" "mido==1.3.3" "numpy==2.4.6"
PY=$VENV/bin/python

# --- euterpe ----------------------------------------------------------------------------------------
log "building the parse_bench example (release)"
cargo build --quiet --release -p euterpe-music --example parse_bench

# --- file lists -------------------------------------------------------------------------------------
mkdir -p "$OUT"
ALL=$OUT/files_all.txt
SUB=$OUT/files_subset.txt
for dir in emopia/midi vgmidi/midi pop909 essen/midi; do
    [[ -d $DATA/$dir ]] || { log "missing corpus $DATA/$dir"; exit 1; }
done
find "$DATA/emopia/midi" "$DATA/vgmidi/midi" "$DATA/pop909" "$DATA/essen/midi" \
    -type f -iname '*.mid' | LC_ALL=C sort >"$ALL"
TOTAL=$(wc -l <"$ALL")
# Every k-th file of the sorted list: a spread over all four corpora in their proportions.
STEP=$(((TOTAL + SUBSET - 1) / SUBSET))
awk -v step="$STEP" '(NR - 1) % step == 0' "$ALL" >"$SUB"
log "$TOTAL files; pretty_midi subset: $(wc -l <"$SUB") files (every ${STEP}th)"

# --- note counts (untimed) ----------------------------------------------------------------------------
# Every tool on every file, once (pretty_midi takes about a minute of it).
log "counting notes per file with each tool"
"$BENCH" "$ALL" --reps 1 --counts "$OUT/counts_euterpe.tsv" >/dev/null
for tool in symusic pretty_midi; do
    arg=$([[ $tool == symusic ]] && echo symusic-ticks || echo pretty_midi)
    "$PY" bench/parse_ref.py "$ALL" --tool "$arg" --reps 1 --counts "$OUT/counts_$tool.tsv" >/dev/null
done

# --- timed runs, interleaved ------------------------------------------------------------------------
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
# One run: NAME SET TOOL, where SET is all or subset and TOOL is euterpe, euterpe-ticks or a
# parse_ref.py tool. Appends {"round", "name", "set", "result"} to $RESULTS.
run_one() {
    local name=$1 set=$2 tool=$3 list json
    list=$([[ $set == all ]] && echo "$ALL" || echo "$SUB")
    log "round $round/$ROUNDS: $name on $set"
    case $tool in
        euterpe) json=$("$BENCH" "$list" --reps "$REPS") ;;
        euterpe-ticks) json=$("$BENCH" "$list" --reps "$REPS" --mode ticks) ;;
        *) json=$("$PY" bench/parse_ref.py "$list" --tool "$tool" --reps "$REPS") ;;
    esac
    printf '{"round": %d, "name": "%s", "set": "%s", "result": %s}\n' \
        "$round" "$name" "$set" "$json" >>"$RESULTS"
}
RUNS=(
    "euterpe|all|euterpe"
    "euterpe (ticks only)|all|euterpe-ticks"
    "symusic (ticks)|all|symusic-ticks"
    "symusic (seconds)|all|symusic-seconds"
    "euterpe|subset|euterpe"
    "symusic (seconds)|subset|symusic-seconds"
    "pretty_midi|subset|pretty_midi"
)
for ((round = 1; round <= ROUNDS; round++)); do
    # Rotate the order each round so that no tool always runs first or last.
    for ((i = 0; i < ${#RUNS[@]}; i++)); do
        IFS='|' read -r name set tool <<<"${RUNS[(i + round - 1) % ${#RUNS[@]}]}"
        run_one "$name" "$set" "$tool"
    done
done

# --- table and docs -----------------------------------------------------------------------------------
BENCH_COMMAND="bash bench/parse.sh"
if [[ $ROUNDS != 3 || $REPS != 3 || $SUBSET != 200 ]]; then
    BENCH_COMMAND="ROUNDS=$ROUNDS REPS=$REPS SUBSET=$SUBSET $BENCH_COMMAND"
fi
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_MACHINE="$CPU_MODEL, nproc $CORES"
BENCH_RUSTC=$(rustc --version)
BENCH_PYTHON=$("$PY" --version 2>&1)
BENCH_ROUNDS=$ROUNDS BENCH_REPS=$REPS BENCH_STEP=$STEP BENCH_OUT=$OUT
export BENCH_COMMAND BENCH_DATE BENCH_MACHINE BENCH_RUSTC BENCH_PYTHON BENCH_ROUNDS BENCH_REPS \
    BENCH_STEP BENCH_OUT
"$PY" bench/parse_ref.py --report "$RESULTS"
