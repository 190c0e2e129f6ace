//! The training configuration: a TOML file whose every field has a documented default.
//!
//! ```toml
//! [model]            # architecture (see euterpe_models::ModelConfig)
//! cell = "lstm"      # rnn | lstm | gru | transformer
//! hidden = 256
//! layers = 2
//! dropout = 0.1
//! frame_head = "bernoulli"   # piano-roll data: bernoulli | nade
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
//! ```
//!
//! Any field can be overridden from the command line as `section.field=value`.

use std::path::{Path, PathBuf};

use euterpe_models::ModelConfig;
use euterpe_music::tokens::Scheme;
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// The whole configuration of a training run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// The architecture.
    pub model: ModelConfig,
    /// How data becomes batches.
    pub data: DataConfig,
    /// The optimiser.
    pub optim: OptimConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
    /// Epochs, batches, early stopping, seed.
    pub train: LoopConfig,
}

/// Data settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Token vocabulary for MIDI data (default "remi").
    pub scheme: Scheme,
    /// Grid positions per quarter note for MIDI data (default 4).
    pub positions_per_beat: u32,
    /// Tokens per training window (default 256).
    pub seq_len: usize,
    /// Frames per training window for piano-roll data; 0 = whole sequences (default 0).
    pub frame_window: usize,
    /// Seed of the 70/15/15 split of MIDI corpora without a given split (default 0).
    pub split_seed: u64,
    /// A label CSV for MIDI corpora (default: `labels.csv` beside the data, if any).
    pub labels: Option<PathBuf>,
    /// Token cache file for MIDI corpora (default: under `$XDG_CACHE_HOME/euterpe` or `~/.cache/euterpe`).
    pub cache: Option<PathBuf>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            scheme: Scheme::Remi,
            positions_per_beat: 4,
            seq_len: 256,
            frame_window: 0,
            split_seed: 0,
            labels: None,
            cache: None,
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
        let mut value: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        for o in overrides {
            apply_override(&mut value, o)?;
        }
        let config: TrainConfig = toml::Table::try_into(value).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration as TOML (what a model directory records).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a config always serialises")
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
        if o.weight_decay < 0.0 || o.clip_norm < 0.0 {
            return Err("optim.weight_decay and optim.clip_norm must not be negative".into());
        }
        let s = &self.schedule;
        if s.min_lr < 0.0 || s.min_lr > o.lr || !(s.gamma > 0.0 && s.gamma <= 1.0) {
            return Err("schedule.min_lr must be in [0, lr] and schedule.gamma in (0, 1]".into());
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
        let d = &self.data;
        if d.seq_len < 2 || d.seq_len > 1 << 20 {
            return Err(format!(
                "data.seq_len must be in 2..=1048576, got {}",
                d.seq_len
            ));
        }
        if self.model.cell == euterpe_models::CellKind::Transformer
            && d.seq_len > self.model.max_len
        {
            return Err(format!(
                "data.seq_len ({}) exceeds model.max_len ({}) of the Transformer",
                d.seq_len, self.model.max_len
            ));
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
        let c = TrainConfig::parse(
            "[model]\ncell = \"gru\"\n",
            &["optim.lr=0.01".into(), "train.epochs=3".into()],
        )
        .unwrap();
        assert_eq!(c.model.cell, euterpe_models::CellKind::Gru);
        assert_eq!(c.optim.lr, 0.01);
        assert_eq!(c.train.epochs, 3);
        assert_eq!(c.train.batch_size, 32);
        let e = TrainConfig::parse("[model]\ncel = \"gru\"\n", &[]).unwrap_err();
        assert!(e.contains("cel"), "{e}");
        let e = TrainConfig::parse("", &["optim.lr=-1".into()]).unwrap_err();
        assert!(e.contains("optim.lr"), "{e}");
        let e = TrainConfig::parse("[model]\nhidden = 0\n", &[]).unwrap_err();
        assert!(e.contains("model.hidden"), "{e}");
        // The written form parses back to the same config.
        assert_eq!(TrainConfig::parse(&c.to_toml(), &[]).unwrap(), c);
    }
}
