//! Binary piano-rolls, and the polyphonic benchmark files of Boulanger-Lewandowski et al. (2012).

use std::path::Path;

use serde::Deserialize;

use crate::quantize::QuantizeConfig;
use crate::score::{Note, Score, Track};
use crate::MusicError;
use euterpe_base::read_file;

/// Lowest pitch of the 88-key piano range (A0).
pub const PIANO_LOWEST: u8 = 21;
/// Number of piano keys.
pub const PIANO_KEYS: usize = 88;

/// A binary piano-roll: `frames × keys` cells, `true` where a key sounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PianoRoll {
    /// MIDI pitch of key 0.
    pub lowest_pitch: u8,
    /// Number of keys per frame.
    pub keys: usize,
    /// Row-major cells, `frames * keys` long.
    pub cells: Vec<bool>,
}

impl PianoRoll {
    /// An all-silent roll.
    pub fn new(frames: usize, lowest_pitch: u8, keys: usize) -> Self {
        PianoRoll {
            lowest_pitch,
            keys,
            cells: vec![false; frames * keys],
        }
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.cells.len().checked_div(self.keys).unwrap_or(0)
    }

    /// The keys of one frame.
    pub fn frame(&self, t: usize) -> &[bool] {
        &self.cells[t * self.keys..(t + 1) * self.keys]
    }

    /// Sets one cell; pitches outside the roll's range are ignored and reported as `false`.
    pub fn set(&mut self, frame: usize, pitch: u8, on: bool) -> bool {
        let Some(key) = (pitch as usize).checked_sub(self.lowest_pitch as usize) else {
            return false;
        };
        if key >= self.keys || frame >= self.frames() {
            return false;
        }
        self.cells[frame * self.keys + key] = on;
        true
    }

    /// The roll of a score on a beat grid: frame `t` covers grid step `t`. Drum tracks are skipped;
    /// pitches outside the range are dropped.
    pub fn from_score(
        score: &Score,
        grid: &QuantizeConfig,
        lowest_pitch: u8,
        keys: usize,
    ) -> Result<Self, MusicError> {
        let q = score.quantized(grid)?;
        let mut roll = PianoRoll::new(q.end_tick() as usize, lowest_pitch, keys);
        for note in q
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| &t.notes)
        {
            for f in note.onset..note.offset() {
                roll.set(f as usize, note.pitch, true);
            }
        }
        Ok(roll)
    }

    /// A one-track score in which each run of consecutive active frames of a key is one note.
    /// Frame `t` starts at tick `t * ticks_per_frame` at resolution `ticks_per_beat`.
    pub fn to_score(&self, ticks_per_beat: u32, ticks_per_frame: u64, velocity: u8) -> Score {
        let mut score = Score::new(ticks_per_beat);
        let mut track = Track::new("piano", 0);
        for key in 0..self.keys {
            let mut start = None;
            for t in 0..=self.frames() {
                let on = t < self.frames() && self.cells[t * self.keys + key];
                match (on, start) {
                    (true, None) => start = Some(t),
                    (false, Some(s)) => {
                        track.notes.push(Note {
                            onset: s as u64 * ticks_per_frame,
                            duration: (t - s) as u64 * ticks_per_frame,
                            pitch: self.lowest_pitch + key as u8,
                            velocity,
                        });
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        track.sort_notes();
        score.tracks.push(track);
        score
    }
}

/// A sequence of frames, each the sorted list of sounding MIDI pitches.
pub type PitchSequence = Vec<Vec<u8>>;

/// One of the four polyphonic benchmark sets (JSB Chorales, Nottingham, Piano-midi.de, MuseData),
/// with whichever of the `train`, `valid` and `test` splits its file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolyphonicDataset {
    /// Training sequences.
    #[serde(default)]
    pub train: Vec<PitchSequence>,
    /// Validation sequences.
    #[serde(default)]
    pub valid: Vec<PitchSequence>,
    /// Test sequences (absent from the shared copies; accepted when present).
    #[serde(default)]
    pub test: Vec<PitchSequence>,
}

impl PolyphonicDataset {
    /// Reads a dataset file; errors name the file, the line and column of a JSON error, or the
    /// split, sequence and step of a pitch outside the 88 piano keys.
    pub fn load(path: &Path) -> Result<Self, MusicError> {
        PolyphonicDataset::from_json(&read_file(path)?, path)
    }

    /// Parses the JSON of a dataset file, with the checks of [`load`](Self::load); `path` names the
    /// file in errors (it is not read).
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Self, MusicError> {
        let invalid = |reason: String| MusicError::InvalidFile {
            path: path.to_path_buf(),
            reason,
        };
        let data: PolyphonicDataset = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("not a polyphonic dataset: {e}")))?;
        if data.train.is_empty() && data.valid.is_empty() && data.test.is_empty() {
            return Err(invalid(
                "no sequences: expected a \"train\", \"valid\" or \"test\" list".into(),
            ));
        }
        for (name, split) in data.splits() {
            for (s, seq) in split.iter().enumerate() {
                for (t, frame) in seq.iter().enumerate() {
                    if let Some(&p) = frame
                        .iter()
                        .find(|&&p| !(PIANO_LOWEST..PIANO_LOWEST + PIANO_KEYS as u8).contains(&p))
                    {
                        return Err(invalid(format!(
                            "{name} sequence {s}, step {t}: pitch {p} is outside the piano range 21–108"
                        )));
                    }
                }
            }
        }
        Ok(data)
    }

    /// The splits that hold sequences, by name.
    pub fn splits(&self) -> impl Iterator<Item = (&'static str, &Vec<PitchSequence>)> {
        [
            ("train", &self.train),
            ("valid", &self.valid),
            ("test", &self.test),
        ]
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
    }

    /// A split by name.
    pub fn split(&self, name: &str) -> Option<&Vec<PitchSequence>> {
        match name {
            "train" => Some(&self.train),
            "valid" => Some(&self.valid),
            "test" => Some(&self.test),
            _ => None,
        }
    }
}

/// The 88-key roll of a pitch sequence.
pub fn sequence_to_roll(seq: &PitchSequence) -> PianoRoll {
    let mut roll = PianoRoll::new(seq.len(), PIANO_LOWEST, PIANO_KEYS);
    for (t, frame) in seq.iter().enumerate() {
        for &p in frame {
            roll.set(t, p, true);
        }
    }
    roll
}

/// The pitch sequence of a roll.
pub fn roll_to_sequence(roll: &PianoRoll) -> PitchSequence {
    (0..roll.frames())
        .map(|t| {
            roll.frame(t)
                .iter()
                .enumerate()
                .filter(|(_, &on)| on)
                .map(|(k, _)| roll.lowest_pitch + k as u8)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_and_score_convert_both_ways() {
        let seq: PitchSequence = vec![vec![60, 64], vec![60, 64], vec![], vec![62]];
        let roll = sequence_to_roll(&seq);
        assert_eq!(roll.frames(), 4);
        assert_eq!(roll_to_sequence(&roll), seq);
        let score = roll.to_score(4, 1, 80);
        let notes = &score.tracks[0].notes;
        assert_eq!(notes.len(), 3);
        assert_eq!((notes[0].pitch, notes[0].duration), (60, 2));
        let back =
            PianoRoll::from_score(&score, &QuantizeConfig::default(), PIANO_LOWEST, PIANO_KEYS)
                .unwrap();
        assert_eq!(roll_to_sequence(&back), seq);
    }
}
