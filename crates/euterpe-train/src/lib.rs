//! Training and evaluation of euterpe's sequence models.
//!
//! * [`config`] — the TOML training configuration (every field documented, unknown fields rejected);
//! * [`data`] — turning a polyphonic JSON file or a MIDI corpus into train/valid/test batches;
//! * [`objective`] — the loss of each model kind on a batch (summed NLL in nats, and its count);
//! * [`schedule`] — learning-rate schedules;
//! * [`trainer`] — the loop: Adam/AdamW, clipping, early stopping, checkpoints, resume;
//! * [`model_dir`] — what a trained model directory holds, and loading it back;
//! * [`metrics`] — per-epoch metrics, `metrics.jsonl` and the training-curve plot;
//! * [`eval`] — NLL, perplexity and accuracy of a model directory on any data file.
//!
//! Nothing here prints: progress goes to a [`trainer::TrainObserver`].

pub mod config;
pub mod data;
pub mod error;
pub mod eval;
pub mod metrics;
pub mod model_dir;
pub mod objective;
pub mod schedule;
pub mod trainer;

pub use config::TrainConfig;
pub use error::TrainError;
