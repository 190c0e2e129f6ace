//! What a generation run reports, as text or JSON.

use std::path::PathBuf;

use serde::Serialize;

/// One generation run.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReport {
    /// The model, by name or directory.
    pub model: String,
    /// The sampler's seed: the same seed (and options) gives the same music.
    pub seed: u64,
    /// The device the model ran on.
    pub device: String,
    /// New tokens written, over all pieces.
    pub tokens: usize,
    /// Seconds the model took.
    pub seconds: f64,
    /// Tokens per second.
    pub tokens_per_second: f64,
    /// The pieces.
    pub pieces: Vec<PieceReport>,
}

/// One generated piece and the files written for it.
#[derive(Debug, Clone, Serialize)]
pub struct PieceReport {
    /// The MIDI file.
    pub midi: PathBuf,
    /// The WAV file, if one was rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wav: Option<PathBuf>,
    /// The piano-roll picture, if one was drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub png: Option<PathBuf>,
    /// Notes in the piece.
    pub notes: usize,
    /// Its length in seconds.
    pub seconds: f64,
    /// Tokens the model wrote for it.
    pub new_tokens: usize,
    /// Their summed log-probability under the model.
    pub log_prob: f64,
    /// The style the model chose, when an emotion was asked without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen_style: Option<String>,
}
