//! Multi-track pieces from a multi-track GAN ([`MultiTrackGenerator`]): phrase after phrase of
//! four bars, each drawn cell by cell from the generator's probabilities. The codes that are
//! not tied to time (the shared one and one per track) are drawn once for the whole piece, so
//! that its phrases keep one character and each track one voice; the temporal codes are drawn
//! afresh for every phrase.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_data::multitrack::{rolls_to_score, StepMask, PHRASE_BARS, PHRASE_STEPS};
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
        let pitches = euterpe_data::multitrack::ROLL_PITCHES;
        let mut masks = vec![0 as StepMask; tracks * steps];
        // The probabilities are [phrase, track, step, pitch].
        for (cell, &prob) in p.iter().enumerate() {
            let sounds = match options.threshold {
                Some(t) => prob >= t,
                None => (rng.unit() as f32) < prob,
            };
            if !sounds {
                continue;
            }
            let pitch = cell % pitches;
            let step = cell / pitches % PHRASE_STEPS;
            let track = cell / (pitches * PHRASE_STEPS) % tracks;
            let phrase = cell / (pitches * PHRASE_STEPS * tracks);
            let s = phrase * PHRASE_STEPS + step;
            if s < steps {
                masks[track * steps + s] |= 1 << pitch;
            }
        }
        Ok(masks)
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
