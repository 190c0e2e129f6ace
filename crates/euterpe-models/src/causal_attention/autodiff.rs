//! The causal self-attention as one node of burn's autodiff graph, with the hand-derived
//! backward pass of [`super`].

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::tensor::ops::FloatTensor;

use super::{HeadLayout, Saved};
use crate::ops::{register_gradients, ModelBackend};

/// Backward of the attention (parents: queries, keys, values).
#[derive(Debug)]
struct AttentionBackward;

impl<B: ModelBackend> Backward<B, 3> for AttentionBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let (dq, dk, dv) = B::causal_attention_backward(ops.state, grad);
        register_gradients::<B>(
            grads,
            ops.parents.map(|p| p.map(|n| n.id)),
            [dq, dk, dv].map(Some),
        );
    }
}

/// [`ModelBackend::causal_attention`] for autodiff backends.
pub(crate) fn causal_attention<B: ModelBackend, C: CheckpointStrategy>(
    q: FloatTensor<Autodiff<B, C>>,
    k: FloatTensor<Autodiff<B, C>>,
    v: FloatTensor<Autodiff<B, C>>,
    layout: HeadLayout,
) -> FloatTensor<Autodiff<B, C>> {
    let nodes = [q.node.clone(), k.node.clone(), v.node.clone()];
    match AttentionBackward
        .prepare::<C>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (q, k, v) = (q.primitive, k.primitive, v.primitive);
            let attended =
                B::causal_attention_forward(q.clone(), k.clone(), v.clone(), layout.clone());
            let context = attended.context.clone();
            let saved = Saved {
                q,
                k,
                v,
                attended,
                layout,
            };
            prep.finish(saved, context)
        }
        OpsKind::UnTracked(prep) => {
            let attended =
                B::causal_attention_forward(q.primitive, k.primitive, v.primitive, layout);
            prep.finish(attended.context)
        }
    }
}
