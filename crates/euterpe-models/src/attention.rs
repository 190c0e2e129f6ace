//! The attention of one new position over a key/value cache: the inner loop of a Transformer's
//! generation step. burn computes it as two batched matrix products (`q · Kᵀ`, then the weights
//! times `V`), which at one query row are mostly the products' set-up; the CPU backend runs it as
//! one loop per head instead, reading each cached key and value once.

use burn::backend::flex::FlexTensor;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{DType, Tensor, TensorMetadata};

use burn::tensor::f16;

use crate::cpu::{contiguous, dispatch, dot, half_view, tensor, view, Widen};
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
    // A cache kept in another precision than the query is read in the query's.
    let keys: Tensor<B, 4> = wrap::<B, 4>(keys).narrow(2, 0, seen).cast(q.dtype());
    let values: Tensor<B, 4> = wrap::<B, 4>(values).narrow(2, 0, seen).cast(q.dtype());
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
/// softmax, and the weighted sum of the cached values, in one pass over a scratch row. The cache
/// may be `f32` or half precision (as [`crate::transformer`] keeps it beside half-precision
/// weights). Returns the inputs back for a layout it does not handle (another element type, the
/// keys and values of different types, or a cache not starting at its storage's first element).
pub fn cpu(
    q: FlexTensor,
    keys: FlexTensor,
    values: FlexTensor,
    seen: usize,
) -> Result<FlexTensor, Unhandled> {
    let handled = |t: &FlexTensor| {
        matches!(t.dtype(), DType::F32 | DType::F16)
            && t.dtype() == keys.dtype()
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
    let heads = Heads {
        rows: shape[0] * shape[1],
        capacity: shape[2],
        d_k: shape[3],
        seen,
    };
    if seen == 0 || seen > heads.capacity || q_c.shape().num_elements() != heads.rows * heads.d_k {
        return Err(Box::new((q, keys, values)));
    }
    let qv = view(&q_c);
    let out = match (half_view(&keys), half_view(&values)) {
        (Some(kv), Some(vv)) => attend_half(heads, qv, kv, vv),
        _ => attend(heads, qv, view(&keys), view(&values)),
    };
    Ok(tensor(out, &[shape[0], shape[1] * heads.d_k]))
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

/// The contexts `[rows, d_k]` of every head (see [`cpu`]), over a cache of either precision.
#[inline(always)]
fn attend_heads<T: Widen>(heads: Heads, qv: &[f32], kv: &[T], vv: &[T]) -> Vec<f32> {
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
                *c += w * v.widen();
            }
        }
    }
    out
}

/// [`attend_heads`] over a half-precision cache, with F16C conversions where the CPU has them.
fn attend_half(heads: Heads, qv: &[f32], kv: &[f16], vv: &[f16]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if heads.d_k.is_multiple_of(8)
        && std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c")
    {
        // SAFETY: the CPU has just been checked for the features the function enables, and
        // `d_k` is a multiple of eight.
        return unsafe { attend_half_f16c(heads, qv, kv, vv) };
    }
    attend_heads(heads, qv, kv, vv)
}

/// The softmax of one head's scaled scores, in place and normalised (for [`attend_half_f16c`]).
fn softmax_in_place(weights: &mut [f32]) {
    let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0f32;
    for w in weights.iter_mut() {
        *w = (*w - max).exp();
        total += *w;
    }
    for w in weights.iter_mut() {
        *w /= total;
    }
}

/// [`attend_half`] with eight-wide F16C conversions and FMA. Four keys are scored at once, with
/// independent sums, and each 32-wide block of a head's context stays in registers over all its
/// values: a chain of dependent multiply-adds per key, or a store and reload per value, would
/// otherwise set the pace rather than reading the cache.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C, and `d_k` must be a multiple of eight.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn attend_half_f16c(heads: Heads, qv: &[f32], kv: &[f16], vv: &[f16]) -> Vec<f32> {
    use std::arch::x86_64::*;
    let Heads {
        rows,
        capacity,
        d_k,
        seen,
    } = heads;
    let scale = 1.0 / (d_k as f32).sqrt();
    let mut out = vec![0.0f32; rows * d_k];
    let mut weights = vec![0.0f32; seen];
    // Eight values from `p + j`; every caller passes j + 8 ≤ d_k into a row of d_k values.
    let load_half = |p: *const f16, j: usize| {
        // SAFETY: p + j .. p + j + 8 lies inside one row of the cache (see above).
        unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p.add(j).cast())) }
    };
    let sum_lanes = |v: __m256| {
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds eight floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        lanes.iter().sum::<f32>()
    };
    for (r, context) in out.chunks_exact_mut(d_k).enumerate() {
        let query = &qv[r * d_k..][..d_k];
        let head_keys = &kv[r * capacity * d_k..][..seen * d_k];
        let head_values = &vv[r * capacity * d_k..][..seen * d_k];
        let mut key_rows = head_keys.chunks_exact(4 * d_k);
        let mut scored = 0;
        for four in key_rows.by_ref() {
            let p = four.as_ptr();
            let mut acc = [_mm256_setzero_ps(); 4];
            for j in (0..d_k).step_by(8) {
                // SAFETY: j + 8 ≤ d_k, the length of `query`.
                let q8 = unsafe { _mm256_loadu_ps(query.as_ptr().add(j)) };
                for (i, a) in acc.iter_mut().enumerate() {
                    // SAFETY: key i of the four starts at i × d_k.
                    *a = _mm256_fmadd_ps(q8, load_half(unsafe { p.add(i * d_k) }, j), *a);
                }
            }
            for (i, a) in acc.into_iter().enumerate() {
                weights[scored + i] = sum_lanes(a) * scale;
            }
            scored += 4;
        }
        for key in key_rows.remainder().chunks_exact(d_k) {
            let mut acc = _mm256_setzero_ps();
            for j in (0..d_k).step_by(8) {
                // SAFETY: j + 8 ≤ d_k, the length of `query`.
                let q8 = unsafe { _mm256_loadu_ps(query.as_ptr().add(j)) };
                acc = _mm256_fmadd_ps(q8, load_half(key.as_ptr(), j), acc);
            }
            weights[scored] = sum_lanes(acc) * scale;
            scored += 1;
        }
        softmax_in_place(&mut weights);
        let mut block = 0;
        while block < d_k {
            let width = (d_k - block).min(32);
            let mut acc = [_mm256_setzero_ps(); 4];
            for (&w, value) in weights.iter().zip(head_values.chunks_exact(d_k)) {
                let wv = _mm256_set1_ps(w);
                let p = value.as_ptr();
                for (i, a) in acc.iter_mut().enumerate().take(width / 8) {
                    *a = _mm256_fmadd_ps(wv, load_half(p, block + 8 * i), *a);
                }
            }
            for (i, a) in acc.iter().enumerate().take(width / 8) {
                // SAFETY: block + 8i + 8 ≤ d_k, the length of `context`.
                unsafe { _mm256_storeu_ps(context.as_mut_ptr().add(block + 8 * i), *a) };
            }
            block += width;
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
        // burn's products over the `f32` cache, and the fused loop over a cache `k`, `v`.
        let exact = |seen| -> Tensor<Flex, 2> {
            wrap(generic::<Flex>(
                unwrap(q.clone()),
                unwrap(k.clone()),
                unwrap(v.clone()),
                seen,
            ))
        };
        let fused = |k: &Tensor<Flex, 4>, v: &Tensor<Flex, 4>, seen| -> Tensor<Flex, 2> {
            wrap(
                cpu(
                    unwrap(q.clone()),
                    unwrap(k.clone()),
                    unwrap(v.clone()),
                    seen,
                )
                .unwrap_or_else(|_| panic!("contiguous caches are handled")),
            )
        };
        for seen in [1, 5, 16] {
            let got = fused(&k, &v, seen);
            assert_eq!(got.dims(), [batch, heads * d_k]);
            let worst: f32 = (got - exact(seen)).abs().max().into_scalar();
            assert!(worst < 1e-5, "seen {seen}: largest difference {worst}");
        }
        // A half-precision cache (beside inference weights): within its rounding of the `f32`
        // result, and the vector and scalar loops agree.
        let (k16, v16) = (k.clone().cast(DType::F16), v.clone().cast(DType::F16));
        for seen in [1, 7, 16] {
            let diff: f32 = (fused(&k16, &v16, seen) - exact(seen))
                .abs()
                .max()
                .into_scalar();
            assert!(diff < 1e-2, "seen {seen}: half precision off by {diff}");
        }
        let d_k8 = 40; // a full 32-wide block of the context and a partial one
        let q8 = Tensor::<Flex, 4>::random([1, 2, 1, d_k8], Distribution::Default, &device);
        let kv8 = Tensor::<Flex, 4>::random([1, 2, 8, d_k8], Distribution::Default, &device)
            .cast(DType::F16);
        let heads = Heads {
            rows: 2,
            capacity: 8,
            d_k: d_k8,
            seen: 5,
        };
        let (q8, kv8) = (unwrap(q8), unwrap(kv8));
        let (qs, ks) = (view(&q8), half_view(&kv8).unwrap());
        let scalar = attend_heads(heads, qs, ks, ks);
        let vector = attend_half(heads, qs, ks, ks);
        let worst = scalar
            .iter()
            .zip(&vector)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "vector and scalar loops differ by {worst}");
        // A layout it does not take is handed back, not misread.
        let narrowed = k.clone().narrow(2, 1, 8);
        let back = cpu(unwrap(q), unwrap(narrowed), unwrap(v.narrow(2, 1, 8)), 4);
        assert!(back.is_err());
    }
}
