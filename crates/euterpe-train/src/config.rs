//! The training configuration: a TOML file whose every field has a documented default.
//!
//! ```toml
//! [model]                    # the kind and its architecture (see euterpe_models::ModelConfig)
//! kind = "frame_lm"          # token_lm (MIDI, token files) | frame_lm (piano-roll JSON)
//! head = { kind = "nade" }   # frame_lm: bernoulli | nade
//!
//! [model.core]
//! cell = "lstm"              # rnn | lstm | gru | transformer
//! hidden = 256
//! layers = 2
//! dropout = 0.1
//!
//! [data]
//! scheme = "remi"            # MIDI data: remi | midi-like
//! seq_len = 256              # tokens per training window
//!
//! [optim]
//! optimizer = "adam"         # adam | adamw
//! lr = 1e-3
//!
//! [schedule]
//! kind = "constant"          # constant | linear | exponential | cosine
//!
//! [train]
//! epochs = 50
//! batch_size = 32
//! patience = 10
//! seed = 42
//! device = "cpu"             # cpu | cuda | cuda:N
//! ```
//!
//! Any field can be overridden from the command line as `section.field=value`.

use std::path::{Path, PathBuf};

use crate::finetune::{layer_groups, Strategy};

use euterpe_data::{AudioFeatures, DataConfig};
use euterpe_models::backend::DeviceSpec;
use euterpe_models::{ModelConfig, TokenLmConfig};
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// The whole configuration of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The kind of model and its architecture (required: `[model] kind = "…"`).
    pub model: ModelConfig,
    /// How data becomes batches.
    #[serde(default)]
    pub data: DataConfig,
    /// The optimiser.
    #[serde(default)]
    pub optim: OptimConfig,
    /// The learning-rate schedule.
    #[serde(default)]
    pub schedule: ScheduleConfig,
    /// Epochs, batches, early stopping, seed, device.
    #[serde(default)]
    pub train: LoopConfig,
}

impl Default for TrainConfig {
    /// A token LSTM with every other setting at its default.
    fn default() -> Self {
        TrainConfig {
            model: ModelConfig::TokenLm(TokenLmConfig::default()),
            data: DataConfig::default(),
            optim: OptimConfig::default(),
            schedule: ScheduleConfig::default(),
            train: LoopConfig::default(),
        }
    }
}

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam, with L2 weight decay added to the gradient.
    Adam,
    /// AdamW, with decoupled weight decay.
    Adamw,
}

/// Optimiser settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimConfig {
    /// Adam or AdamW (default "adam").
    pub optimizer: OptimizerKind,
    /// Peak learning rate (default 1e-3).
    pub lr: f64,
    /// Weight decay (default 0).
    pub weight_decay: f64,
    /// Adam's β1 (default 0.9).
    pub beta1: f64,
    /// Adam's β2 (default 0.999).
    pub beta2: f64,
    /// Clip the gradient's global L2 norm to this; 0 = no clipping (default 1.0).
    pub clip_norm: f64,
    /// Keep an exponential moving average of the weights with this decay per step (e.g.
    /// 0.998; 0 = none, the default). Validation, early stopping and the saved model then use
    /// the average (likelihood models; a GAN gets an error).
    #[serde(skip_serializing_if = "is_off")]
    pub ema: f64,
}

fn is_off(v: &f64) -> bool {
    *v == 0.0
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            weight_decay: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            clip_norm: 1.0,
            ema: 0.0,
        }
    }
}

/// Learning-rate schedule kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// The peak rate throughout.
    Constant,
    /// Linear decay from the peak to `min_lr` at the last step.
    Linear,
    /// Multiply by `gamma` every epoch.
    Exponential,
    /// Half a cosine from the peak to `min_lr`.
    Cosine,
}

/// Schedule settings; every kind starts with `warmup_steps` of linear warm-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// The shape (default "constant").
    pub kind: ScheduleKind,
    /// Steps of linear warm-up from 0 (default 0).
    pub warmup_steps: usize,
    /// Floor of the linear and cosine schedules (default 0).
    pub min_lr: f64,
    /// Per-epoch factor of the exponential schedule (default 0.95).
    pub gamma: f64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            kind: ScheduleKind::Constant,
            warmup_steps: 0,
            min_lr: 0.0,
            gamma: 0.95,
        }
    }
}

/// Loop settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoopConfig {
    /// Most epochs (default 50).
    pub epochs: usize,
    /// Sequences per batch (default 32).
    pub batch_size: usize,
    /// Sequences per evaluation batch (default 64).
    pub eval_batch_size: usize,
    /// Stop after this many epochs without a better validation loss; 0 = never (default 10).
    pub patience: usize,
    /// Seed of initialisation, dropout and shuffling (default 42).
    pub seed: u64,
    /// Cap on training batches per epoch; 0 = all (default 0).
    pub max_batches_per_epoch: usize,
    /// Validate on a fixed random sample of this many batches instead of the whole valid split
    /// (for large corpora); 0 = all (default 0). `euterpe eval` always scores everything.
    #[serde(skip_serializing_if = "is_zero")]
    pub valid_batches: usize,
    /// Where to train: "cpu", "cuda" or "cuda:N" (default "cpu"; `--device` overrides).
    pub device: DeviceSpec,
    /// A trained model directory whose weights start this run (pretraining → fine-tuning):
    /// every parameter with the same path and shape is copied (default: none, a fresh start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
    /// Which layer groups train: "full" (default), "freeze-lower:N" or "gradual" (see
    /// [`crate::finetune::Strategy`]).
    #[serde(skip_serializing_if = "is_full")]
    pub strategy: Strategy,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_full(s: &Strategy) -> bool {
    *s == Strategy::Full
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            epochs: 50,
            batch_size: 32,
            eval_batch_size: 64,
            patience: 10,
            seed: 42,
            max_batches_per_epoch: 0,
            valid_batches: 0,
            device: DeviceSpec::Cpu,
            init_from: None,
            strategy: Strategy::Full,
        }
    }
}

impl TrainConfig {
    /// Reads a TOML file and applies `section.field=value` overrides.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
        Self::parse(&text, overrides).map_err(|reason| TrainError::Config {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses TOML text and applies overrides; the message names the field and the line.
    pub fn parse(text: &str, overrides: &[String]) -> Result<Self, String> {
        let one_line = |e: &dyn std::fmt::Display| euterpe_base::one_line(&e.to_string());
        let mut value: toml::Table = toml::from_str(text).map_err(|e| one_line(&e))?;
        for o in overrides {
            apply_override(&mut value, o)?;
        }
        let has_kind = value
            .get("model")
            .and_then(|m| m.as_table())
            .is_some_and(|m| m.contains_key("kind"));
        if !has_kind {
            return Err(
                "model.kind is missing: say what to train, kind = \"token_lm\" (MIDI or token data) or \"frame_lm\" (piano-roll JSON)"
                    .into(),
            );
        }
        let config: TrainConfig = toml::Table::try_into(value).map_err(|e| one_line(&e))?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration as TOML (what a model directory records).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a config always serialises")
    }

    /// A bidirectional core (`model.core.causal = false`) goes with the masked-token objective
    /// of a token model, or in a classifier; next-token models need a causal one.
    fn check_objective(&self) -> Result<(), String> {
        let causal = self.model.core().is_none_or(|c| c.is_causal());
        let masked = self.data.mask_chance > 0.0;
        match (&self.model, causal, masked) {
            (ModelConfig::TokenLm(_), false, false) => Err(
                "model.core.causal = false: a bidirectional token model sees the token it would predict next; give it the masked-token objective (data.mask_chance = 0.15)".into(),
            ),
            (ModelConfig::TokenLm(_), true, true) => Err(
                "data.mask_chance: the masked-token objective needs a bidirectional core (model.core.cell = \"transformer\", causal = false)".into(),
            ),
            (ModelConfig::TokenLm(_), _, _) => Ok(()),
            (_, _, true) => Err(format!(
                "data.mask_chance: the masked-token objective is for token models, not a {}",
                self.model.kind_name()
            )),
            (ModelConfig::Classifier(_), _, _) | (_, true, _) => Ok(()),
            (_, false, _) => Err(format!(
                "model.core.causal = false: a {} predicts what comes next and needs a causal core (bidirectional encoders are for token models with data.mask_chance and classifiers)",
                self.model.kind_name()
            )),
        }
    }

    /// Checks every value, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        self.model.validate()?;
        let o = &self.optim;
        if !(o.lr > 0.0 && o.lr < 10.0) {
            return Err(format!("optim.lr must be in (0, 10), got {}", o.lr));
        }
        if !(0.0..1.0).contains(&o.beta1) || !(0.0..1.0).contains(&o.beta2) {
            return Err("optim.beta1 and optim.beta2 must be in [0, 1)".into());
        }
        // Written so that NaN fails every check.
        let finite_non_negative = |v: f64| v.is_finite() && v >= 0.0;
        if !finite_non_negative(o.weight_decay) || !finite_non_negative(o.clip_norm) {
            return Err(
                "optim.weight_decay and optim.clip_norm must be finite and not negative".into(),
            );
        }
        if !(0.0..1.0).contains(&o.ema) {
            return Err(format!(
                "optim.ema must be in [0, 1) (0: no weight average), got {}",
                o.ema
            ));
        }
        if o.ema > 0.0
            && matches!(
                self.model,
                ModelConfig::MelodyGan(_) | ModelConfig::MuseGan(_) | ModelConfig::CycleGan(_)
            )
        {
            return Err("optim.ema: weight averaging is for likelihood models, not GANs".into());
        }
        let s = &self.schedule;
        if !((0.0..=o.lr).contains(&s.min_lr) && s.gamma > 0.0 && s.gamma <= 1.0) {
            return Err("schedule.min_lr must be in [0, lr] and schedule.gamma in (0, 1]".into());
        }
        if s.warmup_steps > 1 << 30 {
            return Err("schedule.warmup_steps is unreasonably large".into());
        }
        let t = &self.train;
        if t.epochs == 0 || t.batch_size == 0 || t.eval_batch_size == 0 {
            return Err(
                "train.epochs, train.batch_size and train.eval_batch_size must be at least 1"
                    .into(),
            );
        }
        if t.batch_size > 1 << 16 || t.epochs > 1 << 20 {
            return Err("train.batch_size or train.epochs is unreasonably large".into());
        }
        self.data.validate()?;
        self.check_objective()?;
        let augment = &self.data.audio.augment;
        if !(augment.mixup.is_finite() && (0.0..=100.0).contains(&augment.mixup)) {
            return Err(format!(
                "data.audio.augment.mixup must be in [0, 100] (0: off), got {}",
                augment.mixup
            ));
        }
        if augment.mixup > 0.0 && !matches!(self.model, ModelConfig::AudioClassifier(_)) {
            return Err(
                "data.audio.augment.mixup blends labels: it is for audio classifiers".into(),
            );
        }
        if augment.band_shift > 0 && self.data.audio.features != AudioFeatures::LogMel {
            return Err(
                "data.audio.augment.band_shift moves mel bands: it needs features = \"log-mel\""
                    .into(),
            );
        }
        if t.strategy != Strategy::Full {
            if matches!(
                self.model,
                ModelConfig::MelodyGan(_) | ModelConfig::MuseGan(_) | ModelConfig::CycleGan(_)
            ) {
                return Err(
                    "train.strategy: a GAN trains all its layers (freezing is for likelihood models)"
                        .into(),
                );
            }
            if t.init_from.is_none() {
                return Err(format!(
                    "train.strategy = {} needs train.init_from (--init-from DIR): there is nothing pretrained to keep",
                    t.strategy
                ));
            }
            t.strategy.validate(layer_groups(&self.model))?;
        }
        // Token windows of `data.seq_len` must fit a Transformer's positions.
        if let (Some(_), Some(core)) = (self.model.vocab_size(), self.model.core()) {
            if let Some(max_len) = core.max_len() {
                if self.data.seq_len > max_len {
                    return Err(format!(
                        "data.seq_len ({}) exceeds model.core.max_len ({max_len}) of the Transformer",
                        self.data.seq_len
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Sets `section.field` (any depth) to a TOML value; a bare word is taken as a string.
fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), String> {
    let (key, raw) = assignment
        .split_once('=')
        .ok_or_else(|| format!("override {assignment:?} is not of the form section.field=value"))?;
    let value: toml::Value = format!("v = {}", raw.trim())
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.trim().to_string()));
    let parts: Vec<&str> = key.trim().split('.').collect();
    let (last, path) = parts.split_last().ok_or("empty override key")?;
    let mut cur = table;
    for p in path {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("override {key:?}: {p} is not a section"))?;
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_errors() {
        let model = "[model]\nkind = \"frame_lm\"\n[model.core]\ncell = \"gru\"\n";
        let c = TrainConfig::parse(
            model,
            &[
                "optim.lr=0.01".into(),
                "train.epochs=3".into(),
                "model.core.hidden=12".into(),
                "train.device=cuda:1".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.model.core().map(|c| c.cell_name()), Some("gru"));
        assert_eq!(c.model.core().map(|c| c.hidden()), Some(12));
        assert_eq!(c.optim.lr, 0.01);
        assert_eq!(c.train.epochs, 3);
        assert_eq!(c.train.batch_size, 32);
        assert_eq!(c.train.device, DeviceSpec::Cuda(1));
        let e = TrainConfig::parse("[model]\nkind = \"frame_lm\"\ncel = 1\n", &[]).unwrap_err();
        assert!(e.contains("cel"), "{e}");
        let e = TrainConfig::parse(model, &["optim.lr=-1".into()]).unwrap_err();
        assert!(e.contains("optim.lr"), "{e}");
        let e = TrainConfig::parse(model, &["model.core.hidden=0".into()]).unwrap_err();
        assert!(e.contains("model.core.hidden"), "{e}");
        for bad in [
            "optim.weight_decay=nan",
            "schedule.min_lr=nan",
            "optim.clip_norm=inf",
            "optim.ema=1",
            "optim.ema=nan",
            "data.audio.augment.mixup=0.2",
        ] {
            let e = TrainConfig::parse(model, &[bad.into()]).unwrap_err();
            assert!(e.contains(bad.split('=').next().unwrap()), "{bad}: {e}");
        }
        let e = TrainConfig::parse(
            model,
            &[
                "data.audio.augment.band_shift=2".into(),
                "data.audio.features=\"mfcc\"".into(),
            ],
        )
        .unwrap_err();
        assert!(e.contains("band_shift"), "{e}");
        let e = TrainConfig::parse(model, &["train.device=tpu".into()]).unwrap_err();
        assert!(e.contains("tpu"), "{e}");
        let e = TrainConfig::parse("[train]\nepochs = 3\n", &[]).unwrap_err();
        assert!(e.contains("model.kind is missing"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        // The written form parses back to the same config.
        assert_eq!(TrainConfig::parse(&c.to_toml(), &[]).unwrap(), c);
    }
}
