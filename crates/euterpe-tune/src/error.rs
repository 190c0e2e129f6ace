//! What can go wrong in a study.

use std::path::PathBuf;

/// An error of the tuner; each names what it is about.
#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    /// The search space cannot be used.
    #[error("{file}: {reason}")]
    Space {
        /// The space file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A value of the space does not make a valid training config.
    #[error("{space}: {key} = {value} does not make a valid config with {config}: {reason}")]
    Config {
        /// The space file.
        space: String,
        /// The base config.
        config: PathBuf,
        /// The parameter.
        key: String,
        /// The value tried.
        value: String,
        /// Why.
        reason: String,
    },
    /// The study store cannot be opened or used.
    #[error("study store {url}: {reason}")]
    Store {
        /// The storage URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The study name is taken by another search.
    #[error("study {study:?} in {url} {reason}; choose another --study name")]
    StudyMismatch {
        /// The study.
        study: String,
        /// The storage URL.
        url: String,
        /// What differs.
        reason: String,
    },
    /// No such study (for a report).
    #[error("no study {study:?} in {url}")]
    NoStudy {
        /// The study.
        study: String,
        /// The storage URL.
        url: String,
    },
    /// An option is out of range.
    #[error("{0}")]
    Options(String),
    /// Reading data or writing a file failed.
    #[error(transparent)]
    Train(#[from] euterpe_train::TrainError),
    /// Reading the data failed.
    #[error(transparent)]
    Data(#[from] euterpe_data::DataError),
    /// Writing a report file failed.
    #[error(transparent)]
    File(#[from] euterpe_base::FileError),
}
