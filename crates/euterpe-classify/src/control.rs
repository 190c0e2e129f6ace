//! Control accuracy: how well a conditioned generator obeys. For each emotion quadrant (and each
//! style) the generator writes N pieces asked for that class; the built-in classifiers, trained
//! apart from any generator, judge them; the report gives the share that lands in the class
//! asked for, per class and overall, with the confusion matrix. For a blend of two styles it
//! gives how the style probabilities move as the weight goes from 0 to 1.

use std::collections::BTreeMap;

use euterpe_data::Condition;
use euterpe_generate::{
    EmotionRequest, GenerateOptions, Generated, Length, LoadedGenerator, SamplingConfig, StyleBlend,
};
use euterpe_models::ModelBackend;
use euterpe_music::tokens::Emotion;
use serde::Serialize;

use crate::{Classifier, ClassifyError};

/// What to generate and how to judge it.
#[derive(Debug, Clone)]
pub struct ControlEvalOptions {
    /// Pieces per class.
    pub n: usize,
    /// Bars per piece.
    pub bars: usize,
    /// Sampling settings.
    pub sampling: SamplingConfig,
    /// Seed of the first piece (each piece has its own, derived from it).
    pub seed: u64,
    /// Points of each blend curve (weights 0, 1/(k-1), …, 1).
    pub blend_points: usize,
    /// The style asked for with every emotion (`None`: the model's choice).
    pub emotion_style: Option<String>,
    /// Classifier-free guidance of the controls (1 = off).
    pub guidance: f32,
    /// Keep, of a few sampled pieces, the one most clearly in the emotion's mode (as
    /// [`GenerateOptions::emotion_mode`]); `false` lets the model choose.
    pub emotion_mode: bool,
}

impl Default for ControlEvalOptions {
    fn default() -> Self {
        ControlEvalOptions {
            n: 50,
            bars: 8,
            sampling: SamplingConfig::default(),
            seed: 1,
            blend_points: 5,
            emotion_style: None,
            guidance: 1.0,
            emotion_mode: true,
        }
    }
}

/// How often the generator landed in the class asked for, by one classifier.
#[derive(Debug, Clone, Serialize)]
pub struct ControlFigures {
    /// The classifier that judged.
    pub classifier: String,
    /// The classes asked for (rows of the confusion matrix), in order.
    pub classes: Vec<String>,
    /// The classifier's classes (columns of the confusion matrix).
    pub judged_as: Vec<String>,
    /// Share of all pieces classified as asked.
    pub overall: f64,
    /// Share per class asked for.
    pub per_class: BTreeMap<String, f64>,
    /// `confusion[asked][judged]`: piece counts.
    pub confusion: Vec<Vec<usize>>,
    /// Pieces judged.
    pub pieces: usize,
}

/// One point of a blend curve.
#[derive(Debug, Clone, Serialize)]
pub struct BlendPoint {
    /// Weight of the second style (the first has 1 − weight).
    pub weight: f64,
    /// Mean style probabilities of the pieces written with this blend.
    pub probabilities: BTreeMap<String, f64>,
}

/// How the style classifier's view moves along a blend of two styles.
#[derive(Debug, Clone, Serialize)]
pub struct BlendCurve {
    /// The style at weight 0.
    pub from: String,
    /// The style at weight 1.
    pub to: String,
    /// The points, weight ascending.
    pub points: Vec<BlendPoint>,
}

/// The whole report of `euterpe eval-control`.
#[derive(Debug, Clone, Serialize)]
pub struct ControlReport {
    /// The generator.
    pub model: String,
    /// Pieces per class.
    pub n: usize,
    /// Bars per piece.
    pub bars: usize,
    /// The style asked for with every emotion, if one was.
    pub emotion_style: Option<String>,
    /// The guidance the pieces were written with (1 = none).
    pub guidance: f32,
    /// Whether each piece was the clearest in its emotion's mode of a few candidates.
    pub emotion_mode: bool,
    /// Emotion control, if the model follows emotion.
    pub emotion: Option<ControlFigures>,
    /// Style control, if the model follows style.
    pub style: Option<ControlFigures>,
    /// Blend curves between pairs of styles.
    pub blends: Vec<BlendCurve>,
}

/// The generator and its two judges.
pub struct ControlJudge<'a, B: ModelBackend> {
    /// The conditioned generator.
    pub generator: &'a LoadedGenerator<B>,
    /// The emotion classifier (classes `Q1`–`Q4`).
    pub emotion: &'a Classifier<B>,
    /// The style classifier.
    pub style: &'a Classifier<B>,
}

impl<B: ModelBackend> ControlJudge<'_, B> {
    /// Generates and judges; `blends` names the pairs of styles whose curves to draw.
    pub fn run(
        &self,
        options: &ControlEvalOptions,
        blends: &[(String, String)],
    ) -> Result<ControlReport, ClassifyError> {
        if options.n == 0 {
            return Err(ClassifyError::Generate(
                euterpe_generate::GenerateError::InvalidOptions("--n must be at least 1".into()),
            ));
        }
        let layout = self.generator.layout();
        let emotion = if layout.follows(Condition::Emotion) {
            let asks: Vec<(String, GenerateOptions)> = (1..=4u8)
                .filter_map(Emotion::from_quadrant)
                .map(|e| {
                    let mut o = self.base(options);
                    o.emotion = Some(EmotionRequest::Quadrant(e));
                    o.style = options
                        .emotion_style
                        .as_ref()
                        .map(|s| StyleBlend::new(vec![(s.clone(), 1.0)]))
                        .transpose()?;
                    Ok((format!("Q{}", e.quadrant()), o))
                })
                .collect::<Result<_, euterpe_generate::GenerateError>>()?;
            Some(self.judge(self.emotion, &asks, options)?)
        } else {
            None
        };
        let style = if layout.follows(Condition::Style) {
            let known = self.style.classes();
            let asks: Vec<(String, GenerateOptions)> = layout
                .styles
                .iter()
                .filter(|s| known.contains(s))
                .map(|s| {
                    let mut o = self.base(options);
                    o.style = Some(StyleBlend::new(vec![(s.clone(), 1.0)])?);
                    Ok((s.clone(), o))
                })
                .collect::<Result<_, euterpe_generate::GenerateError>>()?;
            Some(self.judge(self.style, &asks, options)?)
        } else {
            None
        };
        let blends = blends
            .iter()
            .map(|(a, b)| self.blend_curve(a, b, options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ControlReport {
            model: self.generator.name.clone(),
            n: options.n,
            bars: options.bars,
            emotion_style: options.emotion_style.clone(),
            guidance: options.guidance,
            emotion_mode: options.emotion_mode,
            emotion,
            style,
            blends,
        })
    }

    fn base(&self, options: &ControlEvalOptions) -> GenerateOptions {
        GenerateOptions {
            length: Length::Bars(options.bars),
            sampling: options.sampling,
            seed: options.seed,
            guidance: options.guidance,
            emotion_mode: options.emotion_mode,
            ..GenerateOptions::default()
        }
    }

    /// `n` pieces for `ask`, in batches, each batch with its own seed.
    fn pieces(&self, ask: &GenerateOptions, n: usize) -> Result<Vec<Generated>, ClassifyError> {
        const BATCH: usize = 10;
        let mut out = Vec::with_capacity(n);
        let mut batch = 0u64;
        while out.len() < n {
            let o = GenerateOptions {
                num_outputs: (n - out.len()).min(BATCH),
                seed: ask
                    .seed
                    .wrapping_add(batch.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                ..ask.clone()
            };
            out.extend(self.generator.generate(&o)?);
            batch += 1;
        }
        Ok(out)
    }

    fn judge(
        &self,
        classifier: &Classifier<B>,
        asks: &[(String, GenerateOptions)],
        options: &ControlEvalOptions,
    ) -> Result<ControlFigures, ClassifyError> {
        let judged_as = classifier.classes().to_vec();
        let mut confusion = vec![vec![0usize; judged_as.len()]; asks.len()];
        let mut per_class = BTreeMap::new();
        let (mut hits, mut total) = (0usize, 0usize);
        for (row, (class, ask)) in asks.iter().enumerate() {
            let target = judged_as.iter().position(|c| c == class);
            let mut right = 0;
            let pieces = self.pieces(ask, options.n)?;
            for piece in &pieces {
                let c = classifier.classify_score(&piece.score)?;
                let col = judged_as
                    .iter()
                    .position(|x| *x == c.class)
                    .expect("a classifier answers with one of its classes");
                confusion[row][col] += 1;
                right += usize::from(Some(col) == target);
            }
            per_class.insert(class.clone(), right as f64 / pieces.len().max(1) as f64);
            hits += right;
            total += pieces.len();
        }
        Ok(ControlFigures {
            classifier: classifier.name.clone(),
            classes: asks.iter().map(|(c, _)| c.clone()).collect(),
            judged_as,
            overall: hits as f64 / total.max(1) as f64,
            per_class,
            confusion,
            pieces: total,
        })
    }

    fn blend_curve(
        &self,
        from: &str,
        to: &str,
        options: &ControlEvalOptions,
    ) -> Result<BlendCurve, ClassifyError> {
        let k = options.blend_points.max(2);
        let mut points = Vec::with_capacity(k);
        for i in 0..k {
            let weight = i as f64 / (k - 1) as f64;
            let mut o = self.base(options);
            o.style = Some(StyleBlend::new(vec![
                (from.to_string(), 1.0 - weight),
                (to.to_string(), weight),
            ])?);
            let pieces = self.pieces(&o, options.n)?;
            let mut sums: BTreeMap<String, f64> = BTreeMap::new();
            for piece in &pieces {
                let c = self.style.classify_score(&piece.score)?;
                for (name, p) in c.probabilities {
                    *sums.entry(name).or_default() += p;
                }
            }
            for v in sums.values_mut() {
                *v /= pieces.len().max(1) as f64;
            }
            points.push(BlendPoint {
                weight,
                probabilities: sums,
            });
        }
        Ok(BlendCurve {
            from: from.to_string(),
            to: to.to_string(),
            points,
        })
    }
}
