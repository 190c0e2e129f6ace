//! The error type of generation.

use euterpe_music::MusicError;

/// What went wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// An option is out of range; the message names it.
    #[error("invalid option: {0}")]
    InvalidOptions(String),
    /// The primer cannot be used; the message says why.
    #[error("primer: {0}")]
    Primer(String),
    /// The model cannot generate this way.
    #[error("{0}")]
    Unsupported(String),
    /// The deadline passed before the music was written.
    #[error("generation did not finish before its deadline")]
    TimedOut,
    /// Loading the model failed.
    #[error(transparent)]
    Model(#[from] euterpe_store::StoreError),
    /// Reading, encoding or decoding music failed.
    #[error(transparent)]
    Music(#[from] MusicError),
}
