//! Sound from a next-frame audio model ([`AudioLm`]): the model is rolled forward one feature
//! frame at a time (after the frames of a primer recording, if one is given), a little Gaussian
//! noise is added to each prediction so that the sound does not settle on a fixed point, and the
//! frames are turned back into a signal by `euterpe-audio`'s inverses (MFCC → mel by the inverse
//! DCT, mel → linear magnitude by non-negative least squares, then fast Griffin-Lim).

use burn::tensor::{Int, Tensor, TensorData};
use euterpe_audio::inverse::{features_to_audio, GriffinLimOptions};
use euterpe_audio::{Audio, FeatureKind, Matrix};
use euterpe_base::SplitMix64;
use euterpe_data::{AudioDataConfig, AudioFeatures};
use euterpe_models::{AudioLm, AudioLmConfig, Model, ModelBackend, ModelConfig};
use euterpe_store::{LoadedModel, StoreError};
use serde::Serialize;

use crate::GenerateError;

/// What to generate.
#[derive(Debug, Clone)]
pub struct AudioOptions {
    /// Seconds of new sound after the primer.
    pub seconds: f64,
    /// The class to ask for (an emotion quadrant, `Q1`–`Q4`), for a conditioned model.
    pub class: Option<String>,
    /// Standard deviation of the noise added to each predicted frame, in the model's
    /// standardised units (0: the deterministic rollout).
    pub temperature: f32,
    /// The seed of the noise and of Griffin-Lim's initial phase.
    pub seed: u64,
    /// A recording to continue (at most its first `max_primer_seconds` are used).
    pub primer: Option<Audio>,
}

/// Longest stretch of a primer fed to the model, in seconds.
pub const MAX_PRIMER_SECONDS: f64 = 30.0;

/// Longest generation, in seconds.
pub const MAX_SECONDS: f64 = 600.0;

/// What was generated.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedAudio {
    /// The signal: the primer's frames (resynthesised) followed by the new ones, peak-normalised
    /// to 0.9.
    #[serde(skip)]
    pub samples: Vec<f32>,
    /// Its sample rate.
    pub sample_rate: u32,
    /// Feature frames of the primer.
    pub primer_frames: usize,
    /// Feature frames generated.
    pub frames: usize,
    /// The class asked for.
    pub class: Option<String>,
    /// The seed used.
    pub seed: u64,
    /// The features the model works in ("mfcc", "log-mel").
    pub features: String,
    /// Seconds of sound written.
    pub seconds: f64,
}

/// A loaded next-frame audio model with how its frames are computed.
pub struct AudioGenerator<B: ModelBackend> {
    model: AudioLm<B>,
    config: AudioLmConfig,
    data: AudioDataConfig,
    device: B::Device,
}

impl<B: ModelBackend> AudioGenerator<B> {
    /// The generator of a loaded model, or an error naming the model's kind when it is not a
    /// next-frame audio model, or when its frames cannot be turned back into sound.
    pub fn new(loaded: LoadedModel<B>, device: B::Device) -> Result<Self, GenerateError> {
        let (model, config) = match (loaded.model, loaded.config) {
            (Model::AudioLm(m), ModelConfig::AudioLm(c)) => (m, c),
            (model, _) => {
                return Err(StoreError::WrongKind {
                    model: loaded.name,
                    kind: model.kind_name(),
                    task: "generate-audio",
                    wanted: "audio_lm",
                }
                .into())
            }
        };
        if loaded.data.audio.features == AudioFeatures::LogMelChroma {
            return Err(GenerateError::Unsupported(format!(
                "{}: its frames hold chroma, which cannot be turned back into sound",
                loaded.name
            )));
        }
        Ok(AudioGenerator {
            model,
            config,
            data: loaded.data.audio,
            device,
        })
    }

    /// The classes generation can ask for (empty for an unconditioned model).
    pub fn classes(&self) -> &[String] {
        if self.config.conditioned() {
            &self.config.classes
        } else {
            &[]
        }
    }

    /// Rolls the model forward and turns its frames into sound.
    pub fn generate(&self, options: &AudioOptions) -> Result<GeneratedAudio, GenerateError> {
        if !(options.seconds > 0.0 && options.seconds <= MAX_SECONDS) {
            return Err(GenerateError::InvalidOptions(format!(
                "seconds = {}; give more than 0 and at most {MAX_SECONDS}",
                options.seconds
            )));
        }
        if !(0.0..=4.0).contains(&options.temperature) {
            return Err(GenerateError::InvalidOptions(format!(
                "temperature = {}; give 0 to 4",
                options.temperature
            )));
        }
        let condition = self.condition(options.class.as_deref())?;
        let primer = match &options.primer {
            Some(audio) => self.primer_frames(audio)?,
            None => Vec::new(),
        };
        let width = self.model.width();
        let rate = f64::from(self.data.sample_rate) / self.data.hop_length as f64;
        let new_frames = (options.seconds * rate).ceil() as usize;
        let z = self.rollout(&primer, new_frames, condition, options)?;
        let frames = self.to_matrix(&z, width);
        let mut samples = features_to_audio(
            &frames,
            self.data.sample_rate,
            &self.data.feature_config(),
            &GriffinLimOptions {
                seed: options.seed,
                ..GriffinLimOptions::default()
            },
        )
        .map_err(|e| GenerateError::Unsupported(format!("turning frames into sound: {e}")))?;
        if samples.iter().any(|s| !s.is_finite()) {
            return Err(GenerateError::Unsupported(
                "the frames turned into a signal that is not finite".into(),
            ));
        }
        let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        if peak > 0.0 {
            samples.iter_mut().for_each(|s| *s *= 0.9 / peak);
        }
        Ok(GeneratedAudio {
            seconds: samples.len() as f64 / f64::from(self.data.sample_rate),
            samples,
            sample_rate: self.data.sample_rate,
            primer_frames: primer.len() / width,
            frames: new_frames,
            class: options.class.clone(),
            seed: options.seed,
            features: match self.data.feature_config().kind {
                FeatureKind::Mfcc => "mfcc",
                _ => "log-mel",
            }
            .to_string(),
        })
    }

    /// The condition index of a class: 0 for none, class i as i + 1.
    fn condition(&self, class: Option<&str>) -> Result<i64, GenerateError> {
        let Some(class) = class else { return Ok(0) };
        if !self.config.conditioned() {
            return Err(GenerateError::Unsupported(
                "this model was trained without classes; leave out the emotion".into(),
            ));
        }
        self.config
            .classes
            .iter()
            .position(|c| c.eq_ignore_ascii_case(class))
            .map(|i| i as i64 + 1)
            .ok_or_else(|| {
                GenerateError::InvalidOptions(format!(
                    "emotion {class:?}: the model knows {}",
                    self.config.classes.join(", ")
                ))
            })
    }

    /// The primer's frames, standardised (`frames × width` values).
    fn primer_frames(&self, audio: &Audio) -> Result<Vec<f32>, GenerateError> {
        let rate = self.data.sample_rate;
        let samples = if audio.sample_rate == rate {
            audio.samples.clone()
        } else {
            euterpe_audio::resample::resample(&audio.samples, audio.sample_rate, rate)
                .map_err(|e| GenerateError::Primer(e.to_string()))?
        };
        let keep = samples
            .len()
            .min((MAX_PRIMER_SECONDS * f64::from(rate)) as usize);
        if keep < self.data.n_fft {
            return Err(GenerateError::Primer(format!(
                "{} samples is too short: give at least one frame ({} samples)",
                keep, self.data.n_fft
            )));
        }
        let raw = self
            .data
            .clip_frames(&samples[..keep])
            .map_err(|e| GenerateError::Primer(e.to_string()))?;
        let width = self.model.width();
        let frames = raw.len() / width;
        let z = self.model.standardise(Tensor::<B, 2>::from_data(
            TensorData::new(raw, [frames, width]),
            &self.device,
        ));
        Ok(z.into_data().to_vec().unwrap_or_default())
    }

    /// The standardised frames of the primer followed by `steps` new ones.
    fn rollout(
        &self,
        primer: &[f32],
        steps: usize,
        condition: i64,
        options: &AudioOptions,
    ) -> Result<Vec<f32>, GenerateError> {
        let width = self.model.width();
        let device = &self.device;
        let conditions =
            Tensor::<B, 1, Int>::from_data(TensorData::new(vec![condition], [1]), device);
        let frame = |values: &[f32]| {
            Tensor::<B, 2>::from_data(TensorData::new(values.to_vec(), [1, width]), device)
        };
        let mut state = self.model.initial_state(1, device);
        let mut out: Vec<f32> = primer.to_vec();
        // Without a primer the rollout starts from the training mean (0 when standardised).
        let mut current = if primer.is_empty() {
            vec![0.0; width]
        } else {
            // Every primer frame but the last only builds the state.
            for f in primer.chunks_exact(width).take(primer.len() / width - 1) {
                let (_, s) = self.model.next_frame(frame(f), conditions.clone(), state);
                state = s;
            }
            primer[primer.len() - width..].to_vec()
        };
        let mut rng = SplitMix64::new(options.seed);
        for _ in 0..steps {
            let (next, s) = self
                .model
                .next_frame(frame(&current), conditions.clone(), state);
            state = s;
            let mut next: Vec<f32> = next.into_data().to_vec().unwrap_or_default();
            if next.iter().any(|v| !v.is_finite()) {
                return Err(GenerateError::Unsupported(
                    "the model predicted a value that is not finite".into(),
                ));
            }
            for v in &mut next {
                // Held within the range of real frames: a rollout fed its own noisy predictions
                // can drift, and a runaway dB value would overflow when turned into power.
                *v = (*v + options.temperature * gaussian(&mut rng)).clamp(-LIMIT, LIMIT);
            }
            out.extend_from_slice(&next);
            current = next;
        }
        Ok(out)
    }

    /// Standardised frames (frame after frame) back in feature units, coefficients as rows.
    fn to_matrix(&self, z: &[f32], width: usize) -> Matrix {
        let frames = z.len() / width;
        let raw: Vec<f32> = self
            .model
            .destandardise(Tensor::<B, 2>::from_data(
                TensorData::new(z.to_vec(), [frames, width]),
                &self.device,
            ))
            .into_data()
            .to_vec()
            .unwrap_or_default();
        let mut m = Matrix {
            rows: width,
            cols: frames,
            data: vec![0.0; width * frames],
        };
        for (t, f) in raw.chunks_exact(width).enumerate() {
            for (k, &v) in f.iter().enumerate() {
                m.data[k * frames + t] = v;
            }
        }
        m
    }
}

/// The largest standardised value a generated frame may take (training frames lie within a few
/// deviations of the mean).
const LIMIT: f32 = 4.0;

/// A standard normal draw (Box-Muller).
fn gaussian(rng: &mut SplitMix64) -> f32 {
    let u = rng.unit().max(f64::MIN_POSITIVE);
    let v = rng.unit();
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}
