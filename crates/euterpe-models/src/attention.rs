//! The attention of one new position over a key/value cache: the inner loop of a Transformer's
//! generation step. burn computes it as two batched matrix products (`q · Kᵀ`, then the weights
//! times `V`), which at one query row are mostly the products' set-up; the CPU backend runs it as
//! one loop per head instead, reading each cached key and value once.

use burn::backend::flex::FlexTensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{DType, Tensor, TensorMetadata};

use crate::cpu::{contiguous, dispatch, dot, tensor, view};
use crate::ops::{unwrap, wrap};

/// The default: `softmax(q · Kᵀ / √d_k) · V` over the first `seen` positions, with burn's tensor
/// operations. `q` is `[batch, heads, 1, d_k]`, `keys` and `values` `[batch, heads, capacity,
/// d_k]`; the result is `[batch, heads × d_k]`, the heads side by side.
pub fn generic<B: Backend>(
    q: FloatTensor<B>,
    keys: FloatTensor<B>,
    values: FloatTensor<B>,
    seen: usize,
) -> FloatTensor<B> {
    let q: Tensor<B, 4> = wrap(q);
    let [batch, heads, _, d_k] = q.dims();
    let keys: Tensor<B, 4> = wrap::<B, 4>(keys).narrow(2, 0, seen);
    let values: Tensor<B, 4> = wrap::<B, 4>(values).narrow(2, 0, seen);
    let scores = q
        .matmul(keys.swap_dims(2, 3))
        .div_scalar((d_k as f64).sqrt())
        .reshape([batch * heads, seen]);
    let weights = softmax(scores, 1).reshape([batch, heads, 1, seen]);
    unwrap(weights.matmul(values).reshape([batch, heads * d_k]))
}

/// The inputs handed back by [`cpu`] for a layout it does not handle: query, keys, values.
pub type Unhandled = Box<(FlexTensor, FlexTensor, FlexTensor)>;

/// The CPU form of [`generic`]: for every head, the scores of the `seen` cached keys, their
/// softmax, and the weighted sum of the cached values, in one pass over a scratch row. Returns the
/// inputs back for a layout it does not handle (not `f32`, or a cache not starting at its
/// storage's first element).
pub fn cpu(
    q: FlexTensor,
    keys: FlexTensor,
    values: FlexTensor,
    seen: usize,
) -> Result<FlexTensor, Unhandled> {
    let handled = |t: &FlexTensor| {
        t.dtype() == DType::F32
            && t.layout()
                .contiguous_offsets()
                .is_some_and(|(start, _)| start == 0)
    };
    let Some(q_c) = contiguous(&q) else {
        return Err(Box::new((q, keys, values)));
    };
    if !handled(&keys) || !handled(&values) || keys.shape() != values.shape() {
        return Err(Box::new((q, keys, values)));
    }
    let shape = keys.shape();
    let (rows, capacity, d_k) = (shape[0] * shape[1], shape[2], shape[3]);
    if seen == 0 || seen > capacity || q_c.shape().num_elements() != rows * d_k {
        return Err(Box::new((q, keys, values)));
    }
    let (qv, kv, vv) = (view(&q_c), view(&keys), view(&values));
    let out = attend(
        Heads {
            rows,
            capacity,
            d_k,
            seen,
        },
        qv,
        kv,
        vv,
    );
    Ok(tensor(out, &[shape[0], shape[1] * d_k]))
}

/// The sizes of the cached heads that [`attend_heads`] reads.
#[derive(Clone, Copy)]
struct Heads {
    /// Batch rows × heads.
    rows: usize,
    capacity: usize,
    d_k: usize,
    seen: usize,
}

/// [`attend_heads`] compiled for AVX2 and FMA where the CPU has them.
fn attend(heads: Heads, qv: &[f32], kv: &[f32], vv: &[f32]) -> Vec<f32> {
    dispatch!(attend_heads(heads, qv, kv, vv))
}

/// The contexts `[rows, d_k]` of every head (see [`cpu`]).
#[inline(always)]
fn attend_heads(heads: Heads, qv: &[f32], kv: &[f32], vv: &[f32]) -> Vec<f32> {
    let Heads {
        rows,
        capacity,
        d_k,
        seen,
    } = heads;
    let scale = 1.0 / (d_k as f32).sqrt();
    let mut out = vec![0.0f32; rows * d_k];
    let mut weights = vec![0.0f32; seen];
    for (r, context) in out.chunks_exact_mut(d_k).enumerate() {
        let query = &qv[r * d_k..][..d_k];
        let head_keys = &kv[r * capacity * d_k..][..seen * d_k];
        let head_values = &vv[r * capacity * d_k..][..seen * d_k];
        for (w, key) in weights.iter_mut().zip(head_keys.chunks_exact(d_k)) {
            *w = dot(query, key) * scale;
        }
        let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0f32;
        for w in weights.iter_mut() {
            *w = (*w - max).exp();
            total += *w;
        }
        for (&w, value) in weights.iter().zip(head_values.chunks_exact(d_k)) {
            let w = w / total;
            for (c, &v) in context.iter_mut().zip(value) {
                *c += w * v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::Distribution;

    /// The fused loop agrees with burn's matrix products for every number of seen positions,
    /// heads of a width that is not a multiple of eight, and two batch rows.
    #[test]
    fn the_fused_attention_matches_burns_products() {
        let device = Default::default();
        let (batch, heads, capacity, d_k) = (2, 3, 16, 12);
        let q = Tensor::<Flex, 4>::random([batch, heads, 1, d_k], Distribution::Default, &device);
        let k = Tensor::<Flex, 4>::random(
            [batch, heads, capacity, d_k],
            Distribution::Normal(0.0, 2.0),
            &device,
        );
        let v = Tensor::<Flex, 4>::random(
            [batch, heads, capacity, d_k],
            Distribution::Default,
            &device,
        );
        for seen in [1, 5, 16] {
            let expected: Tensor<Flex, 2> = wrap(generic::<Flex>(
                unwrap(q.clone()),
                unwrap(k.clone()),
                unwrap(v.clone()),
                seen,
            ));
            let got: Tensor<Flex, 2> = wrap(
                cpu(
                    unwrap(q.clone()),
                    unwrap(k.clone()),
                    unwrap(v.clone()),
                    seen,
                )
                .unwrap_or_else(|_| panic!("contiguous f32 inputs are handled")),
            );
            assert_eq!(got.dims(), [batch, heads * d_k]);
            let (e, g): (Vec<f32>, Vec<f32>) = (
                expected.into_data().to_vec().unwrap(),
                got.into_data().to_vec().unwrap(),
            );
            let worst = e
                .iter()
                .zip(&g)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "seen {seen}: largest difference {worst}");
        }
        // A layout it does not take is handed back, not misread.
        let narrowed = k.clone().narrow(2, 1, 8);
        let back = cpu(unwrap(q), unwrap(narrowed), unwrap(v.narrow(2, 1, 8)), 4);
        assert!(back.is_err());
    }
}
