//! Polyphony and polyphony rate, computed exactly at tick resolution by a sweep over note starts
//! and ends (what MusPy computes on a tick-level piano-roll, without building the piano-roll).

use euterpe_music::Score;

use crate::pitch::pitched_notes;

/// Polyphony figures of one score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PolyphonyStats {
    /// Mean number of distinct pitches sounding over the ticks where at least one sounds.
    pub polyphony: Option<f64>,
    /// Fraction of ticks in `[0, end)` with more than `threshold` distinct pitches sounding.
    pub polyphony_rate: Option<f64>,
}

/// Sweeps the pitched notes of `score`. A pitch sounds at tick `t` when some note of that pitch
/// has `onset <= t < offset`; overlapping notes of one pitch count once (as in a binary
/// piano-roll). `end` is the piece's length in ticks (all tracks, drums included, as MusPy's
/// piano-roll length).
pub(crate) fn polyphony(score: &Score, end: u64, threshold: u32) -> PolyphonyStats {
    // (tick, +1 for a start or -1 for an end, pitch); ends sort before starts at the same tick,
    // which does not matter since nothing is measured between events at one tick.
    let mut events: Vec<(u64, i8, u8)> = Vec::new();
    for note in pitched_notes(score).filter(|n| n.duration > 0) {
        let pitch = note.pitch.min(127);
        events.push((note.onset, 1, pitch));
        events.push((note.offset(), -1, pitch));
    }
    events.sort_unstable();

    let mut active = [0u32; 128];
    let mut distinct = 0u64;
    let mut pitch_ticks = 0u128; // Σ over ticks of the distinct pitches sounding
    let mut sounding_ticks = 0u64; // ticks with at least one pitch
    let mut dense_ticks = 0u64; // ticks with more than `threshold` pitches
    let mut i = 0;
    while i < events.len() {
        let tick = events[i].0;
        while i < events.len() && events[i].0 == tick {
            let (_, delta, pitch) = events[i];
            let slot = &mut active[pitch as usize];
            if delta > 0 {
                if *slot == 0 {
                    distinct += 1;
                }
                *slot += 1;
            } else {
                *slot -= 1;
                if *slot == 0 {
                    distinct -= 1;
                }
            }
            i += 1;
        }
        if let Some(&(next, _, _)) = events.get(i) {
            let span = next - tick;
            if distinct > 0 {
                pitch_ticks += distinct as u128 * span as u128;
                sounding_ticks += span;
            }
            if distinct > threshold as u64 {
                dense_ticks += span;
            }
        }
    }
    PolyphonyStats {
        polyphony: (sounding_ticks > 0).then(|| pitch_ticks as f64 / sounding_ticks as f64),
        polyphony_rate: (end > 0).then(|| dense_ticks as f64 / end as f64),
    }
}
