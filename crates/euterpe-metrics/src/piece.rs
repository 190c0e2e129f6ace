//! The metrics of one piece.

use euterpe_music::Score;
use serde::{Deserialize, Serialize};

use crate::pitch::{entropy_bits, PitchHistogram};
use crate::{polyphony, rhythm, Key, Metric};

/// Settings of the metrics that have parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// `polyphony_rate` counts ticks with *more than* this many distinct pitches (MusPy's
    /// `threshold`, default 2, i.e. three or more pitches).
    pub polyphony_threshold: u32,
    /// Grid positions per quarter note onto which `groove_consistency` rounds onsets (default 4,
    /// sixteenth notes, the project's quantisation default; a 4/4 bar then has 16 positions).
    pub groove_positions_per_beat: u32,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            polyphony_threshold: 2,
            groove_positions_per_beat: 4,
        }
    }
}

/// The metrics of one piece; see [`Metric`] for one line on each and the crate documentation for
/// the exact definitions.
///
/// A value that is undefined for the piece (a pitch statistic without pitched notes, a groove
/// without two bars) is `None`, serialised as `null`, where MusPy returns NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PieceMetrics {
    /// Number of notes in all tracks, drums included.
    pub note_count: usize,
    /// Ticks from 0 to the end of the last note, in quarter-note beats.
    pub duration_beats: f64,
    /// Highest minus lowest pitch of the pitched notes.
    pub pitch_range: Option<u8>,
    /// Number of distinct pitches among the pitched notes (0 without any).
    pub n_pitches_used: usize,
    /// Number of distinct pitch classes among the pitched notes (0 without any).
    pub n_pitch_classes_used: usize,
    /// Mean number of distinct pitches sounding, over the ticks where at least one sounds.
    pub polyphony: Option<f64>,
    /// Fraction of the ticks from 0 to the end with more than `polyphony_threshold` pitches.
    pub polyphony_rate: Option<f64>,
    /// The key estimated from the pitched notes (Krumhansl–Schmuckler); not a metric, but what
    /// `pitch_in_scale_rate` is measured against.
    pub key: Option<Key>,
    /// Fraction of pitched notes in the scale of `key`.
    pub pitch_in_scale_rate: Option<f64>,
    /// Largest fraction of pitched notes in one of the 24 major and natural-minor scales.
    pub scale_consistency: Option<f64>,
    /// Base-2 entropy of the pitched notes' pitch histogram.
    pub pitch_entropy: Option<f64>,
    /// Base-2 entropy of the pitched notes' pitch-class histogram.
    pub pitch_class_entropy: Option<f64>,
    /// Fraction of quarter-note beats in which no note sounds.
    pub empty_beat_rate: Option<f64>,
    /// One minus the mean normalised Hamming distance of consecutive bars' onset patterns.
    pub groove_consistency: Option<f64>,
}

impl PieceMetrics {
    /// Computes every metric with the default [`MetricsConfig`].
    pub fn compute(score: &Score) -> PieceMetrics {
        PieceMetrics::compute_with(score, &MetricsConfig::default())
    }

    /// Computes every metric with the given settings.
    pub fn compute_with(score: &Score, config: &MetricsConfig) -> PieceMetrics {
        let end = score.end_tick();
        let histogram = PitchHistogram::of(score);
        let classes = histogram.class_counts();
        let key = histogram.estimate_key();
        let poly = polyphony::polyphony(score, end, config.polyphony_threshold);
        PieceMetrics {
            note_count: score.note_count(),
            duration_beats: end as f64 / score.ticks_per_beat.max(1) as f64,
            pitch_range: histogram.range(),
            n_pitches_used: histogram.counts.iter().filter(|&&n| n > 0).count(),
            n_pitch_classes_used: classes.iter().filter(|&&n| n > 0).count(),
            polyphony: poly.polyphony,
            polyphony_rate: poly.polyphony_rate,
            key,
            pitch_in_scale_rate: key.and_then(|k| histogram.in_scale_rate(k)),
            scale_consistency: histogram.scale_consistency(),
            pitch_entropy: entropy_bits(&histogram.counts),
            pitch_class_entropy: entropy_bits(&classes),
            empty_beat_rate: rhythm::empty_beat_rate(score, end),
            groove_consistency: rhythm::groove_consistency(
                score,
                end,
                config.groove_positions_per_beat,
            ),
        }
    }

    /// The value of one metric as a number, `None` where it is undefined for this piece.
    pub fn get(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::NoteCount => Some(self.note_count as f64),
            Metric::DurationBeats => Some(self.duration_beats),
            Metric::PitchRange => self.pitch_range.map(f64::from),
            Metric::NPitchesUsed => Some(self.n_pitches_used as f64),
            Metric::NPitchClassesUsed => Some(self.n_pitch_classes_used as f64),
            Metric::Polyphony => self.polyphony,
            Metric::PolyphonyRate => self.polyphony_rate,
            Metric::PitchInScaleRate => self.pitch_in_scale_rate,
            Metric::ScaleConsistency => self.scale_consistency,
            Metric::PitchEntropy => self.pitch_entropy,
            Metric::PitchClassEntropy => self.pitch_class_entropy,
            Metric::EmptyBeatRate => self.empty_beat_rate,
            Metric::GrooveConsistency => self.groove_consistency,
        }
        .filter(|v| v.is_finite())
    }

    /// Every metric with its value, in the order of [`Metric::ALL`].
    pub fn values(&self) -> Vec<(Metric, Option<f64>)> {
        Metric::ALL.iter().map(|&m| (m, self.get(m))).collect()
    }
}
