//! Piano-roll pictures: time (in ticks) across, pitch up, one colour per track.
//!
//! The x axis is in ticks, not seconds, so that bars are evenly spaced whatever the tempo. Drawn
//! back to front: white-key rows on a slightly darker black-key background, a line under every C,
//! beat lines, bar lines, then the notes (the track's colour, brighter for louder notes).
//!
//! With [`PlotOptions::labels`] on (the default) the roll gets a frame of text, in the 8×8 bitmap
//! font of `font8x8`:
//!
//! * a gutter on the left naming every C (C4 is middle C, MIDI 60), and every white key when rows
//!   are at least 8 pixels tall — never two labels on top of each other;
//! * a strip at the bottom with the 1-based number of each bar at its bar line, or of every 2nd,
//!   4th, 8th … bar when bars are too close together for every number;
//! * a legend at the top: each track's colour and name (its own name, else the General MIDI name of
//!   its program, or "Drums"), wrapped over at most three lines, then "+N more".
//!
//! [`PianoRollLayout`] says where all of it landed; with labels off the picture is the bare roll.

use std::ops::Range;
use std::path::Path;

use euterpe_base::write_atomically;
use euterpe_music::{Score, TimeSignature, Track};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::gm::program_name;
pub use crate::text::text_width;
use crate::text::{fit_text, Canvas, TEXT_HEIGHT};
use crate::RenderError;

/// How a piano-roll picture is laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Width of the whole picture in pixels (gutter included); `None` scales with the length of
    /// the piece ([`pixels_per_beat`](Self::pixels_per_beat) across the roll, plus the gutter)
    /// between [`min_width`](Self::min_width) and [`max_width`](Self::max_width).
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
    /// Note names, bar numbers and a legend of the tracks around the roll (default on). Off, the
    /// picture is the roll alone.
    pub labels: bool,
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
            labels: true,
        }
    }
}

impl PlotOptions {
    /// Checks every option's range: row height 1–32; width, and the automatic width range, within
    /// 16–32,768 (minimum not above maximum); pixels per beat positive and finite. Options that
    /// pass can be drawn for any score with notes (labels that do not fit are left out).
    pub fn validate(&self) -> Result<(), RenderError> {
        let bad = |m: String| Err(RenderError::InvalidOptions(m));
        if !(1..=32).contains(&self.row_height) {
            return bad(format!("row height {} is outside 1–32", self.row_height));
        }
        if let Some(w) = self.width {
            if !(MIN_WIDTH..=MAX_WIDTH).contains(&w) {
                return bad(format!("width {w} is outside {MIN_WIDTH}–{MAX_WIDTH}"));
            }
        }
        if !(MIN_WIDTH <= self.min_width && self.min_width <= self.max_width)
            || self.max_width > MAX_WIDTH
        {
            return bad(format!(
                "automatic width range {}–{} must lie within {MIN_WIDTH}–{MAX_WIDTH}",
                self.min_width, self.max_width
            ));
        }
        if !(self.pixels_per_beat.is_finite() && self.pixels_per_beat > 0.0) {
            return bad(format!(
                "pixels per beat {} must be positive",
                self.pixels_per_beat
            ));
        }
        Ok(())
    }
}

/// Narrowest picture (and narrowest roll: the gutter is left out rather than squeeze it).
const MIN_WIDTH: u32 = 16;
/// Widest picture.
const MAX_WIDTH: u32 = 32_768;
/// Blank pixels each side of the note names in the gutter.
const GUTTER_PAD: u32 = 3;
/// Height of the bar-number strip.
const AXIS_HEIGHT: u32 = 12;
/// Rows between the bottom of the roll and the top of the bar numbers.
const AXIS_TEXT_TOP: u32 = 2;
/// Columns between a bar line and its number.
const BAR_LABEL_OFFSET: u32 = 2;
/// Least blank columns between two bar numbers (more than the one between digits).
const BAR_LABEL_GAP: u32 = 6;
/// Rows of the short tick under an unnumbered bar line.
const BAR_TICK: u32 = 3;
/// Blank pixels around the legend.
const LEGEND_PAD: u32 = 3;
/// Distance between the tops of two lines of the legend.
const LEGEND_LINE: u32 = 11;
/// Lines of the legend at most; tracks beyond are counted in "+N more".
const LEGEND_MAX_LINES: u32 = 3;
/// Size of a track's colour swatch.
const SWATCH_W: u32 = 10;
/// Height of a swatch: the height of capitals.
const SWATCH_H: u32 = 7;
/// Between a swatch and its name.
const SWATCH_GAP: u32 = 4;
/// Between two legend entries on a line.
const LEGEND_ITEM_GAP: u32 = 12;
/// Widest track name; longer names end in an ellipsis.
const LEGEND_NAME_MAX: u32 = 160;

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
    /// Bar lines (and their ticks in the bar-number strip).
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
    /// Background of the gutter, the bar-number strip and the legend.
    pub const LABEL_BACKGROUND: [u8; 3] = [14, 14, 18];
    /// Names of Cs, bar numbers and track names.
    pub const LABEL_TEXT: [u8; 3] = [222, 222, 236];
    /// Names of the other white keys, and the "+N more" of a full legend.
    pub const MINOR_LABEL_TEXT: [u8; 3] = [140, 140, 162];
}

/// A rectangle of pixels: columns `x..x + width`, rows `y..y + height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Leftmost column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// The column just right of the rectangle.
    pub fn right(&self) -> u32 {
        self.x + self.width
    }

    /// The row just below the rectangle.
    pub fn bottom(&self) -> u32 {
        self.y + self.height
    }

    /// Whether the two rectangles share a pixel.
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }

    /// Whether the pixel (`x`, `y`) lies in the rectangle.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        (self.x..self.right()).contains(&x) && (self.y..self.bottom()).contains(&y)
    }
}

/// A piece of text in the picture: all its ink lies in `rect` (8 rows tall; capitals and digits
/// use the top 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLabel {
    /// The text as drawn (a long track name may end in "…").
    pub text: String,
    /// Where it is.
    pub rect: Rect,
}

/// One track in the legend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegendEntry {
    /// Index of the track in [`Score::tracks`].
    pub track: usize,
    /// Its colour at full velocity (that of the swatch).
    pub color: [u8; 3],
    /// The colour swatch.
    pub swatch: Rect,
    /// The name beside it ([`track_label`], shortened to fit; may be empty in a very narrow
    /// picture).
    pub name: TextLabel,
}

/// Where ticks, pitches and labels land in the picture.
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
    /// The roll itself; left of it the note-name gutter, above it the legend, below it the
    /// bar-number strip (with labels off, the whole picture).
    pub plot: Rect,
    /// The note names in the gutter, top to bottom, with their pitches.
    pub pitch_labels: Vec<(u8, TextLabel)>,
    /// The bar numbers (1-based) under the roll, left to right.
    pub bar_labels: Vec<(usize, TextLabel)>,
    /// The tracks in the legend, in track order (tracks without notes are left out).
    pub legend: Vec<LegendEntry>,
    /// "+N more" (or "+N") after the last legend entry when not every track fits.
    pub legend_more: Option<TextLabel>,
}

impl PianoRollLayout {
    /// The layout for `score`; options out of range are [`RenderError::InvalidOptions`] (see
    /// [`PlotOptions::validate`]) and a score without notes is [`RenderError::EmptyScore`].
    pub fn new(score: &Score, options: &PlotOptions) -> Result<Self, RenderError> {
        options.validate()?;
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
        let gutter = if options.labels {
            (low_pitch..=high_pitch)
                .filter(|&p| !is_black_key(p))
                .map(|p| text_width(&note_name(p)) + 2 * GUTTER_PAD)
                .max()
                .unwrap_or(0)
        } else {
            0
        };
        let width = options.width.unwrap_or_else(|| {
            ((beats * options.pixels_per_beat).round() as u32)
                .saturating_add(gutter)
                .clamp(options.min_width, options.max_width)
        });
        // A picture too narrow for the gutter and a roll of the smallest width gets no gutter.
        let gutter = if width >= gutter + MIN_WIDTH {
            gutter
        } else {
            0
        };
        let (legend, legend_more, legend_height) = if options.labels {
            layout_legend(score, width)
        } else {
            (Vec::new(), None, 0)
        };
        let axis_height = if options.labels { AXIS_HEIGHT } else { 0 };
        let rows = (high_pitch - low_pitch) as u32 + 1;
        let plot = Rect {
            x: gutter,
            y: legend_height,
            width: width - gutter,
            height: rows * options.row_height,
        };
        let mut layout = PianoRollLayout {
            width,
            height: legend_height + plot.height + axis_height,
            low_pitch,
            high_pitch,
            row_height: options.row_height,
            end_tick,
            plot,
            pitch_labels: Vec::new(),
            bar_labels: Vec::new(),
            legend,
            legend_more,
        };
        if options.labels {
            layout.pitch_labels = layout.place_pitch_labels();
            let (bars, _) = bar_and_beat_ticks(score, end_tick);
            layout.bar_labels = layout.place_bar_labels(&bars);
        }
        Ok(layout)
    }

    /// The column of a tick in the picture (ticks past the end land in the roll's last column).
    pub fn x_of_tick(&self, tick: u64) -> u32 {
        let w = self.plot.width as u128;
        let x = (tick as u128 * w / self.end_tick.max(1) as u128) as u64;
        self.plot.x + x.min(self.plot.width as u64 - 1) as u32
    }

    /// The rows of a pitch in the picture, top to bottom; `None` if it is outside the range shown.
    pub fn rows_of_pitch(&self, pitch: u8) -> Option<Range<u32>> {
        if pitch < self.low_pitch || pitch > self.high_pitch {
            return None;
        }
        let top = self.plot.y + (self.high_pitch - pitch) as u32 * self.row_height;
        Some(top..top + self.row_height)
    }

    /// Note names for the gutter: every white key when rows are at least 8 pixels tall, else the
    /// Cs (or, when no C is in range, what white keys fit); Cs first, each only if it overlaps
    /// none placed before it.
    fn place_pitch_labels(&self) -> Vec<(u8, TextLabel)> {
        if self.plot.x == 0 || self.height < self.plot.y + TEXT_HEIGHT {
            return Vec::new();
        }
        let white: Vec<u8> = (self.low_pitch..=self.high_pitch)
            .rev()
            .filter(|&p| !is_black_key(p))
            .collect();
        let (cs, others): (Vec<u8>, Vec<u8>) = white.iter().partition(|&&p| p % 12 == 0);
        let candidates = if self.row_height >= 8 || cs.is_empty() {
            [cs, others].concat()
        } else {
            cs
        };
        let (y_min, y_max) = (self.plot.y as i64, (self.height - TEXT_HEIGHT) as i64);
        let mut placed: Vec<(u8, TextLabel)> = Vec::new();
        for pitch in candidates {
            let Some(rows) = self.rows_of_pitch(pitch) else {
                continue;
            };
            // The 7 rows of capitals and digits centred on the pitch's rows.
            let y = (rows.start as i64 + (self.row_height as i64 - 7) / 2).clamp(y_min, y_max);
            let text = note_name(pitch);
            let w = text_width(&text);
            let rect = Rect {
                x: self.plot.x.saturating_sub(GUTTER_PAD + w),
                y: y as u32,
                width: w,
                height: TEXT_HEIGHT,
            };
            if placed.iter().all(|(_, l)| !l.rect.intersects(&rect)) {
                placed.push((pitch, TextLabel { text, rect }));
            }
        }
        placed.sort_by_key(|(_, l)| l.rect.y);
        placed
    }

    /// Bar numbers just right of their bar lines: every bar's, or every 2nd, 4th … (from bar 1)
    /// when they would not keep [`BAR_LABEL_GAP`] apart; numbers that would run past the right
    /// edge are left out.
    fn place_bar_labels(&self, bars: &[u64]) -> Vec<(usize, TextLabel)> {
        let y = self.plot.bottom() + AXIS_TEXT_TOP;
        if self.height < y + TEXT_HEIGHT {
            return Vec::new();
        }
        let all: Vec<(usize, TextLabel)> = bars
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let text = (i + 1).to_string();
                let rect = Rect {
                    x: self.x_of_tick(t) + BAR_LABEL_OFFSET,
                    y,
                    width: text_width(&text),
                    height: TEXT_HEIGHT,
                };
                (i + 1, TextLabel { text, rect })
            })
            .collect();
        let mut stride = 1;
        loop {
            let chosen: Vec<&(usize, TextLabel)> = all
                .iter()
                .step_by(stride)
                .filter(|(_, l)| l.rect.right() <= self.plot.right())
                .collect();
            let apart = chosen
                .windows(2)
                .all(|p| p[0].1.rect.right() + BAR_LABEL_GAP <= p[1].1.rect.x);
            if apart || stride >= all.len() {
                return chosen.into_iter().cloned().collect();
            }
            stride *= 2;
        }
    }
}

/// The name of a pitch as drawn in the gutter: letter, sharp if any, octave, with middle C (MIDI
/// 60) as C4 and MIDI 0 as C-1.
pub fn note_name(pitch: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    format!(
        "{}{}",
        NAMES[(pitch % 12) as usize],
        (pitch / 12) as i32 - 1
    )
}

/// The name the legend gives a track: its own name (control characters and runs of blanks
/// collapsed to one space), else "Drums" for a drum track, else the General MIDI name of its
/// program.
pub fn track_label(track: &Track) -> String {
    let cleaned: String = track
        .name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if !name.is_empty() {
        name
    } else if track.is_drum {
        "Drums".to_string()
    } else {
        program_name(track.program).to_string()
    }
}

/// Each track's colour at full velocity: melodic tracks cycle through [`colors::TRACKS`] in track
/// order (tracks without notes too), drum tracks are [`colors::DRUM_TRACK`].
fn track_colors(score: &Score) -> Vec<[u8; 3]> {
    let mut melodic = 0;
    score
        .tracks
        .iter()
        .map(|t| {
            if t.is_drum {
                colors::DRUM_TRACK
            } else {
                melodic += 1;
                colors::TRACKS[(melodic - 1) % colors::TRACKS.len()]
            }
        })
        .collect()
}

/// Lays the legend out over the picture's width: entries left to right, wrapping onto at most
/// [`LEGEND_MAX_LINES`] lines, then "+N more". Returns the entries, the "+N more" label and the
/// legend's height (0 when not even a swatch fits).
fn layout_legend(score: &Score, width: u32) -> (Vec<LegendEntry>, Option<TextLabel>, u32) {
    let colors = track_colors(score);
    let tracks: Vec<(usize, &Track)> = score
        .tracks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.notes.is_empty())
        .collect();
    if tracks.is_empty() || width < 2 * LEGEND_PAD + SWATCH_W {
        return (Vec::new(), None, 0);
    }
    let right = width - LEGEND_PAD;
    let line_y = |line: u32| LEGEND_PAD + line * LEGEND_LINE;
    let last_line_y = line_y(LEGEND_MAX_LINES - 1);
    let name_room = right
        .saturating_sub(LEGEND_PAD + SWATCH_W + SWATCH_GAP)
        .min(LEGEND_NAME_MAX);
    let mut entries: Vec<LegendEntry> = Vec::new();
    let (mut x, mut line) = (LEGEND_PAD, 0);
    for &(track, t) in &tracks {
        let text = fit_text(&track_label(t), name_room);
        let tw = text_width(&text);
        let item = SWATCH_W + if tw > 0 { SWATCH_GAP + tw } else { 0 };
        if x > LEGEND_PAD && x + item > right {
            line += 1;
            x = LEGEND_PAD;
        }
        if line >= LEGEND_MAX_LINES {
            break;
        }
        let y = line_y(line);
        entries.push(LegendEntry {
            track,
            color: colors[track],
            swatch: Rect {
                x,
                y,
                width: SWATCH_W,
                height: SWATCH_H,
            },
            name: TextLabel {
                text,
                rect: Rect {
                    x: x + SWATCH_W + SWATCH_GAP,
                    y,
                    width: tw,
                    height: TEXT_HEIGHT,
                },
            },
        });
        x += item + LEGEND_ITEM_GAP;
    }
    let mut more = None;
    if entries.len() < tracks.len() {
        // Make room for "+N more" on the last line, dropping entries from its end if need be.
        loop {
            let left = tracks.len() - entries.len();
            let on_last = entries.last().filter(|e| e.swatch.y == last_line_y);
            let x = on_last.map_or(LEGEND_PAD, |e| e.name.rect.right() + LEGEND_ITEM_GAP);
            more = [format!("+{left} more"), format!("+{left}")]
                .into_iter()
                .find(|t| x + text_width(t) <= right)
                .map(|text| TextLabel {
                    rect: Rect {
                        x,
                        y: last_line_y,
                        width: text_width(&text),
                        height: TEXT_HEIGHT,
                    },
                    text,
                });
            if more.is_some() || on_last.is_none() {
                break;
            }
            entries.pop();
        }
    }
    let lines = if more.is_some() {
        LEGEND_MAX_LINES
    } else {
        entries
            .last()
            .map_or(0, |e| (e.swatch.y - LEGEND_PAD) / LEGEND_LINE + 1)
    };
    let height = if lines == 0 {
        0
    } else {
        line_y(lines - 1) + TEXT_HEIGHT + LEGEND_PAD
    };
    (entries, more, height)
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
    let mut canvas = Canvas {
        px: &mut px,
        width: layout.width,
        height: layout.height,
    };
    let plot = layout.plot;
    if (plot.width, plot.height) != (layout.width, layout.height) {
        canvas.fill(0, 0, layout.width, layout.height, colors::LABEL_BACKGROUND);
    }
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
            canvas.fill(plot.x, y, plot.width, 1, c);
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
    let show_bars = spacing(&bars) >= 3;
    let layers = [
        (&beats, colors::BEAT_LINE, spacing(&all_lines) >= 3),
        (&bars, colors::BAR_LINE, show_bars),
    ];
    for (ticks, color, show) in layers {
        if !show {
            continue;
        }
        for &t in ticks.iter() {
            canvas.fill(layout.x_of_tick(t), plot.y, 1, plot.height, color);
        }
    }
    for (track, base) in score.tracks.iter().zip(track_colors(score)) {
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
                .min(plot.right());
            // A one-pixel gap under each note keeps neighbouring pitches apart.
            let y1 = if layout.row_height >= 3 {
                rows.end - 1
            } else {
                rows.end
            };
            canvas.fill(x0, rows.start, x1 - x0, y1 - rows.start, c);
        }
    }
    draw_labels(&mut canvas, &layout, &bars, show_bars);
    Ok((layout, px))
}

/// The text around the roll, where the layout placed it; bar lines reach into the bar-number
/// strip (all the way beside a number, a short tick elsewhere).
fn draw_labels(canvas: &mut Canvas, layout: &PianoRollLayout, bars: &[u64], show_bars: bool) {
    for (pitch, label) in &layout.pitch_labels {
        let c = if pitch % 12 == 0 {
            colors::LABEL_TEXT
        } else {
            colors::MINOR_LABEL_TEXT
        };
        canvas.text(label.rect.x, label.rect.y, &label.text, c);
    }
    let strip = layout.plot.bottom()..layout.height;
    if !strip.is_empty() {
        if show_bars {
            for &t in bars {
                canvas.fill(
                    layout.x_of_tick(t),
                    strip.start,
                    1,
                    BAR_TICK,
                    colors::BAR_LINE,
                );
            }
        }
        for (_, label) in &layout.bar_labels {
            let x = label.rect.x - BAR_LABEL_OFFSET;
            canvas.fill(x, strip.start, 1, strip.len() as u32, colors::BAR_LINE);
            canvas.text(label.rect.x, label.rect.y, &label.text, colors::LABEL_TEXT);
        }
    }
    for e in &layout.legend {
        let s = e.swatch;
        canvas.fill(s.x, s.y, s.width, s.height, e.color);
        canvas.text(
            e.name.rect.x,
            e.name.rect.y,
            &e.name.text,
            colors::LABEL_TEXT,
        );
    }
    if let Some(more) = &layout.legend_more {
        canvas.text(
            more.rect.x,
            more.rect.y,
            &more.text,
            colors::MINOR_LABEL_TEXT,
        );
    }
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
    use euterpe_music::Note;

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

    fn one_note_score() -> Score {
        let mut score = Score::new(480);
        let mut t = Track::new("p", 0);
        t.notes.push(Note {
            onset: 0,
            duration: 480 * 5,
            pitch: 60,
            velocity: 90,
        });
        score.tracks.push(t);
        score
    }

    #[test]
    fn layout_maps_ticks_and_pitches() {
        let score = one_note_score();
        let bare = PlotOptions {
            labels: false,
            ..PlotOptions::default()
        };
        let layout = PianoRollLayout::new(&score, &bare).unwrap();
        // 5 beats round up to 2 bars of 4/4 = 8 beats × 16 px = 128, raised to the 320 minimum.
        assert_eq!(layout.end_tick, 480 * 8);
        assert_eq!(layout.width, 320);
        assert_eq!((layout.low_pitch, layout.high_pitch), (58, 62));
        assert_eq!(layout.height, 25);
        assert_eq!(
            layout.plot,
            Rect {
                x: 0,
                y: 0,
                width: 320,
                height: 25
            }
        );
        assert_eq!(layout.rows_of_pitch(62), Some(0..5));
        assert_eq!(layout.rows_of_pitch(60), Some(10..15));
        assert_eq!(layout.x_of_tick(480 * 4), 160);
        assert!(layout.pitch_labels.is_empty() && layout.bar_labels.is_empty());
        assert!(layout.legend.is_empty());

        // With labels the roll moves right by the gutter and down by the legend; the picture is
        // still 320 wide (the minimum), so the roll is narrower.
        let layout = PianoRollLayout::new(&score, &PlotOptions::default()).unwrap();
        let gutter = text_width("C4") + 2 * GUTTER_PAD;
        let legend = LEGEND_PAD + TEXT_HEIGHT + LEGEND_PAD;
        assert_eq!(layout.width, 320);
        assert_eq!(
            layout.plot,
            Rect {
                x: gutter,
                y: legend,
                width: 320 - gutter,
                height: 25
            }
        );
        assert_eq!(layout.height, legend + 25 + AXIS_HEIGHT);
        assert_eq!(layout.rows_of_pitch(62), Some(legend..legend + 5));
        assert_eq!(layout.rows_of_pitch(60), Some(legend + 10..legend + 15));
        assert_eq!(layout.x_of_tick(0), gutter);
        assert_eq!(layout.x_of_tick(480 * 4), gutter + (320 - gutter) / 2);
        assert_eq!(layout.x_of_tick(u64::MAX), 319);
        // Only C4 is a C in 58–62 (rows of 5 pixels: Cs only).
        let names: Vec<&str> = layout
            .pitch_labels
            .iter()
            .map(|(_, l)| l.text.as_str())
            .collect();
        assert_eq!(names, ["C4"]);
        assert_eq!(layout.pitch_labels[0].0, 60);
        let bars: Vec<&str> = layout
            .bar_labels
            .iter()
            .map(|(_, l)| l.text.as_str())
            .collect();
        assert_eq!(bars, ["1", "2"]);
        assert_eq!(layout.legend.len(), 1);
        assert_eq!(layout.legend[0].name.text, "p");
        assert_eq!(layout.legend[0].color, colors::TRACKS[0]);
    }

    #[test]
    fn automatic_width_adds_the_gutter_to_the_roll() {
        let mut score = one_note_score();
        score.tracks[0].notes[0].duration = 480 * 100; // 100 beats = 25 bars
        let bare = PlotOptions {
            labels: false,
            ..PlotOptions::default()
        };
        let a = PianoRollLayout::new(&score, &bare).unwrap();
        let b = PianoRollLayout::new(&score, &PlotOptions::default()).unwrap();
        assert_eq!(a.width, 1600);
        assert_eq!(b.plot.width, 1600);
        assert_eq!(b.width, 1600 + b.plot.x);
        for t in [0, 480, 480 * 37, 480 * 99] {
            assert_eq!(b.x_of_tick(t), a.x_of_tick(t) + b.plot.x);
        }
    }

    #[test]
    fn validate_holds_every_range_check() {
        let ok = PlotOptions::default();
        assert!(ok.validate().is_ok());
        let cases = [
            PlotOptions {
                row_height: 0,
                ..ok.clone()
            },
            PlotOptions {
                row_height: 33,
                ..ok.clone()
            },
            PlotOptions {
                width: Some(15),
                ..ok.clone()
            },
            PlotOptions {
                width: Some(32_769),
                ..ok.clone()
            },
            PlotOptions {
                min_width: 15,
                ..ok.clone()
            },
            PlotOptions {
                min_width: 500,
                max_width: 400,
                ..ok.clone()
            },
            PlotOptions {
                max_width: 40_000,
                ..ok.clone()
            },
            PlotOptions {
                pixels_per_beat: 0.0,
                ..ok.clone()
            },
            PlotOptions {
                pixels_per_beat: f64::NAN,
                ..ok.clone()
            },
        ];
        let score = one_note_score();
        for bad in cases {
            assert!(
                matches!(bad.validate(), Err(RenderError::InvalidOptions(_))),
                "{bad:?}"
            );
            // The layout refuses exactly what validate refuses.
            assert!(PianoRollLayout::new(&score, &bad).is_err(), "{bad:?}");
        }
        for edge in [
            PlotOptions {
                row_height: 1,
                width: Some(16),
                ..ok.clone()
            },
            PlotOptions {
                row_height: 32,
                width: Some(32_768),
                ..ok.clone()
            },
            PlotOptions {
                min_width: 16,
                max_width: 16,
                ..ok.clone()
            },
        ] {
            assert!(edge.validate().is_ok(), "{edge:?}");
            // Whatever validate accepts can be drawn, labels and all.
            let (layout, px) = draw_piano_roll(&score, &edge).unwrap();
            assert_eq!(px.len(), (layout.width * layout.height * 3) as usize);
            assert!(layout.plot.width >= 16);
        }
    }

    #[test]
    fn note_names_and_track_labels() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(0), "C-1");
        assert_eq!(note_name(21), "A0");
        assert_eq!(note_name(61), "C#4");
        assert_eq!(note_name(127), "G9");
        let mut t = Track::new("  Lead\tvox \n", 40);
        assert_eq!(track_label(&t), "Lead vox");
        t.name.clear();
        assert_eq!(track_label(&t), "Violin");
        t.is_drum = true;
        assert_eq!(track_label(&t), "Drums");
        t.name = "Kit".into();
        assert_eq!(track_label(&t), "Kit");
    }
}
