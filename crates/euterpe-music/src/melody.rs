//! Melodies as bars of sixteen steps over a chord: what the melody GAN writes and learns from.
//!
//! Each step of a bar holds one class, as in Magenta's melody encoding: [`REST`], [`HOLD`] (the
//! note sounding goes on) or the onset of one of [`PITCHES`] pitches from [`LOWEST_PITCH`]
//! (four octaves, C3–B6; notes outside are moved by octaves into the range). A melody line is
//! made monophonic by letting each onset end the note before it, and keeping the highest of
//! notes that start on the same step.

use crate::chord::Chord;
use crate::score::Note;

/// Steps per bar: sixteenth notes of a 4/4 bar.
pub const STEPS_PER_BAR: usize = 16;
/// The lowest pitch a step can start (C3).
pub const LOWEST_PITCH: u8 = 48;
/// How many pitches a step can start.
pub const PITCHES: usize = 48;
/// Classes of a step: rest, hold and one onset per pitch.
pub const CLASSES: usize = PITCHES + 2;
/// The class of a silent step.
pub const REST: u8 = 0;
/// The class of a step where the previous note goes on.
pub const HOLD: u8 = 1;

/// One bar of melody and the chord under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MelodyBar {
    /// The class of each sixteenth: [`REST`], [`HOLD`] or `2 + pitch - LOWEST_PITCH`.
    pub steps: [u8; STEPS_PER_BAR],
    /// The chord of the bar (the one sounding longest), `None` where there is none.
    pub chord: Option<Chord>,
}

/// The onset class of `pitch`, moved by octaves into the range.
pub fn onset_class(pitch: u8) -> u8 {
    let mut p = pitch as i32;
    let low = LOWEST_PITCH as i32;
    let high = low + PITCHES as i32;
    while p < low {
        p += 12;
    }
    while p >= high {
        p -= 12;
    }
    (p - low) as u8 + 2
}

/// The pitch an onset class starts, `None` for [`REST`] and [`HOLD`].
pub fn class_pitch(class: u8) -> Option<u8> {
    (class >= 2 && (class as usize) < CLASSES).then(|| LOWEST_PITCH + class - 2)
}

impl MelodyBar {
    /// A silent bar.
    pub fn rest(chord: Option<Chord>) -> Self {
        MelodyBar {
            steps: [REST; STEPS_PER_BAR],
            chord,
        }
    }

    /// The bar moved by `semitones` (onsets moved by octaves back into the range if needed).
    pub fn transposed(&self, semitones: i32) -> MelodyBar {
        let mut steps = self.steps;
        for s in &mut steps {
            if let Some(p) = class_pitch(*s) {
                *s = onset_class((p as i32 + semitones).clamp(0, 127) as u8);
            }
        }
        MelodyBar {
            steps,
            chord: self.chord.map(|c| c.transposed(semitones)),
        }
    }

    /// Onsets in the bar.
    pub fn onsets(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| class_pitch(**s).is_some())
            .count()
    }
}

/// The bars of a melody: `notes` placed on sixteen equal steps of each bar, bars starting at the
/// ticks of `bar_starts` (sorted; the last bar ends where `end` says), each bar's chord from
/// `chord_of(start, end)`.
pub fn melody_bars(
    notes: &[Note],
    bar_starts: &[u64],
    end: u64,
    chord_of: impl Fn(u64, u64) -> Option<Chord>,
) -> Vec<MelodyBar> {
    let bounds: Vec<(u64, u64)> = bar_starts
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, bar_starts.get(i + 1).copied().unwrap_or(end)))
        .filter(|(s, e)| e > s)
        .collect();
    if bounds.is_empty() {
        return Vec::new();
    }
    // The global step nearest to a tick.
    let step_of = |tick: u64| -> usize {
        let bar = bounds
            .partition_point(|b| b.0 <= tick)
            .saturating_sub(1)
            .min(bounds.len() - 1);
        let (s, e) = bounds[bar];
        let within = (tick as f64 - s as f64) / ((e - s) as f64 / STEPS_PER_BAR as f64);
        (bar as f64 * STEPS_PER_BAR as f64 + within.round()).max(0.0) as usize
    };
    let total = bounds.len() * STEPS_PER_BAR;
    // Onsets first (the highest pitch wins a step), with where each note ends.
    let mut onset: Vec<Option<(u8, usize)>> = vec![None; total];
    for n in notes {
        let s0 = step_of(n.onset);
        if s0 >= total {
            continue;
        }
        let s1 = step_of(n.offset()).max(s0 + 1);
        if onset[s0].is_none_or(|(p, _)| n.pitch > p) {
            onset[s0] = Some((n.pitch, s1));
        }
    }
    let mut classes = vec![REST; total];
    let mut sounding_until = 0;
    for (s, o) in onset.iter().enumerate() {
        if let Some((pitch, until)) = o {
            classes[s] = onset_class(*pitch);
            sounding_until = *until;
        } else if s < sounding_until {
            classes[s] = HOLD;
        }
    }
    bounds
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            let mut steps = [REST; STEPS_PER_BAR];
            steps.copy_from_slice(&classes[i * STEPS_PER_BAR..(i + 1) * STEPS_PER_BAR]);
            MelodyBar {
                steps,
                chord: chord_of(s, e),
            }
        })
        .collect()
}

/// The notes of consecutive bars, `ticks_per_step` apart, at `velocity`: an onset starts a note,
/// [`HOLD`] lengthens it, [`REST`] or the next onset ends it (a hold with nothing sounding is a
/// rest).
pub fn bars_to_notes(bars: &[MelodyBar], ticks_per_step: u64, velocity: u8) -> Vec<Note> {
    let mut notes: Vec<Note> = Vec::new();
    let mut open = false;
    let steps = bars.iter().flat_map(|b| b.steps.iter().copied());
    for (i, class) in steps.enumerate() {
        let tick = i as u64 * ticks_per_step;
        if let Some(pitch) = class_pitch(class) {
            notes.push(Note {
                onset: tick,
                duration: ticks_per_step,
                pitch,
                velocity,
            });
            open = true;
        } else if class == HOLD && open {
            if let Some(n) = notes.last_mut() {
                n.duration += ticks_per_step;
            }
        } else {
            open = false;
        }
    }
    notes
}

/// Histograms that describe a set of bars: onset pitch classes relative to the chord root (bars
/// with a chord), onsets per bar, onset pitches, note lengths in steps (up to a bar), and the
/// intervals between consecutive onsets of a bar (the melody's contour), each normalised to
/// sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct BarStatistics {
    /// Onset pitch class minus the chord root, mod 12.
    pub chord_degrees: [f64; 12],
    /// Onsets per bar, 0 to 16.
    pub onsets: [f64; STEPS_PER_BAR + 1],
    /// Onset pitches within the range.
    pub pitches: [f64; PITCHES],
    /// Note lengths of 1 to 16 steps (longer notes count as 16), within their bar.
    pub lengths: [f64; STEPS_PER_BAR],
    /// Intervals between consecutive onsets of a bar, −12 to +12 semitones (wider leaps count
    /// as ±12).
    pub intervals: [f64; 25],
}

fn normalised<const N: usize>(mut h: [f64; N]) -> [f64; N] {
    let total: f64 = h.iter().sum();
    if total > 0.0 {
        h.iter_mut().for_each(|x| *x /= total);
    }
    h
}

fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    0.5 * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>()
}

impl BarStatistics {
    /// The statistics of `bars`.
    pub fn of<'a>(bars: impl IntoIterator<Item = &'a MelodyBar>) -> Self {
        let mut degrees = [0.0; 12];
        let mut onsets = [0.0; STEPS_PER_BAR + 1];
        let mut pitches = [0.0; PITCHES];
        let mut lengths = [0.0; STEPS_PER_BAR];
        let mut intervals = [0.0; 25];
        for bar in bars {
            let mut last: Option<u8> = None;
            for p in bar.steps.iter().filter_map(|&s| class_pitch(s)) {
                if let Some(q) = last {
                    intervals[((p as i32 - q as i32).clamp(-12, 12) + 12) as usize] += 1.0;
                }
                last = Some(p);
            }
            onsets[bar.onsets()] += 1.0;
            let mut open: Option<usize> = None;
            for (t, &s) in bar.steps.iter().enumerate() {
                if let Some(p) = class_pitch(s) {
                    if let Some(start) = open {
                        lengths[(t - start).min(STEPS_PER_BAR) - 1] += 1.0;
                    }
                    open = Some(t);
                    pitches[(p - LOWEST_PITCH) as usize] += 1.0;
                    if let Some(c) = bar.chord {
                        degrees[((p % 12 + 12 - c.root) % 12) as usize] += 1.0;
                    }
                } else if s == REST {
                    if let Some(start) = open.take() {
                        lengths[(t - start).min(STEPS_PER_BAR) - 1] += 1.0;
                    }
                }
            }
            if let Some(start) = open {
                lengths[(STEPS_PER_BAR - start).min(STEPS_PER_BAR) - 1] += 1.0;
            }
        }
        BarStatistics {
            chord_degrees: normalised(degrees),
            onsets: normalised(onsets),
            pitches: normalised(pitches),
            lengths: normalised(lengths),
            intervals: normalised(intervals),
        }
    }

    /// The share of onsets on a tone of their bar's triad (bars with a chord).
    pub fn chord_tone_share(&self, minor_share: f64) -> f64 {
        // Root and fifth for every chord; the third is 3 (minor) or 4 (major) above the root.
        self.chord_degrees[0]
            + self.chord_degrees[7]
            + minor_share * self.chord_degrees[3]
            + (1.0 - minor_share) * self.chord_degrees[4]
    }

    /// The mean total-variation distance between the five histograms of two sets, from 0
    /// (identical) to 1 (disjoint): how far generated bars are from real ones.
    pub fn distance(&self, other: &BarStatistics) -> f64 {
        (total_variation(&self.chord_degrees, &other.chord_degrees)
            + total_variation(&self.onsets, &other.onsets)
            + total_variation(&self.pitches, &other.pitches)
            + total_variation(&self.lengths, &other.lengths)
            + total_variation(&self.intervals, &other.intervals))
            / 5.0
    }

    /// The share of intervals between consecutive onsets that are steps or repeats (at most
    /// two semitones): high for sung melodies.
    pub fn stepwise_share(&self) -> f64 {
        self.intervals[10..=14].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u64, duration: u64, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch,
            velocity: 80,
        }
    }

    #[test]
    fn a_melody_becomes_onsets_holds_and_rests_and_back() {
        // 120 ticks per sixteenth, bars of 1,920 ticks: a quarter C5, an eighth rest, an eighth
        // E5 cut by a G5 that starts under it, then silence; the G5 (offset jitter of 10 ticks)
        // runs over the bar line.
        let notes = [
            note(0, 480, 72),
            note(720, 480, 76),
            note(960, 1210, 79),
            note(962, 100, 60), // lower, same step: dropped
        ];
        let bars = melody_bars(&notes, &[0, 1920], 3840, |s, _| {
            (s == 0).then(|| Chord::new(0, false))
        });
        assert_eq!(bars.len(), 2);
        let c = onset_class;
        let (r, h) = (REST, HOLD);
        assert_eq!(
            bars[0].steps,
            [c(72), h, h, h, r, r, c(76), h, c(79), h, h, h, h, h, h, h]
        );
        assert_eq!(bars[1].steps[..4], [h, h, r, r]);
        assert_eq!(bars[0].chord, Some(Chord::new(0, false)));
        assert_eq!(bars[1].chord, None);
        let back = bars_to_notes(&bars, 120, 80);
        let shape: Vec<(u64, u64, u8)> = back
            .iter()
            .map(|n| (n.onset, n.duration, n.pitch))
            .collect();
        assert_eq!(shape, [(0, 480, 72), (720, 240, 76), (960, 1200, 79)]);
    }

    #[test]
    fn pitches_fold_into_the_range_and_transposition_moves_chords() {
        assert_eq!(class_pitch(onset_class(100)), Some(88));
        assert_eq!(class_pitch(onset_class(30)), Some(54));
        assert_eq!(class_pitch(REST), None);
        let mut bar = MelodyBar::rest(Some(Chord::new(9, true)));
        bar.steps[0] = onset_class(93);
        let up = bar.transposed(5);
        assert_eq!(class_pitch(up.steps[0]), Some(86)); // 98 is out of range: an octave down
        assert_eq!(up.chord, Some(Chord::new(2, true)));
        assert_eq!(up.onsets(), 1);
    }

    #[test]
    fn statistics_describe_bars_and_their_distance() {
        let c = Some(Chord::new(0, false));
        let mut a = MelodyBar::rest(c);
        a.steps[0] = onset_class(60); // C over C: degree 0, four steps
        a.steps[1..4].fill(HOLD);
        a.steps[8] = onset_class(64); // E: degree 4, held to the bar's end
        a.steps[9..].fill(HOLD);
        let s = BarStatistics::of([&a]);
        assert_eq!(s.chord_degrees[0], 0.5);
        assert_eq!(s.chord_degrees[4], 0.5);
        assert_eq!(s.onsets[2], 1.0);
        assert_eq!(s.lengths[3], 0.5);
        assert_eq!(s.lengths[7], 0.5);
        assert!((s.chord_tone_share(0.0) - 1.0).abs() < 1e-12);
        assert_eq!(s.intervals[16], 1.0, "a major third up");
        assert_eq!(s.stepwise_share(), 0.0);
        assert_eq!(s.distance(&s), 0.0);
        let b = a.transposed(1); // every degree and interval still the same, pitches differ
        let t = BarStatistics::of([&b]);
        assert_eq!(t.chord_degrees, s.chord_degrees);
        assert!((s.distance(&t) - 0.2).abs() < 1e-12);
        let mut down = MelodyBar::rest(c);
        down.steps[0] = onset_class(72);
        down.steps[4] = onset_class(71);
        down.steps[8] = onset_class(50);
        let d = BarStatistics::of([&down]);
        assert_eq!(
            (d.intervals[11], d.intervals[0]),
            (0.5, 0.5),
            "a step down, a wide leap down"
        );
        assert_eq!(d.stepwise_share(), 0.5);
        let silent = BarStatistics::of([&MelodyBar::rest(c)]);
        assert!(s.distance(&silent) > 0.5);
    }
}
