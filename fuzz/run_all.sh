#!/bin/bash
# Runs every fuzz target in turn for SECONDS each (default 300) from its seed corpus
# (fuzz/corpus/seed/<target>, written by fuzz/seeds.sh) and its working corpus
# (fuzz/corpus/<target>), and prints one line per target: executions, seconds, executions per
# second, coverage, corpus size and what libFuzzer found. Run from the repository root.
#
#   bash fuzz/seeds.sh && bash fuzz/run_all.sh 300 [TARGET...]
#
# SANITIZER=none runs builds without the address sanitizer (in fuzz/target-nosan): 3-10 times
# more inputs per second for the same coverage instrumentation, for long runs of safe Rust code;
# the default (address) also catches memory errors in unsafe code and C dependencies.
#
# One worker per target (the machines have two cores); logs in fuzz/logs/<target>[-none].log,
# findings in fuzz/artifacts/<target>/.
set -uo pipefail
seconds=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse_midi token_file token_json vocab_json polyphonic_json soundfont model_config model_weights audio_decode)
fi
export RUSTC_BOOTSTRAP=1
sanitizer=${SANITIZER:-address}
build=(--sanitizer "$sanitizer")
suffix=""
if [ "$sanitizer" = none ]; then
  build+=(--target-dir fuzz/target-nosan)
  suffix="-none"
fi
mkdir -p fuzz/logs
nice -n 5 cargo fuzz build "${build[@]}" >/dev/null 2>&1 || { echo "cargo fuzz build failed" >&2; exit 1; }
printf '%-16s %12s %8s %10s %8s %8s  %s\n' target executions seconds exec/s edges corpus result
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  seeds=()
  [ -d "fuzz/corpus/seed/$t" ] && seeds=("fuzz/corpus/seed/$t")
  log="fuzz/logs/$t$suffix.log"
  start=$(date +%s.%N)
  nice -n 5 cargo fuzz run "${build[@]}" "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -ao 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  edges=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  secs=$(echo "$end - $start" | bc)
  result=clean
  [ $rc -ne 0 ] && result="rc $rc: $(grep -a -m1 -E 'ERROR|panicked|deadly signal|out-of-memory|timeout' "$log" | cut -c1-80)"
  printf '%-16s %12s %8.0f %10s %8s %8s  %s\n' "$t" "${execs:-0}" "$secs" \
    "${rate:-0}" "${edges:-?}" "$corpus" "$result"
done
