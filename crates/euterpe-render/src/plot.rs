//! Piano-roll pictures: time (in ticks) across, pitch up, one colour per track.
//!
//! The x axis is in ticks, not seconds, so that bars are evenly spaced whatever the tempo. Drawn
//! back to front: white-key rows on a slightly darker black-key background, a line under every C,
//! beat lines, bar lines, then the notes (the track's colour, brighter for louder notes).

use std::ops::Range;
use std::path::Path;

use euterpe_base::write_atomically;
use euterpe_music::{Score, TimeSignature};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::RenderError;

/// How a piano-roll picture is laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Width in pixels; `None` scales with the length of the piece
    /// ([`pixels_per_beat`](Self::pixels_per_beat)) between [`min_width`](Self::min_width) and
    /// [`max_width`](Self::max_width).
    pub width: Option<u32>,
    /// Pixels per quarter note when the width is automatic (default 16).
    pub pixels_per_beat: f64,
    /// Smallest automatic width (default 320).
    pub min_width: u32,
    /// Largest automatic width (default 4,000).
    pub max_width: u32,
    /// Pixels per semitone (default 5).
    pub row_height: u32,
    /// Semitones shown beyond the lowest and highest notes (default 2).
    pub margin_semitones: u8,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            width: None,
            pixels_per_beat: 16.0,
            min_width: 320,
            max_width: 4000,
            row_height: 5,
            margin_semitones: 2,
        }
    }
}

/// Colours of the picture, public so that tests and viewers can tell the layers apart.
pub mod colors {
    /// Background of rows of white keys.
    pub const WHITE_KEY_ROW: [u8; 3] = [30, 30, 38];
    /// Background of rows of black keys.
    pub const BLACK_KEY_ROW: [u8; 3] = [22, 22, 28];
    /// The line under each C.
    pub const OCTAVE_LINE: [u8; 3] = [62, 62, 80];
    /// Beat lines.
    pub const BEAT_LINE: [u8; 3] = [48, 48, 60];
    /// Bar lines.
    pub const BAR_LINE: [u8; 3] = [125, 125, 150];
    /// Track colours at full velocity, in track order (cycled); drum tracks use
    /// [`DRUM_TRACK`].
    pub const TRACKS: [[u8; 3]; 8] = [
        [255, 170, 60],
        [80, 180, 255],
        [120, 230, 110],
        [240, 100, 150],
        [190, 140, 255],
        [255, 235, 90],
        [90, 230, 220],
        [255, 120, 90],
    ];
    /// Colour of drum tracks at full velocity.
    pub const DRUM_TRACK: [u8; 3] = [215, 215, 215];
}

/// Where ticks and pitches land in the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct PianoRollLayout {
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Lowest pitch shown (bottom row).
    pub low_pitch: u8,
    /// Highest pitch shown (top row).
    pub high_pitch: u8,
    /// Pixels per semitone.
    pub row_height: u32,
    /// The tick at the right edge: the end of the last note, rounded up to a whole bar.
    pub end_tick: u64,
}

impl PianoRollLayout {
    /// The layout for `score`; a score without notes is [`RenderError::EmptyScore`].
    pub fn new(score: &Score, options: &PlotOptions) -> Result<Self, RenderError> {
        let bad = |m: String| Err(RenderError::InvalidOptions(m));
        if !(1..=32).contains(&options.row_height) {
            return bad(format!("row height {} is outside 1–32", options.row_height));
        }
        if let Some(w) = options.width {
            if !(16..=32_768).contains(&w) {
                return bad(format!("width {w} is outside 16–32768"));
            }
        }
        if !(16 <= options.min_width && options.min_width <= options.max_width)
            || options.max_width > 32_768
        {
            return bad(format!(
                "automatic width range {}–{} must lie within 16–32768",
                options.min_width, options.max_width
            ));
        }
        if !(options.pixels_per_beat.is_finite() && options.pixels_per_beat > 0.0) {
            return bad(format!(
                "pixels per beat {} must be positive",
                options.pixels_per_beat
            ));
        }
        let notes = score.tracks.iter().flat_map(|t| t.notes.iter());
        let (lo, hi) = notes.fold((u8::MAX, 0u8), |(lo, hi), n| {
            (lo.min(n.pitch.min(127)), hi.max(n.pitch.min(127)))
        });
        if lo > hi {
            return Err(RenderError::EmptyScore);
        }
        let low_pitch = lo.saturating_sub(options.margin_semitones);
        let high_pitch = hi.saturating_add(options.margin_semitones).min(127);
        let end_tick = round_up_to_bar(score, score.end_tick().max(1));
        let beats = end_tick as f64 / score.ticks_per_beat.max(1) as f64;
        let width = options.width.unwrap_or_else(|| {
            ((beats * options.pixels_per_beat).round() as u32)
                .clamp(options.min_width, options.max_width)
        });
        let rows = (high_pitch - low_pitch) as u32 + 1;
        Ok(PianoRollLayout {
            width,
            height: rows * options.row_height,
            low_pitch,
            high_pitch,
            row_height: options.row_height,
            end_tick,
        })
    }

    /// The column of a tick (ticks past the end land in the last column).
    pub fn x_of_tick(&self, tick: u64) -> u32 {
        let x = (tick as u128 * self.width as u128 / self.end_tick.max(1) as u128) as u64;
        x.min(self.width as u64 - 1) as u32
    }

    /// The rows of a pitch, top to bottom; `None` if it is outside the range shown.
    pub fn rows_of_pitch(&self, pitch: u8) -> Option<Range<u32>> {
        if pitch < self.low_pitch || pitch > self.high_pitch {
            return None;
        }
        let top = (self.high_pitch - pitch) as u32 * self.row_height;
        Some(top..top + self.row_height)
    }
}

/// Time-signature segments: (start tick, signature), starting at 0 with 4/4 if the score has no
/// signature there.
fn signature_segments(score: &Score) -> Vec<TimeSignature> {
    let mut segs = Vec::with_capacity(score.time_signatures.len() + 1);
    if score.time_signatures.first().is_none_or(|ts| ts.tick > 0) {
        segs.push(score.initial_time_signature());
    }
    segs.extend(score.time_signatures.iter().copied());
    segs
}

/// The ticks of bar starts and of beats (that are not bar starts) below `end`.
pub fn bar_and_beat_ticks(score: &Score, end: u64) -> (Vec<u64>, Vec<u64>) {
    let tpb = score.ticks_per_beat.max(1);
    let segs = signature_segments(score);
    let (mut bars, mut beats) = (Vec::new(), Vec::new());
    for (i, ts) in segs.iter().enumerate() {
        let seg_end = segs.get(i + 1).map_or(end, |n| n.tick.min(end));
        let bar = ts.bar_ticks(tpb);
        let beat = (4 * tpb as u64 / ts.denominator.max(1) as u64).max(1);
        let mut t = ts.tick;
        while t < seg_end {
            if (t - ts.tick) % bar == 0 {
                bars.push(t);
            } else {
                beats.push(t);
            }
            // Beats restart at each bar line, so that uneven bars (5/16 at odd resolutions) stay
            // aligned.
            let next_bar = ts.tick + ((t - ts.tick) / bar + 1) * bar;
            t = (t + beat).min(next_bar);
        }
    }
    (bars, beats)
}

fn round_up_to_bar(score: &Score, end: u64) -> u64 {
    let segs = signature_segments(score);
    let tpb = score.ticks_per_beat.max(1);
    let ts = segs
        .iter()
        .rev()
        .find(|ts| ts.tick < end)
        .unwrap_or(&segs[0]);
    let bar = ts.bar_ticks(tpb);
    ts.tick + (end - ts.tick).div_ceil(bar) * bar
}

fn is_black_key(pitch: u8) -> bool {
    matches!(pitch % 12, 1 | 3 | 6 | 8 | 10)
}

/// Draws the piano-roll of `score` as 8-bit RGB pixels, row by row.
pub fn draw_piano_roll(
    score: &Score,
    options: &PlotOptions,
) -> Result<(PianoRollLayout, Vec<u8>), RenderError> {
    let layout = PianoRollLayout::new(score, options)?;
    let (w, h) = (layout.width as usize, layout.height as usize);
    let mut px = vec![0u8; w * h * 3];
    let put = |px: &mut [u8], x: usize, y: usize, c: [u8; 3]| {
        let i = (y * w + x) * 3;
        px[i..i + 3].copy_from_slice(&c);
    };
    for pitch in layout.low_pitch..=layout.high_pitch {
        let Some(rows) = layout.rows_of_pitch(pitch) else {
            continue;
        };
        let bg = if is_black_key(pitch) {
            colors::BLACK_KEY_ROW
        } else {
            colors::WHITE_KEY_ROW
        };
        for y in rows.clone() {
            let c = if pitch % 12 == 0 && y == rows.end - 1 {
                colors::OCTAVE_LINE
            } else {
                bg
            };
            for x in 0..w {
                put(&mut px, x, y as usize, c);
            }
        }
    }
    let (bars, beats) = bar_and_beat_ticks(score, layout.end_tick);
    // Lines closer than 3 pixels would paint the background over; leave them out.
    let spacing = |ticks: &[u64]| {
        ticks
            .windows(2)
            .map(|p| layout.x_of_tick(p[1]) - layout.x_of_tick(p[0]))
            .min()
            .unwrap_or(u32::MAX)
    };
    let mut all_lines: Vec<u64> = bars.iter().chain(beats.iter()).copied().collect();
    all_lines.sort_unstable();
    let layers = [
        (&beats, colors::BEAT_LINE, spacing(&all_lines) >= 3),
        (&bars, colors::BAR_LINE, spacing(&bars) >= 3),
    ];
    for (ticks, color, show) in layers {
        if !show {
            continue;
        }
        for &t in ticks.iter() {
            let x = layout.x_of_tick(t) as usize;
            for y in 0..h {
                put(&mut px, x, y, color);
            }
        }
    }
    let mut melodic = 0;
    for track in &score.tracks {
        let base = if track.is_drum {
            colors::DRUM_TRACK
        } else {
            melodic += 1;
            colors::TRACKS[(melodic - 1) % colors::TRACKS.len()]
        };
        for note in &track.notes {
            let Some(rows) = layout.rows_of_pitch(note.pitch.min(127)) else {
                continue;
            };
            let bright = 0.35 + 0.65 * note.velocity.min(127) as f32 / 127.0;
            let c = base.map(|v| (v as f32 * bright).round() as u8);
            let x0 = layout.x_of_tick(note.onset);
            let x1 = layout
                .x_of_tick(note.offset())
                .max(x0 + 1)
                .min(layout.width);
            // A one-pixel gap under each note keeps neighbouring pitches apart.
            let y1 = if layout.row_height >= 3 {
                rows.end - 1
            } else {
                rows.end
            };
            for y in rows.start..y1 {
                for x in x0..x1 {
                    put(&mut px, x as usize, y as usize, c);
                }
            }
        }
    }
    Ok((layout, px))
}

/// The piano-roll of `score` as PNG bytes.
pub fn piano_roll_png(
    score: &Score,
    options: &PlotOptions,
) -> Result<(PianoRollLayout, Vec<u8>), RenderError> {
    let (layout, px) = draw_piano_roll(score, options)?;
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&px, layout.width, layout.height, ExtendedColorType::Rgb8)
        .map_err(|e| RenderError::Image {
            path: "<memory>".into(),
            reason: e.to_string(),
        })?;
    Ok((layout, png))
}

/// Draws the piano-roll of `score` to a PNG file at `path`, written atomically, and returns where
/// ticks and pitches landed.
pub fn plot_piano_roll(
    score: &Score,
    path: &Path,
    options: &PlotOptions,
) -> Result<PianoRollLayout, RenderError> {
    let (layout, png) = piano_roll_png(score, options).map_err(|e| match e {
        RenderError::Image { reason, .. } => RenderError::Image {
            path: path.to_path_buf(),
            reason,
        },
        other => other,
    })?;
    write_atomically(path, |w| w.write_all(&png))?;
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_follow_time_signature_changes() {
        let mut score = Score::new(4);
        score.time_signatures = vec![
            TimeSignature {
                tick: 0,
                numerator: 3,
                denominator: 4,
            },
            TimeSignature {
                tick: 24,
                numerator: 6,
                denominator: 8,
            },
        ];
        let (bars, beats) = bar_and_beat_ticks(&score, 48);
        assert_eq!(bars, vec![0, 12, 24, 36]);
        assert_eq!(beats.len(), 2 * 2 + 2 * 5);
        assert!(beats.contains(&4) && beats.contains(&26));
    }

    #[test]
    fn layout_maps_ticks_and_pitches() {
        let mut score = Score::new(480);
        let mut t = euterpe_music::Track::new("p", 0);
        t.notes.push(euterpe_music::Note {
            onset: 0,
            duration: 480 * 5,
            pitch: 60,
            velocity: 90,
        });
        score.tracks.push(t);
        let layout = PianoRollLayout::new(&score, &PlotOptions::default()).unwrap();
        // 5 beats round up to 2 bars of 4/4 = 8 beats × 16 px = 128, raised to the 320 minimum.
        assert_eq!(layout.end_tick, 480 * 8);
        assert_eq!(layout.width, 320);
        assert_eq!((layout.low_pitch, layout.high_pitch), (58, 62));
        assert_eq!(layout.height, 25);
        assert_eq!(layout.rows_of_pitch(62), Some(0..5));
        assert_eq!(layout.rows_of_pitch(60), Some(10..15));
        assert_eq!(layout.x_of_tick(480 * 4), 160);
    }
}
