//! Properties over seeded random scores: what must not change a piece's metrics.

mod common;

use common::{assert_same_metrics, random_score, Rng};
use euterpe_metrics::{Metric, PieceMetrics};
use euterpe_music::Score;

const PIECES: u64 = 200;

fn transposed(score: &Score, semitones: i32) -> Option<Score> {
    let mut s = score.clone();
    for note in s.tracks.iter_mut().flat_map(|t| t.notes.iter_mut()) {
        note.pitch = u8::try_from(note.pitch as i32 + semitones)
            .ok()
            .filter(|p| *p < 128)?;
    }
    Some(s)
}

#[test]
fn metrics_are_invariant_to_transposition() {
    let mut rng = Rng(7);
    for i in 0..PIECES {
        let s = random_score(&mut rng);
        let m = PieceMetrics::compute(&s);
        // Every metric here is relative: an octave changes nothing, and neither does any other
        // interval (the key moves with the piece).
        for k in [12, -12, 1, 5, -7] {
            let Some(t) = transposed(&s, k) else { continue };
            let mt = PieceMetrics::compute(&t);
            assert_same_metrics(&m, &mt, 1e-12, &format!("piece {i}, {k:+} semitones"));
            assert_eq!(
                mt.key,
                m.key.map(|key| key.transposed(k)),
                "piece {i}, {k:+}"
            );
        }
    }
}

#[test]
fn absolute_pitch_changes_under_transposition_but_ranges_do_not() {
    // Sanity check that transposition really moved the notes: the lowest pitch moves, the
    // range stays.
    let mut rng = Rng(3);
    let s = random_score(&mut rng);
    let low = |s: &Score| {
        s.tracks
            .iter()
            .flat_map(|t| &t.notes)
            .map(|n| n.pitch)
            .min()
    };
    let t = transposed(&s, 12);
    assert_eq!(t.as_ref().and_then(low), low(&s).map(|p| p + 12));
    let (a, b) = (
        PieceMetrics::compute(&s),
        t.as_ref().map(PieceMetrics::compute),
    );
    assert_eq!(b.map(|b| b.pitch_range), Some(a.pitch_range));
}

#[test]
fn metrics_are_invariant_to_the_resolution() {
    // The same music at three times the ticks per beat.
    let mut rng = Rng(11);
    for i in 0..PIECES {
        let s = random_score(&mut rng);
        let mut fine = s.clone();
        fine.ticks_per_beat *= 3;
        for ts in &mut fine.time_signatures {
            ts.tick *= 3;
        }
        for note in fine.tracks.iter_mut().flat_map(|t| t.notes.iter_mut()) {
            note.onset *= 3;
            note.duration *= 3;
        }
        let (a, b) = (PieceMetrics::compute(&s), PieceMetrics::compute(&fine));
        assert_same_metrics(&a, &b, 1e-12, &format!("piece {i}"));
        assert_eq!(a.key, b.key);
    }
}

#[test]
fn metrics_do_not_depend_on_how_notes_are_split_into_tracks() {
    let mut rng = Rng(19);
    for i in 0..PIECES {
        let s = random_score(&mut rng);
        let mut merged = s.clone();
        let mut all: Vec<_> = s.tracks.iter().flat_map(|t| t.notes.clone()).collect();
        all.sort_unstable_by_key(|n| (n.onset, n.pitch));
        merged.tracks.truncate(1);
        merged.tracks[0].notes = all;
        let mut split = merged.clone();
        let odd: Vec<_> = split.tracks[0]
            .notes
            .iter()
            .skip(1)
            .step_by(2)
            .copied()
            .collect();
        let mut second = euterpe_music::Track::new("odd", 0);
        second.notes = odd;
        split.tracks[0].notes = split.tracks[0].notes.iter().step_by(2).copied().collect();
        split.tracks.push(second);
        let a = PieceMetrics::compute(&s);
        assert_same_metrics(
            &a,
            &PieceMetrics::compute(&merged),
            1e-12,
            &format!("{i} merged"),
        );
        assert_same_metrics(
            &a,
            &PieceMetrics::compute(&split),
            1e-12,
            &format!("{i} split"),
        );
    }
}

#[test]
fn ratios_stay_in_their_ranges() {
    let mut rng = Rng(23);
    for i in 0..PIECES {
        let m = PieceMetrics::compute(&random_score(&mut rng));
        for metric in [
            Metric::PolyphonyRate,
            Metric::PitchInScaleRate,
            Metric::ScaleConsistency,
            Metric::EmptyBeatRate,
            Metric::GrooveConsistency,
        ] {
            if let Some(v) = m.get(metric) {
                assert!((0.0..=1.0).contains(&v), "piece {i}: {metric} = {v}");
            }
        }
        // In-scale rate of the estimated key never beats the best scale.
        if let (Some(a), Some(b)) = (m.pitch_in_scale_rate, m.scale_consistency) {
            assert!(a <= b + 1e-12, "piece {i}: {a} > {b}");
            // Any 7-note scale holds at least 7/12 of the notes of the best one.
            assert!(b >= 7.0 / 12.0 - 1e-12, "piece {i}: scale_consistency {b}");
        }
        if let Some(p) = m.polyphony {
            assert!(
                p >= 1.0 && p <= m.n_pitches_used as f64,
                "piece {i}: polyphony {p}"
            );
        }
        if let Some(h) = m.pitch_class_entropy {
            assert!(h >= 0.0 && h <= (m.n_pitch_classes_used as f64).log2() + 1e-12);
        }
        if let Some(h) = m.pitch_entropy {
            assert!(h <= (m.n_pitches_used as f64).log2() + 1e-12);
        }
    }
}
