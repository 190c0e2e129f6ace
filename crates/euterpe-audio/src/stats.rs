//! What a collection of recordings holds: lengths, rates, channels, codecs, and the files that
//! do not decode, with reasons.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::batch::Outcome;
use crate::AudioError;

/// One file that decoded.
#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    /// The file.
    pub file: PathBuf,
    /// Its length in seconds.
    pub seconds: f64,
    /// Its sample rate.
    pub sample_rate: u32,
    /// Its channels.
    pub channels: usize,
    /// Its codec.
    pub codec: String,
    /// The peak absolute sample after mixing to mono.
    pub peak: f32,
}

/// Decodes a file (the whole file, so that damage anywhere is found) and describes it.
pub fn file_stats(path: &Path) -> Result<FileStats, AudioError> {
    let decoded = crate::decode(path)?;
    Ok(FileStats {
        file: path.to_path_buf(),
        seconds: decoded.audio.seconds(),
        sample_rate: decoded.info.sample_rate,
        channels: decoded.info.channels,
        codec: decoded.info.codec,
        peak: decoded
            .audio
            .samples
            .iter()
            .fold(0.0f32, |m, s| m.max(s.abs())),
    })
}

/// A file that failed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The file.
    pub file: PathBuf,
    /// The reason, one line.
    pub error: String,
}

/// The summary of a collection.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Files that decoded.
    pub files: usize,
    /// Their total length in seconds.
    pub total_seconds: f64,
    /// The shortest file's length.
    pub min_seconds: f64,
    /// The longest file's length.
    pub max_seconds: f64,
    /// Files per sample rate.
    pub sample_rates: BTreeMap<u32, usize>,
    /// Files per channel count.
    pub channels: BTreeMap<usize, usize>,
    /// Files per codec.
    pub codecs: BTreeMap<String, usize>,
    /// Files that did not decode.
    pub failures: Vec<Failure>,
    /// Every file that decoded.
    pub details: Vec<FileStats>,
}

impl Summary {
    /// Summarises the outcomes of [`file_stats`] over a collection.
    pub fn from_outcomes(outcomes: Vec<Outcome<FileStats>>) -> Self {
        let mut summary = Summary {
            files: 0,
            total_seconds: 0.0,
            min_seconds: f64::INFINITY,
            max_seconds: 0.0,
            sample_rates: BTreeMap::new(),
            channels: BTreeMap::new(),
            codecs: BTreeMap::new(),
            failures: Vec::new(),
            details: Vec::new(),
        };
        for outcome in outcomes {
            match outcome.result {
                Ok(s) => {
                    summary.files += 1;
                    summary.total_seconds += s.seconds;
                    summary.min_seconds = summary.min_seconds.min(s.seconds);
                    summary.max_seconds = summary.max_seconds.max(s.seconds);
                    *summary.sample_rates.entry(s.sample_rate).or_default() += 1;
                    *summary.channels.entry(s.channels).or_default() += 1;
                    *summary.codecs.entry(s.codec.clone()).or_default() += 1;
                    summary.details.push(s);
                }
                Err(e) => summary.failures.push(Failure {
                    file: outcome.file,
                    error: e.to_string(),
                }),
            }
        }
        if summary.files == 0 {
            summary.min_seconds = 0.0;
        }
        summary
    }
}
