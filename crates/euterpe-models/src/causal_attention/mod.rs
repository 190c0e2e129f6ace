//! Causal (or, for a bidirectional encoder, unmasked) multi-head self-attention over whole
//! sequences (training and full passes) as one operation with a hand-derived backward pass.
//!
//! For each sequence and head, with queries `Q`, keys `K` and values `V` `[time, d_k]` and
//! `s = 1/√d_k`: `P = softmax(s·Q·Kᵀ)` over the positions `j ≤ i` only (every `j` when not
//! causal), and the context is
//! `O = P·V`. Written with tensor operations ([`generic`]) that is a chain of a dozen nodes that
//! keeps the `[batch × heads, time, time]` scores, their exponentials and the probabilities for
//! the backward pass, plus transposed copies to split and merge the heads. The CPU kernels
//! ([`cpu`]) read the heads in place from the `[batch × time, heads × d_k]` projections, compute
//! only the causal (lower) blocks of the scores, and keep nothing of size `time²`: the forward pass
//! saves each row's log-sum-exp `L`, and the backward pass recomputes `P = exp(s·Q·Kᵀ − L)` one
//! block of rows at a time (as FlashAttention does):
//!
//! `dV = Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(dO ⊙ O))`, `dQ = s·dS·K`, `dK = s·dSᵀ·Q`.
//!
//! [`causal_self_attention`] is the entry point; the backend methods are part of
//! [`ModelBackend`]. Attention dropout is not part of the operation: the Transformer uses it only
//! when that dropout is inactive (inference, or a probability of 0).

pub mod autodiff;
pub mod cpu;
pub mod generic;

use std::sync::Arc;

use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use crate::ops::{unwrap, wrap, ModelBackend};

/// How the `[batch × time, heads × d_k]` rows of queries, keys and values divide into sequences
/// and heads, and which keys each position sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadLayout {
    /// Sequences in the batch.
    pub batch: usize,
    /// Positions per sequence.
    pub steps: usize,
    /// Attention heads; the width is `heads × d_k`.
    pub heads: usize,
    /// Whether position `i` attends to `j ≤ i` only (false: to every position).
    pub causal: bool,
    /// Without `causal`: per sequence, how many of its first positions are real (the rest is
    /// padding, which no position attends to); `None`: all of them.
    pub lengths: Option<Arc<[usize]>>,
}

impl HeadLayout {
    /// How many keys sequence `b` has (its length without the padding).
    pub fn keys(&self, b: usize) -> usize {
        match &self.lengths {
            Some(lengths) if !self.causal => lengths[b].clamp(1, self.steps),
            _ => self.steps,
        }
    }
}

/// The result of the forward pass and what the backward pass needs besides the inputs.
#[derive(Debug, Clone)]
pub struct Attended<B: Backend> {
    /// The contexts `[batch × time, heads × d_k]`, the heads side by side.
    pub context: FloatTensor<B>,
    /// The log-sum-exp of every row of scaled scores, `[batch × heads, time]`.
    pub log_sum_exp: FloatTensor<B>,
}

/// Everything the backward pass reads.
#[derive(Debug, Clone)]
pub struct Saved<B: Backend> {
    /// Queries, keys and values `[batch × time, heads × d_k]`.
    pub q: FloatTensor<B>,
    /// Keys.
    pub k: FloatTensor<B>,
    /// Values.
    pub v: FloatTensor<B>,
    /// The forward pass's result.
    pub attended: Attended<B>,
    /// The head layout.
    pub layout: HeadLayout,
}

/// The self-attention contexts `[batch × time, heads × d_k]` of queries, keys and values of the
/// same shape (the heads side by side in each row), causal or not as `layout` says,
/// differentiable with respect to all three (see the module documentation).
pub fn causal_self_attention<B: ModelBackend>(
    q: Tensor<B, 2>,
    k: Tensor<B, 2>,
    v: Tensor<B, 2>,
    layout: HeadLayout,
) -> Tensor<B, 2> {
    wrap(B::causal_attention(unwrap(q), unwrap(k), unwrap(v), layout))
}

#[cfg(test)]
mod tests;
