#!/usr/bin/env bash
# Serving under load: `euterpe serve` against the server a Python user would write instead
# (bench/serve_ref.py: Flask + PyTorch under gunicorn), one after the other in the same run.
#
#   bash bench/serve.sh
#
# Builds euterpe (release), installs wrk and fluidsynth with apt-get when missing (needs root),
# and sets up bench/.venv-torch (bench/requirements-torch.txt) plus Flask, gunicorn, mido and
# matplotlib when missing. Then, for each server in turn: start it on loopback with WORKERS
# workers, warm it up with sequential requests, read its memory (VmRSS, and PSS, summed over
# gunicorn's master and workers) and CPU time, run wrk (CONNECTIONS connections, DURATION
# seconds, POST /generate_music {"bars": BARS, "seed": fresh}; bench/serve_wrk.lua), read memory
# and CPU time again, and stop it.
#
# euterpe goes first: its warm-up requests are also SAMPLES pieces with seeds 1..SAMPLES whose
# mean `new_tokens` (tokens for BARS bars) the Python server is then told to sample per request.
# The Python server runs twice: stock PyTorch, and with oneDNN turned off (faster for batch-1
# LSTM steps; see "Generation speed" in docs/benchmarks.md).
#
# Writes "## Serving" into docs/benchmarks.md (bench/serve_report.py); raw wrk reports, server
# logs and JSON go to bench/out/serve/.
#
# Environment: DURATION (60), CONNECTIONS (64), WORKERS (nproc), BARS (8), SAMPLES (24),
# PORT (18080; the Python server uses PORT+1), VENV (bench/.venv-torch), PYTHON (python3, to
# create the venv), SF2 (the TimGM6mb SoundFont, given to both servers).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
# nproc honours OMP_NUM_THREADS, which this script sets to 1 for PyTorch further down.
NPROC=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
WORKERS=${WORKERS:-$NPROC}
BARS=${BARS:-8}
SAMPLES=${SAMPLES:-24}
PORT=${PORT:-18080}
VENV=${VENV:-bench/.venv-torch}
PYTHON=${PYTHON:-python3}
SF2=${SF2:-/usr/share/sounds/sf2/TimGM6mb.sf2}
OUT=bench/out/serve
BIN=target/release/euterpe
# The queue holds every connection beyond the busy workers, so euterpe never answers 503, and
# its request timeout (queue included) matches wrk's.
QUEUE=$CONNECTIONS
TIMEOUT_S=120

log() { echo "[serve.sh] $*" >&2; }

# --- tools -----------------------------------------------------------------------------------

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[[ -f $SF2 ]] || missing+=(timgm6mb-soundfont)
if ((${#missing[@]})); then
    # No recommends: fluidsynth's would pull in Qt and a second SoundFont (FluidR3_GM), which
    # euterpe would then pick as the system default.
    log "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
[[ -f $SF2 ]] || { log "missing SoundFont $SF2"; exit 1; }

if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV with PyTorch (about 5 GiB: PyPI's Linux wheel needs the CUDA libraries to load)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-torch.txt
fi
if ! "$VENV/bin/python" -c 'import flask, gunicorn, mido, matplotlib' 2>/dev/null; then
    log "installing flask, gunicorn, mido and matplotlib into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check flask gunicorn mido matplotlib
fi

log "building euterpe (release)"
cargo build --quiet --release -p euterpe

# --- helpers ---------------------------------------------------------------------------------

mkdir -p "$OUT"
SERVER_PID=
STORE=
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    if [[ -n $STORE ]]; then rm -rf "$STORE"; fi
    STORE=
}
trap stop_server EXIT

# The server's processes: the PID and its children (gunicorn's workers).
server_pids() {
    echo "$1"
    pgrep -P "$1" || true
}

# One JSON object: summed VmRSS and PSS (KiB) and CPU seconds (user + system, with waited-for
# children such as fluidsynth) of the server's processes, and how many there are.
server_usage() {
    local rss=0 pss=0 ticks=0 n=0 pid stat
    local hz
    hz=$(getconf CLK_TCK)
    for pid in $(server_pids "$1"); do
        [[ -r /proc/$pid/status ]] || continue
        rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
        pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
        # Fields after the ")" of /proc/PID/stat: utime, stime, cutime, cstime are 12-15.
        stat=$(sed 's/.*) //' "/proc/$pid/stat")
        ticks=$((ticks + $(awk '{print $12 + $13 + $14 + $15}' <<<"$stat")))
        n=$((n + 1))
    done
    printf '{"rss_kib": %d, "pss_kib": %d, "cpu_s": %s, "processes": %d}' \
        "$rss" "$pss" "$(awk -v t="$ticks" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')" "$n"
}

wait_healthy() {
    local url=$1
    for _ in $(seq 600); do
        curl -fsS "$url/health" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { log "the server exited"; return 1; }
        sleep 0.1
    done
    log "no answer from $url/health in 60 s"
    return 1
}

# Sequential requests with seeds 1..N; {"seconds": wall time, "answer": the JSON answer}, one
# a line, go to $3.
sequential() {
    local url=$1 n=$2 out=$3 seed seconds
    : >"$out"
    for seed in $(seq "$n"); do
        seconds=$(curl -fsS -o "$out.body" -w '%{time_total}' -X POST \
            -H 'Content-Type: application/json' -d "{\"bars\": $BARS, \"seed\": $seed}" \
            "$url/generate_music")
        printf '{"seconds": %s, "answer": %s}\n' "$seconds" "$(cat "$out.body")" >>"$out"
    done
    rm -f "$out.body"
}

# Warm-up, memory before, wrk, memory after, for the server already started as SERVER_PID.
measure() {
    local name=$1 url=$2 warmup=$3
    wait_healthy "$url"
    log "$name: warming up ($warmup sequential requests)"
    sequential "$url" "$warmup" "$OUT/$name.warmup.jsonl"
    local before after
    before=$(server_usage "$SERVER_PID")
    log "$name: wrk, $CONNECTIONS connections, ${DURATION}s"
    BARS=$BARS wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout "${TIMEOUT_S}s" --latency \
        -s bench/serve_wrk.lua "$url" | tee "$OUT/$name.wrk.txt" >&2
    after=$(server_usage "$SERVER_PID")
    printf '{"name": "%s", "pid": %d, "before": %s, "after": %s, "loadavg": "%s"}\n' \
        "$name" "$SERVER_PID" "$before" "$after" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        >"$OUT/$name.usage.json"
}

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# --- euterpe ---------------------------------------------------------------------------------

# An explicit store that stop_server removes: euterpe's default temporary folder outlives a
# SIGTERM (about 512 MiB of pieces per run).
STORE=$(mktemp -d "${TMPDIR:-/tmp}/serve_euterpe.XXXXXX")
log "euterpe serve: $WORKERS workers, queue $QUEUE, timeout ${TIMEOUT_S}s"
"$BIN" serve --addr "127.0.0.1:$PORT" --workers "$WORKERS" --queue "$QUEUE" \
    --timeout "$TIMEOUT_S" --soundfont "$SF2" --store "$STORE" >"$OUT/euterpe.log" 2>&1 &
SERVER_PID=$!
measure euterpe "http://127.0.0.1:$PORT" "$SAMPLES"
stop_server

TOKENS_PER_BAR=$("$VENV/bin/python" -c '
import json, sys
rows = [json.loads(l)["answer"] for l in open(sys.argv[1]) if l.strip()]
print(sum(r["new_tokens"] for r in rows) / len(rows) / int(sys.argv[2]))
' "$OUT/euterpe.warmup.jsonl" "$BARS")
log "euterpe: $(awk -v t="$TOKENS_PER_BAR" -v b="$BARS" 'BEGIN {printf "%.1f", t * b}') tokens per $BARS bars on average"

# --- Flask + PyTorch under gunicorn ------------------------------------------------------------

# flask: stock PyTorch; flask-no-onednn: torch.backends.mkldnn.enabled = False.
for variant in flask flask-no-onednn; do
    mkldnn=True
    [[ $variant == flask-no-onednn ]] && mkldnn=False
    STORE=$(mktemp -d "${TMPDIR:-/tmp}/serve_ref.XXXXXX")
    log "$variant: gunicorn, $WORKERS sync workers"
    "$VENV/bin/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$((PORT + 1))" \
        --pythonpath bench --access-logfile - --control-socket "$STORE/gunicorn.ctl" \
        "serve_ref:create_app(tokens_per_bar=$TOKENS_PER_BAR, soundfont='$SF2', store='$STORE/pieces', workers=$WORKERS, mkldnn=$mkldnn)" \
        >"$OUT/$variant.log" 2>&1 &
    SERVER_PID=$!
    # Four requests per worker: sync workers take connections as they come, so each gets some.
    measure "$variant" "http://127.0.0.1:$((PORT + 1))" $((4 * WORKERS))
    stop_server
done

# --- report ----------------------------------------------------------------------------------

export BENCH_DATE BENCH_MACHINE BENCH_RUSTC
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $NPROC"
BENCH_RUSTC=$(rustc --version)
"$VENV/bin/python" bench/serve_report.py --out "$OUT" --docs docs/benchmarks.md \
    --duration "$DURATION" --connections "$CONNECTIONS" --workers "$WORKERS" --bars "$BARS" \
    --tokens-per-bar "$TOKENS_PER_BAR" --samples "$SAMPLES"
