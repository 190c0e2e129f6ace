//! Training and evaluation of euterpe's models.
//!
//! * [`config`] — [`TrainConfig`], the TOML training configuration (every field documented, unknown
//!   fields rejected): the model kind and architecture, data, optimiser, schedule, loop, device;
//! * [`task`] — where a model kind meets its data: the one place that pairs them, and fills in
//!   what the data decides (a token model's vocabulary size);
//! * [`objective`] — [`Likelihood`](objective::Likelihood), the loss of the likelihood kinds on
//!   their batches (summed NLL in nats, and its count);
//! * [`optim`] — Adam and AdamW behind one type, with their state saved for `--resume`;
//! * [`learner`] — [`Learner`](learner::Learner), what the loop needs of a kind (its networks,
//!   their optimisers, one training step, validation, checkpoints), and the likelihood learner;
//! * [`schedule`] — learning-rate schedules;
//! * [`trainer`] — the loop, the same for every kind: epochs, schedules, early stopping,
//!   checkpoints, resume, metrics, the model card;
//! * [`metrics`] — per-epoch metrics, `metrics.jsonl` and the training-curve plot;
//! * [`finetune`] — pretraining → fine-tuning: `train.init_from` and `train.strategy` (full,
//!   freeze-lower:N, gradual unfreezing);
//! * [`eval`] — NLL, perplexity and accuracy of any model on any data file of its kind (MSE
//!   against baselines for the audio models);
//! * [`reconstruction`] — a spectrogram encoder-decoder measured on sound, against the
//!   Griffin-Lim ceiling;
//!
//! Nothing here prints: progress goes to a [`trainer::TrainObserver`]. Model directories are
//! written and read through `euterpe-store`. Start with [`trainer::train`].

pub mod adversarial;
pub mod average;
mod card;
pub mod config;
pub mod error;
pub mod eval;
pub mod finetune;
pub mod learner;
pub mod metrics;
pub mod multitrack_gan;
pub mod objective;
pub mod optim;
pub mod reconstruction;
pub mod schedule;
pub mod style_transfer;
pub mod task;
pub mod trainer;

pub use config::TrainConfig;
pub use error::TrainError;
