//! Fixed-length clips of a signal, and peak normalisation.

use std::ops::Range;

use crate::AudioError;

/// How a signal is cut into clips.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipOptions {
    /// The length of a clip in seconds (5 by default, as the seed's project).
    pub seconds: f64,
    /// Seconds from one clip's start to the next; `None` means back to back (`seconds`).
    pub hop_seconds: Option<f64>,
    /// Keep a last, shorter clip and pad it with silence to full length (by default it is
    /// dropped, unless the whole signal is shorter than one clip).
    pub pad_last: bool,
}

impl Default for ClipOptions {
    fn default() -> Self {
        ClipOptions {
            seconds: 5.0,
            hop_seconds: None,
            pad_last: false,
        }
    }
}

/// The sample ranges of the clips of a signal of `n_samples` samples. A range that runs past
/// the end is to be padded with silence (see [`cut`]). A signal shorter than one clip gives one
/// padded clip, so that no recording is lost.
pub fn clip_ranges(
    n_samples: usize,
    sample_rate: u32,
    options: &ClipOptions,
) -> Result<Vec<Range<usize>>, AudioError> {
    let length = seconds_to_samples("clip length", options.seconds, sample_rate)?;
    let hop = match options.hop_seconds {
        Some(h) => seconds_to_samples("clip hop", h, sample_rate)?,
        None => length,
    };
    let mut ranges = Vec::new();
    let mut start = 0usize;
    while start < n_samples {
        let end = start + length;
        if end > n_samples && !(options.pad_last || ranges.is_empty()) {
            break;
        }
        ranges.push(start..end);
        start += hop;
    }
    Ok(ranges)
}

/// The clips of a signal, each exactly as long as [`ClipOptions::seconds`].
pub fn cut(
    samples: &[f32],
    sample_rate: u32,
    options: &ClipOptions,
) -> Result<Vec<Vec<f32>>, AudioError> {
    Ok(clip_ranges(samples.len(), sample_rate, options)?
        .into_iter()
        .map(|range| {
            let mut clip = vec![0.0f32; range.len()];
            let end = range.end.min(samples.len());
            clip[..end - range.start].copy_from_slice(&samples[range.start..end]);
            clip
        })
        .collect())
}

fn seconds_to_samples(name: &'static str, seconds: f64, rate: u32) -> Result<usize, AudioError> {
    let samples = (seconds * f64::from(rate)).round();
    if !seconds.is_finite() || samples < 1.0 || seconds > 86_400.0 {
        return Err(AudioError::parameter(
            name,
            format!("{seconds} s; give a positive number of seconds, at most a day"),
        ));
    }
    Ok(samples as usize)
}

/// Scales a signal so that its largest absolute sample is 1, as `librosa.util.normalize(y)`:
/// a signal of silence (peak below the smallest normal float) is left as it is.
pub fn peak_normalize(samples: &mut [f32]) {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak < f32::MIN_POSITIVE || !peak.is_finite() {
        return;
    }
    for s in samples {
        *s /= peak;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seconds: f64, hop: Option<f64>, pad_last: bool) -> ClipOptions {
        ClipOptions {
            seconds,
            hop_seconds: hop,
            pad_last,
        }
    }

    #[test]
    fn clips_are_back_to_back_and_the_remainder_is_dropped_unless_padded() {
        let r = clip_ranges(25, 2, &options(5.0, None, false)).unwrap();
        assert_eq!(r, vec![0..10, 10..20]);
        let r = clip_ranges(25, 2, &options(5.0, None, true)).unwrap();
        assert_eq!(r, vec![0..10, 10..20, 20..30]);
    }

    #[test]
    fn a_hop_overlaps_clips_and_a_short_signal_gives_one_padded_clip() {
        let r = clip_ranges(20, 2, &options(5.0, Some(2.5), false)).unwrap();
        assert_eq!(r, vec![0..10, 5..15, 10..20]);
        let r = clip_ranges(3, 2, &options(5.0, None, false)).unwrap();
        assert_eq!(r, vec![0..10]);
        let clips = cut(&[1.0, 2.0, 3.0], 2, &options(5.0, None, false)).unwrap();
        assert_eq!(clips[0][..4], [1.0, 2.0, 3.0, 0.0]);
        assert_eq!(clips[0].len(), 10);
    }

    #[test]
    fn bad_lengths_are_errors() {
        assert!(clip_ranges(10, 2, &options(0.0, None, false)).is_err());
        assert!(clip_ranges(10, 2, &options(f64::NAN, None, false)).is_err());
        assert!(clip_ranges(10, 2, &options(5.0, Some(-1.0), false)).is_err());
    }

    #[test]
    fn normalisation_scales_the_peak_to_one_and_leaves_silence() {
        let mut x = vec![0.25, -0.5, 0.1];
        peak_normalize(&mut x);
        assert_eq!(x, vec![0.5, -1.0, 0.2]);
        let mut silence = vec![0.0; 4];
        peak_normalize(&mut silence);
        assert_eq!(silence, vec![0.0; 4]);
    }
}
