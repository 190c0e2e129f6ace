//! The training loop, the same for every kind of model: epochs of shuffled batches, the
//! learning-rate schedule, validation and early stopping, atomic checkpoints and `--resume`,
//! `metrics.jsonl`, the curve plot and the model card. What a kind does with a batch is its
//! [`Learner`]'s business.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use euterpe_base::{read_file, write_atomically};
use euterpe_data::batch::{
    ClassBatch, ClassWindows, FrameBatch, FrameWindows, TokenBatch, TokenWindows, Transposition,
};
use euterpe_data::{AudioBatch, AudioClips, Split, TaskData};
use euterpe_models::TrainingBackend;
use euterpe_store::files;
use serde::{Deserialize, Serialize};

use crate::finetune::{init_from, layer_groups, Strategy};
use crate::learner::{Learner, LikelihoodLearner};
use crate::metrics::{self, EpochMetrics};
use crate::schedule::learning_rate;
use crate::task::{pair, resolve, Paired};
use crate::{TrainConfig, TrainError};

/// Receives progress; the CLI draws it, tests ignore it.
pub trait TrainObserver {
    /// An epoch of `batches` batches begins; losses are counted in `unit`s.
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _batches: usize, _unit: &str) {}
    /// A batch was trained on: its mean loss per unit, the learning rate, and how many units
    /// (tokens, frames) it held.
    fn batch_done(&mut self, _loss: f64, _lr: f64, _units: usize) {}
    /// An epoch ended.
    fn epoch_done(&mut self, _metrics: &EpochMetrics) {}
    /// Something worth telling the user.
    fn note(&mut self, _message: &str) {}
    /// Asked after every epoch: whether the run should end now (a tuner pruning a hopeless
    /// trial). The model directory is finished as after early stopping.
    fn should_stop(&mut self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl TrainObserver for Silent {}

/// Where and how to run.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The model directory to write.
    pub out: PathBuf,
    /// Continue from the directory's last checkpoint.
    pub resume: bool,
    /// The data the run trains on (for messages and the model card).
    pub data_path: PathBuf,
    /// The command line (for the model card).
    pub command: String,
}

/// What a run achieved.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    /// The model directory.
    pub out: PathBuf,
    /// The kind of model (`token_lm`, `frame_lm`).
    pub kind: String,
    /// Epochs completed (including those before a resume).
    pub epochs: usize,
    /// The best epoch.
    pub best_epoch: usize,
    /// Its validation NLL per unit.
    pub best_valid_nll: f64,
    /// What the NLL is counted per ("token", "frame").
    pub unit: String,
    /// What the loss is: "NLL (nats)", or "MSE (standardised)" for next-frame audio models.
    pub loss: String,
    /// What the validation figure is (the loss, or a GAN's bar-statistics distance).
    pub valid: String,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Training seconds (including those before a resume).
    pub seconds: f64,
    /// Trainable parameters.
    pub parameters: usize,
    /// The device it trained on.
    pub device: String,
}

/// The loop's state, saved with every checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LoopState {
    epoch: usize,
    step: usize,
    best_valid: Option<f64>,
    best_epoch: usize,
    bad_epochs: usize,
    seconds: f64,
}

/// Windows that give a fresh list of batches every epoch.
pub trait BatchSource {
    /// The batches.
    type Batch;
    /// The batches of one pass, shuffled with `seed` (`None`: in a fixed order).
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<Self::Batch>;
}

impl BatchSource for TokenWindows {
    type Batch = TokenBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<TokenBatch> {
        TokenWindows::batches(self, batch_size, seed)
    }
}

impl BatchSource for ClassWindows {
    type Batch = ClassBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<ClassBatch> {
        ClassWindows::batches(self, batch_size, seed)
    }
}

impl BatchSource for AudioClips<'_> {
    type Batch = AudioBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<AudioBatch> {
        AudioClips::batches(self, batch_size, seed)
    }
}

impl BatchSource for euterpe_data::TextExamples<'_> {
    type Batch = euterpe_data::TextBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<Self::Batch> {
        euterpe_data::TextExamples::batches(self, batch_size, seed)
    }
}

impl BatchSource for euterpe_data::Phrases {
    type Batch = euterpe_data::PhraseBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<Self::Batch> {
        euterpe_data::Phrases::batches(self, batch_size, seed)
    }
}

impl BatchSource for euterpe_data::BarPairs {
    type Batch = euterpe_data::BarBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<euterpe_data::BarBatch> {
        euterpe_data::BarPairs::batches(self, batch_size, seed)
    }
}

impl BatchSource for euterpe_data::PhrasePairs {
    type Batch = euterpe_data::PhrasePairBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<Self::Batch> {
        euterpe_data::PhrasePairs::batches(self, batch_size, seed)
    }
}

impl BatchSource for FrameWindows {
    type Batch = FrameBatch;
    fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<FrameBatch> {
        FrameWindows::batches(self, batch_size, seed)
    }
}

/// The validation batches of a run: all of them, or with `train.valid_batches` a fixed random
/// sample of that many (the same every epoch, so that epochs compare).
fn valid_batches<W: BatchSource>(windows: &W, t: &crate::config::LoopConfig) -> Vec<W::Batch> {
    if t.valid_batches == 0 {
        return windows.batches(t.eval_batch_size, None);
    }
    let mut batches = windows.batches(t.eval_batch_size, Some(0x05ee_d0f7_a11d));
    batches.truncate(t.valid_batches);
    batches
}

/// Trains the model `config` describes on `data`, writing the model directory `options.out`.
pub fn train<B: TrainingBackend>(
    data: &TaskData,
    config: &TrainConfig,
    options: &TrainOptions,
    device: &B::Device,
    observer: &mut dyn TrainObserver,
) -> Result<TrainSummary, TrainError> {
    for (split, name) in [(Split::Train, "training"), (Split::Valid, "validation")] {
        if data.is_empty(split) {
            return Err(TrainError::Unusable(format!(
                "{}: no {name} sequences (a {} split is needed)",
                options.data_path.display(),
                split
            )));
        }
    }
    let config = TrainConfig {
        model: resolve(&config.model, data, &options.data_path)?,
        ..config.clone()
    };
    config.validate().map_err(|reason| TrainError::Config {
        path: options.out.join(files::CONFIG),
        reason,
    })?;
    B::seed(device, config.train.seed);
    let mut model = config.model.init::<B>(device);
    if let (Some(dir), false) = (&config.train.init_from, options.resume) {
        let (pretrained, report) = init_from(model, &config.model, dir, data, device)?;
        model = pretrained;
        observer.note(&format!(
            "initialised from {}: {} tensors ({} values) copied, {} new{}",
            dir.display(),
            report.copied,
            report.copied_values,
            report.fresh.len(),
            if report.fresh.is_empty() {
                String::new()
            } else {
                format!(" ({})", report.fresh.join(", "))
            }
        ));
    }
    // After the pretrained model is read: a bad --init-from leaves no model directory behind.
    prepare_dir(&config, options, data)?;
    let t = &config.train;
    let run = Run {
        config: &config,
        options,
        data,
        observer,
    };
    match pair(model, &config.model, data, &options.data_path)? {
        Paired::Tokens { model, data } => {
            let steps = Some(config.data.seq_len);
            let mut valid = data.windows(Split::Valid, steps);
            let mut train = data.training_windows(steps, &config.data.condition_dropout);
            if let Some(masking) = data.masking(config.data.mask_chance) {
                valid = valid.with_masking(masking);
                train = train.with_masking(masking);
            }
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &train,
                &valid_batches(&valid, t),
                device,
            )
        }
        Paired::Frames { model, data } => {
            // Whole piano-roll sequences unless a frame window is set or the Transformer's
            // positions limit the length.
            let limit = config.model.core().and_then(|c| c.max_len()).map(|m| m - 1);
            let window = (config.data.frame_window > 0).then_some(config.data.frame_window);
            let valid = valid_batches(&data.windows(Split::Valid, limit), t);
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &data
                    .windows(Split::Train, window.or(limit))
                    .with_transposition(config.data.transpose),
                &valid,
                device,
            )
        }
        Paired::Classes { model, data } => {
            let steps = config.data.seq_len;
            let valid = valid_batches(&data.class_windows(Split::Valid, steps), t);
            let mut train = data.class_windows(Split::Train, steps);
            if config.data.transpose > 0 {
                train = train
                    .with_transposition(Transposition::new(&data.vocab, config.data.transpose));
            }
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &train,
                &valid,
                device,
            )
        }
        Paired::AudioFrames { model, data } => {
            let dropout = match &config.model {
                euterpe_models::ModelConfig::AudioLm(c) => c.condition_dropout,
                _ => 0.0,
            };
            let valid = valid_batches(&data.all_clips(Split::Valid), t);
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &data
                    .all_clips(Split::Train)
                    .with_augmentation(&config.data.audio.augment)
                    .with_condition_dropout(dropout),
                &valid,
                device,
            )
        }
        Paired::AudioCodes { model, data } => {
            let valid = valid_batches(&data.all_clips(Split::Valid), t);
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &data
                    .all_clips(Split::Train)
                    .with_augmentation(&config.data.audio.augment),
                &valid,
                device,
            )
        }
        Paired::LeadSheets { model, data } => {
            let euterpe_models::ModelConfig::MelodyGan(gan) = &config.model else {
                unreachable!("pair() gives lead sheets to melody GANs only")
            };
            let valid = valid_batches(&data.pairs(Split::Valid), t);
            run.run(
                crate::adversarial::GanLearner::new(model, gan, &config.optim, device),
                &data.pairs(Split::Train),
                &valid,
                device,
            )
        }
        Paired::MultiTrack { model, data } => {
            let euterpe_models::ModelConfig::MuseGan(gan) = &config.model else {
                unreachable!("pair() gives multi-track phrases to multi-track GANs only")
            };
            let valid = valid_batches(&data.phrases(Split::Valid), t);
            run.run(
                crate::multitrack_gan::MultiTrackGanLearner::new(model, gan, &config.optim, device),
                &data.phrases(Split::Train),
                &valid,
                device,
            )
        }
        Paired::Transfer { model, data } => {
            let euterpe_models::ModelConfig::CycleGan(gan) = &config.model else {
                unreachable!("pair() gives phrases of two styles to style-transfer GANs only")
            };
            let valid = valid_batches(&data.phrases(Split::Valid), t);
            run.run(
                crate::style_transfer::StyleTransferLearner::new(model, gan, &config.optim, device),
                &data.phrases(Split::Train),
                &valid,
                device,
            )
        }
        Paired::TextClasses { model, data } => {
            let subsets = config.data.text.as_ref().is_some_and(|t| t.word_subsets);
            let valid = valid_batches(&data.examples(Split::Valid, false), t);
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &data.examples(Split::Train, subsets),
                &valid,
                device,
            )
        }
        Paired::AudioClasses { model, data } => {
            let valid = valid_batches(&data.clips(Split::Valid), t);
            run.run(
                LikelihoodLearner::new(model, &config.optim),
                &data
                    .clips(Split::Train)
                    .with_augmentation(&config.data.audio.augment),
                &valid,
                device,
            )
        }
    }
}

/// Checks that `out` can take this run, and writes its config and vocabulary.
fn prepare_dir(
    config: &TrainConfig,
    options: &TrainOptions,
    data: &TaskData,
) -> Result<(), TrainError> {
    let out = &options.out;
    let state = out.join(files::CHECKPOINT).join("state.json");
    if options.resume {
        if !state.is_file() {
            return Err(TrainError::dir(
                out,
                "nothing to resume: no checkpoint/state.json",
            ));
        }
        let saved = TrainConfig::load(&out.join(files::CONFIG), &[])?;
        if saved.model != config.model || saved.data != config.data {
            return Err(TrainError::dir(
                out,
                "the model or data settings differ from the run being resumed",
            ));
        }
    } else if state.is_file() || out.join(files::WEIGHTS).is_file() {
        return Err(TrainError::dir(
            out,
            "already holds a trained model; pass --resume to continue it, or choose another --out",
        ));
    }
    std::fs::create_dir_all(out.join(files::CHECKPOINT)).map_err(|e| TrainError::io(out, e))?;
    let toml = config.to_toml();
    write_atomically(&out.join(files::CONFIG), |w| w.write_all(toml.as_bytes()))?;
    if let TaskData::Tokens(t) = data {
        t.vocab.save(&out.join(files::VOCAB))?;
    }
    Ok(())
}

/// One training run: what stays fixed while the learner changes.
struct Run<'a> {
    config: &'a TrainConfig,
    options: &'a TrainOptions,
    data: &'a TaskData,
    observer: &'a mut dyn TrainObserver,
}

impl Run<'_> {
    fn run<B, L, W>(
        self,
        mut learner: L,
        train_windows: &W,
        valid_batches: &[L::Batch],
        device: &B::Device,
    ) -> Result<TrainSummary, TrainError>
    where
        B: AutodiffBackend,
        L: Learner<B>,
        W: BatchSource<Batch = L::Batch>,
    {
        let Run {
            config,
            options,
            data,
            observer,
        } = self;
        let t = &config.train;
        let out = &options.out;
        let checkpoints = out.join(files::CHECKPOINT);
        let metrics_path = out.join(files::METRICS);
        let mut steps_per_epoch = train_windows.batches(t.batch_size, Some(0)).len();
        if t.max_batches_per_epoch > 0 {
            steps_per_epoch = steps_per_epoch.min(t.max_batches_per_epoch);
        }
        let total_steps = steps_per_epoch * t.epochs;
        let parameters = learner.parameters();
        let unit = learner.unit();
        let loss_name = learner.loss_name();

        let mut state = LoopState::default();
        let mut history = Vec::new();
        if options.resume {
            state = load_state(&checkpoints)?;
            learner = learner.load_checkpoint(&checkpoints, state.epoch, device)?;
            history = metrics::read(&metrics_path, state.epoch)?;
            metrics::rewrite(&metrics_path, &history)?;
            observer.note(&format!(
                "resuming after epoch {} (step {})",
                state.epoch, state.step
            ));
        } else {
            let _ = std::fs::remove_file(&metrics_path);
        }

        let mut stopped_early = false;
        for epoch in state.epoch + 1..=t.epochs {
            if t.patience > 0 && state.bad_epochs >= t.patience {
                stopped_early = true;
                observer.note(&format!(
                    "early stop: no better validation loss for {} epochs",
                    t.patience
                ));
                break;
            }
            // Reseeding per epoch makes a resumed run identical to an uninterrupted one.
            B::seed(device, t.seed.wrapping_add(epoch as u64 * 1_000_003));
            let mut batches = train_windows.batches(
                t.batch_size,
                Some(t.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9)),
            );
            batches.truncate(steps_per_epoch);
            let mut trainable = None;
            if t.strategy != Strategy::Full {
                let groups = layer_groups(&config.model);
                let strategy = t.strategy;
                let (next, n) =
                    learner.set_trainable(groups, &|g| strategy.trains(g, groups, epoch));
                learner = next;
                trainable = Some(n);
            }
            observer.epoch_started(epoch, t.epochs, batches.len(), unit);
            let started = Instant::now();
            let (mut sum, mut count, mut lr) = (0.0, 0usize, config.optim.lr);
            for (i, batch) in batches.iter().enumerate() {
                lr = learning_rate(
                    config.optim.lr,
                    &config.schedule,
                    state.step,
                    total_steps,
                    steps_per_epoch,
                );
                let (next, loss) = learner.train_step(batch, lr, device);
                learner = next;
                if !loss.sum.is_finite() {
                    return Err(TrainError::Diverged {
                        epoch,
                        batch: i + 1,
                        value: loss.sum,
                    });
                }
                sum += loss.sum;
                count += loss.count;
                state.step += 1;
                observer.batch_done(loss.sum / loss.count.max(1) as f64, lr, loss.count);
            }
            let valid = learner.validate(valid_batches, device);
            if !valid.mean().is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    batch: batches.len(),
                    value: valid.mean(),
                });
            }
            let is_best = state.best_valid.is_none_or(|b| valid.mean() < b);
            if is_best {
                state.best_valid = Some(valid.mean());
                state.best_epoch = epoch;
                state.bad_epochs = 0;
                learner.save_weights(&out.join(files::WEIGHTS))?;
            } else {
                state.bad_epochs += 1;
            }
            let extras = learner.epoch_end(out, valid_batches, device)?;
            for note in &extras.notes {
                observer.note(note);
            }
            state.epoch = epoch;
            state.seconds += started.elapsed().as_secs_f64();
            let m = EpochMetrics {
                epoch,
                step: state.step,
                lr,
                train_nll: sum / count.max(1) as f64,
                valid_nll: valid.mean(),
                // Perplexity is a figure of token models; a classifier's accuracy stands alone.
                valid_perplexity: (unit == "token").then(|| valid.mean().exp()),
                valid_accuracy: valid.accuracy(),
                seconds: started.elapsed().as_secs_f64(),
                best: is_best,
                trainable,
                extra: extras.values,
            };
            learner.save_checkpoint(&checkpoints, epoch)?;
            commit_checkpoint(&checkpoints, &state)?;
            metrics::append(&metrics_path, &m)?;
            history.push(m.clone());
            metrics::plot(&out.join(files::CURVES), &history, unit, loss_name)?;
            observer.epoch_done(&m);
            if observer.should_stop() {
                stopped_early = true;
                observer.note(&format!(
                    "stopped after epoch {epoch} at the observer's request"
                ));
                break;
            }
        }
        let summary = TrainSummary {
            out: out.clone(),
            kind: config.model.kind_name().to_string(),
            epochs: state.epoch,
            best_epoch: state.best_epoch,
            best_valid_nll: state.best_valid.unwrap_or(f64::NAN),
            unit: unit.to_string(),
            loss: loss_name.to_string(),
            valid: learner.valid_name().to_string(),
            stopped_early,
            seconds: state.seconds,
            parameters,
            device: config.train.device.to_string(),
        };
        crate::card::write_card(config, options, data, &summary, &history)?;
        Ok(summary)
    }
}

/// Writes `state.json` (the commit point: the learner's files of `state.epoch` are already
/// written), then removes older epochs' files: a crash at any moment leaves a complete checkpoint.
fn commit_checkpoint(dir: &Path, state: &LoopState) -> Result<(), TrainError> {
    let json = serde_json::to_string_pretty(state).expect("loop state serialises");
    write_atomically(&dir.join("state.json"), |w| w.write_all(json.as_bytes()))?;
    let entries = std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let old = name
            .to_str()
            .and_then(|n| n.strip_suffix(".bin"))
            .and_then(|n| n.rsplit_once('-'))
            .and_then(|(_, epoch)| epoch.parse::<usize>().ok())
            .is_some_and(|epoch| epoch < state.epoch);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn load_state(dir: &Path) -> Result<LoopState, TrainError> {
    let path = dir.join("state.json");
    let text = read_file(&path)?;
    serde_json::from_slice(&text).map_err(|e| TrainError::dir(&path, e.to_string()))
}
