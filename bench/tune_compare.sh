#!/usr/bin/env bash
# Grid vs random vs TPE on JSB Chorales at an equal budget of trials (the tuning issue's
# evidence): each method searches configs/tune/jsb-space.toml around configs/tune/jsb-base.toml
# for TRIALS trials with median pruning, random and TPE with SEEDS seeds each (the grid is the same
# whatever the seed). TPE's first 10 trials are random, as Optuna's: give TRIALS well above 10.
# Each study trains one trial at a time (`--jobs 1`) and two studies run at once: burn's CPU
# backend has one process-wide random generator, so trials trained side by side in one process
# draw their dropout masks from it in an order that changes from run to run; one trial per
# process makes every trial repeatable. Prints, per method, the best valid NLL after each trial
# (mean over seeds), the trial at which TPE first reaches random search's final best, and what
# pruning saved.
# bench/tune_compare.sh [TRIALS] [OUT] [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-24}
out=${2:-runs/tune-compare}
seeds=${3:-3}
data=../shared/data/polyphonic/jsb_chorales.json
cargo build --release -q -p euterpe --bin euterpe
bin=target/release/euterpe
mkdir -p "$out"
run() { # method seed
  local study="$1-s$2"
  "$bin" tune --config configs/tune/jsb-base.toml --space configs/tune/jsb-space.toml \
    --data "$data" --study "$study" --storage "sqlite:$out/studies.db" --dir "$out/$study" \
    --method "$1" --grid-points 2 --trials "$trials" --jobs 1 --seed "$2" 2>/dev/null >/dev/null
  "$bin" tune --report --study "$study" --storage "sqlite:$out/studies.db" --json > "$out/$study.json"
}
# Two studies at a time, one per core.
studies=("grid 0")
for seed in $(seq 1 "$seeds"); do studies+=("random $seed" "tpe $seed"); done
for s in "${studies[@]}"; do
  run $s &
  while (($(jobs -rp | wc -l) >= 2)); do wait -n; done
done
wait
python3 - "$out" "$trials" <<'PY'
import json, sys, glob, statistics as st
out, n = sys.argv[1], int(sys.argv[2])
def curve(path):
    r = json.load(open(path))
    best, c = float("inf"), []
    for t in sorted(r["trials"], key=lambda t: t["number"]):
        if t["state"] == "complete" and t["value"] is not None:
            best = min(best, t["value"])
        c.append(best)
    return r, c
rows = {}
for m in ["grid", "random", "tpe"]:
    reps = [curve(p) for p in sorted(glob.glob(f"{out}/{m}-s*.json"))]
    rows[m] = reps
print(f"| method | runs | best valid NLL after trial {n // 4} / {n // 2} / {n} (mean) | pruned trials | CPU s saved by pruning | training s |")
print("|---|---|---|---|---|---|")
for m, reps in rows.items():
    at = lambda k: st.mean(c[min(k, len(c)) - 1] for _, c in reps)
    pruned = sum(r["pruned"] for r, _ in reps)
    saved = sum(r["pruning_saved_seconds"] for r, _ in reps)
    secs = sum(r["seconds"] for r, _ in reps)
    print(f"| {m} | {len(reps)} | {at(n // 4):.3f} / {at(n // 2):.3f} / {at(n):.3f} | {pruned} | {saved:.0f} | {secs:.0f} |")
target = st.mean(c[-1] for _, c in rows["random"])
reach = []
for _, c in rows["tpe"]:
    hit = next((i + 1 for i, v in enumerate(c) if v <= target), None)
    reach.append(hit)
print(f"\nrandom search's final best (mean of seeds): {target:.3f}; TPE reaches it at trials {reach}")
best = min((r["best"]["value"], r["best"]["config"], r["study"]) for reps in rows.values() for r, _ in reps if r["best"])
print(f"best of all: {best[0]:.3f} ({best[2]}), config {best[1]}")
PY
