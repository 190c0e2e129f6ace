#!/usr/bin/env python3
"""Writes librosa's reference arrays for euterpe-audio's tests (the files beside this script).

Run from the repository root with the librosa venv of the audio benchmark (bench/audio.sh
creates it; or by hand: `python3 -m venv bench/.venv-librosa` and
`bench/.venv-librosa/bin/pip install 'librosa==0.11.*'`):

    bench/.venv-librosa/bin/python crates/euterpe-audio/tests/data/make_reference.py

Options: --shared DIR (the shared data folder, default ../shared/data relative to the repository
root), --out DIR (default: this script's folder).

Input: <shared>/audio/sonicpi_ambi_piano_22k_mono.wav (22.05 kHz mono 16-bit, 61,999 samples),
loaded with ``y, sr = librosa.load(path, sr=None)`` (no resampling; soundfile; float32 samples
int16 / 32768). Everything else uses librosa's defaults (n_fft 2048, hop 512, Hann window,
centred frames with constant (zero) padding). Writes, all float32, shape (bins, frames):

* ambi_piano_mfcc.npy       librosa.feature.mfcc(y=y, sr=22050)                      (20, frames)
* ambi_piano_mel.npy        librosa.feature.melspectrogram(y=y, sr=22050)            (128, frames)
* ambi_piano_stft_mag.npy   np.abs(librosa.stft(y))                                  (1025, frames)
                            all frames if the file stays under 600 KB, else the first 32 frames
                            (reference.json says which: "stft_mag_frames")
* ambi_piano_chroma.npy     librosa.feature.chroma_stft(y=y, sr=22050, tuning=0.0)  (12, frames)
* reference.json            versions, the exact calls, shapes, and y's sample count, first 8
                            samples, first non-zero samples and maximum absolute value.

The arrays are plain .npy (version 1.0, little-endian '<f4', C order).
"""

import argparse
import hashlib
import json
import os
import platform
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import warnings  # noqa: E402

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import soundfile  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]  # crates/euterpe-audio/tests/data -> repository root
WAV = "audio/sonicpi_ambi_piano_22k_mono.wav"
STFT_LIMIT = 600 * 1024  # bytes
STFT_FRAMES_IF_TOO_BIG = 32


def save(out, name, array):
    path = out / name
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))
    return {"file": name, "shape": list(array.shape), "dtype": "float32",
            "bytes": path.stat().st_size}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", default=str(REPO / ".." / "shared" / "data"),
                   help="shared data folder (default: ../shared/data from the repository root)")
    p.add_argument("--out", default=str(HERE), help="output folder (default: this script's)")
    args = p.parse_args()
    wav = Path(args.shared) / WAV
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not wav.is_file():
        sys.exit(f"missing {wav}")

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    y, sr = librosa.load(wav, sr=None)
    assert sr == 22050, sr
    sr = 22050

    arrays = {}
    arrays["mfcc"] = save(out, "ambi_piano_mfcc.npy", librosa.feature.mfcc(y=y, sr=sr))
    arrays["mel"] = save(out, "ambi_piano_mel.npy", librosa.feature.melspectrogram(y=y, sr=sr))

    mag = np.abs(librosa.stft(y)).astype(np.float32)
    frames_all = mag.shape[1]
    # .npy header is 128 bytes for this shape
    if mag.nbytes + 128 >= STFT_LIMIT:
        mag = mag[:, :STFT_FRAMES_IF_TOO_BIG]
    arrays["stft_mag"] = save(out, "ambi_piano_stft_mag.npy", mag)
    arrays["stft_mag"]["frames_total"] = frames_all
    arrays["stft_mag"]["complete"] = mag.shape[1] == frames_all

    arrays["chroma"] = save(out, "ambi_piano_chroma.npy",
                            librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0))

    nz = int(np.flatnonzero(y)[0]) if np.any(y) else None
    reference = {
        "source": f"shared/data/{WAV}",
        "source_sha256": hashlib.sha256(wav.read_bytes()).hexdigest(),
        "versions": {"librosa": librosa.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__, "soundfile": soundfile.__version__,
                     "libsndfile": soundfile.__libsndfile_version__,
                     "python": platform.python_version()},
        "load": {"call": "y, sr = librosa.load(path, sr=None)", "sr": sr,
                 "samples": int(len(y)), "dtype": str(y.dtype),
                 "first_8": [float(v) for v in y[:8]],
                 "first_nonzero_index": nz,
                 "first_nonzero_8": [float(v) for v in y[nz:nz + 8]] if nz is not None else [],
                 "max_abs": float(np.abs(y).max()),
                 "sum": float(np.sum(y, dtype=np.float64))},
        "calls": {
            "mfcc": "librosa.feature.mfcc(y=y, sr=22050)",
            "mel": "librosa.feature.melspectrogram(y=y, sr=22050)",
            "stft_mag": "np.abs(librosa.stft(y))",
            "chroma": "librosa.feature.chroma_stft(y=y, sr=22050, tuning=0.0)",
        },
        "defaults": {
            "stft": {"n_fft": 2048, "hop_length": 512, "win_length": 2048, "window": "hann",
                     "center": True, "pad_mode": "constant"},
            "melspectrogram": {"power": 2.0, "n_mels": 128, "fmin": 0.0, "fmax": sr / 2,
                               "htk": False, "norm": "slaney"},
            "mfcc": {"n_mfcc": 20, "dct_type": 2, "norm": "ortho", "lifter": 0,
                     "log": "power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0)"},
            "chroma_stft": {"power": 2.0, "n_chroma": 12, "tuning": 0.0, "norm": "inf",
                            "ctroct": 5.0, "octwidth": 2, "base_c": True,
                            "filter_norm (librosa.filters.chroma)": 2.0},
        },
        "frames": 1 + len(y) // 512,
        "arrays": arrays,
        "stft_mag_frames": ("all" if arrays["stft_mag"]["complete"]
                            else f"first {STFT_FRAMES_IF_TOO_BIG}"),
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    for a in arrays.values():
        print(f"{a['file']}: {tuple(a['shape'])}, {a['bytes']:,} bytes")
    print(f"reference.json: {len(y)} samples, stft_mag frames: {reference['stft_mag_frames']}")


if __name__ == "__main__":
    main()
