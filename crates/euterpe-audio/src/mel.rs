//! The mel filterbank of `librosa.filters.mel`: triangular filters on the Slaney (or HTK) mel
//! scale, area-normalised (Slaney norm) by default.

use crate::AudioError;

/// How the filters are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelNorm {
    /// Each triangle divided by its width in Hz (librosa's `norm="slaney"`, the default).
    Slaney,
    /// Peaks of 1 (librosa's `norm=None`).
    None,
}

/// The shape of a filterbank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelConfig {
    /// Filters (128, librosa's default).
    pub n_mels: usize,
    /// The lowest frequency in Hz (0).
    pub fmin: f64,
    /// The highest frequency in Hz; `None` is the Nyquist frequency.
    pub fmax: Option<f64>,
    /// The HTK mel formula instead of Slaney's (false).
    pub htk: bool,
    /// The filter scaling (Slaney).
    pub norm: MelNorm,
}

impl Default for MelConfig {
    fn default() -> Self {
        MelConfig {
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        }
    }
}

/// One triangular filter: its weights over bins `start..start + weights.len()`.
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    start: usize,
    weights: Vec<f32>,
}

/// A filterbank over the `1 + n_fft / 2` bins of a spectrum, stored sparsely: each filter
/// covers a few bins.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_bins: usize,
    filters: Vec<Filter>,
}

impl MelFilterbank {
    /// The filterbank `librosa.filters.mel(sr=sample_rate, n_fft=n_fft, …)` builds.
    pub fn new(sample_rate: u32, n_fft: usize, config: &MelConfig) -> Result<Self, AudioError> {
        let sr = f64::from(sample_rate);
        let fmax = config.fmax.unwrap_or(sr / 2.0);
        if config.n_mels == 0 || config.n_mels > 1024 {
            return Err(AudioError::parameter(
                "n_mels",
                format!("{}; give 1 to 1024", config.n_mels),
            ));
        }
        if !(config.fmin >= 0.0 && config.fmin < fmax && fmax <= sr / 2.0 + 1e-9) {
            return Err(AudioError::parameter(
                "fmin/fmax",
                format!(
                    "{} to {fmax} Hz; give 0 <= fmin < fmax <= {} Hz (half the sample rate)",
                    config.fmin,
                    sr / 2.0
                ),
            ));
        }
        let n_bins = n_fft / 2 + 1;
        // np.fft.rfftfreq(n_fft, 1/sr).
        let step = 1.0 / (n_fft as f64 * (1.0 / sr));
        let fft_freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * step).collect();
        let mel_f = mel_frequencies(config.n_mels + 2, config.fmin, fmax, config.htk);
        let filters = (0..config.n_mels)
            .map(|i| {
                let (lo, centre, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
                let enorm = match config.norm {
                    MelNorm::Slaney => 2.0 / (hi - lo),
                    MelNorm::None => 1.0,
                };
                let dense: Vec<f32> = fft_freqs
                    .iter()
                    .map(|&f| {
                        let lower = -(lo - f) / (centre - lo);
                        let upper = (hi - f) / (hi - centre);
                        // As librosa: the weight is stored as float32, then scaled in float64.
                        let w = 0.0f64.max(lower.min(upper)) as f32;
                        (f64::from(w) * enorm) as f32
                    })
                    .collect();
                sparse(dense)
            })
            .collect();
        Ok(MelFilterbank { n_bins, filters })
    }

    /// Filters in the bank.
    pub fn n_mels(&self) -> usize {
        self.filters.len()
    }

    /// Spectrum bins the bank expects.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// `out[m] = Σ_k weight[m][k] · spectrum[k]` for one frame.
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        debug_assert_eq!(spectrum.len(), self.n_bins);
        for (o, filter) in out.iter_mut().zip(&self.filters) {
            let bins = &spectrum[filter.start..filter.start + filter.weights.len()];
            *o = filter.weights.iter().zip(bins).map(|(w, s)| w * s).sum();
        }
    }

    /// `out[k] = Σ_m weight[m][k] · values[m]`: the transpose of [`MelFilterbank::apply`].
    pub fn apply_transposed(&self, values: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        for (v, filter) in values.iter().zip(&self.filters) {
            let bins = &mut out[filter.start..filter.start + filter.weights.len()];
            for (o, w) in bins.iter_mut().zip(&filter.weights) {
                *o += w * v;
            }
        }
    }

    /// The bank as a dense `[n_mels, n_bins]` row-major matrix.
    pub fn dense(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.filters.len() * self.n_bins];
        for (row, filter) in out.chunks_exact_mut(self.n_bins).zip(&self.filters) {
            row[filter.start..filter.start + filter.weights.len()].copy_from_slice(&filter.weights);
        }
        out
    }
}

/// Trims the zeros around a filter.
fn sparse(dense: Vec<f32>) -> Filter {
    let start = dense.iter().position(|&w| w != 0.0).unwrap_or(0);
    let end = dense
        .iter()
        .rposition(|&w| w != 0.0)
        .map_or(start, |e| e + 1);
    Filter {
        start,
        weights: dense[start..end].to_vec(),
    }
}

/// `n` frequencies evenly spaced on the mel scale from `fmin` to `fmax` Hz
/// (`librosa.mel_frequencies`).
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64, htk: bool) -> Vec<f64> {
    let (lo, hi) = (hz_to_mel(fmin, htk), hz_to_mel(fmax, htk));
    linspace(lo, hi, n)
        .into_iter()
        .map(|m| mel_to_hz(m, htk))
        .collect()
}

/// `np.linspace(start, stop, n)`: `start + i · step`, the last value exactly `stop`.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (stop - start) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
    v[n - 1] = stop;
    v
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mels: Slaney's scale (linear below 1 kHz, logarithmic above) or HTK's.
pub fn hz_to_mel(hz: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + hz / 700.0).log10();
    }
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

/// Mels to Hz, the inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(mel / 2595.0) - 1.0);
    }
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mel_scale_round_trips_and_is_linear_below_1khz() {
        for hz in [0.0, 440.0, 999.0, 1000.0, 5000.0, 11_025.0] {
            for htk in [false, true] {
                let back = mel_to_hz(hz_to_mel(hz, htk), htk);
                assert!((back - hz).abs() < 1e-9 * hz.max(1.0), "{hz} {htk}");
            }
        }
        assert!((hz_to_mel(500.0, false) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0, false) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn slaney_filters_have_unit_area_in_hz() {
        // With Slaney's norm each triangle's integral over Hz is 1: Σ w · Δf ≈ 1 where the
        // filters are wide enough to be sampled by many bins.
        let bank = MelFilterbank::new(22_050, 8192, &MelConfig::default()).unwrap();
        let df = 22_050.0 / 8192.0;
        let dense = bank.dense();
        for m in [60, 100, 127] {
            let area: f64 = dense[m * bank.n_bins()..(m + 1) * bank.n_bins()]
                .iter()
                .map(|&w| f64::from(w) * df)
                .sum();
            assert!((area - 1.0).abs() < 0.02, "filter {m}: area {area}");
        }
    }

    #[test]
    fn bad_ranges_are_errors() {
        let c = MelConfig {
            fmax: Some(20_000.0),
            ..MelConfig::default()
        };
        assert!(MelFilterbank::new(22_050, 2048, &c).is_err());
        let c = MelConfig {
            n_mels: 0,
            ..MelConfig::default()
        };
        assert!(MelFilterbank::new(22_050, 2048, &c).is_err());
    }
}
