//! Errors of training and evaluation.

use std::path::PathBuf;

/// What went wrong; every variant names the file or field involved.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A data or music error (reading the corpus, tokenising).
    #[error(transparent)]
    Data(#[from] euterpe_data::DataError),
    /// An error of the music core.
    #[error(transparent)]
    Music(#[from] euterpe_music::MusicError),
    /// A model directory could not be read or written.
    #[error(transparent)]
    Store(#[from] euterpe_store::StoreError),
    /// The device cannot be used.
    #[error(transparent)]
    Device(#[from] euterpe_models::backend::DeviceError),
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] euterpe_base::FileError),
    /// A configuration file or value is invalid.
    #[error("{}: {reason}", path.display())]
    Config {
        /// The config file (or model directory's config).
        path: PathBuf,
        /// Which field, and why.
        reason: String,
    },
    /// A model directory cannot be trained into or resumed.
    #[error("{}: {reason}", path.display())]
    ModelDir {
        /// The model directory or file.
        path: PathBuf,
        /// What is missing or mismatched.
        reason: String,
    },
    /// The data cannot be used for this task.
    #[error("{0}")]
    Unusable(String),
    /// Training diverged.
    #[error("the loss became {value} at epoch {epoch}, batch {batch}; stopped, the last good checkpoint is kept (try a lower learning rate or gradient clipping)")]
    Diverged {
        /// Epoch (1-based).
        epoch: usize,
        /// Batch within the epoch (1-based).
        batch: usize,
        /// The offending value.
        value: f64,
    },
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::File(euterpe_base::FileError::new(path, source))
    }

    pub(crate) fn dir(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        TrainError::ModelDir {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
