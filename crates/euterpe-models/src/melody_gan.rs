//! A melody GAN in the manner of MidiNet (Yang et al. 2017): a convolutional generator writes
//! one bar of melody from noise, the bar's chord and the bar before it; a critic with spectral
//! normalisation (Miyato et al. 2018) tells written bars from real ones, trained with the hinge
//! loss. Bars are [`euterpe_music::melody`]'s sixteen steps of rest, hold or onset classes.
//!
//! The generator's conditioner encodes the previous bar at four time resolutions (16, 8, 4 and
//! 2 steps); each transposed convolution that doubles the generator's time axis sees the
//! conditioner's features and the chord at its resolution, as in MidiNet. The critic sees the
//! bar, its chord and the previous bar.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{
    Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose1d, ConvTranspose1dConfig,
};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::tensor::activation::{leaky_relu, relu, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::module::{conv1d, conv2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Tensor, TensorData};
use euterpe_music::melody::{CLASSES, STEPS_PER_BAR};
use euterpe_music::Chord;
use serde::{Deserialize, Serialize};

/// Values of a chord condition: twelve for the root, one for minor (all zero: no chord).
pub const CHORD_FEATURES: usize = 13;

const SLOPE: f64 = 0.2;

/// The architecture of a melody GAN.
///
/// ```toml
/// [model]
/// kind = "melody_gan"
/// noise = 64       # size of the random code of each bar
/// channels = 128   # width of the generator and the critic
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MelodyGanConfig {
    /// Size of the random code of each bar (default 64).
    pub noise: usize,
    /// Channels of the generator's, the conditioner's and the critic's layers (default 128).
    pub channels: usize,
    /// Critic updates per generator update (default 1).
    pub critic_steps: usize,
    /// The critic's learning rate as a multiple of `optim.lr` (default 4: the two-timescale
    /// rule of Heusel et al. 2017, e.g. 1e-4 for the generator and 4e-4 for the critic).
    pub critic_lr_scale: f64,
}

impl Config for MelodyGanConfig {}

impl Default for MelodyGanConfig {
    fn default() -> Self {
        MelodyGanConfig {
            noise: 64,
            channels: 128,
            critic_steps: 1,
            critic_lr_scale: 4.0,
        }
    }
}

impl MelodyGanConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("model.noise", self.noise),
            ("model.channels", self.channels),
        ] {
            if v == 0 || v > 2048 {
                return Err(format!("{name} = {v}; give 1 to 2048"));
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

    /// A freshly initialised generator.
    pub fn init<B: Backend>(&self, device: &B::Device) -> MelodyGenerator<B> {
        let ch = self.channels;
        let down = |c_in: usize, stride: usize| {
            let (k, p) = if stride == 1 { (3, 1) } else { (4, 1) };
            Conv1dConfig::new(c_in, ch, k)
                .with_stride(stride)
                .with_padding(PaddingConfig1d::Explicit(p, p))
                .init(device)
        };
        let conditioner = vec![down(CLASSES, 1), down(ch, 2), down(ch, 2), down(ch, 2)];
        let up = (0..3)
            .map(|_| {
                ConvTranspose1dConfig::new([2 * ch + CHORD_FEATURES, ch], 4)
                    .with_stride(2)
                    .with_padding(1)
                    .init(device)
            })
            .collect();
        let norms = (0..4)
            .map(|_| BatchNormConfig::new(ch).init(device))
            .collect();
        MelodyGenerator {
            project: LinearConfig::new(self.noise + CHORD_FEATURES, ch * 2).init(device),
            conditioner,
            up,
            norms,
            output: Conv1dConfig::new(2 * ch + CHORD_FEATURES, CLASSES, 1).init(device),
            noise: self.noise,
            channels: ch,
        }
    }

    /// A freshly initialised critic.
    pub fn init_critic<B: Backend>(&self, device: &B::Device) -> MelodyCritic<B> {
        let ch = self.channels;
        let input = 2 * CLASSES + CHORD_FEATURES + 12 + CONTOUR_CHANNELS;
        MelodyCritic {
            contour: SnConv2d::new(2, CONTOUR_CHANNELS, CONTOUR_KERNEL, device),
            convs: vec![
                SnConv1d::new(input, ch, 3, 1, 1, device),
                SnConv1d::new(ch, ch, 4, 2, 1, device),
                SnConv1d::new(ch, 2 * ch, 4, 2, 1, device),
            ],
            output: SnLinear::new(2 * ch * STEPS_PER_BAR / 4, 1, device),
        }
    }
}

/// Chord conditions `[n, 13]`: a one-hot root and a minor flag (all zero for no chord).
pub fn chord_tensor<B: Backend>(chords: &[Option<Chord>], device: &B::Device) -> Tensor<B, 2> {
    let mut v = vec![0f32; chords.len() * CHORD_FEATURES];
    for (i, c) in chords.iter().enumerate() {
        if let Some(c) = c {
            v[i * CHORD_FEATURES + c.root as usize] = 1.0;
            v[i * CHORD_FEATURES + 12] = c.minor as u8 as f32;
        }
    }
    Tensor::from_data(TensorData::new(v, [chords.len(), CHORD_FEATURES]), device)
}

/// Bars as one-hot step classes `[n, CLASSES, 16]`.
pub fn bars_tensor<B: Backend>(bars: &[[u8; STEPS_PER_BAR]], device: &B::Device) -> Tensor<B, 3> {
    let mut v = vec![0f32; bars.len() * CLASSES * STEPS_PER_BAR];
    for (i, bar) in bars.iter().enumerate() {
        for (t, &c) in bar.iter().enumerate() {
            let c = (c as usize).min(CLASSES - 1);
            v[(i * CLASSES + c) * STEPS_PER_BAR + t] = 1.0;
        }
    }
    Tensor::from_data(
        TensorData::new(v, [bars.len(), CLASSES, STEPS_PER_BAR]),
        device,
    )
}

/// The generator: noise, chord and previous bar to the step classes' probabilities.
#[derive(Module, Debug)]
pub struct MelodyGenerator<B: Backend> {
    project: Linear<B>,
    conditioner: Vec<Conv1d<B>>,
    up: Vec<ConvTranspose1d<B>>,
    norms: Vec<BatchNorm<B>>,
    output: Conv1d<B>,
    noise: usize,
    channels: usize,
}

/// `chord` `[n, 13]` repeated along `steps` time steps: `[n, 13, steps]`.
fn chord_along<B: Backend>(chord: &Tensor<B, 2>, steps: usize) -> Tensor<B, 3> {
    let [n, f] = chord.dims();
    chord.clone().reshape([n, f, 1]).repeat_dim(2, steps)
}

impl<B: Backend> MelodyGenerator<B> {
    /// Size of the random code of a bar.
    pub fn noise_size(&self) -> usize {
        self.noise
    }

    /// Step-class logits `[n, CLASSES, 16]` of bars from codes `[n, noise]`, chords `[n, 13]`
    /// and previous bars `[n, CLASSES, 16]` (one-hot).
    pub fn forward(
        &self,
        noise: Tensor<B, 2>,
        chord: Tensor<B, 2>,
        previous: Tensor<B, 3>,
    ) -> Tensor<B, 3> {
        let n = noise.dims()[0];
        // The conditioner's features at 16, 8, 4 and 2 steps.
        let mut features = Vec::with_capacity(4);
        let mut c = previous;
        for conv in &self.conditioner {
            c = leaky_relu(conv.forward(c), SLOPE);
            features.push(c.clone());
        }
        let h = self
            .project
            .forward(Tensor::cat(vec![noise, chord.clone()], 1))
            .reshape([n, self.channels, 2]);
        let mut h = relu(self.norms[0].forward(h));
        for (i, up) in self.up.iter().enumerate() {
            // The time axis doubles from 2 steps: 2, 4, then 8 steps in.
            let steps = 2 << i;
            let cond = features[3 - i].clone();
            let x = Tensor::cat(vec![h, cond, chord_along(&chord, steps)], 1);
            h = relu(self.norms[i + 1].forward(up.forward(x)));
        }
        let x = Tensor::cat(
            vec![h, features[0].clone(), chord_along(&chord, STEPS_PER_BAR)],
            1,
        );
        self.output.forward(x)
    }

    /// The step classes' probabilities `[n, CLASSES, 16]`.
    pub fn probabilities(
        &self,
        noise: Tensor<B, 2>,
        chord: Tensor<B, 2>,
        previous: Tensor<B, 3>,
    ) -> Tensor<B, 3> {
        softmax(self.forward(noise, chord, previous), 1)
    }
}

/// Channels of the critic's contour detectors.
const CONTOUR_CHANNELS: usize = 16;
/// Their kernel over (pitch, time): six semitones either way, five sixteenths.
const CONTOUR_KERNEL: [usize; 2] = [13, 5];

/// The critic: a score for each bar, higher for bars that look real.
///
/// Besides the step classes, the chord and the chord-relative pitch classes, it sees the output
/// of 2-D convolutions over the bar's onsets drawn as a piano-roll (pitch × time, with the
/// previous bar as a second channel), maximised over pitch: detectors of melodic shapes
/// (steps, leaps, repeated notes) wherever they lie in pitch, as MidiNet's critic sees a
/// piano-roll image.
#[derive(Module, Debug)]
pub struct MelodyCritic<B: Backend> {
    contour: SnConv2d<B>,
    convs: Vec<SnConv1d<B>>,
    output: SnLinear<B>,
}

impl<B: Backend> MelodyCritic<B> {
    /// Scores `[n]` of bars `[n, CLASSES, 16]` (one-hot or probabilities) with their chords and
    /// previous bars.
    pub fn forward(
        &self,
        bars: Tensor<B, 3>,
        chord: Tensor<B, 2>,
        previous: Tensor<B, 3>,
    ) -> Tensor<B, 1> {
        let n = bars.dims()[0];
        let relative = chord_relative(&bars, &chord);
        let roll = |b: &Tensor<B, 3>| {
            b.clone()
                .slice([0..n, 2..CLASSES, 0..STEPS_PER_BAR])
                .reshape([n, 1, CLASSES - 2, STEPS_PER_BAR])
        };
        let image = Tensor::cat(vec![roll(&bars), roll(&previous)], 1);
        let shapes = leaky_relu(self.contour.forward(image), SLOPE)
            .max_dim(2)
            .reshape([n, CONTOUR_CHANNELS, STEPS_PER_BAR]);
        let mut h = Tensor::cat(
            vec![
                bars,
                previous,
                chord_along(&chord, STEPS_PER_BAR),
                relative,
                shapes,
            ],
            1,
        );
        for conv in &self.convs {
            h = leaky_relu(conv.forward(h), SLOPE);
        }
        let [_, c, t] = h.dims();
        self.output.forward(h.reshape([n, c * t])).reshape([n])
    }
}

/// The onsets of `bars` `[n, CLASSES, 16]` as pitch classes relative to the root of their chord
/// `[n, 13]`: `[n, 12, 16]`, channel k lit where an onset lies k semitones above the root (all
/// zero without a chord). Whether a note is a chord tone is then one channel away, which the
/// critic could otherwise only learn as a conjunction of pitch and chord.
pub fn chord_relative<B: Backend>(bars: &Tensor<B, 3>, chord: &Tensor<B, 2>) -> Tensor<B, 3> {
    let device = bars.device();
    let n = bars.dims()[0];
    // Pitch class of each onset class: [12, CLASSES].
    let mut fold = vec![0f32; 12 * CLASSES];
    for c in 0..CLASSES {
        if let Some(p) = euterpe_music::melody::class_pitch(c as u8) {
            fold[(p % 12) as usize * CLASSES + c] = 1.0;
        }
    }
    let fold = Tensor::<B, 2>::from_data(TensorData::new(fold, [12, CLASSES]), &device);
    // Shift matrices by root: [12 roots, 12 × 12], entry (k, j) of root r lit when j − r ≡ k.
    let mut shifts = vec![0f32; 12 * 144];
    for r in 0..12 {
        for k in 0..12 {
            shifts[r * 144 + k * 12 + (k + r) % 12] = 1.0;
        }
    }
    let shifts = Tensor::<B, 2>::from_data(TensorData::new(shifts, [12, 144]), &device);
    let root = chord.clone().slice([0..n, 0..12]);
    let rotate = root.matmul(shifts).reshape([n, 12, 12]);
    let classes = fold.unsqueeze::<3>().repeat_dim(0, n).matmul(bars.clone());
    rotate.matmul(classes)
}

/// Power-iteration steps per forward pass for the largest singular value.
const POWER_STEPS: usize = 3;

/// The largest singular value of `w` `[rows, cols]` by power iteration from a fixed start.
/// The singular vectors are constants of the graph, so gradients flow through `u^T W v` only,
/// as Miyato et al. prescribe.
fn spectral_norm<B: Backend>(w: &Tensor<B, 2>) -> Tensor<B, 1> {
    let [rows, cols] = w.dims();
    let fixed = w.clone().detach();
    let device = w.device();
    // An uneven start, unlikely to be orthogonal to the top singular vector.
    let start: Vec<f32> = (0..cols).map(|i| 1.0 + (i % 7) as f32 * 0.1).collect();
    let mut v = Tensor::<B, 2>::from_data(TensorData::new(start, [cols, 1]), &device);
    let unit = |x: Tensor<B, 2>| {
        let norm = x.clone().powf_scalar(2.0).sum().sqrt().add_scalar(1e-12);
        x.div(norm.reshape([1, 1]))
    };
    let mut u = Tensor::<B, 2>::zeros([rows, 1], &device);
    for _ in 0..POWER_STEPS {
        u = unit(fixed.clone().matmul(v.clone()));
        v = unit(fixed.clone().transpose().matmul(u.clone()));
    }
    u.transpose().matmul(w.clone()).matmul(v).reshape([1])
}

/// A 1-D convolution whose kernel is divided by its spectral norm.
#[derive(Module, Debug)]
pub struct SnConv1d<B: Backend> {
    conv: Conv1d<B>,
    stride: usize,
    padding: usize,
}

impl<B: Backend> SnConv1d<B> {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        device: &B::Device,
    ) -> Self {
        SnConv1d {
            conv: Conv1dConfig::new(c_in, c_out, kernel).init(device),
            stride,
            padding,
        }
    }

    /// The normalised kernel `[out, in, k]`.
    pub fn weight(&self) -> Tensor<B, 3> {
        let w = self.conv.weight.val();
        let [o, i, k] = w.dims();
        let sigma = spectral_norm(&w.clone().reshape([o, i * k]));
        w.div(sigma.reshape([1, 1, 1]))
    }

    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        conv1d(
            x,
            self.weight(),
            self.conv.bias.as_ref().map(|b| b.val()),
            ConvOptions::new([self.stride], [self.padding], [1], 1),
        )
    }
}

/// A 2-D convolution whose kernel is divided by its spectral norm.
#[derive(Module, Debug)]
pub struct SnConv2d<B: Backend> {
    conv: Conv2d<B>,
    padding: [usize; 2],
    stride: [usize; 2],
}

impl<B: Backend> SnConv2d<B> {
    /// Stride 1 and "same" padding.
    fn new(c_in: usize, c_out: usize, kernel: [usize; 2], device: &B::Device) -> Self {
        Self::strided(
            c_in,
            c_out,
            kernel,
            [1, 1],
            [kernel[0] / 2, kernel[1] / 2],
            device,
        )
    }

    /// Any stride and padding.
    pub(crate) fn strided(
        c_in: usize,
        c_out: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        device: &B::Device,
    ) -> Self {
        SnConv2d {
            conv: Conv2dConfig::new([c_in, c_out], kernel).init(device),
            padding,
            stride,
        }
    }

    pub(crate) fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let w = self.conv.weight.val();
        let [o, i, kh, kw] = w.dims();
        let sigma = spectral_norm(&w.clone().reshape([o, i * kh * kw]));
        conv2d(
            x,
            w.div(sigma.reshape([1, 1, 1, 1])),
            self.conv.bias.as_ref().map(|b| b.val()),
            ConvOptions::new(self.stride, self.padding, [1, 1], 1),
        )
    }
}

/// A linear layer whose matrix is divided by its spectral norm.
#[derive(Module, Debug)]
pub struct SnLinear<B: Backend> {
    linear: Linear<B>,
}

impl<B: Backend> SnLinear<B> {
    pub(crate) fn new(d_in: usize, d_out: usize, device: &B::Device) -> Self {
        SnLinear {
            linear: LinearConfig::new(d_in, d_out).init(device),
        }
    }

    /// The normalised matrix `[in, out]`.
    pub fn weight(&self) -> Tensor<B, 2> {
        let w = self.linear.weight.val();
        let sigma = spectral_norm(&w);
        w.div(sigma.reshape([1, 1]))
    }

    pub(crate) fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let y = x.matmul(self.weight());
        match &self.linear.bias {
            Some(b) => y + b.val().unsqueeze(),
            None => y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;

    type B = Cpu;

    #[test]
    fn spectral_normalisation_gives_unit_largest_singular_value() {
        let device = Default::default();
        // diag(3, 1) rotated: singular values 3 and 1.
        let w =
            Tensor::<B, 2>::from_data(TensorData::new(vec![3f32, 0.0, 0.0, 1.0], [2, 2]), &device);
        let sigma: f32 = spectral_norm(&w).into_scalar();
        assert!((sigma - 3.0).abs() < 1e-2, "{sigma}");
        let conv = SnConv1d::<B>::new(6, 5, 3, 1, 1, &device);
        let [o, i, k] = conv.weight().dims();
        let w = conv.weight().reshape([o, i * k]);
        let s: f32 = spectral_norm(&w).into_scalar();
        assert!((s - 1.0).abs() < 0.05, "{s}");
    }

    #[test]
    fn generator_and_critic_shapes() {
        let device = Default::default();
        let config = MelodyGanConfig {
            channels: 16,
            noise: 8,
            ..MelodyGanConfig::default()
        };
        let g = config.init::<B>(&device);
        let d = config.init_critic::<B>(&device);
        let chords = chord_tensor::<B>(&[Some(Chord::new(9, true)), None, None], &device);
        let prev = bars_tensor::<B>(&[[0; 16], [2; 16], [1; 16]], &device);
        let noise = Tensor::<B, 2>::zeros([3, 8], &device);
        let p = g.probabilities(noise, chords.clone(), prev.clone());
        assert_eq!(p.dims(), [3, CLASSES, STEPS_PER_BAR]);
        let sums: Vec<f32> = p.clone().sum_dim(1).into_data().to_vec().unwrap();
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-4));
        assert_eq!(d.forward(p, chords, prev).dims(), [3]);
    }

    #[test]
    fn onsets_are_seen_relative_to_the_chord_root() {
        use euterpe_music::melody::onset_class;
        let device = Default::default();
        let mut bar = [0u8; 16];
        bar[0] = onset_class(64); // E over A minor: a fifth above the root
        bar[4] = onset_class(60); // C: a minor third
        bar[5] = 1; // a hold: no onset
        let bars = bars_tensor::<B>(&[bar, bar], &device);
        let chords = chord_tensor::<B>(&[Some(Chord::new(9, true)), None], &device);
        let rel: Vec<f32> = chord_relative(&bars, &chords).into_data().to_vec().unwrap();
        let at = |n: usize, k: usize, t: usize| rel[(n * 12 + k) * 16 + t];
        assert_eq!(at(0, 7, 0), 1.0);
        assert_eq!(at(0, 3, 4), 1.0);
        assert_eq!(rel[..192].iter().sum::<f32>(), 2.0);
        assert_eq!(
            rel[192..].iter().sum::<f32>(),
            0.0,
            "no chord, no relative pitches"
        );
    }
}
