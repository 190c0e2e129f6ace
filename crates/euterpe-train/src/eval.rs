//! Evaluation of any model (a directory or a built-in one) on any data file of its kind.

use std::path::{Path, PathBuf};

use euterpe_classify::{piece_scores, recording_scores, text_scores, ClassReport};
use euterpe_data::{Failure, Split, TaskData, TokenData};
use euterpe_models::{ModelBackend, ModelConfig};
use euterpe_store::ModelSource;
use serde::Serialize;

use crate::learner::evaluate_batches;
use crate::task::{pair, Paired};
use crate::TrainError;

/// The figures of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The model evaluated.
    pub model: String,
    /// Its kind.
    pub kind: String,
    /// The data file or folder.
    pub data: PathBuf,
    /// The split evaluated.
    pub split: String,
    /// Mean NLL in nats per token, or per frame (summed over the 88 keys).
    pub nll: f64,
    /// What the NLL is counted per ("token", "frame").
    pub unit: String,
    /// Scored frames (piano-roll models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<usize>,
    /// Scored tokens (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<usize>,
    /// Per-token perplexity (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perplexity: Option<f64>,
    /// Next-token accuracy (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Sequences in the split.
    pub sequences: usize,
    /// What a next-frame audio model's MSE compares with (its `nll` is the MSE per value in
    /// standardised units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baselines: Option<FrameBaselines>,
    /// A spectrogram encoder-decoder's figures on sound (its `nll` is the MSE per value in
    /// standardised units).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<crate::reconstruction::ReconstructionReport>,
    /// Piece-level figures of a classifier (its `nll` and `accuracy` count windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassReport>,
    /// A melody GAN's bars against the real ones of the split (its `nll` is their distance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub melody: Option<crate::adversarial::MelodyReport>,
    /// A multi-track GAN's phrases against the real ones of the split, by MuseGAN's metrics
    /// (its `nll` is their gap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrangement: Option<crate::multitrack_gan::ArrangementReport>,
    /// A style-transfer GAN's held-out phrases transferred both ways (its `nll` is the mean of
    /// metric gap + onsets lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<crate::style_transfer::TransferReport>,
    /// Files of a MIDI folder that could not be read, and why (the figures cover the rest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
}

/// Recordings whose first clip an encoder-decoder's evaluation resynthesises (Griffin-Lim is
/// the slow part: about a second per clip).
pub const RESYNTHESIS_CLIPS: usize = 200;

/// The MSE per value (standardised units, as the model's) of two predictors that learn nothing,
/// on the same frames as the model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FrameBaselines {
    /// Each frame predicted to repeat the one before it.
    pub repeat_last: f64,
    /// Each frame predicted to be the training split's mean frame.
    pub training_mean: f64,
}

impl FrameBaselines {
    /// The baselines on every predicted frame (all but the first of each clip) of `batches`,
    /// standardised with `mean` and `std` per band.
    pub fn of(batches: &[euterpe_data::AudioBatch], mean: &[f32], std: &[f32]) -> FrameBaselines {
        let (mut last, mut average, mut values) = (0.0f64, 0.0f64, 0usize);
        for b in batches {
            for clip in b.values.chunks_exact(b.frames * b.width) {
                let z: Vec<f64> = clip
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let k = i % b.width;
                        f64::from((v - mean[k]) / std[k])
                    })
                    .collect();
                for t in 1..b.frames {
                    for k in 0..b.width {
                        let target = z[t * b.width + k];
                        last += (target - z[(t - 1) * b.width + k]).powi(2);
                        average += target * target;
                    }
                    values += b.width;
                }
            }
        }
        let n = values.max(1) as f64;
        FrameBaselines {
            repeat_last: last / n,
            training_mean: average / n,
        }
    }
}

/// Evaluates the model of `source` on a split of `data_path`, read the way the model's training
/// data was (its `[data]` settings).
///
/// For piano-roll data this is the standard benchmark figure: each frame's loss is the Bernoulli
/// NLL summed over the 88 keys, the first frame of each sequence is not scored, and the total is
/// divided by the number of scored frames.
pub fn evaluate<B: ModelBackend>(
    source: &ModelSource,
    data_path: &Path,
    split: Split,
    device: &B::Device,
) -> Result<EvalReport, TrainError> {
    let loaded = source.load::<B>(device)?;
    let (data, tokenized) = TaskData::load(data_path, &loaded.data.for_path(data_path))?;
    if data.is_empty(split) {
        return Err(TrainError::Unusable(format!(
            "{}: the {split} split is empty",
            data_path.display()
        )));
    }
    let bs = 64;
    let mut report = EvalReport {
        model: loaded.name.clone(),
        kind: loaded.config.kind_name().to_string(),
        data: data_path.to_path_buf(),
        split: split.to_string(),
        nll: f64::NAN,
        unit: String::new(),
        frames: None,
        tokens: None,
        perplexity: None,
        accuracy: None,
        sequences: data.len(split),
        baselines: None,
        reconstruction: None,
        classification: None,
        melody: None,
        arrangement: None,
        transfer: None,
        failures: tokenized.failures,
    };
    match pair(loaded.model, &loaded.config, &data, data_path)? {
        Paired::Tokens { model, data } => {
            let same_vocab = loaded
                .tokenizer
                .as_ref()
                .is_some_and(|t| t.vocab().to_json() == data.vocab.to_json());
            if !same_vocab {
                return Err(TrainError::Unusable(format!(
                    "{}: its vocabulary differs from the model's (tokenise it with the model's scheme and grid)",
                    data_path.display()
                )));
            }
            let mut windows = data.windows(split, Some(loaded.data.seq_len));
            // A masked-token model is scored on the tokens it hides, as it was validated.
            if let Some(masking) = data.masking(loaded.data.mask_chance) {
                windows = windows.with_masking(masking);
            }
            let batches = windows.batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "token".into();
            report.tokens = Some(t.count);
            report.perplexity = Some(t.mean().exp());
            report.accuracy = t.accuracy();
        }
        Paired::Classes { model, data } => {
            if data.vocab.to_json()
                != loaded
                    .tokenizer
                    .as_ref()
                    .map(|t| t.vocab().to_json())
                    .unwrap_or_default()
            {
                return Err(TrainError::Unusable(format!(
                    "{}: its vocabulary differs from the model's (tokenise it with the model's scheme and grid)",
                    data_path.display()
                )));
            }
            let classes = match &loaded.config {
                ModelConfig::Classifier(c) => c.classes.clone(),
                _ => Vec::new(),
            };
            let data = in_model_classes(data, &classes, data_path)?;
            let batches = data
                .class_windows(split, loaded.data.seq_len)
                .batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "window".into();
            report.accuracy = t.accuracy();
            let scores = piece_scores(&model, &batches, device);
            report.classification = Some(ClassReport::from_scores(&classes, &scores));
        }
        Paired::Frames { model, data } => {
            let limit = loaded
                .config
                .core()
                .and_then(|c| c.max_len())
                .map(|m| m - 1);
            let batches = data.windows(split, limit).batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "frame".into();
            report.frames = Some(t.count);
        }
        Paired::AudioFrames { model, data } => {
            let batches = data.all_clips(split).batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "frame".into();
            report.frames = Some(t.count);
            if let ModelConfig::AudioLm(c) = &loaded.config {
                report.baselines = Some(FrameBaselines::of(&batches, &c.mean, &c.std));
            }
        }
        Paired::AudioCodes { model, data } => {
            let batches = data.all_clips(split).batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "clip".into();
            report.reconstruction = Some(crate::reconstruction::reconstruction_report(
                &model,
                data,
                &loaded.data.audio,
                split,
                RESYNTHESIS_CLIPS,
                device,
            )?);
        }
        Paired::LeadSheets { model, data } => {
            let batches = data.pairs(split).batches(bs, None);
            let (written, real) = crate::adversarial::write_bars(&model, &batches, device);
            let m = crate::adversarial::MelodyReport::of(&written, &real);
            report.nll = m.distance;
            report.unit = "bar".into();
            report.melody = Some(m);
        }
        Paired::MultiTrack { model, data } => {
            let tracks = match &loaded.config {
                ModelConfig::MuseGan(c) => c.tracks.clone(),
                _ => Vec::new(),
            };
            if tracks != data.tracks {
                return Err(TrainError::Unusable(format!(
                    "{}: its tracks ({}) differ from the model's ({})",
                    data_path.display(),
                    data.tracks.join(", "),
                    tracks.join(", ")
                )));
            }
            let real: Vec<_> = data
                .phrases(split)
                .batches(bs, None)
                .iter()
                .flat_map(crate::multitrack_gan::batch_phrases)
                .collect();
            let written = crate::multitrack_gan::write_phrases(&model, real.len(), 0x6a11, device);
            let m = crate::multitrack_gan::ArrangementReport::of(&written, &real, &tracks);
            report.nll = m.distance;
            report.unit = "phrase".into();
            report.arrangement = Some(m);
        }
        Paired::Transfer { model, data } => {
            let styles = match &loaded.config {
                ModelConfig::CycleGan(c) => c.styles.clone(),
                _ => Vec::new(),
            };
            let batches = data.phrases(split).batches(bs, None);
            let t = crate::style_transfer::TransferReport::of(&model, &batches, &styles, device);
            report.nll = t.distance;
            report.unit = "phrase".into();
            report.transfer = Some(t);
        }
        Paired::TextClasses { model, data } => {
            let classes = match &loaded.config {
                ModelConfig::TextHead(c) => c.classes.clone(),
                _ => Vec::new(),
            };
            let data = data
                .in_classes(&classes)
                .map_err(|e| TrainError::Unusable(e.to_string()))?;
            let batches = data.examples(split, false).batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "text".into();
            report.accuracy = t.accuracy();
            let scores = text_scores(&model, &batches, device);
            report.classification = Some(ClassReport::from_scores(&classes, &scores));
        }
        Paired::AudioClasses { model, data } => {
            let classes = match &loaded.config {
                ModelConfig::AudioClassifier(c) => c.classes.clone(),
                _ => Vec::new(),
            };
            if classes != data.classes {
                return Err(TrainError::Unusable(format!(
                    "{}: its classes ({}) differ from the model's ({})",
                    data_path.display(),
                    data.classes.join(", "),
                    classes.join(", ")
                )));
            }
            let batches = data.clips(split).batches(bs, None);
            let t = evaluate_batches(&model, &batches, device);
            report.nll = t.mean();
            report.unit = "clip".into();
            report.accuracy = t.accuracy();
            let scores = recording_scores(&model, &batches, device);
            report.classification = Some(ClassReport::from_scores(&classes, &scores));
        }
    }
    Ok(report)
}

/// The data with its labels renumbered in the model's classes (the data may hold a subset of
/// them, in another order); a class the model does not know is an error.
fn in_model_classes(
    data: &TokenData,
    classes: &[String],
    path: &Path,
) -> Result<TokenData, TrainError> {
    let index = euterpe_data::class_renumbering(&data.classes, classes)
        .map_err(|e| TrainError::Unusable(format!("{}: {e}", path.display())))?;
    let mut out = data.clone();
    for split in &mut out.labels {
        for label in split.iter_mut() {
            *label = label.map(|l| index[l as usize]);
        }
    }
    out.classes = classes.to_vec();
    Ok(out)
}
