//! The one error type of the crate.

use std::path::PathBuf;

use euterpe_base::FileError;

/// Why audio could not be read or a feature could not be computed. Every variant about a file
/// names it.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not in a format or codec this crate decodes.
    #[error("{}: not a supported audio file: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The file is damaged at a position.
    #[error("{}: damaged at {seconds:.3} s: {reason}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Where, in seconds of audio decoded before the fault.
        seconds: f64,
        /// What the decoder said.
        reason: String,
    },
    /// The file ends before the length its header announces.
    #[error(
        "{}: truncated: its header announces {expected_seconds:.3} s but the data ends at {decoded_seconds:.3} s",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The length in the header.
        expected_seconds: f64,
        /// The length decoded.
        decoded_seconds: f64,
    },
    /// The file decodes to no samples at all.
    #[error("{}: holds no audio samples", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The sample rate in the file is absent or outside what audio can be.
    #[error("{}: sample rate {rate} Hz is outside {}..={} Hz", path.display(), crate::decode::MIN_SAMPLE_RATE, crate::decode::MAX_SAMPLE_RATE)]
    SampleRate {
        /// The file.
        path: PathBuf,
        /// The rate it declares (0 when it declares none).
        rate: u32,
    },
    /// A parameter (of a feature, a clip, a resampling) is out of range.
    #[error("invalid {name}: {reason}")]
    Parameter {
        /// The parameter, as the CLI names it.
        name: &'static str,
        /// What is wrong and what is valid.
        reason: String,
    },
    /// A `.npy` file is not a 2-D little-endian float32 array.
    #[error("{}: not a float32 .npy array: {reason}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl AudioError {
    /// A parameter error.
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        AudioError::Parameter {
            name,
            reason: reason.into(),
        }
    }
}
