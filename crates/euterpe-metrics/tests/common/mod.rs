//! Helpers shared by the integration tests: hand-built scores and a seeded generator.

#![allow(dead_code)]

use euterpe_metrics::{Metric, PieceMetrics};
use euterpe_music::{Note, Score, TimeSignature, Track};

/// A note from (onset, duration, pitch) in ticks.
pub fn note(onset: u64, duration: u64, pitch: u8) -> Note {
    Note {
        onset,
        duration,
        pitch,
        velocity: 80,
    }
}

/// A melodic track with the given notes (sorted).
pub fn track(notes: &[(u64, u64, u8)]) -> Track {
    let mut t = Track::new("piano", 0);
    t.notes = notes.iter().map(|&(o, d, p)| note(o, d, p)).collect();
    t.sort_notes();
    t
}

/// A score with one melodic track.
pub fn score(ticks_per_beat: u32, notes: &[(u64, u64, u8)]) -> Score {
    let mut s = Score::new(ticks_per_beat);
    s.tracks.push(track(notes));
    s
}

/// Sets one time signature at tick 0.
pub fn with_meter(mut s: Score, numerator: u8, denominator: u8) -> Score {
    s.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator,
        denominator,
    }];
    s
}

/// Asserts that two floats agree to `tol`, naming the context on failure.
pub fn assert_close(actual: Option<f64>, expected: f64, tol: f64, what: &str) {
    match actual {
        Some(a) => assert!(
            (a - expected).abs() <= tol,
            "{what}: got {a}, expected {expected} (±{tol})"
        ),
        None => panic!("{what}: got None, expected {expected}"),
    }
}

/// Asserts that every metric of two pieces agrees to `tol` (both undefined counts as agreeing).
pub fn assert_same_metrics(a: &PieceMetrics, b: &PieceMetrics, tol: f64, what: &str) {
    for m in Metric::ALL {
        match (a.get(m), b.get(m)) {
            (Some(x), Some(y)) => assert!((x - y).abs() <= tol, "{what}: {m}: {x} vs {y}"),
            (None, None) => {}
            (x, y) => panic!("{what}: {m}: {x:?} vs {y:?}"),
        }
    }
}

/// SplitMix64: a tiny seeded generator, so that property tests are reproducible.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// A random piece: one to three tracks of notes on a jittered sixteenth grid, pitches 36–90,
/// a random resolution and meter.
pub fn random_score(rng: &mut Rng) -> Score {
    let tpb = [96u32, 480, 10_080][rng.range(0, 3) as usize];
    let meters = [(4u8, 4u8), (3, 4), (6, 8), (2, 4)];
    let (num, den) = meters[rng.range(0, meters.len() as u64) as usize];
    let mut s = with_meter(Score::new(tpb), num, den);
    let step = tpb as u64 / 4;
    for _ in 0..rng.range(1, 4) {
        let mut t = Track::new("part", 0);
        let mut at = rng.range(0, 8) * step;
        for _ in 0..rng.range(1, 60) {
            let jitter = rng.range(0, step / 8 + 1);
            let chord = rng.range(1, 4);
            let dur = rng.range(0, 9) * step;
            for _ in 0..chord {
                t.notes
                    .push(note(at + jitter, dur, rng.range(36, 91) as u8));
            }
            at += rng.range(0, 9) * step;
        }
        t.sort_notes();
        s.tracks.push(t);
    }
    s
}
