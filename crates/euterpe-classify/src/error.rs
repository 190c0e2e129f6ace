//! The error type of classification.

/// What went wrong while classifying.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// Loading the model failed, or it is not a classifier.
    #[error(transparent)]
    Model(#[from] euterpe_store::StoreError),
    /// The input could not be read.
    #[error(transparent)]
    Data(#[from] euterpe_data::DataError),
    /// A piece could not be read or encoded.
    #[error(transparent)]
    Music(#[from] euterpe_music::MusicError),
    /// The piece has no tokens to judge; the message says which.
    #[error("{0}")]
    Empty(String),
    /// A recording could not be read.
    #[error(transparent)]
    Audio(#[from] euterpe_audio::AudioError),
    /// The input is not what this classifier judges (MIDI for an audio classifier, or the
    /// reverse); the message says which.
    #[error("{0}")]
    WrongInput(String),
    /// Generating the pieces to judge failed.
    #[error(transparent)]
    Generate(#[from] euterpe_generate::GenerateError),
}
