//! The backend extension behind euterpe's models: the operations that burn's tensor API cannot
//! express efficiently, each with a correct default written in burn tensor operations, fused CPU
//! loops for the `flex` backend, and one autodiff node with a hand-derived backward pass.
//!
//! * the recurrences of RNN, LSTM and GRU layers ([`crate::recurrence`]);
//! * the NADE output of frame models ([`crate::nade`]);
//! * few-row affine products for inference steps ([`ModelBackend::affine`]);
//! * the attention of a Transformer's generation step over its key/value cache
//!   ([`crate::attention`]);
//! * the causal self-attention of a Transformer over whole sequences ([`crate::causal_attention`]);
//! * affine maps in training ([`crate::affine`]), GELU ([`crate::gelu`]) and layer
//!   normalisation ([`crate::layer_norm`]).
//!
//! Every model is generic over [`ModelBackend`]; training over [`TrainingBackend`]. A new backend
//! needs only `impl ModelBackend for NewBackend {}` to run everything (the defaults), and can then
//! override what it can do faster.

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::Autodiff;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorPrimitive};

use crate::affine::AffineGrads;
use crate::causal_attention::{Attended, HeadLayout, Saved};
use crate::layer_norm::{NormGrads, Normalised};
use crate::nade::NadeInputs;
use crate::recurrence::{Cell, Initial, Params, Trace};
use crate::{attention, causal_attention, nade, recurrence};

/// A burn backend with euterpe's fused operations.
pub trait ModelBackend: Backend {
    /// Runs the recurrence over every step of `xp`, from `initial` or the zero state.
    fn recurrence_forward(
        cell: Cell,
        xp: FloatTensor<Self>,
        params: Params<Self>,
        initial: Option<Initial<Self>>,
    ) -> Trace<Self> {
        recurrence::generic::forward::<Self>(cell, xp, params, initial)
    }

    /// Back-propagation through time from the zero state: given the loss gradient at every hidden
    /// state `[batch, time, hidden]`, returns the gradients at the input projections and at the
    /// hidden projections (both `[batch, time, gates × hidden]`; they differ only in the GRU's
    /// candidate gate, where the reset gate scales the hidden projection).
    fn recurrence_backward(
        cell: Cell,
        w: FloatTensor<Self>,
        trace: Trace<Self>,
        grad_hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        recurrence::generic::backward::<Self>(cell, w, trace, grad_hidden)
    }

    /// One inference step of a recurrent layer: the new hidden (and, for the LSTM, cell) state
    /// after inputs `x` `[batch, input]`, with the input projection `x · input_weight`
    /// (`[input, gates × hidden]`) and the recurrence from `state`. The same results as
    /// [`affine`](ModelBackend::affine) followed by
    /// [`recurrence_forward`](ModelBackend::recurrence_forward) over one step, which is the
    /// default; the CPU backend runs both over raw buffers, without tensors between them (a
    /// generation step of a small model is otherwise mostly tensor bookkeeping).
    fn recurrent_step(
        cell: Cell,
        x: FloatTensor<Self>,
        input_weight: FloatTensor<Self>,
        params: Params<Self>,
        state: Initial<Self>,
    ) -> Initial<Self> {
        recurrence::generic::step::<Self>(cell, x, input_weight, params, state)
    }

    /// The log-softmax of every row of `[rows, classes]` logits, for inference steps; the
    /// default is burn's `log_softmax`. The CPU backend computes it in one pass over the rows, in
    /// place where it can, with burn's operations in burn's order, so the results are the same
    /// bit for bit (tested) and generated pieces do not change.
    fn log_softmax_rows(logits: FloatTensor<Self>) -> FloatTensor<Self> {
        burn_log_softmax_rows::<Self>(logits)
    }

    /// `x · w (+ b)` for `x` `[rows, in]`, `w` `[in, out]`, `b` `[out]`: the projections of
    /// inference steps, where `rows` is the batch (often 1). The CPU backend streams `w` once
    /// instead of packing it for a general matrix product.
    fn affine(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        recurrence::generic::affine::<Self>(x, w, b)
    }

    /// The gradients of [`affine`](ModelBackend::affine) at `x`, `w` and, `has_bias`, `b`, given
    /// the result's gradient `grad` `[rows, out]`.
    fn affine_backward(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        has_bias: bool,
        grad: FloatTensor<Self>,
    ) -> AffineGrads<Self> {
        crate::affine::generic_backward::<Self>(x, w, has_bias, grad)
    }

    /// A weight matrix in the form that [`affine`](ModelBackend::affine) and the recurrences of
    /// inference steps read fastest (see [`TokenLm::with_inference_weights`](crate::TokenLm)).
    /// The default keeps it as it is; the CPU backend stores it in half precision, which halves
    /// the bytes that every generated token streams through the cache, and widens it again for
    /// any product of more than a few rows. Not for training: the gradients of such weights are
    /// not kept.
    fn inference_weight(w: FloatTensor<Self>) -> FloatTensor<Self> {
        w
    }

    /// Writes `value` `[batch, heads, 1, d_k]` at position `at` of a key/value cache `[batch,
    /// heads, capacity, d_k]` and returns the cache (inference). The CPU backend writes in place
    /// when the cache is not shared; burn's `slice_assign` copies the whole cache every time.
    fn cache_write(
        cache: FloatTensor<Self>,
        at: usize,
        value: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let cache: Tensor<Self, 4> = wrap(cache);
        let value: Tensor<Self, 4> = wrap(value);
        let [batch, heads, _, d_k] = value.dims();
        unwrap(cache.slice_assign([0..batch, 0..heads, at..at + 1, 0..d_k], value))
    }

    /// The attention of one query position `q` `[batch, heads, 1, d_k]` over the first `seen`
    /// positions of a key/value cache `[batch, heads, capacity, d_k]`: `softmax(q · Kᵀ / √d_k) ·
    /// V`, the heads side by side `[batch, heads × d_k]` (inference; see [`crate::attention`]).
    fn attend_one(
        q: FloatTensor<Self>,
        keys: FloatTensor<Self>,
        values: FloatTensor<Self>,
        seen: usize,
    ) -> FloatTensor<Self> {
        attention::generic::<Self>(q, keys, values, seen)
    }

    /// The causal self-attention contexts of queries, keys and values `[batch × time, heads ×
    /// d_k]` and the log-sum-exp of every row of scores (see [`crate::causal_attention`]).
    fn causal_attention_forward(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> Attended<Self> {
        causal_attention::generic::forward::<Self>(q, k, v, layout)
    }

    /// The gradients of the causal self-attention at its queries, keys and values, given the
    /// contexts' gradient.
    fn causal_attention_backward(
        saved: Saved<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        causal_attention::generic::backward::<Self>(saved, grad)
    }

    /// The differentiable causal self-attention; autodiff backends record it as one node.
    fn causal_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        Self::causal_attention_forward(q, k, v, layout).context
    }

    /// GELU (exact, erf form) of every element (see [`crate::gelu`]).
    fn fused_gelu_forward(x: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::gelu::generic_forward::<Self>(x)
    }

    /// The gradient of GELU at its input `x`, given the output's gradient.
    fn fused_gelu_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::gelu::generic_backward::<Self>(x, grad)
    }

    /// The differentiable GELU; autodiff backends record it as one node.
    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::fused_gelu_forward(x)
    }

    /// Layer normalisation of `[rows, width]` with scale `gamma` and shift `beta` `[width]`
    /// (see [`crate::layer_norm`]).
    fn fused_layer_norm_forward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f32,
    ) -> Normalised<Self> {
        crate::layer_norm::generic_forward::<Self>(x, gamma, beta, epsilon)
    }

    /// The gradients of the layer norm at `x`, `gamma` and `beta`.
    fn fused_layer_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        saved: Normalised<Self>,
        grad: FloatTensor<Self>,
    ) -> NormGrads<Self> {
        crate::layer_norm::generic_backward::<Self>(x, gamma, saved, grad)
    }

    /// The differentiable layer norm; autodiff backends record it as one node.
    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f32,
    ) -> FloatTensor<Self> {
        Self::fused_layer_norm_forward(x, gamma, beta, epsilon).y
    }

    /// The NADE logits `[frames, keys]` (see [`crate::nade`]), forward only.
    fn nade_forward(x: NadeInputs<Self>) -> FloatTensor<Self> {
        nade::generic::forward::<Self>(x)
    }

    /// The NADE's gradients `(dbh, dbv, dw, dv)` given the logits' gradient.
    fn nade_backward(
        x: NadeInputs<Self>,
        grad_logits: FloatTensor<Self>,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        nade::generic::backward::<Self>(x, grad_logits)
    }

    /// The differentiable NADE operation; autodiff backends record it as one node.
    fn nade(x: NadeInputs<Self>) -> FloatTensor<Self> {
        Self::nade_forward(x)
    }

    /// The differentiable operation: hidden states `[batch, time, hidden]` from the zero state.
    /// Autodiff backends record it as one node; others just run the forward pass.
    fn recurrence(cell: Cell, xp: FloatTensor<Self>, params: Params<Self>) -> FloatTensor<Self> {
        Self::recurrence_forward(cell, xp, params, None).hidden
    }
}

/// An autodiff backend for training whose inner backend (evaluation, `model.valid()`) runs the
/// fused recurrences too.
pub trait TrainingBackend:
    burn::tensor::backend::AutodiffBackend<InnerBackend: ModelBackend> + ModelBackend
{
}

impl<B> TrainingBackend for B
where
    B: burn::tensor::backend::AutodiffBackend + ModelBackend,
    B::InnerBackend: ModelBackend,
{
}

impl ModelBackend for burn::backend::Flex {
    fn recurrence_forward(
        cell: Cell,
        xp: FloatTensor<Self>,
        params: Params<Self>,
        initial: Option<Initial<Self>>,
    ) -> Trace<Self> {
        recurrence::cpu::forward(cell, xp, params, initial)
    }

    fn recurrence_backward(
        cell: Cell,
        w: FloatTensor<Self>,
        trace: Trace<Self>,
        grad_hidden: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        recurrence::cpu::backward(cell, w, trace, grad_hidden)
    }

    fn affine(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        recurrence::cpu::affine(x, w, b)
    }

    fn recurrent_step(
        cell: Cell,
        x: FloatTensor<Self>,
        input_weight: FloatTensor<Self>,
        params: Params<Self>,
        state: Initial<Self>,
    ) -> Initial<Self> {
        recurrence::cpu::step(cell, x, input_weight, params, state)
    }

    fn log_softmax_rows(logits: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::cpu::log_softmax_rows(logits)
    }

    fn affine_backward(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        has_bias: bool,
        grad: FloatTensor<Self>,
    ) -> AffineGrads<Self> {
        crate::affine::cpu_backward(x, w, has_bias, grad)
    }

    fn fused_gelu_forward(x: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::gelu::cpu_forward(x)
    }

    fn fused_layer_norm_forward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f32,
    ) -> Normalised<Self> {
        crate::layer_norm::cpu_forward(x, gamma, beta, epsilon)
    }

    fn fused_layer_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        saved: Normalised<Self>,
        grad: FloatTensor<Self>,
    ) -> NormGrads<Self> {
        crate::layer_norm::cpu_backward(x, gamma, saved, grad)
    }

    fn fused_gelu_backward(x: FloatTensor<Self>, grad: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::gelu::cpu_backward(x, grad)
    }

    fn nade_forward(x: NadeInputs<Self>) -> FloatTensor<Self> {
        nade::cpu::forward(x)
    }

    fn inference_weight(w: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::cpu::to_inference_half(w)
    }

    fn cache_write(
        cache: FloatTensor<Self>,
        at: usize,
        value: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match recurrence::cpu::cache_write(cache, at, value) {
            Ok(written) => written,
            Err((cache, value)) => cache_write_copying::<Self>(cache, at, value),
        }
    }

    fn nade_backward(
        x: NadeInputs<Self>,
        grad_logits: FloatTensor<Self>,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        nade::cpu::backward(x, grad_logits)
    }

    fn causal_attention_forward(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> Attended<Self> {
        causal_attention::cpu::forward(q, k, v, layout)
    }

    fn causal_attention_backward(
        saved: Saved<Self>,
        grad: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        causal_attention::cpu::backward(saved, grad)
    }

    fn attend_one(
        q: FloatTensor<Self>,
        keys: FloatTensor<Self>,
        values: FloatTensor<Self>,
        seen: usize,
    ) -> FloatTensor<Self> {
        attention::cpu(q, keys, values, seen).unwrap_or_else(|inputs| {
            let (q, k, v) = *inputs;
            attention::generic::<Self>(q, k, v, seen)
        })
    }
}

#[cfg(feature = "cuda")]
impl ModelBackend for burn::backend::Cuda {}

/// [`ModelBackend::cache_write`] with `slice_assign`, which copies the cache.
fn cache_write_copying<B: Backend>(
    cache: FloatTensor<B>,
    at: usize,
    value: FloatTensor<B>,
) -> FloatTensor<B> {
    let (cache, value): (Tensor<B, 4>, Tensor<B, 4>) = (wrap(cache), wrap(value));
    let [batch, heads, _, d_k] = value.dims();
    let value = value.cast(cache.dtype());
    unwrap(cache.slice_assign([0..batch, 0..heads, at..at + 1, 0..d_k], value))
}

/// A float tensor from a primitive.
/// Registers each gradient a fused node's backward computed with its parent, the parents given
/// by id (`None` on either side: the parent needs no gradient, or none was computed for it).
pub(crate) fn register_gradients<B: Backend>(
    grads: &mut burn::backend::autodiff::grads::Gradients,
    parents: impl IntoIterator<Item = Option<burn::backend::autodiff::NodeId>>,
    computed: impl IntoIterator<Item = Option<FloatTensor<B>>>,
) {
    for (node, g) in parents.into_iter().zip(computed) {
        if let (Some(node), Some(g)) = (node, g) {
            grads.register::<B>(node, g);
        }
    }
}

pub(crate) fn wrap<B: Backend, const D: usize>(p: FloatTensor<B>) -> Tensor<B, D> {
    Tensor::from_primitive(TensorPrimitive::Float(p))
}

/// The primitive of a float tensor.
pub(crate) fn unwrap<B: Backend, const D: usize>(t: Tensor<B, D>) -> FloatTensor<B> {
    t.into_primitive().tensor()
}

impl<B: ModelBackend, C: CheckpointStrategy> ModelBackend for Autodiff<B, C> {
    fn recurrence(cell: Cell, xp: FloatTensor<Self>, params: Params<Self>) -> FloatTensor<Self> {
        recurrence::autodiff::recurrence(cell, xp, params)
    }

    fn nade(x: NadeInputs<Self>) -> FloatTensor<Self> {
        nade::autodiff::nade(x)
    }

    fn causal_attention(
        q: FloatTensor<Self>,
        k: FloatTensor<Self>,
        v: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        causal_attention::autodiff::causal_attention::<B, C>(q, k, v, layout)
    }

    fn affine(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: Option<FloatTensor<Self>>,
    ) -> FloatTensor<Self> {
        crate::affine::autodiff::<B, C>(x, w, b)
    }

    fn fused_gelu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        crate::gelu::autodiff::<B, C>(x)
    }

    fn fused_layer_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f32,
    ) -> FloatTensor<Self> {
        crate::layer_norm::autodiff::<B, C>(x, gamma, beta, epsilon)
    }
}

/// burn's own `log_softmax` over the rows of `[rows, classes]` logits: the default of
/// [`ModelBackend::log_softmax_rows`], and the CPU backend's fallback.
pub(crate) fn burn_log_softmax_rows<B: Backend>(logits: FloatTensor<B>) -> FloatTensor<B> {
    unwrap(burn::tensor::activation::log_softmax(
        wrap::<B, 2>(logits),
        1,
    ))
}

/// `w` in its inference form (see [`ModelBackend::inference_weight`]).
pub fn inference_weight<B: ModelBackend>(w: Tensor<B, 2>) -> Tensor<B, 2> {
    wrap(B::inference_weight(unwrap(w)))
}

/// `x · w (+ b)` for the few rows of an inference step (see [`ModelBackend::affine`]).
pub fn affine<B: ModelBackend>(
    x: Tensor<B, 2>,
    w: Tensor<B, 2>,
    b: Option<Tensor<B, 1>>,
) -> Tensor<B, 2> {
    wrap(B::affine(unwrap(x), unwrap(w), b.map(unwrap)))
}
