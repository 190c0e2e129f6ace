//! Quantisation: the canonical beat-grid form of a score that tokens and piano-rolls use.
//!
//! A quantised score has `ticks_per_beat == positions_per_beat`, so a tick *is* a grid step.
//! Onsets are rounded to the nearest step and durations to the nearest whole number of steps (at
//! least `min_duration`), as symusic's `resample` does. Because MIDI (and the MIDI-like vocabulary)
//! cannot tell apart two sounding notes of one pitch on one channel, overlaps are resolved the way a
//! synthesiser hears them: a note is cut where the next note of its pitch in its track begins, and of
//! several notes of one pitch starting on the same step only the longest is kept.

use serde::{Deserialize, Serialize};

use crate::score::{KeySignature, Note, Score, TempoChange, TimeSignature};
use crate::MusicError;

/// Settings of the beat grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuantizeConfig {
    /// Grid positions per quarter note. 4 (sixteenth notes, the default) suits most pop and folk
    /// music; 12 also captures eighth- and sixteenth-note triplets.
    pub positions_per_beat: u32,
    /// Shortest duration in grid steps after rounding (default 1).
    pub min_duration: u32,
}

impl Default for QuantizeConfig {
    fn default() -> Self {
        QuantizeConfig {
            positions_per_beat: 4,
            min_duration: 1,
        }
    }
}

impl QuantizeConfig {
    /// Checks that the values are usable.
    pub fn validate(&self) -> Result<(), MusicError> {
        if !(1..=480).contains(&self.positions_per_beat) {
            return Err(MusicError::InvalidConfig(format!(
                "positions_per_beat must be between 1 and 480, got {}",
                self.positions_per_beat
            )));
        }
        if self.min_duration == 0 {
            return Err(MusicError::InvalidConfig(
                "min_duration must be at least 1 step".into(),
            ));
        }
        Ok(())
    }
}

/// Rounds `tick` from resolution `from` to resolution `to`, halves away from zero.
fn rescale(tick: u64, from: u32, to: u32) -> u64 {
    let num = tick as u128 * to as u128;
    ((num + from as u128 / 2) / from as u128) as u64
}

impl Score {
    /// The score on the beat grid of `config` (see the module documentation for the rules).
    pub fn quantized(&self, config: &QuantizeConfig) -> Result<Score, MusicError> {
        config.validate()?;
        let (from, to) = (self.ticks_per_beat.max(1), config.positions_per_beat);
        let mut out = Score::new(to);
        out.tempos = dedup_by_tick(self.tempos.iter().map(|t| TempoChange {
            tick: rescale(t.tick, from, to),
            ..*t
        }));
        out.time_signatures = dedup_by_tick(self.time_signatures.iter().map(|t| TimeSignature {
            tick: rescale(t.tick, from, to),
            ..*t
        }));
        out.key_signatures = dedup_by_tick(self.key_signatures.iter().map(|k| KeySignature {
            tick: rescale(k.tick, from, to),
            ..*k
        }));
        for track in &self.tracks {
            let mut q = track.clone();
            for note in &mut q.notes {
                note.onset = rescale(note.onset, from, to);
                note.duration = rescale(note.duration, from, to).max(config.min_duration as u64);
            }
            resolve_overlaps(&mut q.notes);
            out.tracks.push(q);
        }
        Ok(out)
    }
}

/// Keeps the last of several items at the same tick (items arrive sorted by tick).
fn dedup_by_tick<T: HasTick>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        match out.last_mut() {
            Some(last) if last.tick() == item.tick() => *last = item,
            _ => out.push(item),
        }
    }
    out
}

trait HasTick {
    fn tick(&self) -> u64;
}
impl HasTick for TempoChange {
    fn tick(&self) -> u64 {
        self.tick
    }
}
impl HasTick for TimeSignature {
    fn tick(&self) -> u64 {
        self.tick
    }
}
impl HasTick for KeySignature {
    fn tick(&self) -> u64 {
        self.tick
    }
}

/// Cuts each note where the next note of the same pitch starts and drops same-onset duplicates
/// (keeping the longest). Leaves notes sorted by (onset, pitch).
pub fn resolve_overlaps(notes: &mut Vec<Note>) {
    // Sort by pitch, onset, and longest first so that the kept duplicate comes first.
    notes.sort_unstable_by(|a, b| {
        (a.pitch, a.onset, b.duration, b.velocity).cmp(&(b.pitch, b.onset, a.duration, a.velocity))
    });
    notes.dedup_by(|later, kept| later.pitch == kept.pitch && later.onset == kept.onset);
    for i in 1..notes.len() {
        let next = notes[i];
        let prev = &mut notes[i - 1];
        if prev.pitch == next.pitch && prev.offset() > next.onset {
            prev.duration = next.onset - prev.onset;
        }
    }
    notes.sort_unstable_by_key(|n| (n.onset, n.pitch));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Track;

    #[test]
    fn quantizes_to_the_grid_and_resolves_overlaps() {
        let mut score = Score::new(480);
        let mut t = Track::new("", 0);
        t.notes = vec![
            Note {
                onset: 5,
                duration: 470,
                pitch: 60,
                velocity: 64,
            }, // ~beat 0, 1 beat
            Note {
                onset: 245,
                duration: 470,
                pitch: 60,
                velocity: 64,
            }, // overlaps the first
            Note {
                onset: 2,
                duration: 10,
                pitch: 67,
                velocity: 64,
            }, // shorter than a step
            Note {
                onset: 0,
                duration: 960,
                pitch: 67,
                velocity: 64,
            }, // same step, longer: kept
        ];
        score.tracks.push(t);
        let q = score.quantized(&QuantizeConfig::default()).unwrap();
        assert_eq!(q.ticks_per_beat, 4);
        let notes = &q.tracks[0].notes;
        assert_eq!(
            notes,
            &vec![
                Note {
                    onset: 0,
                    duration: 2,
                    pitch: 60,
                    velocity: 64
                }, // cut at the next onset
                Note {
                    onset: 0,
                    duration: 8,
                    pitch: 67,
                    velocity: 64
                },
                Note {
                    onset: 2,
                    duration: 4,
                    pitch: 60,
                    velocity: 64
                },
            ]
        );
    }

    #[test]
    fn rejects_a_zero_grid() {
        let cfg = QuantizeConfig {
            positions_per_beat: 0,
            min_duration: 1,
        };
        assert!(Score::new(96).quantized(&cfg).is_err());
    }
}
