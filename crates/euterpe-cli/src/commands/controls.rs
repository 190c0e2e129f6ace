//! The emotion and style flags shared by `generate` and `live`.

use anyhow::Result;
use clap::Args;
use euterpe_generate::{EmotionRequest, StyleBlend};
use euterpe_music::tokens::Emotion;

/// `--emotion` or `--valence`/`--arousal`, and `--style`.
#[derive(Args, Debug, Clone, Default)]
pub struct ControlArgs {
    /// The emotion to play in, for models trained with emotion conditioning: happy, tense, sad,
    /// calm, Q1–Q4, or a synonym (excited, angry, melancholic, relaxed, …).
    #[arg(long, conflicts_with_all = ["valence", "arousal"])]
    pub emotion: Option<String>,
    /// Valence in [-1, 1] (unpleasant to pleasant), with --arousal: a point between the four
    /// emotions, for models trained with emotion conditioning.
    #[arg(long, requires = "arousal", allow_hyphen_values = true)]
    pub valence: Option<f64>,
    /// Arousal in [-1, 1] (calm to energetic), with --valence.
    #[arg(long, requires = "valence", allow_hyphen_values = true)]
    pub arousal: Option<f64>,
    /// The style, for models trained with style conditioning (see --list-models), or a blend
    /// of styles with weights: pop=0.7,folk=0.3.
    #[arg(long)]
    pub style: Option<String>,
}

impl ControlArgs {
    /// The emotion asked for by the flags, if any.
    pub fn emotion(&self) -> Result<Option<EmotionRequest>> {
        Ok(
            match (self.emotion.as_deref(), self.valence, self.arousal) {
                (Some(name), _, _) => Some(EmotionRequest::Quadrant(Emotion::from_name(name)?)),
                (None, Some(valence), Some(arousal)) => {
                    Some(EmotionRequest::ValenceArousal { valence, arousal })
                }
                _ => None,
            },
        )
    }

    /// The style or blend asked for by the flags, if any.
    pub fn style(&self) -> Result<Option<StyleBlend>> {
        Ok(self
            .style
            .as_deref()
            .map(str::parse::<StyleBlend>)
            .transpose()?)
    }
}
