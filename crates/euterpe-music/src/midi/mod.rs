//! Standard MIDI File input and output.
//!
//! Reading accepts format 0, 1 and 2, running status, note-on with velocity 0 as note-off,
//! overlapping notes of one pitch (matched first-in, first-out), metrical resolutions of any size and
//! SMPTE timing (converted to a 60 BPM grid of frames). Every MIDI track is split into one
//! [`Track`](crate::Track) per (channel, program) pair, as pretty_midi and symusic do. Writing always
//! produces format 1 with a conductor track first.

mod events;
mod read;
mod write;

pub use read::{parse_midi, read_midi_file};
pub use write::{encode_midi, write_midi_file};
