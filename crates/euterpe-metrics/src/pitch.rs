//! Pitch statistics: histograms, entropies, scales and key estimation.
//!
//! Only notes of non-drum tracks are counted here: a drum track's "pitch" names an instrument, not
//! a pitch.

use std::fmt;
use std::str::FromStr;

use euterpe_music::{Note, Score};
use serde::{Deserialize, Serialize};

use crate::MetricsError;

const PITCH_CLASS_NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// Pitch classes of the major scale on C (MusPy's mask).
const MAJOR_SCALE: [bool; 12] = [
    true, false, true, false, true, true, false, true, false, true, false, true,
];
/// Pitch classes of the natural minor scale on C (MusPy's mask).
const MINOR_SCALE: [bool; 12] = [
    true, false, true, true, false, true, false, true, true, false, true, false,
];

/// A major or (natural) minor key.
///
/// Serialised as its name, e.g. `"Eb major"` or `"F# minor"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Key {
    /// Pitch class of the tonic, 0–11 (0 is C).
    pub tonic: u8,
    /// Whether the key is minor.
    pub minor: bool,
}

impl Key {
    /// All 24 keys: the 12 major keys from C, then the 12 minor keys from C.
    pub fn all() -> impl Iterator<Item = Key> {
        [false, true]
            .into_iter()
            .flat_map(|minor| (0..12).map(move |tonic| Key { tonic, minor }))
    }

    /// Whether a pitch (any octave) belongs to the key's scale (major, or natural minor).
    pub fn contains(self, pitch: u8) -> bool {
        let mask = if self.minor {
            &MINOR_SCALE
        } else {
            &MAJOR_SCALE
        };
        mask[(pitch as usize + 12 - self.tonic as usize % 12) % 12]
    }

    /// The key a number of semitones higher.
    pub fn transposed(self, semitones: i32) -> Key {
        Key {
            tonic: (self.tonic as i32 + semitones).rem_euclid(12) as u8,
            minor: self.minor,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.minor { "minor" } else { "major" };
        write!(f, "{} {mode}", PITCH_CLASS_NAMES[self.tonic as usize % 12])
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.to_string()
    }
}

impl FromStr for Key {
    type Err = MetricsError;

    /// Parses `"<tonic> major"` or `"<tonic> minor"`, with the tonic spelled as `Display` spells it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| MetricsError::InvalidKey {
            name: s.to_string(),
            reason: reason.to_string(),
        };
        let (tonic, mode) = s
            .split_once(' ')
            .ok_or_else(|| invalid("expected \"<tonic> major\" or \"<tonic> minor\""))?;
        let minor = match mode {
            "major" => false,
            "minor" => true,
            _ => return Err(invalid("the mode must be `major` or `minor`")),
        };
        let tonic = PITCH_CLASS_NAMES
            .iter()
            .position(|n| *n == tonic)
            .ok_or_else(|| {
                invalid("unknown tonic (expected C, C#, D, Eb, E, F, F#, G, Ab, A, Bb or B)")
            })?;
        Ok(Key {
            tonic: tonic as u8,
            minor,
        })
    }
}

impl TryFrom<String> for Key {
    type Error = MetricsError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Counts over the pitched (non-drum) notes of a score.
#[derive(Debug, Clone)]
pub(crate) struct PitchHistogram {
    /// Notes per MIDI pitch.
    pub counts: [u64; 128],
    /// Ticks of sounding per pitch class (for key estimation).
    pub class_ticks: [u64; 12],
    /// Number of pitched notes.
    pub notes: u64,
}

impl PitchHistogram {
    /// Counts the notes of the score's non-drum tracks.
    pub fn of(score: &Score) -> Self {
        let mut h = PitchHistogram {
            counts: [0; 128],
            class_ticks: [0; 12],
            notes: 0,
        };
        for note in pitched_notes(score) {
            let pitch = note.pitch.min(127) as usize;
            h.counts[pitch] += 1;
            h.class_ticks[pitch % 12] = h.class_ticks[pitch % 12].saturating_add(note.duration);
            h.notes += 1;
        }
        h
    }

    /// Notes per pitch class.
    pub fn class_counts(&self) -> [u64; 12] {
        let mut classes = [0u64; 12];
        for (pitch, &n) in self.counts.iter().enumerate() {
            classes[pitch % 12] += n;
        }
        classes
    }

    /// Highest minus lowest pitch; `None` without notes.
    pub fn range(&self) -> Option<u8> {
        let lowest = self.counts.iter().position(|&n| n > 0)?;
        let highest = self.counts.iter().rposition(|&n| n > 0)?;
        Some((highest - lowest) as u8)
    }

    /// Fraction of notes whose pitch lies in the key's scale; `None` without notes.
    pub fn in_scale_rate(&self, key: Key) -> Option<f64> {
        if self.notes == 0 {
            return None;
        }
        let in_scale: u64 = (0u8..128)
            .filter(|&p| key.contains(p))
            .map(|p| self.counts[p as usize])
            .sum();
        Some(in_scale as f64 / self.notes as f64)
    }

    /// The largest in-scale rate over the 24 keys (MusPy's `scale_consistency`).
    pub fn scale_consistency(&self) -> Option<f64> {
        Key::all()
            .filter_map(|k| self.in_scale_rate(k))
            .max_by(f64::total_cmp)
    }

    /// The key whose Krumhansl–Kessler profile correlates best with the duration-weighted
    /// pitch-class histogram (the Krumhansl–Schmuckler algorithm). Falls back to note counts when
    /// every note has zero duration; `None` without notes. Ties go to the first key of
    /// [`Key::all`]; a flat histogram (every class equally present) gives C major, whose scale
    /// holds 7/12 of the notes as every scale does.
    pub fn estimate_key(&self) -> Option<Key> {
        if self.notes == 0 {
            return None;
        }
        let weights = if self.class_ticks.iter().any(|&t| t > 0) {
            self.class_ticks
        } else {
            self.class_counts()
        };
        euterpe_music::key::best_key(&weights).map(|(tonic, minor)| Key { tonic, minor })
    }
}

/// Base-2 Shannon entropy of a histogram; `None` when it is empty.
pub(crate) fn entropy_bits(counts: &[u64]) -> Option<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let total = total as f64;
    Some(
        counts
            .iter()
            .filter(|&&n| n > 0)
            .map(|&n| {
                let p = n as f64 / total;
                -p * p.log2()
            })
            .sum::<f64>()
            .max(0.0),
    )
}

/// The notes of the score's non-drum tracks.
pub(crate) fn pitched_notes(score: &Score) -> impl Iterator<Item = &Note> {
    score
        .tracks
        .iter()
        .filter(|t| !t.is_drum)
        .flat_map(|t| t.notes.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip() {
        for key in Key::all() {
            assert_eq!(key.to_string().parse::<Key>().ok(), Some(key));
        }
        assert!("H major".parse::<Key>().is_err());
        assert!("C dorian".parse::<Key>().is_err());
        assert!("Cmajor".parse::<Key>().is_err());
    }

    #[test]
    fn scales_follow_muspy_masks() {
        let c_major = Key {
            tonic: 0,
            minor: false,
        };
        let a_minor = Key {
            tonic: 9,
            minor: true,
        };
        for pitch in 0..128u8 {
            assert_eq!(c_major.contains(pitch), a_minor.contains(pitch));
        }
        assert!(c_major.contains(64) && !c_major.contains(61));
        let g_major = c_major.transposed(7);
        assert!(g_major.contains(66) && !g_major.contains(65));
        assert_eq!(c_major.transposed(-1).tonic, 11);
    }

    #[test]
    fn entropy_of_uniform_histograms() {
        let h = entropy_bits(&[3, 3, 3, 3]).unwrap_or(f64::NAN);
        assert!((h - 2.0).abs() < 1e-12);
        assert_eq!(entropy_bits(&[0, 5, 0]), Some(0.0));
        assert_eq!(entropy_bits(&[0, 0]), None);
    }
}
