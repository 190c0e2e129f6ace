//! Sample-rate conversion with rubato's FFT resampler (band-limited, exact rational ratio).
//!
//! The output has `ceil(n · to / from)` samples, as `librosa.resample` gives, aligned with the
//! input: the resampler's delay is removed.

use rubato::{FftFixedInOut, Resampler};

use crate::AudioError;

/// Input frames per resampler call; larger chunks amortise the FFTs.
const CHUNK: usize = 1024;

/// Resamples a mono signal from `from` Hz to `to` Hz.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == 0 || to == 0 {
        return Err(AudioError::parameter(
            "sample rate",
            format!("cannot resample from {from} Hz to {to} Hz"),
        ));
    }
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let wanted = (samples.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let mut resampler = FftFixedInOut::<f32>::new(from as usize, to as usize, CHUNK, 1)
        .map_err(|e| AudioError::parameter("sample rate", e.to_string()))?;
    let delay = resampler.output_delay();
    let chunk = resampler.input_frames_next();
    let mut input = vec![0.0f32; chunk];
    let mut output = vec![vec![0.0f32; resampler.output_frames_max()]];
    let mut resampled = Vec::with_capacity(wanted + delay + resampler.output_frames_max());
    let mut position = 0usize;
    while resampled.len() < wanted + delay {
        // Past the end the input is silence, which flushes the filter.
        let available = samples.len().saturating_sub(position).min(chunk);
        input[..available].copy_from_slice(&samples[position..position + available]);
        input[available..].fill(0.0);
        let (_, produced) = resampler
            .process_into_buffer(&[&input], &mut output, None)
            .map_err(|e| AudioError::parameter("sample rate", e.to_string()))?;
        resampled.extend_from_slice(&output[0][..produced]);
        position += chunk;
    }
    resampled.drain(..delay);
    resampled.truncate(wanted);
    Ok(resampled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    #[test]
    fn a_sine_keeps_its_frequency_phase_and_length() {
        let from = 44_100;
        let to = 22_050;
        let x = sine(440.0, from, 44_100);
        let y = resample(&x, from, to).unwrap();
        assert_eq!(y.len(), 22_050);
        let expected = sine(440.0, to, 22_050);
        // Away from the edges the resampled signal is the same sine, not delayed.
        let worst = y[1000..21_000]
            .iter()
            .zip(&expected[1000..21_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-2, "worst difference {worst}");
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        let x = sine(15_000.0, 48_000, 48_000);
        let y = resample(&x, 48_000, 22_050).unwrap();
        assert_eq!(y.len(), 22_050);
        let rms = (y[2000..20_000].iter().map(|v| v * v).sum::<f32>() / 18_000.0).sqrt();
        assert!(rms < 0.01, "aliased energy left: rms {rms}");
    }

    #[test]
    fn a_zero_rate_is_an_error() {
        assert!(resample(&[0.0; 10], 0, 22_050).is_err());
    }
}
