//! Multi-track pieces from a multi-track GAN ([`MultiTrackGenerator`]): phrase after phrase of
//! four bars, each drawn cell by cell from the generator's probabilities. The codes that are
//! not tied to time (the shared one and one per track) are drawn once for the whole piece, so
//! that its phrases keep one character and each track one voice; the temporal codes are drawn
//! afresh for every phrase.

use burn::module::{AutodiffModule, Module};
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_data::multitrack::{rolls_to_score, StepMask, PHRASE_BARS, PHRASE_STEPS, ROLL_PITCHES};
use euterpe_models::musegan::MultiTrackGenerator;
use euterpe_models::{Model, ModelBackend, ModelConfig};
use euterpe_music::score::{Score, TimeSignature};
use euterpe_store::{ModelSource, StoreError};

use crate::melody::normal;
use crate::GenerateError;

/// Ticks per quarter note of the written MIDI.
const TICKS_PER_BEAT: u32 = 480;
/// Longest piece, in bars.
pub const MAX_BARS: usize = 1024;

/// What to write.
#[derive(Debug, Clone)]
pub struct ArrangeOptions {
    /// Bars to write (rounded up to whole phrases of four).
    pub bars: usize,
    /// Seed of the codes and of the sampling.
    pub seed: u64,
    /// Tempo in BPM.
    pub tempo: f64,
    /// General MIDI program of each track, in the model's track order (missing: piano).
    pub programs: Vec<u8>,
    /// `None` draws each cell from its probability (as in training); `Some(t)` sounds the
    /// cells whose probability is at least `t` (MuseGAN's hard thresholding).
    pub threshold: Option<f32>,
}

impl ArrangeOptions {
    /// Checks the options; the message names the option.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::InvalidOptions(m));
        if self.bars == 0 || self.bars > MAX_BARS {
            return bad(format!("bars = {}; give 1 to {MAX_BARS}", self.bars));
        }
        if !(self.tempo.is_finite() && (10.0..=400.0).contains(&self.tempo)) {
            return bad(format!("tempo = {} BPM; give 10 to 400", self.tempo));
        }
        if let Some(p) = self.programs.iter().find(|&&p| p > 127) {
            return bad(format!("program = {p}; give 0 to 127"));
        }
        if let Some(t) = self.threshold {
            if !(t > 0.0 && t < 1.0) {
                return bad(format!("threshold = {t}; give a value in (0, 1)"));
            }
        }
        Ok(())
    }
}

/// A loaded multi-track GAN generator.
pub struct ArrangementWriter<B: ModelBackend> {
    /// How reports name the model.
    pub name: String,
    /// The names of the tracks it writes, in order.
    pub tracks: Vec<String>,
    generator: MultiTrackGenerator<B>,
    device: B::Device,
}

impl<B: ModelBackend> ArrangementWriter<B> {
    /// Loads the model of `source`; a model of another kind is an error naming its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        let tracks = match &loaded.config {
            ModelConfig::MuseGan(c) => c.tracks.clone(),
            _ => Vec::new(),
        };
        match loaded.model {
            Model::MuseGan(generator) => Ok(ArrangementWriter {
                name: loaded.name,
                tracks,
                generator,
                device,
            }),
            model => Err(StoreError::WrongKind {
                model: loaded.name,
                kind: model.kind_name(),
                task: "writing a multi-track piece",
                wanted: "musegan",
            }
            .into()),
        }
    }

    /// The step masks of one piece, track after track (`tracks × bars × 16`).
    pub fn rolls(&self, options: &ArrangeOptions) -> Result<Vec<StepMask>, GenerateError> {
        options.validate()?;
        let mut rng = SplitMix64::new(options.seed);
        let (size, fixed) = (
            self.generator.noise_size(),
            self.generator.fixed_noise_size(),
        );
        let tracks = self.generator.tracks();
        let phrases = options.bars.div_ceil(PHRASE_BARS);
        let character: Vec<f32> = (0..fixed).map(|_| normal(&mut rng)).collect();
        let mut noise = Vec::with_capacity(phrases * size);
        for _ in 0..phrases {
            noise.extend_from_slice(&character);
            noise.extend((fixed..size).map(|_| normal(&mut rng)));
        }
        let logits = self.generator.forward(Tensor::<B, 2>::from_data(
            TensorData::new(noise, [phrases, size]),
            &self.device,
        ));
        let p: Vec<f32> = sigmoid(logits)
            .into_data()
            .convert::<f32>()
            .to_vec()
            .map_err(|e| GenerateError::Unsupported(format!("{e:?}")))?;
        let steps = options.bars * PHRASE_STEPS / PHRASE_BARS;
        Ok(draw(&p, steps, tracks, options, &mut rng))
    }

    /// One piece as a score: a track per model track, named as in training.
    pub fn write(&self, options: &ArrangeOptions) -> Result<Score, GenerateError> {
        let masks = self.rolls(options)?;
        let names = if self.tracks.len() == self.generator.tracks() {
            self.tracks.clone()
        } else {
            (1..=self.generator.tracks())
                .map(|i| format!("track {i}"))
                .collect()
        };
        let mut score = rolls_to_score(
            &masks,
            &names,
            &options.programs,
            TICKS_PER_BEAT,
            options.tempo,
        );
        score.time_signatures.push(TimeSignature {
            tick: 0,
            numerator: 4,
            denominator: 4,
        });
        Ok(score)
    }
}

/// How the codes of an accompaniment are searched.
#[derive(Debug, Clone)]
pub struct LatentSearch {
    /// The model track the lead is written into (its index).
    pub track: usize,
    /// Candidate codes per phrase, searched side by side; the best is kept (default 4).
    pub restarts: usize,
    /// Gradient steps (default 60).
    pub iterations: usize,
    /// Adam's step size on the codes (default 0.05).
    pub step: f64,
}

impl Default for LatentSearch {
    fn default() -> Self {
        LatentSearch {
            track: 0,
            restarts: 4,
            iterations: 60,
            step: 0.05,
        }
    }
}

impl LatentSearch {
    /// Checks the settings against a model of `tracks` tracks.
    pub fn validate(&self, tracks: usize) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::InvalidOptions(m));
        if self.track >= tracks {
            return bad(format!(
                "track {} does not exist; the model has {tracks}",
                self.track
            ));
        }
        if !(1..=256).contains(&self.restarts) {
            return bad(format!("restarts = {}; give 1 to 256", self.restarts));
        }
        if self.iterations > 10_000 {
            return bad(format!("iterations = {}; give 0 to 10000", self.iterations));
        }
        if !(self.step.is_finite() && self.step > 0.0 && self.step <= 10.0) {
            return bad(format!("step = {}; give a value in (0, 10]", self.step));
        }
        Ok(())
    }
}

/// Tracks written around a given lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Accompaniment {
    /// The step masks of every track, track after track; the lead's track holds the lead.
    pub masks: Vec<StepMask>,
    /// Of the steps where the lead sounds, the share at which the generator's own lead track
    /// finds a lead pitch most likely: from the best random codes, and from the codes found.
    pub recall: [f64; 2],
    /// The mean weighted cross-entropy of the generator's lead track against the lead, per
    /// cell, before and after the search.
    pub loss: [f64; 2],
}

/// Weight of a sounding cell in the lead's cross-entropy: cells sound about one time in twenty,
/// and a search that only matched silences would ignore the lead.
const SOUNDING_WEIGHT: f64 = 4.0;

impl<B: ModelBackend + AutodiffBackend> ArrangementWriter<B> {
    /// The other tracks written around `lead` (`bars × 16` step masks): for each phrase of four
    /// bars, codes are searched by gradient descent (Adam) so that the generator's own track
    /// `search.track` matches the lead, from `search.restarts` random starts; the best codes
    /// then write the other tracks, drawn as `options` says, and the lead takes its track
    /// (the inpainting of GAN latent spaces, as in Yeh et al. 2017).
    pub fn accompany(
        &self,
        lead: &[StepMask],
        options: &ArrangeOptions,
        search: &LatentSearch,
    ) -> Result<Accompaniment, GenerateError> {
        options.validate()?;
        let tracks = self.generator.tracks();
        search.validate(tracks)?;
        if lead.is_empty() {
            return Err(GenerateError::InvalidOptions("the lead has no bars".into()));
        }
        let phrases = lead.len().div_ceil(PHRASE_STEPS);
        let (r, size) = (search.restarts, self.generator.noise_size());
        let n = phrases * r;
        let cells = PHRASE_STEPS * ROLL_PITCHES;
        let target = lead_target::<B>(lead, phrases, r, &self.device);
        let generator = self.generator.clone().no_grad();
        let mut rng = SplitMix64::new(options.seed);
        let start: Vec<f32> = (0..n * size).map(|_| normal(&mut rng)).collect();
        let mut z = Tensor::<B::InnerBackend, 2>::from_data(
            TensorData::new(start, [n, size]),
            &self.device,
        );
        let mut adam = (z.zeros_like(), z.zeros_like());
        let mut first = None;
        let mut last = (Vec::new(), Vec::new());
        for it in 0..=search.iterations {
            let code = Tensor::<B, 2>::from_inner(z.clone()).require_grad();
            let logits = generator
                .forward_frozen(code.clone())
                .slice([
                    0..n,
                    search.track..search.track + 1,
                    0..PHRASE_STEPS,
                    0..ROLL_PITCHES,
                ])
                .reshape([n, cells]);
            let per = lead_loss(logits.clone(), target.clone());
            let figures = (
                to_vec(per.clone().inner())?,
                to_vec(recall(logits.inner(), target.clone().inner()))?,
            );
            if first.is_none() {
                first = Some(figures.clone());
            }
            last = figures;
            if it == search.iterations {
                break;
            }
            let prior = code.clone().powf_scalar(2.0).mean().mul_scalar(1e-3);
            let grads = (per.sum() + prior).backward();
            let Some(g) = code.grad(&grads) else { break };
            z = adam_step(z, g, &mut adam, it + 1, search.step);
        }
        let first = first.unwrap_or_default();
        let best = best_per_phrase(&last.0, phrases, r);
        let mean_of = |values: &[f64], picks: &[usize]| {
            picks.iter().map(|&i| values[i]).sum::<f64>() / picks.len().max(1) as f64
        };
        let best_first = best_per_phrase(&first.0, phrases, r);
        let chosen = Tensor::<B::InnerBackend, 1, burn::tensor::Int>::from_data(
            TensorData::new(
                best.iter().map(|&i| i as i64).collect::<Vec<_>>(),
                [phrases],
            ),
            &self.device,
        );
        let codes = z.select(0, chosen);
        let p: Vec<f32> = sigmoid(self.generator.valid().forward(codes))
            .into_data()
            .convert::<f32>()
            .to_vec()
            .map_err(|e| GenerateError::Unsupported(format!("{e:?}")))?;
        let mut masks = draw(&p, lead.len(), tracks, options, &mut rng);
        let steps = lead.len();
        masks[search.track * steps..(search.track + 1) * steps].copy_from_slice(lead);
        Ok(Accompaniment {
            masks,
            recall: [mean_of(&first.1, &best_first), mean_of(&last.1, &best)],
            loss: [mean_of(&first.0, &best_first), mean_of(&last.0, &best)],
        })
    }
}

/// Step masks of `steps` steps per track from probabilities `[phrase, track, step, pitch]`:
/// each cell drawn, or thresholded, as `options` says.
fn draw(
    p: &[f32],
    steps: usize,
    tracks: usize,
    options: &ArrangeOptions,
    rng: &mut SplitMix64,
) -> Vec<StepMask> {
    let mut masks = vec![0 as StepMask; tracks * steps];
    for (cell, &prob) in p.iter().enumerate() {
        let sounds = match options.threshold {
            Some(t) => prob >= t,
            None => (rng.unit() as f32) < prob,
        };
        if !sounds {
            continue;
        }
        let pitch = cell % ROLL_PITCHES;
        let step = cell / ROLL_PITCHES % PHRASE_STEPS;
        let track = cell / (ROLL_PITCHES * PHRASE_STEPS) % tracks;
        let phrase = cell / (ROLL_PITCHES * PHRASE_STEPS * tracks);
        let s = phrase * PHRASE_STEPS + step;
        if s < steps {
            masks[track * steps + s] |= 1 << pitch;
        }
    }
    masks
}

/// The lead's cells `[phrases × restarts, 64 × 84]` (0/1), each phrase repeated for its
/// restarts; the last phrase is padded with silence.
fn lead_target<B: Backend>(
    lead: &[StepMask],
    phrases: usize,
    restarts: usize,
    device: &B::Device,
) -> Tensor<B, 2> {
    let cells = PHRASE_STEPS * ROLL_PITCHES;
    let mut v = vec![0f32; phrases * restarts * cells];
    for (s, &mask) in lead.iter().enumerate() {
        let (phrase, step) = (s / PHRASE_STEPS, s % PHRASE_STEPS);
        for p in 0..ROLL_PITCHES {
            if mask >> p & 1 == 1 {
                for r in 0..restarts {
                    v[(phrase * restarts + r) * cells + step * ROLL_PITCHES + p] = 1.0;
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(v, [phrases * restarts, cells]), device)
}

/// Per candidate `[n]`: the mean cross-entropy of `logits` against `target`, sounding cells
/// weighted by [`SOUNDING_WEIGHT`].
fn lead_loss<B: Backend>(logits: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
    let n = logits.dims()[0];
    let sounding = target.clone() * log_sigmoid(logits.clone()) * SOUNDING_WEIGHT;
    let silent = (target.neg().add_scalar(1.0)) * log_sigmoid(logits.neg());
    (sounding + silent).mean_dim(1).neg().reshape([n])
}

/// Per candidate `[n]`: of the steps where the target sounds, the share at which the most
/// likely pitch of `logits` is one of the target's pitches.
fn recall<B: Backend>(logits: Tensor<B, 2>, target: Tensor<B, 2>) -> Tensor<B, 1> {
    let n = logits.dims()[0];
    let shape = [n, PHRASE_STEPS, ROLL_PITCHES];
    let target = target.reshape(shape);
    let best = logits.reshape(shape).argmax(2);
    let sounding = target.clone().sum_dim(2).greater_elem(0.0).float();
    let hit = target.gather(2, best) * sounding.clone();
    let total = sounding.sum_dim(1).clamp_min(1.0);
    (hit.sum_dim(1) / total).reshape([n])
}

fn to_vec<B: Backend>(t: Tensor<B, 1>) -> Result<Vec<f64>, GenerateError> {
    t.into_data()
        .convert::<f64>()
        .to_vec()
        .map_err(|e| GenerateError::Unsupported(format!("{e:?}")))
}

/// For each phrase, the index of its candidate with the lowest loss.
fn best_per_phrase(losses: &[f64], phrases: usize, restarts: usize) -> Vec<usize> {
    (0..phrases)
        .map(|p| {
            (p * restarts..(p + 1) * restarts)
                .filter(|&i| i < losses.len())
                .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
                .unwrap_or(p * restarts)
        })
        .collect()
}

/// One Adam step (β 0.9, 0.999) on the codes `z` with gradient `g`; `moments` are kept
/// between steps and `t` counts them from 1.
fn adam_step<B: Backend>(
    z: Tensor<B, 2>,
    g: Tensor<B, 2>,
    moments: &mut (Tensor<B, 2>, Tensor<B, 2>),
    t: usize,
    step: f64,
) -> Tensor<B, 2> {
    let (b1, b2) = (0.9f64, 0.999f64);
    moments.0 = moments.0.clone().mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1);
    moments.1 = moments.1.clone().mul_scalar(b2) + g.powf_scalar(2.0).mul_scalar(1.0 - b2);
    let m = moments.0.clone().div_scalar(1.0 - b1.powi(t as i32));
    let v = moments.1.clone().div_scalar(1.0 - b2.powi(t as i32));
    z - m.mul_scalar(step) / v.sqrt().add_scalar(1e-8)
}

/// An accompaniment written by a multi-track GAN, with what wrote it.
#[derive(Debug, Clone)]
pub struct Arranged {
    /// How reports name the model.
    pub model: String,
    /// The model's track names, in order.
    pub tracks: Vec<String>,
    /// The model track the lead took.
    pub lead_track: usize,
    /// The tracks.
    pub accompaniment: Accompaniment,
}

/// Loads the multi-track GAN of `source` on `B` with autodiff (the search needs gradients)
/// and writes the accompaniment of `lead`, which takes the model track named `as_track`
/// (matched without regard to case; default: the first track).
pub fn accompany_from<B: ModelBackend>(
    source: &ModelSource,
    device: B::Device,
    lead: &[StepMask],
    as_track: Option<&str>,
    options: &ArrangeOptions,
    search: &LatentSearch,
) -> Result<Arranged, GenerateError> {
    let writer = ArrangementWriter::<burn::backend::Autodiff<B>>::load(source, device)?;
    let track = match as_track {
        None => 0,
        Some(name) => writer
            .tracks
            .iter()
            .position(|t| t.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                GenerateError::InvalidOptions(format!(
                    "the model has no track {name:?}; its tracks: {}",
                    writer.tracks.join(", ")
                ))
            })?,
    };
    let search = LatentSearch {
        track,
        ..search.clone()
    };
    let accompaniment = writer.accompany(lead, options, &search)?;
    Ok(Arranged {
        model: writer.name.clone(),
        tracks: writer.tracks.clone(),
        lead_track: track,
        accompaniment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use euterpe_models::backend::CpuAutodiff;
    use euterpe_models::musegan::MuseGanConfig;

    #[test]
    fn the_search_keeps_the_lead_and_does_not_fit_it_worse() {
        let device = Default::default();
        let config = MuseGanConfig {
            tracks: vec!["A".into(), "B".into()],
            latent: 8,
            channels: 16,
            ..MuseGanConfig::default()
        };
        let writer = ArrangementWriter::<CpuAutodiff> {
            name: "test".into(),
            tracks: config.tracks.clone(),
            generator: config.init(&device),
            device,
        };
        // A C major scale in eighths, then the same a fifth up.
        let lead: Vec<StepMask> = (0..64)
            .map(|s| 1u128 << (36 + [0, 2, 4, 5, 7, 9, 11, 12][s / 2 % 8] + 7 * (s / 32)))
            .collect();
        let options = ArrangeOptions {
            bars: 4,
            seed: 1,
            tempo: 100.0,
            programs: Vec::new(),
            threshold: None,
        };
        let search = LatentSearch {
            restarts: 2,
            iterations: 30,
            ..LatentSearch::default()
        };
        let a = writer.accompany(&lead, &options, &search).unwrap();
        // An untrained generator hardly depends on its codes; the search must not make the fit
        // worse, and the lead keeps its track.
        assert!(a.loss[1] <= a.loss[0] + 1e-6, "{:?}", a.loss);
        assert_eq!(&a.masks[..64], &lead[..]);
    }
}
