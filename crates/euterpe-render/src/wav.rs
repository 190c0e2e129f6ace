//! Writing a score to a 16-bit PCM WAV file, normalised without clipping.
//!
//! Normalisation renders the piece twice: pass 1 only measures the peak, pass 2 renders again
//! from a fresh synthesiser, scales every sample by `target / peak` and writes it. Both synthesisers
//! are deterministic, so the two passes see the same samples. This costs twice the synthesis time
//! but keeps memory at one block whatever the length of the piece, and needs no temporary file of
//! 32-bit samples (which would be twice the size of the WAV itself). Rendering runs many times
//! faster than real time, so the second pass is cheap (see docs/benchmarks.md, "Rendering").
//!
//! The WAV header is written by hand: its sizes are known before the first sample (the length of
//! the piece is fixed by the score), so the file streams through
//! [`euterpe_music::fsutil::write_atomically`] without seeking.

use std::io::Write;
use std::path::Path;

use euterpe_music::fsutil::write_atomically;
use euterpe_music::Score;

use crate::renderer::{RenderOptions, Renderer, Synth};
use crate::RenderError;

/// What [`render_to_wav`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSummary {
    /// Length of the audio in seconds (the piece plus the tail).
    pub seconds: f64,
    /// Frames written.
    pub frames: u64,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Largest absolute sample written, as a fraction of full scale (0–1).
    pub peak: f32,
    /// Root mean square of the written samples, as a fraction of full scale.
    pub rms: f32,
    /// The linear gain applied to the synthesiser's output.
    pub gain: f32,
    /// Samples that exceeded full scale and were clipped (always 0 when normalising).
    pub clipped_samples: u64,
}

/// The 44-byte header of a PCM WAV file with 16-bit samples.
pub(crate) fn wav_header(sample_rate: u32, channels: u16, data_bytes: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let block_align = channels * 2;
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_bytes).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&(sample_rate * block_align as u32).to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

/// Renders `score` to a 16-bit PCM WAV file at `path`, written atomically.
///
/// With `options.normalize_dbfs` set (the default, −1 dBFS) the loudest sample lands at that level;
/// a score whose notes make no sound at all (possible with a SoundFont lacking the presets) is
/// written as silence. A score without notes is [`RenderError::EmptyScore`].
pub fn render_to_wav(
    score: &Score,
    path: &Path,
    options: &RenderOptions,
) -> Result<RenderSummary, RenderError> {
    options.validate()?;
    let synth = Synth::from_options(options)?;
    let mut renderer = Renderer::with_synth(score, &synth, options)?;
    let frames = renderer.total_frames();
    let channels = options.channels;
    let data_bytes = frames
        .checked_mul(channels as u64 * 2)
        .filter(|b| *b <= (u32::MAX - 36) as u64)
        .ok_or_else(|| RenderError::TooLong {
            path: path.to_path_buf(),
            frames,
        })? as u32;

    let gain = match options.normalize_dbfs {
        None => options.gain,
        Some(db) => {
            let mut buf = vec![0.0f32; options.block_frames * channels as usize];
            let mut peak = 0.0f32;
            loop {
                let n = renderer.fill(&mut buf);
                if n == 0 {
                    break;
                }
                peak = buf[..n * channels as usize]
                    .iter()
                    .fold(peak, |m, s| m.max(s.abs()));
            }
            renderer = Renderer::with_synth(score, &synth, options)?;
            if peak > 0.0 {
                10f32.powf(db / 20.0) / peak
            } else {
                1.0
            }
        }
    };

    let mut peak_q = 0u16;
    let mut sum_sq = 0f64;
    let mut clipped = 0u64;
    write_atomically(path, |w: &mut dyn Write| {
        w.write_all(&wav_header(options.sample_rate, channels, data_bytes))?;
        let mut buf = vec![0.0f32; options.block_frames * channels as usize];
        let mut bytes = Vec::with_capacity(buf.len() * 2);
        loop {
            let n = renderer.fill(&mut buf);
            if n == 0 {
                break;
            }
            bytes.clear();
            for &s in &buf[..n * channels as usize] {
                let x = s * gain * 32767.0;
                if x.abs() > 32767.0 {
                    clipped += 1;
                }
                let q = x.round().clamp(-32767.0, 32767.0) as i16;
                peak_q = peak_q.max(q.unsigned_abs());
                sum_sq += (q as f64) * (q as f64);
                bytes.extend_from_slice(&q.to_le_bytes());
            }
            w.write_all(&bytes)?;
        }
        Ok(())
    })?;
    let samples = (frames * channels as u64).max(1) as f64;
    Ok(RenderSummary {
        seconds: frames as f64 / options.sample_rate as f64,
        frames,
        sample_rate: options.sample_rate,
        channels,
        peak: peak_q as f32 / 32767.0,
        rms: ((sum_sq / samples).sqrt() / 32767.0) as f32,
        gain,
        clipped_samples: clipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = wav_header(44_100, 2, 4000);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 4036);
        assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 176_400);
        assert_eq!(u16::from_le_bytes(h[32..34].try_into().unwrap()), 4);
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 4000);
    }
}
