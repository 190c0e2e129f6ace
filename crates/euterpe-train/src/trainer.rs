//! The training loop.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::{AutodiffModule, Module};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ElementConversion;
use euterpe_data::Split;
use euterpe_models::{CellKind, FrameLm, TokenLm, TrainingBackend};
use euterpe_music::fsutil::{read_file, write_atomically};
use serde::{Deserialize, Serialize};

use crate::config::OptimizerKind;
use crate::data::{Batch, TaskData, Windows};
use crate::metrics::{self, EpochMetrics};
use crate::model_dir::{files, load_weights_bytes, save_weights};
use crate::objective::Objective;
use crate::schedule::learning_rate;
use crate::{TrainConfig, TrainError};

/// Receives progress; the CLI draws it, tests ignore it.
pub trait TrainObserver {
    /// An epoch begins.
    fn epoch_started(&mut self, _epoch: usize, _epochs: usize, _batches: usize) {}
    /// A batch was trained on; `loss` is its mean NLL per unit.
    fn batch_done(&mut self, _loss: f64, _lr: f64) {}
    /// An epoch ended.
    fn epoch_done(&mut self, _metrics: &EpochMetrics) {}
    /// Something worth telling the user.
    fn note(&mut self, _message: &str) {}
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
    /// The data the run trains on (for the model card).
    pub data_path: PathBuf,
    /// The command line (for the model card).
    pub command: String,
}

/// What a run achieved.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    /// Epochs completed (including those before a resume).
    pub epochs: usize,
    /// The best epoch.
    pub best_epoch: usize,
    /// Its validation NLL per unit.
    pub best_valid_nll: f64,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Training seconds (including those before a resume).
    pub seconds: f64,
    /// Trainable parameters.
    pub parameters: usize,
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

/// Totals of an evaluation pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalTotals {
    /// Summed NLL, nats.
    pub nll: f64,
    /// Scored units.
    pub count: usize,
    /// Correct argmax predictions (token models).
    pub correct: Option<f64>,
}

impl EvalTotals {
    /// Mean NLL per unit.
    pub fn mean(&self) -> f64 {
        self.nll / self.count.max(1) as f64
    }
}

/// Scores batches without gradients.
pub fn evaluate_batches<B: Backend, M: Objective<B>>(
    model: &M,
    batches: &[Batch],
    device: &B::Device,
) -> EvalTotals {
    let mut t = EvalTotals::default();
    for batch in batches {
        let loss = model.batch_loss(batch, device);
        t.nll += loss.sum.into_scalar().elem::<f64>();
        t.count += loss.count;
        if let Some(c) = loss.correct {
            *t.correct.get_or_insert(0.0) += c.into_scalar().elem::<f64>();
        }
    }
    t
}

/// Trains a model on `data` as `config` says, writing the model directory `options.out`.
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
    prepare_dir(config, options, data)?;
    B::seed(device, config.train.seed);
    match data {
        TaskData::Tokens { vocab, .. } => {
            let model = TokenLm::<B>::new(&config.model, vocab.len(), device);
            with_optimizer(model, data, config, options, device, observer)
        }
        TaskData::Frames { .. } => {
            let model = FrameLm::<B>::new(&config.model, device);
            with_optimizer(model, data, config, options, device, observer)
        }
    }
}

fn prepare_dir(
    config: &TrainConfig,
    options: &TrainOptions,
    data: &TaskData,
) -> Result<(), TrainError> {
    let out = &options.out;
    let state = out.join(files::CHECKPOINT).join("state.json");
    if options.resume {
        if !state.is_file() {
            return Err(TrainError::ModelDir {
                path: out.clone(),
                reason: "nothing to resume: no checkpoint/state.json".into(),
            });
        }
        let saved = crate::model_dir::load_config(out)?;
        if saved.model != config.model || saved.data != config.data {
            return Err(TrainError::ModelDir {
                path: out.clone(),
                reason: "the model or data settings differ from the run being resumed".into(),
            });
        }
    } else if state.is_file() || out.join(files::WEIGHTS).is_file() {
        return Err(TrainError::ModelDir {
            path: out.clone(),
            reason: "already holds a trained model; pass --resume to continue it, or choose another --out".into(),
        });
    }
    std::fs::create_dir_all(out.join(files::CHECKPOINT)).map_err(|e| TrainError::io(out, e))?;
    let toml = config.to_toml();
    write_atomically(&out.join(files::CONFIG), |w| w.write_all(toml.as_bytes()))?;
    if let TaskData::Tokens { vocab, .. } = data {
        vocab.save(&out.join(files::VOCAB))?;
    }
    Ok(())
}

fn with_optimizer<B, M>(
    model: M,
    data: &TaskData,
    config: &TrainConfig,
    options: &TrainOptions,
    device: &B::Device,
    observer: &mut dyn TrainObserver,
) -> Result<TrainSummary, TrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Objective<B>,
    M::InnerModule: Objective<B::InnerBackend>,
{
    let o = &config.optim;
    let clip = (o.clip_norm > 0.0).then_some(GradientClippingConfig::Norm(o.clip_norm as f32));
    match o.optimizer {
        OptimizerKind::Adam => {
            let optim = AdamConfig::new()
                .with_beta_1(o.beta1 as f32)
                .with_beta_2(o.beta2 as f32)
                .with_weight_decay(
                    (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay as f32)),
                )
                .with_grad_clipping(clip)
                .init::<B, M>();
            run(model, optim, data, config, options, device, observer)
        }
        OptimizerKind::Adamw => {
            let optim = AdamWConfig::new()
                .with_beta_1(o.beta1 as f32)
                .with_beta_2(o.beta2 as f32)
                .with_weight_decay(o.weight_decay as f32)
                .with_grad_clipping(clip)
                .init::<B, M>();
            run(model, optim, data, config, options, device, observer)
        }
    }
}

/// Training and evaluation windows: token windows of `seq_len`; whole piano-roll sequences
/// unless a frame window is set or the Transformer's positions limit the length.
fn windows(data: &TaskData, config: &TrainConfig) -> (Windows, Windows) {
    let limit = (config.model.cell == CellKind::Transformer).then(|| config.model.max_len - 1);
    let (train, eval) = match data {
        TaskData::Tokens { .. } => (Some(config.data.seq_len), Some(config.data.seq_len)),
        TaskData::Frames { .. } => {
            let w = (config.data.frame_window > 0).then_some(config.data.frame_window);
            (w.or(limit), limit)
        }
    };
    (
        data.windows(Split::Train, train),
        data.windows(Split::Valid, eval),
    )
}

type Rec = BinBytesRecorder<FullPrecisionSettings>;

#[allow(clippy::too_many_arguments)]
fn run<B, M, O>(
    mut model: M,
    mut optim: O,
    data: &TaskData,
    config: &TrainConfig,
    options: &TrainOptions,
    device: &B::Device,
    observer: &mut dyn TrainObserver,
) -> Result<TrainSummary, TrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Objective<B>,
    M::InnerModule: Objective<B::InnerBackend>,
    O: Optimizer<M, B>,
{
    let t = &config.train;
    let out = &options.out;
    let metrics_path = out.join(files::METRICS);
    let (train_w, valid_w) = windows(data, config);
    let valid_batches = valid_w.batches(t.eval_batch_size, None);
    let mut steps_per_epoch = train_w.batches(t.batch_size, Some(0)).len();
    if t.max_batches_per_epoch > 0 {
        steps_per_epoch = steps_per_epoch.min(t.max_batches_per_epoch);
    }
    let total_steps = steps_per_epoch * t.epochs;
    let parameters = model.num_params();

    let mut state = LoopState::default();
    let mut history = Vec::new();
    if options.resume {
        let (m, op, s) = load_checkpoint(model, optim, out, device)?;
        (model, optim, state) = (m, op, s);
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
        let mut batches = train_w.batches(
            t.batch_size,
            Some(t.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9)),
        );
        batches.truncate(steps_per_epoch);
        observer.epoch_started(epoch, t.epochs, batches.len());
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
            let loss = model.batch_loss(batch, device);
            let value = loss.sum.clone().into_scalar().elem::<f64>();
            if !value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    batch: i + 1,
                    value,
                });
            }
            let mean = loss.sum.div_scalar(loss.count.max(1) as f64);
            let grads = GradientsParams::from_grads(mean.backward(), &model);
            model = optim.step(lr, model, grads);
            sum += value;
            count += loss.count;
            state.step += 1;
            observer.batch_done(value / loss.count.max(1) as f64, lr);
        }
        let valid = evaluate_batches(&model.valid(), &valid_batches, device);
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
            save_weights::<B::InnerBackend, _>(model.valid(), &out.join(files::WEIGHTS))?;
        } else {
            state.bad_epochs += 1;
        }
        state.epoch = epoch;
        state.seconds += started.elapsed().as_secs_f64();
        let m = EpochMetrics {
            epoch,
            step: state.step,
            lr,
            train_nll: sum / count.max(1) as f64,
            valid_nll: valid.mean(),
            valid_perplexity: valid.correct.map(|_| valid.mean().exp()),
            valid_accuracy: valid.correct.map(|c| c / valid.count.max(1) as f64),
            seconds: started.elapsed().as_secs_f64(),
            best: is_best,
        };
        save_checkpoint(&model, &optim, &state, out)?;
        metrics::append(&metrics_path, &m)?;
        history.push(m.clone());
        let unit = if matches!(data, TaskData::Tokens { .. }) {
            "token"
        } else {
            "frame"
        };
        metrics::plot(&out.join(files::CURVES), &history, unit)?;
        observer.epoch_done(&m);
    }
    let summary = TrainSummary {
        epochs: state.epoch,
        best_epoch: state.best_epoch,
        best_valid_nll: state.best_valid.unwrap_or(f64::NAN),
        stopped_early,
        seconds: state.seconds,
        parameters,
    };
    write_card(config, options, data, &summary, &history)?;
    Ok(summary)
}

fn checkpoint_file(out: &Path, kind: &str, epoch: usize) -> PathBuf {
    out.join(files::CHECKPOINT)
        .join(format!("{kind}-{epoch}.bin"))
}

/// Writes the model and optimiser of `state.epoch`, then `state.json` (the commit point), then
/// removes older epochs: a crash at any moment leaves a complete checkpoint behind.
fn save_checkpoint<B, M, O>(
    model: &M,
    optim: &O,
    state: &LoopState,
    out: &Path,
) -> Result<(), TrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Optimizer<M, B>,
{
    save_weights::<B, _>(model.clone(), &checkpoint_file(out, "model", state.epoch))?;
    let optim_bytes = Rec::default()
        .record(optim.to_record(), ())
        .map_err(|e| TrainError::Unusable(format!("cannot serialise the optimiser state: {e}")))?;
    write_atomically(&checkpoint_file(out, "optim", state.epoch), |w| {
        w.write_all(&optim_bytes)
    })?;
    let json = serde_json::to_string_pretty(state).expect("loop state serialises");
    write_atomically(&out.join(files::CHECKPOINT).join("state.json"), |w| {
        w.write_all(json.as_bytes())
    })?;
    for kind in ["model", "optim"] {
        for old in 0..state.epoch {
            let _ = std::fs::remove_file(checkpoint_file(out, kind, old));
        }
    }
    Ok(())
}

fn load_checkpoint<B, M, O>(
    model: M,
    optim: O,
    out: &Path,
    device: &B::Device,
) -> Result<(M, O, LoopState), TrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: Optimizer<M, B>,
{
    let state_path = out.join(files::CHECKPOINT).join("state.json");
    let bad = |path: &Path, reason: String| TrainError::ModelDir {
        path: path.to_path_buf(),
        reason,
    };
    let text = read_file(&state_path)?;
    let state: LoopState =
        serde_json::from_slice(&text).map_err(|e| bad(&state_path, e.to_string()))?;
    let model_path = checkpoint_file(out, "model", state.epoch);
    let model = load_weights_bytes(model, read_file(&model_path)?, &model_path, device)?;
    let optim_path = checkpoint_file(out, "optim", state.epoch);
    let record = Rec::default()
        .load(read_file(&optim_path)?, device)
        .map_err(|e| bad(&optim_path, format!("unreadable optimiser state: {e}")))?;
    Ok((model, optim.load_record(record), state))
}

fn write_card(
    config: &TrainConfig,
    options: &TrainOptions,
    data: &TaskData,
    summary: &TrainSummary,
    history: &[EpochMetrics],
) -> Result<(), TrainError> {
    let (kind, unit) = match data {
        TaskData::Tokens { .. } => ("token language model", "token"),
        TaskData::Frames { .. } => ("piano-roll frame model", "frame"),
    };
    let best = history.iter().find(|m| m.epoch == summary.best_epoch);
    let mut card = format!(
        "# Model card\n\n\
         A {kind} ({cell:?}, {layers} × {hidden}, {params} parameters) trained by euterpe.\n\n\
         * Data: `{data}` — {train} training and {valid} validation sequences\n\
         * Command: `{command}`\n\
         * Seed: {seed}\n\
         * Epochs: {epochs} (best: {best_epoch}){early}\n\
         * Training time: {secs:.1} s\n\
         * Best validation NLL: {nll:.4} nats per {unit}\n",
        cell = config.model.cell,
        layers = config.model.layers,
        hidden = config.model.hidden,
        params = summary.parameters,
        data = options.data_path.display(),
        train = data.len(Split::Train),
        valid = data.len(Split::Valid),
        command = options.command,
        seed = config.train.seed,
        epochs = summary.epochs,
        best_epoch = summary.best_epoch,
        early = if summary.stopped_early {
            ", stopped early"
        } else {
            ""
        },
        secs = summary.seconds,
        nll = summary.best_valid_nll,
    );
    if let Some(m) = best {
        if let (Some(p), Some(a)) = (m.valid_perplexity, m.valid_accuracy) {
            card.push_str(&format!(
                "* Validation perplexity: {p:.3}; next-token accuracy: {:.1} %\n",
                a * 100.0
            ));
        }
    }
    card.push_str("\nThe full configuration is in `config.toml`; per-epoch figures in `metrics.jsonl` and `curves.svg`.\n");
    write_atomically(&options.out.join(files::CARD), |w| {
        w.write_all(card.as_bytes())
    })?;
    Ok(())
}

/// Parameters of a module (for reports).
pub fn parameter_count<B: Backend, M: Module<B>>(m: &M) -> usize {
    m.num_params()
}
