//! Classifiers of audio clips: a 1-D convolutional network over time with the mel bands (or
//! MFCCs) as channels, pooled over time by mean and max, then class logits. What recognises the
//! emotion of a recording from 5-second clips of its log-mel spectrogram.
//!
//! The input is normalised per band by a batch norm, so raw decibels go in and the band
//! statistics of the training data are saved with the weights.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::PaddingConfig1d;
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::token_lm::masked_cross_entropy;

/// The architecture of an [`AudioClassifier`].
///
/// ```toml
/// [model]
/// kind = "audio_classifier"
/// channels = 64
/// layers = 4
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioClassifierConfig {
    /// Feature values per frame (mel bands or MFCCs); left at 0 in a training config, it is
    /// taken from the data (default 0).
    pub features: usize,
    /// The class names, in output order; left empty, they are taken from the data's labels.
    pub classes: Vec<String>,
    /// Channels of every convolution (default 64).
    pub channels: usize,
    /// Convolution blocks, each halving the frames (default 4).
    pub layers: usize,
    /// Frames each convolution sees, odd (default 3).
    pub kernel: usize,
    /// Dropout before the output layer (default 0.3).
    pub dropout: f64,
}

impl Config for AudioClassifierConfig {}

impl Default for AudioClassifierConfig {
    fn default() -> Self {
        AudioClassifierConfig {
            features: 0,
            classes: Vec::new(),
            channels: 64,
            layers: 4,
            kernel: 3,
            dropout: 0.3,
        }
    }
}

impl AudioClassifierConfig {
    /// Checks every value; the message names the field. Features and classes not yet known
    /// (0, empty) pass.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value, max) in [
            ("model.channels", self.channels, 4096),
            ("model.layers", self.layers, 12),
            ("model.kernel", self.kernel, 63),
        ] {
            if value == 0 || value > max {
                return Err(format!("{name} = {value}; give 1 to {max}"));
            }
        }
        if self.kernel.is_multiple_of(2) {
            return Err(format!(
                "model.kernel = {}; give an odd number",
                self.kernel
            ));
        }
        if self.features > 4096 {
            return Err(format!(
                "model.features = {} is unreasonably large",
                self.features
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("model.dropout = {}; give 0 to 1", self.dropout));
        }
        if self.classes.len() == 1 {
            return Err("model.classes: a classifier needs at least two classes".into());
        }
        Ok(())
    }

    /// A freshly initialised classifier (features and classes must be set).
    pub fn init<B: Backend>(&self, device: &B::Device) -> AudioClassifier<B> {
        let mut blocks = Vec::with_capacity(self.layers);
        let mut width = self.features.max(1);
        for _ in 0..self.layers {
            blocks.push(ConvBlock {
                conv: Conv1dConfig::new(width, self.channels, self.kernel)
                    .with_padding(PaddingConfig1d::Same)
                    .init(device),
                norm: BatchNormConfig::new(self.channels).init(device),
                pool: MaxPool1dConfig::new(2).init(),
            });
            width = self.channels;
        }
        AudioClassifier {
            input_norm: BatchNormConfig::new(self.features.max(1)).init(device),
            blocks,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(2 * self.channels, self.classes.len().max(1)).init(device),
            classes: self.classes.len(),
        }
    }
}

/// Convolution, batch norm, ReLU, then max-pooling by 2 over time.
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    conv: Conv1d<B>,
    norm: BatchNorm<B>,
    pool: MaxPool1d,
}

impl<B: Backend> ConvBlock<B> {
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let y = relu(self.norm.forward(self.conv.forward(x)));
        // A clip too short to halve keeps its length.
        if y.dims()[2] >= 2 {
            self.pool.forward(y)
        } else {
            y
        }
    }
}

/// A classifier of feature sequences `[batch, frames, features]`.
#[derive(Module, Debug)]
pub struct AudioClassifier<B: Backend> {
    input_norm: BatchNorm<B>,
    blocks: Vec<ConvBlock<B>>,
    dropout: Dropout,
    head: Linear<B>,
    classes: usize,
}

impl<B: Backend> AudioClassifier<B> {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class logits `[batch, classes]` of feature frames `[batch, frames, features]`.
    pub fn forward(&self, frames: Tensor<B, 3>) -> Tensor<B, 2> {
        let [batch, _, _] = frames.dims();
        let mut x = self.input_norm.forward(frames.swap_dims(1, 2));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let channels = x.dims()[1];
        let mean = x.clone().mean_dim(2).reshape([batch, channels]);
        let max = x.max_dim(2).reshape([batch, channels]);
        let pooled = Tensor::cat(vec![mean, max], 1);
        self.head.forward(self.dropout.forward(pooled))
    }

    /// Summed cross-entropy (nats) of `labels` `[batch]` and the number of correct argmax
    /// predictions.
    pub fn nll(
        &self,
        frames: Tensor<B, 3>,
        labels: Tensor<B, 1, Int>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let logits = self.forward(frames);
        let [batch, _] = logits.dims();
        let ones = Tensor::ones([batch], &logits.device());
        masked_cross_entropy(logits, labels, ones)
    }

    /// Cross-entropy of blended clips (mixup): each row's loss is its two labels' losses in
    /// the given shares `[batch]`; correct predictions are those of the first labels.
    pub fn mixed_nll(
        &self,
        frames: Tensor<B, 3>,
        labels: [Tensor<B, 1, Int>; 2],
        shares: [Tensor<B, 1>; 2],
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let logp = log_softmax(self.forward(frames), 1);
        let [own, other] = labels;
        let [own_share, other_share] = shares;
        let picked = |targets: Tensor<B, 1, Int>| {
            logp.clone()
                .gather(1, targets.unsqueeze_dim::<2>(1))
                .squeeze_dim::<1>(1)
        };
        let nll = (picked(own.clone()) * own_share + picked(other) * other_share)
            .sum()
            .neg();
        let predicted = logp.argmax(1).squeeze_dim::<1>(1);
        (nll, predicted.equal(own).float().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::tensor::TensorData;

    fn config() -> AudioClassifierConfig {
        AudioClassifierConfig {
            features: 8,
            classes: vec!["a".into(), "b".into()],
            channels: 6,
            layers: 2,
            ..AudioClassifierConfig::default()
        }
    }

    /// Three clips of 20 frames of the 8 features of [`config`].
    fn clips<B: Backend>(device: &B::Device) -> Tensor<B, 3> {
        let values: Vec<f32> = (0..3 * 20 * 8).map(|i| ((i * 13) % 11) as f32).collect();
        Tensor::from_data(TensorData::new(values, [3, 20, 8]), device)
    }

    #[test]
    fn logits_have_one_row_per_clip_and_one_column_per_class() {
        let device = Default::default();
        let model: AudioClassifier<Cpu> = config().init(&device);
        assert_eq!(model.forward(clips::<Cpu>(&device)).dims(), [3, 2]);
    }

    #[test]
    fn the_mixup_loss_blends_the_two_labels_losses() {
        let device = Default::default();
        let model: AudioClassifier<Cpu> = config().init(&device);
        let x = clips::<Cpu>(&device);
        let labels = |l: [i64; 3]| Tensor::<Cpu, 1, Int>::from_data(TensorData::from(l), &device);
        let shares = |s: f32| Tensor::<Cpu, 1>::from_data(TensorData::from([s; 3]), &device);
        let scalar = |t: Tensor<Cpu, 1>| t.into_scalar();
        let (own, own_correct) = model.nll(x.clone(), labels([0, 1, 1]));
        let (other, _) = model.nll(x.clone(), labels([1, 0, 0]));
        let (mixed, mixed_correct) = model.mixed_nll(
            x,
            [labels([0, 1, 1]), labels([1, 0, 0])],
            [shares(0.75), shares(0.25)],
        );
        let expected = 0.75 * scalar(own.clone()) + 0.25 * scalar(other.clone());
        assert!((scalar(mixed) - expected).abs() < 1e-4);
        assert!(
            (scalar(own) - scalar(other)).abs() > 1e-3,
            "the labels' losses differ"
        );
        assert_eq!(scalar(mixed_correct), scalar(own_correct));
    }

    #[test]
    fn bad_sizes_are_refused() {
        let mut c = config();
        c.kernel = 4;
        assert!(c.validate().unwrap_err().contains("odd"));
        c.kernel = 3;
        c.layers = 0;
        assert!(c.validate().is_err());
    }
}
