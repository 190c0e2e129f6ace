//! The fused self-attention (causal, and an encoder's with and without padding) against burn's
//! autodiff of the plain tensor formulation (scores, additive mask, softmax, product), on the
//! CPU kernels and the generic defaults.

use burn::backend::{Autodiff, Flex};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};

use super::*;
use crate::ops::{unwrap, wrap};

type Ad = Autodiff<Flex>;

fn random(shape: [usize; 2]) -> Tensor<Flex, 2> {
    Tensor::random(shape, Distribution::Uniform(-2.0, 2.0), &Default::default())
}

fn max_diff(a: Tensor<Flex, 2>, b: Tensor<Flex, 2>) -> f32 {
    (a - b).abs().max().into_scalar()
}

/// Causal attention as the Transformer computed it before the fused operation: split the heads,
/// `softmax(Q·Kᵀ/√d_k + mask)·V`, merge the heads.
fn reference<B: Backend>(
    q: Tensor<B, 2>,
    k: Tensor<B, 2>,
    v: Tensor<B, 2>,
    l: HeadLayout,
) -> Tensor<B, 2> {
    let d_k = q.dims()[1] / l.heads;
    let split = |t: Tensor<B, 2>| {
        t.reshape([l.batch, l.steps, l.heads, d_k])
            .swap_dims(1, 2)
            .reshape([l.batch * l.heads, l.steps, d_k])
    };
    let future: Vec<f32> = (0..l.steps * l.steps)
        .map(|ij| {
            if ij % l.steps > ij / l.steps {
                -1.0e9
            } else {
                0.0
            }
        })
        .collect();
    let padded: Vec<f32> = (0..l.batch * l.heads * l.steps)
        .map(|bj| {
            if bj % l.steps >= l.keys(bj / l.steps / l.heads) {
                -1.0e9
            } else {
                0.0
            }
        })
        .collect();
    let mask = if l.causal {
        Tensor::from_data(TensorData::new(future, [1, l.steps, l.steps]), &q.device())
    } else {
        Tensor::from_data(
            TensorData::new(padded, [l.batch * l.heads, 1, l.steps]),
            &q.device(),
        )
    };
    let scores = split(q)
        .matmul(split(k).swap_dims(1, 2))
        .div_scalar((d_k as f64).sqrt())
        + mask;
    softmax(scores, 2)
        .matmul(split(v))
        .reshape([l.batch, l.heads, l.steps, d_k])
        .swap_dims(1, 2)
        .reshape([l.batch * l.steps, l.heads * d_k])
}

/// The output of `run` on `x` and the gradients of `Σ output ⊙ weights` at q, k and v.
fn grads_of(
    run: impl Fn(Tensor<Ad, 2>, Tensor<Ad, 2>, Tensor<Ad, 2>) -> Tensor<Ad, 2>,
    x: &[Tensor<Flex, 2>; 3],
    weights: &Tensor<Flex, 2>,
) -> (Tensor<Flex, 2>, [Tensor<Flex, 2>; 3]) {
    let [q, k, v] = x
        .clone()
        .map(|t| Tensor::<Ad, 2>::from_inner(t).require_grad());
    let out = run(q.clone(), k.clone(), v.clone());
    let g = (out.clone() * Tensor::from_inner(weights.clone()))
        .sum()
        .backward();
    let grads = [q, k, v].map(|t| t.grad(&g).expect("every input has a gradient"));
    (out.inner(), grads)
}

/// The layouts, each causal, and not (an encoder's attention) without padding and with the
/// sequences cut short (lengths from 1 to the whole window).
fn layouts() -> impl Iterator<Item = (HeadLayout, usize)> {
    LAYOUTS.into_iter().zip([5, 8, 16, 4]).flat_map(|(l, d_k)| {
        let lengths: Arc<[usize]> = (0..l.batch)
            .map(|b| [l.steps, 1, 5][b % 3].min(l.steps))
            .collect();
        let padded = HeadLayout {
            causal: false,
            lengths: Some(lengths),
            ..l.clone()
        };
        [true, false]
            .map(|causal| HeadLayout {
                causal,
                ..l.clone()
            })
            .into_iter()
            .chain([padded])
            .map(move |l| (l, d_k))
    })
}

const LAYOUTS: [HeadLayout; 4] = [
    // Crosses a block boundary with a partial last block.
    HeadLayout {
        batch: 2,
        steps: 70,
        heads: 3,
        causal: true,
        lengths: None,
    },
    HeadLayout {
        batch: 1,
        steps: 1,
        heads: 2,
        causal: true,
        lengths: None,
    },
    HeadLayout {
        batch: 3,
        steps: 9,
        heads: 1,
        causal: true,
        lengths: None,
    },
    HeadLayout {
        batch: 1,
        steps: 130,
        heads: 4,
        causal: true,
        lengths: None,
    },
];

#[test]
fn the_fused_attention_and_its_gradients_match_autodiff_of_the_tensor_formulation() {
    for (layout, d_k) in layouts() {
        let rows = layout.batch * layout.steps;
        let x = [0; 3].map(|_| random([rows, layout.heads * d_k]));
        let weights = random([rows, layout.heads * d_k]);
        let (want, want_grads) =
            grads_of(|q, k, v| reference(q, k, v, layout.clone()), &x, &weights);
        let fused = |q, k, v| causal_self_attention(q, k, v, layout.clone());
        let (got, got_grads) = grads_of(fused, &x, &weights);
        assert!(max_diff(got, want) < 1e-5, "{layout:?}");
        for (got, want) in got_grads.into_iter().zip(want_grads) {
            let scale = want.clone().abs().max().into_scalar().max(1.0);
            assert!(max_diff(got, want) < 1e-4 * scale, "{layout:?}");
        }
    }
}

#[test]
fn the_generic_default_matches_the_cpu_kernels() {
    for (layout, d_k) in layouts() {
        let rows = layout.batch * layout.steps;
        let [q, k, v] = [0; 3].map(|_| unwrap(random([rows, layout.heads * d_k])));
        let grad = unwrap(random([rows, layout.heads * d_k]));
        let forwards = [generic::forward::<Flex>, cpu::forward]
            .map(|forward| forward(q.clone(), k.clone(), v.clone(), layout.clone()));
        let [a, b] = forwards
            .clone()
            .map(|f| [f.context, f.log_sum_exp].map(wrap::<Flex, 2>));
        for (a, b) in a.into_iter().zip(b) {
            assert!(max_diff(a, b) < 1e-5, "{layout:?}");
        }
        let saved = Saved {
            q: q.clone(),
            k: k.clone(),
            v: v.clone(),
            attended: forwards[1].clone(),
            layout: layout.clone(),
        };
        let (dq, dk, dv) = generic::backward::<Flex>(saved.clone(), grad.clone());
        let (cq, ck, cv) = cpu::backward(saved, grad.clone());
        for (a, b) in [dq, dk, dv].into_iter().zip([cq, ck, cv]) {
            let (a, b) = (wrap::<Flex, 2>(a), wrap::<Flex, 2>(b));
            assert!(!b.clone().is_nan().any().into_scalar(), "{layout:?}");
            assert!(max_diff(a, b) < 1e-4, "{layout:?}");
        }
    }
}
