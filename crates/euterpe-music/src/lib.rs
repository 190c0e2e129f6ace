//! The music core of euterpe.
//!
//! Everything here works on one piece of music at a time:
//!
//! * [`Score`] — tracks of notes in ticks, with the tempo map, time and key signatures;
//! * [`midi`] — reading Standard MIDI Files (format 0, 1 and 2, any resolution) and writing format 1;
//! * [`quantize`] — snapping a score to a beat grid, the canonical form that tokens and piano-rolls use;
//! * [`tokens`] — the REMI and MIDI-like event vocabularies, with encode and decode;
//! * [`pianoroll`] — binary piano-rolls and the polyphonic benchmark JSON files.
//!
//! Collections of pieces (corpora, splits, caches) live in `euterpe-data`.

pub mod chord;
pub mod error;
pub mod key;
pub mod melody;
pub mod midi;
pub mod pianoroll;
pub mod quantize;
pub mod score;
pub mod tokens;

pub use chord::Chord;
pub use error::MusicError;
pub use quantize::QuantizeConfig;
pub use score::{
    KeySignature, Note, Score, ScoreStats, TempoChange, TempoMap, TimeSignature, Track,
    MELODY_TRACK,
};
