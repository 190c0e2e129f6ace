//! Melodies over a chord progression from a melody GAN ([`MelodyGenerator`]): bar after bar, each
//! written from fresh noise, its chord and the bar written before it (MidiNet's generation).
//! The chords can be played under the melody as block triads, so that one hears what the
//! melody was written over.

use burn::tensor::{Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_models::melody_gan::{bars_tensor, chord_tensor};
use euterpe_models::{MelodyGenerator, Model, ModelBackend};
use euterpe_music::melody::{bars_to_notes, MelodyBar, CLASSES, STEPS_PER_BAR};
use euterpe_music::score::{Note, Score, TempoChange, TimeSignature, Track};
use euterpe_music::Chord;
use euterpe_store::{ModelSource, StoreError};

use crate::GenerateError;

/// Ticks per quarter note of the written MIDI.
const TICKS_PER_BEAT: u32 = 480;
/// Longest melody, in bars.
pub const MAX_BARS: usize = 1024;

/// What to write.
#[derive(Debug, Clone)]
pub struct MelodyOptions {
    /// The progression, one chord per bar, repeated to fill `bars` (`None`: no chord).
    pub chords: Vec<Option<Chord>>,
    /// Bars to write.
    pub bars: usize,
    /// Seed of the noise and of the sampling.
    pub seed: u64,
    /// Sampling temperature of each step's class; 0 takes the most probable class.
    pub temperature: f64,
    /// Tempo in BPM.
    pub tempo: f64,
    /// General MIDI program of the melody.
    pub program: u8,
    /// Play the chords as block triads on a second track.
    pub accompany: bool,
}

impl MelodyOptions {
    /// Checks the options; the message names the option.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::InvalidOptions(m));
        if self.chords.is_empty() {
            return bad("give at least one chord".into());
        }
        if self.bars == 0 || self.bars > MAX_BARS {
            return bad(format!("bars = {}; give 1 to {MAX_BARS}", self.bars));
        }
        if !(self.temperature.is_finite() && (0.0..=10.0).contains(&self.temperature)) {
            return bad(format!(
                "temperature = {}; give 0 (most probable) to 10",
                self.temperature
            ));
        }
        if !(self.tempo.is_finite() && (10.0..=400.0).contains(&self.tempo)) {
            return bad(format!("tempo = {} BPM; give 10 to 400", self.tempo));
        }
        if self.program > 127 {
            return bad(format!("program = {}; give 0 to 127", self.program));
        }
        Ok(())
    }
}

/// A loaded melody GAN generator.
pub struct MelodyWriter<B: ModelBackend> {
    /// How reports name the model.
    pub name: String,
    generator: MelodyGenerator<B>,
    device: B::Device,
}

impl<B: ModelBackend> MelodyWriter<B> {
    /// Loads the model of `source`; a model of another kind is an error naming its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        match loaded.model {
            Model::MelodyGan(generator) => Ok(MelodyWriter {
                name: loaded.name,
                generator,
                device,
            }),
            model => Err(StoreError::WrongKind {
                model: loaded.name,
                kind: model.kind_name(),
                task: "writing a melody over chords",
                wanted: "melody_gan",
            }
            .into()),
        }
    }

    /// The bars of one melody.
    pub fn bars(&self, options: &MelodyOptions) -> Result<Vec<MelodyBar>, GenerateError> {
        options.validate()?;
        let mut rng = SplitMix64::new(options.seed);
        let size = self.generator.noise_size();
        let mut bars: Vec<MelodyBar> = Vec::with_capacity(options.bars);
        for i in 0..options.bars {
            let chord = options.chords[i % options.chords.len()];
            let previous = bars.last().map_or([0; STEPS_PER_BAR], |b| b.steps);
            let noise: Vec<f32> = (0..size).map(|_| normal(&mut rng)).collect();
            let p = self.generator.probabilities(
                Tensor::from_data(TensorData::new(noise, [1, size]), &self.device),
                chord_tensor(&[chord], &self.device),
                bars_tensor(&[previous], &self.device),
            );
            let p: Vec<f32> = p
                .into_data()
                .convert::<f32>()
                .to_vec()
                .map_err(|e| GenerateError::Unsupported(format!("{e:?}")))?;
            let mut steps = [0u8; STEPS_PER_BAR];
            for (t, step) in steps.iter_mut().enumerate() {
                let column: Vec<f64> = (0..CLASSES)
                    .map(|c| p[c * STEPS_PER_BAR + t] as f64)
                    .collect();
                *step = pick(&column, options.temperature, &mut rng) as u8;
            }
            bars.push(MelodyBar { steps, chord });
        }
        Ok(bars)
    }

    /// One melody as a score: the melody track and, if asked, the chords under it.
    pub fn write(&self, options: &MelodyOptions) -> Result<(Score, Vec<MelodyBar>), GenerateError> {
        let bars = self.bars(options)?;
        Ok((score_of(&bars, options), bars))
    }
}

/// A standard-normal value (Box-Muller).
pub(crate) fn normal(rng: &mut SplitMix64) -> f32 {
    let u1 = rng.unit().max(1e-12);
    let u2 = rng.unit();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// A class drawn from `probabilities` sharpened by `temperature` (0: the most probable).
fn pick(probabilities: &[f64], temperature: f64, rng: &mut SplitMix64) -> usize {
    let best = probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    if temperature <= 0.0 {
        return best;
    }
    let weights: Vec<f64> = probabilities
        .iter()
        .map(|p| p.max(0.0).powf(1.0 / temperature))
        .collect();
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return best;
    }
    let mut u = rng.unit() * total;
    for (i, w) in weights.iter().enumerate() {
        u -= w;
        if u <= 0.0 {
            return i;
        }
    }
    best
}

/// The score of `bars`: a melody track and, with `accompany`, block triads a bar long.
pub fn score_of(bars: &[MelodyBar], options: &MelodyOptions) -> Score {
    let mut score = Score::new(TICKS_PER_BEAT);
    score.tempos.push(TempoChange::from_bpm(0, options.tempo));
    score.time_signatures.push(TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    });
    let step = TICKS_PER_BEAT as u64 / 4;
    let mut melody = Track::new("MELODY", options.program);
    melody.notes = bars_to_notes(bars, step, 96);
    score.tracks.push(melody);
    if options.accompany {
        let mut chords = Track::new("CHORDS", options.program);
        let bar = step * STEPS_PER_BAR as u64;
        for (i, b) in bars.iter().enumerate() {
            let Some(c) = b.chord else { continue };
            for pc in c.triad() {
                // Root position from the root in the octave of C3.
                let pitch = 48 + c.root + (pc + 12 - c.root) % 12;
                chords.notes.push(Note {
                    onset: i as u64 * bar,
                    duration: bar,
                    pitch,
                    velocity: 56,
                });
            }
        }
        score.tracks.push(chords);
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picking_follows_temperature() {
        let mut rng = SplitMix64::new(1);
        let p = [0.1, 0.6, 0.3];
        assert_eq!(pick(&p, 0.0, &mut rng), 1);
        let draws: Vec<usize> = (0..3000).map(|_| pick(&p, 1.0, &mut rng)).collect();
        let share = draws.iter().filter(|&&i| i == 2).count() as f64 / 3000.0;
        assert!((share - 0.3).abs() < 0.04, "{share}");
        let cold: Vec<usize> = (0..3000).map(|_| pick(&p, 0.25, &mut rng)).collect();
        assert!(cold.iter().filter(|&&i| i == 1).count() > 2700);
    }

    #[test]
    fn bad_options_are_refused() {
        let ok = MelodyOptions {
            chords: vec![Chord::parse("C").unwrap()],
            bars: 8,
            seed: 1,
            temperature: 0.0,
            tempo: 100.0,
            program: 0,
            accompany: true,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            MelodyOptions {
                bars: 0,
                ..ok.clone()
            },
            MelodyOptions {
                chords: vec![],
                ..ok.clone()
            },
            MelodyOptions {
                temperature: f64::NAN,
                ..ok.clone()
            },
            MelodyOptions {
                tempo: 0.0,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err());
        }
    }
}
