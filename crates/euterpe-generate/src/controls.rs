//! What a conditioned model is asked to express — an emotion (a quadrant, or continuous valence
//! and arousal) and a style (one, or a weighted blend) — and how a request becomes the control
//! positions after `BOS`.
//!
//! A model trained with `[data] conditions` reads one control token per condition after `BOS`.
//! A blend is fed as the weighted mix of the control tokens' embeddings at that position, so
//! `pop=0.7,folk=0.3` lies between the two learned styles; valence and arousal in [-1, 1] mix
//! the four quadrants' embeddings bilinearly (the corners are the quadrants themselves).

use euterpe_data::{Condition, DataConfig};
use euterpe_music::score::Score;
use euterpe_music::tokens::{Emotion, Token};

use crate::GenerateError;

/// The classifier-free guidance front ends use when a control is asked and none is given: 3,
/// where the `piano` model (trained with condition dropout) met its emotion goal on two seeds
/// of its control evaluation with the style its own choice (its card; at 4 happy requests
/// turned tense, 1 follows the controls far less).
pub const DEFAULT_GUIDANCE: f32 = 3.0;

/// The emotion asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmotionRequest {
    /// One of the four quadrants.
    Quadrant(Emotion),
    /// A point of the valence–arousal plane, each in [-1, 1].
    ValenceArousal {
        /// Pleasant (+1) to unpleasant (-1).
        valence: f64,
        /// Energetic (+1) to calm (-1).
        arousal: f64,
    },
}

impl EmotionRequest {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), GenerateError> {
        if let EmotionRequest::ValenceArousal { valence, arousal } = *self {
            for (name, v) in [("--valence", valence), ("--arousal", arousal)] {
                if !(v.is_finite() && (-1.0..=1.0).contains(&v)) {
                    return Err(GenerateError::InvalidOptions(format!(
                        "{name} must be in [-1, 1], got {v}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Valence and arousal in [-1, 1]: a quadrant's are ±1.
    pub fn valence_arousal(&self) -> (f64, f64) {
        match *self {
            EmotionRequest::Quadrant(e) => match e.quadrant() {
                1 => (1.0, 1.0),
                2 => (-1.0, 1.0),
                3 => (-1.0, -1.0),
                _ => (1.0, -1.0),
            },
            EmotionRequest::ValenceArousal { valence, arousal } => (valence, arousal),
        }
    }

    /// The mode that carries this emotion's valence (music's most consistent valence cue):
    /// `Some(true)` minor for unpleasant, `Some(false)` major for pleasant, `None` neutral.
    pub fn mode_minor(&self) -> Option<bool> {
        let (valence, _) = self.valence_arousal();
        (valence != 0.0).then_some(valence < 0.0)
    }

    /// The weights of quadrants Q1–Q4 (summing to 1).
    pub fn weights(&self) -> [f32; 4] {
        match *self {
            EmotionRequest::Quadrant(e) => {
                let mut w = [0.0; 4];
                w[e.quadrant() as usize - 1] = 1.0;
                w
            }
            EmotionRequest::ValenceArousal { valence, arousal } => {
                let v = ((valence + 1.0) / 2.0) as f32;
                let a = ((arousal + 1.0) / 2.0) as f32;
                // Q1 (+v, +a), Q2 (−v, +a), Q3 (−v, −a), Q4 (+v, −a).
                [v * a, (1.0 - v) * a, (1.0 - v) * (1.0 - a), v * (1.0 - a)]
            }
        }
    }
}

/// A style, or a weighted blend of styles, by name; weights are normalised to sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct StyleBlend(Vec<(String, f64)>);

impl StyleBlend {
    /// The styles and their weights.
    pub fn parts(&self) -> &[(String, f64)] {
        &self.0
    }

    /// A blend of named weights (normalised), or an error naming the bad part.
    pub fn new(parts: Vec<(String, f64)>) -> Result<StyleBlend, GenerateError> {
        let bad = |m: String| Err(GenerateError::InvalidOptions(m));
        if parts.is_empty() {
            return bad("--style is empty".into());
        }
        for (i, (name, w)) in parts.iter().enumerate() {
            if name.is_empty() {
                return bad("--style has an empty style name".into());
            }
            if !(w.is_finite() && *w >= 0.0) {
                return bad(format!(
                    "--style {name}: the weight must be 0 or more, got {w}"
                ));
            }
            if parts[..i].iter().any(|(n, _)| n == name) {
                return bad(format!("--style names {name} twice"));
            }
        }
        let total: f64 = parts.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return bad("--style weights add up to 0".into());
        }
        Ok(StyleBlend(
            parts.into_iter().map(|(n, w)| (n, w / total)).collect(),
        ))
    }
}

impl std::str::FromStr for StyleBlend {
    type Err = GenerateError;

    /// `pop`, or `pop=0.7,folk=0.3`.
    fn from_str(s: &str) -> Result<StyleBlend, GenerateError> {
        let parts = s
            .split(',')
            .map(|part| {
                let part = part.trim();
                match part.split_once('=') {
                    None => Ok((part.to_string(), 1.0)),
                    Some((name, w)) => w
                        .trim()
                        .parse::<f64>()
                        .map(|w| (name.trim().to_string(), w))
                        .map_err(|_| {
                            GenerateError::InvalidOptions(format!(
                                "--style {part:?}: {w:?} is not a number (write NAME=WEIGHT, e.g. pop=0.7,folk=0.3)"
                            ))
                        }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        StyleBlend::new(parts)
    }
}

/// One control position after `BOS`: control tokens and their weights (summing to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ControlMix(pub Vec<(Token, f32)>);

impl ControlMix {
    /// The heaviest token: what the written token sequence records at this position.
    pub fn main_token(&self) -> Token {
        self.0
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|t| t.0)
            .expect("a control mix has at least one token")
    }

    /// Whether it is a single token (fed as itself).
    pub fn is_plain(&self) -> bool {
        self.0.iter().filter(|t| t.1 > 0.0).count() == 1
    }
}

/// How a model reads control tokens: its conditions in order, and the names of its style slots.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ControlLayout {
    /// The conditions, in the order of their tokens after `BOS`.
    pub conditions: Vec<Condition>,
    /// Style names, in slot order.
    pub styles: Vec<String>,
}

impl ControlLayout {
    /// The layout of a model trained with `data`.
    pub fn from_data(data: &DataConfig) -> Self {
        ControlLayout {
            conditions: data.conditions.clone(),
            styles: data.style_names(),
        }
    }

    /// Whether the model follows `condition`.
    pub fn follows(&self, condition: Condition) -> bool {
        self.conditions.contains(&condition)
    }

    /// The control positions of a request, in the model's order; a condition the model does not
    /// follow, or a style it does not know, is an error.
    pub fn mixes(
        &self,
        emotion: Option<&EmotionRequest>,
        style: Option<&StyleBlend>,
    ) -> Result<Vec<ControlMix>, GenerateError> {
        for (asked, condition) in [
            (emotion.is_some(), Condition::Emotion),
            (style.is_some(), Condition::Style),
        ] {
            if asked && !self.follows(condition) {
                return Err(GenerateError::Unsupported(format!(
                    "the model was not trained with {} conditioning",
                    condition.name()
                )));
            }
        }
        let mut mixes = Vec::new();
        for c in &self.conditions {
            match c {
                Condition::Emotion => {
                    if let Some(e) = emotion {
                        let tokens = (1..=4u8)
                            .zip(e.weights())
                            .filter(|(_, w)| *w > 0.0)
                            .map(|(q, w)| (Token::Emotion(q), w))
                            .collect();
                        mixes.push(ControlMix(tokens));
                    }
                }
                Condition::Style => {
                    if let Some(blend) = style {
                        mixes.push(self.style_mix(blend)?);
                    }
                }
            }
        }
        Ok(mixes)
    }

    fn style_mix(&self, blend: &StyleBlend) -> Result<ControlMix, GenerateError> {
        let tokens = blend
            .parts()
            .iter()
            .filter(|(_, w)| *w > 0.0)
            .map(|(name, w)| {
                let slot = self
                    .styles
                    .iter()
                    .position(|s| s.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        GenerateError::InvalidOptions(format!(
                            "unknown style {name:?}; this model knows: {}",
                            self.styles.join(", ")
                        ))
                    })?;
                Ok((Token::Style(slot as u16), *w as f32))
            })
            .collect::<Result<Vec<_>, GenerateError>>()?;
        Ok(ControlMix(tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blends_parse_normalise_and_name_their_errors() {
        let b: StyleBlend = "pop=0.7, folk=0.3".parse().unwrap();
        assert_eq!(b.parts()[0].0, "pop");
        assert!((b.parts()[0].1 - 0.7).abs() < 1e-12);
        let b: StyleBlend = "pop=2,folk=2".parse().unwrap();
        assert!((b.parts()[1].1 - 0.5).abs() < 1e-12);
        let one: StyleBlend = "game".parse().unwrap();
        assert_eq!(one.parts(), &[("game".to_string(), 1.0)]);
        for bad in ["pop=x", "pop=-1", "pop=0", "pop=1,pop=2", "=1", ""] {
            assert!(bad.parse::<StyleBlend>().is_err(), "{bad}");
        }
    }

    #[test]
    fn valence_and_arousal_mix_the_quadrants_bilinearly() {
        let w = EmotionRequest::ValenceArousal {
            valence: -1.0,
            arousal: -1.0,
        }
        .weights();
        assert_eq!(w, [0.0, 0.0, 1.0, 0.0], "the corner is Q3 itself");
        let w = EmotionRequest::ValenceArousal {
            valence: 0.5,
            arousal: 0.0,
        }
        .weights();
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(
            w[0] > w[1] && w[3] > w[2],
            "positive valence leans to Q1/Q4: {w:?}"
        );
        assert!(EmotionRequest::ValenceArousal {
            valence: 1.5,
            arousal: 0.0
        }
        .validate()
        .is_err());
    }

    #[test]
    fn a_layout_orders_controls_and_rejects_what_it_does_not_follow() {
        let layout = ControlLayout {
            conditions: vec![Condition::Emotion, Condition::Style],
            styles: vec!["pop".into(), "folk".into()],
        };
        let sad = EmotionRequest::Quadrant(Emotion::Sad);
        let blend: StyleBlend = "pop=0.7,folk=0.3".parse().unwrap();
        let mixes = layout.mixes(Some(&sad), Some(&blend)).unwrap();
        assert_eq!(mixes[0].main_token(), Token::Emotion(3));
        assert!(mixes[0].is_plain());
        assert_eq!(mixes[1].main_token(), Token::Style(0));
        assert!(!mixes[1].is_plain());
        let e = layout
            .mixes(None, Some(&"jazz".parse().unwrap()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("jazz") && e.contains("pop, folk"), "{e}");
        let plain = ControlLayout::default();
        assert!(plain.mixes(Some(&sad), None).is_err());
        assert!(plain.mixes(None, None).unwrap().is_empty());
    }
}

/// A key to write in: a tonic pitch class (0 = C … 11 = B) and, if said, the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTarget {
    /// Pitch class of the tonic.
    pub tonic: u8,
    /// `Some(true)` minor, `Some(false)` major, `None` either.
    pub minor: Option<bool>,
}

impl KeyTarget {
    /// The tonic the piece should have in the mode it was written in: the target's tonic, or
    /// the relative key's when the modes differ (D minor asked, a major piece → F major).
    pub fn tonic_for(&self, written_minor: bool) -> u8 {
        match self.minor {
            Some(minor) if minor != written_minor => {
                if written_minor {
                    (self.tonic + 9) % 12
                } else {
                    (self.tonic + 3) % 12
                }
            }
            _ => self.tonic,
        }
    }

    /// `score` moved the shortest way (−5 to +6 semitones) into this key; a score without
    /// pitched notes is returned as it is.
    pub fn apply(&self, score: &Score) -> Score {
        let Some((tonic, minor)) = score.estimated_key() else {
            return score.clone();
        };
        let up = (self.tonic_for(minor) as i32 - tonic as i32).rem_euclid(12);
        score.transposed(if up > 6 { up - 12 } else { up })
    }
}
