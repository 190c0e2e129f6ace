//! Step-by-step inference with carried state, one trait for every model.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// A model that runs one step at a time, carrying its state: the hidden (and cell) states of
/// recurrent layers, so a new step costs O(1) model work, or the key/value caches of a
/// Transformer, so it costs O(length). Stepping gives the same outputs as one pass over the whole
/// sequence (tested for every core).
pub trait Stepwise<B: Backend> {
    /// What one step consumes, for every row of the batch.
    type Input;
    /// What one step produces, for every row of the batch.
    type Output;
    /// What is carried from one step to the next.
    type State;

    /// The state before the first step, for `batch` rows.
    fn initial_state(&self, batch: usize, device: &B::Device) -> Self::State;

    /// One step: consumes `input`, returns the output and the new state.
    fn step(&self, input: Self::Input, state: Self::State) -> (Self::Output, Self::State);

    /// Keeps the batch rows `indices` of a state, in that order (repeats allowed): how beam
    /// search follows its surviving hypotheses.
    fn select_state(&self, state: Self::State, indices: Tensor<B, 1, Int>) -> Self::State;
}
