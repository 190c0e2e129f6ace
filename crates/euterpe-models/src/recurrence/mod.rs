//! Whole-sequence recurrences as single operations with hand-derived backward passes.
//!
//! A recurrent layer written step by step with tensor operations puts a dozen autodiff nodes per
//! step into the graph, and its weight gradient is a sum of one small matrix product per step.
//! Here the recurrence over all steps is one operation: the input projections of every step are
//! computed beforehand in one large matrix product (by the caller), the loop runs without autodiff
//! bookkeeping, and the backward pass (back-propagation through time, derived by hand in
//! [`generic`]) returns the gradient at the projections, from which the weight gradient is one
//! large matrix product over all steps.
//!
//! The operation is part of [`ModelBackend`]: every backend gets a
//! correct implementation written with burn tensor operations ([`generic`]); the CPU backend
//! (`flex`) overrides it with fused loops over raw `f32` buffers and `gemm` ([`cpu`]);
//! [`Autodiff`](burn::backend::Autodiff) wraps either in one graph node ([`autodiff`]). The gradient tests check the hand-derived backward
//! passes against burn's autodiff of the step-by-step formulation.
//!
//! Conventions: inputs `xp` are `[batch, time, gates × hidden]`, the input projections `x · w_ih`
//! without their bias, gates in the order i f g o for the LSTM and r z n for the GRU, as in
//! PyTorch; `input_bias` `[gates × hidden]` is added inside the operation (a broadcast addition
//! over the whole sequence would cost more than the recurrence's element-wise work); the
//! recurrent weight `w` is `[hidden, gates × hidden]` (burn's `Linear` layout, `h · w`); the GRU
//! also has a hidden bias `[gates × hidden]` inside its reset gate. Training always starts from the
//! zero state; an initial state is for inference only and gets no gradient.

pub mod autodiff;
pub mod cpu;
pub mod generic;
#[cfg(target_arch = "x86_64")]
mod row_avx512;

use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use crate::ops::ModelBackend;
pub(crate) use crate::ops::{unwrap, wrap};

/// The recurrent cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Elman RNN: `h' = tanh(x + h·w)`.
    Rnn,
    /// LSTM (no peepholes), gates i f g o.
    Lstm,
    /// GRU, gates r z n, with the reset gate applied to the hidden projection (PyTorch's form).
    Gru,
}

impl Cell {
    /// Gates per hidden unit.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    /// Saved activations per hidden unit and step: LSTM i f g o c, GRU r z n and the hidden
    /// projection of n; none for the RNN (its output is enough).
    pub fn saved_width(self) -> usize {
        match self {
            Cell::Rnn => 0,
            Cell::Lstm => 5,
            Cell::Gru => 4,
        }
    }
}

/// What the forward pass keeps for the backward pass (and for carrying state).
#[derive(Debug, Clone)]
pub struct Trace<B: Backend> {
    /// Hidden state after every step, `[batch, time, hidden]`.
    pub hidden: FloatTensor<B>,
    /// Activations of every step, `[batch, time, saved_width × hidden]` (see
    /// [`Cell::saved_width`]); `None` for the RNN.
    pub saved: Option<FloatTensor<B>>,
}

/// The parameters of a recurrence.
#[derive(Debug, Clone)]
pub struct Params<B: Backend> {
    /// Bias of the input projection, `[gates × hidden]`.
    pub input_bias: FloatTensor<B>,
    /// Recurrent weight `[hidden, gates × hidden]`.
    pub w: FloatTensor<B>,
    /// Bias of the hidden projection `[gates × hidden]` (GRU only).
    pub hidden_bias: Option<FloatTensor<B>>,
}

/// The state a recurrence starts from, for inference with carried state.
#[derive(Debug, Clone)]
pub struct Initial<B: Backend> {
    /// Hidden state `[batch, hidden]`.
    pub hidden: FloatTensor<B>,
    /// Cell state `[batch, hidden]`, LSTM only.
    pub cell: Option<FloatTensor<B>>,
}

/// The parameters of a recurrence as tensors (see [`Params`]).
#[derive(Debug, Clone)]
pub struct RecurrenceParams<B: Backend> {
    /// Bias of the input projection, `[gates × hidden]`.
    pub input_bias: Tensor<B, 1>,
    /// Recurrent weight `[hidden, gates × hidden]`.
    pub w: Tensor<B, 2>,
    /// Bias of the hidden projection `[gates × hidden]` (GRU only).
    pub hidden_bias: Option<Tensor<B, 1>>,
}

impl<B: Backend> RecurrenceParams<B> {
    fn hidden_size(&self) -> usize {
        self.w.dims()[0]
    }

    pub(crate) fn into_primitives(self) -> Params<B> {
        Params {
            input_bias: unwrap(self.input_bias),
            w: unwrap(self.w),
            hidden_bias: self.hidden_bias.map(unwrap),
        }
    }
}

/// Hidden states `[batch, time, hidden]` of a recurrence from the zero state, differentiable with
/// respect to `xp` and every parameter (see the module documentation for the layouts).
pub fn recurrence<B: ModelBackend>(
    cell: Cell,
    xp: Tensor<B, 3>,
    params: RecurrenceParams<B>,
) -> Tensor<B, 3> {
    let [batch, time, _] = xp.dims();
    if time == 0 {
        return Tensor::zeros([batch, 0, params.hidden_size()], &xp.device());
    }
    wrap(B::recurrence(cell, unwrap(xp), params.into_primitives()))
}

/// Inference with carried state: runs every step of `xp` from `hidden` (and `cell_state` for the
/// LSTM); returns the hidden states `[batch, time, hidden]` and the final hidden and cell states.
pub fn recurrence_from<B: ModelBackend>(
    cell: Cell,
    xp: Tensor<B, 3>,
    params: RecurrenceParams<B>,
    hidden: Tensor<B, 2>,
    cell_state: Option<Tensor<B, 2>>,
) -> (Tensor<B, 3>, Tensor<B, 2>, Option<Tensor<B, 2>>) {
    let [batch, time, _] = xp.dims();
    let width = params.hidden_size();
    if time == 0 {
        let empty = Tensor::zeros([batch, 0, width], &xp.device());
        return (empty, hidden, cell_state);
    }
    let initial = Initial {
        hidden: unwrap(hidden),
        cell: cell_state.map(unwrap),
    };
    let trace = B::recurrence_forward(cell, unwrap(xp), params.into_primitives(), Some(initial));
    let hs: Tensor<B, 3> = wrap(trace.hidden);
    let last = hs.clone().narrow(1, time - 1, 1).reshape([batch, width]);
    let final_cell = match (cell, trace.saved) {
        (Cell::Lstm, Some(saved)) => Some(
            wrap::<B, 3>(saved)
                .narrow(1, time - 1, 1)
                .narrow(2, 4 * width, width)
                .reshape([batch, width]),
        ),
        _ => None,
    };
    (hs, last, final_cell)
}

#[cfg(test)]
mod tests;
