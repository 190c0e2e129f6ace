"""Seeds of the audio_decode fuzz target: tiny real audio files.

    python3 fuzz/seeds/audio.py DATA OUT [--compressed]

Writes 16-bit mono and stereo WAVs and a 32-bit float WAV of a short sine (the standard library
only), and the first 6 kB of three MP3s of DATA/mer4q/audio (a header and a few frames). With
--compressed (needs the soundfile package) it writes the same sine as FLAC and Ogg Vorbis.
"""

import math
import struct
import sys
import wave
from pathlib import Path


def sine(rate, seconds, freq=440.0):
    return [0.5 * math.sin(2 * math.pi * freq * i / rate) for i in range(int(rate * seconds))]


def pcm16(path, rate, channels, samples):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(s * 32767)) * channels for s in samples)
        w.writeframes(frames)


def float32(path, rate, samples):
    data = b"".join(struct.pack("<f", s) for s in samples)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    Path(path).write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def main():
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    if "--compressed" in sys.argv:
        import numpy as np
        import soundfile

        y = np.array(sine(8000, 0.25), dtype=np.float32)
        soundfile.write(out / "sine.flac", y, 8000)
        soundfile.write(out / "sine.ogg", y, 8000, format="OGG", subtype="VORBIS")
        return
    pcm16(out / "mono16.wav", 8000, 1, sine(8000, 0.25))
    pcm16(out / "stereo16.wav", 22050, 2, sine(22050, 0.05))
    float32(out / "float.wav", 16000, sine(16000, 0.1))
    mp3s = sorted((data / "mer4q" / "audio").glob("*.mp3"))[:3]
    for i, mp3 in enumerate(mp3s):
        (out / f"mp3_head_{i}.mp3").write_bytes(mp3.read_bytes()[:6000])


if __name__ == "__main__":
    main()
