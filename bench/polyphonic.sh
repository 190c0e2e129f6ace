#!/usr/bin/env bash
# Quality on the four polyphonic benchmarks: trains every configs/<dataset>-<model>.toml named on
# the command line (default: all of them) on the dataset's train split, with early stopping on
# valid, evaluates the best epoch on valid, and writes the table into docs/benchmarks.md.
#   bash bench/polyphonic.sh                      # every config
#   bash bench/polyphonic.sh jsb-lstm jsb-gru     # some
# Trained models go to bench/out/poly/<name>/ and are reused unless FORCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${EUTERPE_SHARED_DATA:-../shared/data}/polyphonic
OUT=bench/out/poly
mkdir -p "$OUT"
cargo build --release --quiet -p euterpe
BIN=target/release/euterpe

dataset_file() {
  case "$1" in
    jsb) echo "$DATA/jsb_chorales.json" ;;
    nottingham) echo "$DATA/nottingham.json" ;;
    piano) echo "$DATA/piano_midi.json" ;;
    musedata) echo "$DATA/musedata.json" ;;
    *) echo "unknown dataset prefix $1" >&2; exit 1 ;;
  esac
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  # Frame models only: configs/piano.toml and its kin are the token generator's.
  for f in configs/{jsb,nottingham,piano,musedata}-*.toml; do
    grep -q '^kind = "frame_lm"' "$f" && names+=("$(basename "$f" .toml)")
  done
fi
for name in "${names[@]}"; do
  data=$(dataset_file "${name%%-*}")
  dir="$OUT/$name"
  if [ "${FORCE:-0}" = 1 ] || [ ! -f "$dir/weights.bin" ] || [ ! -f "$dir/card.md" ]; then
    rm -rf "$dir"
    echo "== training $name" >&2
    "$BIN" train --config "configs/$name.toml" --data "$data" --out "$dir" --json > "$dir.summary.json"
  fi
  "$BIN" eval --model "$dir" --data "$data" --split valid --json > "$dir.eval.json"
done

python3 - "$OUT" <<'PY'
import json, pathlib, re, subprocess, sys, datetime
out = pathlib.Path(sys.argv[1])
published = {  # test-set NLL per frame, as reported in the literature
    ("jsb", "rnn"): "8.91 (RNN)", ("jsb", "lstm"): "8.45 (LSTM)", ("jsb", "gru"): "8.54 (GRU)",
    ("jsb", "lstm-nade"): "5.56 (RNN-NADE)", ("jsb", "transformer"): "8.10 (TCN)",
    ("nottingham", "lstm"): "3.29 (LSTM)", ("nottingham", "lstm-nade"): "2.31 (RNN-NADE)",
    ("nottingham", "rnn"): "4.46 (RNN)", ("nottingham", "gru"): "3.46 (GRU)",
    ("piano", "lstm-nade"): "7.05 (RNN-NADE)", ("musedata", "lstm-nade"): "5.60 (RNN-NADE)",
}
rows = []
for ev in sorted(out.glob("*.eval.json")):
    name = ev.name[: -len(".eval.json")]
    e = json.loads(ev.read_text())
    card = (out / name / "card.md").read_text()
    secs = re.search(r"Training time: ([0-9.]+) s", card)
    epochs = re.search(r"Epochs: (\d+) \(best: (\d+)\)", card)
    params = re.search(r"([0-9]+) parameters", card)
    ds, model = name.split("-", 1)
    rows.append(f"| {ds} | {model} | {e['nll']:.3f} | {published.get((ds, model), '–')} | "
                f"{epochs.group(1) if epochs else '?'} (best {epochs.group(2) if epochs else '?'}) | "
                f"{float(secs.group(1)) / 60 if secs else float('nan'):.1f} | {params.group(1) if params else '?'} |")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
section = f"""## Polyphonic music benchmarks (quality)

Frame-level NLL in nats per time step (Bernoulli NLL summed over the 88 keys; the first step of each
sequence not scored; total over all scored steps of all sequences divided by their count), on the
**valid** splits: the test splits are not in `../shared/data`. Published figures are on test and are a
guide only. Each model trains on the train split with early stopping on valid; its config is
`configs/<dataset>-<model>.toml`.

* Command: `bash bench/polyphonic.sh` (or with config names)
* Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; machine: {cpu}, `nproc` {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}

| dataset | model | valid NLL | published (test) | epochs | train minutes | parameters |
|---|---|---:|---|---|---:|---:|
""" + "\n".join(rows) + "\n"
path = pathlib.Path("docs/benchmarks.md")
text = path.read_text() if path.exists() else "# Benchmarks\n"
pattern = re.compile(r"^## Polyphonic music benchmarks \(quality\)\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
path.write_text(text)
print(section)
PY
