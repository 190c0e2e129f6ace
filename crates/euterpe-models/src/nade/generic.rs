//! The NADE with tensor operations: correct on every backend, and the tests' reference.

use burn::tensor::activation::sigmoid;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use super::NadeInputs;
use crate::ops::{unwrap, wrap};

/// Per-key logits `[n, K]`, all keys in parallel (teacher forcing).
///
/// Written with matrix products and materialised repeats rather than broadcasting, which the CPU
/// backend runs element by element through strided iterators.
pub fn logits_tensors<B: Backend>(
    bh: Tensor<B, 2>,
    bv: Tensor<B, 2>,
    w: Tensor<B, 2>,
    v: Tensor<B, 2>,
    targets: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [n, keys] = targets.dims();
    let hidden = w.dims()[1];
    let device = targets.device();
    // below[n, i, j] = target[n, j] for j < i: the keys under key i (a constant, no gradient).
    let lower = Tensor::<B, 2>::ones([keys, keys], &device).tril(-1);
    let below = targets.reshape([n, 1, keys]).repeat_dim(1, keys)
        * lower.unsqueeze_dim::<3>(0).repeat_dim(0, n);
    // a_i = b_h + Σ_{j<i} t_j w_j for every key at once.
    let acts = below.matmul(w.unsqueeze_dim::<3>(0).repeat_dim(0, n))
        + bh.reshape([n, 1, hidden]).repeat_dim(1, keys);
    let h = sigmoid(acts); // [n, keys, hidden]
                           // logit_i = Σ_h h[i, h] v[h, i]: a product batched over keys.
    let per_key = h
        .swap_dims(0, 1)
        .matmul(v.transpose().reshape([keys, hidden, 1])); // [keys, n, 1]
    per_key.reshape([keys, n]).transpose() + bv
}

/// [`ModelBackend::nade`](crate::ops::ModelBackend::nade) on primitives.
pub fn forward<B: Backend>(x: NadeInputs<B>) -> FloatTensor<B> {
    unwrap(logits_tensors::<B>(
        wrap(x.bh),
        wrap(x.bv),
        wrap(x.w),
        wrap(x.v),
        wrap(x.targets),
    ))
}

/// The gradients `(dbh, dbv, dw, dv)` of the logits' loss given its gradient `dl` `[n, K]`
/// (the formulas of the module documentation, for all keys at once).
pub fn backward<B: Backend>(
    x: NadeInputs<B>,
    dl: FloatTensor<B>,
) -> (
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
    FloatTensor<B>,
) {
    let (bh, w, v, t): (Tensor<B, 2>, Tensor<B, 2>, Tensor<B, 2>, Tensor<B, 2>) =
        (wrap(x.bh), wrap(x.w), wrap(x.v), wrap(x.targets));
    let dl: Tensor<B, 2> = wrap(dl);
    let [n, keys] = t.dims();
    let hidden = w.dims()[1];
    let device = t.device();
    let lower = Tensor::<B, 2>::ones([keys, keys], &device).tril(-1);
    let below = t.clone().reshape([n, 1, keys]).repeat_dim(1, keys)
        * lower.clone().unsqueeze_dim::<3>(0).repeat_dim(0, n);
    let acts = below.matmul(w.unsqueeze_dim::<3>(0).repeat_dim(0, n))
        + bh.reshape([n, 1, hidden]).repeat_dim(1, keys);
    let h = sigmoid(acts); // [n, K, H]
                           // dv[:, i] = Σ_n dl[n, i] h[n, i, :]
    let dv = h
        .clone()
        .swap_dims(0, 1) // [K, n, H]
        .swap_dims(1, 2) // [K, H, n]
        .matmul(dl.clone().transpose().reshape([keys, n, 1])) // [K, H, 1]
        .reshape([keys, hidden])
        .transpose();
    // δ[n, k, :] = dl[n, k] v[:, k] ⊙ σ'(a_k)
    let vt = v.transpose().reshape([1, keys, hidden]).repeat_dim(0, n);
    let delta =
        dl.clone().reshape([n, keys, 1]).repeat_dim(2, hidden) * vt * h.clone() * (h.neg() + 1.0);
    let dbh = delta.clone().sum_dim(1).reshape([n, hidden]);
    // S[n, j, :] = Σ_{k>j} δ[n, k, :], then dw_j = Σ_n t[n, j] S[n, j, :].
    let upper = lower.transpose().unsqueeze_dim::<3>(0).repeat_dim(0, n);
    let suffix = upper.matmul(delta);
    let dw = (t.reshape([n, keys, 1]).repeat_dim(2, hidden) * suffix)
        .sum_dim(0)
        .reshape([keys, hidden]);
    (unwrap(dbh), unwrap(dl), unwrap(dw), unwrap(dv))
}
