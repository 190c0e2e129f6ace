//! The one error type of the rendering crate.

use std::path::PathBuf;

use euterpe_music::MusicError;

/// What went wrong while rendering a score to audio or to a picture.
///
/// Every variant that concerns a file names it.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The SoundFont file could not be read.
    #[error("{}: cannot read SoundFont: {source}", path.display())]
    SoundFontIo {
        /// The SoundFont file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bytes are not a SoundFont that the synthesiser can play.
    #[error("{}: invalid SoundFont: {reason}", path.display())]
    InvalidSoundFont {
        /// The SoundFont file (or the name given to in-memory bytes).
        path: PathBuf,
        /// Why, e.g. "truncated: unexpected end of data".
        reason: String,
    },
    /// The score has no notes: there is nothing to render or draw, and a silent file is almost
    /// always a mistake upstream (a generator that produced nothing, a wrong track filter).
    #[error("the score has no notes: nothing to render")]
    EmptyScore,
    /// A render or plot option is out of range.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// The audio would not fit in a WAV file (4 GiB of sample data).
    #[error("{}: {frames} frames of audio do not fit in a WAV file", path.display())]
    TooLong {
        /// The WAV file.
        path: PathBuf,
        /// Frames the piece would need.
        frames: u64,
    },
    /// Synthesis stopped for a reason other than the SoundFont (a rendering thread was lost).
    #[error("synthesis stopped: {0}")]
    Synthesis(String),
    /// The picture could not be encoded.
    #[error("{}: cannot encode PNG: {reason}", path.display())]
    Image {
        /// The PNG file.
        path: PathBuf,
        /// The encoder's reason.
        reason: String,
    },
    /// Reading the score failed (the error names the file).
    #[error(transparent)]
    Music(#[from] MusicError),
    /// Writing the output file failed (the error names the file).
    #[error(transparent)]
    File(#[from] euterpe_base::FileError),
}
