//! The loss of the likelihood kinds on their own batches: summed negative log-likelihood in nats.
//!
//! Each model kind names the batch type it scores, so a token model can only ever be given token
//! batches: a mismatch is a compile error, not a panic.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use euterpe_data::batch::{ClassBatch, FrameBatch, TokenBatch};
use euterpe_data::AudioBatch;
use euterpe_models::{
    AudioAutoencoder, AudioClassifier, AudioLm, FrameLm, ModelBackend, SequenceClassifier, TokenLm,
};

/// The summed negative log-likelihood of a batch and what it was summed over.
pub struct BatchLoss<B: Backend> {
    /// Summed NLL in nats, shape `[1]`.
    pub sum: Tensor<B, 1>,
    /// Number of scored units (tokens or frames).
    pub count: usize,
    /// Correct argmax predictions (token models).
    pub correct: Option<Tensor<B, 1>>,
}

/// A model trained by maximum likelihood on batches of its own kind.
pub trait Likelihood<B: Backend> {
    /// The batches it scores.
    type Batch;
    /// The unit it predicts ("token", "frame"), for reports.
    const UNIT: &'static str;
    /// What its loss is, for reports and plots.
    const LOSS: &'static str = "NLL (nats)";
    /// The loss on one batch.
    fn batch_loss(&self, batch: &Self::Batch, device: &B::Device) -> BatchLoss<B>;
}

fn ints<B: Backend>(values: &[u32], shape: [usize; 2], device: &B::Device) -> Tensor<B, 2, Int> {
    let v: Vec<i64> = values.iter().map(|&x| x as i64).collect();
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn floats<B: Backend, const D: usize>(
    values: &[f32],
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

fn scored(mask: &[f32]) -> usize {
    mask.iter().filter(|&&m| m > 0.0).count()
}

impl<B: ModelBackend> Likelihood<B> for TokenLm<B> {
    type Batch = TokenBatch;
    const UNIT: &'static str = "token";

    fn batch_loss(&self, b: &TokenBatch, device: &B::Device) -> BatchLoss<B> {
        let shape = [b.batch, b.steps];
        let (sum, correct) = self.nll(
            ints(&b.inputs, shape, device),
            ints(&b.targets, shape, device),
            floats(&b.mask, shape, device),
        );
        BatchLoss {
            sum,
            count: scored(&b.mask),
            correct: Some(correct),
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for FrameLm<B> {
    type Batch = FrameBatch;
    const UNIT: &'static str = "frame";

    fn batch_loss(&self, b: &FrameBatch, device: &B::Device) -> BatchLoss<B> {
        let shape = [b.batch, b.steps, b.keys];
        let sum = self.nll(
            floats(&b.inputs, shape, device),
            floats(&b.targets, shape, device),
            floats(&b.mask, [b.batch, b.steps], device),
        );
        BatchLoss {
            sum,
            count: scored(&b.mask),
            correct: None,
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for SequenceClassifier<B> {
    type Batch = ClassBatch;
    const UNIT: &'static str = "window";

    fn batch_loss(&self, b: &ClassBatch, device: &B::Device) -> BatchLoss<B> {
        let shape = [b.batch, b.steps];
        let labels: Vec<i64> = b.labels.iter().map(|&l| l as i64).collect();
        let (sum, correct) = self.nll(
            ints(&b.inputs, shape, device),
            floats(&b.mask, shape, device),
            Tensor::from_data(TensorData::new(labels, [b.batch]), device),
        );
        BatchLoss {
            sum,
            count: b.batch,
            correct: Some(correct),
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for AudioClassifier<B> {
    type Batch = AudioBatch;
    const UNIT: &'static str = "clip";

    fn batch_loss(&self, b: &AudioBatch, device: &B::Device) -> BatchLoss<B> {
        let classes = |labels: &[u32]| {
            let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
            Tensor::from_data(TensorData::new(labels, [b.batch]), device)
        };
        let frames = floats(&b.values, [b.batch, b.frames, b.width], device);
        let (sum, correct) = if b.mixed_shares.is_empty() {
            self.nll(frames, classes(&b.labels))
        } else {
            // Mixup: each clip's loss blends its two labels in the shares of its values.
            let own: Vec<f32> = b.mixed_shares.iter().map(|s| 1.0 - s).collect();
            self.mixed_nll(
                frames,
                [classes(&b.labels), classes(&b.mixed_labels)],
                [
                    floats(&own, [b.batch], device),
                    floats(&b.mixed_shares, [b.batch], device),
                ],
            )
        };
        BatchLoss {
            sum,
            count: b.batch,
            correct: Some(correct),
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for euterpe_models::TextHead<B> {
    type Batch = euterpe_data::TextBatch;
    const UNIT: &'static str = "text";

    fn batch_loss(&self, b: &euterpe_data::TextBatch, device: &B::Device) -> BatchLoss<B> {
        let labels: Vec<i64> = b.labels.iter().map(|&l| l as i64).collect();
        let (sum, correct) = self.nll(
            floats(&b.features, [b.batch, b.width], device),
            Tensor::from_data(TensorData::new(labels, [b.batch]), device),
        );
        BatchLoss {
            sum,
            count: b.batch,
            correct: Some(correct),
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for AudioLm<B> {
    type Batch = AudioBatch;
    const UNIT: &'static str = "frame";
    const LOSS: &'static str = "MSE (standardised)";

    fn batch_loss(&self, b: &AudioBatch, device: &B::Device) -> BatchLoss<B> {
        let conditions: Vec<i64> = b.conditions.iter().map(|&c| c as i64).collect();
        let (sum, count) = self.squared_error(
            floats(&b.values, [b.batch, b.frames, b.width], device),
            Tensor::from_data(TensorData::new(conditions, [b.batch]), device),
        );
        BatchLoss {
            sum,
            count,
            correct: None,
        }
    }
}

impl<B: ModelBackend> Likelihood<B> for AudioAutoencoder<B> {
    type Batch = AudioBatch;
    const UNIT: &'static str = "clip";
    const LOSS: &'static str = "MSE (standardised)";

    fn batch_loss(&self, b: &AudioBatch, device: &B::Device) -> BatchLoss<B> {
        BatchLoss {
            sum: self.squared_error(floats(&b.values, [b.batch, b.frames, b.width], device)),
            count: b.batch,
            correct: None,
        }
    }
}
