//! The error type of the model store.

use std::path::PathBuf;

/// What went wrong with a model directory; every variant names the directory or file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error(transparent)]
    File(#[from] euterpe_base::FileError),
    /// A vocabulary could not be read.
    #[error(transparent)]
    Music(#[from] euterpe_music::MusicError),
    /// `config.toml` is malformed or invalid; the reason names the field.
    #[error("{}: {reason}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// Which field, and why.
        reason: String,
    },
    /// A model directory is incomplete or its parts do not match.
    #[error("{}: {reason}", path.display())]
    ModelDir {
        /// The model directory or file.
        path: PathBuf,
        /// What is missing or mismatched.
        reason: String,
    },
    /// `--model NAME` is neither a directory nor a built-in model.
    #[error("model {name:?}: no such model directory, and not a built-in model ({known})")]
    UnknownModel {
        /// What was asked for.
        name: String,
        /// The built-in names.
        known: String,
    },
    /// The model is of another kind than the task needs.
    #[error("{model}: a {kind} model; {task} needs a {wanted} model")]
    WrongKind {
        /// The model's name or directory.
        model: String,
        /// Its kind.
        kind: &'static str,
        /// What was being done.
        task: &'static str,
        /// The kind that would do.
        wanted: &'static str,
    },
}

impl StoreError {
    pub(crate) fn dir(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        StoreError::ModelDir {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
