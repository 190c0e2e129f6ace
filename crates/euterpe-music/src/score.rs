//! The score: tracks of notes on a tick timeline, with tempo, time and key signatures.

use serde::{Deserialize, Serialize};

/// The General MIDI channel (0-based) reserved for percussion.
pub const DRUM_CHANNEL: u8 = 9;

/// The name POP909 (and many lead-sheet files) give the melody track.
pub const MELODY_TRACK: &str = "MELODY";

/// One note: a pitch sounding from `onset` for `duration` ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Note {
    /// Start, in ticks from the beginning of the piece.
    pub onset: u64,
    /// Length in ticks (0 is allowed for notes whose on and off coincide in the file).
    pub duration: u64,
    /// MIDI pitch, 0–127 (60 is middle C).
    pub pitch: u8,
    /// MIDI velocity, 1–127.
    pub velocity: u8,
}

impl Note {
    /// The tick at which the note stops sounding.
    pub fn offset(&self) -> u64 {
        self.onset + self.duration
    }
}

/// One instrument part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// The track name from the file (may be empty).
    pub name: String,
    /// General MIDI program, 0–127 (ignored for drum tracks).
    pub program: u8,
    /// Whether the track plays on the percussion channel.
    pub is_drum: bool,
    /// Notes, sorted by onset, then pitch.
    pub notes: Vec<Note>,
}

impl Track {
    /// An empty melodic track.
    pub fn new(name: impl Into<String>, program: u8) -> Self {
        Track {
            name: name.into(),
            program,
            is_drum: false,
            notes: Vec::new(),
        }
    }

    /// Sorts notes by (onset, pitch, duration, velocity).
    pub fn sort_notes(&mut self) {
        self.notes
            .sort_unstable_by_key(|n| (n.onset, n.pitch, n.duration, n.velocity));
    }
}

/// A tempo change at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TempoChange {
    /// Where the new tempo starts.
    pub tick: u64,
    /// Microseconds per quarter note (500,000 is 120 BPM).
    pub micros_per_beat: u32,
}

impl TempoChange {
    /// The tempo in quarter notes per minute.
    pub fn bpm(&self) -> f64 {
        60_000_000.0 / self.micros_per_beat.max(1) as f64
    }

    /// A tempo change from beats per minute.
    pub fn from_bpm(tick: u64, bpm: f64) -> Self {
        let micros = (60_000_000.0 / bpm.max(1e-3))
            .round()
            .clamp(1.0, 16_777_215.0);
        TempoChange {
            tick,
            micros_per_beat: micros as u32,
        }
    }
}

/// A time signature change at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSignature {
    /// Where it takes effect.
    pub tick: u64,
    /// Beats per bar.
    pub numerator: u8,
    /// Beat unit (4 = quarter, 8 = eighth).
    pub denominator: u8,
}

impl TimeSignature {
    /// Length of a bar in ticks at the given resolution (rounded up to a whole tick).
    pub fn bar_ticks(&self, ticks_per_beat: u32) -> u64 {
        let num = self.numerator.max(1) as u64 * 4 * ticks_per_beat as u64;
        num.div_ceil(self.denominator.max(1) as u64).max(1)
    }
}

/// A key signature change at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySignature {
    /// Where it takes effect.
    pub tick: u64,
    /// Sharps (positive) or flats (negative), −7 to 7.
    pub sharps: i8,
    /// Whether the key is minor.
    pub minor: bool,
}

/// A piece of music: tracks on a shared tick timeline.
///
/// Ticks are relative to `ticks_per_beat` (the MIDI file's resolution, or the grid of a quantised
/// score). Tempo, time and key signatures are sorted by tick; an empty tempo list means 120 BPM and an
/// empty time-signature list means 4/4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Ticks per quarter note.
    pub ticks_per_beat: u32,
    /// Tempo changes, sorted by tick.
    pub tempos: Vec<TempoChange>,
    /// Time signature changes, sorted by tick.
    pub time_signatures: Vec<TimeSignature>,
    /// Key signature changes, sorted by tick.
    pub key_signatures: Vec<KeySignature>,
    /// The parts.
    pub tracks: Vec<Track>,
}

impl Score {
    /// An empty score at the given resolution.
    pub fn new(ticks_per_beat: u32) -> Self {
        Score {
            ticks_per_beat: ticks_per_beat.max(1),
            tempos: Vec::new(),
            time_signatures: Vec::new(),
            key_signatures: Vec::new(),
            tracks: Vec::new(),
        }
    }

    /// Total number of notes in all tracks.
    pub fn note_count(&self) -> usize {
        self.tracks.iter().map(|t| t.notes.len()).sum()
    }

    /// The tick at which the last note ends (0 for a score without notes).
    pub fn end_tick(&self) -> u64 {
        self.tracks
            .iter()
            .flat_map(|t| t.notes.iter().map(Note::offset))
            .max()
            .unwrap_or(0)
    }

    /// The tempo map, for converting ticks to seconds.
    pub fn tempo_map(&self) -> TempoMap {
        TempoMap::new(self.ticks_per_beat, &self.tempos)
    }

    /// Duration of the piece in seconds, up to the end of its last note.
    pub fn duration_seconds(&self) -> f64 {
        self.tempo_map().seconds_at(self.end_tick())
    }

    /// The time signature in force at tick 0 (4/4 if none is given).
    pub fn initial_time_signature(&self) -> TimeSignature {
        match self.time_signatures.first() {
            Some(ts) if ts.tick == 0 => *ts,
            _ => TimeSignature {
                tick: 0,
                numerator: 4,
                denominator: 4,
            },
        }
    }

    /// The notes only, as a classifier that must judge music rather than file conventions sees
    /// them: the pitched tracks merged into one (program 0, no name), drum tracks dropped, every
    /// velocity 64, no tempo, key-signature or time-signature events (read as 4/4). Onsets,
    /// durations, pitches and the resolution are kept; quantising the result on a beat grid
    /// makes it independent of the file's resolution. The meter goes because files mark it by
    /// convention, not by ear: most of POP909's songs say 1/4, and a classifier that sees it
    /// learns the marking instead of the music.
    pub fn notes_only(&self) -> Score {
        let mut notes: Vec<Note> = self
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| t.notes.iter())
            .map(|n| Note {
                velocity: NOTES_ONLY_VELOCITY,
                ..*n
            })
            .collect();
        notes.sort_by_key(|n| (n.onset, n.pitch, std::cmp::Reverse(n.duration)));
        // The same note in two tracks (doubled parts) is one note, the longest, once merged.
        notes.dedup_by_key(|n| (n.onset, n.pitch));
        let mut score = Score::new(self.ticks_per_beat);
        if !notes.is_empty() {
            score.tracks.push(Track {
                name: String::new(),
                program: 0,
                is_drum: false,
                notes,
            });
        }
        score
    }

    /// The melody track: the one named `name` (case aside, with notes), else the non-drum track
    /// highest on average (the usual place of a tune in a file that does not name it).
    pub fn melody_track(&self, name: &str) -> Option<usize> {
        let named = self
            .tracks
            .iter()
            .position(|t| t.name.trim().eq_ignore_ascii_case(name) && !t.notes.is_empty());
        named.or_else(|| {
            self.tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| !t.is_drum && !t.notes.is_empty())
                .map(|(i, t)| {
                    let mean =
                        t.notes.iter().map(|n| n.pitch as f64).sum::<f64>() / t.notes.len() as f64;
                    (i, mean)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        })
    }

    /// The score with its melody alone ([`Score::melody_track`] with [`MELODY_TRACK`]), in bars
    /// of four beats: tempo and keys kept, time signatures dropped, as the lead-sheet reader of
    /// the melody GAN reads bars (files mark meter by convention: most of POP909's songs say 1/4
    /// or 2/4 for music in 4/4). No tracks at all when it has no notes.
    pub fn melody_only(&self) -> Score {
        let mut score = Score {
            ticks_per_beat: self.ticks_per_beat,
            tempos: self.tempos.clone(),
            time_signatures: Vec::new(),
            key_signatures: self.key_signatures.clone(),
            tracks: Vec::new(),
        };
        if let Some(i) = self.melody_track(MELODY_TRACK) {
            score.tracks.push(self.tracks[i].clone());
        }
        score
    }

    /// Summary figures of the score.
    pub fn stats(&self) -> ScoreStats {
        let mut stats = ScoreStats {
            tracks: self.tracks.len(),
            notes: self.note_count(),
            duration_seconds: self.duration_seconds(),
            ..ScoreStats::default()
        };
        for note in self.tracks.iter().flat_map(|t| t.notes.iter()) {
            stats.min_pitch = Some(stats.min_pitch.map_or(note.pitch, |p| p.min(note.pitch)));
            stats.max_pitch = Some(stats.max_pitch.map_or(note.pitch, |p| p.max(note.pitch)));
        }
        let bpms: Vec<f64> = if self.tempos.is_empty() {
            vec![120.0]
        } else {
            self.tempos.iter().map(TempoChange::bpm).collect()
        };
        stats.min_bpm = bpms.iter().copied().fold(f64::INFINITY, f64::min);
        stats.max_bpm = bpms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        stats.time_signatures = self
            .time_signatures
            .iter()
            .map(|ts| format!("{}/{}", ts.numerator, ts.denominator))
            .collect();
        if stats.time_signatures.is_empty() {
            stats.time_signatures.push("4/4".to_string());
        }
        stats.time_signatures.dedup();
        stats
    }
}

/// The velocity of every note of [`Score::notes_only`].
pub const NOTES_ONLY_VELOCITY: u8 = 64;

/// Summary figures of one score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreStats {
    /// Number of tracks.
    pub tracks: usize,
    /// Number of notes.
    pub notes: usize,
    /// Seconds from the start to the end of the last note.
    pub duration_seconds: f64,
    /// Lowest pitch, if any note.
    pub min_pitch: Option<u8>,
    /// Highest pitch, if any note.
    pub max_pitch: Option<u8>,
    /// Slowest tempo in BPM.
    pub min_bpm: f64,
    /// Fastest tempo in BPM.
    pub max_bpm: f64,
    /// Time signatures in order of appearance, e.g. "3/4".
    pub time_signatures: Vec<String>,
}

/// Converts ticks to seconds through a list of tempo changes.
#[derive(Debug, Clone)]
pub struct TempoMap {
    /// (tick, seconds at that tick, seconds per tick from there on)
    segments: Vec<(u64, f64, f64)>,
}

impl TempoMap {
    /// Builds the map; tempo changes must be sorted by tick. No tempo at tick 0 means 120 BPM until
    /// the first change.
    pub fn new(ticks_per_beat: u32, tempos: &[TempoChange]) -> Self {
        let tpb = ticks_per_beat.max(1) as f64;
        let per_tick = |micros: u32| micros as f64 / 1e6 / tpb;
        let mut segments = vec![(0u64, 0.0f64, per_tick(500_000))];
        for tempo in tempos {
            let &(tick, secs, spt) = segments.last().expect("segments is never empty");
            let at = tempo.tick.max(tick);
            let secs_at = secs + (at - tick) as f64 * spt;
            if at == tick {
                segments.pop();
            }
            segments.push((at, secs_at, per_tick(tempo.micros_per_beat)));
        }
        TempoMap { segments }
    }

    /// Seconds from the start of the piece to `tick`.
    pub fn seconds_at(&self, tick: u64) -> f64 {
        let idx = self.segments.partition_point(|s| s.0 <= tick);
        let (start, secs, spt) = self.segments[idx.saturating_sub(1)];
        secs + (tick - start) as f64 * spt
    }

    /// The tick at `seconds` from the start (the inverse of [`seconds_at`](Self::seconds_at),
    /// rounded to the nearest tick; negative times give tick 0).
    pub fn tick_at(&self, seconds: f64) -> u64 {
        let idx = self.segments.partition_point(|s| s.1 <= seconds);
        let (start, secs, spt) = self.segments[idx.saturating_sub(1)];
        let ticks = ((seconds - secs) / spt).round();
        if ticks.is_finite() && ticks > 0.0 {
            start + ticks as u64
        } else {
            start
        }
    }

    /// A note's onset and offset in seconds.
    pub fn note_seconds(&self, note: &Note) -> (f64, f64) {
        (self.seconds_at(note.onset), self.seconds_at(note.offset()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tempo_map_integrates_tempo_changes() {
        // 120 BPM for one beat (0.5 s), then 60 BPM for one beat (1 s).
        let tempos = [
            TempoChange {
                tick: 0,
                micros_per_beat: 500_000,
            },
            TempoChange {
                tick: 480,
                micros_per_beat: 1_000_000,
            },
        ];
        let map = TempoMap::new(480, &tempos);
        assert!((map.seconds_at(480) - 0.5).abs() < 1e-9);
        assert!((map.seconds_at(960) - 1.5).abs() < 1e-9);
        assert!((map.seconds_at(240) - 0.25).abs() < 1e-9);
        for tick in [0, 240, 480, 700, 960] {
            assert_eq!(map.tick_at(map.seconds_at(tick)), tick);
        }
        assert_eq!(map.tick_at(-1.0), 0);
    }

    #[test]
    fn bar_length_follows_time_signature() {
        let ts = |n, d| TimeSignature {
            tick: 0,
            numerator: n,
            denominator: d,
        };
        assert_eq!(ts(4, 4).bar_ticks(4), 16);
        assert_eq!(ts(3, 4).bar_ticks(4), 12);
        assert_eq!(ts(6, 8).bar_ticks(4), 12);
        assert_eq!(ts(5, 16).bar_ticks(4), 5);
    }
}
