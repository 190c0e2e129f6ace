//! Back from features to sound: the inverse STFT, Griffin-Lim phase reconstruction (fast
//! Griffin-Lim, librosa's defaults: 32 iterations, momentum 0.99, random initial phase), mel to
//! linear magnitudes by non-negative least squares, and log-mel or MFCC back to a mel power
//! spectrogram (`librosa.feature.inverse.*`).

use std::sync::Arc;

use euterpe_base::SplitMix64;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner};

use crate::mel::MelFilterbank;
use crate::mfcc::Dct;
use crate::stft::{hann, Stft, StftConfig};
use crate::{AudioError, Matrix};

/// A complex spectrogram held frame after frame: `frames × bins` coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrogram {
    /// Bins per frame (`1 + n_fft / 2`).
    pub bins: usize,
    /// Frames.
    pub frames: usize,
    /// `frames · bins` coefficients, frame after frame.
    pub data: Vec<Complex<f32>>,
}

impl Spectrogram {
    /// The STFT of a whole signal.
    pub fn of(samples: &[f32], config: StftConfig) -> Result<Self, AudioError> {
        let mut stft = Stft::new(config)?;
        let bins = config.n_bins();
        let frames = config.n_frames(samples.len());
        let mut data = Vec::with_capacity(frames * bins);
        stft.for_each_frame(samples, |_, spectrum| data.extend_from_slice(spectrum));
        Ok(Spectrogram { bins, frames, data })
    }

    fn frame(&self, t: usize) -> &[Complex<f32>] {
        &self.data[t * self.bins..(t + 1) * self.bins]
    }
}

/// `librosa.istft`: each frame inverse-transformed, windowed, overlap-added and divided by the
/// summed squared window; the centring padding removed. The signal is `length` samples long
/// (default `hop · (frames − 1)`).
pub fn istft(
    spectrogram: &Spectrogram,
    config: StftConfig,
    length: Option<usize>,
) -> Result<Vec<f32>, AudioError> {
    let n_fft = config.n_fft;
    if spectrogram.bins != config.n_bins() {
        return Err(AudioError::parameter(
            "spectrogram",
            format!(
                "{} bins per frame; n_fft {n_fft} needs {}",
                spectrogram.bins,
                config.n_bins()
            ),
        ));
    }
    let inverse: Arc<dyn ComplexToReal<f64>> = RealFftPlanner::<f64>::new().plan_fft_inverse(n_fft);
    let window = hann(n_fft);
    let frames = spectrogram.frames;
    let full = n_fft + config.hop_length * frames.saturating_sub(1);
    let mut signal = vec![0.0f64; full];
    let mut envelope = vec![0.0f64; full];
    let mut spectrum = inverse.make_input_vec();
    let mut frame = inverse.make_output_vec();
    let mut scratch = inverse.make_scratch_vec();
    for t in 0..frames {
        for (s, c) in spectrum.iter_mut().zip(spectrogram.frame(t)) {
            *s = Complex::new(f64::from(c.re), f64::from(c.im));
        }
        // A real signal's DC and Nyquist coefficients are real.
        spectrum[0].im = 0.0;
        if let Some(last) = spectrum.last_mut() {
            last.im = 0.0;
        }
        inverse
            .process_with_scratch(&mut spectrum, &mut frame, &mut scratch)
            .expect("buffers come from the plan and the edge bins are real");
        let start = t * config.hop_length;
        for (i, (&x, &w)) in frame.iter().zip(&window).enumerate() {
            signal[start + i] += x / n_fft as f64 * w;
            envelope[start + i] += w * w;
        }
    }
    for (s, e) in signal.iter_mut().zip(&envelope) {
        if *e > f64::MIN_POSITIVE {
            *s /= e;
        }
    }
    let offset = if config.center { n_fft / 2 } else { 0 };
    let natural = if config.center {
        full.saturating_sub(2 * offset)
    } else {
        full
    };
    let length = length.unwrap_or(natural);
    Ok((0..length)
        .map(|i| signal.get(offset + i).copied().unwrap_or(0.0) as f32)
        .collect())
}

/// Options of [`griffin_lim`].
#[derive(Debug, Clone, PartialEq)]
pub struct GriffinLimOptions {
    /// Iterations (32).
    pub iterations: usize,
    /// The momentum of fast Griffin-Lim (0.99; 0 is the original algorithm).
    pub momentum: f32,
    /// The seed of the random initial phase.
    pub seed: u64,
    /// The output length in samples (default `hop · (frames − 1)`).
    pub length: Option<usize>,
}

impl Default for GriffinLimOptions {
    fn default() -> Self {
        GriffinLimOptions {
            iterations: 32,
            momentum: 0.99,
            seed: 0,
            length: None,
        }
    }
}

/// A signal whose STFT magnitude approximates `magnitude` (`[bins, frames]`), by fast
/// Griffin-Lim (Perraudin et al. 2013) as `librosa.griffinlim`.
pub fn griffin_lim(
    magnitude: &Matrix,
    config: StftConfig,
    options: &GriffinLimOptions,
) -> Result<Vec<f32>, AudioError> {
    if !(0.0..=1.0).contains(&options.momentum) {
        return Err(AudioError::parameter(
            "momentum",
            format!("{}; give 0 to 1", options.momentum),
        ));
    }
    let (bins, frames) = (magnitude.rows, magnitude.cols);
    let mut rng = SplitMix64::new(options.seed);
    let mut angles: Vec<Complex<f32>> = (0..bins * frames)
        .map(|_| {
            let phase = 2.0 * std::f64::consts::PI * rng.unit();
            Complex::new(phase.cos() as f32, phase.sin() as f32)
        })
        .collect();
    // Magnitudes frame-major, as the spectrogram is held.
    let mut mag = vec![0.0f32; bins * frames];
    for b in 0..bins {
        for t in 0..frames {
            mag[t * bins + b] = magnitude.get(b, t);
        }
    }
    let with_phase = |angles: &[Complex<f32>]| Spectrogram {
        bins,
        frames,
        data: angles.iter().zip(&mag).map(|(a, &m)| a * m).collect(),
    };
    let length = config.hop_length * frames.saturating_sub(1);
    let mut previous: Option<Spectrogram> = None;
    let ratio = options.momentum / (1.0 + options.momentum);
    for _ in 0..options.iterations {
        let signal = istft(&with_phase(&angles), config, Some(length))?;
        let rebuilt = Spectrogram::of(&signal, config)?;
        for (i, a) in angles.iter_mut().enumerate() {
            let prev = previous.as_ref().map_or(Complex::default(), |p| p.data[i]);
            let v = rebuilt.data[i] - prev * ratio;
            *a = v / (v.norm() + 1e-16);
        }
        previous = Some(rebuilt);
    }
    istft(&with_phase(&angles), config, options.length)
}

/// `librosa.feature.inverse.mel_to_stft`: linear STFT magnitudes `[bins, frames]` whose mel
/// projection best matches a power mel spectrogram, by non-negative least squares per frame
/// (accelerated projected gradient), then the `1/power` root (`power` 2 for power mels).
pub fn mel_to_stft(mel: &Matrix, bank: &MelFilterbank, power: f32) -> Result<Matrix, AudioError> {
    if mel.rows != bank.n_mels() {
        return Err(AudioError::parameter(
            "mel spectrogram",
            format!("{} bands; the filterbank has {}", mel.rows, bank.n_mels()),
        ));
    }
    let nnls = Nnls::new(bank);
    let mut out = Matrix::zeros(bank.n_bins(), mel.cols);
    let mut target = vec![0.0f32; mel.rows];
    for t in 0..mel.cols {
        for (m, v) in target.iter_mut().enumerate() {
            *v = mel.get(m, t);
        }
        let x = nnls.solve(&target);
        for (b, v) in x.iter().enumerate() {
            out.data[b * out.cols + t] = v.max(0.0).powf(1.0 / power);
        }
    }
    Ok(out)
}

/// `librosa.db_to_power`: `10^(dB / 10)` in place.
pub fn db_to_power(values: &mut [f32]) {
    for v in values {
        *v = 10f32.powf(*v / 10.0);
    }
}

/// `librosa.feature.inverse.mfcc_to_mel`: the MFCCs zero-padded to `n_mels`, inverse DCT,
/// back to power.
pub fn mfcc_to_mel(mfcc: &Matrix, n_mels: usize) -> Result<Matrix, AudioError> {
    if mfcc.rows > n_mels {
        return Err(AudioError::parameter(
            "n_mels",
            format!("{n_mels}; it must be at least the {} MFCCs", mfcc.rows),
        ));
    }
    let dct = Dct::new(n_mels, mfcc.rows);
    let mut out = Matrix::zeros(n_mels, mfcc.cols);
    let mut column = vec![0.0f32; mfcc.rows];
    let mut log_mel = vec![0.0f32; n_mels];
    for t in 0..mfcc.cols {
        for (k, c) in column.iter_mut().enumerate() {
            *c = mfcc.get(k, t);
        }
        dct.apply_transposed(&column, &mut log_mel);
        for (m, v) in log_mel.iter().enumerate() {
            out.data[m * out.cols + t] = *v;
        }
    }
    db_to_power(&mut out.data);
    Ok(out)
}

/// Non-negative least squares `min ‖A x − b‖², x ≥ 0` for the (sparse) mel matrix `A`, by
/// FISTA with a projection onto `x ≥ 0`, started from the back-projection `Aᵀ b` scaled to fit.
struct Nnls<'a> {
    bank: &'a MelFilterbank,
    step: f32,
}

/// Iterations per frame: enough to bring the mel error to a fraction of a percent on music.
const NNLS_ITERATIONS: usize = 200;

impl<'a> Nnls<'a> {
    fn new(bank: &'a MelFilterbank) -> Self {
        let lipschitz = largest_eigenvalue(bank);
        Nnls {
            bank,
            step: (1.0 / lipschitz.max(f64::MIN_POSITIVE)) as f32,
        }
    }

    fn solve(&self, b: &[f32]) -> Vec<f32> {
        let (rows, cols) = (self.bank.n_mels(), self.bank.n_bins());
        let mut x = vec![0.0f32; cols];
        self.bank.apply_transposed(b, &mut x);
        // Scale the back-projection so that its projection has b's energy.
        let mut ax = vec![0.0f32; rows];
        self.bank.apply(&x, &mut ax);
        let num: f32 = ax.iter().zip(b).map(|(p, q)| p * q).sum();
        let den: f32 = ax.iter().map(|p| p * p).sum();
        if den <= f32::MIN_POSITIVE {
            return vec![0.0; cols];
        }
        x.iter_mut().for_each(|v| *v *= num / den);
        let mut y = x.clone();
        let mut previous = x.clone();
        let mut gradient = vec![0.0f32; cols];
        let mut residual = vec![0.0f32; rows];
        let mut momentum = 1.0f32;
        for _ in 0..NNLS_ITERATIONS {
            self.bank.apply(&y, &mut residual);
            residual.iter_mut().zip(b).for_each(|(r, q)| *r -= q);
            self.bank.apply_transposed(&residual, &mut gradient);
            previous.copy_from_slice(&x);
            for ((xi, yi), g) in x.iter_mut().zip(&y).zip(&gradient) {
                *xi = (yi - self.step * g).max(0.0);
            }
            let next = (1.0 + (1.0 + 4.0 * momentum * momentum).sqrt()) / 2.0;
            let beta = (momentum - 1.0) / next;
            for ((yi, xi), pi) in y.iter_mut().zip(&x).zip(&previous) {
                *yi = xi + beta * (xi - pi);
            }
            momentum = next;
        }
        x
    }
}

/// The largest eigenvalue of `AᵀA` (the gradient's Lipschitz constant), by power iteration.
fn largest_eigenvalue(bank: &MelFilterbank) -> f64 {
    let mut v = vec![1.0f32; bank.n_bins()];
    let mut av = vec![0.0f32; bank.n_mels()];
    let mut atav = vec![0.0f32; bank.n_bins()];
    let mut value = 0.0;
    for _ in 0..100 {
        bank.apply(&v, &mut av);
        bank.apply_transposed(&av, &mut atav);
        let norm = atav
            .iter()
            .map(|x| f64::from(*x).powi(2))
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        value = norm / v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        for (vi, a) in v.iter_mut().zip(&atav) {
            *vi = (f64::from(*a) / norm) as f32;
        }
    }
    value
}

/// Spectral convergence `‖|S| − |Ŝ|‖_F / ‖|S|‖_F` of two magnitude spectrograms.
pub fn spectral_convergence(reference: &Matrix, estimate: &Matrix) -> f64 {
    let (num, den) =
        reference
            .data
            .iter()
            .zip(&estimate.data)
            .fold((0.0f64, 0.0f64), |(n, d), (&r, &e)| {
                let (r, e) = (f64::from(r), f64::from(e));
                (n + (r - e).powi(2), d + r * r)
            });
    (num / den.max(f64::MIN_POSITIVE)).sqrt()
}

/// Log-spectral distance in dB: the root mean square over bins of `20·log10` magnitude ratios,
/// averaged over frames (magnitudes floored at 1e-5).
pub fn log_spectral_distance(reference: &Matrix, estimate: &Matrix) -> f64 {
    let mut total = 0.0;
    for t in 0..reference.cols {
        let mut sum = 0.0;
        for b in 0..reference.rows {
            let r = f64::from(reference.get(b, t)).max(1e-5);
            let e = f64::from(estimate.get(b, t)).max(1e-5);
            sum += (20.0 * (r / e).log10()).powi(2);
        }
        total += (sum / reference.rows as f64).sqrt();
    }
    total / reference.cols.max(1) as f64
}

/// Sound from features of any kind but chroma: MFCC → mel power (inverse DCT), log-mel → mel
/// power, mel → linear magnitudes (NNLS), then Griffin-Lim. `config` says how the features were
/// computed (its kind, STFT layout and mel bands).
pub fn features_to_audio(
    features: &Matrix,
    sample_rate: u32,
    config: &crate::FeatureConfig,
    options: &GriffinLimOptions,
) -> Result<Vec<f32>, AudioError> {
    use crate::FeatureKind;
    let rows_expected = config.rows();
    if features.rows != rows_expected && config.kind != FeatureKind::Mfcc {
        return Err(AudioError::parameter(
            "features",
            format!(
                "{} rows; {} features with these settings have {rows_expected}",
                features.rows, config.kind
            ),
        ));
    }
    let magnitude = match config.kind {
        FeatureKind::Stft => features.clone(),
        FeatureKind::Chroma => {
            return Err(AudioError::parameter(
                "feature kind",
                "chroma keeps pitch classes only; it cannot be turned back into sound",
            ))
        }
        FeatureKind::Mel | FeatureKind::LogMel | FeatureKind::Mfcc => {
            let power = match config.kind {
                FeatureKind::Mel => features.clone(),
                FeatureKind::LogMel => {
                    let mut p = features.clone();
                    db_to_power(&mut p.data);
                    p
                }
                _ => mfcc_to_mel(features, config.mel.n_mels)?,
            };
            let bank = MelFilterbank::new(sample_rate, config.stft.n_fft, &config.mel)?;
            mel_to_stft(&power, &bank, 2.0)?
        }
    };
    griffin_lim(&magnitude, config.stft, options)
}
