//! Models of piano-roll frames: each frame of 88 keys predicts the next.

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::softplus;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::{FrameHeadConfig, FrameLmConfig, NadeConfig};
use crate::core::{CoreState, SequenceCore};
use crate::nade::nade_logits;
use crate::ops::ModelBackend;
use crate::step::Stepwise;

/// Keys per frame.
pub const KEYS: usize = 88;

/// A NADE over the keys of a frame whose visible and hidden biases come from the sequence model.
#[derive(Module, Debug)]
pub struct NadeHead<B: Backend> {
    /// Visible-to-hidden weights `[keys, nade_hidden]`.
    w: Param<Tensor<B, 2>>,
    /// Hidden-to-visible weights `[nade_hidden, keys]`.
    v: Param<Tensor<B, 2>>,
    /// Sequence state to hidden biases.
    to_hidden_bias: Linear<B>,
    /// Sequence state to visible biases.
    to_visible_bias: Linear<B>,
}

impl NadeConfig {
    /// A NADE over the 88 keys whose biases come from a sequence state of width `state`.
    pub fn init<B: Backend>(&self, state: usize, device: &B::Device) -> NadeHead<B> {
        let hidden = self.hidden;
        let init = Initializer::Normal {
            mean: 0.0,
            std: 0.01,
        };
        NadeHead {
            w: init.init([KEYS, hidden], device),
            v: init.init([hidden, KEYS], device),
            to_hidden_bias: LinearConfig::new(state, hidden).init(device),
            to_visible_bias: LinearConfig::new(state, KEYS).init(device),
        }
    }
}

impl<B: Backend> NadeHead<B> {
    /// Per-key logits `[n, keys]` of frames `target` `[n, keys]` given states `[n, state]`: the
    /// logit of key i depends on the keys below i (teacher forcing; see [`crate::nade`]).
    fn logits(&self, state: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 2>
    where
        B: ModelBackend,
    {
        let bh = self.to_hidden_bias.forward(state.clone());
        let bv = self.to_visible_bias.forward(state);
        nade_logits(bh, bv, self.w.val(), self.v.val(), target)
    }
}

/// How a frame model turns the sequence state into the next frame's distribution.
// One head per model: boxing the larger variant would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum FrameHead<B: Backend> {
    /// A logit per key, each key independent.
    Bernoulli(Linear<B>),
    /// The keys jointly, through a NADE.
    Nade(NadeHead<B>),
}

impl<B: ModelBackend> FrameHead<B> {
    /// Per-key logits `[n, keys]` of frames `target` `[n, keys]` given states `[n, state]`.
    fn logits(&self, state: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 2> {
        match self {
            FrameHead::Bernoulli(linear) => linear.forward(state),
            FrameHead::Nade(nade) => nade.logits(state, target),
        }
    }
}

/// A next-frame model.
#[derive(Module, Debug)]
pub struct FrameLm<B: Backend> {
    core: SequenceCore<B>,
    dropout: Dropout,
    head: FrameHead<B>,
}

impl FrameLmConfig {
    /// A freshly initialised model.
    pub fn init<B: Backend>(&self, device: &B::Device) -> FrameLm<B> {
        let hidden = self.core.hidden();
        let head = match &self.head {
            FrameHeadConfig::Bernoulli => {
                FrameHead::Bernoulli(LinearConfig::new(hidden, KEYS).init(device))
            }
            FrameHeadConfig::Nade(nade) => FrameHead::Nade(nade.init(hidden, device)),
        };
        FrameLm {
            core: self.core.init(KEYS, device),
            dropout: DropoutConfig::new(self.core.dropout()).init(),
            head,
        }
    }
}

impl<B: ModelBackend> FrameLm<B> {
    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.core.max_len()
    }

    /// Per-key logits `[batch, time, keys]` of `targets` given `inputs` (both `[batch, time, keys]`).
    /// For the NADE head, the logit of key i is conditioned on the target's keys below i.
    pub fn logits(&self, inputs: Tensor<B, 3>, targets: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, steps, _] = inputs.dims();
        let h = self.dropout.forward(self.core.forward(inputs));
        // Two-dimensional, where the CPU backend's bias broadcast is a fast row loop.
        let width = h.dims()[2];
        let flat = h.reshape([batch * steps, width]);
        let t = targets.reshape([batch * steps, KEYS]);
        self.head.logits(flat, t).reshape([batch, steps, KEYS])
    }

    /// Summed negative log-likelihood in nats of `targets` where `mask` (`[batch, time]`) is 1:
    /// per frame, the Bernoulli NLL summed over the 88 keys.
    pub fn nll(
        &self,
        inputs: Tensor<B, 3>,
        targets: Tensor<B, 3>,
        mask: Tensor<B, 2>,
    ) -> Tensor<B, 1> {
        let logits = self.logits(inputs, targets.clone());
        // -log p = softplus(l) - y l, numerically stable for any logit.
        let per_key = softplus(logits.clone(), 1.0) - logits * targets;
        let per_frame = per_key.sum_dim(2).squeeze_dim::<2>(2);
        (per_frame * mask).sum()
    }
}

impl<B: ModelBackend> Stepwise<B> for FrameLm<B> {
    /// A frame `[batch, keys]`.
    type Input = Tensor<B, 2>;
    /// The sequence state `[batch, hidden]` that the head turns into the next frame's
    /// distribution.
    type Output = Tensor<B, 2>;

    /// The core's state.
    type State = CoreState<B>;

    /// The state before the first frame.
    fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        self.core.initial_state(batch, device)
    }

    /// Feeds one frame `[batch, keys]`; returns the sequence state `[batch, hidden]` that the head
    /// turns into the next frame's distribution.
    fn step(&self, frame: Tensor<B, 2>, state: CoreState<B>) -> (Tensor<B, 2>, CoreState<B>) {
        self.core.step(frame, state)
    }

    fn select_state(&self, state: CoreState<B>, indices: Tensor<B, 1, Int>) -> CoreState<B> {
        self.core.select_state(state, indices)
    }
}
