//! A multi-track GAN in the manner of MuseGAN's hybrid model (Dong et al. 2018): a phrase of
//! four bars of several tracks is written from four random codes — one shared by all tracks
//! and bars (the piece's character), one per track (its voice), and a shared and a per-track
//! code that a temporal generator unfolds into one code per bar — by a bar generator that
//! first builds the time axis (2 → 16 steps) and then, in layers private to each track, the
//! pitch axis by octaves (1 → 7 → 84 pitches). The critic, with spectral normalisation, reads
//! the tracks as channels of a piano-roll, through a pitch stream (octave, then the whole
//! keyboard) and a chroma stream (pitch classes), then down the time axis to beats, bars and
//! the phrase.
//!
//! Rolls are `[n, tracks, 64 steps, 84 pitches]` (C1 to B7) of sounding (1) or silent (0)
//! steps; the generator gives each cell's logit.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{leaky_relu, relu};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::melody_gan::{SnConv2d, SnLinear};

/// Bars of a phrase.
pub const BARS: usize = 4;
/// Steps of a bar (sixteenths).
pub const STEPS: usize = 16;
/// Pitches of the roll: seven octaves from C1.
pub const PITCHES: usize = 84;
/// The roll's lowest pitch (C1).
pub const LOWEST_PITCH: u8 = 24;

const SLOPE: f64 = 0.2;

/// Added to every logit the generator writes: a cell of a real roll sounds about one time in
/// twenty (a few notes among 84 pitches), so the generator starts near that density instead of
/// at one half, where the critic would win at once on density alone.
const PRIOR_LOGIT: f64 = -3.0;

/// The architecture of a multi-track GAN.
///
/// ```toml
/// [model]
/// kind = "musegan"
/// latent = 32      # size of each of the four random codes
/// channels = 128   # width of the generator and the critic
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MuseGanConfig {
    /// The tracks, in order (filled in from `data.multitrack.tracks` when training).
    pub tracks: Vec<String>,
    /// Size of each random code: shared, per track, shared over time, per track over time
    /// (default 32).
    pub latent: usize,
    /// Channels of the generator's and the critic's layers (default 128).
    pub channels: usize,
    /// Critic updates per generator update (default 1).
    pub critic_steps: usize,
    /// The critic's learning rate as a multiple of `optim.lr` (default 4, the two-timescale
    /// rule).
    pub critic_lr_scale: f64,
    /// What the critic is shown of a written phrase: `"samples"`, cells drawn 0 or 1 from their
    /// probabilities with the straight-through gradient (BinaryMuseGAN; default), or
    /// `"probabilities"`, the probabilities themselves (the original MuseGAN, which the critic
    /// pushes towards 0 and 1).
    pub critic_input: CriticInput,
}

/// What the critic of a multi-track GAN is shown of a written phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriticInput {
    /// Cells drawn 0 or 1, with the straight-through gradient.
    #[default]
    Samples,
    /// The cells' probabilities.
    Probabilities,
}

impl Config for MuseGanConfig {}

impl Default for MuseGanConfig {
    fn default() -> Self {
        MuseGanConfig {
            tracks: Vec::new(),
            latent: 32,
            channels: 128,
            critic_steps: 1,
            critic_lr_scale: 4.0,
            critic_input: CriticInput::Samples,
        }
    }
}

impl MuseGanConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.tracks.len() > 16 {
            return Err(format!(
                "model.tracks names {} tracks; give at most 16",
                self.tracks.len()
            ));
        }
        for (name, v) in [
            ("model.latent", self.latent),
            ("model.channels", self.channels),
        ] {
            if !(4..=1024).contains(&v) {
                return Err(format!("{name} = {v}; give 4 to 1024"));
            }
        }
        if self.critic_steps == 0 || self.critic_steps > 20 {
            return Err(format!(
                "model.critic_steps = {}; give 1 to 20",
                self.critic_steps
            ));
        }
        if !(self.critic_lr_scale > 0.0 && self.critic_lr_scale <= 100.0) {
            return Err(format!(
                "model.critic_lr_scale = {}; give a value in (0, 100]",
                self.critic_lr_scale
            ));
        }
        Ok(())
    }

    fn track_count(&self) -> usize {
        self.tracks.len().max(1)
    }

    /// A freshly initialised generator.
    pub fn init<B: Backend>(&self, device: &B::Device) -> MultiTrackGenerator<B> {
        let (t, l, ch) = (self.track_count(), self.latent, self.channels);
        let up = |c_in: usize, c_out: usize, kernel: [usize; 2]| {
            ConvTranspose2dConfig::new([c_in, c_out], kernel)
                .with_stride(kernel)
                .init(device)
        };
        MultiTrackGenerator {
            shared_time: LinearConfig::new(l, BARS * l).init(device),
            private_time: (0..t)
                .map(|_| LinearConfig::new(l, BARS * l).init(device))
                .collect(),
            project: LinearConfig::new(4 * l + t, ch * 2).init(device),
            time_up: vec![up(ch, ch, [2, 1]), up(ch, ch, [2, 1]), up(ch, ch, [2, 1])],
            time_norms: (0..4)
                .map(|_| BatchNormConfig::new(ch).init(device))
                .collect(),
            octave_up: (0..t).map(|_| up(ch, ch / 2, [1, 7])).collect(),
            octave_norms: (0..t)
                .map(|_| BatchNormConfig::new(ch / 2).init(device))
                .collect(),
            pitch_out: (0..t).map(|_| up(ch / 2, 1, [1, 12])).collect(),
            latent: l,
            tracks: t,
            channels: ch,
        }
    }

    /// A freshly initialised critic.
    pub fn init_critic<B: Backend>(&self, device: &B::Device) -> MultiTrackCritic<B> {
        let (t, ch) = (self.track_count(), self.channels);
        let half = ch / 2;
        MultiTrackCritic {
            octave: SnConv2d::strided(t, half, [3, 12], [1, 12], [1, 0], device),
            keyboard: SnConv2d::strided(half, ch, [1, 7], [1, 7], [0, 0], device),
            chroma: SnConv2d::strided(t, half, [3, 12], [1, 12], [1, 0], device),
            time: vec![
                SnConv2d::strided(ch + half, ch, [4, 1], [4, 1], [0, 0], device),
                SnConv2d::strided(ch, ch, [4, 1], [4, 1], [0, 0], device),
                SnConv2d::strided(ch, 2 * ch, [4, 1], [4, 1], [0, 0], device),
            ],
            output: SnLinear::new(2 * ch, 1, device),
        }
    }
}

/// The generator: random codes to the logits of a phrase's rolls.
#[derive(Module, Debug)]
pub struct MultiTrackGenerator<B: Backend> {
    shared_time: Linear<B>,
    private_time: Vec<Linear<B>>,
    project: Linear<B>,
    time_up: Vec<ConvTranspose2d<B>>,
    time_norms: Vec<BatchNorm<B>>,
    octave_up: Vec<ConvTranspose2d<B>>,
    octave_norms: Vec<BatchNorm<B>>,
    pitch_out: Vec<ConvTranspose2d<B>>,
    latent: usize,
    tracks: usize,
    channels: usize,
}

impl<B: Backend> MultiTrackGenerator<B> {
    /// Number of tracks it writes.
    pub fn tracks(&self) -> usize {
        self.tracks
    }

    /// Size of the random code of a phrase: `(1 + tracks)` time-independent codes (shared, one
    /// per track) then as many codes for the temporal generators.
    pub fn noise_size(&self) -> usize {
        2 * (1 + self.tracks) * self.latent
    }

    /// Size of the time-independent part at the front of the code: keep it and redraw the rest
    /// to write another phrase of the same piece.
    pub fn fixed_noise_size(&self) -> usize {
        (1 + self.tracks) * self.latent
    }

    /// Logits `[n, tracks, 64, 84]` of phrases from codes `[n, noise_size]`. Its batch norms
    /// use the batch's statistics on an autodiff backend (training) and the running ones
    /// otherwise.
    pub fn forward(&self, noise: Tensor<B, 2>) -> Tensor<B, 4> {
        self.run(noise, false)
    }

    /// [`forward`](Self::forward) with the running statistics of the batch norms on every
    /// backend: for searching the codes by gradient (accompaniment), where the generator is
    /// fixed and a batch of candidates must not change one another.
    pub fn forward_frozen(&self, noise: Tensor<B, 2>) -> Tensor<B, 4> {
        self.run(noise, true)
    }

    fn run(&self, noise: Tensor<B, 2>, frozen: bool) -> Tensor<B, 4> {
        let (n, t, l, ch) = (noise.dims()[0], self.tracks, self.latent, self.channels);
        let device = noise.device();
        let part = |k: usize, width: usize| noise.clone().slice([0..n, k..k + width]);
        let shared = part(0, l);
        let private = part(l, t * l).reshape([n, t, l]);
        let shared_time = part((1 + t) * l, l);
        let private_time = part((2 + t) * l, t * l).reshape([n, t, l]);
        // One code per bar from the temporal generators.
        let shared_bars = self
            .shared_time
            .forward(shared_time)
            .reshape([n, 1, BARS, l])
            .repeat_dim(1, t);
        let private_bars = Tensor::cat(
            self.private_time
                .iter()
                .enumerate()
                .map(|(i, lin)| {
                    let z = private_time
                        .clone()
                        .slice([0..n, i..i + 1, 0..l])
                        .reshape([n, l]);
                    lin.forward(z).reshape([n, 1, BARS, l])
                })
                .collect(),
            1,
        );
        let identity = Tensor::<B, 2>::eye(t, &device)
            .reshape([1, t, 1, t])
            .repeat_dim(0, n)
            .repeat_dim(2, BARS);
        let codes = Tensor::cat(
            vec![
                shared
                    .reshape([n, 1, 1, l])
                    .repeat_dim(1, t)
                    .repeat_dim(2, BARS),
                private.reshape([n, t, 1, l]).repeat_dim(2, BARS),
                shared_bars,
                private_bars,
                identity,
            ],
            3,
        )
        .reshape([n * t * BARS, 4 * l + t]);
        // The time axis, shared by all tracks: 2, 4, 8, 16 steps, one pitch.
        let h = self
            .project
            .forward(codes)
            .reshape([n * t * BARS, ch, 2, 1]);
        let mut h = relu(normalise(&self.time_norms[0], h, frozen));
        for (up, norm) in self.time_up.iter().zip(&self.time_norms[1..]) {
            h = relu(normalise(norm, up.forward(h), frozen));
        }
        let h = h.reshape([n, t, BARS, ch * STEPS]);
        // The pitch axis, private to each track: octaves, then the twelve pitches of each.
        let rolls = (0..t)
            .map(|i| {
                let x = h
                    .clone()
                    .slice([0..n, i..i + 1, 0..BARS, 0..ch * STEPS])
                    .reshape([n * BARS, ch, STEPS, 1]);
                let x = relu(self.octave_norms[i].forward(self.octave_up[i].forward(x)));
                self.pitch_out[i]
                    .forward(x)
                    .reshape([n, 1, BARS * STEPS, PITCHES])
            })
            .collect();
        Tensor::cat(rolls, 1).add_scalar(PRIOR_LOGIT)
    }
}

/// `norm` applied to `x` `[n, channels, h, w]`, with its running statistics when `frozen`.
fn normalise<B: Backend>(norm: &BatchNorm<B>, x: Tensor<B, 4>, frozen: bool) -> Tensor<B, 4> {
    if !frozen {
        return norm.forward(x);
    }
    let c = x.dims()[1];
    let shape = [1, c, 1, 1];
    let mean = norm.running_mean.value().reshape(shape);
    let std = norm
        .running_var
        .value()
        .add_scalar(norm.epsilon)
        .sqrt()
        .reshape(shape);
    (x - mean) / std * norm.gamma.val().reshape(shape) + norm.beta.val().reshape(shape)
}

/// The critic: a score for each phrase, higher for phrases that look real.
#[derive(Module, Debug)]
pub struct MultiTrackCritic<B: Backend> {
    octave: SnConv2d<B>,
    keyboard: SnConv2d<B>,
    chroma: SnConv2d<B>,
    time: Vec<SnConv2d<B>>,
    output: SnLinear<B>,
}

impl<B: Backend> MultiTrackCritic<B> {
    /// Scores `[n]` of rolls `[n, tracks, 64, 84]` (0/1 or probabilities).
    pub fn forward(&self, rolls: Tensor<B, 4>) -> Tensor<B, 1> {
        let [n, t, steps, _] = rolls.dims();
        let chroma = rolls
            .clone()
            .reshape([n, t * steps, 7, 12])
            .sum_dim(2)
            .reshape([n, t, steps, 12]);
        let pitch = leaky_relu(self.octave.forward(rolls), SLOPE);
        let pitch = leaky_relu(self.keyboard.forward(pitch), SLOPE);
        let chroma = leaky_relu(self.chroma.forward(chroma), SLOPE);
        let mut h = Tensor::cat(vec![pitch, chroma], 1);
        for conv in &self.time {
            h = leaky_relu(conv.forward(h), SLOPE);
        }
        let [_, c, a, b] = h.dims();
        self.output.forward(h.reshape([n, c * a * b])).reshape([n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::tensor::activation::sigmoid;

    type B = Cpu;

    #[test]
    fn generator_and_critic_shapes() {
        let device = Default::default();
        let config = MuseGanConfig {
            tracks: vec!["a".into(), "b".into(), "c".into()],
            latent: 8,
            channels: 16,
            ..MuseGanConfig::default()
        };
        let g = config.init::<B>(&device);
        let d = config.init_critic::<B>(&device);
        assert_eq!(g.noise_size(), 2 * 4 * 8);
        let noise = Tensor::<B, 2>::random(
            [2, g.noise_size()],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let logits = g.forward(noise);
        assert_eq!(logits.dims(), [2, 3, BARS * STEPS, PITCHES]);
        let p = sigmoid(logits);
        assert_eq!(d.forward(p).dims(), [2]);
    }

    #[test]
    fn frozen_norms_agree_with_inference() {
        let device = Default::default();
        let config = MuseGanConfig {
            tracks: vec!["a".into(), "b".into()],
            latent: 8,
            channels: 16,
            ..MuseGanConfig::default()
        };
        let g = config.init::<B>(&device);
        let noise = Tensor::<B, 2>::random(
            [3, g.noise_size()],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let gap: f32 = (g.forward(noise.clone()) - g.forward_frozen(noise))
            .abs()
            .max()
            .into_scalar();
        assert!(gap < 1e-4, "{gap}");
    }

    #[test]
    fn tracks_differ_through_their_private_layers() {
        let device = Default::default();
        let config = MuseGanConfig {
            tracks: vec!["a".into(), "b".into()],
            latent: 8,
            channels: 16,
            ..MuseGanConfig::default()
        };
        let g = config.init::<B>(&device);
        let noise = Tensor::<B, 2>::zeros([1, g.noise_size()], &device);
        let logits = g.forward(noise);
        let a = logits.clone().slice([0..1, 0..1, 0..64, 0..84]);
        let b = logits.slice([0..1, 1..2, 0..64, 0..84]);
        let gap: f32 = (a - b).abs().sum().into_scalar();
        assert!(gap > 1e-3, "two tracks from the same codes came out alike");
    }
}
