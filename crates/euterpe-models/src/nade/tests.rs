//! The NADE's hand-derived backward pass against burn's autodiff of the tensor formulation, and
//! the CPU loops against the tensor reference.

use burn::backend::{Autodiff, Flex};
use burn::tensor::{Distribution, Tensor};

use super::*;
use crate::ops::{unwrap, wrap};

type Ad = Autodiff<Flex>;

fn random<const D: usize>(shape: [usize; D]) -> Tensor<Flex, D> {
    Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
}

fn max_diff<const D: usize>(a: Tensor<Flex, D>, b: Tensor<Flex, D>) -> f32 {
    (a - b).abs().max().into_scalar()
}

/// Random biases and weights, and sparse 0/1 targets as in piano rolls.
fn inputs(frames: usize, keys: usize, hidden: usize) -> [Tensor<Flex, 2>; 5] {
    let targets = random([frames, keys]).greater_elem(0.6).float();
    [
        random([frames, hidden]),
        random([frames, keys]),
        random([keys, hidden]),
        random([hidden, keys]),
        targets,
    ]
}

/// `Σ logits · weights` and its gradients at bh, bv, w, v.
fn grads_of(
    run: impl Fn([Tensor<Ad, 2>; 5]) -> Tensor<Ad, 2>,
    x: &[Tensor<Flex, 2>; 5],
    weights: &Tensor<Flex, 2>,
) -> (Tensor<Flex, 2>, Vec<Tensor<Flex, 2>>) {
    let ad: [Tensor<Ad, 2>; 5] = std::array::from_fn(|i| {
        let t = Tensor::<Ad, 2>::from_inner(x[i].clone());
        if i < 4 {
            t.require_grad()
        } else {
            t
        }
    });
    let logits = run(ad.clone());
    let g = (logits.clone() * Tensor::from_inner(weights.clone()))
        .sum()
        .backward();
    let grads = ad[..4]
        .iter()
        .map(|t| t.grad(&g).expect("every parameter has a gradient"))
        .collect();
    (logits.inner(), grads)
}

#[test]
fn fused_nade_gradients_match_autodiff_of_the_tensor_formulation() {
    for (frames, keys, hidden) in [(5, 88, 12), (1, 7, 3), (9, 20, 31)] {
        let x = inputs(frames, keys, hidden);
        let weights = random([frames, keys]);
        let reference = grads_of(
            |[bh, bv, w, v, t]| generic::logits_tensors(bh, bv, w, v, t),
            &x,
            &weights,
        );
        let fused = grads_of(
            |[bh, bv, w, v, t]| nade_logits(bh, bv, w, v, t),
            &x,
            &weights,
        );
        let what = format!("{frames} frames, {keys} keys, {hidden} hidden");
        let d = max_diff(reference.0, fused.0);
        assert!(d < 1e-4, "{what}: logits differ by {d}");
        for (name, (a, b)) in ["bh", "bv", "w", "v"]
            .iter()
            .zip(reference.1.into_iter().zip(fused.1))
        {
            let d = max_diff(a, b);
            assert!(d < 1e-4, "{what}: d{name} differs by {d}");
        }
    }
}

#[test]
fn cpu_loops_match_the_tensor_reference() {
    let [bh, bv, w, v, t] = inputs(6, 88, 16);
    let x = NadeInputs::<Flex> {
        bh: unwrap(bh),
        bv: unwrap(bv),
        w: unwrap(w),
        v: unwrap(v),
        targets: unwrap(t),
    };
    let dl = random([6, 88]);
    let d = max_diff::<2>(
        wrap(cpu::forward(x.clone())),
        wrap(generic::forward::<Flex>(x.clone())),
    );
    assert!(d < 1e-5, "logits {d}");
    let ours = cpu::backward(x.clone(), unwrap(dl.clone()));
    let reference = generic::backward::<Flex>(x, unwrap(dl));
    for (name, a, b) in [
        ("bh", ours.0, reference.0),
        ("bv", ours.1, reference.1),
        ("w", ours.2, reference.2),
        ("v", ours.3, reference.3),
    ] {
        let d = max_diff::<2>(wrap(a), wrap(b));
        assert!(d < 1e-4, "d{name} differs by {d}");
    }
}
