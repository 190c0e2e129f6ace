//! Next-frame models of audio features: the seed's audio LSTM (§7.3). Each MFCC or log-mel frame
//! of a clip predicts the next one, trained by mean squared error, optionally conditioned on the
//! clip's emotion quadrant; rolled forward step by step, the frames become sound again through
//! `euterpe-audio`'s inverses.
//!
//! Frames are standardised per band with the training split's mean and deviation (kept in the
//! config, so a model directory is self-contained) and the model predicts in those units: the
//! loss is the MSE per value of standardised frames, where always predicting the training mean
//! scores about 1.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::config::CoreConfig;
use crate::core::{CoreState, SequenceCore};
use crate::ops::ModelBackend;
use crate::standardise::{validate_statistics, BandStandardiser};
use crate::step::Stepwise;

/// The architecture of an [`AudioLm`], with the standardisation of its frames.
///
/// ```toml
/// [model]
/// kind = "audio_lm"
/// embedding = 16           # width of the emotion embedding (0: unconditioned)
///
/// [model.core]
/// cell = "lstm"
/// hidden = 256
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioLmConfig {
    /// Feature values per frame; left at 0 in a training config, it is taken from the data.
    pub features: usize,
    /// Per-band mean of the training frames; left empty, it is measured on the training split.
    pub mean: Vec<f32>,
    /// Per-band standard deviation of the training frames; measured like `mean`.
    pub std: Vec<f32>,
    /// The classes a generation can ask for (the emotion quadrants); taken from the data's
    /// labels when it has them and `embedding` is not 0.
    pub classes: Vec<String>,
    /// Width of the class embedding joined to every input frame; 0 trains an unconditioned
    /// model (default 16).
    pub embedding: usize,
    /// Share of training clips shown without their class, so that the model also generates
    /// when none is asked for (default 0.2).
    pub condition_dropout: f64,
    /// Whether the model predicts the change from the current frame rather than the next frame
    /// itself (default true: repeating the last frame is where it starts).
    pub residual: bool,
    /// The sequence core.
    pub core: CoreConfig,
}

impl Config for AudioLmConfig {}

impl Default for AudioLmConfig {
    fn default() -> Self {
        AudioLmConfig {
            features: 0,
            mean: Vec::new(),
            std: Vec::new(),
            classes: Vec::new(),
            embedding: 16,
            condition_dropout: 0.2,
            residual: true,
            core: CoreConfig::default(),
        }
    }
}

impl AudioLmConfig {
    /// Checks every value; the message names the field. Values the data fills in (features,
    /// statistics, classes) pass while unset.
    pub fn validate(&self) -> Result<(), String> {
        self.core.validate()?;
        if self.features > 4096 {
            return Err(format!(
                "model.features = {} is unreasonably large",
                self.features
            ));
        }
        if self.embedding > 1024 {
            return Err(format!(
                "model.embedding = {}; give 0 to 1024",
                self.embedding
            ));
        }
        if !(0.0..1.0).contains(&self.condition_dropout) {
            return Err(format!(
                "model.condition_dropout = {}; give 0 to 1",
                self.condition_dropout
            ));
        }
        validate_statistics(self.features, &self.mean, &self.std)?;
        Ok(())
    }

    /// Whether generation can be asked for a class.
    pub fn conditioned(&self) -> bool {
        self.embedding > 0 && !self.classes.is_empty()
    }

    /// A freshly initialised model (features must be set; unset statistics standardise
    /// nothing).
    pub fn init<B: Backend>(&self, device: &B::Device) -> AudioLm<B> {
        let width = self.features.max(1);
        let embedding = if self.conditioned() {
            self.embedding
        } else {
            0
        };
        let input = width + embedding;
        let core_input = self.core.input_width(input);
        AudioLm {
            bands: BandStandardiser::new(width, &self.mean, &self.std, device),
            condition: (embedding > 0)
                .then(|| EmbeddingConfig::new(self.classes.len() + 1, embedding).init(device)),
            project: (core_input != input)
                .then(|| LinearConfig::new(input, core_input).init(device)),
            core: self.core.init(core_input, device),
            dropout: DropoutConfig::new(self.core.dropout()).init(),
            head: LinearConfig::new(self.core.hidden(), width).init(device),
            residual: self.residual,
            width,
        }
    }
}

/// A next-frame model of feature frames `[batch, frames, width]`.
#[derive(Module, Debug)]
pub struct AudioLm<B: Backend> {
    bands: BandStandardiser<B>,
    condition: Option<Embedding<B>>,
    project: Option<Linear<B>>,
    core: SequenceCore<B>,
    dropout: Dropout,
    head: Linear<B>,
    residual: bool,
    width: usize,
}

impl<B: ModelBackend> AudioLm<B> {
    /// Feature values per frame.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.core.max_len()
    }

    /// Frames `[…, width]` in standardised units.
    pub fn standardise<const D: usize>(&self, raw: Tensor<B, D>) -> Tensor<B, D> {
        self.bands.standardise(raw)
    }

    /// Standardised frames `[…, width]` back in the features' own units.
    pub fn destandardise<const D: usize>(&self, z: Tensor<B, D>) -> Tensor<B, D> {
        self.bands.destandardise(z)
    }

    /// The inputs of the core: frames joined with the class embedding of each row
    /// (`conditions` `[batch]`, 0 for none, class i as i + 1).
    fn inputs(&self, z: Tensor<B, 3>, conditions: Tensor<B, 1, Int>) -> Tensor<B, 3> {
        let [batch, steps, _] = z.dims();
        let x = match &self.condition {
            Some(embedding) => {
                let e = embedding.forward(conditions.reshape([batch, 1]));
                let width = e.dims()[2];
                Tensor::cat(vec![z, e.expand([batch, steps, width])], 2)
            }
            None => z,
        };
        match &self.project {
            Some(p) => p.forward(x),
            None => x,
        }
    }

    /// The predicted next frames `[batch, time, width]` (standardised) of standardised frames
    /// `z` `[batch, time, width]`.
    pub fn forward(&self, z: Tensor<B, 3>, conditions: Tensor<B, 1, Int>) -> Tensor<B, 3> {
        let [batch, steps, width] = z.dims();
        let h = self
            .dropout
            .forward(self.core.forward(self.inputs(z.clone(), conditions)));
        let hidden = h.dims()[2];
        let change = self
            .head
            .forward(h.reshape([batch * steps, hidden]))
            .reshape([batch, steps, width]);
        if self.residual {
            z + change
        } else {
            change
        }
    }

    /// The summed squared error of predicting every frame of `frames` (`[batch, time, width]`,
    /// in the features' units) from those before it, averaged over the values of a frame, in
    /// standardised units; and the number of predicted frames.
    pub fn squared_error(
        &self,
        frames: Tensor<B, 3>,
        conditions: Tensor<B, 1, Int>,
    ) -> (Tensor<B, 1>, usize) {
        let [batch, steps, width] = frames.dims();
        if steps < 2 {
            return (Tensor::zeros([1], &frames.device()), 0);
        }
        let z = self.standardise(frames);
        let inputs = z.clone().slice([0..batch, 0..steps - 1, 0..width]);
        let targets = z.slice([0..batch, 1..steps, 0..width]);
        let error = self.forward(inputs, conditions) - targets;
        let sum = (error.clone() * error).sum().div_scalar(width as f64);
        (sum.reshape([1]), batch * (steps - 1))
    }

    /// One step of generation: the next standardised frames `[batch, width]` after `z`
    /// `[batch, width]`, with `conditions` as in [`forward`](Self::forward).
    pub fn next_frame(
        &self,
        z: Tensor<B, 2>,
        conditions: Tensor<B, 1, Int>,
        state: CoreState<B>,
    ) -> (Tensor<B, 2>, CoreState<B>) {
        let [batch, width] = z.dims();
        let x = self
            .inputs(z.clone().reshape([batch, 1, width]), conditions)
            .squeeze_dim::<2>(1);
        let (h, state) = self.core.step(x, state);
        let change = self.head.forward(h);
        (if self.residual { z + change } else { change }, state)
    }

    /// The state before the first frame.
    pub fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        self.core.initial_state(batch, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::tensor::TensorData;

    fn config() -> AudioLmConfig {
        AudioLmConfig {
            features: 3,
            mean: vec![1.0, 2.0, 3.0],
            std: vec![2.0, 2.0, 2.0],
            classes: vec!["Q1".into(), "Q2".into()],
            embedding: 4,
            core: CoreConfig::of_cell("gru", 8, 1, 0.0).expect("gru"),
            ..AudioLmConfig::default()
        }
    }

    fn frames(batch: usize, steps: usize, width: usize) -> Tensor<Cpu, 3> {
        let v: Vec<f32> = (0..batch * steps * width)
            .map(|i| (i as f32 * 0.37).sin() * 3.0)
            .collect();
        Tensor::from_data(
            TensorData::new(v, [batch, steps, width]),
            &Default::default(),
        )
    }

    #[test]
    fn stepping_gives_the_same_predictions_as_the_whole_sequence() {
        let device = Default::default();
        let model: AudioLm<Cpu> = config().init(&device);
        let z = model.standardise(frames(2, 5, 3));
        let conditions =
            Tensor::<Cpu, 1, Int>::from_data(TensorData::new(vec![1i64, 0], [2]), &device);
        let whole: Vec<f32> = model
            .forward(z.clone(), conditions.clone())
            .into_data()
            .to_vec()
            .unwrap();
        let mut state = model.initial_state(2, &device);
        for t in 0..5 {
            let frame = z.clone().slice([0..2, t..t + 1, 0..3]).reshape([2, 3]);
            let (next, s) = model.next_frame(frame, conditions.clone(), state);
            state = s;
            let next: Vec<f32> = next.into_data().to_vec().unwrap();
            for row in 0..2 {
                for k in 0..3 {
                    let w = whole[(row * 5 + t) * 3 + k];
                    assert!((w - next[row * 3 + k]).abs() < 1e-5, "step {t}");
                }
            }
        }
    }

    #[test]
    fn standardising_round_trips() {
        let model: AudioLm<Cpu> = config().init(&Default::default());
        let x = frames(1, 4, 3);
        let back = model.destandardise(model.standardise(x.clone()));
        let d: f32 = (back - x).abs().max().into_scalar();
        assert!(d < 1e-5);
    }

    #[test]
    fn a_class_embedding_needs_classes_and_bad_statistics_are_refused() {
        let mut c = config();
        assert!(c.conditioned());
        c.std[1] = 0.0;
        assert!(c.validate().unwrap_err().contains("std"));
        c.std = vec![1.0; 2];
        assert!(c.validate().unwrap_err().contains("2 values"));
        c.classes.clear();
        assert!(!c.conditioned());
    }
}
