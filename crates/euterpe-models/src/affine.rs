//! The affine map `y = x·w (+ b)` of every projection as one node of burn's autodiff graph.
//!
//! burn records it as a matrix product and a broadcast addition, whose CPU kernels allocate and
//! copy every result once more and sum the bias gradient along a strided dimension. As one node,
//! the forward pass on the CPU is one `gemm` into rows that start as the bias
//! (`recurrence::cpu::affine`), and the backward pass two `gemm`s that read `w` and `x` transposed
//! in place, `dx = dy·wᵀ` and `dw = xᵀ·dy`, with `db = Σ_rows dy`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorMetadata};

use crate::cpu::{contiguous, dispatch, new_product, tensor, view, Strided};
use crate::ops::{register_gradients, unwrap, wrap, ModelBackend};

/// The gradients of an affine map at `x`, `w` and (when it has one) `b`.
pub type AffineGrads<B> = (FloatTensor<B>, FloatTensor<B>, Option<FloatTensor<B>>);

/// The backward pass with burn's tensor operations: the default of every backend.
pub fn generic_backward<B: Backend>(
    x: FloatTensor<B>,
    w: FloatTensor<B>,
    has_bias: bool,
    grad: FloatTensor<B>,
) -> AffineGrads<B> {
    let (x, w, grad): (Tensor<B, 2>, Tensor<B, 2>, Tensor<B, 2>) = (wrap(x), wrap(w), wrap(grad));
    let out = grad.dims()[1];
    let db = has_bias.then(|| unwrap(grad.clone().sum_dim(0).reshape([out])));
    let dx = grad.clone().matmul(w.transpose());
    let dw = x.transpose().matmul(grad);
    (unwrap(dx), unwrap(dw), db)
}

/// The backward pass on the CPU backend (`f32`; other element types take [`generic_backward`]).
pub fn cpu_backward(
    x: FlexTensor,
    w: FlexTensor,
    has_bias: bool,
    grad: FlexTensor,
) -> AffineGrads<Flex> {
    let (Some(xc), Some(wc), Some(gc)) = (contiguous(&x), contiguous(&w), contiguous(&grad)) else {
        return generic_backward::<Flex>(x, w, has_bias, grad);
    };
    let (rows, inputs) = (xc.shape()[0], xc.shape()[1]);
    let outputs = wc.shape()[1];
    let shapes_agree = wc.shape()[0] == inputs && gc.shape()[0] == rows && gc.shape()[1] == outputs;
    if !shapes_agree || rows == 0 || inputs == 0 || outputs == 0 {
        return generic_backward::<Flex>(x, w, has_bias, grad);
    }
    let (xv, wv, gv) = (view(&xc), view(&wc), view(&gc));
    let (x_rows, w_rows, g_rows) = (
        Strided::rows(0, inputs),
        Strided::rows(0, outputs),
        Strided::rows(0, outputs),
    );
    let dx = new_product((rows, inputs, outputs), gv, g_rows, wv, w_rows.t(), 1.0);
    let dw = new_product((inputs, outputs, rows), xv, x_rows.t(), gv, g_rows, 1.0);
    let db = has_bias.then(|| tensor(column_sums(gv, outputs), &[outputs]));
    (
        tensor(dx, &[rows, inputs]),
        tensor(dw, &[inputs, outputs]),
        db,
    )
}

/// The sums of the columns of `[rows, width]` values.
fn column_sums(values: &[f32], width: usize) -> Vec<f32> {
    dispatch!(column_sums_body(values, width))
}

#[inline(always)]
fn column_sums_body(values: &[f32], width: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; width];
    for row in values.chunks_exact(width) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
    sums
}

/// What the backward pass reads: the input, the weight, and whether there is a bias.
#[derive(Debug, Clone)]
struct State<B: Backend> {
    x: FloatTensor<B>,
    w: FloatTensor<B>,
}

/// Backward of the affine map with a bias (parents `x`, `w`, `b`) or without (`x`, `w`).
#[derive(Debug)]
struct AffineBackward;

impl<B: ModelBackend, const N: usize> Backward<B, N> for AffineBackward {
    type State = State<B>;

    fn backward(self, ops: Ops<State<B>, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let State { x, w } = ops.state;
        let (dx, dw, db) = B::affine_backward(x, w, N == 3, grad);
        register_gradients::<B>(
            grads,
            ops.parents.map(|p| p.map(|n| n.id)),
            [Some(dx), Some(dw), db],
        );
    }
}

/// [`ModelBackend::affine`] for autodiff backends.
pub(crate) fn autodiff<B: ModelBackend, C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<B, C>>,
    w: FloatTensor<Autodiff<B, C>>,
    b: Option<FloatTensor<Autodiff<B, C>>>,
) -> FloatTensor<Autodiff<B, C>> {
    match b {
        Some(b) => {
            let (xp, wp, bp) = (
                x.primitive.clone(),
                w.primitive.clone(),
                b.primitive.clone(),
            );
            record::<B, C, 3>([&x, &w, &b], xp, wp, Some(bp))
        }
        None => {
            let (xp, wp) = (x.primitive.clone(), w.primitive.clone());
            record::<B, C, 2>([&x, &w], xp, wp, None)
        }
    }
}

/// Records the node over `parents` and computes the forward pass on the inner backend.
fn record<B: ModelBackend, C: CheckpointStrategy, const N: usize>(
    parents: [&FloatTensor<Autodiff<B, C>>; N],
    x: FloatTensor<B>,
    w: FloatTensor<B>,
    b: Option<FloatTensor<B>>,
) -> FloatTensor<Autodiff<B, C>> {
    let nodes = parents.map(|t| t.node.clone());
    match AffineBackward
        .prepare::<C>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let y = B::affine(x.clone(), w.clone(), b);
            prep.finish(State { x, w }, y)
        }
        OpsKind::UnTracked(prep) => prep.finish(B::affine(x, w, b)),
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, Flex};
    use burn::tensor::{Distribution, Tensor};

    use crate::ops::affine;

    type Ad = Autodiff<Flex>;

    fn random<const D: usize>(shape: [usize; D]) -> Tensor<Ad, D> {
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
    }

    #[test]
    fn the_affine_node_has_the_gradients_of_matmul_plus_bias() {
        for (rows, inputs, outputs) in [(1, 3, 2), (7, 33, 17), (300, 64, 130)] {
            let (x, w, b) = (
                random([rows, inputs]),
                random([inputs, outputs]),
                random([outputs]),
            );
            let weights = random([rows, outputs]).inner();
            let run = |with_bias: bool, fused: bool| {
                let [x, w, b] = [
                    x.clone().inner(),
                    w.clone().inner(),
                    b.clone().inner().reshape([1, outputs]),
                ]
                .map(|t| Tensor::<Ad, 2>::from_inner(t).require_grad());
                let bias = with_bias.then(|| b.clone().reshape([outputs]));
                let y = if fused {
                    affine(x.clone(), w.clone(), bias)
                } else {
                    let y = x.clone().matmul(w.clone());
                    if with_bias {
                        y + b.clone()
                    } else {
                        y
                    }
                };
                let g = (y.clone() * Tensor::from_inner(weights.clone()))
                    .sum()
                    .backward();
                let grads: Vec<_> = [x, w, b].iter().map(|t| t.grad(&g)).collect();
                (y.inner(), grads)
            };
            for with_bias in [true, false] {
                let (want, want_grads) = run(with_bias, false);
                let (got, got_grads) = run(with_bias, true);
                let close = |a: Tensor<Flex, 2>, b: Tensor<Flex, 2>| {
                    (a - b).abs().max().into_scalar() < 1e-4
                };
                assert!(close(got, want), "{rows}×{inputs}×{outputs}");
                for (got, want) in got_grads.into_iter().zip(want_grads) {
                    match (got, want) {
                        (Some(got), Some(want)) => assert!(close(got, want), "{rows}×{inputs}"),
                        (got, want) => assert_eq!(got.is_some(), want.is_some()),
                    }
                }
            }
        }
    }
}
