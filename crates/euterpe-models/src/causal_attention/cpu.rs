//! [`super`] on the CPU backend: per sequence and head, blocks of [`BLOCK`] rows of scores in a
//! scratch buffer, `gemm` reading the heads in place through strides (no split or merge copies),
//! and vectorised softmax loops. Falls back to [`generic`] for element types other than `f32`.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::TensorMetadata;

use super::{generic, Attended, HeadLayout, Saved};
use crate::cpu::{
    contiguous, dispatch, dot, exp, lane_max, lane_sum, product, tensor, view, Strided,
};

/// Rows of scores computed at once. A causal block's scores reach only as far right as its last row
/// (the rest is the future), which skips most of the upper triangle, and `BLOCK × time` floats stay
/// in the cache between the products that read them.
const BLOCK: usize = 64;

/// The sizes the kernels work with.
#[derive(Clone, Copy, Debug)]
struct Dims<'a> {
    batch: usize,
    steps: usize,
    heads: usize,
    d_k: usize,
    width: usize,
    layout: &'a HeadLayout,
}

impl<'a> Dims<'a> {
    /// The sizes of `[batch × time, width]` inputs, if they all have that shape and the width
    /// divides into the heads.
    fn of(inputs: &[&FlexTensor], layout: &'a HeadLayout) -> Option<Dims<'a>> {
        let HeadLayout {
            batch,
            steps,
            heads,
            ..
        } = *layout;
        let shape = inputs.first()?.shape();
        let width = *shape.get(1)?;
        let fits = shape.len() == 2
            && shape[0] == batch * steps
            && heads > 0
            && width > 0
            && width.is_multiple_of(heads)
            && steps > 0
            && inputs.iter().all(|t| t.shape() == shape);
        fits.then_some(Dims {
            batch,
            steps,
            heads,
            d_k: width / heads,
            width,
            layout,
        })
    }

    /// Where head `h` of sequence `b` lies in a `[batch × time, width]` buffer.
    fn head(self, b: usize, h: usize) -> Strided {
        Strided::rows(b * self.steps * self.width + h * self.d_k, self.width)
    }

    fn scale(self) -> f32 {
        1.0 / (self.d_k as f32).sqrt()
    }

    /// The block of `m` rows from `r0` of sequence `b` and the keys it sees, `0..n`: up to its
    /// last row when causal, all the sequence's real positions otherwise.
    fn block(self, b: usize, r0: usize) -> (usize, usize) {
        let m = BLOCK.min(self.steps - r0);
        let n = if self.layout.causal {
            r0 + m
        } else {
            self.layout.keys(b)
        };
        (m, n)
    }

    /// How many keys row `i` of sequence `b` attends to.
    fn seen(self, b: usize, i: usize) -> usize {
        if self.layout.causal {
            i + 1
        } else {
            self.layout.keys(b)
        }
    }

    /// The scaled scores `s·Q·Kᵀ` of rows `r0..r0 + m` against positions `0..n` of one head,
    /// into `out` (rows `n` apart).
    fn scores(
        self,
        head: Strided,
        (r0, m, n): (usize, usize, usize),
        q: &[f32],
        k: &[f32],
        out: &mut [f32],
    ) {
        let s = Strided::rows(0, n);
        product(
            (m, n, self.d_k),
            out,
            s,
            false,
            q,
            head.down(r0),
            k,
            head.t(),
            self.scale(),
        );
    }
}

/// The forward pass (see [`super`]).
pub fn forward(q: FlexTensor, k: FlexTensor, v: FlexTensor, layout: HeadLayout) -> Attended<Flex> {
    let (Some(qc), Some(kc), Some(vc)) = (contiguous(&q), contiguous(&k), contiguous(&v)) else {
        return generic::forward::<Flex>(q, k, v, layout);
    };
    let Some(dims) = Dims::of(&[&qc, &kc, &vc], &layout) else {
        return generic::forward::<Flex>(q, k, v, layout);
    };
    let rows = dims.batch * dims.steps;
    let mut context = vec![0.0f32; rows * dims.width];
    let mut log_sum_exp = vec![0.0f32; dims.batch * dims.heads * dims.steps];
    let inputs = [view(&qc), view(&kc), view(&vc)];
    run_forward(dims, inputs, &mut context, &mut log_sum_exp);
    Attended {
        context: tensor(context, &[rows, dims.width]),
        log_sum_exp: tensor(log_sum_exp, &[dims.batch * dims.heads, dims.steps]),
    }
}

/// [`forward_heads`] compiled for AVX2 and FMA where the CPU has them.
fn run_forward(dims: Dims, inputs: [&[f32]; 3], context: &mut [f32], log_sum_exp: &mut [f32]) {
    dispatch!(forward_heads(dims, inputs, context, log_sum_exp))
}

#[inline(always)]
fn forward_heads(dims: Dims, [q, k, v]: [&[f32]; 3], context: &mut [f32], log_sum_exp: &mut [f32]) {
    let steps = dims.steps;
    let mut weights = vec![0.0f32; BLOCK.min(steps) * steps];
    for b in 0..dims.batch {
        for h in 0..dims.heads {
            let head = dims.head(b, h);
            let head_lse = &mut log_sum_exp[(b * dims.heads + h) * steps..][..steps];
            for r0 in (0..steps).step_by(BLOCK) {
                let (m, n) = dims.block(b, r0);
                dims.scores(head, (r0, m, n), q, k, &mut weights);
                for (i, row) in weights[..m * n].chunks_exact_mut(n).enumerate() {
                    head_lse[r0 + i] = softmax_causal(row, dims.seen(b, r0 + i));
                }
                let p = Strided::rows(0, n);
                product(
                    (m, dims.d_k, n),
                    context,
                    head.down(r0),
                    false,
                    &weights,
                    p,
                    v,
                    head,
                    1.0,
                );
            }
        }
    }
}

/// Replaces the scores of a row by the softmax of its first `seen` (positions after them get 0)
/// and returns the row's log-sum-exp.
#[inline(always)]
fn softmax_causal(row: &mut [f32], seen: usize) -> f32 {
    let (seen, future) = row.split_at_mut(seen);
    future.fill(0.0);
    // Eight partial maxima and sums, and the exponentials in a loop of their own: a single
    // running value would keep each loop scalar.
    let max = lane_max(seen);
    for x in seen.iter_mut() {
        *x = exp(*x - max);
    }
    let total = lane_sum(seen, seen, |x, _| x);
    let inverse = 1.0 / total;
    for x in seen.iter_mut() {
        *x *= inverse;
    }
    max + total.ln()
}

/// The backward pass (see [`super`]): the gradients at `q`, `k` and `v`.
pub fn backward(saved: Saved<Flex>, grad: FlexTensor) -> (FlexTensor, FlexTensor, FlexTensor) {
    let all = [
        &saved.q,
        &saved.k,
        &saved.v,
        &saved.attended.context,
        &grad,
        &saved.attended.log_sum_exp,
    ]
    .map(contiguous);
    let [Some(q), Some(k), Some(v), Some(context), Some(g), Some(lse)] = all else {
        return generic::backward::<Flex>(saved, grad);
    };
    let layout = saved.layout.clone();
    let dims = Dims::of(&[&q, &k, &v, &context, &g], &layout);
    let Some(dims) = dims.filter(|d| lse.shape().num_elements() == d.batch * d.heads * d.steps)
    else {
        return generic::backward::<Flex>(saved, grad);
    };
    let len = dims.batch * dims.steps * dims.width;
    let mut grads = [vec![0.0f32; len], vec![0.0f32; len], vec![0.0f32; len]];
    let inputs = [view(&q), view(&k), view(&v), view(&context), view(&g)];
    run_backward(dims, inputs, view(&lse), &mut grads);
    let shape = [dims.batch * dims.steps, dims.width];
    let [dq, dk, dv] = grads.map(|values| tensor(values, &shape));
    (dq, dk, dv)
}

/// [`backward_heads`] compiled for AVX2 and FMA where the CPU has them.
fn run_backward(dims: Dims, inputs: [&[f32]; 5], lse: &[f32], grads: &mut [Vec<f32>; 3]) {
    dispatch!(backward_heads(dims, inputs, lse, grads))
}

#[inline(always)]
fn backward_heads(
    dims: Dims,
    [q, k, v, context, grad]: [&[f32]; 5],
    lse: &[f32],
    [dq, dk, dv]: &mut [Vec<f32>; 3],
) {
    let (steps, d_k, scale) = (dims.steps, dims.d_k, dims.scale());
    let mut weights = vec![0.0f32; BLOCK.min(steps) * steps];
    let mut d_scores = vec![0.0f32; BLOCK.min(steps) * steps];
    let mut delta = vec![0.0f32; steps];
    for b in 0..dims.batch {
        for h in 0..dims.heads {
            let head = dims.head(b, h);
            let head_lse = &lse[(b * dims.heads + h) * steps..][..steps];
            // rowsum(dO ⊙ O): the softmax's backward without the [time, time] product.
            for (i, d) in delta.iter_mut().enumerate() {
                let at = head.offset + i * dims.width;
                *d = dot(&grad[at..][..d_k], &context[at..][..d_k]);
            }
            for r0 in (0..steps).step_by(BLOCK) {
                let (m, n) = dims.block(b, r0);
                let p = Strided::rows(0, n);
                dims.scores(head, (r0, m, n), q, k, &mut weights);
                // dP = dO · Vᵀ
                product(
                    (m, n, d_k),
                    &mut d_scores,
                    p,
                    false,
                    grad,
                    head.down(r0),
                    v,
                    head.t(),
                    1.0,
                );
                let rows = weights[..m * n]
                    .chunks_exact_mut(n)
                    .zip(d_scores.chunks_exact_mut(n));
                for (i, (w, ds)) in rows.enumerate() {
                    let (l, d) = (head_lse[r0 + i], delta[r0 + i]);
                    let seen = dims.seen(b, r0 + i);
                    for (w, ds) in w[..seen].iter_mut().zip(&mut ds[..seen]) {
                        *w = exp(*w - l);
                        *ds = *w * (*ds - d);
                    }
                    w[seen..].fill(0.0);
                    ds[seen..].fill(0.0);
                }
                // dV[..n] += Pᵀ · dO, dK[..n] += s · dSᵀ · Q, dQ = s · dS · K
                product(
                    (n, d_k, m),
                    dv,
                    head,
                    true,
                    &weights,
                    p.t(),
                    grad,
                    head.down(r0),
                    1.0,
                );
                product(
                    (n, d_k, m),
                    dk,
                    head,
                    true,
                    &d_scores,
                    p.t(),
                    q,
                    head.down(r0),
                    scale,
                );
                product(
                    (m, d_k, n),
                    dq,
                    head.down(r0),
                    false,
                    &d_scores,
                    p,
                    k,
                    head,
                    scale,
                );
            }
        }
    }
}
