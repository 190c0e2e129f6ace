//! The learned layer: mood words the exact lists do not hold ("dreamy", "brooding", "like a
//! boss fight") read by a trained head.
//!
//! The words are pooled by `euterpe-text`'s encoder (frequency-weighted GloVe vectors plus VADER
//! valence) and classified by a `text_head` model, by default the built-in `text-emotion`,
//! trained by `euterpe train` on mer4q's mood tags (`configs/text-emotion.toml`). Its quadrant
//! becomes the prompt's emotion when it is sure enough ([`CONFIDENT`]).

use euterpe_generate::EmotionRequest;
use euterpe_models::backend::Cpu;
use euterpe_models::burn::tensor::{Tensor, TensorData};
use euterpe_models::{Model, ModelConfig, TextHead};
use euterpe_music::tokens::Emotion;
use euterpe_store::ModelSource;
use euterpe_text::TextEncoder;
use serde::Serialize;

use crate::PromptError;

/// The built-in head's name.
pub const BUILTIN_TEXT_HEAD: &str = "text-emotion";

/// The least probability of the likeliest quadrant for the learned layer to set the emotion (a
/// uniform guess is 0.25).
pub const CONFIDENT: f64 = 0.45;

/// What the learned layer made of some words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedEmotion {
    /// The head's classes (Q1–Q4), in the order of `probabilities`.
    pub classes: Vec<String>,
    /// The probability of each class.
    pub probabilities: Vec<f64>,
    /// The likeliest class.
    pub class: String,
    /// Expected valence and arousal under the probabilities (Q1 = (+1, +1), Q2 = (−1, +1),
    /// Q3 = (−1, −1), Q4 = (+1, −1)), for quadrant classes.
    pub valence_arousal: Option<(f64, f64)>,
    /// The words that counted.
    pub words: Vec<String>,
    /// The words neither the word vectors nor the lexicon know.
    pub unknown: Vec<String>,
}

impl LearnedEmotion {
    /// The probability of the likeliest class.
    pub fn confidence(&self) -> f64 {
        self.probabilities.iter().copied().fold(0.0, f64::max)
    }
}

/// A text head with its class names.
pub struct TextEmotion {
    head: TextHead<Cpu>,
    classes: Vec<String>,
    inputs: usize,
}

impl TextEmotion {
    /// The built-in `text-emotion` head.
    pub fn builtin() -> Result<TextEmotion, PromptError> {
        let source = ModelSource::resolve(Some(BUILTIN_TEXT_HEAD))
            .map_err(|e| PromptError::Invalid(format!("the learned layer: {e}")))?;
        Self::load(&source)
    }

    /// A `text_head` model from any source (a directory written by `euterpe train`).
    pub fn load(source: &ModelSource) -> Result<TextEmotion, PromptError> {
        let fail = |e: String| PromptError::Invalid(format!("{}: {e}", source.name()));
        let loaded = source
            .load::<Cpu>(&Default::default())
            .map_err(|e| fail(e.to_string()))?;
        match (loaded.model, loaded.config) {
            (Model::TextHead(head), ModelConfig::TextHead(c)) => {
                let width = TextEncoder::builtin().width();
                if c.inputs != width {
                    return Err(fail(format!(
                        "it reads {} features per text, the built-in encoder gives {width}",
                        c.inputs
                    )));
                }
                Ok(TextEmotion {
                    head,
                    classes: c.classes,
                    inputs: width,
                })
            }
            (model, _) => Err(fail(format!(
                "a {} model, not a text head (kind text_head)",
                model.kind_name()
            ))),
        }
    }

    /// The head's reading of `words`; `None` when no word is known to the encoder.
    pub fn judge<S: AsRef<str>>(&self, words: &[S]) -> Option<LearnedEmotion> {
        let encoded = TextEncoder::builtin().encode_words(words);
        if encoded.is_empty() {
            return None;
        }
        let x = Tensor::<Cpu, 2>::from_data(
            TensorData::new(encoded.features, [1, self.inputs]),
            &Default::default(),
        );
        let probabilities: Vec<f64> = self
            .head
            .probabilities(x)
            .into_data()
            .to_vec::<f32>()
            .ok()?
            .into_iter()
            .map(f64::from)
            .collect();
        let best = (0..probabilities.len())
            .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))?;
        Some(LearnedEmotion {
            class: self.classes.get(best)?.clone(),
            valence_arousal: quadrant_point(&self.classes, &probabilities),
            classes: self.classes.clone(),
            probabilities,
            words: encoded.known,
            unknown: encoded.unknown,
        })
    }
}

/// Expected valence and arousal when the classes are the four quadrants (each at its corner,
/// as [`EmotionRequest::valence_arousal`] places it).
fn quadrant_point(classes: &[String], p: &[f64]) -> Option<(f64, f64)> {
    let (mut v, mut a) = (0.0, 0.0);
    for (class, prob) in classes.iter().zip(p) {
        let q = class.strip_prefix('Q')?.parse::<u8>().ok()?;
        let (cv, ca) = EmotionRequest::Quadrant(Emotion::from_quadrant(q)?).valence_arousal();
        v += prob * cv;
        a += prob * ca;
    }
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Some((round(v), round(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mood_words_outside_the_exact_lists_land_in_their_quadrant() {
        let head = TextEmotion::builtin().unwrap();
        for (words, want) in [
            (&["joyous", "sparkling"][..], "Q1"),
            (&["menacing", "hostile"][..], "Q2"),
            (&["bleak", "wintry"][..], "Q3"),
            (&["soothing", "gentle"][..], "Q4"),
        ] {
            let got = head.judge(words).unwrap();
            assert_eq!(got.class, want, "{words:?}: {got:?}");
            assert!(got.confidence() > CONFIDENT, "{words:?}: {got:?}");
        }
    }

    #[test]
    fn unknown_words_are_reported_and_nothing_known_gives_none() {
        let head = TextEmotion::builtin().unwrap();
        assert!(head.judge(&["zxqv", "blorptastic"]).is_none());
        let got = head.judge(&["gloomy", "zxqv"]).unwrap();
        assert_eq!(got.unknown, ["zxqv"]);
        let (v, a) = got.valence_arousal.unwrap();
        assert!(v < 0.0 && a < 0.5, "{got:?}");
    }
}
