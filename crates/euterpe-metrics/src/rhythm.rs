//! Rhythm metrics over all tracks (drums included, as in MusPy): the empty-beat rate and the
//! groove consistency.
//!
//! Both are computed from note intervals and onsets without allocating one cell per beat or per bar,
//! so a file with an absurdly long silence costs no more than any other.

use std::collections::BTreeMap;

use euterpe_music::{Score, TimeSignature};

/// Fraction of quarter-note beats `[k·tpb, (k+1)·tpb)` in `[0, end)` in which no note sounds.
///
/// A note sounds in the beats that its half-open interval `[onset, offset)` meets; a zero-length
/// note counts in the beat of its onset. MusPy also counts the beat in which a note *ends* (so a
/// quarter note on beat 1 also fills beat 2) and adds one beat to the length; both are off-by-one
/// effects that we do not reproduce. `None` when `end` is 0.
pub(crate) fn empty_beat_rate(score: &Score, end: u64) -> Option<f64> {
    if end == 0 {
        return None;
    }
    let tpb = score.ticks_per_beat.max(1) as u64;
    let n_beats = end.div_ceil(tpb);
    let mut spans: Vec<(u64, u64)> = score
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter())
        .map(|n| {
            let first = n.onset / tpb;
            let last = if n.duration > 0 {
                (n.offset() - 1) / tpb
            } else {
                first
            };
            (first, (last + 1).min(n_beats))
        })
        .filter(|&(first, stop)| first < stop)
        .collect();
    spans.sort_unstable();
    let mut covered = 0u64;
    let mut reach = 0u64; // beats before `reach` are already counted
    for (first, stop) in spans {
        let from = first.max(reach);
        if stop > from {
            covered += stop - from;
            reach = stop;
        }
    }
    Some(1.0 - covered as f64 / n_beats as f64)
}

/// A stretch of the piece under one time signature: `bars` bars of `bar_ticks` ticks (the last may
/// be cut short by the next change or the end), each with `positions` grid positions.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: u64,
    bar_ticks: u64,
    positions: u64,
    bars: u64,
    first_bar: u64,
}

/// The bars of `[0, end)` as time-signature segments (4/4 before the first signature).
fn bar_segments(score: &Score, end: u64, positions_per_beat: u32) -> Vec<Segment> {
    let tpb = score.ticks_per_beat.max(1);
    let four_four = TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    };
    let mut changes: Vec<TimeSignature> = vec![four_four];
    for ts in score.time_signatures.iter().filter(|ts| ts.tick < end) {
        match changes.last_mut() {
            Some(last) if last.tick >= ts.tick => {
                *last = TimeSignature {
                    tick: last.tick,
                    ..*ts
                }
            }
            _ => changes.push(*ts),
        }
    }
    let mut segments = Vec::with_capacity(changes.len());
    let mut first_bar = 0;
    for (i, ts) in changes.iter().enumerate() {
        let stop = changes.get(i + 1).map_or(end, |next| next.tick);
        let bar_ticks = ts.bar_ticks(tpb);
        let bars = (stop - ts.tick).div_ceil(bar_ticks);
        let positions = grid_steps(bar_ticks, tpb, positions_per_beat).max(1);
        segments.push(Segment {
            start: ts.tick,
            bar_ticks,
            positions,
            bars,
            first_bar,
        });
        first_bar += bars;
    }
    segments
}

/// `ticks` in grid positions, rounded to the nearest (half up).
fn grid_steps(ticks: u64, ticks_per_beat: u32, positions_per_beat: u32) -> u64 {
    let tpb = ticks_per_beat as u128;
    ((ticks as u128 * positions_per_beat as u128 * 2 + tpb) / (2 * tpb)) as u64
}

/// MusPy's groove consistency: `1 − mean over consecutive bar pairs of d(G_i, G_{i+1}) / L`, where
/// `G_i` is the set of grid positions of bar `i` at which some note (drums included) starts, `d` is
/// the Hamming distance and `L` the number of positions in a bar.
///
/// Onsets are rounded to the nearest of `positions_per_beat` positions per quarter note (an onset
/// rounded up to the next bar line counts at position 0 of the next bar). MusPy assumes one time
/// signature and a fixed measure resolution; here bars follow the score's time signatures, and a
/// pair of bars of different lengths is compared over the longer one. `None` with fewer than two
/// bars.
pub(crate) fn groove_consistency(score: &Score, end: u64, positions_per_beat: u32) -> Option<f64> {
    let positions_per_beat = positions_per_beat.max(1);
    let tpb = score.ticks_per_beat.max(1);
    let onsets = score
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter().map(|n| n.onset));
    let end = onsets
        .clone()
        .map(|o| o.saturating_add(1))
        .fold(end, u64::max);
    let segments = bar_segments(score, end, positions_per_beat);
    let n_bars: u64 = segments.iter().map(|s| s.bars).sum();
    if n_bars < 2 {
        return None;
    }

    let mut patterns: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for onset in onsets {
        let seg = &segments[segments
            .partition_point(|s| s.start <= onset)
            .saturating_sub(1)];
        let rel = onset - seg.start;
        let mut bar = seg.first_bar + rel / seg.bar_ticks;
        let mut pos = grid_steps(rel % seg.bar_ticks, tpb, positions_per_beat);
        if pos >= seg.positions {
            if bar + 1 < n_bars {
                bar += 1;
                pos = 0;
            } else {
                pos = seg.positions - 1;
            }
        }
        patterns.entry(bar).or_default().push(pos);
    }
    for positions in patterns.values_mut() {
        positions.sort_unstable();
        positions.dedup();
    }

    // Pairs (b, b+1) that involve a bar with onsets; all others have distance 0.
    let mut pairs: Vec<u64> = patterns
        .keys()
        .flat_map(|&b| [b.checked_sub(1), Some(b)])
        .flatten()
        .filter(|&b| b + 1 < n_bars)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let empty = Vec::new();
    let distance: u64 = pairs
        .iter()
        .map(|b| {
            let left = patterns.get(b).unwrap_or(&empty);
            let right = patterns.get(&(b + 1)).unwrap_or(&empty);
            symmetric_difference(left, right)
        })
        .sum();

    let live: Vec<&Segment> = segments.iter().filter(|s| s.bars > 0).collect();
    let mut total: u64 = live.iter().map(|s| (s.bars - 1) * s.positions).sum();
    total += live
        .windows(2)
        .map(|w| w[0].positions.max(w[1].positions))
        .sum::<u64>();
    Some(1.0 - distance as f64 / total as f64)
}

/// Size of the symmetric difference of two sorted, deduplicated lists.
fn symmetric_difference(a: &[u64], b: &[u64]) -> u64 {
    let (mut i, mut j, mut common) = (0, 0, 0u64);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (a.len() + b.len()) as u64 - 2 * common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_difference_counts_unshared_positions() {
        assert_eq!(symmetric_difference(&[0, 4, 8], &[0, 8, 12]), 2);
        assert_eq!(symmetric_difference(&[], &[1, 2]), 2);
        assert_eq!(symmetric_difference(&[3], &[3]), 0);
    }

    #[test]
    fn grid_steps_round_half_up() {
        assert_eq!(grid_steps(480, 480, 4), 4);
        assert_eq!(grid_steps(59, 480, 4), 0);
        assert_eq!(grid_steps(60, 480, 4), 1);
        assert_eq!(grid_steps(1920, 480, 4), 16);
    }
}
