//! The recurrence as one node of burn's autodiff graph, with the hand-derived backward pass.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use super::{unwrap, wrap, Cell, Params, Trace};
use crate::ops::{register_gradients, ModelBackend};

/// What the backward pass needs: the cell, the recurrent weight and the forward trace.
#[derive(Debug, Clone)]
struct State<B: Backend> {
    cell: Cell,
    w: FloatTensor<B>,
    trace: Trace<B>,
}

/// `Σ` over batch and time of a `[batch, time, width]` gradient: a bias gradient.
fn sum_steps<B: Backend>(grad: FloatTensor<B>) -> FloatTensor<B> {
    let grad: Tensor<B, 3> = wrap(grad);
    let [batch, time, width] = grad.dims();
    unwrap(
        grad.reshape([batch * time, width])
            .sum_dim(0)
            .reshape([width]),
    )
}

/// The recurrent weight gradient `Σₜ h₋ᵀ · dhp` as one matrix product over all steps.
fn weight_grad<B: Backend>(hidden: FloatTensor<B>, dhp: FloatTensor<B>) -> FloatTensor<B> {
    let hidden: Tensor<B, 3> = wrap(hidden);
    let dhp: Tensor<B, 3> = wrap(dhp);
    let [batch, time, h] = hidden.dims();
    let width = dhp.dims()[2];
    // The hidden state before each step: zero, then every state but the last.
    let zero = Tensor::zeros([batch, 1, h], &hidden.device());
    let h_prev = if time > 1 {
        Tensor::cat(vec![zero, hidden.narrow(1, 0, time - 1)], 1)
    } else {
        zero
    };
    let dw = h_prev
        .reshape([batch * time, h])
        .transpose()
        .matmul(dhp.reshape([batch * time, width]));
    unwrap(dw)
}

/// The gradients of one backward step, in the order of the parents: `xp`, the input bias, the
/// recurrent weight and (GRU) the hidden bias; `None` where that parent needs none.
fn gradients<B: ModelBackend>(
    state: State<B>,
    grad: FloatTensor<B>,
    wanted: [bool; 4],
) -> [Option<FloatTensor<B>>; 4] {
    let State { cell, w, trace } = state;
    let hidden = trace.hidden.clone();
    let (dxp, dhp) = B::recurrence_backward(cell, w, trace, grad);
    let d_input_bias = wanted[1].then(|| sum_steps::<B>(dxp.clone()));
    let d_hidden_bias = wanted[3].then(|| sum_steps::<B>(dhp.clone()));
    let dw = wanted[2].then(|| weight_grad::<B>(hidden, dhp));
    [wanted[0].then_some(dxp), d_input_bias, dw, d_hidden_bias]
}

/// Backward of the RNN and LSTM recurrences (parents: `xp`, the input bias, `w`).
#[derive(Debug)]
struct RecurrenceBackward;

impl<B: ModelBackend> Backward<B, 3> for RecurrenceBackward {
    type State = State<B>;

    fn backward(self, ops: Ops<State<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let [a, b, c] = ops.parents;
        let wanted = [a.is_some(), b.is_some(), c.is_some(), false];
        let computed = gradients(ops.state, grad, wanted);
        register_gradients::<B>(grads, [a, b, c].map(|p| p.map(|n| n.id)), computed);
    }
}

/// Backward of the GRU recurrence (parents: `xp`, the input bias, `w`, the hidden bias).
#[derive(Debug)]
struct GruBackward;

impl<B: ModelBackend> Backward<B, 4> for GruBackward {
    type State = State<B>;

    fn backward(self, ops: Ops<State<B>, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let wanted = ops.parents.each_ref().map(Option::is_some);
        let computed = gradients(ops.state, grad, wanted);
        register_gradients::<B>(grads, ops.parents.map(|p| p.map(|n| n.id)), computed);
    }
}

/// [`ModelBackend::recurrence`] for autodiff backends.
pub(crate) fn recurrence<B: ModelBackend, C: CheckpointStrategy>(
    cell: Cell,
    xp: FloatTensor<Autodiff<B, C>>,
    params: Params<Autodiff<B, C>>,
) -> FloatTensor<Autodiff<B, C>> {
    let Params {
        input_bias,
        w,
        hidden_bias,
    } = params;
    let run = |xp, w: FloatTensor<B>, hidden_bias| {
        let inner = Params {
            input_bias: input_bias.primitive.clone(),
            w,
            hidden_bias,
        };
        B::recurrence_forward(cell, xp, inner, None)
    };
    match hidden_bias {
        Some(hb) => {
            let nodes = [
                xp.node.clone(),
                input_bias.node.clone(),
                w.node.clone(),
                hb.node.clone(),
            ];
            match GruBackward.prepare::<C>(nodes).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let trace = run(xp.primitive, w.primitive.clone(), Some(hb.primitive));
                    let output = trace.hidden.clone();
                    let state = State {
                        cell,
                        w: w.primitive,
                        trace,
                    };
                    prep.finish(state, output)
                }
                OpsKind::UnTracked(prep) => {
                    prep.finish(run(xp.primitive, w.primitive, Some(hb.primitive)).hidden)
                }
            }
        }
        None => {
            let nodes = [xp.node.clone(), input_bias.node.clone(), w.node.clone()];
            match RecurrenceBackward
                .prepare::<C>(nodes)
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let trace = run(xp.primitive, w.primitive.clone(), None);
                    let output = trace.hidden.clone();
                    let state = State {
                        cell,
                        w: w.primitive,
                        trace,
                    };
                    prep.finish(state, output)
                }
                OpsKind::UnTracked(prep) => {
                    prep.finish(run(xp.primitive, w.primitive, None).hidden)
                }
            }
        }
    }
}
