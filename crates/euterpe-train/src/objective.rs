//! The loss of each model kind on a batch.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use euterpe_models::{FrameLm, ModelBackend, TokenLm};

use crate::data::Batch;

/// The summed negative log-likelihood of a batch and what it was summed over.
pub struct BatchLoss<B: Backend> {
    /// Summed NLL in nats, shape `[1]`.
    pub sum: Tensor<B, 1>,
    /// Number of scored units (tokens or frames).
    pub count: usize,
    /// Correct argmax predictions (token models).
    pub correct: Option<Tensor<B, 1>>,
}

/// A model that scores batches.
pub trait Objective<B: Backend> {
    /// The loss on one batch.
    fn batch_loss(&self, batch: &Batch, device: &B::Device) -> BatchLoss<B>;
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

impl<B: ModelBackend> Objective<B> for TokenLm<B> {
    fn batch_loss(&self, batch: &Batch, device: &B::Device) -> BatchLoss<B> {
        let Batch::Tokens(b) = batch else {
            panic!("a token model is only given token batches");
        };
        let shape = [b.batch, b.steps];
        let (sum, correct) = self.nll(
            ints(&b.inputs, shape, device),
            ints(&b.targets, shape, device),
            floats(&b.mask, shape, device),
        );
        BatchLoss {
            sum,
            count: b.mask.iter().filter(|&&m| m > 0.0).count(),
            correct: Some(correct),
        }
    }
}

impl<B: ModelBackend> Objective<B> for FrameLm<B> {
    fn batch_loss(&self, batch: &Batch, device: &B::Device) -> BatchLoss<B> {
        let Batch::Frames(b) = batch else {
            panic!("a frame model is only given frame batches");
        };
        let shape = [b.batch, b.steps, b.keys];
        let sum = self.nll(
            floats(&b.inputs, shape, device),
            floats(&b.targets, shape, device),
            floats(&b.mask, [b.batch, b.steps], device),
        );
        BatchLoss {
            sum,
            count: b.mask.iter().filter(|&&m| m > 0.0).count(),
            correct: None,
        }
    }
}
