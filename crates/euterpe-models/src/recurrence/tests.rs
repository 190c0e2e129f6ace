//! The hand-derived backward passes against burn's autodiff of the step-by-step formulation, and
//! the fused CPU loops against the tensor-operation reference.

use burn::backend::{Autodiff, Flex};
use burn::tensor::{Distribution, Tensor};

use super::*;

type Ad = Autodiff<Flex>;

const CELLS: [Cell; 3] = [Cell::Rnn, Cell::Lstm, Cell::Gru];

fn random<const D: usize>(shape: [usize; D]) -> Tensor<Flex, D> {
    Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
}

fn max_diff<const D: usize>(a: Tensor<Flex, D>, b: Tensor<Flex, D>) -> f32 {
    (a - b).abs().max().into_scalar()
}

/// Inputs of one recurrence: `[batch, time, gates × hidden]` projections and the parameters.
fn inputs(
    cell: Cell,
    batch: usize,
    time: usize,
    h: usize,
) -> (Tensor<Flex, 3>, RecurrenceParams<Flex>) {
    let g = cell.gates();
    let params = RecurrenceParams {
        input_bias: random([g * h]),
        w: random([h, g * h]).mul_scalar(0.8),
        hidden_bias: (cell == Cell::Gru).then(|| random([g * h])),
    };
    (random([batch, time, g * h]), params)
}

/// The output and the gradients of `Σ hidden · weights` at `xp`, the input bias, `w` and the
/// hidden bias.
struct Grads {
    hidden: Tensor<Flex, 3>,
    xp: Tensor<Flex, 3>,
    input_bias: Tensor<Flex, 1>,
    w: Tensor<Flex, 2>,
    hidden_bias: Option<Tensor<Flex, 1>>,
}

fn grads_of(
    run: impl Fn(Tensor<Ad, 3>, RecurrenceParams<Ad>) -> Tensor<Ad, 3>,
    xp: &Tensor<Flex, 3>,
    p: &RecurrenceParams<Flex>,
    weights: &Tensor<Flex, 3>,
) -> Grads {
    let xp = Tensor::<Ad, 3>::from_inner(xp.clone()).require_grad();
    let params = RecurrenceParams {
        input_bias: Tensor::<Ad, 1>::from_inner(p.input_bias.clone()).require_grad(),
        w: Tensor::<Ad, 2>::from_inner(p.w.clone()).require_grad(),
        hidden_bias: p
            .hidden_bias
            .clone()
            .map(|b| Tensor::<Ad, 1>::from_inner(b).require_grad()),
    };
    let hidden = run(xp.clone(), params.clone());
    let loss = (hidden.clone() * Tensor::from_inner(weights.clone())).sum();
    let g = loss.backward();
    const GRAD: &str = "every input has a gradient";
    Grads {
        hidden: hidden.inner(),
        xp: xp.grad(&g).expect(GRAD),
        input_bias: params.input_bias.grad(&g).expect(GRAD),
        w: params.w.grad(&g).expect(GRAD),
        hidden_bias: params.hidden_bias.map(|b| b.grad(&g).expect(GRAD)),
    }
}

#[test]
fn fused_gradients_match_autodiff_of_the_step_by_step_recurrence() {
    for cell in CELLS {
        for (batch, time, h) in [(3, 7, 5), (1, 1, 4), (2, 12, 16), (6, 5, 8)] {
            let (xp, params) = inputs(cell, batch, time, h);
            let weights = random([batch, time, h]);
            let reference = grads_of(
                |xp, p| generic::forward_tensors(cell, xp, p, None).0,
                &xp,
                &params,
                &weights,
            );
            let fused = grads_of(|xp, p| recurrence(cell, xp, p), &xp, &params, &weights);
            let what = format!("{cell:?} batch {batch} time {time} hidden {h}");
            let close = |name: &str, d: f32| assert!(d < 1e-4, "{what}: {name} differs by {d}");
            close("the output", max_diff(reference.hidden, fused.hidden));
            close("d xp", max_diff(reference.xp, fused.xp));
            close(
                "d input bias",
                max_diff(reference.input_bias, fused.input_bias),
            );
            close("d w", max_diff(reference.w, fused.w));
            if let (Some(a), Some(b)) = (reference.hidden_bias, fused.hidden_bias) {
                close("d hidden bias", max_diff(a, b));
            }
        }
    }
}

#[test]
fn cpu_loops_match_the_tensor_reference_forward_and_backward() {
    for cell in CELLS {
        // Batches of 1–4 rows take the vector path of the step product, larger ones gemm.
        for batch in [2, 7] {
            let (time, h) = (9, 8);
            let (xp, params) = inputs(cell, batch, time, h);
            let grad = random([batch, time, h]);
            let p = params.clone().into_primitives();
            let cpu_trace = cpu::forward(cell, unwrap(xp.clone()), p.clone(), None);
            let ref_trace = generic::forward::<Flex>(cell, unwrap(xp), p.clone(), None);
            let d = max_diff::<3>(
                wrap(cpu_trace.hidden.clone()),
                wrap(ref_trace.hidden.clone()),
            );
            assert!(d < 1e-5, "{cell:?} hidden {d}");
            if let (Some(a), Some(b)) = (cpu_trace.saved.clone(), ref_trace.saved.clone()) {
                let d = max_diff::<3>(wrap(a), wrap(b));
                assert!(d < 1e-5, "{cell:?} saved {d}");
            }
            let (cx, ch) = cpu::backward(cell, p.w.clone(), cpu_trace, unwrap(grad.clone()));
            let (gx, gh) = generic::backward::<Flex>(cell, p.w, ref_trace, unwrap(grad));
            let dx = max_diff::<3>(wrap(cx), wrap(gx));
            let dh = max_diff::<3>(wrap(ch), wrap(gh));
            assert!(dx < 1e-4 && dh < 1e-4, "{cell:?}: dx {dx}, dhp {dh}");
        }
    }
}

#[test]
fn carried_state_continues_a_sequence_exactly() {
    for cell in CELLS {
        let (batch, time, h) = (2, 10, 6);
        let (xp, params) = inputs(cell, batch, time, h);
        let whole = recurrence(cell, xp.clone(), params.clone());
        // The first 4 steps from zero, then the rest from the carried state, one step at a time.
        let zero = Tensor::zeros([batch, h], &Default::default());
        let c0 = (cell == Cell::Lstm).then(|| zero.clone());
        let (first, mut hs, mut cs) =
            recurrence_from(cell, xp.clone().narrow(1, 0, 4), params.clone(), zero, c0);
        let mut parts = vec![first];
        for t in 4..time {
            let (y, h_new, c_new) =
                recurrence_from(cell, xp.clone().narrow(1, t, 1), params.clone(), hs, cs);
            parts.push(y);
            hs = h_new;
            cs = c_new;
        }
        let d = max_diff(whole, Tensor::cat(parts, 1));
        assert!(d < 1e-5, "{cell:?}: {d}");
    }
}

/// The bits of a tensor's values.
fn bits<const D: usize>(t: Tensor<Flex, D>) -> Vec<u32> {
    t.into_data()
        .to_vec::<f32>()
        .expect("f32 values")
        .into_iter()
        .map(f32::to_bits)
        .collect()
}

#[test]
fn the_fused_cpu_step_is_the_projection_and_recurrence_bit_for_bit() {
    // The CPU step runs the input projection and one step of the recurrence over raw buffers;
    // the reference goes through the tensors (`affine`, then `recurrence_forward`). Generated
    // pieces depend on every bit, so the two must agree exactly: for every cell, one and several
    // rows, `f32` and half-precision (inference) weights, and a state carried over three steps.
    for cell in CELLS {
        for batch in [1, 3] {
            for half in [false, true] {
                let (width, h) = (5, 7);
                let (_, params) = inputs(cell, batch, 1, h);
                let mut input_weight = random([width, cell.gates() * h]);
                let mut params = params;
                if half {
                    input_weight = crate::ops::inference_weight(input_weight);
                    params.w = crate::ops::inference_weight(params.w);
                }
                let start = || Initial::<Flex> {
                    hidden: unwrap(random([batch, h])),
                    cell: (cell == Cell::Lstm).then(|| unwrap(random([batch, h]))),
                };
                let (mut fused, mut reference) = (start(), start());
                reference.hidden = fused.hidden.clone();
                reference.cell = fused.cell.clone();
                for _ in 0..3 {
                    let x = unwrap(random([batch, width]));
                    let weights = (
                        unwrap(input_weight.clone()),
                        params.clone().into_primitives(),
                    );
                    fused = cpu::step(cell, x.clone(), weights.0.clone(), weights.1.clone(), fused);
                    reference = generic::step::<Flex>(cell, x, weights.0, weights.1, reference);
                    let name = format!("{cell:?}, {batch} rows, half {half}");
                    let fh = wrap::<Flex, 2>(fused.hidden.clone());
                    let rh = wrap::<Flex, 2>(reference.hidden.clone());
                    assert_eq!(fh.dims(), [batch, h], "{name}");
                    assert_eq!(bits(fh), bits(rh), "{name}: hidden");
                    match (&fused.cell, &reference.cell) {
                        (Some(a), Some(b)) => assert_eq!(
                            bits::<2>(wrap(a.clone())),
                            bits::<2>(wrap(b.clone())),
                            "{name}: cell"
                        ),
                        (None, None) => assert_ne!(cell, Cell::Lstm, "{name}"),
                        _ => panic!("{name}: one of the steps lost the cell state"),
                    }
                }
            }
        }
    }
}
