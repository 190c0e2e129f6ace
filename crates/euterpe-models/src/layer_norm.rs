//! Layer normalisation over the last dimension of `[rows, width]` as one operation with a
//! hand-derived backward pass.
//!
//! burn composes it from a mean, a centring, a variance, a square root, a division and two
//! broadcast products and additions — a dozen autodiff nodes, each a pass over the activations
//! and most keeping a copy for the backward pass. Here the forward pass is two passes over each
//! row and keeps only each row's mean and `1/σ`; with `x̂ = (x − μ)/σ` and `g = dy ⊙ γ`, the
//! backward pass is one pass per row:
//!
//! `dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ`, `dγ = Σ_rows dy ⊙ x̂`, `dβ = Σ_rows dy`.

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

use crate::cpu::{contiguous, dispatch, lane_sum, tensor, view};
use crate::ops::{register_gradients, unwrap, wrap, ModelBackend};

/// `(x − μ)/σ · γ + β` over the last dimension of `x` `[rows, width]` (σ² the biased variance
/// plus `epsilon`), differentiable with respect to `x`, `gamma` and `beta`.
pub fn layer_norm<B: ModelBackend>(
    x: Tensor<B, 2>,
    gamma: Tensor<B, 1>,
    beta: Tensor<B, 1>,
    epsilon: f32,
) -> Tensor<B, 2> {
    wrap(B::fused_layer_norm(
        unwrap(x),
        unwrap(gamma),
        unwrap(beta),
        epsilon,
    ))
}

/// The forward pass's result and what the backward pass keeps of it.
#[derive(Debug, Clone)]
pub struct Normalised<B: Backend> {
    /// The result `[rows, width]`.
    pub y: FloatTensor<B>,
    /// Each row's mean `[rows]`.
    pub mean: FloatTensor<B>,
    /// Each row's `1/σ` `[rows]`.
    pub inv_std: FloatTensor<B>,
}

/// The gradients at `x`, `gamma` and `beta`.
pub type NormGrads<B> = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

/// The forward pass in burn's tensor operations: the default of every backend.
pub fn generic_forward<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    beta: FloatTensor<B>,
    epsilon: f32,
) -> Normalised<B> {
    let x: Tensor<B, 2> = wrap(x);
    let rows = x.dims()[0];
    let mean = x.clone().mean_dim(1);
    let centred = x - mean.clone();
    let variance = centred.clone().powi_scalar(2).mean_dim(1);
    let inv_std = variance.add_scalar(epsilon).sqrt().recip();
    let gamma: Tensor<B, 1> = wrap(gamma);
    let beta: Tensor<B, 1> = wrap(beta);
    let y = centred * inv_std.clone() * gamma.unsqueeze_dim(0) + beta.unsqueeze_dim(0);
    Normalised {
        y: unwrap(y),
        mean: unwrap(mean.reshape([rows])),
        inv_std: unwrap(inv_std.reshape([rows])),
    }
}

/// The backward pass in burn's tensor operations.
pub fn generic_backward<B: Backend>(
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    saved: Normalised<B>,
    grad: FloatTensor<B>,
) -> NormGrads<B> {
    let (x, grad): (Tensor<B, 2>, Tensor<B, 2>) = (wrap(x), wrap(grad));
    let [rows, width] = x.dims();
    let mean: Tensor<B, 2> = wrap::<B, 1>(saved.mean).reshape([rows, 1]);
    let inv_std: Tensor<B, 2> = wrap::<B, 1>(saved.inv_std).reshape([rows, 1]);
    let x_hat = (x - mean) * inv_std.clone();
    let g = grad.clone() * wrap::<B, 1>(gamma).unsqueeze_dim(0);
    let g_mean = g.clone().mean_dim(1);
    let gx_mean = (g.clone() * x_hat.clone()).mean_dim(1);
    let dx = (g - g_mean - x_hat.clone() * gx_mean) * inv_std;
    let d_gamma = (grad.clone() * x_hat).sum_dim(0).reshape([width]);
    let d_beta = grad.sum_dim(0).reshape([width]);
    (unwrap(dx), unwrap(d_gamma), unwrap(d_beta))
}

/// The sizes of `x` `[rows, width]` with `gamma` and `beta` `[width]`, if they agree.
fn sizes(x: &FlexTensor, gamma: &FlexTensor, beta: &FlexTensor) -> Option<(usize, usize)> {
    let shape = x.shape();
    let (rows, width) = (*shape.first()?, *shape.get(1)?);
    let agree = shape.len() == 2
        && width > 0
        && gamma.shape().num_elements() == width
        && beta.shape().num_elements() == width;
    agree.then_some((rows, width))
}

/// The forward pass on the CPU backend (`f32`; others take [`generic_forward`]).
pub fn cpu_forward(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    epsilon: f32,
) -> Normalised<Flex> {
    let all = [&x, &gamma, &beta].map(contiguous);
    let [Some(xc), Some(gc), Some(bc)] = all else {
        return generic_forward::<Flex>(x, gamma, beta, epsilon);
    };
    let Some((rows, width)) = sizes(&xc, &gc, &bc) else {
        return generic_forward::<Flex>(x, gamma, beta, epsilon);
    };
    let mut y = vec![0.0f32; rows * width];
    let mut stats = [vec![0.0f32; rows], vec![0.0f32; rows]];
    let params = [view(&gc), view(&bc)];
    run_forward(view(&xc), params, epsilon, &mut y, &mut stats);
    let [mean, inv_std] = stats.map(|s| tensor(s, &[rows]));
    Normalised {
        y: tensor(y, &[rows, width]),
        mean,
        inv_std,
    }
}

fn run_forward(
    x: &[f32],
    params: [&[f32]; 2],
    epsilon: f32,
    y: &mut [f32],
    stats: &mut [Vec<f32>; 2],
) {
    dispatch!(forward_rows(x, params, epsilon, y, stats))
}

#[inline(always)]
fn forward_rows(
    x: &[f32],
    [gamma, beta]: [&[f32]; 2],
    epsilon: f32,
    y: &mut [f32],
    [means, inv_stds]: &mut [Vec<f32>; 2],
) {
    let width = gamma.len();
    let rows = x.chunks_exact(width).zip(y.chunks_exact_mut(width));
    for (r, (x, y)) in rows.enumerate() {
        let mean = lane_sum(x, x, |v, _| v) / width as f32;
        let squares = lane_sum(x, x, |v, _| (v - mean) * (v - mean));
        let inv_std = 1.0 / (squares / width as f32 + epsilon).sqrt();
        for (((y, &x), &g), &b) in y.iter_mut().zip(x).zip(gamma).zip(beta) {
            *y = (x - mean) * inv_std * g + b;
        }
        (means[r], inv_stds[r]) = (mean, inv_std);
    }
}

/// The backward pass on the CPU backend.
pub fn cpu_backward(
    x: FlexTensor,
    gamma: FlexTensor,
    saved: Normalised<Flex>,
    grad: FlexTensor,
) -> NormGrads<Flex> {
    let all = [&x, &gamma, &saved.mean, &saved.inv_std, &grad].map(contiguous);
    let [Some(xc), Some(gc), Some(mc), Some(sc), Some(dc)] = all else {
        return generic_backward::<Flex>(x, gamma, saved, grad);
    };
    let sized = sizes(&xc, &gc, &gc).filter(|&(rows, _)| {
        dc.shape() == xc.shape()
            && mc.shape().num_elements() == rows
            && sc.shape().num_elements() == rows
    });
    let Some((rows, width)) = sized else {
        return generic_backward::<Flex>(x, gamma, saved, grad);
    };
    let mut grads = [
        vec![0.0f32; rows * width],
        vec![0.0f32; width],
        vec![0.0f32; width],
    ];
    let inputs = [view(&xc), view(&gc), view(&mc), view(&sc), view(&dc)];
    run_backward(inputs, &mut grads);
    let [dx, d_gamma, d_beta] = grads;
    (
        tensor(dx, &[rows, width]),
        tensor(d_gamma, &[width]),
        tensor(d_beta, &[width]),
    )
}

fn run_backward(inputs: [&[f32]; 5], grads: &mut [Vec<f32>; 3]) {
    dispatch!(backward_rows(inputs, grads))
}

#[inline(always)]
fn backward_rows(
    [x, gamma, means, inv_stds, grad]: [&[f32]; 5],
    [dx, d_gamma, d_beta]: &mut [Vec<f32>; 3],
) {
    let width = gamma.len();
    let mut g = vec![0.0f32; width];
    let mut x_hat = vec![0.0f32; width];
    let rows = x
        .chunks_exact(width)
        .zip(grad.chunks_exact(width))
        .zip(dx.chunks_exact_mut(width));
    for (r, ((x, dy), dx)) in rows.enumerate() {
        let (mean, inv_std) = (means[r], inv_stds[r]);
        for ((((h, gi), &x), &dy), &gm) in x_hat.iter_mut().zip(&mut g).zip(x).zip(dy).zip(gamma) {
            *h = (x - mean) * inv_std;
            *gi = dy * gm;
        }
        let g_mean = lane_sum(&g, &g, |gi, _| gi) / width as f32;
        let gx_mean = lane_sum(&g, &x_hat, |gi, h| gi * h) / width as f32;
        for (((dx, &gi), &h), (&dy, (dg, db))) in dx
            .iter_mut()
            .zip(&g)
            .zip(&x_hat)
            .zip(dy.iter().zip(d_gamma.iter_mut().zip(d_beta.iter_mut())))
        {
            *dx = (gi - g_mean - h * gx_mean) * inv_std;
            *dg += dy * h;
            *db += dy;
        }
    }
}

/// What the backward pass reads.
#[derive(Debug, Clone)]
struct State<B: Backend> {
    x: FloatTensor<B>,
    gamma: FloatTensor<B>,
    saved: Normalised<B>,
}

/// Backward of the layer norm (parents: `x`, `gamma`, `beta`).
#[derive(Debug)]
struct LayerNormBackward;

impl<B: ModelBackend> Backward<B, 3> for LayerNormBackward {
    type State = State<B>;

    fn backward(self, ops: Ops<State<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let State { x, gamma, saved } = ops.state;
        let (dx, d_gamma, d_beta) = B::fused_layer_norm_backward(x, gamma, saved, grad);
        register_gradients::<B>(
            grads,
            ops.parents.map(|p| p.map(|n| n.id)),
            [dx, d_gamma, d_beta].map(Some),
        );
    }
}

/// [`ModelBackend::fused_layer_norm`] for autodiff backends.
pub(crate) fn autodiff<B: ModelBackend, C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<B, C>>,
    gamma: FloatTensor<Autodiff<B, C>>,
    beta: FloatTensor<Autodiff<B, C>>,
    epsilon: f32,
) -> FloatTensor<Autodiff<B, C>> {
    let nodes = [x.node.clone(), gamma.node.clone(), beta.node.clone()];
    let (x, gamma, beta) = (x.primitive, gamma.primitive, beta.primitive);
    match LayerNormBackward
        .prepare::<C>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let saved = B::fused_layer_norm_forward(x.clone(), gamma.clone(), beta, epsilon);
            let y = saved.y.clone();
            prep.finish(State { x, gamma, saved }, y)
        }
        OpsKind::UnTracked(prep) => {
            prep.finish(B::fused_layer_norm_forward(x, gamma, beta, epsilon).y)
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, Flex};
    use burn::nn::LayerNormConfig;
    use burn::tensor::{Distribution, Tensor};

    type Ad = Autodiff<Flex>;

    fn random<const D: usize>(shape: [usize; D], scale: f64) -> Tensor<Ad, D> {
        Tensor::random(
            shape,
            Distribution::Uniform(-scale, scale),
            &Default::default(),
        )
    }

    /// Against burn's `LayerNorm` module (forward and gradients), with learned scale and shift
    /// that are not the initial ones, and rows whose variance is near epsilon.
    #[test]
    fn the_fused_layer_norm_matches_burns_module() {
        for (rows, width, scale) in [(5, 7, 1.0), (33, 256, 3.0), (4, 16, 1e-3)] {
            let x = random([rows, width], scale).require_grad();
            let mut module = LayerNormConfig::new(width).init::<Ad>(&Default::default());
            module.gamma = module.gamma.map(|_| random([width], 1.0).require_grad());
            module.beta = module
                .beta
                .map(|b| b.map(|_| random([width], 1.0).require_grad()));
            let beta = module.beta.as_ref().expect("a shift").val();
            let weights = random([rows, width], 1.0).inner();
            let grads_of = |y: Tensor<Ad, 2>| {
                let g = (y.clone() * Tensor::from_inner(weights.clone()))
                    .sum()
                    .backward();
                let d = |t: &Tensor<Ad, 2>| t.grad(&g).expect("a gradient");
                let d1 = |t: &Tensor<Ad, 1>| t.grad(&g).expect("a gradient").reshape([1, width]);
                [y.inner(), d(&x), d1(&module.gamma.val()), d1(&beta)]
            };
            let want = grads_of(module.forward(x.clone()));
            let got = grads_of(super::layer_norm(
                x.clone(),
                module.gamma.val(),
                beta.clone(),
                1e-5,
            ));
            for (i, (got, want)) in got.into_iter().zip(want).enumerate() {
                let tolerance = 1e-4 * want.clone().abs().max().into_scalar().max(1.0);
                let diff = (got - want).abs().max().into_scalar();
                assert!(diff < tolerance, "{rows}×{width}, output {i}: {diff}");
            }
        }
    }
}
