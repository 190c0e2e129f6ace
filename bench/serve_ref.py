"""The Python alternative to `euterpe serve` for bench/serve.sh: Flask + PyTorch behind gunicorn.

What a Python user would write to serve a token LSTM over HTTP: one model per worker process,
`POST /generate_music` with a JSON body, a piece written to disk per request.

    gunicorn -w 2 --pythonpath bench 'serve_ref:create_app(tokens_per_bar=14.5)'
    python bench/serve_ref.py --port 8081 --tokens-per-bar 14.5     # Flask's development server

`POST /generate_music` takes JSON {"bars": 8, "seed": 1, "temperature": 1.0} (all optional) and:

1. samples round(tokens_per_bar * bars) tokens, batch 1, one token per step from token 1 with the
   carried (h, c) state, under torch.no_grad(): Embedding(vocab 642, 64) -> nn.LSTM(64, 256,
   2 layers) -> Linear(256, 642), the shape of euterpe's built-in folk model. The weights are
   random (seeded): the benchmark measures serving cost, not music;
2. turns the tokens into notes with a stand-in decoder (one note per 4 tokens, evenly spaced over
   the bars, pitch and velocity taken from the token ids): an untrained model's tokens do not
   follow the REMI grammar, and decoding costs next to nothing either way;
3. writes ID.mid with mido and, unless render=False, ID.wav with the FluidSynth command line
   (44.1 kHz stereo, its default reverb and chorus, the same SoundFont as euterpe) and ID.png,
   a piano roll drawn with matplotlib (16 px per beat, 5 px per semitone, like euterpe's);
4. answers JSON {"id", "notes", "new_tokens", "generation_seconds", "links"} like euterpe.

Each worker keeps its own pieces under STORE/ and removes its oldest past store_bytes / workers
(euterpe caps its store at 512 MiB in all). `GET /health` answers {"status": "ok"}. Each worker
runs PyTorch on one thread (torch.set_num_threads(1)).

create_app keywords: tokens_per_bar (required), render (True), soundfont (TimGM6mb), store
(a temporary folder), store_bytes (512 MiB), workers (2, to split store_bytes), vocab (642),
embedding (64), hidden (256), layers (2), seed (1), mkldnn (True: stock PyTorch; False turns
oneDNN off, which is several times faster for batch-1 LSTM steps, see docs/benchmarks.md).
"""

import argparse
import collections
import os
import secrets
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mido  # noqa: E402
import torch  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from torch import nn  # noqa: E402

START_TOKEN = 1
TICKS_PER_BEAT = 480
BEATS_PER_BAR = 4
TEMPO_BPM = 120
MAX_BARS = 64
DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"


class TokenLstm(nn.Module):
    """Embedding -> stacked LSTM -> vocabulary logits (bench/speed_ref.py's RecurrentLm)."""

    def __init__(self, vocab, embedding, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.core = nn.LSTM(embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def step(self, ids, state):
        """Logits [1, vocab] after feeding ids [1, 1], and the new (h, c)."""
        h, state = self.core(self.embedding(ids), state)
        return self.head(h[:, -1]), state


def sample(model, tokens, temperature, generator):
    """`tokens` token ids sampled one at a time from START_TOKEN, state carried."""
    state = None
    token = torch.tensor([[START_TOKEN]])
    out = []
    with torch.no_grad():
        for _ in range(tokens):
            logits, state = model.step(token, state)
            probs = torch.softmax(logits / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)
            out.append(int(token))
    return out


def to_notes(ids, bars):
    """Stand-in decoder: (onset beat, beats, pitch, velocity) per 4 tokens, over `bars` bars."""
    groups = [ids[i : i + 4] for i in range(0, len(ids) - 3, 4)]
    if not groups:
        return []
    step = bars * BEATS_PER_BAR / len(groups)
    return [
        (i * step, step, 48 + g[0] % 36, 40 + g[1] % 80) for i, g in enumerate(groups)
    ]


def write_midi(notes, path):
    """One piano track at TEMPO_BPM."""
    events = []
    for onset, beats, pitch, velocity in notes:
        start = round(onset * TICKS_PER_BEAT)
        end = round((onset + beats) * TICKS_PER_BEAT)
        events.append((start, 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((end, 0, mido.Message("note_off", note=pitch, velocity=0)))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO_BPM))])
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT, tracks=[track]).save(path)


def render_wav(midi, wav, soundfont):
    """FluidSynth's command line, as midi2audio and most tutorials call it."""
    subprocess.run(
        ["fluidsynth", "-ni", "-q", "-F", str(wav), "-r", "44100", "-T", "wav", soundfont, str(midi)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def plot_piano_roll(notes, path):
    """Notes as bars, 16 px per beat, 5 px per semitone with 2 semitones' margin."""
    low = min(n[2] for n in notes) - 2
    high = max(n[2] for n in notes) + 2
    beats = max(n[0] + n[1] for n in notes)
    dpi = 100
    width = min(max(beats * 16, 320), 4000) / dpi
    height = (high - low + 1) * 5 / dpi + 0.4
    fig, ax = plt.subplots(figsize=(width, height), dpi=dpi)
    for onset, length, pitch, velocity in notes:
        ax.broken_barh([(onset, length)], (pitch - 0.4, 0.8), color=plt.cm.viridis(velocity / 127))
    ax.set_xlim(0, beats)
    ax.set_ylim(low, high)
    ax.set_xlabel("beat")
    fig.savefig(path)
    plt.close(fig)


class PieceStore:
    """A folder of pieces; this worker's oldest are removed past its share of the cap."""

    def __init__(self, folder, cap_bytes):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cap = cap_bytes
        self.pieces = collections.deque()
        self.bytes = 0
        self.lock = threading.Lock()

    def add(self, paths):
        size = sum(p.stat().st_size for p in paths)
        with self.lock:
            self.pieces.append((paths, size))
            self.bytes += size
            while self.bytes > self.cap and len(self.pieces) > 1:
                old, old_size = self.pieces.popleft()
                self.bytes -= old_size
                for p in old:
                    p.unlink(missing_ok=True)


def create_app(
    tokens_per_bar,
    render=True,
    soundfont=DEFAULT_SOUNDFONT,
    store=None,
    store_bytes=512 << 20,
    workers=2,
    vocab=642,
    embedding=64,
    hidden=256,
    layers=2,
    seed=1,
    mkldnn=True,
):
    """The Flask app with its model; gunicorn calls this once in every worker process."""
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = mkldnn
    torch.manual_seed(seed)
    model = TokenLstm(vocab, embedding, hidden, layers).eval()
    pieces = PieceStore(store or tempfile.mkdtemp(prefix="serve_ref."), store_bytes // workers)
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return jsonify(status="ok", pid=os.getpid())

    @app.post("/generate_music")
    def generate_music():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="expected a JSON object"), 400
        try:
            bars = int(body.get("bars", 8))
            temperature = float(body.get("temperature", 1.0))
            piece_seed = body.get("seed")
            piece_seed = secrets.randbits(63) if piece_seed is None else int(piece_seed)
        except (TypeError, ValueError) as e:
            return jsonify(error=str(e)), 400
        if not 1 <= bars <= MAX_BARS or not 0.0 < temperature <= 10.0:
            return jsonify(error=f"bars must be 1–{MAX_BARS}, temperature in (0, 10]"), 400
        t0 = time.perf_counter()
        ids = sample(model, round(tokens_per_bar * bars), temperature,
                     torch.Generator().manual_seed(piece_seed))
        generation_seconds = time.perf_counter() - t0
        notes = to_notes(ids, bars)
        piece = secrets.token_hex(8)
        midi = pieces.folder / f"{piece}.mid"
        write_midi(notes, midi)
        files = [midi]
        if render and notes:
            wav, png = pieces.folder / f"{piece}.wav", pieces.folder / f"{piece}.png"
            render_wav(midi, wav, soundfont)
            plot_piano_roll(notes, png)
            files += [wav, png]
        pieces.add(files)
        return jsonify(
            id=piece,
            notes=len(notes),
            new_tokens=len(ids),
            generation_seconds=generation_seconds,
            links={p.suffix[1:]: f"/pieces/{p.name}" for p in files},
        )

    return app


def main():
    p = argparse.ArgumentParser(description="Flask's development server (gunicorn for the bench)")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--tokens-per-bar", type=float, required=True)
    p.add_argument("--no-render", action="store_true", help="MIDI only: no WAV, no PNG")
    p.add_argument("--no-mkldnn", action="store_true")
    a = p.parse_args()
    app = create_app(a.tokens_per_bar, render=not a.no_render, mkldnn=not a.no_mkldnn)
    app.run(host="127.0.0.1", port=a.port, threaded=False)


if __name__ == "__main__":
    main()
