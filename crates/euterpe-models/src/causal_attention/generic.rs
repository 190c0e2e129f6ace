//! [`super`] with burn's tensor operations: the default of every backend.

use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorData};

use super::{Attended, HeadLayout, Saved};
use crate::ops::{unwrap, wrap};

/// `[batch × time, heads × d_k]` → `[batch × heads, time, d_k]`.
fn split<B: Backend>(t: FloatTensor<B>, layout: &HeadLayout) -> Tensor<B, 3> {
    let HeadLayout {
        batch,
        steps,
        heads,
        ..
    } = *layout;
    let t: Tensor<B, 2> = wrap(t);
    let d_k = t.dims()[1] / heads;
    t.reshape([batch, steps, heads, d_k])
        .swap_dims(1, 2)
        .reshape([batch * heads, steps, d_k])
}

/// `[batch × heads, time, d_k]` → `[batch × time, heads × d_k]`.
fn merge<B: Backend>(t: Tensor<B, 3>, layout: &HeadLayout) -> FloatTensor<B> {
    let HeadLayout {
        batch,
        steps,
        heads,
        ..
    } = *layout;
    let d_k = t.dims()[2];
    unwrap(
        t.reshape([batch, heads, steps, d_k])
            .swap_dims(1, 2)
            .reshape([batch * steps, heads * d_k]),
    )
}

/// The scaled scores `s·Q·Kᵀ` `[batch × heads, time, time]`, with a large negative number above
/// the diagonal (the future) when causal, and at padded keys otherwise.
fn scores<B: Backend>(q: &Tensor<B, 3>, k: &Tensor<B, 3>, layout: &HeadLayout) -> Tensor<B, 3> {
    let [rows, steps, d_k] = q.dims();
    let scores = q
        .clone()
        .matmul(k.clone().swap_dims(1, 2))
        .mul_scalar(1.0 / (d_k as f64).sqrt());
    if !layout.causal {
        if layout.lengths.is_none() {
            return scores;
        }
        let padded: Vec<f32> = (0..rows * steps)
            .map(|bj| {
                let keys = layout.keys(bj / steps / layout.heads);
                if bj % steps >= keys {
                    -1.0e9
                } else {
                    0.0
                }
            })
            .collect();
        return scores + Tensor::from_data(TensorData::new(padded, [rows, 1, steps]), &q.device());
    }
    let future: Vec<f32> = (0..steps * steps)
        .map(|ij| if ij % steps > ij / steps { -1.0e9 } else { 0.0 })
        .collect();
    scores + Tensor::from_data(TensorData::new(future, [1, steps, steps]), &q.device())
}

/// The forward pass.
pub fn forward<B: Backend>(
    q: FloatTensor<B>,
    k: FloatTensor<B>,
    v: FloatTensor<B>,
    layout: HeadLayout,
) -> Attended<B> {
    let (q, k, v) = (
        split::<B>(q, &layout),
        split::<B>(k, &layout),
        split::<B>(v, &layout),
    );
    let scores = scores(&q, &k, &layout);
    let max = scores.clone().max_dim(2);
    let log_sum_exp = (scores.clone() - max.clone()).exp().sum_dim(2).log() + max;
    let weights = (scores - log_sum_exp.clone()).exp();
    let [rows, steps, _] = log_sum_exp.dims();
    Attended {
        context: merge(weights.matmul(v), &layout),
        log_sum_exp: unwrap(log_sum_exp.reshape([rows, steps])),
    }
}

/// The backward pass: the gradients at `q`, `k` and `v` given the context's gradient.
pub fn backward<B: Backend>(
    saved: Saved<B>,
    grad: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let Saved {
        q,
        k,
        v,
        attended,
        layout,
    } = saved;
    let (q, k, v) = (
        split::<B>(q, &layout),
        split::<B>(k, &layout),
        split::<B>(v, &layout),
    );
    let grad = split::<B>(grad, &layout);
    let context = split::<B>(attended.context, &layout);
    let [rows, steps, d_k] = q.dims();
    let log_sum_exp: Tensor<B, 2> = wrap(attended.log_sum_exp);
    let weights = (scores(&q, &k, &layout) - log_sum_exp.reshape([rows, steps, 1])).exp();
    let dv = weights.clone().swap_dims(1, 2).matmul(grad.clone());
    let dp = grad.clone().matmul(v.swap_dims(1, 2));
    let delta = (grad * context).sum_dim(2);
    let ds = (weights * (dp - delta)).mul_scalar(1.0 / (d_k as f64).sqrt());
    let dq = ds.clone().matmul(k);
    let dk = ds.swap_dims(1, 2).matmul(q);
    (merge(dq, &layout), merge(dk, &layout), merge(dv, &layout))
}
