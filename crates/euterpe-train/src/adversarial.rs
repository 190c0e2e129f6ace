//! Adversarial training of the melody GAN: a generator and a critic, each with its own Adam,
//! the critic on a faster learning rate (two-timescale rule), hinge losses, and `critic_steps`
//! critic updates per generator update.
//!
//! Validation has no likelihood to offer; instead the generator writes a bar for every
//! validation context (its chord and the real bar before it, from fixed noise) and the run is
//! judged by how far the statistics of those bars are from the real validation bars'
//! ([`BarStatistics::distance`]: chord degrees, onsets per bar, pitches, note lengths). Early
//! stopping and the kept weights follow that distance.

use std::path::Path;

use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, ElementConversion, Tensor, TensorData};
use euterpe_base::{read_file, write_atomically, SplitMix64};
use euterpe_data::BarBatch;
use euterpe_models::melody_gan::{bars_tensor, chord_tensor};
use euterpe_models::{MelodyCritic, MelodyGanConfig, MelodyGenerator, Model};
use euterpe_music::melody::{BarStatistics, MelodyBar, STEPS_PER_BAR};
use serde::Serialize;

use crate::config::OptimConfig;
use crate::learner::{checkpoint_file, EpochExtras, EvalTotals, Learner, StepLoss};
use crate::optim::Optim;
use crate::TrainError;

/// A generator and a critic with their optimisers.
pub struct GanLearner<B: AutodiffBackend> {
    generator: MelodyGenerator<B>,
    critic: MelodyCritic<B>,
    g_optim: Optim<B, MelodyGenerator<B>>,
    d_optim: Optim<B, MelodyCritic<B>>,
    critic_steps: usize,
    critic_lr_scale: f64,
    tally: Tally,
}

/// Sums over an epoch's steps, for the monitor.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    pub(crate) steps: usize,
    pub(crate) critic_loss: f64,
    pub(crate) generator_loss: f64,
    pub(crate) real_score: f64,
    pub(crate) fake_score: f64,
}

impl Tally {
    /// The epoch's mean losses and scores, for the monitor; the tally starts afresh.
    pub(crate) fn take_extras(&mut self) -> EpochExtras {
        let t = std::mem::take(self);
        let steps = t.steps.max(1) as f64;
        let mut extras = EpochExtras::default();
        for (name, value) in [
            ("critic_loss", t.critic_loss),
            ("generator_loss", t.generator_loss),
            ("critic_real", t.real_score),
            ("critic_fake", t.fake_score),
        ] {
            extras.values.insert(name.into(), value / steps);
        }
        extras
    }
}

/// The critic's hinge loss (Lim and Ye 2017) on scores of real and of generated samples.
pub(crate) fn hinge_loss<B: Backend>(real: Tensor<B, 1>, fake: Tensor<B, 1>) -> Tensor<B, 1> {
    relu(real.neg().add_scalar(1.0)).mean() + relu(fake.add_scalar(1.0)).mean()
}

/// Writes a GAN's checkpoint: both networks and both optimisers.
pub(crate) fn save_pair<B, G, D>(
    dir: &Path,
    epoch: usize,
    (generator, critic): (&G, &D),
    (g_optim, d_optim): (&Optim<B, G>, &Optim<B, D>),
) -> Result<(), TrainError>
where
    B: AutodiffBackend,
    G: AutodiffModule<B>,
    D: AutodiffModule<B>,
{
    euterpe_store::weights::save::<B, _>(
        generator.clone(),
        &checkpoint_file(dir, "generator", epoch),
    )?;
    euterpe_store::weights::save::<B, _>(critic.clone(), &checkpoint_file(dir, "critic", epoch))?;
    for (name, bytes) in [
        ("generator-optim", g_optim.to_bytes()?),
        ("critic-optim", d_optim.to_bytes()?),
    ] {
        write_atomically(&checkpoint_file(dir, name, epoch), |w| w.write_all(&bytes))?;
    }
    Ok(())
}

/// Both networks and optimisers of a GAN with the state of a checkpoint written by
/// [`save_pair`].
#[allow(clippy::type_complexity)]
pub(crate) fn load_pair<B, G, D>(
    dir: &Path,
    epoch: usize,
    (generator, critic): (G, D),
    (g_optim, d_optim): (Optim<B, G>, Optim<B, D>),
    device: &B::Device,
) -> Result<(G, D, Optim<B, G>, Optim<B, D>), TrainError>
where
    B: AutodiffBackend,
    G: AutodiffModule<B>,
    D: AutodiffModule<B>,
{
    let load = |name: &str| {
        let path = checkpoint_file(dir, name, epoch);
        read_file(&path).map(|bytes| (bytes, path))
    };
    let (bytes, path) = load("generator")?;
    let generator = euterpe_store::weights::load_bytes(generator, bytes, &path, device)?;
    let (bytes, path) = load("critic")?;
    let critic = euterpe_store::weights::load_bytes(critic, bytes, &path, device)?;
    let (bytes, path) = load("generator-optim")?;
    let g_optim = g_optim.load_bytes(bytes, &path, device)?;
    let (bytes, path) = load("critic-optim")?;
    let d_optim = d_optim.load_bytes(bytes, &path, device)?;
    Ok((generator, critic, g_optim, d_optim))
}

impl<B: AutodiffBackend> GanLearner<B> {
    /// A learner for `generator` with a fresh critic, both optimisers as `optim` says.
    pub fn new(
        generator: MelodyGenerator<B>,
        config: &MelodyGanConfig,
        optim: &OptimConfig,
        device: &B::Device,
    ) -> Self {
        GanLearner {
            generator,
            critic: config.init_critic(device),
            g_optim: Optim::new(optim),
            d_optim: Optim::new(optim),
            critic_steps: config.critic_steps,
            critic_lr_scale: config.critic_lr_scale,
            tally: Tally::default(),
        }
    }
}

/// Fixed standard-normal noise `[n, size]` from `seed` (validation compares epochs on the same
/// codes).
pub(crate) fn fixed_noise<B: Backend>(
    n: usize,
    size: usize,
    seed: u64,
    device: &B::Device,
) -> Tensor<B, 2> {
    let mut rng = SplitMix64::new(seed);
    let values: Vec<f32> = (0..n * size)
        .map(|_| {
            // Box-Muller.
            let u1 = rng.unit().max(1e-12);
            let u2 = rng.unit();
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [n, size]), device)
}

/// One class per step drawn from the step-class `logits` `[n, classes, 16]` (the Gumbel-max
/// trick), as one-hot values in the forward pass with the gradient of the softmax (the
/// straight-through Gumbel-softmax of Jang et al. 2017): the critic sees bars made of classes
/// like the real ones, not soft distributions it could tell apart by their softness alone.
fn straight_through_sample<B: Backend>(logits: Tensor<B, 3>) -> Tensor<B, 3> {
    let uniform = Tensor::<B, 3>::random(
        logits.dims(),
        Distribution::Uniform(1e-6, 1.0 - 1e-6),
        &logits.device(),
    );
    let gumbel = uniform.log().neg().log().neg();
    let soft = softmax(logits + gumbel, 1);
    let hard = soft.clone().equal(soft.clone().max_dim(1)).float().detach();
    hard - soft.clone().detach() + soft
}

/// One class per step of `probabilities` `[n, classes, 16]`, drawn with `rng`.
pub fn sample_bars<B: Backend>(
    probabilities: Tensor<B, 3>,
    rng: &mut SplitMix64,
) -> Vec<[u8; STEPS_PER_BAR]> {
    let [n, classes, steps] = probabilities.dims();
    let p: Vec<f32> = probabilities
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            let mut bar = [0u8; STEPS_PER_BAR];
            for (t, b) in bar.iter_mut().enumerate().take(steps) {
                let mut u = rng.unit() as f32;
                let mut class = classes - 1;
                for c in 0..classes {
                    u -= p[(i * classes + c) * steps + t];
                    if u <= 0.0 {
                        class = c;
                        break;
                    }
                }
                *b = class as u8;
            }
            bar
        })
        .collect()
}

/// The generator's bar (each step's class drawn from its distribution; fixed noise and draws,
/// so that epochs compare) for every context of `batches`, and the real bars, each with its
/// chord.
pub fn write_bars<B: Backend>(
    generator: &MelodyGenerator<B>,
    batches: &[BarBatch],
    device: &B::Device,
) -> (Vec<MelodyBar>, Vec<MelodyBar>) {
    let mut written = Vec::new();
    let mut real = Vec::new();
    let mut rng = SplitMix64::new(0x5a_3b1e);
    for (i, batch) in batches.iter().enumerate() {
        let noise = fixed_noise(
            batch.len(),
            generator.noise_size(),
            0x6a11 + i as u64,
            device,
        );
        let p = generator.probabilities(
            noise,
            chord_tensor(&batch.chords, device),
            bars_tensor(&batch.previous, device),
        );
        for (steps, (bar, chord)) in sample_bars(p, &mut rng)
            .into_iter()
            .zip(batch.bars.iter().zip(&batch.chords))
        {
            written.push(MelodyBar {
                steps,
                chord: *chord,
            });
            real.push(MelodyBar {
                steps: *bar,
                chord: *chord,
            });
        }
    }
    (written, real)
}

/// How a melody GAN's bars compare with real ones over the same contexts.
#[derive(Debug, Clone, Serialize)]
pub struct MelodyReport {
    /// Contexts (chord and previous real bar) a bar was written for.
    pub bars: usize,
    /// Mean total-variation distance of the four bar histograms, 0 (same) to 1.
    pub distance: f64,
    /// Share of onsets on a tone of the bar's triad: written, real.
    pub chord_tones: [f64; 2],
    /// Mean onsets per bar: written, real.
    pub onsets_per_bar: [f64; 2],
    /// Share of distinct bars among those written (low: mode collapse), and among the real.
    pub distinct: [f64; 2],
    /// Share of steps and repeats (at most two semitones) among the intervals between
    /// consecutive onsets of a bar: written, real.
    pub stepwise: [f64; 2],
}

impl MelodyReport {
    /// The report of `written` bars against `real` ones.
    pub fn of(written: &[MelodyBar], real: &[MelodyBar]) -> Self {
        let minor = |bars: &[MelodyBar]| {
            let with: Vec<_> = bars.iter().filter_map(|b| b.chord).collect();
            with.iter().filter(|c| c.minor).count() as f64 / with.len().max(1) as f64
        };
        let distinct = |bars: &[MelodyBar]| {
            let set: std::collections::HashSet<_> = bars.iter().map(|b| b.steps).collect();
            set.len() as f64 / bars.len().max(1) as f64
        };
        let onsets = |bars: &[MelodyBar]| {
            bars.iter().map(MelodyBar::onsets).sum::<usize>() as f64 / bars.len().max(1) as f64
        };
        let (w, r) = (BarStatistics::of(written), BarStatistics::of(real));
        MelodyReport {
            bars: written.len(),
            distance: w.distance(&r),
            chord_tones: [
                w.chord_tone_share(minor(written)),
                r.chord_tone_share(minor(real)),
            ],
            onsets_per_bar: [onsets(written), onsets(real)],
            distinct: [distinct(written), distinct(real)],
            stepwise: [w.stepwise_share(), r.stepwise_share()],
        }
    }
}

impl<B: AutodiffBackend> Learner<B> for GanLearner<B> {
    type Batch = BarBatch;

    fn unit(&self) -> &'static str {
        "bar"
    }

    fn loss_name(&self) -> &'static str {
        "critic hinge loss (train) · bar distance (valid)"
    }

    fn valid_name(&self) -> &'static str {
        "bar-statistics distance"
    }

    fn epoch_end(
        &mut self,
        out: &Path,
        valid: &[BarBatch],
        device: &B::Device,
    ) -> Result<EpochExtras, TrainError> {
        let mut extras = self.tally.take_extras();
        let sample: Vec<BarBatch> = valid.iter().take(1).cloned().collect();
        let (written, real) = write_bars(&self.generator.valid(), &sample, device);
        let report = MelodyReport::of(&written, &real);
        extras
            .values
            .insert("distinct_bars".into(), report.distinct[0]);
        if report.distinct[0] < 0.5 * report.distinct[1] {
            extras.notes.push(format!(
                "mode collapse? only {:.0} % of {} sampled bars are distinct ({:.0} % of the real ones)",
                100.0 * report.distinct[0],
                report.bars,
                100.0 * report.distinct[1]
            ));
        }
        write_sample_grid(&out.join(SAMPLES_FILE), &written)?;
        Ok(extras)
    }

    fn parameters(&self) -> usize {
        self.generator.num_params() + self.critic.num_params()
    }

    fn train_step(self, batch: &BarBatch, lr: f64, device: &B::Device) -> (Self, StepLoss) {
        let GanLearner {
            mut generator,
            mut critic,
            mut g_optim,
            mut d_optim,
            critic_steps,
            critic_lr_scale,
            mut tally,
        } = self;
        let n = batch.len();
        let real = bars_tensor::<B>(&batch.bars, device);
        let previous = bars_tensor::<B>(&batch.previous, device);
        let chord = chord_tensor::<B>(&batch.chords, device);
        let size = generator.noise_size();
        let noise =
            |device| Tensor::<B, 2>::random([n, size], Distribution::Normal(0.0, 1.0), device);
        let (mut d_sum, mut real_score, mut fake_score) = (0.0, 0.0, 0.0);
        for _ in 0..critic_steps {
            let fake = straight_through_sample(generator.forward(
                noise(device),
                chord.clone(),
                previous.clone(),
            ))
            .detach();
            let d_real = critic.forward(real.clone(), chord.clone(), previous.clone());
            let d_fake = critic.forward(fake, chord.clone(), previous.clone());
            real_score = d_real.clone().mean().into_scalar().elem::<f64>();
            fake_score = d_fake.clone().mean().into_scalar().elem::<f64>();
            let loss = hinge_loss(d_real, d_fake);
            d_sum = loss.clone().into_scalar().elem::<f64>();
            if !d_sum.is_finite() {
                let learner = GanLearner {
                    generator,
                    critic,
                    g_optim,
                    d_optim,
                    critic_steps,
                    critic_lr_scale,
                    tally,
                };
                return (
                    learner,
                    StepLoss {
                        sum: d_sum,
                        count: n,
                    },
                );
            }
            let grads = GradientsParams::from_grads(loss.backward(), &critic);
            critic = d_optim.step(lr * critic_lr_scale, critic, grads);
        }
        let fake = straight_through_sample(generator.forward(
            noise(device),
            chord.clone(),
            previous.clone(),
        ));
        let g_loss = critic.forward(fake, chord, previous).mean().neg();
        tally.steps += 1;
        tally.critic_loss += d_sum;
        tally.generator_loss += g_loss.clone().into_scalar().elem::<f64>();
        tally.real_score += real_score;
        tally.fake_score += fake_score;
        let grads = GradientsParams::from_grads(g_loss.backward(), &generator);
        generator = g_optim.step(lr, generator, grads);
        let learner = GanLearner {
            generator,
            critic,
            g_optim,
            d_optim,
            critic_steps,
            critic_lr_scale,
            tally,
        };
        (
            learner,
            StepLoss {
                sum: d_sum * n as f64,
                count: n,
            },
        )
    }

    fn validate(&self, batches: &[BarBatch], device: &B::Device) -> EvalTotals {
        let (written, real) = write_bars(&self.generator.valid(), batches, device);
        let distance = BarStatistics::of(&written).distance(&BarStatistics::of(&real));
        EvalTotals {
            nll: distance * written.len() as f64,
            count: written.len(),
            correct: None,
        }
    }

    fn save_weights(&self, path: &Path) -> Result<(), TrainError> {
        let model: Model<B::InnerBackend> = self.generator.valid().into();
        Ok(euterpe_store::weights::save::<B::InnerBackend, _>(
            model, path,
        )?)
    }

    fn save_checkpoint(&self, dir: &Path, epoch: usize) -> Result<(), TrainError> {
        save_pair(
            dir,
            epoch,
            (&self.generator, &self.critic),
            (&self.g_optim, &self.d_optim),
        )
    }

    fn set_trainable(self, _groups: usize, _trains: &dyn Fn(usize) -> bool) -> (Self, usize) {
        // Layer freezing is refused for GANs when the config is checked; everything trains.
        let n = self.parameters();
        (self, n)
    }

    fn load_checkpoint(
        self,
        dir: &Path,
        epoch: usize,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let (generator, critic, g_optim, d_optim) = load_pair(
            dir,
            epoch,
            (self.generator, self.critic),
            (self.g_optim, self.d_optim),
            device,
        )?;
        Ok(GanLearner {
            generator,
            critic,
            g_optim,
            d_optim,
            critic_steps: self.critic_steps,
            critic_lr_scale: self.critic_lr_scale,
            tally: Tally::default(),
        })
    }
}

/// The picture of sampled bars a GAN's model directory holds, redrawn every epoch.
pub const SAMPLES_FILE: &str = "samples.png";

/// Bars per row of the sample grid, and rows.
const GRID: (usize, usize) = (8, 4);
/// Pixels per step and per pitch.
const CELL: (usize, usize) = (4, 3);

/// Draws up to 32 bars as piano-rolls in a grid (time across, pitch up; onsets dark, held steps
/// lighter, the rows of the bar's chord tones tinted) and writes it as a PNG.
pub fn write_sample_grid(path: &Path, bars: &[MelodyBar]) -> Result<(), TrainError> {
    use euterpe_music::melody::{class_pitch, HOLD, LOWEST_PITCH, PITCHES};
    use image::codecs::png::PngEncoder;
    use image::{ExtendedColorType, ImageEncoder};
    let (bw, bh) = (STEPS_PER_BAR * CELL.0, PITCHES * CELL.1);
    let (gap, cols, rows) = (4, GRID.0, GRID.1);
    let (w, h) = (cols * (bw + gap) + gap, rows * (bh + gap) + gap);
    let mut px = vec![96u8; w * h * 3];
    let mut fill = |x0: usize, y0: usize, dx: usize, dy: usize, rgb: [u8; 3]| {
        for y in y0..y0 + dy {
            for x in x0..x0 + dx {
                px[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&rgb);
            }
        }
    };
    for (i, bar) in bars.iter().take(cols * rows).enumerate() {
        let (x0, y0) = (gap + (i % cols) * (bw + gap), gap + (i / cols) * (bh + gap));
        fill(x0, y0, bw, bh, [255, 255, 255]);
        for p in 0..PITCHES {
            let pc = (LOWEST_PITCH as usize + p) % 12;
            if bar.chord.is_some_and(|c| c.contains(pc as u8)) {
                fill(
                    x0,
                    y0 + (PITCHES - 1 - p) * CELL.1,
                    bw,
                    CELL.1,
                    [255, 240, 200],
                );
            }
        }
        let mut sounding: Option<usize> = None;
        for (t, &s) in bar.steps.iter().enumerate() {
            let (row, rgb) = match class_pitch(s) {
                Some(p) => {
                    sounding = Some((p - LOWEST_PITCH) as usize);
                    (sounding, [20, 40, 140])
                }
                None if s == HOLD => (sounding, [110, 140, 220]),
                None => {
                    sounding = None;
                    (None, [0, 0, 0])
                }
            };
            if let Some(r) = row {
                fill(
                    x0 + t * CELL.0,
                    y0 + (PITCHES - 1 - r) * CELL.1,
                    CELL.0,
                    CELL.1,
                    rgb,
                );
            }
        }
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&px, w as u32, h as u32, ExtendedColorType::Rgb8)
        .map_err(|e| TrainError::Unusable(format!("{}: cannot encode PNG: {e}", path.display())))?;
    write_atomically(path, |f| f.write_all(&png))?;
    Ok(())
}
