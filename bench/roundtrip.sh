#!/usr/bin/env bash
# The full tokenisation round-trip sweep: every MIDI file under ../shared/data, both vocabularies,
# 4 and 12 grid positions per beat. Prints a markdown table and writes it into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${EUTERPE_SHARED_DATA:-../shared/data}
cargo build --release --quiet -p euterpe
BIN=target/release/euterpe
table="| scheme | positions/beat | files | notes | tokens | mismatched notes | failed files | wall s |
|---|---:|---:|---:|---:|---:|---:|---:|"
for scheme in remi midi-like; do
  for ppb in 4 12; do
    start=$(date +%s.%N)
    json=$("$BIN" data roundtrip "$DATA" --scheme "$scheme" --positions-per-beat "$ppb" --json)
    end=$(date +%s.%N)
    row=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f, n, t, m, bad = d["files"], d["notes"], d["tokens"], d["mismatched_notes"], len(d["failures"])
print(f"| {sys.argv[2]} | {sys.argv[3]} | {f:,} | {n:,} | {t:,} | {m} | {bad} | {float(sys.argv[4]):.2f} |")
' "$json" "$scheme" "$ppb" "$(echo "$end - $start" | bc)")
    table="$table
$row"
  done
done
section="## Tokenisation round trip

Every MIDI file under \`../shared/data\` is parsed, quantised, encoded, decoded and compared note by note
(track, onset, pitch, duration, velocity bin). Wall time includes parsing, on $(nproc) cores (rayon).

* Command: \`bash bench/roundtrip.sh\`
* Date: $(date -u '+%Y-%m-%d %H:%M UTC')

$table
"
echo "$section"
python3 - "$section" <<'PY'
import re, sys, pathlib
path = pathlib.Path("docs/benchmarks.md")
text = path.read_text() if path.exists() else "# Benchmarks\n"
section = sys.argv[1].rstrip() + "\n"
pattern = re.compile(r"^## Tokenisation round trip\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
path.write_text(text)
PY
