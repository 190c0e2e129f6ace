//! The names of the metrics: a stable list that tables, JSON and set-level statistics share.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::MetricsError;

/// One per-piece metric. The order of [`Metric::ALL`] is the order of every table and list; new
/// metrics are appended, never inserted, so that the list stays stable.
///
/// Serialised as its snake_case [`name`](Metric::name), e.g. `"pitch_class_entropy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Number of notes in all tracks, drums included.
    NoteCount,
    /// Length of the piece in quarter-note beats, up to the end of its last note.
    DurationBeats,
    /// Highest minus lowest pitch (drums excluded).
    PitchRange,
    /// Number of distinct MIDI pitches (drums excluded).
    NPitchesUsed,
    /// Number of distinct pitch classes (drums excluded).
    NPitchClassesUsed,
    /// Mean number of distinct pitches sounding over the ticks where at least one sounds.
    Polyphony,
    /// Fraction of all ticks with more than the threshold (default 2) distinct pitches sounding.
    PolyphonyRate,
    /// Fraction of notes in the scale of the estimated key (Krumhansl–Kessler profiles).
    PitchInScaleRate,
    /// Largest fraction of notes in any of the 24 major and natural-minor scales.
    ScaleConsistency,
    /// Base-2 entropy of the note-count histogram over the 128 pitches.
    PitchEntropy,
    /// Base-2 entropy of the note-count histogram over the 12 pitch classes.
    PitchClassEntropy,
    /// Fraction of quarter-note beats in which no note (drums included) sounds.
    EmptyBeatRate,
    /// One minus the mean normalised Hamming distance between consecutive bars' onset patterns.
    GrooveConsistency,
}

impl Metric {
    /// Every metric, in the stable order.
    pub const ALL: [Metric; 13] = [
        Metric::NoteCount,
        Metric::DurationBeats,
        Metric::PitchRange,
        Metric::NPitchesUsed,
        Metric::NPitchClassesUsed,
        Metric::Polyphony,
        Metric::PolyphonyRate,
        Metric::PitchInScaleRate,
        Metric::ScaleConsistency,
        Metric::PitchEntropy,
        Metric::PitchClassEntropy,
        Metric::EmptyBeatRate,
        Metric::GrooveConsistency,
    ];

    /// The snake_case name used in JSON, tables and on the command line (MusPy's function name
    /// where MusPy has the metric).
    pub fn name(self) -> &'static str {
        match self {
            Metric::NoteCount => "note_count",
            Metric::DurationBeats => "duration_beats",
            Metric::PitchRange => "pitch_range",
            Metric::NPitchesUsed => "n_pitches_used",
            Metric::NPitchClassesUsed => "n_pitch_classes_used",
            Metric::Polyphony => "polyphony",
            Metric::PolyphonyRate => "polyphony_rate",
            Metric::PitchInScaleRate => "pitch_in_scale_rate",
            Metric::ScaleConsistency => "scale_consistency",
            Metric::PitchEntropy => "pitch_entropy",
            Metric::PitchClassEntropy => "pitch_class_entropy",
            Metric::EmptyBeatRate => "empty_beat_rate",
            Metric::GrooveConsistency => "groove_consistency",
        }
    }

    /// The names of all metrics, in the stable order.
    pub fn names() -> [&'static str; 13] {
        Metric::ALL.map(Metric::name)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = MetricsError;

    /// Parses a metric's [`name`](Metric::name).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| MetricsError::UnknownMetric {
                name: s.to_string(),
                known: Metric::names().join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>().ok(), Some(m));
            assert_eq!(
                serde_json::to_string(&m).ok(),
                Some(format!("\"{}\"", m.name()))
            );
        }
        let err = "polyphonyy".parse::<Metric>().err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("polyphonyy") && e.contains("groove_consistency")));
    }
}
