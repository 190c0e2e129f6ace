#!/usr/bin/env bash
# Old-vs-new speed of token_speed / gen_speed, interleaved (old then new, per job, per round).
#
#   bash bench/compare_commits.sh OLD_CHECKOUT NEW_CHECKOUT [OUT_JSONL]
#
# Each checkout must already hold target/release/examples/{token_speed,gen_speed}: in each,
#   cargo build --release -p euterpe-train --example token_speed -p euterpe-generate --example gen_speed
# (e.g. git worktree add ../old <commit>). The side-by-side rounds make the ratio robust on a noisy machine.
# Env: ROUNDS (5), STEPS (5), TSTEPS (3, transformer), TOKENS (2000),
#      ONLY ("kind:label ..." to run just those rows, e.g. "train:lstm sample:gru generate:folk").
# Appends one JSON object per run to OUT_JSONL (default /tmp/compare_commits.jsonl), then prints
# the summary table (python3 bench/compare_summary.py OUT_JSONL).
set -euo pipefail
OLD=$1 NEW=$2 OUTF=${3:-/tmp/compare_commits.jsonl}
ROUNDS=${ROUNDS:-5} STEPS=${STEPS:-5} TSTEPS=${TSTEPS:-3} TOKENS=${TOKENS:-2000} ONLY=${ONLY:-}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1

for d in "$OLD" "$NEW"; do
    for ex in token_speed gen_speed; do
        [[ -x $d/target/release/examples/$ex ]] || { echo "missing $d/target/release/examples/$ex" >&2; exit 1; }
    done
done

want() { [[ -z $ONLY ]] || [[ " $ONLY " == *" $1 "* ]]; }

# kind label args...
jobs=()
for cell in rnn lstm gru transformer; do
    s=$STEPS; [[ $cell == transformer ]] && s=$TSTEPS
    want "train:$cell" && jobs+=("train|$cell|token_speed --cell $cell --steps $s")
done
for cell in rnn lstm gru transformer; do
    want "sample:$cell" && jobs+=("sample|$cell|gen_speed --cell $cell --tokens $TOKENS")
done
want "generate:folk" && jobs+=("generate|folk|gen_speed --builtin folk --bars 32")

for ((r = 1; r <= ROUNDS; r++)); do
    for job in "${jobs[@]}"; do
        IFS='|' read -r kind label cmd <<<"$job"
        for side in old new; do
            dir=$OLD; [[ $side == new ]] && dir=$NEW
            echo "[compare] round $r/$ROUNDS $kind $label $side" >&2
            line=$(cd "$dir" && ./target/release/examples/$cmd | tail -n1)
            python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(kind=sys.argv[2], label=sys.argv[3], side=sys.argv[4], round=int(sys.argv[5])); print(json.dumps(d))' \
                "$line" "$kind" "$label" "$side" "$r" >>"$OUTF"
        done
    done
done
python3 "$(dirname "$0")/compare_summary.py" "$OUTF"
