//! A score as a time-ordered list of note-on and note-off events at sample frames.
//!
//! The list is proportional to the number of notes, not to the length of the audio; it is built
//! once per render and walked with a cursor while blocks are rendered.

use euterpe_music::Score;

/// The shortest sounding time given to a note, in seconds. Notes of zero length (on and off at
/// the same tick, common for drums) would otherwise be switched off before they are switched on.
pub(crate) const MIN_NOTE_SECONDS: f64 = 0.01;

/// What happens at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A note starts.
    On {
        /// MIDI velocity, 1–127.
        velocity: u8,
    },
    /// A note stops (its release begins).
    Off,
}

/// One event: a note of a track starts or stops at a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    /// Sample frame from the start of the piece.
    pub frame: u64,
    /// Index of the track in the score.
    pub track: usize,
    /// Identifies the note across its on and off events (its rank in the score).
    pub note_id: u32,
    /// MIDI pitch, 0–127.
    pub pitch: u8,
    /// On or off.
    pub kind: EventKind,
}

/// The events of a score, sorted by frame; at one frame, offs come before ons (so that a repeated
/// note is released before it is struck again), then by track and note.
///
/// Notes with a pitch above 127 or a velocity of 0 are skipped: they cannot sound.
pub(crate) fn score_events(score: &Score, sample_rate: u32) -> Vec<Event> {
    let map = score.tempo_map();
    let sr = sample_rate as f64;
    let min_frames = (MIN_NOTE_SECONDS * sr).ceil().max(1.0) as u64;
    let mut events = Vec::with_capacity(score.note_count() * 2);
    let mut note_id: u32 = 0;
    for (track, t) in score.tracks.iter().enumerate() {
        for note in &t.notes {
            note_id = note_id.wrapping_add(1);
            if note.pitch > 127 || note.velocity == 0 {
                continue;
            }
            let (on_s, off_s) = map.note_seconds(note);
            let on = (on_s * sr).round() as u64;
            let off = ((off_s * sr).round() as u64).max(on + min_frames);
            let base = Event {
                frame: on,
                track,
                note_id,
                pitch: note.pitch,
                kind: EventKind::On {
                    velocity: note.velocity.min(127),
                },
            };
            events.push(base);
            events.push(Event {
                frame: off,
                kind: EventKind::Off,
                ..base
            });
        }
    }
    events.sort_unstable_by_key(|e| {
        let order = match e.kind {
            EventKind::Off => 0u8,
            EventKind::On { .. } => 1,
        };
        (e.frame, order, e.track, e.note_id)
    });
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use euterpe_music::{Note, Track};

    #[test]
    fn zero_length_notes_get_a_minimum_duration_and_offs_come_first() {
        let mut score = Score::new(480);
        let mut track = Track::new("t", 0);
        track.notes.push(Note {
            onset: 0,
            duration: 480,
            pitch: 60,
            velocity: 100,
        });
        track.notes.push(Note {
            onset: 480,
            duration: 0,
            pitch: 60,
            velocity: 100,
        });
        score.tracks.push(track);
        let events = score_events(&score, 44_100);
        assert_eq!(events.len(), 4);
        // 120 BPM: one beat is 0.5 s = 22,050 frames.
        assert_eq!(events[0].frame, 0);
        assert_eq!((events[1].frame, events[1].kind), (22_050, EventKind::Off));
        assert_eq!(events[2].frame, 22_050);
        assert!(matches!(events[2].kind, EventKind::On { .. }));
        assert_eq!(events[3].frame, 22_050 + 441);
    }
}
