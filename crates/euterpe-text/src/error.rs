//! What can go wrong reading an encoder's files.

/// A word-vector or lexicon file that does not read.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The vectors do not match the word list, or a lexicon line is malformed.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file (or built-in part) at fault.
        file: String,
        /// What is wrong, with the line where one is at fault.
        reason: String,
    },
}

impl TextError {
    pub(crate) fn invalid(file: &str, reason: impl Into<String>) -> Self {
        TextError::Invalid {
            file: file.to_string(),
            reason: reason.into(),
        }
    }
}
