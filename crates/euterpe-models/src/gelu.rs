//! GELU in its exact form, `x·Φ(x) = x/2·(1 + erf(x/√2))` (PyTorch's default and burn's
//! `Gelu`), as one operation whose CPU loops vectorise.
//!
//! burn's CPU backend evaluates `erf` with a scalar library call per element, forward and
//! backward. Here `erf` is the Abramowitz–Stegun 7.1.26 approximation (absolute error below
//! 1.5·10⁻⁷, what PyTorch's vectorised CPU kernel uses), and the backward pass,
//! `dy·(Φ(x) + x·φ(x))`, shares its one exponential with `erf`: `φ(x) ∝ exp(−x²/2)`, and
//! `erf(x/√2)` needs the same `exp(−x²/2)`.

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

use crate::cpu::{contiguous, dispatch, exp, tensor, view};
use crate::ops::{unwrap, wrap, ModelBackend};

/// GELU of every element of `x`, differentiable.
pub fn gelu<B: ModelBackend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    wrap(B::fused_gelu(unwrap(x)))
}

/// `(Φ(x), φ(x))`, the normal distribution and density at `x`, with one exponential.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Abramowitz and Stegun's coefficients, as published.
fn cdf_pdf(x: f32) -> (f32, f32) {
    let z = x.abs() * std::f32::consts::FRAC_1_SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = 1.061_405_429f32;
    let poly = poly * t - 1.453_152_027;
    let poly = poly * t + 1.421_413_741;
    let poly = poly * t - 0.284_496_736;
    let poly = poly * t + 0.254_829_592;
    let gauss = exp(-z * z); // exp(−x²/2)
    let erf_abs = 1.0 - poly * t * gauss;
    let erf = if x < 0.0 { -erf_abs } else { erf_abs };
    let pdf = gauss * 0.398_942_28; // 1/√(2π)
    (0.5 * (1.0 + erf), pdf)
}

/// The forward pass on the CPU backend (`f32`; others take burn's `gelu`).
pub fn cpu_forward(x: FlexTensor) -> FlexTensor {
    let Some(xc) = contiguous(&x) else {
        return generic_forward::<Flex>(x);
    };
    let shape: Vec<usize> = xc.shape().iter().copied().collect();
    tensor(forward_values(view(&xc)), &shape)
}

fn forward_values(x: &[f32]) -> Vec<f32> {
    dispatch!(forward_body(x))
}

// Plain loops over slices rather than `map(..).collect()`: the iterator's `fold` is not inlined
// into the AVX2 copy that `dispatch!` compiles, and would run without vectors.
#[inline(always)]
fn forward_body(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    for (o, &x) in out.iter_mut().zip(x) {
        *o = x * cdf_pdf(x).0;
    }
    out
}

/// The backward pass on the CPU backend: `dy·(Φ(x) + x·φ(x))`.
pub fn cpu_backward(x: FlexTensor, grad: FlexTensor) -> FlexTensor {
    let (Some(xc), Some(gc)) = (contiguous(&x), contiguous(&grad)) else {
        return generic_backward::<Flex>(x, grad);
    };
    if xc.shape() != gc.shape() {
        return generic_backward::<Flex>(x, grad);
    }
    let shape: Vec<usize> = xc.shape().iter().copied().collect();
    tensor(backward_values(view(&xc), view(&gc)), &shape)
}

fn backward_values(x: &[f32], grad: &[f32]) -> Vec<f32> {
    dispatch!(backward_body(x, grad))
}

#[inline(always)]
fn backward_body(x: &[f32], grad: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    for ((o, &x), &g) in out.iter_mut().zip(x).zip(grad) {
        let (cdf, pdf) = cdf_pdf(x);
        *o = g * (cdf + x * pdf);
    }
    out
}

/// Backward of GELU (parent: its input, which is the state).
#[derive(Debug)]
struct GeluBackward;

impl<B: ModelBackend> Backward<B, 1> for GeluBackward {
    type State = FloatTensor<B>;

    fn backward(self, ops: Ops<FloatTensor<B>, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [parent] = ops.parents;
        if let Some(node) = parent {
            grads.register::<B>(node.id, B::fused_gelu_backward(ops.state, grad));
        }
    }
}

/// [`ModelBackend::fused_gelu`] for autodiff backends.
pub(crate) fn autodiff<B: ModelBackend, C: CheckpointStrategy>(
    x: FloatTensor<Autodiff<B, C>>,
) -> FloatTensor<Autodiff<B, C>> {
    match GeluBackward
        .prepare::<C>([x.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let y = B::fused_gelu_forward(x.primitive.clone());
            prep.finish(x.primitive, y)
        }
        OpsKind::UnTracked(prep) => prep.finish(B::fused_gelu_forward(x.primitive)),
    }
}

/// The default of every backend: burn's own GELU and its backward.
pub fn generic_forward<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    B::gelu(x)
}

/// The default backward pass: burn's.
pub fn generic_backward<B: Backend>(x: FloatTensor<B>, grad: FloatTensor<B>) -> FloatTensor<B> {
    B::gelu_backward(x, grad)
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, Flex};
    use burn::tensor::activation;
    use burn::tensor::{Tensor, TensorData};

    type Ad = Autodiff<Flex>;

    #[test]
    fn the_fused_gelu_and_its_gradient_match_burns() {
        let values: Vec<f32> = (-1200..=1200).map(|i| i as f32 * 0.01).collect();
        let n = values.len();
        let weights: Vec<f32> = (0..n).map(|i| ((i * 7919) % 13) as f32 - 6.0).collect();
        let run = |fused: bool| {
            let x = Tensor::<Ad, 1>::from_data(
                TensorData::new(values.clone(), [n]),
                &Default::default(),
            )
            .require_grad();
            let y = if fused {
                super::gelu(x.clone())
            } else {
                activation::gelu(x.clone())
            };
            let w = Tensor::<Ad, 1>::from_data(
                TensorData::new(weights.clone(), [n]),
                &Default::default(),
            );
            let g = (y.clone() * w).sum().backward();
            (y.inner(), x.grad(&g).expect("x has a gradient"))
        };
        let ((want, want_grad), (got, got_grad)) = (run(false), run(true));
        assert!((got - want).abs().max().into_scalar() < 2e-6);
        assert!((got_grad - want_grad).abs().max().into_scalar() < 1e-5);
    }
}
