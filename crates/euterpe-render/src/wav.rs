//! Writing a score to a 16-bit PCM WAV file, normalised without clipping.
//!
//! Normalisation needs the peak before the first sample is written. The samples of one synthesis
//! pass go to an unnamed temporary file of 32-bit floats (twice the size of the WAV, deleted by
//! the operating system however the process ends) while the peak is measured; they are then read
//! back, scaled by `target / peak` and written. Memory stays at one block whatever the length of
//! the piece. Beyond [`SPILL_LIMIT_BYTES`] of samples, or when no temporary file can be made, the
//! piece is synthesised twice instead (both synthesisers are deterministic, so the passes agree).
//!
//! The WAV header is written by hand: its sizes are known before the first sample (the length of
//! the piece is fixed by the score), so the file streams through
//! [`euterpe_base::write_atomically`] without seeking.

use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use euterpe_base::write_atomically;
use euterpe_music::Score;

use crate::renderer::{RenderOptions, Renderer, Synth};
use crate::RenderError;

/// Most 32-bit sample data kept in a temporary file for normalisation (2 GiB: about 100 minutes
/// of 44.1 kHz stereo); longer pieces are synthesised twice instead.
pub const SPILL_LIMIT_BYTES: u64 = 2 << 30;

/// Where the samples to write come from: the synthesiser, or the temporary file of a finished
/// synthesis pass.
enum Samples {
    Live(Renderer),
    Spilled(BufReader<std::fs::File>),
}

impl Samples {
    /// Fills `buf` with the next samples; returns the number of frames (0 at the end).
    fn fill(&mut self, buf: &mut [f32], channels: usize) -> std::io::Result<usize> {
        match self {
            Samples::Live(r) => Ok(r.fill(buf)),
            Samples::Spilled(file) => {
                let mut bytes = vec![0u8; buf.len() * 4];
                let mut got = 0;
                while got < bytes.len() {
                    match file.read(&mut bytes[got..])? {
                        0 => break,
                        n => got += n,
                    }
                }
                for (s, b) in buf.iter_mut().zip(bytes[..got].chunks_exact(4)) {
                    *s = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                Ok(got / 4 / channels)
            }
        }
    }
}

/// One synthesis pass into an unnamed temporary file; returns the file, rewound, and the peak.
fn spill(renderer: &mut Renderer, block: usize) -> std::io::Result<(std::fs::File, f32)> {
    let mut file = BufWriter::new(tempfile::tempfile()?);
    let mut buf = vec![0.0f32; block];
    let mut peak = 0.0f32;
    let mut bytes = Vec::with_capacity(block * 4);
    loop {
        let n = renderer.fill(&mut buf);
        if n == 0 {
            break;
        }
        let samples = &buf[..n * renderer.channels() as usize];
        peak = samples.iter().fold(peak, |m, s| m.max(s.abs()));
        bytes.clear();
        for s in samples {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        file.write_all(&bytes)?;
    }
    let mut file = file.into_inner().map_err(|e| e.into_error())?;
    file.rewind()?;
    Ok((file, peak))
}

/// The gain that puts `peak` at `db` dBFS (1 for silence).
fn gain_for(peak: f32, db: f32) -> f32 {
    if peak > 0.0 {
        10f32.powf(db / 20.0) / peak
    } else {
        1.0
    }
}

/// What [`render_to_wav`] wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RenderSummary {
    /// The WAV file written.
    pub output: std::path::PathBuf,
    /// The synthesiser: the SoundFont's path, or "built-in".
    pub synth: String,
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

    let block = options.block_frames * channels as usize;
    let spill_bytes = frames.saturating_mul(channels as u64 * 4);
    let (gain, mut samples) = match options.normalize_dbfs {
        None => (options.gain, Samples::Live(renderer)),
        Some(db) if spill_bytes <= SPILL_LIMIT_BYTES => match spill(&mut renderer, block) {
            Ok((file, peak)) => {
                if let Some(e) = renderer.failure() {
                    return Err(e);
                }
                (gain_for(peak, db), Samples::Spilled(BufReader::new(file)))
            }
            // No temporary file: measure the peak with a first synthesis pass instead.
            Err(_) => two_pass(score, &synth, options, renderer, db)?,
        },
        Some(db) => two_pass(score, &synth, options, renderer, db)?,
    };
    let mut peak_q = 0u16;
    let mut sum_sq = 0f64;
    let mut clipped = 0u64;
    let failed = |samples: &Samples| match samples {
        Samples::Live(r) => r.failure(),
        Samples::Spilled(_) => None,
    };
    let written = write_atomically(path, |w: &mut dyn Write| {
        w.write_all(&wav_header(options.sample_rate, channels, data_bytes))?;
        let mut buf = vec![0.0f32; block];
        let mut bytes = Vec::with_capacity(buf.len() * 2);
        loop {
            let n = samples.fill(&mut buf, channels as usize)?;
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
        if failed(&samples).is_some() {
            // Leave no file behind: the error is reported below.
            return Err(std::io::Error::other("synthesis failed"));
        }
        Ok(())
    });
    if let Some(e) = failed(&samples) {
        return Err(e);
    }
    written?;
    let samples = (frames * channels as u64).max(1) as f64;
    Ok(RenderSummary {
        output: path.to_path_buf(),
        synth: options
            .soundfont
            .as_ref()
            .map_or_else(|| "built-in".to_string(), |p| p.display().to_string()),
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

/// The peak from a first synthesis pass, and a fresh renderer for the second.
fn two_pass(
    score: &Score,
    synth: &Synth,
    options: &RenderOptions,
    mut renderer: Renderer,
    db: f32,
) -> Result<(f32, Samples), RenderError> {
    let mut buf = vec![0.0f32; options.block_frames * options.channels as usize];
    let mut peak = 0.0f32;
    loop {
        let n = renderer.fill(&mut buf);
        if n == 0 {
            break;
        }
        peak = buf[..n * options.channels as usize]
            .iter()
            .fold(peak, |m, s| m.max(s.abs()));
    }
    if let Some(e) = renderer.failure() {
        return Err(e);
    }
    let fresh = Renderer::with_synth(score, synth, options)?;
    Ok((gain_for(peak, db), Samples::Live(fresh)))
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

    /// The samples read back from the temporary file are the synthesiser's, bit for bit, and the
    /// measured peak is theirs.
    #[test]
    fn spilled_samples_round_trip() {
        let mut track = euterpe_music::Track::new("piano", 0);
        for (i, pitch) in [60u8, 64, 67, 72].into_iter().enumerate() {
            track.notes.push(euterpe_music::Note {
                onset: i as u64 * 240,
                duration: 480,
                pitch,
                velocity: 90,
            });
        }
        let mut score = Score::new(480);
        score.tracks.push(track);
        let options = RenderOptions {
            sample_rate: 16_000,
            block_frames: 300,
            ..RenderOptions::default()
        };
        let synth = Synth::from_options(&options).unwrap();
        let mut first = Renderer::with_synth(&score, &synth, &options).unwrap();
        let (file, peak) = spill(&mut first, 600).unwrap();
        let mut spilled = Samples::Spilled(BufReader::new(file));
        let mut live = Samples::Live(Renderer::with_synth(&score, &synth, &options).unwrap());
        let (mut a, mut b) = (vec![0.0f32; 600], vec![0.0f32; 600]);
        let mut max = 0.0f32;
        loop {
            let n = live.fill(&mut a, 2).unwrap();
            assert_eq!(spilled.fill(&mut b, 2).unwrap(), n);
            if n == 0 {
                break;
            }
            assert_eq!(a[..2 * n], b[..2 * n]);
            max = a[..2 * n].iter().fold(max, |m, s| m.max(s.abs()));
        }
        assert!(peak > 0.0);
        assert_eq!(peak, max);
    }
}
