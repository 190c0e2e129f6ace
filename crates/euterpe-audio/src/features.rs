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

    /// librosa's defaults for `kind` with another frame layout (`n_fft`, `hop_length`, centred)
    /// and number of mel bands.
    pub fn with_layout(kind: FeatureKind, n_fft: usize, hop_length: usize, n_mels: usize) -> Self {
        FeatureConfig {
            stft: StftConfig {
                n_fft,
                hop_length,
                center: true,
            },
            mel: MelConfig {
                n_mels,
                ..MelConfig::default()
            },
            ..FeatureConfig::new(kind)
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

    /// The `[rows, cols]` matrix of `cols` frames of `rows` values held frame after frame,
    /// transposed in tiles that stay in cache.
    pub fn from_frames(rows: usize, cols: usize, frames: &[f32]) -> Self {
        const TILE: usize = 32;
        let mut m = Matrix::zeros(rows, cols);
        for c0 in (0..cols).step_by(TILE) {
            for r0 in (0..rows).step_by(TILE) {
                for c in c0..(c0 + TILE).min(cols) {
                    for r in r0..(r0 + TILE).min(rows) {
                        m.data[r * cols + c] = frames[c * rows + r];
                    }
                }
            }
        }
        m
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
            let mut held = Vec::with_capacity(config.rows() * frames);
            stft.for_each_power_frame(samples, Power::Magnitude, |_, m| held.extend_from_slice(m));
            Matrix::from_frames(config.rows(), frames, &held)
        }
        FeatureKind::Mel | FeatureKind::LogMel | FeatureKind::Mfcc => {
            let bank = MelFilterbank::new(sample_rate, config.stft.n_fft, &config.mel)?;
            let n_mels = bank.n_mels();
            let mut held = vec![0.0f32; n_mels * frames];
            stft.for_each_power_frame(samples, Power::Power, |t, p| {
                bank.apply(p, &mut held[t * n_mels..(t + 1) * n_mels]);
            });
            let mut mel = Matrix::from_frames(n_mels, frames, &held);
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
            let n_chroma = bank.n_chroma();
            let mut held = vec![0.0f32; n_chroma * frames];
            stft.for_each_power_frame(samples, Power::Power, |t, p| {
                bank.apply(p, &mut held[t * n_chroma..(t + 1) * n_chroma]);
            });
            Matrix::from_frames(n_chroma, frames, &held)
        }
    };
    Ok(out)
}

/// MFCCs of a `[n_mels, frames]` log-mel matrix: the DCT applied to every frame at once, row
/// by row, so that the inner loop runs over contiguous frames.
pub fn mfcc_of_log_mel(log_mel: &Matrix, n_mfcc: usize) -> Matrix {
    let dct = Dct::new(log_mel.rows, n_mfcc);
    let mut out = Matrix::zeros(n_mfcc, log_mel.cols);
    let mut sums = vec![0.0f64; log_mel.cols];
    for (k, out_row) in out.data.chunks_exact_mut(log_mel.cols.max(1)).enumerate() {
        sums.fill(0.0);
        for (m, row) in log_mel.data.chunks_exact(log_mel.cols.max(1)).enumerate() {
            let b = dct.weight(k, m);
            for (s, &x) in sums.iter_mut().zip(row) {
                *s += b * f64::from(x);
            }
        }
        for (o, s) in out_row.iter_mut().zip(&sums) {
            *o = *s as f32;
        }
    }
    out
}
