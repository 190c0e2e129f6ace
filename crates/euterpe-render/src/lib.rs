//! Hearing and seeing euterpe scores: audio rendering and piano-roll pictures.
//!
//! * [`render_to_wav`] — a [`Score`](euterpe_music::Score) to a 16-bit PCM WAV file (44.1 kHz
//!   stereo by default), normalised to −1 dBFS without clipping, written atomically;
//! * [`Renderer`] — the streaming layer underneath: fixed-size blocks of `f32` samples, with memory
//!   bounded by the score and the block size, never by the length of the audio;
//! * two synthesisers: the built-in one ([`Timbre`]: additive piano, plucked strings, organ,
//!   filtered sawtooth brass and strings, noise-and-thump drums; no files needed) and SoundFont
//!   playback through `rustysynth` ([`LoadedSoundFont`], [`find_system_soundfont`]);
//! * [`plot_piano_roll`] — a PNG piano-roll with bar, beat and octave lines, one colour per track,
//!   labelled with note names, bar numbers and a legend of the tracks (bitmap text, no fonts
//!   needed).
//!
//! Everything is deterministic: the same score and options give byte-identical files.

#![warn(missing_docs)]

pub mod error;
mod events;
pub mod gm;
mod lanes;
pub mod plot;
pub mod renderer;
pub mod soundfont;
mod synth;
mod text;
pub mod wav;

pub use error::RenderError;
pub use plot::{piano_roll_png, plot_piano_roll, PianoRollLayout, PlotOptions};
pub use renderer::{AudioBlock, RenderOptions, Renderer, Synth};
pub use soundfont::{find_system_soundfont, LoadedSoundFont};
pub use synth::Timbre;
pub use wav::{render_to_wav, RenderSummary};
