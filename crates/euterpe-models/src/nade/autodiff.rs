//! The NADE as one node of burn's autodiff graph.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::tensor::ops::FloatTensor;

use super::NadeInputs;
use crate::ops::{register_gradients, ModelBackend};

/// Backward of the NADE (parents: `bh`, `bv`, `w`, `v`; the targets are data).
#[derive(Debug)]
struct NadeBackward;

impl<B: ModelBackend> Backward<B, 4> for NadeBackward {
    type State = NadeInputs<B>;

    fn backward(self, ops: Ops<NadeInputs<B>, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dl = grads.consume::<B>(&ops.node);
        let (dbh, dbv, dw, dv) = B::nade_backward(ops.state, dl);
        register_gradients::<B>(
            grads,
            ops.parents.map(|p| p.map(|n| n.id)),
            [dbh, dbv, dw, dv].map(Some),
        );
    }
}

/// [`ModelBackend::nade`] for autodiff backends.
pub(crate) fn nade<B: ModelBackend, C: CheckpointStrategy>(
    x: NadeInputs<Autodiff<B, C>>,
) -> FloatTensor<Autodiff<B, C>> {
    let inner = NadeInputs {
        bh: x.bh.primitive.clone(),
        bv: x.bv.primitive.clone(),
        w: x.w.primitive.clone(),
        v: x.v.primitive.clone(),
        targets: x.targets.primitive.clone(),
    };
    let nodes = [
        x.bh.node.clone(),
        x.bv.node.clone(),
        x.w.node.clone(),
        x.v.node.clone(),
    ];
    match NadeBackward.prepare::<C>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let out = B::nade_forward(inner.clone());
            prep.finish(inner, out)
        }
        OpsKind::UnTracked(prep) => prep.finish(B::nade_forward(inner)),
    }
}
