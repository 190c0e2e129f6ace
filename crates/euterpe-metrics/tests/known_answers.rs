//! Hand-built scores whose metrics are known exactly.

mod common;

use common::{assert_close, score, track, with_meter};
use euterpe_metrics::{Key, Metric, MetricsConfig, PieceMetrics};
use euterpe_music::Score;

const TPB: u64 = 480;

/// C D E F G A B as quarter notes from middle C.
fn c_major_scale() -> Score {
    let pitches = [60u8, 62, 64, 65, 67, 69, 71];
    let notes: Vec<(u64, u64, u8)> = pitches
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as u64 * TPB, TPB, p))
        .collect();
    score(TPB as u32, &notes)
}

#[test]
fn c_major_scale_has_the_expected_pitch_metrics() {
    let m = PieceMetrics::compute(&c_major_scale());
    assert_eq!(m.note_count, 7);
    assert_close(Some(m.duration_beats), 7.0, 0.0, "duration_beats");
    assert_eq!(m.pitch_range, Some(11));
    assert_eq!(m.n_pitches_used, 7);
    assert_eq!(m.n_pitch_classes_used, 7);
    assert_close(m.scale_consistency, 1.0, 0.0, "scale_consistency");
    assert_eq!(
        m.key,
        Some(Key {
            tonic: 0,
            minor: false
        })
    );
    assert_close(m.pitch_in_scale_rate, 1.0, 0.0, "pitch_in_scale_rate");
    assert_close(
        m.pitch_class_entropy,
        7f64.log2(),
        1e-12,
        "pitch_class_entropy",
    );
    assert_close(m.pitch_entropy, 7f64.log2(), 1e-12, "pitch_entropy");
    assert_close(m.polyphony, 1.0, 0.0, "polyphony");
    assert_close(m.polyphony_rate, 0.0, 0.0, "polyphony_rate");
    assert_close(m.empty_beat_rate, 0.0, 0.0, "empty_beat_rate");
    // 4/4: bar 1 has onsets at 0, 4, 8, 12 of 16 positions, bar 2 at 0, 4, 8.
    assert_close(
        m.groove_consistency,
        1.0 - 1.0 / 16.0,
        1e-12,
        "groove_consistency",
    );
}

#[test]
fn a_chromatic_note_lowers_scale_consistency() {
    let mut s = c_major_scale();
    s.tracks[0].notes.push(common::note(7 * TPB, TPB, 61)); // C#
    let m = PieceMetrics::compute(&s);
    assert_close(m.scale_consistency, 7.0 / 8.0, 1e-12, "scale_consistency");
    assert_close(
        m.pitch_in_scale_rate,
        7.0 / 8.0,
        1e-12,
        "pitch_in_scale_rate",
    );
    assert_eq!(m.n_pitch_classes_used, 8);
    assert_close(
        m.pitch_class_entropy,
        3.0,
        1e-12,
        "eight equally used classes",
    );
}

#[test]
fn a_held_triad_has_polyphony_three() {
    let chord = score(
        TPB as u32,
        &[(0, 4 * TPB, 60), (0, 4 * TPB, 64), (0, 4 * TPB, 67)],
    );
    let m = PieceMetrics::compute(&chord);
    assert_close(m.polyphony, 3.0, 0.0, "polyphony");
    // Three pitches is more than MusPy's threshold of 2 at every tick.
    assert_close(m.polyphony_rate, 1.0, 0.0, "polyphony_rate");
    let strict = MetricsConfig {
        polyphony_threshold: 3,
        ..MetricsConfig::default()
    };
    assert_close(
        PieceMetrics::compute_with(&chord, &strict).polyphony_rate,
        0.0,
        0.0,
        "polyphony_rate with threshold 3",
    );
    assert_eq!(m.n_pitch_classes_used, 3);
    assert_eq!(
        m.key,
        Some(Key {
            tonic: 0,
            minor: false
        })
    );
}

#[test]
fn polyphony_weighs_by_sounding_time_and_ignores_silence() {
    // Beat 0–2: a dyad (2 pitches); beat 2–3: silence; beat 3–4: one note; beats 4–5: the same
    // pitch twice, overlapping (counts once, as in a binary piano-roll).
    let s = score(
        TPB as u32,
        &[
            (0, 2 * TPB, 60),
            (0, 2 * TPB, 64),
            (3 * TPB, TPB, 62),
            (4 * TPB, TPB, 65),
            (4 * TPB + TPB / 2, TPB / 2, 65),
        ],
    );
    let m = PieceMetrics::compute(&s);
    // (2·2 + 1·1 + 1·1) pitch-beats over 4 sounding beats.
    assert_close(m.polyphony, 6.0 / 4.0, 1e-12, "polyphony");
    assert_close(m.polyphony_rate, 0.0, 0.0, "no tick has three pitches");
    let dyads = MetricsConfig {
        polyphony_threshold: 1,
        ..MetricsConfig::default()
    };
    // Two of the five beats have more than one pitch.
    assert_close(
        PieceMetrics::compute_with(&s, &dyads).polyphony_rate,
        2.0 / 5.0,
        1e-12,
        "polyphony_rate, threshold 1",
    );
}

#[test]
fn empty_beats_in_a_score_with_a_gap() {
    // Quarter notes on beats 0 and 3: beats 1 and 2 are empty.
    let s = score(TPB as u32, &[(0, TPB, 60), (3 * TPB, TPB, 62)]);
    let m = PieceMetrics::compute(&s);
    assert_close(m.empty_beat_rate, 0.5, 1e-12, "empty_beat_rate");

    // A half note from beat 0.5 sounds in beats 0, 1 and 2; beats 3 and 4 stay empty until a note
    // on beat 5. A note ending exactly on a beat line does not fill the next beat.
    let s = score(TPB as u32, &[(TPB / 2, 2 * TPB, 60), (5 * TPB, TPB, 62)]);
    let m = PieceMetrics::compute(&s);
    assert_close(m.empty_beat_rate, 2.0 / 6.0, 1e-12, "empty_beat_rate");

    // Leading silence counts; a drum hit fills its beat.
    let mut s = score(TPB as u32, &[(2 * TPB, TPB, 60), (3 * TPB, TPB, 60)]);
    let m = PieceMetrics::compute(&s);
    assert_close(m.empty_beat_rate, 0.5, 1e-12, "leading silence");
    let mut drums = track(&[(0, TPB / 4, 36)]);
    drums.is_drum = true;
    s.tracks.push(drums);
    let m = PieceMetrics::compute(&s);
    assert_close(m.empty_beat_rate, 0.25, 1e-12, "drums fill beats");
}

/// `bars` bars of 4/4 that all repeat the onsets (in beats) of `pattern`.
fn repeated_bars(pattern: &[f64], bars: u64) -> Score {
    let mut notes = Vec::new();
    for bar in 0..bars {
        for &beat in pattern {
            let onset = bar * 4 * TPB + (beat * TPB as f64) as u64;
            notes.push((onset, TPB / 4, 67));
        }
    }
    with_meter(score(TPB as u32, &notes), 4, 4)
}

#[test]
fn a_repeated_bar_pattern_has_groove_consistency_one() {
    let m = PieceMetrics::compute(&repeated_bars(&[0.0, 1.5, 2.0, 3.0, 3.75], 8));
    assert_close(m.groove_consistency, 1.0, 0.0, "groove_consistency");

    // Two patterns in alternation: {0, 4, 8, 12} and {0, 8} differ in 2 of 16 positions.
    let mut notes = Vec::new();
    for bar in 0..4u64 {
        let beats: &[u64] = if bar % 2 == 0 { &[0, 1, 2, 3] } else { &[0, 2] };
        for &b in beats {
            notes.push((bar * 4 * TPB + b * TPB, TPB, 60));
        }
    }
    let m = PieceMetrics::compute(&score(TPB as u32, &notes));
    assert_close(
        m.groove_consistency,
        1.0 - 2.0 / 16.0,
        1e-12,
        "alternating bars",
    );
}

#[test]
fn groove_rounds_performed_onsets_to_the_grid() {
    // The same pattern, played a little early or late (under half a sixteenth), still repeats;
    // one early downbeat rounds across the bar line into the next bar.
    let mut s = repeated_bars(&[0.0, 1.0, 2.0, 3.0], 4);
    for (i, n) in s.tracks[0].notes.iter_mut().enumerate() {
        let shift = [0i64, 25, -40, 55][i % 4];
        n.onset = (n.onset as i64 + shift).max(0) as u64;
    }
    s.tracks[0].notes[4].onset -= 20; // the downbeat of bar 2, 20 ticks before the bar line
    let m = PieceMetrics::compute(&s);
    assert_close(m.groove_consistency, 1.0, 0.0, "performed onsets");
}

#[test]
fn groove_follows_the_time_signature() {
    // A waltz pattern repeated every 3 beats is perfectly consistent in 3/4 but not in 4/4.
    let mut notes = Vec::new();
    for bar in 0..6u64 {
        notes.push((bar * 3 * TPB, TPB, 48));
        notes.push((bar * 3 * TPB + TPB, TPB, 64));
        notes.push((bar * 3 * TPB + 2 * TPB + TPB / 2, TPB / 2, 67));
    }
    let waltz = with_meter(score(TPB as u32, &notes), 3, 4);
    assert_close(
        PieceMetrics::compute(&waltz).groove_consistency,
        1.0,
        0.0,
        "3/4",
    );
    let in_four = with_meter(waltz.clone(), 4, 4);
    let g = PieceMetrics::compute(&in_four).groove_consistency;
    assert!(g.is_some_and(|g| g < 0.95), "{g:?}");
}

#[test]
fn drums_are_excluded_from_pitch_metrics() {
    let mut s = c_major_scale();
    let before = PieceMetrics::compute(&s);
    let mut drums = track(&[
        (0, 10, 36),
        (TPB, 10, 38),
        (2 * TPB, 10, 42),
        (2 * TPB, 10, 49),
    ]);
    drums.is_drum = true;
    s.tracks.push(drums);
    let after = PieceMetrics::compute(&s);
    for m in [
        Metric::PitchRange,
        Metric::NPitchesUsed,
        Metric::NPitchClassesUsed,
        Metric::Polyphony,
        Metric::PolyphonyRate,
        Metric::PitchInScaleRate,
        Metric::ScaleConsistency,
        Metric::PitchEntropy,
        Metric::PitchClassEntropy,
    ] {
        assert_eq!(before.get(m), after.get(m), "{m}");
    }
    assert_eq!(after.note_count, 11);
}

#[test]
fn an_empty_score_has_no_defined_ratios() {
    let m = PieceMetrics::compute(&Score::new(480));
    assert_eq!(
        (m.note_count, m.n_pitches_used, m.n_pitch_classes_used),
        (0, 0, 0)
    );
    for metric in [
        Metric::PitchRange,
        Metric::Polyphony,
        Metric::PolyphonyRate,
        Metric::PitchInScaleRate,
        Metric::ScaleConsistency,
        Metric::PitchEntropy,
        Metric::PitchClassEntropy,
        Metric::EmptyBeatRate,
        Metric::GrooveConsistency,
    ] {
        assert_eq!(m.get(metric), None, "{metric}");
    }
    assert_eq!(m.key, None);
    // Drums only: rhythm is defined, pitch is not.
    let mut s = Score::new(480);
    let mut drums = track(&[(0, 100, 36), (2400, 100, 36)]);
    drums.is_drum = true;
    s.tracks.push(drums);
    let m = PieceMetrics::compute(&s);
    assert_eq!(
        (m.pitch_range, m.polyphony, m.scale_consistency),
        (None, None, None)
    );
    assert!(m.empty_beat_rate.is_some() && m.groove_consistency.is_some());
}

/// MusPy's own test piece (`tests/data/test.json`: the opening of Für Elise in 3/8 at 24 ticks per
/// beat) and the values MusPy's tests expect for it.
#[test]
fn muspy_test_piece_gives_muspys_values() {
    let pitches = [76u8, 75, 76, 75, 76, 71, 74, 72, 69];
    let notes: Vec<(u64, u64, u8)> = pitches
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as u64 * 6, 6, p))
        .collect();
    let s = with_meter(score(24, &notes), 3, 8);
    // MusPy's test measures groove with a measure resolution of 36 ticks, one position per tick.
    let config = MetricsConfig {
        groove_positions_per_beat: 24,
        ..MetricsConfig::default()
    };
    let m = PieceMetrics::compute_with(&s, &config);
    assert_eq!(m.n_pitches_used, 6);
    assert_eq!(m.n_pitch_classes_used, 6);
    assert_eq!(m.pitch_range, Some(7));
    assert_close(m.empty_beat_rate, 0.0, 0.0, "empty_beat_rate");
    assert_close(m.polyphony, 1.0, 0.0, "polyphony");
    assert_close(m.polyphony_rate, 0.0, 0.0, "polyphony_rate");
    assert_close(m.scale_consistency, 7.0 / 9.0, 1e-12, "scale_consistency");
    assert_close(m.pitch_entropy, 2.4193819456463714, 1e-12, "pitch_entropy");
    assert_close(
        m.pitch_class_entropy,
        2.4193819456463714,
        1e-12,
        "pitch_class_entropy",
    );
    assert_close(
        m.groove_consistency,
        11.0 / 12.0,
        1e-12,
        "groove_consistency",
    );
    // Krumhansl–Schmuckler hears E minor (MusPy's test passes A minor explicitly; both scales hold
    // the same 7 of 9 notes).
    assert_eq!(
        m.key,
        Some(Key {
            tonic: 4,
            minor: true
        })
    );
    assert_close(
        m.pitch_in_scale_rate,
        7.0 / 9.0,
        1e-12,
        "pitch_in_scale_rate",
    );
}

#[test]
fn piece_metrics_serialise_under_the_metric_names() {
    let m = PieceMetrics::compute(&c_major_scale());
    let json = serde_json::to_value(&m).unwrap_or_default();
    for metric in Metric::ALL {
        assert!(
            json.get(metric.name()).is_some(),
            "{metric} missing in {json}"
        );
    }
    assert_eq!(json["key"], "C major");
    let empty = serde_json::to_value(PieceMetrics::compute(&Score::new(96))).unwrap_or_default();
    assert!(empty["polyphony"].is_null());
    let back: Option<PieceMetrics> = serde_json::from_value(json).ok();
    assert_eq!(back, Some(m));
}
