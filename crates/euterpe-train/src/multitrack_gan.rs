//! Adversarial training of the multi-track GAN (MuseGAN-style): like the melody GAN's
//! ([`crate::adversarial`]), two Adams on two timescales, hinge losses and `critic_steps` critic
//! updates per generator update; the critic sees rolls drawn cell by cell from the generator's
//! probabilities with the straight-through gradient (the stochastic binary neurons of Dong and
//! Yang's BinaryMuseGAN), so that it judges 0/1 rolls like the real ones.
//!
//! Validation writes as many phrases as the validation split holds from fixed codes and measures
//! both sets with MuseGAN's metrics ([`euterpe_metrics::musegan`]: empty bars, pitch classes
//! per bar, qualified notes, polyphony, tonal distance between tracks); the run is judged by the
//! mean gap between the two ([`ArrangementReport::distance`]).

use std::path::Path;

use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::activation::sigmoid;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, ElementConversion, Tensor, TensorData};
use euterpe_base::{write_atomically, SplitMix64};
use euterpe_data::multitrack::{rolls_to_score, StepMask, PHRASE_BARS, PHRASE_STEPS, ROLL_PITCHES};
use euterpe_data::PhraseBatch;
use euterpe_metrics::musegan::{GanMetrics, GanSetReport};
use euterpe_models::musegan::{CriticInput, MultiTrackCritic, MultiTrackGenerator, MuseGanConfig};
use euterpe_models::Model;
use serde::Serialize;

use crate::adversarial::{fixed_noise, hinge_loss, load_pair, save_pair, Tally, SAMPLES_FILE};
use crate::config::OptimConfig;
use crate::learner::{EpochExtras, EvalTotals, Learner, StepLoss};
use crate::optim::Optim;
use crate::TrainError;

/// A multi-track generator and its critic with their optimisers.
pub struct MultiTrackGanLearner<B: AutodiffBackend> {
    generator: MultiTrackGenerator<B>,
    critic: MultiTrackCritic<B>,
    g_optim: Optim<B, MultiTrackGenerator<B>>,
    d_optim: Optim<B, MultiTrackCritic<B>>,
    critic_steps: usize,
    critic_lr_scale: f64,
    critic_input: CriticInput,
    tracks: Vec<String>,
    tally: Tally,
}

impl<B: AutodiffBackend> MultiTrackGanLearner<B> {
    /// A learner for `generator` with a fresh critic, both optimisers as `optim` says.
    pub fn new(
        generator: MultiTrackGenerator<B>,
        config: &MuseGanConfig,
        optim: &OptimConfig,
        device: &B::Device,
    ) -> Self {
        MultiTrackGanLearner {
            generator,
            critic: config.init_critic(device),
            g_optim: Optim::new(optim),
            d_optim: Optim::new(optim),
            critic_steps: config.critic_steps,
            critic_lr_scale: config.critic_lr_scale,
            critic_input: config.critic_input,
            tracks: config.tracks.clone(),
            tally: Tally::default(),
        }
    }
}

/// The rolls of a batch as a tensor `[n, tracks, 64, 84]` of 0/1.
pub fn rolls_tensor<B: Backend>(batch: &PhraseBatch, device: &B::Device) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(
            batch.values(),
            [batch.len(), batch.tracks, PHRASE_STEPS, ROLL_PITCHES],
        ),
        device,
    )
}

/// What the critic sees of written phrases with these `logits`.
fn shown<B: Backend>(logits: Tensor<B, 4>, input: CriticInput) -> Tensor<B, 4> {
    match input {
        CriticInput::Samples => straight_through_bernoulli(logits),
        CriticInput::Probabilities => sigmoid(logits),
    }
}

/// Cells drawn 0 or 1 from their probabilities `sigmoid(logits)`, with the gradient passed to
/// the logits unchanged (the plain straight-through estimator: through the sigmoid's slope it
/// would be twenty times weaker at the sparse densities of real rolls).
fn straight_through_bernoulli<B: Backend>(logits: Tensor<B, 4>) -> Tensor<B, 4> {
    let p = sigmoid(logits.clone());
    let u = Tensor::<B, 4>::random(p.dims(), Distribution::Default, &p.device());
    let hard = p.greater(u).float().detach();
    hard - logits.clone().detach() + logits
}

/// Phrases drawn cell by cell from probabilities `[n, tracks, 64, 84]` with `rng`: each phrase
/// as `tracks × 64` step masks.
pub fn sample_phrases<B: Backend>(
    probabilities: Tensor<B, 4>,
    rng: &mut SplitMix64,
) -> Vec<Vec<StepMask>> {
    let [n, tracks, steps, pitches] = probabilities.dims();
    let p: Vec<f32> = probabilities
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            (0..tracks * steps)
                .map(|row| {
                    let base = (i * tracks * steps + row) * pitches;
                    let mut mask: StepMask = 0;
                    for k in 0..pitches.min(ROLL_PITCHES) {
                        if (rng.unit() as f32) < p[base + k] {
                            mask |= 1 << k;
                        }
                    }
                    mask
                })
                .collect()
        })
        .collect()
}

/// `n` phrases written from fixed codes (seeded by `seed`), drawn with fixed draws.
pub fn write_phrases<B: Backend>(
    generator: &MultiTrackGenerator<B>,
    n: usize,
    seed: u64,
    device: &B::Device,
) -> Vec<Vec<StepMask>> {
    let mut rng = SplitMix64::new(seed ^ 0x7e57);
    let mut out = Vec::with_capacity(n);
    let mut chunk = 0u64;
    while out.len() < n {
        let m = (n - out.len()).min(128);
        let noise = fixed_noise(m, generator.noise_size(), seed + chunk, device);
        out.extend(sample_phrases(sigmoid(generator.forward(noise)), &mut rng));
        chunk += 1;
    }
    out
}

/// The phrases of a batch, each as `tracks × 64` step masks.
pub fn batch_phrases(batch: &PhraseBatch) -> Vec<Vec<StepMask>> {
    batch
        .masks
        .chunks(batch.tracks * PHRASE_STEPS)
        .map(<[StepMask]>::to_vec)
        .collect()
}

/// MuseGAN's metrics of written phrases beside real ones.
#[derive(Debug, Clone, Serialize)]
pub struct ArrangementReport {
    /// Phrases in each set.
    pub phrases: usize,
    /// The metrics of the written phrases.
    pub written: GanSetReport,
    /// The metrics of the real phrases.
    pub real: GanSetReport,
    /// The mean gap between the two, over tracks and metrics: empty-bar rate, qualified-note
    /// rate (absolute), pitch classes per bar and polyphony (relative to the real value), and
    /// tonal distance per pair of tracks (relative). 0 when they agree.
    pub distance: f64,
    /// Share of distinct phrases among those written (low: mode collapse).
    pub distinct: f64,
}

/// MuseGAN's metrics of `phrases` of `tracks`.
pub fn measure_phrases(phrases: &[Vec<StepMask>], tracks: &[String]) -> GanSetReport {
    let mut metrics = GanMetrics::default();
    for phrase in phrases {
        let score = rolls_to_score(phrase, tracks, &[], 96, 120.0);
        metrics.add_bars(&score, PHRASE_BARS);
    }
    metrics.report()
}

impl ArrangementReport {
    /// The report of `written` phrases against `real` ones.
    pub fn of(written: &[Vec<StepMask>], real: &[Vec<StepMask>], tracks: &[String]) -> Self {
        let (w, r) = (
            measure_phrases(written, tracks),
            measure_phrases(real, tracks),
        );
        let mut gaps = Vec::new();
        let rel = |a: Option<f64>, b: Option<f64>, floor: f64| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() / b.abs().max(floor),
            (None, None) => 0.0,
            _ => 1.0,
        };
        for (a, b) in w.tracks.iter().zip(&r.tracks) {
            gaps.push((a.empty_bars - b.empty_bars).abs());
            gaps.push(rel(a.qualified_notes, b.qualified_notes, 1.0));
            gaps.push(rel(a.pitch_classes_per_bar, b.pitch_classes_per_bar, 1.0));
            gaps.push(rel(a.polyphony, b.polyphony, 1.0));
        }
        for (a, b) in w.tonal_distances.iter().zip(&r.tonal_distances) {
            gaps.push(rel(a.distance, b.distance, 0.1));
        }
        let distinct: std::collections::HashSet<&Vec<StepMask>> = written.iter().collect();
        ArrangementReport {
            phrases: written.len(),
            distance: gaps.iter().sum::<f64>() / gaps.len().max(1) as f64,
            distinct: distinct.len() as f64 / written.len().max(1) as f64,
            written: w,
            real: r,
        }
    }
}

/// Seed of the fixed codes validation writes from.
const VALID_SEED: u64 = 0x6a11;

impl<B: AutodiffBackend> Learner<B> for MultiTrackGanLearner<B> {
    type Batch = PhraseBatch;

    fn unit(&self) -> &'static str {
        "phrase"
    }

    fn loss_name(&self) -> &'static str {
        "critic hinge loss (train) · metric gap (valid)"
    }

    fn valid_name(&self) -> &'static str {
        "MuseGAN-metric gap"
    }

    fn epoch_end(
        &mut self,
        out: &Path,
        _valid: &[PhraseBatch],
        device: &B::Device,
    ) -> Result<EpochExtras, TrainError> {
        let mut extras = self.tally.take_extras();
        let written = write_phrases(&self.generator.valid(), 64, VALID_SEED, device);
        let distinct: std::collections::HashSet<&Vec<StepMask>> = written.iter().collect();
        let share = distinct.len() as f64 / written.len().max(1) as f64;
        extras.values.insert("distinct_phrases".into(), share);
        if share < 0.5 {
            extras.notes.push(format!(
                "mode collapse? only {:.0} % of {} sampled phrases are distinct",
                100.0 * share,
                written.len()
            ));
        }
        write_phrase_grid(&out.join(SAMPLES_FILE), &written, self.tracks.len().max(1))?;
        Ok(extras)
    }

    fn parameters(&self) -> usize {
        self.generator.num_params() + self.critic.num_params()
    }

    fn train_step(self, batch: &PhraseBatch, lr: f64, device: &B::Device) -> (Self, StepLoss) {
        let MultiTrackGanLearner {
            mut generator,
            mut critic,
            mut g_optim,
            mut d_optim,
            critic_steps,
            critic_lr_scale,
            critic_input,
            tracks,
            mut tally,
        } = self;
        let n = batch.len();
        let real = rolls_tensor::<B>(batch, device);
        let size = generator.noise_size();
        let noise =
            |device| Tensor::<B, 2>::random([n, size], Distribution::Normal(0.0, 1.0), device);
        let (mut d_loss, mut real_score, mut fake_score) = (0.0, 0.0, 0.0);
        let mut finite = true;
        for _ in 0..critic_steps {
            let fake = shown(generator.forward(noise(device)), critic_input).detach();
            let d_real = critic.forward(real.clone());
            let d_fake = critic.forward(fake);
            real_score = d_real.clone().mean().into_scalar().elem::<f64>();
            fake_score = d_fake.clone().mean().into_scalar().elem::<f64>();
            let loss = hinge_loss(d_real, d_fake);
            d_loss = loss.clone().into_scalar().elem::<f64>();
            if !d_loss.is_finite() {
                finite = false;
                break;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &critic);
            critic = d_optim.step(lr * critic_lr_scale, critic, grads);
        }
        if finite {
            let fake = shown(generator.forward(noise(device)), critic_input);
            let g_loss = critic.forward(fake).mean().neg();
            tally.steps += 1;
            tally.critic_loss += d_loss;
            tally.generator_loss += g_loss.clone().into_scalar().elem::<f64>();
            tally.real_score += real_score;
            tally.fake_score += fake_score;
            let grads = GradientsParams::from_grads(g_loss.backward(), &generator);
            generator = g_optim.step(lr, generator, grads);
        }
        let learner = MultiTrackGanLearner {
            generator,
            critic,
            g_optim,
            d_optim,
            critic_steps,
            critic_lr_scale,
            critic_input,
            tracks,
            tally,
        };
        let sum = if finite { d_loss * n as f64 } else { d_loss };
        (learner, StepLoss { sum, count: n })
    }

    fn validate(&self, batches: &[PhraseBatch], device: &B::Device) -> EvalTotals {
        let real: Vec<Vec<StepMask>> = batches.iter().flat_map(batch_phrases).collect();
        let written = write_phrases(&self.generator.valid(), real.len(), VALID_SEED, device);
        let report = ArrangementReport::of(&written, &real, &self.tracks);
        EvalTotals {
            nll: report.distance * written.len() as f64,
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
        Ok(MultiTrackGanLearner {
            generator,
            critic,
            g_optim,
            d_optim,
            critic_steps: self.critic_steps,
            critic_lr_scale: self.critic_lr_scale,
            critic_input: self.critic_input,
            tracks: self.tracks,
            tally: Tally::default(),
        })
    }
}

/// Track colours of the sample grid.
const TRACK_COLOURS: [[u8; 3]; 4] = [[200, 30, 30], [30, 120, 30], [30, 60, 200], [150, 90, 0]];

/// Draws up to 8 phrases as piano-rolls in a grid (four across; time across, pitch up, one band
/// per track, each in its colour) and writes it as a PNG.
pub fn write_phrase_grid(
    path: &Path,
    phrases: &[Vec<StepMask>],
    tracks: usize,
) -> Result<(), TrainError> {
    use image::codecs::png::PngEncoder;
    use image::{ExtendedColorType, ImageEncoder};
    let (cell_w, gap, cols, rows) = (2usize, 4usize, 4usize, 2usize);
    let (pw, ph) = (PHRASE_STEPS * cell_w, tracks * (ROLL_PITCHES + 2));
    let (w, h) = (cols * (pw + gap) + gap, rows * (ph + gap) + gap);
    let mut px = vec![96u8; w * h * 3];
    for (i, phrase) in phrases.iter().take(cols * rows).enumerate() {
        let (x0, y0) = (gap + (i % cols) * (pw + gap), gap + (i / cols) * (ph + gap));
        for k in 0..tracks {
            let band = y0 + k * (ROLL_PITCHES + 2);
            for (s, &mask) in phrase[k * PHRASE_STEPS..(k + 1) * PHRASE_STEPS]
                .iter()
                .enumerate()
            {
                for p in 0..ROLL_PITCHES {
                    let rgb = if mask >> p & 1 == 1 {
                        TRACK_COLOURS[k % TRACK_COLOURS.len()]
                    } else if s % 16 == 0 {
                        [220, 220, 220]
                    } else {
                        [255, 255, 255]
                    };
                    let y = band + ROLL_PITCHES - 1 - p;
                    for x in x0 + s * cell_w..x0 + (s + 1) * cell_w {
                        px[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&rgb);
                    }
                }
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
