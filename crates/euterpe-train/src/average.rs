//! An exponential moving average of a network's weights (Polyak–Ruppert averaging, as in
//! timm's `ModelEmaV2` or TensorFlow's `ExponentialMovingAverage`).
//!
//! On small data the validation loss of the raw weights jumps from epoch to epoch as the last
//! few hundred steps pull them around; their running average follows the same path without the
//! jumps. With `optim.ema` set, validation, early stopping and the saved model all use it.
//! Batch norm's running statistics are averaged with the weights.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// A running average of a module's float tensors, updated after every optimiser step.
pub struct WeightAverage<B: Backend, M: Module<B>> {
    average: M,
    decay: f64,
    updates: usize,
    _backend: std::marker::PhantomData<B>,
}

impl<B: Backend, M: Module<B>> WeightAverage<B, M> {
    /// An average of modules shaped as `start` (whose values the first update replaces),
    /// updated with `decay` per step (0 < decay < 1).
    pub fn new(start: M, decay: f64) -> Self {
        WeightAverage {
            average: start,
            decay,
            updates: 0,
            _backend: std::marker::PhantomData,
        }
    }

    /// The same average after `updates` earlier steps (resuming a run).
    pub fn resumed(average: M, decay: f64, updates: usize) -> Self {
        WeightAverage {
            updates,
            ..WeightAverage::new(average, decay)
        }
    }

    /// The averaged module.
    pub fn module(&self) -> &M {
        &self.average
    }

    /// The decay per step.
    pub fn decay(&self) -> f64 {
        self.decay
    }

    /// Steps averaged so far.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The share of the old average kept at the next update: the decay, lower for the first
    /// steps (`n / (10 + n)` after `n` updates, as TensorFlow's `num_updates` but from 0), so
    /// the first update replaces the starting weights and the early ones weigh little.
    pub fn kept_share(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min(n / (10.0 + n))
    }

    /// Moves the average towards `current` (a module of the same structure: the parameters
    /// are matched by id).
    pub fn update(&mut self, current: &M) {
        let mut collect = Collect {
            tensors: HashMap::new(),
        };
        current.visit(&mut collect);
        let mut blend = Blend {
            current: collect.tensors,
            kept: self.kept_share(),
        };
        let average = std::mem::replace(&mut self.average, current.clone());
        self.average = average.map(&mut blend);
        self.updates += 1;
    }
}

/// Gathers every float tensor of a module, flattened, by parameter id.
struct Collect<B: Backend> {
    tensors: HashMap<ParamId, Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let value = param.val();
        let n = value.shape().num_elements();
        self.tensors.insert(param.id, value.reshape([n]));
    }
}

/// `average · kept + current · (1 − kept)` for every tensor with a counterpart.
struct Blend<B: Backend> {
    current: HashMap<ParamId, Tensor<B, 1>>,
    kept: f64,
}

impl<B: Backend> ModuleMapper<B> for Blend<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, average, mapper) = param.consume();
        let blended = match self.current.remove(&id) {
            Some(current) => {
                let current = current.reshape(average.shape());
                average
                    .mul_scalar(self.kept)
                    .add(current.mul_scalar(1.0 - self.kept))
            }
            None => average,
        };
        Param::from_mapped_value(id, blended, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::module::AutodiffModule;
    use burn::nn::{BatchNormConfig, Linear, LinearConfig};
    use burn::tensor::Distribution;

    type B = Flex;

    fn weights(linear: &Linear<B>) -> Vec<f32> {
        linear
            .weight
            .val()
            .into_data()
            .to_vec()
            .expect("f32 weights")
    }

    fn shifted(linear: &Linear<B>, by: f32) -> Linear<B> {
        linear.clone().map(&mut Shift(by))
    }

    struct Shift(f32);
    impl ModuleMapper<B> for Shift {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let by = self.0;
            param.map(|t| t.add_scalar(by))
        }
    }

    #[test]
    fn the_average_moves_by_the_kept_share_and_forgets_the_start() {
        let device = Default::default();
        let start: Linear<B> = LinearConfig::new(3, 2).init(&device);
        let start: Linear<B> = start.map(&mut Shift(0.0)); // initialised once, not lazily per clone
        let mut average = WeightAverage::new(start.clone(), 0.9);
        // The first update takes the current weights whole.
        assert_eq!(average.kept_share(), 0.0);
        average.update(&start);
        assert_eq!(weights(average.module()), weights(&start));
        // The second keeps 1/11 of the average.
        let target = shifted(&start, 1.0);
        average.update(&target);
        for (a, s) in weights(average.module()).iter().zip(weights(&start)) {
            let expected = s + 10.0 / 11.0;
            assert!((a - expected).abs() < 1e-5, "{a} vs {expected}");
        }
        // Many updates towards a fixed target converge to it, at the decay's pace at the end.
        for _ in 0..200 {
            average.update(&target);
        }
        assert!((average.kept_share() - 0.9).abs() < 1e-12);
        for (a, t) in weights(average.module()).iter().zip(weights(&target)) {
            assert!((a - t).abs() < 1e-4, "{a} vs {t}");
        }
        assert_eq!(average.updates(), 202);
    }

    #[test]
    fn running_statistics_are_averaged_too() {
        let device = Default::default();
        let norm = BatchNormConfig::new(2).init::<Autodiff<B>>(&device);
        let mut average = WeightAverage::resumed(norm.valid(), 0.5, 1_000);
        // A training pass moves the running mean of the live copy.
        let x =
            Tensor::<Autodiff<B>, 3>::random([8, 2, 5], Distribution::Normal(4.0, 1.0), &device);
        let _ = norm.forward(x);
        let trained = norm.valid();
        let live: Vec<f32> = trained.running_mean.value().into_data().to_vec().unwrap();
        average.update(&trained);
        let averaged: Vec<f32> = average
            .module()
            .running_mean
            .value()
            .into_data()
            .to_vec()
            .unwrap();
        for (a, l) in averaged.iter().zip(&live) {
            // The start's running mean is 0, so half of the live value.
            assert!(*l > 0.1, "the pass moved the running mean: {l}");
            assert!((a - l / 2.0).abs() < 1e-5, "{a} vs {}", l / 2.0);
        }
    }
}
