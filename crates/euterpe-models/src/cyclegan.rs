//! Style transfer between two styles of phrases in the manner of CycleGAN (Zhu et al. 2017) as
//! Brunner et al. (2018) applied it to symbolic music: two generators, A → B and B → A, each
//! rewriting a merged piano-roll of four bars (64 steps × 84 pitches) into the other style,
//! trained against two critics with cycle-consistency (A → B → A gives back A) and identity
//! (a phrase already in the target style passes unchanged) losses.
//!
//! A generator reads the roll as 84 pitch channels over 64 steps: a 1-D convolution in, residual
//! blocks of dilated convolutions with instance norms (dilations 1, 2, 4, 8, so that a step
//! hears the whole phrase), a convolution out, plus a learned gain on the input itself, so that
//! a generator starts near the identity and learns what to add and what to remove. The critics
//! are the multi-track GAN's ([`MultiTrackCritic`]) on one track.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, PaddingConfig1d};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::musegan::{MultiTrackCritic, MuseGanConfig, PITCHES};

/// Steps of a phrase (four bars of sixteenths).
pub const PHRASE_STEPS: usize = 64;

/// The architecture and losses of a style-transfer GAN.
///
/// ```toml
/// [model]
/// kind = "cyclegan"
/// channels = 128       # width of the generators
/// blocks = 4           # residual blocks of each generator
/// cycle_weight = 10.0  # weight of the cycle-consistency loss
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CycleGanConfig {
    /// The two styles, A then B (filled in from `data.folders` and `data.folder_names`).
    pub styles: Vec<String>,
    /// Channels of the generators' layers (default 128).
    pub channels: usize,
    /// Residual blocks of each generator (default 4).
    pub blocks: usize,
    /// Channels of the critics (default 64).
    pub critic_channels: usize,
    /// Critic updates per generator update (default 1).
    pub critic_steps: usize,
    /// The critics' learning rate as a multiple of `optim.lr` (default 2).
    pub critic_lr_scale: f64,
    /// Weight of the cycle-consistency loss, a cross-entropy per cell (default 10).
    pub cycle_weight: f64,
    /// Weight of the identity loss (default 2).
    pub identity_weight: f64,
    /// What the critics and the cycle are shown of a written phrase: `"probabilities"`
    /// (default) or `"threshold"`, the cells at probability ≥ 0.5 as 0/1 — what `euterpe
    /// transfer` writes — with the gradient passed straight through to the probabilities.
    pub critic_input: TransferInput,
}

/// What the critics and the cycle of a style-transfer GAN are shown of a written phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferInput {
    /// The cells' probabilities.
    #[default]
    Probabilities,
    /// The cells at probability ≥ 0.5, with the straight-through gradient.
    Threshold,
}

impl Config for CycleGanConfig {}

impl Default for CycleGanConfig {
    fn default() -> Self {
        CycleGanConfig {
            styles: Vec::new(),
            channels: 128,
            blocks: 4,
            critic_channels: 64,
            critic_steps: 1,
            critic_lr_scale: 2.0,
            cycle_weight: 10.0,
            identity_weight: 2.0,
            critic_input: TransferInput::Probabilities,
        }
    }
}

impl CycleGanConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.styles.is_empty() || self.styles.len() == 2) {
            return Err(format!(
                "model.styles names {} styles; style transfer is between two",
                self.styles.len()
            ));
        }
        for (name, v, range) in [
            ("model.channels", self.channels, 4..=1024),
            ("model.critic_channels", self.critic_channels, 4..=1024),
            ("model.blocks", self.blocks, 1..=32),
            ("model.critic_steps", self.critic_steps, 1..=20),
        ] {
            if !range.contains(&v) {
                return Err(format!(
                    "{name} = {v}; give {} to {}",
                    range.start(),
                    range.end()
                ));
            }
        }
        for (name, v) in [
            ("model.critic_lr_scale", self.critic_lr_scale),
            ("model.cycle_weight", self.cycle_weight),
            ("model.identity_weight", self.identity_weight),
        ] {
            if !(v.is_finite() && (0.0..=1000.0).contains(&v)) {
                return Err(format!("{name} = {v}; give a value in [0, 1000]"));
            }
        }
        if self.critic_lr_scale == 0.0 {
            return Err("model.critic_lr_scale = 0; give a value above 0".into());
        }
        Ok(())
    }

    /// The two generators, freshly initialised.
    pub fn init<B: Backend>(&self, device: &B::Device) -> StyleTransferPair<B> {
        StyleTransferPair {
            a_to_b: self.init_generator(device),
            b_to_a: self.init_generator(device),
        }
    }

    /// One generator, freshly initialised.
    pub fn init_generator<B: Backend>(&self, device: &B::Device) -> StyleGenerator<B> {
        let ch = self.channels;
        let conv = |c_in: usize, c_out: usize, dilation: usize| {
            Conv1dConfig::new(c_in, c_out, 3)
                .with_dilation(dilation)
                .with_padding(PaddingConfig1d::Explicit(dilation, dilation))
                .init(device)
        };
        let norm = || InstanceNormConfig::new(ch).init(device);
        StyleGenerator {
            enter: conv(PITCHES, ch, 1),
            enter_norm: norm(),
            blocks: (0..self.blocks)
                .map(|i| {
                    let d = 1 << (i % 4);
                    ResidualBlock {
                        first: conv(ch, ch, d),
                        first_norm: norm(),
                        second: conv(ch, ch, d),
                        second_norm: norm(),
                    }
                })
                .collect(),
            exit: conv(ch, PITCHES, 1),
            gain: Param::from_tensor(Tensor::from_floats([INPUT_GAIN], device)),
            bias: Param::from_tensor(Tensor::from_floats([-INPUT_GAIN / 2.0], device)),
        }
    }

    /// The critics of both styles, freshly initialised.
    pub fn init_critics<B: Backend>(&self, device: &B::Device) -> StyleCritics<B> {
        let one = || {
            MuseGanConfig {
                tracks: vec!["ALL".into()],
                channels: self.critic_channels,
                ..MuseGanConfig::default()
            }
            .init_critic(device)
        };
        StyleCritics { a: one(), b: one() }
    }
}

/// The starting weight of a generator's input in its output logits: a sounding cell starts at
/// logit +4 (probability .98), a silent one at −4.
const INPUT_GAIN: f32 = 8.0;

/// Both generators of a style-transfer GAN: what a model directory of kind `cyclegan` holds.
#[derive(Module, Debug)]
pub struct StyleTransferPair<B: Backend> {
    /// Style A to style B.
    pub a_to_b: StyleGenerator<B>,
    /// Style B to style A.
    pub b_to_a: StyleGenerator<B>,
}

impl<B: Backend> StyleTransferPair<B> {
    /// The generator into style `to` (0: A, 1: B).
    pub fn into_style(&self, to: usize) -> &StyleGenerator<B> {
        if to == 0 {
            &self.b_to_a
        } else {
            &self.a_to_b
        }
    }
}

/// The critics of a style-transfer GAN (needed only for training): each scores how much a
/// phrase looks like a real phrase of its style.
#[derive(Module, Debug)]
pub struct StyleCritics<B: Backend> {
    /// The critic of style A.
    pub a: MultiTrackCritic<B>,
    /// The critic of style B.
    pub b: MultiTrackCritic<B>,
}

/// A residual block: two dilated convolutions with instance norms.
#[derive(Module, Debug)]
pub struct ResidualBlock<B: Backend> {
    first: Conv1d<B>,
    first_norm: InstanceNorm<B>,
    second: Conv1d<B>,
    second_norm: InstanceNorm<B>,
}

impl<B: Backend> ResidualBlock<B> {
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let h = relu(self.first_norm.forward(self.first.forward(x.clone())));
        x + self.second_norm.forward(self.second.forward(h))
    }
}

/// One generator: a phrase of one style to the logits of the same phrase in the other.
#[derive(Module, Debug)]
pub struct StyleGenerator<B: Backend> {
    enter: Conv1d<B>,
    enter_norm: InstanceNorm<B>,
    blocks: Vec<ResidualBlock<B>>,
    exit: Conv1d<B>,
    gain: Param<Tensor<B, 1>>,
    bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> StyleGenerator<B> {
    /// Logits `[n, 1, 64, 84]` of rolls `[n, 1, 64, 84]` (0/1 or probabilities).
    pub fn forward(&self, rolls: Tensor<B, 4>) -> Tensor<B, 4> {
        let [n, _, steps, pitches] = rolls.dims();
        let x = rolls.reshape([n, steps, pitches]).swap_dims(1, 2);
        let mut h = relu(self.enter_norm.forward(self.enter.forward(x.clone())));
        for block in &self.blocks {
            h = block.forward(h);
        }
        let out = self.exit.forward(relu(h))
            + x * self.gain.val().reshape([1, 1, 1])
            + self.bias.val().reshape([1, 1, 1]);
        out.swap_dims(1, 2).reshape([n, 1, steps, pitches])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::tensor::activation::sigmoid;
    use burn::tensor::Distribution;

    type B = Cpu;

    fn small() -> CycleGanConfig {
        CycleGanConfig {
            styles: vec!["folk".into(), "pop".into()],
            channels: 16,
            blocks: 2,
            critic_channels: 16,
            ..CycleGanConfig::default()
        }
    }

    #[test]
    fn generators_keep_the_shape_and_critics_score_each_phrase() {
        let device = Default::default();
        let config = small();
        let pair = config.init::<B>(&device);
        let critics = config.init_critics::<B>(&device);
        let rolls = Tensor::<B, 4>::random(
            [3, 1, PHRASE_STEPS, PITCHES],
            Distribution::Bernoulli(0.05),
            &device,
        );
        let out = pair.a_to_b.forward(rolls.clone());
        assert_eq!(out.dims(), [3, 1, PHRASE_STEPS, PITCHES]);
        assert_eq!(critics.b.forward(sigmoid(out)).dims(), [3]);
    }

    #[test]
    fn a_fresh_generator_starts_near_the_identity() {
        let device = Default::default();
        let pair = small().init::<B>(&device);
        let rolls = Tensor::<B, 4>::random(
            [2, 1, PHRASE_STEPS, PITCHES],
            Distribution::Bernoulli(0.05),
            &device,
        );
        let written = sigmoid(pair.b_to_a.forward(rolls.clone())).greater_elem(0.5);
        let agree: f32 = written.float().equal(rolls).float().mean().into_scalar();
        assert!(agree > 0.9, "only {agree} of cells kept");
    }

    #[test]
    fn the_config_is_checked() {
        let mut c = small();
        assert!(c.validate().is_ok());
        c.styles.push("game".into());
        assert!(c.validate().unwrap_err().contains("two"));
        let c = CycleGanConfig {
            cycle_weight: -1.0,
            ..small()
        };
        assert!(c.validate().unwrap_err().contains("cycle_weight"));
    }
}
