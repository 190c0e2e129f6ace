//! Signal to features in one call: STFT magnitude, power mel spectrogram, log-mel, MFCC or
//! chroma, as a `[coefficients, frames]` matrix exactly as librosa returns it.
//!
//! Frames are computed one at a time and reduced at once (to 128 mels, 20 MFCCs, 12 chroma), so
//! a one-hour recording holds only its small feature matrix, never its spectrogram.

use std::fmt;
use std::str::FromStr;

use crate::chroma::ChromaFilterbank;
use crate::db::power_to_db;
use crate::mel::{MelConfig, MelFilterbank};
use crate::mfcc::Dct;
use crate::stft::{Power, Stft, StftConfig};
use crate::AudioError;

/// Which features to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// `np.abs(librosa.stft(y))`: `[1 + n_fft/2, frames]` magnitudes.
    Stft,
    /// `librosa.feature.melspectrogram(y=y, sr=sr)`: power mel spectrogram `[n_mels, frames]`.
    Mel,
    /// `librosa.power_to_db(melspectrogram(…))`: log-mel in dB `[n_mels, frames]`.
    LogMel,
    /// `librosa.feature.mfcc(y=y, sr=sr, n_mfcc=…)`: `[n_mfcc, frames]`.
    Mfcc,
    /// `librosa.feature.chroma_stft(y=y, sr=sr, tuning=…)`: `[12, frames]`.
    Chroma,
}

impl FeatureKind {
    /// Every kind, with its CLI name.
    pub const ALL: [(FeatureKind, &'static str); 5] = [
        (FeatureKind::Stft, "stft"),
        (FeatureKind::Mel, "mel"),
        (FeatureKind::LogMel, "log-mel"),
        (FeatureKind::Mfcc, "mfcc"),
        (FeatureKind::Chroma, "chroma"),
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        FeatureKind::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }
}

impl fmt::Display for FeatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeatureKind {
    type Err = AudioError;

    fn from_str(s: &str) -> Result<Self, AudioError> {
        FeatureKind::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                let names: Vec<&str> = FeatureKind::ALL.iter().map(|(_, n)| *n).collect();
                AudioError::parameter(
                    "feature kind",
                    format!("`{s}`; choose one of {}", names.join(", ")),
                )
            })
    }
}

/// The parameters of a feature; [`FeatureConfig::new`] gives librosa 0.11's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// What to compute.
    pub kind: FeatureKind,
    /// Frames of the STFT (n_fft 2048, hop 512, centred).
    pub stft: StftConfig,
    /// The mel filterbank (128 Slaney mels, 0 Hz to Nyquist).
    pub mel: MelConfig,
    /// MFCCs kept (20).
    pub n_mfcc: usize,
    /// The dB floor below the maximum for log-mel and MFCC (80; `None` for no floor).
    pub top_db: Option<f32>,
    /// Chroma bins (12).
    pub n_chroma: usize,
    /// Chroma tuning in fractions of a bin (0: A = 440 Hz). librosa estimates it when not
    /// given; pass `tuning=0.0` there to compare.
    pub tuning: f64,
}

impl FeatureConfig {
    /// librosa's defaults for `kind`.
    pub fn new(kind: FeatureKind) -> Self {
        FeatureConfig {
            kind,
            stft: StftConfig::default(),
            mel: MelConfig::default(),
            n_mfcc: 20,
            top_db: Some(80.0),
            n_chroma: 12,
            tuning: 0.0,
        }
    }

    /// Rows of the output.
    pub fn rows(&self) -> usize {
        match self.kind {
            FeatureKind::Stft => self.stft.n_bins(),
            FeatureKind::Mel | FeatureKind::LogMel => self.mel.n_mels,
            FeatureKind::Mfcc => self.n_mfcc,
            FeatureKind::Chroma => self.n_chroma,
        }
    }

    fn validate(&self) -> Result<(), AudioError> {
        if self.kind == FeatureKind::Mfcc && !(1..=self.mel.n_mels).contains(&self.n_mfcc) {
            return Err(AudioError::parameter(
                "n_mfcc",
                format!("{}; give 1 to n_mels ({})", self.n_mfcc, self.mel.n_mels),
            ));
        }
        if self.kind == FeatureKind::Chroma && !(1..=120).contains(&self.n_chroma) {
            return Err(AudioError::parameter(
                "n_chroma",
                format!("{}; give 1 to 120", self.n_chroma),
            ));
        }
        if self.top_db.is_some_and(|t| !(t >= 0.0 && t.is_finite())) {
            return Err(AudioError::parameter(
                "top_db",
                "give a non-negative number of decibels",
            ));
        }
        Ok(())
    }
}

/// A row-major `[rows, cols]` matrix of `f32`: rows are coefficients, columns frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Coefficients (bins, mels, MFCCs, chroma).
    pub rows: usize,
    /// Frames.
    pub cols: usize,
    /// `rows · cols` values, row after row.
    pub data: Vec<f32>,
}

impl Matrix {
    /// A zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// The value at `(row, col)`.
    pub fn get(&self, row: usize, col: usize) -> f32 {
        self.data[row * self.cols + col]
    }

    fn set_column(&mut self, col: usize, values: &[f32]) {
        for (r, v) in values.iter().enumerate() {
            self.data[r * self.cols + col] = *v;
        }
    }
}

/// Computes the features of a mono signal at `sample_rate` Hz.
pub fn compute(
    samples: &[f32],
    sample_rate: u32,
    config: &FeatureConfig,
) -> Result<Matrix, AudioError> {
    config.validate()?;
    let mut stft = Stft::new(config.stft)?;
    let frames = config.stft.n_frames(samples.len());
    let out = match config.kind {
        FeatureKind::Stft => {
            let mut out = Matrix::zeros(config.rows(), frames);
            stft.for_each_power_frame(samples, Power::Magnitude, |t, m| out.set_column(t, m));
            out
        }
        FeatureKind::Mel | FeatureKind::LogMel | FeatureKind::Mfcc => {
            let bank = MelFilterbank::new(sample_rate, config.stft.n_fft, &config.mel)?;
            let mut mel = Matrix::zeros(bank.n_mels(), frames);
            let mut column = vec![0.0f32; bank.n_mels()];
            stft.for_each_power_frame(samples, Power::Power, |t, p| {
                bank.apply(p, &mut column);
                mel.set_column(t, &column);
            });
            if config.kind != FeatureKind::Mel {
                power_to_db(&mut mel.data, 1.0, 1e-10, config.top_db);
            }
            match config.kind {
                FeatureKind::Mfcc => mfcc_of_log_mel(&mel, config.n_mfcc),
                _ => mel,
            }
        }
        FeatureKind::Chroma => {
            let bank = ChromaFilterbank::new(
                sample_rate,
                config.stft.n_fft,
                config.n_chroma,
                config.tuning,
            );
            let mut out = Matrix::zeros(config.rows(), frames);
            let mut chroma = vec![0.0f32; bank.n_chroma()];
            stft.for_each_power_frame(samples, Power::Power, |t, p| {
                bank.apply(p, &mut chroma);
                out.set_column(t, &chroma);
            });
            out
        }
    };
    Ok(out)
}

/// MFCCs of a `[n_mels, frames]` log-mel matrix.
pub fn mfcc_of_log_mel(log_mel: &Matrix, n_mfcc: usize) -> Matrix {
    let dct = Dct::new(log_mel.rows, n_mfcc);
    let mut out = Matrix::zeros(n_mfcc, log_mel.cols);
    let mut column = vec![0.0f32; log_mel.rows];
    let mut coefficients = vec![0.0f32; n_mfcc];
    for t in 0..log_mel.cols {
        for (r, c) in column.iter_mut().enumerate() {
            *c = log_mel.get(r, t);
        }
        dct.apply(&column, &mut coefficients);
        out.set_column(t, &coefficients);
    }
    out
}
