//! Models of piano-roll frames: each frame of 88 keys predicts the next.

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::softplus;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::{FrameHead, ModelConfig};
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

impl<B: Backend> NadeHead<B> {
    fn new(state: usize, hidden: usize, device: &B::Device) -> Self {
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

/// A next-frame model.
#[derive(Module, Debug)]
pub struct FrameLm<B: Backend> {
    core: SequenceCore<B>,
    dropout: Dropout,
    bernoulli: Option<Linear<B>>,
    nade: Option<NadeHead<B>>,
}

impl<B: ModelBackend> FrameLm<B> {
    /// A freshly initialised model.
    pub fn new(config: &ModelConfig, device: &B::Device) -> Self {
        let (bernoulli, nade) = match config.frame_head {
            FrameHead::Bernoulli => (
                Some(LinearConfig::new(config.hidden, KEYS).init(device)),
                None,
            ),
            FrameHead::Nade => (
                None,
                Some(NadeHead::new(config.hidden, config.nade_hidden, device)),
            ),
        };
        FrameLm {
            core: SequenceCore::new(config, KEYS, device),
            dropout: DropoutConfig::new(config.dropout).init(),
            bernoulli,
            nade,
        }
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.core.max_len()
    }

    /// Per-key logits `[batch, time, keys]` of `targets` given `inputs` (both `[batch, time, keys]`).
    /// For the NADE head, the logit of key i is conditioned on the target's keys below i.
    pub fn logits(&self, inputs: Tensor<B, 3>, targets: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, steps, _] = inputs.dims();
        let h = self.dropout.forward(self.core.forward(inputs));
        match (&self.bernoulli, &self.nade) {
            (Some(head), _) => {
                // Two-dimensional, where the CPU backend's bias broadcast is a fast row loop.
                let width = h.dims()[2];
                head.forward(h.reshape([batch * steps, width]))
                    .reshape([batch, steps, KEYS])
            }
            (_, Some(nade)) => {
                let width = h.dims()[2];
                let flat = h.reshape([batch * steps, width]);
                let t = targets.reshape([batch * steps, KEYS]);
                nade.logits(flat, t).reshape([batch, steps, KEYS])
            }
            _ => unreachable!("a frame model has one head"),
        }
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
