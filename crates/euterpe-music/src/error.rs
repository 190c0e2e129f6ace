//! The one error type of the music core.

use std::path::PathBuf;

/// What went wrong while reading, converting or writing music.
///
/// Every variant that concerns a file names it; every variant that concerns a position in a stream
/// (a byte offset, a track and event, a token index) names that too.
#[derive(Debug, thiserror::Error)]
pub enum MusicError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bytes are not a valid Standard MIDI File.
    #[error("{}invalid MIDI: {reason}", display_prefix(path))]
    InvalidMidi {
        /// The file, when the bytes came from one.
        path: Option<PathBuf>,
        /// Where and why, e.g. "track 2, event 17: unexpected end of data".
        reason: String,
    },
    /// A JSON or CSV file does not have the expected shape.
    #[error("{}: {reason}", path.display())]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// Where and why.
        reason: String,
    },
    /// A token sequence does not follow the vocabulary's grammar.
    #[error("token {index}: {reason}")]
    InvalidTokens {
        /// Index of the offending token in the sequence.
        index: usize,
        /// Why it is not allowed there.
        reason: String,
    },
    /// A score cannot be represented with the chosen settings.
    #[error("cannot encode score: {0}")]
    Unencodable(String),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

fn display_prefix(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("{}: ", p.display()),
        None => String::new(),
    }
}

impl MusicError {
    /// Attaches a file name to an error that came from bytes without one.
    pub fn with_path(self, file: impl Into<PathBuf>) -> Self {
        match self {
            MusicError::InvalidMidi { path: None, reason } => MusicError::InvalidMidi {
                path: Some(file.into()),
                reason,
            },
            other => other,
        }
    }
}

impl From<euterpe_base::FileError> for MusicError {
    fn from(e: euterpe_base::FileError) -> Self {
        MusicError::Io {
            path: e.path,
            source: e.source,
        }
    }
}
