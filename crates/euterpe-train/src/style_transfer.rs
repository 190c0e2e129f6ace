//! Training of the style-transfer GAN (CycleGAN-style, Brunner et al. 2018): each step updates
//! both critics (hinge loss, each on its style's real phrases against the phrases written into
//! it) and then both generators with the adversarial loss, the cycle-consistency loss (A → B → A
//! gives back A, a cross-entropy per cell) and the identity loss (a phrase already in the target
//! style passes unchanged).
//!
//! Validation transfers the held-out phrases of each style into the other and judges, per
//! direction, how far the written phrases' statistics are from the target style's real ones —
//! the multi-track GAN's metric gap on one track (empty bars, pitch classes per bar, qualified
//! notes, polyphony) and the relative gaps of MusPy's scale consistency and groove consistency
//! (is it in one key, does it keep one rhythm) — and how many of the source's onsets survive;
//! the run is judged by the mean over both directions of the gaps plus the onsets lost below
//! half ([`TransferReport::distance`]: keeping half of a tune's onsets is the content asked of a
//! transfer; above that, style is what counts).

use std::path::Path;

use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use euterpe_data::multitrack::{rolls_to_score, StepMask};
use euterpe_data::transfer::{ContentKept, MERGED_TRACK};
use euterpe_data::{PhraseBatch, PhrasePairBatch};
use euterpe_metrics::{Metric, PieceMetrics};
use euterpe_models::cyclegan::{
    CycleGanConfig, StyleCritics, StyleGenerator, StyleTransferPair, TransferInput,
};
use euterpe_models::Model;
use serde::Serialize;

use crate::adversarial::{hinge_loss, load_pair, save_pair, Tally, SAMPLES_FILE};
use crate::config::OptimConfig;
use crate::learner::{EpochExtras, EvalTotals, Learner, StepLoss};
use crate::multitrack_gan::{batch_phrases, rolls_tensor, write_phrase_grid, ArrangementReport};
use crate::optim::Optim;
use crate::TrainError;

/// Both generators, both critics and their optimisers.
pub struct StyleTransferLearner<B: AutodiffBackend> {
    pair: StyleTransferPair<B>,
    critics: StyleCritics<B>,
    g_optim: Optim<B, StyleTransferPair<B>>,
    d_optim: Optim<B, StyleCritics<B>>,
    config: CycleGanConfig,
    tally: Tally,
    /// Cycle and identity losses summed over the epoch's steps.
    cycle: f64,
    identity: f64,
}

impl<B: AutodiffBackend> StyleTransferLearner<B> {
    /// A learner for `pair` with fresh critics, both optimisers as `optim` says.
    pub fn new(
        pair: StyleTransferPair<B>,
        config: &CycleGanConfig,
        optim: &OptimConfig,
        device: &B::Device,
    ) -> Self {
        StyleTransferLearner {
            pair,
            critics: config.init_critics(device),
            g_optim: Optim::new(optim),
            d_optim: Optim::new(optim),
            config: config.clone(),
            tally: Tally::default(),
            cycle: 0.0,
            identity: 0.0,
        }
    }
}

/// Mean binary cross-entropy per cell of `logits` against 0/1 `target`.
fn cell_cross_entropy<B: Backend>(logits: Tensor<B, 4>, target: Tensor<B, 4>) -> Tensor<B, 1> {
    let on = log_sigmoid(logits.clone()) * target.clone();
    let off = log_sigmoid(logits.neg()) * target.neg().add_scalar(1.0);
    (on + off).mean().neg()
}

/// What the critics and the cycle see of written phrases with these `logits`.
fn shown<B: Backend>(logits: Tensor<B, 4>, input: TransferInput) -> Tensor<B, 4> {
    let p = sigmoid(logits);
    match input {
        TransferInput::Probabilities => p,
        TransferInput::Threshold => {
            let hard = p.clone().greater_equal_elem(0.5).float().detach();
            hard - p.clone().detach() + p
        }
    }
}

/// Phrases written by `generator` from `batch`: each cell sounds where its probability is at
/// least `threshold`.
pub fn transfer_batch<B: Backend>(
    generator: &StyleGenerator<B>,
    batch: &PhraseBatch,
    threshold: f32,
    device: &B::Device,
) -> Vec<Vec<StepMask>> {
    let probabilities = sigmoid(generator.forward(rolls_tensor::<B>(batch, device)));
    threshold_phrases(probabilities, threshold)
}

/// Probabilities `[n, 1, 64, 84]` as phrases of step masks, a cell sounding at `threshold`.
pub fn threshold_phrases<B: Backend>(
    probabilities: Tensor<B, 4>,
    threshold: f32,
) -> Vec<Vec<StepMask>> {
    let [n, _, steps, pitches] = probabilities.dims();
    let p: Vec<f32> = probabilities
        .into_data()
        .convert::<f32>()
        .to_vec()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            (0..steps)
                .map(|s| {
                    let row = &p[(i * steps + s) * pitches..(i * steps + s + 1) * pitches];
                    row.iter()
                        .enumerate()
                        .filter(|(_, &v)| v >= threshold)
                        .fold(0 as StepMask, |m, (k, _)| m | 1 << k)
                })
                .collect()
        })
        .collect()
}

/// How one direction of transfer fares on held-out phrases.
#[derive(Debug, Clone, Serialize)]
pub struct DirectionReport {
    /// The source style.
    pub from: String,
    /// The target style.
    pub to: String,
    /// Phrases transferred.
    pub phrases: usize,
    /// The metric gap between the transferred phrases and the target style's real phrases
    /// (and their metrics).
    pub target: ArrangementReport,
    /// The metric gap between the source phrases and the target style's (the gap before).
    pub before: f64,
    /// Mean scale consistency and groove consistency (MusPy) of the written phrases and of the
    /// target style's real ones.
    pub consistency: [[f64; 2]; 2],
    /// The mean relative gap between the two consistencies.
    pub consistency_gap: f64,
    /// How much of the sources' content the transferred phrases keep.
    pub kept: ContentKept,
}

/// Both directions of a style-transfer GAN on held-out phrases.
#[derive(Debug, Clone, Serialize)]
pub struct TransferReport {
    /// A → B, then B → A.
    pub directions: Vec<DirectionReport>,
    /// Mean over the directions of the metric gap and the consistency gap to the target, plus
    /// the share of the sources' onsets lost below half: 0 when the written phrases look like
    /// the target style in their statistics and keep at least half of their sources' onsets.
    pub distance: f64,
}

impl TransferReport {
    /// Transfers `batches` (pairs of held-out batches of the two styles) both ways.
    pub fn of<B: Backend>(
        pair: &StyleTransferPair<B>,
        batches: &[PhrasePairBatch],
        styles: &[String],
        device: &B::Device,
    ) -> Self {
        let track = [MERGED_TRACK.to_string()];
        let mut directions = Vec::new();
        for from in 0..2 {
            let to = 1 - from;
            let generator = pair.into_style(to);
            let (mut sources, mut written, mut real) = (Vec::new(), Vec::new(), Vec::new());
            for b in dedupe(batches, from) {
                written.extend(transfer_batch(generator, b, 0.5, device));
                sources.extend(batch_phrases(b));
            }
            for b in dedupe(batches, to) {
                real.extend(batch_phrases(b));
            }
            let mut kept = ContentKept::default();
            for (s, w) in sources.iter().zip(&written) {
                kept.add(s, w);
            }
            let name = |k: usize| {
                styles
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| ["A", "B"][k].into())
            };
            let consistency = [consistencies(&written), consistencies(&real)];
            let consistency_gap = (0..2)
                .map(|k| (consistency[0][k] - consistency[1][k]).abs() / consistency[1][k].max(0.1))
                .sum::<f64>()
                / 2.0;
            directions.push(DirectionReport {
                from: name(from),
                to: name(to),
                phrases: written.len(),
                before: ArrangementReport::of(&sources, &real, &track).distance,
                target: ArrangementReport::of(&written, &real, &track),
                consistency,
                consistency_gap,
                kept,
            });
        }
        let distance = directions
            .iter()
            .map(|d| {
                d.target.distance
                    + d.consistency_gap
                    + (KEPT_ONSETS - d.kept.onset_share()).max(0.0)
            })
            .sum::<f64>()
            / directions.len() as f64;
        TransferReport {
            directions,
            distance,
        }
    }
}

/// The share of a source's onsets a transfer should keep; validation counts only what is lost
/// below it.
const KEPT_ONSETS: f64 = 0.5;

/// Mean scale consistency and groove consistency (MusPy) of phrases; phrases without notes are
/// left out.
fn consistencies(phrases: &[Vec<StepMask>]) -> [f64; 2] {
    let track = [MERGED_TRACK.to_string()];
    let mut sums = [0.0; 2];
    let mut counts = [0usize; 2];
    for phrase in phrases {
        let score = rolls_to_score(phrase, &track, &[], 96, 120.0);
        let metrics = PieceMetrics::compute(&score);
        for (k, metric) in [Metric::ScaleConsistency, Metric::GrooveConsistency]
            .into_iter()
            .enumerate()
        {
            if let Some(v) = metrics.get(metric).filter(|v| v.is_finite()) {
                sums[k] += v;
                counts[k] += 1;
            }
        }
    }
    [0, 1].map(|k| sums[k] / counts[k].max(1) as f64)
}

/// The distinct batches of style `k` among pairs (the smaller style's batches repeat).
fn dedupe(batches: &[PhrasePairBatch], k: usize) -> Vec<&PhraseBatch> {
    let mut seen: Vec<&PhraseBatch> = Vec::new();
    for b in batches {
        if !seen.iter().any(|s| *s == &b.styles[k]) {
            seen.push(&b.styles[k]);
        }
    }
    seen
}

impl<B: AutodiffBackend> StyleTransferLearner<B> {
    fn critic_step(&mut self, a: &Tensor<B, 4>, b: &Tensor<B, 4>, lr: f64) -> Option<f64> {
        let input = self.config.critic_input;
        let fake_b = shown(self.pair.a_to_b.forward(a.clone()), input).detach();
        let fake_a = shown(self.pair.b_to_a.forward(b.clone()), input).detach();
        let (real_a, real_b) = (
            self.critics.a.forward(a.clone()),
            self.critics.b.forward(b.clone()),
        );
        let (scored_a, scored_b) = (
            self.critics.a.forward(fake_a),
            self.critics.b.forward(fake_b),
        );
        let mean = |x: &Tensor<B, 1>| x.clone().mean().into_scalar().elem::<f64>();
        let real_score = (mean(&real_a) + mean(&real_b)) / 2.0;
        let fake_score = (mean(&scored_a) + mean(&scored_b)) / 2.0;
        let loss = hinge_loss(real_a, scored_a) + hinge_loss(real_b, scored_b);
        let value = loss.clone().into_scalar().elem::<f64>();
        if !value.is_finite() {
            return None;
        }
        self.tally.real_score += real_score;
        self.tally.fake_score += fake_score;
        let grads = GradientsParams::from_grads(loss.backward(), &self.critics);
        let critics = self.critics.clone();
        self.critics = self
            .d_optim
            .step(lr * self.config.critic_lr_scale, critics, grads);
        Some(value)
    }

    fn generator_step(&mut self, a: &Tensor<B, 4>, b: &Tensor<B, 4>, lr: f64) -> Option<f64> {
        let (ab, ba) = (&self.pair.a_to_b, &self.pair.b_to_a);
        let input = self.config.critic_input;
        let fake_b = shown(ab.forward(a.clone()), input);
        let fake_a = shown(ba.forward(b.clone()), input);
        let adversarial = self.critics.b.forward(fake_b.clone()).mean().neg()
            - self.critics.a.forward(fake_a.clone()).mean();
        let cycle = cell_cross_entropy(ba.forward(fake_b), a.clone())
            + cell_cross_entropy(ab.forward(fake_a), b.clone());
        let mut loss = adversarial.clone() + cycle.clone().mul_scalar(self.config.cycle_weight);
        let identity = if self.config.identity_weight > 0.0 {
            let identity = cell_cross_entropy(ba.forward(a.clone()), a.clone())
                + cell_cross_entropy(ab.forward(b.clone()), b.clone());
            loss = loss + identity.clone().mul_scalar(self.config.identity_weight);
            identity.into_scalar().elem::<f64>()
        } else {
            0.0
        };
        let value = loss.clone().into_scalar().elem::<f64>();
        if !value.is_finite() {
            return None;
        }
        self.tally.generator_loss += adversarial.into_scalar().elem::<f64>();
        self.cycle += cycle.into_scalar().elem::<f64>();
        self.identity += identity;
        let grads = GradientsParams::from_grads(loss.backward(), &self.pair);
        let pair = self.pair.clone();
        self.pair = self.g_optim.step(lr, pair, grads);
        Some(value)
    }
}

impl<B: AutodiffBackend> Learner<B> for StyleTransferLearner<B> {
    type Batch = PhrasePairBatch;

    fn unit(&self) -> &'static str {
        "phrase pair"
    }

    fn loss_name(&self) -> &'static str {
        "critic hinge loss (train) · metric gap + onsets lost (valid)"
    }

    fn valid_name(&self) -> &'static str {
        "transfer distance"
    }

    fn epoch_end(
        &mut self,
        out: &Path,
        valid: &[PhrasePairBatch],
        device: &B::Device,
    ) -> Result<EpochExtras, TrainError> {
        let steps = self.tally.steps.max(1) as f64;
        let mut extras = self.tally.take_extras();
        extras
            .values
            .insert("cycle_loss".into(), std::mem::take(&mut self.cycle) / steps);
        extras.values.insert(
            "identity_loss".into(),
            std::mem::take(&mut self.identity) / steps,
        );
        // The sample grid: four phrases of each style above what they became.
        let pair = self.pair.valid();
        let mut shown = Vec::new();
        if let Some(first) = valid.first() {
            for from in 0..2 {
                let source = &first.styles[from];
                let written = transfer_batch(pair.into_style(1 - from), source, 0.5, device);
                for (s, w) in batch_phrases(source).iter().zip(&written).take(4) {
                    shown.push([s.as_slice(), w.as_slice()].concat());
                }
            }
        }
        write_phrase_grid(&out.join(SAMPLES_FILE), &shown, 2)?;
        let report = TransferReport::of(&pair, valid, &self.config.styles, device);
        for d in &report.directions {
            let key = format!("{}2{}", d.from, d.to);
            extras
                .values
                .insert(format!("{key}_gap"), d.target.distance);
            extras
                .values
                .insert(format!("{key}_onsets_kept"), d.kept.onset_share());
            extras
                .values
                .insert(format!("{key}_consistency_gap"), d.consistency_gap);
        }
        Ok(extras)
    }

    fn parameters(&self) -> usize {
        self.pair.num_params() + self.critics.num_params()
    }

    fn train_step(
        mut self,
        batch: &PhrasePairBatch,
        lr: f64,
        device: &B::Device,
    ) -> (Self, StepLoss) {
        let n = batch.styles[0].len();
        let a = rolls_tensor::<B>(&batch.styles[0], device);
        let b = rolls_tensor::<B>(&batch.styles[1], device);
        let mut d_loss = 0.0;
        for _ in 0..self.config.critic_steps {
            match self.critic_step(&a, &b, lr) {
                Some(v) => d_loss = v,
                None => {
                    return (
                        self,
                        StepLoss {
                            sum: f64::NAN,
                            count: n,
                        },
                    )
                }
            }
        }
        if self.generator_step(&a, &b, lr).is_none() {
            return (
                self,
                StepLoss {
                    sum: f64::NAN,
                    count: n,
                },
            );
        }
        self.tally.steps += 1;
        self.tally.critic_loss += d_loss;
        (
            self,
            StepLoss {
                sum: d_loss * n as f64,
                count: n,
            },
        )
    }

    fn validate(&self, batches: &[PhrasePairBatch], device: &B::Device) -> EvalTotals {
        let report = TransferReport::of(&self.pair.valid(), batches, &self.config.styles, device);
        let n = report.directions.iter().map(|d| d.phrases).sum::<usize>();
        EvalTotals {
            nll: report.distance * n as f64,
            count: n,
            correct: None,
        }
    }

    fn save_weights(&self, path: &Path) -> Result<(), TrainError> {
        let model: Model<B::InnerBackend> = self.pair.valid().into();
        Ok(euterpe_store::weights::save::<B::InnerBackend, _>(
            model, path,
        )?)
    }

    fn save_checkpoint(&self, dir: &Path, epoch: usize) -> Result<(), TrainError> {
        save_pair(
            dir,
            epoch,
            (&self.pair, &self.critics),
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
        let (pair, critics, g_optim, d_optim) = load_pair(
            dir,
            epoch,
            (self.pair, self.critics),
            (self.g_optim, self.d_optim),
            device,
        )?;
        Ok(StyleTransferLearner {
            pair,
            critics,
            g_optim,
            d_optim,
            config: self.config,
            tally: Tally::default(),
            cycle: 0.0,
            identity: 0.0,
        })
    }
}
