//! Audio in for euterpe: recordings decoded, resampled and cut into clips, and the time-frequency
//! features that audio models learn from, computed exactly as librosa 0.11 computes them.
//!
//! The flow, one module per step:
//!
//! * [`decode`] — WAV, FLAC, MP3 and Ogg Vorbis files to mono `f32` samples ([`load`]), with
//!   errors that name the file and the reason;
//! * [`precheck`] — faults refused before symphonia sees a file (tag lengths that would make
//!   it allocate gigabytes);
//! * [`resample`] — a signal moved to another sample rate (22,050 Hz by default, as librosa);
//! * [`clips`] — fixed-length clips with a hop and zero padding, and peak normalisation;
//! * [`stft`], [`mel`], [`db`], [`mfcc`], [`chroma`] — the short-time Fourier transform, the
//!   Slaney mel filterbank, power to decibels, MFCC (orthonormal DCT-II) and chroma;
//! * [`features`] — the whole path, signal to a `[coefficients, frames]` [`Matrix`], frame by
//!   frame so that a long recording never needs its full spectrogram in memory;
//! * [`inverse`] — back to sound: inverse STFT, Griffin-Lim, mel to linear magnitudes (NNLS),
//!   log-mel and MFCC back to power;
//! * [`npy`] — NumPy `.npy` files in and out, so that features open in Python unchanged;
//! * [`wav`] — clips written as WAV;
//! * [`batch`] and [`stats`] — folders processed on several threads, bad files reported and
//!   skipped; what a collection holds.
//!
//! Start with [`load`] and [`features::compute`]:
//!
//! ```no_run
//! use euterpe_audio::{features, load, FeatureConfig, FeatureKind, LoadOptions};
//! let audio = load("song.mp3".as_ref(), &LoadOptions::default())?;
//! let mfcc = features::compute(&audio.samples, audio.sample_rate, &FeatureConfig::new(FeatureKind::Mfcc))?;
//! assert_eq!(mfcc.rows, 20);
//! # Ok::<(), euterpe_audio::AudioError>(())
//! ```
//!
//! This crate sits on the ground floor beside `euterpe-music`: it knows nothing of models.

pub mod batch;
pub mod chroma;
pub mod clips;
pub mod db;
pub mod decode;
mod error;
pub mod features;
pub mod files;
pub mod inverse;
pub mod mel;
pub mod mfcc;
pub mod npy;
pub mod precheck;
pub mod resample;
pub mod stats;
pub mod stft;
pub mod wav;

pub use clips::{clip_ranges, peak_normalize, ClipOptions};
pub use decode::{decode, decode_bytes, load, Audio, Decoded, LoadOptions, SourceInfo};
pub use error::AudioError;
pub use features::{FeatureConfig, FeatureKind, Matrix};
pub use files::audio_files;
