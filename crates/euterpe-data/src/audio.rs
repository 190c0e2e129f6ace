//! Recordings as training data: every audio file under a path cut into clips, each clip's
//! log-mel or MFCC frames computed with `euterpe-audio`, labelled with its recording's emotion
//! quadrant from a `labels.csv` (as `mer4q`'s), split by recording.

use std::path::{Path, PathBuf};

use euterpe_audio::batch::map_files;
use euterpe_audio::clips::{cut, ClipOptions};
use euterpe_audio::{audio_files, features, load, Audio, FeatureConfig, FeatureKind, LoadOptions};
use euterpe_base::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::task::EMOTION_CLASSES;
use crate::{DataConfig, DataError, Failure, LabelTable, Split, SplitRatios};

/// Which frames a clip becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AudioFeatures {
    /// Log-mel spectrogram in dB (`librosa.power_to_db(melspectrogram)`), `n_mels` per frame.
    #[default]
    LogMel,
    /// MFCCs, `n_mfcc` per frame.
    Mfcc,
    /// Log-mel followed by the 12 chroma values of the frame (pitch-class energies, which carry
    /// the mode that emotion's valence follows): `n_mels + 12` per frame.
    LogMelChroma,
}

/// How recordings become clips of features: `[data.audio]` in a training config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioDataConfig {
    /// Sample rate recordings are loaded at (default 22050).
    pub sample_rate: u32,
    /// Clip length in seconds (default 5, the seed's).
    pub clip_seconds: f64,
    /// Seconds between clip starts (default: the clip length).
    pub hop_seconds: Option<f64>,
    /// The frames' features (default "log-mel").
    pub features: AudioFeatures,
    /// Mel bands (default 128).
    pub n_mels: usize,
    /// MFCCs per frame, for `features = "mfcc"` (default 20).
    pub n_mfcc: usize,
    /// FFT size (default 2048).
    pub n_fft: usize,
    /// Samples between frames (default 512).
    pub hop_length: usize,
    /// Random changes to training clips (default none).
    #[serde(skip_serializing_if = "AudioAugment::is_off")]
    pub augment: AudioAugment,
}

/// Random changes to each training clip, drawn anew every pass, so that a model learns what
/// survives them: a level change, a shift of the whole spectrum by a few mel bands (a pitch
/// shift), SpecAugment's masks (Park et al. 2019) over time and over feature bands, and for
/// classifiers mixup (Zhang et al. 2018). Validation and test clips are never changed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioAugment {
    /// Every value of a clip shifted by a level drawn from ±this many dB (log-mel; default 0).
    pub gain_db: f32,
    /// Masks over time per clip (default 0).
    pub time_masks: usize,
    /// The longest time mask, in frames.
    pub time_mask_frames: usize,
    /// Masks over feature bands per clip (default 0).
    pub feature_masks: usize,
    /// The widest feature mask, in bands.
    pub feature_mask_bands: usize,
    /// Every frame moved up or down by up to this many bands, the edge band repeated into the
    /// bands left empty (log-mel features only; default 0).
    pub band_shift: usize,
    /// Mixup's α (default 0: off): each labelled training clip is blended with another clip of
    /// its batch, the other's share drawn from Beta(α, α) and folded below one half, and the
    /// loss blends the two labels in the same shares. For classifiers.
    pub mixup: f64,
}

impl AudioAugment {
    /// Whether nothing is changed.
    pub fn is_off(&self) -> bool {
        self.gain_db == 0.0
            && (self.time_masks == 0 || self.time_mask_frames == 0)
            && (self.feature_masks == 0 || self.feature_mask_bands == 0)
            && self.band_shift == 0
            && self.mixup == 0.0
    }

    /// Changes one clip of `frames × width` values in place; masked values take the clip's mean.
    pub fn apply(&self, values: &mut [f32], frames: usize, width: usize, rng: &mut SplitMix64) {
        if self.is_off() || values.is_empty() {
            return;
        }
        if self.gain_db > 0.0 {
            let gain = ((rng.unit() * 2.0 - 1.0) * f64::from(self.gain_db)) as f32;
            values.iter_mut().for_each(|v| *v += gain);
        }
        if self.band_shift > 0 {
            let reach = self.band_shift.min(width.saturating_sub(1));
            let shift = rng.below(2 * reach + 1) as isize - reach as isize;
            values
                .chunks_exact_mut(width)
                .for_each(|frame| shift_bands(frame, shift));
        }
        let mean = values.iter().sum::<f32>() / values.len() as f32;
        for _ in 0..self.time_masks {
            let length = rng.below(self.time_mask_frames + 1).min(frames);
            let start = rng.below(frames - length + 1);
            values[start * width..(start + length) * width].fill(mean);
        }
        for _ in 0..self.feature_masks {
            let bands = rng.below(self.feature_mask_bands + 1).min(width);
            let start = rng.below(width - bands + 1);
            for frame in values.chunks_exact_mut(width) {
                frame[start..start + bands].fill(mean);
            }
        }
    }
}

/// Moves a frame's bands up by `shift` (down if negative), repeating the edge band.
fn shift_bands(frame: &mut [f32], shift: isize) {
    let n = frame.len();
    let by = shift.unsigned_abs().min(n);
    if by == 0 || n == 0 {
        return;
    }
    if shift > 0 {
        frame.copy_within(0..n - by, by);
        let edge = frame[by];
        frame[..by].fill(edge);
    } else {
        frame.copy_within(by..n, 0);
        let edge = frame[n - by - 1];
        frame[n - by..].fill(edge);
    }
}

/// Blends each clip of a batch with another one (mixup): returns each clip's partner's label
/// and share. `clip` is the values of one clip.
fn mix_batch(
    values: &mut [f32],
    labels: &[u32],
    clip: usize,
    alpha: f64,
    rng: &mut SplitMix64,
) -> (Vec<u32>, Vec<f32>) {
    let batch = labels.len();
    let original = values.to_vec();
    let mut partners: Vec<usize> = (0..batch).collect();
    rng.shuffle(&mut partners);
    let mut shares = Vec::with_capacity(batch);
    for (b, &p) in partners.iter().enumerate() {
        let drawn = rng.beta(alpha) as f32;
        // The clip's own label keeps the larger share.
        let share = if p == b { 0.0 } else { drawn.min(1.0 - drawn) };
        let other = &original[p * clip..(p + 1) * clip];
        for (v, &o) in values[b * clip..(b + 1) * clip].iter_mut().zip(other) {
            *v += share * (o - *v);
        }
        shares.push(share);
    }
    (partners.iter().map(|&p| labels[p]).collect(), shares)
}

impl Default for AudioDataConfig {
    fn default() -> Self {
        AudioDataConfig {
            sample_rate: 22_050,
            clip_seconds: 5.0,
            hop_seconds: None,
            features: AudioFeatures::LogMel,
            n_mels: 128,
            n_mfcc: 20,
            n_fft: 2048,
            hop_length: 512,
            augment: AudioAugment::default(),
        }
    }
}

impl AudioDataConfig {
    /// Whether every value is the default (then a config file need not mention it).
    pub fn is_default(&self) -> bool {
        *self == AudioDataConfig::default()
    }

    /// Feature values per frame.
    pub fn width(&self) -> usize {
        match self.features {
            AudioFeatures::LogMel => self.n_mels,
            AudioFeatures::Mfcc => self.n_mfcc,
            AudioFeatures::LogMelChroma => self.n_mels + 12,
        }
    }

    /// The feature settings of `euterpe-audio`.
    pub fn feature_config(&self) -> FeatureConfig {
        let kind = match self.features {
            AudioFeatures::LogMel | AudioFeatures::LogMelChroma => FeatureKind::LogMel,
            AudioFeatures::Mfcc => FeatureKind::Mfcc,
        };
        FeatureConfig {
            n_mfcc: self.n_mfcc,
            ..FeatureConfig::with_layout(kind, self.n_fft, self.hop_length, self.n_mels)
        }
    }

    /// The clip settings.
    pub fn clip_options(&self) -> ClipOptions {
        ClipOptions {
            seconds: self.clip_seconds,
            hop_seconds: self.hop_seconds,
            pad_last: false,
        }
    }

    /// The frames of one clip, frame after frame (`[frames, width]`).
    pub fn clip_frames(&self, clip: &[f32]) -> Result<Vec<f32>, euterpe_audio::AudioError> {
        let mut parts = vec![features::compute(
            clip,
            self.sample_rate,
            &self.feature_config(),
        )?];
        if self.features == AudioFeatures::LogMelChroma {
            let chroma = FeatureConfig {
                kind: FeatureKind::Chroma,
                ..self.feature_config()
            };
            parts.push(features::compute(clip, self.sample_rate, &chroma)?);
        }
        let cols = parts[0].cols;
        let width: usize = parts.iter().map(|m| m.rows).sum();
        let mut frames = vec![0.0f32; width * cols];
        let mut offset = 0;
        for m in &parts {
            for r in 0..m.rows {
                for c in 0..cols {
                    frames[c * width + offset + r] = m.data[r * cols + c];
                }
            }
            offset += m.rows;
        }
        Ok(frames)
    }

    /// The clips of a recording, each as frames: what training and classification both see.
    pub fn recording_clips(&self, path: &Path) -> Result<Vec<Vec<f32>>, euterpe_audio::AudioError> {
        let audio = load(
            path,
            &LoadOptions {
                sample_rate: Some(self.sample_rate),
            },
        )?;
        self.clips_of(&audio)
    }

    /// The clips of a decoded signal (resampled to `sample_rate` first), each as frames.
    pub fn clips_of(&self, audio: &Audio) -> Result<Vec<Vec<f32>>, euterpe_audio::AudioError> {
        let samples = if audio.sample_rate == self.sample_rate {
            std::borrow::Cow::Borrowed(&audio.samples)
        } else {
            std::borrow::Cow::Owned(euterpe_audio::resample::resample(
                &audio.samples,
                audio.sample_rate,
                self.sample_rate,
            )?)
        };
        cut(&samples, self.sample_rate, &self.clip_options())?
            .iter()
            .map(|clip| self.clip_frames(clip))
            .collect()
    }
}

/// One clip: its frames, its label and its recording.
#[derive(Debug, Clone)]
pub struct AudioClip {
    /// `frames × width` feature values, frame after frame.
    pub values: Vec<f32>,
    /// The class (an index into [`AudioData::classes`]), `None` when unlabelled.
    pub label: Option<u32>,
    /// The recording (an index into its split's [`AudioData::recordings`]).
    pub recording: usize,
}

/// Clips of recordings per split.
#[derive(Debug, Clone)]
pub struct AudioData {
    /// Class names (the emotion quadrants when a label file is found; else none).
    pub classes: Vec<String>,
    /// Feature values per frame.
    pub width: usize,
    /// Frames per clip.
    pub frames: usize,
    /// Train, valid and test clips.
    pub splits: [Vec<AudioClip>; 3],
    /// The recordings (file stems) of each split.
    pub recordings: [Vec<String>; 3],
    /// The files of those recordings, in the same order.
    pub sources: [Vec<PathBuf>; 3],
}

/// A batch of clips.
#[derive(Debug, Clone)]
pub struct AudioBatch {
    /// Clips.
    pub batch: usize,
    /// Frames per clip.
    pub frames: usize,
    /// Values per frame.
    pub width: usize,
    /// `batch × frames × width` values.
    pub values: Vec<f32>,
    /// The class of each clip (0 for an unlabelled one, see `conditions`).
    pub labels: Vec<u32>,
    /// Under mixup, the class of the clip blended into each clip, and its share of the blend
    /// (`mixed_shares`); both empty without mixup.
    pub mixed_labels: Vec<u32>,
    /// The share of each clip's values that comes from the clip of `mixed_labels`.
    pub mixed_shares: Vec<f32>,
    /// What a conditioned model is told of each clip: 0 for nothing (an unlabelled clip, or one
    /// whose label was dropped), class i as i + 1.
    pub conditions: Vec<u32>,
    /// The recording of each clip (index within the split).
    pub recordings: Vec<usize>,
}

/// The labelled clips of one split, batched.
#[derive(Debug, Clone, Copy)]
pub struct AudioClips<'a> {
    data: &'a AudioData,
    split: usize,
    augment: Option<&'a AudioAugment>,
    /// Whether unlabelled clips are included (models that do not need labels).
    unlabelled: bool,
    /// Share of clips whose condition is dropped in shuffled passes.
    condition_dropout: f64,
}

impl AudioData {
    /// Loads every audio file under `path` as clips; unreadable files are skipped and returned.
    /// Labels come from `config.labels` or a `labels.csv` in `path` or beside it; its `split`
    /// column is used where given, else a seeded 70/15/15 split by recording.
    pub fn load(path: &Path, config: &DataConfig) -> Result<(AudioData, Vec<Failure>), DataError> {
        let audio = &config.audio;
        let files = audio_files(path).map_err(|e| DataError::io(&e.path, e.source))?;
        let labels = label_table(path, config)?;
        let jobs = std::thread::available_parallelism().map_or(1, usize::from);
        let outcomes = map_files(&files, jobs, |f| audio.recording_clips(f), || {});
        let classes: Vec<String> = if labels.is_some() {
            EMOTION_CLASSES.iter().map(|c| c.to_string()).collect()
        } else {
            Vec::new()
        };
        let mut data = AudioData {
            classes,
            width: audio.width(),
            frames: 0,
            splits: Default::default(),
            recordings: Default::default(),
            sources: Default::default(),
        };
        let mut failures = Vec::new();
        for outcome in outcomes {
            let clips = match outcome.result {
                Ok(c) if !c.is_empty() => c,
                Ok(_) => continue,
                Err(e) => {
                    failures.push(Failure {
                        path: outcome.file,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let stem = stem(&outcome.file);
            let row = labels.as_ref().and_then(|t| t.get(&stem));
            let split = row
                .and_then(|r| r.split)
                .unwrap_or_else(|| SplitRatios::default().assign(&stem, config.split_seed));
            let label = row
                .and_then(|r| r.label.emotion())
                .map(|e| u32::from(e.quadrant() - 1));
            let s = split.index();
            let recording = data.recordings[s].len();
            data.recordings[s].push(stem);
            data.sources[s].push(outcome.file.clone());
            data.frames = clips[0].len() / data.width.max(1);
            data.splits[s].extend(clips.into_iter().map(|values| AudioClip {
                values,
                label,
                recording,
            }));
        }
        if data.frames == 0 {
            return Err(DataError::UnsupportedPath {
                path: path.to_path_buf(),
                reason: format!(
                    "no recording gave a {} s clip ({} files, {} failed)",
                    audio.clip_seconds,
                    files.len(),
                    failures.len()
                ),
            });
        }
        Ok((data, failures))
    }

    /// The labelled clips of a split.
    pub fn clips(&self, split: Split) -> AudioClips<'_> {
        AudioClips {
            data: self,
            split: split.index(),
            augment: None,
            unlabelled: false,
            condition_dropout: 0.0,
        }
    }

    /// Every clip of a split, labelled or not (models that learn from the sound alone).
    pub fn all_clips(&self, split: Split) -> AudioClips<'_> {
        AudioClips {
            unlabelled: true,
            ..self.clips(split)
        }
    }

    /// Per-band mean and standard deviation of every frame of a split's clips (a band that
    /// never varies gets a deviation of 1, so that standardising it is harmless).
    pub fn band_statistics(&self, split: Split) -> (Vec<f32>, Vec<f32>) {
        let width = self.width.max(1);
        let mut sum = vec![0.0f64; width];
        let mut squares = vec![0.0f64; width];
        let mut n = 0usize;
        for clip in &self.splits[split.index()] {
            for frame in clip.values.chunks_exact(width) {
                for ((s, q), &v) in sum.iter_mut().zip(&mut squares).zip(frame) {
                    *s += f64::from(v);
                    *q += f64::from(v) * f64::from(v);
                }
                n += 1;
            }
        }
        let n = n.max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std = sum
            .iter()
            .zip(&squares)
            .map(|(s, q)| {
                let var = (q / n - (s / n).powi(2)).max(0.0);
                if var > 1e-12 {
                    var.sqrt() as f32
                } else {
                    1.0
                }
            })
            .collect();
        (mean, std)
    }

    /// The files of a split's recordings, in the order of [`AudioData::recordings`].
    pub fn sources(&self, split: Split) -> &[PathBuf] {
        &self.sources[split.index()]
    }

    /// Clips in a split.
    pub fn len(&self, split: Split) -> usize {
        self.splits[split.index()].len()
    }
}

impl<'a> AudioClips<'a> {
    /// The same clips, changed by `augment` in every shuffled pass (training).
    pub fn with_augmentation(self, augment: &'a AudioAugment) -> Self {
        AudioClips {
            augment: Some(augment),
            ..self
        }
    }

    /// The same clips with the condition of each dropped at random with probability `p` in
    /// every shuffled pass (so that a conditioned model also learns to do without).
    pub fn with_condition_dropout(self, p: f64) -> Self {
        AudioClips {
            condition_dropout: p,
            ..self
        }
    }

    /// The batches of one pass over the clips (labelled ones only, unless made by
    /// [`AudioData::all_clips`]), shuffled with `seed` (`None`: in order, never augmented, no
    /// condition dropped).
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<AudioBatch> {
        let clips = &self.data.splits[self.split];
        let mut order: Vec<usize> = (0..clips.len())
            .filter(|&i| self.unlabelled || clips[i].label.is_some())
            .collect();
        let mut rng = seed.map(SplitMix64::new);
        if let Some(rng) = rng.as_mut() {
            rng.shuffle(&mut order);
        }
        let (frames, width) = (self.data.frames, self.data.width);
        order
            .chunks(batch_size.max(1))
            .map(|chunk| {
                let mut values = Vec::with_capacity(chunk.len() * clips[0].values.len());
                let mut conditions = Vec::with_capacity(chunk.len());
                for &i in chunk {
                    let start = values.len();
                    values.extend_from_slice(&clips[i].values);
                    if let (Some(augment), Some(rng)) = (self.augment, rng.as_mut()) {
                        augment.apply(&mut values[start..], frames, width, rng);
                    }
                    let dropped = self.condition_dropout > 0.0
                        && rng
                            .as_mut()
                            .is_some_and(|r| r.unit() < self.condition_dropout);
                    conditions.push(match clips[i].label {
                        Some(l) if !dropped => l + 1,
                        _ => 0,
                    });
                }
                let labels: Vec<u32> = chunk.iter().map(|&i| clips[i].label.unwrap_or(0)).collect();
                let (mixed_labels, mixed_shares) = match (self.augment, rng.as_mut()) {
                    (Some(a), Some(rng)) if a.mixup > 0.0 && !self.unlabelled => {
                        mix_batch(&mut values, &labels, frames * width, a.mixup, rng)
                    }
                    _ => (Vec::new(), Vec::new()),
                };
                AudioBatch {
                    batch: chunk.len(),
                    frames,
                    width,
                    values,
                    labels,
                    mixed_labels,
                    mixed_shares,
                    conditions,
                    recordings: chunk.iter().map(|&i| clips[i].recording).collect(),
                }
            })
            .collect()
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The label file: the configured one, else `labels.csv` in the folder or beside it.
fn label_table(path: &Path, config: &DataConfig) -> Result<Option<LabelTable>, DataError> {
    let candidates: Vec<PathBuf> = match &config.labels {
        Some(p) => vec![p.clone()],
        None => {
            let dir = if path.is_dir() {
                path
            } else {
                path.parent().unwrap_or(path)
            };
            let mut c = vec![dir.join("labels.csv")];
            if let Some(parent) = dir.parent() {
                c.push(parent.join("labels.csv"));
            }
            c
        }
    };
    for c in candidates {
        if c.is_file() {
            return LabelTable::load(&c).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_cover_whole_frames_and_bands_with_the_mean() {
        let augment = AudioAugment {
            gain_db: 0.0,
            time_masks: 1,
            time_mask_frames: 3,
            feature_masks: 1,
            feature_mask_bands: 2,
            ..AudioAugment::default()
        };
        let (frames, width) = (10, 4);
        let original: Vec<f32> = (0..frames * width).map(|i| i as f32).collect();
        let mean = original.iter().sum::<f32>() / original.len() as f32;
        let mut changed_any = false;
        for seed in 0..20 {
            let mut v = original.clone();
            augment.apply(&mut v, frames, width, &mut SplitMix64::new(seed));
            for (a, b) in v.iter().zip(&original) {
                assert!(a == b || *a == mean);
            }
            changed_any |= v != original;
        }
        assert!(changed_any);
        assert!(AudioAugment::default().is_off());
    }

    #[test]
    fn a_band_shift_moves_whole_frames_and_repeats_the_edge() {
        let mut up = [1.0, 2.0, 3.0, 4.0, 5.0];
        shift_bands(&mut up, 2);
        assert_eq!(up, [1.0, 1.0, 1.0, 2.0, 3.0]);
        let mut down = [1.0, 2.0, 3.0, 4.0, 5.0];
        shift_bands(&mut down, -1);
        assert_eq!(down, [2.0, 3.0, 4.0, 5.0, 5.0]);
        // Through apply: every frame moves by the same amount, within the reach.
        let augment = AudioAugment {
            band_shift: 2,
            ..AudioAugment::default()
        };
        let (frames, width) = (3, 8);
        let original: Vec<f32> = (0..frames * width).map(|i| (i % width) as f32).collect();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let mut v = original.clone();
            augment.apply(&mut v, frames, width, &mut SplitMix64::new(seed));
            // Band 4 holds the value of band 4 − shift.
            let shift = 4 - v[4] as i64;
            assert!(shift.abs() <= 2);
            assert!(v.chunks(width).all(|f| f == &v[..width]));
            seen.insert(shift);
        }
        assert_eq!(seen.len(), 5, "every shift in −2..=2 is drawn: {seen:?}");
    }

    #[test]
    fn mixup_blends_clips_and_their_labels_in_the_same_shares() {
        let clip = 4;
        let labels = [0u32, 1, 2, 3, 0, 1];
        let original: Vec<f32> = (0..labels.len())
            .flat_map(|b| std::iter::repeat_n(b as f32 * 10.0, clip))
            .collect();
        let mut values = original.clone();
        let mut rng = SplitMix64::new(3);
        let (mixed, shares) = mix_batch(&mut values, &labels, clip, 0.4, &mut rng);
        assert_eq!((mixed.len(), shares.len()), (labels.len(), labels.len()));
        let mut blended = 0;
        for b in 0..labels.len() {
            assert!((0.0..=0.5).contains(&shares[b]), "the own label dominates");
            // The partner is the clip whose label was taken: find it by value.
            let own = b as f32 * 10.0;
            let v = values[b * clip];
            if shares[b] > 0.0 {
                let partner = (v - own * (1.0 - shares[b])) / shares[b] / 10.0;
                let p = partner.round() as usize;
                assert!((partner - p as f32).abs() < 1e-3, "{partner}");
                assert_eq!(mixed[b], labels[p]);
                blended += 1;
            } else {
                assert_eq!(v, own);
            }
        }
        assert!(blended >= 3, "most clips are blended: {blended}");
    }

    #[test]
    fn log_mel_with_chroma_puts_twelve_pitch_classes_after_the_mels() {
        let config = AudioDataConfig {
            features: AudioFeatures::LogMelChroma,
            n_mels: 16,
            ..AudioDataConfig::default()
        };
        // One second of A4: the chroma part peaks at A (index 9 from C) in every inner frame.
        let clip: Vec<f32> = (0..22_050)
            .map(|i| (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 22_050.0).sin() as f32)
            .collect();
        let frames = config.clip_frames(&clip).unwrap();
        let width = config.width();
        assert_eq!(width, 28);
        assert_eq!(frames.len(), width * (1 + 22_050 / 512));
        for frame in frames.chunks_exact(width).skip(4).take(30) {
            let chroma = &frame[16..];
            assert!(chroma.iter().all(|c| (0.0..=1.0).contains(c)));
            assert_eq!(chroma[9], 1.0, "{chroma:?}");
        }
    }

    #[test]
    fn a_gain_shifts_every_value_alike() {
        let augment = AudioAugment {
            gain_db: 6.0,
            ..AudioAugment::default()
        };
        let mut v = vec![1.0, 2.0, 3.0];
        augment.apply(&mut v, 3, 1, &mut SplitMix64::new(3));
        let d = v[0] - 1.0;
        assert!(d.abs() <= 6.0 && d != 0.0);
        assert!((v[2] - 3.0 - d).abs() < 1e-6);
    }
}
