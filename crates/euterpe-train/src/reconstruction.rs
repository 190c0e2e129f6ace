//! How much of a recording survives a spectrogram encoder-decoder, measured on sound: each clip's
//! log-mel spectrogram is turned back into a signal by Griffin-Lim twice, once as it is (the
//! ceiling: what the mel representation itself loses) and once after the model's code (what the
//! model loses on top), and both signals are compared with the clip's own STFT magnitudes by
//! spectral convergence and log-spectral distance.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use euterpe_audio::clips::cut;
use euterpe_audio::inverse::{
    features_to_audio, log_spectral_distance, spectral_convergence, GriffinLimOptions,
};
use euterpe_audio::{features, load, FeatureConfig, FeatureKind, LoadOptions, Matrix};
use euterpe_data::{AudioData, AudioDataConfig, AudioFeatures, Split};
use euterpe_models::{AudioAutoencoder, ModelBackend};
use serde::Serialize;

use crate::TrainError;

/// Spectral distances of a resynthesised signal from the original.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SpectralFigures {
    /// `‖|S| − |Ŝ|‖_F / ‖|S|‖_F`, averaged over clips (0 is perfect).
    pub spectral_convergence: f64,
    /// Root mean square of the dB ratio of magnitudes, averaged over frames and clips.
    pub log_spectral_distance: f64,
}

/// The figures of an encoder-decoder against the Griffin-Lim ceiling.
#[derive(Debug, Clone, Serialize)]
pub struct ReconstructionReport {
    /// Clips measured (the first clip of each recording of the split).
    pub clips: usize,
    /// Griffin-Lim on the true log-mel spectrogram.
    pub ceiling: SpectralFigures,
    /// Griffin-Lim on the model's reconstruction.
    pub autoencoder: SpectralFigures,
    /// Root mean square error of the reconstructed log-mel spectrogram, dB.
    pub mel_rmse_db: f64,
    /// Recordings that could not be read again, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<(PathBuf, String)>,
}

/// One clip: its samples and its log-mel frames (`frames × bands`).
struct Clip {
    samples: Vec<f32>,
    mel: Vec<f32>,
}

/// Measures `model` on the first clip of each of at most `max_clips` recordings of `split`.
pub fn reconstruction_report<B: ModelBackend>(
    model: &AudioAutoencoder<B>,
    data: &AudioData,
    audio: &AudioDataConfig,
    split: Split,
    max_clips: usize,
    device: &B::Device,
) -> Result<ReconstructionReport, TrainError> {
    if audio.features != AudioFeatures::LogMel {
        return Err(TrainError::Unusable(
            "resynthesis figures need log-mel frames (data.audio.features = \"log-mel\")".into(),
        ));
    }
    let mut clips = Vec::new();
    let mut failures = Vec::new();
    for path in data.sources(split).iter().take(max_clips) {
        match first_clip(audio, path) {
            Ok(Some(c)) => clips.push(c),
            Ok(None) => {}
            Err(e) => failures.push((path.clone(), e)),
        }
    }
    let reconstructed = reconstruct(model, &clips, data.width, device);
    let bands = data.width;
    let (mut squares, mut values) = (0.0f64, 0usize);
    for (clip, mel) in clips.iter().zip(&reconstructed) {
        for (a, b) in clip.mel.iter().zip(mel) {
            squares += f64::from(a - b).powi(2);
        }
        values += mel.len();
    }
    let config = audio.feature_config();
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = clips.len().div_ceil(jobs).max(1);
    let pairs: Vec<(SpectralFigures, SpectralFigures)> = std::thread::scope(|scope| {
        let handles: Vec<_> = clips
            .chunks(chunk)
            .zip(reconstructed.chunks(chunk))
            .map(|(cs, rs)| {
                let config = &config;
                scope.spawn(move || {
                    cs.iter()
                        .zip(rs)
                        .map(|(c, r)| {
                            let sr = audio.sample_rate;
                            (
                                resynthesis(c, &c.mel, bands, sr, config),
                                resynthesis(c, r, bands, sr, config),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mean = |f: fn(&(SpectralFigures, SpectralFigures)) -> SpectralFigures| {
        let n = pairs.len().max(1) as f64;
        let (sc, lsd) = pairs.iter().map(f).fold((0.0, 0.0), |(a, b), x| {
            (a + x.spectral_convergence, b + x.log_spectral_distance)
        });
        SpectralFigures {
            spectral_convergence: sc / n,
            log_spectral_distance: lsd / n,
        }
    };
    Ok(ReconstructionReport {
        clips: pairs.len(),
        ceiling: mean(|p| p.0),
        autoencoder: mean(|p| p.1),
        mel_rmse_db: (squares / values.max(1) as f64).sqrt(),
        failures,
    })
}

/// The first whole clip of a recording, read as training read it.
fn first_clip(audio: &AudioDataConfig, path: &std::path::Path) -> Result<Option<Clip>, String> {
    let signal = load(
        path,
        &LoadOptions {
            sample_rate: Some(audio.sample_rate),
        },
    )
    .map_err(|e| e.to_string())?;
    let Some(samples) = cut(&signal.samples, audio.sample_rate, &audio.clip_options())
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let mel = audio.clip_frames(&samples).map_err(|e| e.to_string())?;
    Ok(Some(Clip { samples, mel }))
}

/// The model's reconstruction of every clip's log-mel frames, in dB.
fn reconstruct<B: ModelBackend>(
    model: &AudioAutoencoder<B>,
    clips: &[Clip],
    bands: usize,
    device: &B::Device,
) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(clips.len());
    for batch in clips.chunks(16) {
        let frames = batch[0].mel.len() / bands.max(1);
        let values: Vec<f32> = batch.iter().flat_map(|c| c.mel.iter().copied()).collect();
        let x = Tensor::<B, 3>::from_data(
            TensorData::new(values, [batch.len(), frames, bands]),
            device,
        );
        let y: Vec<f32> = model
            .reconstruct(x)
            .into_data()
            .to_vec()
            .unwrap_or_default();
        out.extend(y.chunks(frames * bands).map(<[f32]>::to_vec));
    }
    out
}

/// Spectral distances of Griffin-Lim's signal from `mel` (`frames × bands`, dB) to the clip.
fn resynthesis(
    clip: &Clip,
    mel: &[f32],
    bands: usize,
    sample_rate: u32,
    config: &FeatureConfig,
) -> SpectralFigures {
    let frames = mel.len() / bands.max(1);
    let magnitude = FeatureConfig {
        kind: FeatureKind::Stft,
        ..config.clone()
    };
    let options = GriffinLimOptions {
        length: Some(clip.samples.len()),
        ..GriffinLimOptions::default()
    };
    let figures = || -> Result<SpectralFigures, euterpe_audio::AudioError> {
        let matrix = Matrix::from_frames(bands, frames, mel);
        let signal = features_to_audio(&matrix, sample_rate, config, &options)?;
        let reference = features::compute(&clip.samples, sample_rate, &magnitude)?;
        let estimate = features::compute(&signal, sample_rate, &magnitude)?;
        Ok(SpectralFigures {
            spectral_convergence: spectral_convergence(&reference, &estimate),
            log_spectral_distance: log_spectral_distance(&reference, &estimate),
        })
    };
    figures().unwrap_or(SpectralFigures {
        spectral_convergence: f64::NAN,
        log_spectral_distance: f64::NAN,
    })
}
