#!/bin/bash
# Writes the seed corpora of every fuzz target under fuzz/corpus/seed/<target>/ from real files.
# Run from the repository root. The corpus is never committed (fuzz/.gitignore).
#
#   parse_midi       50 small MIDI files: 20 EMOPIA, 15 Essen, 15 VGMIDI (under 12 kB), a fixed pick
#   token_file       binary token files of EMOPIA, VGMIDI and Essen pieces, four tokenizer configs
#   token_json       the same as JSON
#   vocab_json       the vocabulary of each config and models/folk-lstm/vocab.json
#   polyphonic_json  excerpts of the four polyphonic benchmark files
#   soundfont        tiny SoundFonts built from scratch, and excerpts of TimGM6mb when it is
#                    installed (apt-get install timgm6mb-soundfont; or set TIMGM6MB=path)
#   audio_decode     tiny WAVs (16-bit mono and stereo, float), the first 6 kB of three mer4q MP3s,
#                    and FLAC and Ogg Vorbis when python3 has soundfile (bench/.venv-librosa)
#   model_config     every committed training config and the built-in models' config.toml
#   model_weights    weights.bin of the target's architecture, written by `euterpe train` (one
#                    epoch on four JSB chorales)
set -euo pipefail
data=${EUTERPE_SHARED_DATA:-../shared/data}
out=fuzz/corpus/seed
timgm=${TIMGM6MB:-/usr/share/sounds/sf2/TimGM6mb.sf2}
mkdir -p "$out"

# A fixed pseudo-random choice, so that runs can be compared.
pick() { shuf -n "$1" --random-source=<(openssl enc -aes-256-ctr -pass pass:"$2" -nosalt </dev/zero 2>/dev/null); }
rm -rf "$out/parse_midi" && mkdir -p "$out/parse_midi"
ls "$data"/emopia/midi/*.mid | pick 20 1 | xargs -d '\n' cp -t "$out/parse_midi/"
ls "$data"/essen/midi/*.mid | pick 15 2 | xargs -d '\n' cp -t "$out/parse_midi/"
i=0
find "$data/vgmidi/midi" -name '*.mid' -size -12k -print0 | sort -z | head -z -n 15 |
  while IFS= read -r -d '' f; do i=$((i+1)); cp "$f" "$out/parse_midi/vgmidi_$i.mid"; done

rm -rf "$out/token_file" "$out/token_json" "$out/vocab_json"
nice -n 19 cargo run -q --release -p euterpe-data --example fuzz_seeds -- "$data" "$out"
cp models/folk-lstm/vocab.json "$out/vocab_json/folk-lstm.json"

rm -rf "$out/polyphonic_json"
python3 fuzz/seeds/polyphonic.py "$data" "$out/polyphonic_json"

rm -rf "$out/soundfont"
python3 fuzz/seeds/tiny_sf2.py "$out/soundfont"
if [ -f "$timgm" ]; then
  python3 fuzz/seeds/sf2_excerpt.py "$timgm" "$out/soundfont/tim_piano.sf2" 600 0:0
  python3 fuzz/seeds/sf2_excerpt.py "$timgm" "$out/soundfont/tim_flute_strings.sf2" 300 0:73 0:48
  python3 fuzz/seeds/sf2_excerpt.py "$timgm" "$out/soundfont/tim_drums.sf2" 60 128:0
  python3 fuzz/seeds/sf2_excerpt.py "$timgm" "$out/soundfont/tim_bass_organ.sf2" 400 0:33 0:19
else
  echo "no $timgm: the soundfont seeds are the tiny SoundFonts only" >&2
fi
rm -rf "$out/audio_decode"
python3 fuzz/seeds/audio.py "$data" "$out/audio_decode"
if [ -x bench/.venv-librosa/bin/python ]; then
  bench/.venv-librosa/bin/python fuzz/seeds/audio.py "$data" "$out/audio_decode" --compressed
fi

rm -rf "$out/model_config" && mkdir -p "$out/model_config"
cp configs/*.toml "$out/model_config/"
for d in models/*/; do [ -f "$d/config.toml" ] && cp "$d/config.toml" "$out/model_config/builtin-$(basename "$d").toml"; done

rm -rf "$out/model_weights" && mkdir -p "$out/model_weights"
work=$(mktemp -d)
python3 - "$data" "$work" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + '/polyphonic/jsb_chorales.json'))
json.dump({'train': d['train'][:4], 'valid': d['valid'][:2]}, open(sys.argv[2] + '/jsb4.json', 'w'))
PY
# The architecture of fuzz_targets/model_weights.rs.
cat > "$work/config.toml" <<'TOML'
[model]
kind = "frame_lm"
head = { kind = "nade", hidden = 4 }

[model.core]
cell = "lstm"
hidden = 8
layers = 1

[train]
epochs = 1
batch_size = 2
TOML
nice -n 19 cargo run -q --release -p euterpe -- train --config "$work/config.toml" \
  --data "$work/jsb4.json" --out "$work/model" >/dev/null
cp "$work/model/weights.bin" "$out/model_weights/lstm8-nade4.bin"
rm -rf "$work"

chmod -R u+w "$out"
for d in "$out"/*/; do echo "$(basename "$d"): $(ls "$d" | wc -l) files, $(du -sh "$d" | cut -f1)"; done
