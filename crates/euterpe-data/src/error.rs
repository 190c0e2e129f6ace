//! Errors of the data layer.

use std::path::PathBuf;

use euterpe_music::MusicError;

/// What went wrong with a corpus, a label file or a token file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An error from the music core (reading a MIDI file, tokenising).
    #[error(transparent)]
    Music(#[from] MusicError),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file's content is malformed; `reason` says where (line, byte offset) and why.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where and why.
        reason: String,
    },
    /// The path is neither a MIDI file, a folder nor a polyphonic JSON file.
    #[error("{}: {reason}", path.display())]
    UnsupportedPath {
        /// The path given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        DataError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl From<euterpe_base::FileError> for DataError {
    fn from(e: euterpe_base::FileError) -> Self {
        DataError::Io {
            path: e.path,
            source: e.source,
        }
    }
}
