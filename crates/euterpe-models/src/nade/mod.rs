//! The NADE output of frame models as one operation with a hand-derived backward pass.
//!
//! For a frame with target keys `t` (0 or 1), hidden biases `bh` `[H]` and visible biases `bv`
//! `[K]` from the sequence model, and the NADE's weights `w` `[K, H]` and `v` `[H, K]`, the
//! logit of key `i` is `bv_i + σ(a_i) · v[:, i]` with `a_i = bh + Σ_{j<i} t_j w_j`: each key is
//! conditioned on the keys below it (Larochelle & Murray 2011; RNN-NADE, Boulanger-Lewandowski et
//! al. 2012). Written with tensor operations ([`generic`]) this materialises `[frames, K, H]`
//! activations, gigabytes for a batch of long sequences; the CPU loops ([`cpu`]) run key by key
//! with `O(H)` memory per frame and recompute the activations in the backward pass:
//!
//! going down from the top key with `S = Σ_{k>i} δ_k` (`δ_k = dl_k · v[:, k] ⊙ σ'(a_k)`):
//! `dv[:, i] += dl_i σ(a_i)`, `dw_i += t_i S`, then `S += δ_i`; finally `dbh = S`, `dbv = dl`.
//!
//! The targets are data: they get no gradient. [`nade_logits`] is the entry point; the backend
//! methods are part of [`ModelBackend`].

pub mod autodiff;
pub mod cpu;
pub mod generic;

use burn::tensor::Tensor;

use crate::ops::{unwrap, wrap, ModelBackend};

/// The inputs of the NADE operation as primitives.
#[derive(Debug, Clone)]
pub struct NadeInputs<B: burn::tensor::backend::Backend> {
    /// Hidden biases `[frames, H]`.
    pub bh: burn::tensor::ops::FloatTensor<B>,
    /// Visible biases `[frames, K]`.
    pub bv: burn::tensor::ops::FloatTensor<B>,
    /// Visible-to-hidden weights `[K, H]`.
    pub w: burn::tensor::ops::FloatTensor<B>,
    /// Hidden-to-visible weights `[H, K]`.
    pub v: burn::tensor::ops::FloatTensor<B>,
    /// Target keys `[frames, K]`, 0 or 1.
    pub targets: burn::tensor::ops::FloatTensor<B>,
}

/// Per-key logits `[frames, K]` of the NADE, differentiable with respect to `bh`, `bv`, `w` and
/// `v` (see the module documentation).
pub fn nade_logits<B: ModelBackend>(
    bh: Tensor<B, 2>,
    bv: Tensor<B, 2>,
    w: Tensor<B, 2>,
    v: Tensor<B, 2>,
    targets: Tensor<B, 2>,
) -> Tensor<B, 2> {
    wrap(B::nade(NadeInputs {
        bh: unwrap(bh),
        bv: unwrap(bv),
        w: unwrap(w),
        v: unwrap(v),
        targets: unwrap(targets),
    }))
}

#[cfg(test)]
mod tests;
