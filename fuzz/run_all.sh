#!/bin/bash
# Runs every fuzz target in turn for SECONDS each (default 300) from its seed corpus
# (fuzz/corpus/seed/<target>, written by fuzz/seeds.sh) and its working corpus
# (fuzz/corpus/<target>), and prints one line per target: executions, seconds, executions per
# second, coverage, corpus size and what libFuzzer found. Run from the repository root.
#
#   bash fuzz/seeds.sh && bash fuzz/run_all.sh 300 [TARGET...]
#
# One worker per target (the machines have two cores); logs in fuzz/logs/<target>.log, findings
# in fuzz/artifacts/<target>/.
set -uo pipefail
seconds=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse_midi token_file token_json vocab_json polyphonic_json soundfont model_config model_weights)
fi
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/logs
nice -n 5 cargo fuzz build >/dev/null 2>&1 || { echo "cargo fuzz build failed" >&2; exit 1; }
printf '%-16s %12s %8s %10s %8s %8s  %s\n' target executions seconds exec/s edges corpus result
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/corpus/seed/$t" ] && seeds=("fuzz/corpus/seed/$t")
  log="fuzz/logs/$t.log"
  start=$(date +%s.%N)
  nice -n 5 cargo fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  secs=$(echo "$end - $start" | bc)
  result=clean
  [ $rc -ne 0 ] && result="rc $rc: $(grep -m1 -E 'ERROR|panicked|deadly signal|out-of-memory|timeout' "$log" | cut -c1-80)"
  printf '%-16s %12s %8.0f %10.0f %8s %8s  %s\n' "$t" "${execs:-0}" "$secs" \
    "$(echo "${execs:-0} / $secs" | bc -l)" "${edges:-?}" "$corpus" "$result"
done
