//! Set-level summaries, comparisons and their text and JSON forms, on hand-built sets.

mod common;

use common::{random_score, score, Rng};
use euterpe_metrics::{
    compare, format_comparison_table, format_table, Comparison, Metric, PieceMetrics, SetSummary,
};

/// `n` monophonic melodies: quarter notes walking up from a varying start.
fn melodies(n: u64) -> Vec<PieceMetrics> {
    (0..n)
        .map(|i| {
            let notes: Vec<(u64, u64, u8)> = (0..8 + i % 5)
                .map(|k| (k * 480, 480, (60 + (k * (i % 3 + 1)) % 12) as u8))
                .collect();
            PieceMetrics::compute(&score(480, &notes))
        })
        .collect()
}

/// `n` pieces of held four-note chords.
fn chorales(n: u64) -> Vec<PieceMetrics> {
    (0..n)
        .map(|i| {
            let mut notes = Vec::new();
            for bar in 0..4 + i % 3 {
                for p in [48u8, 55, 64, 72 + (i % 4) as u8] {
                    notes.push((bar * 1920, 1920, p));
                }
            }
            PieceMetrics::compute(&score(480, &notes))
        })
        .collect()
}

#[test]
fn summary_of_a_set() {
    let set = chorales(12);
    let summary = SetSummary::from_pieces(&set);
    assert_eq!(summary.pieces, 12);
    assert_eq!(summary.metrics.len(), Metric::ALL.len());
    let poly = summary.get(Metric::Polyphony);
    assert!(poly.is_some_and(|s| s.count == 12 && s.mean == Some(4.0) && s.std == Some(0.0)));
    let notes = summary.get(Metric::NoteCount);
    // 4, 5 and 6 bars of four notes, four pieces each.
    assert!(
        notes.is_some_and(|s| s.mean == Some(20.0) && s.min == Some(16.0) && s.max == Some(24.0))
    );
}

#[test]
fn a_set_compared_with_itself_overlaps_fully() {
    let mut rng = Rng(5);
    let set: Vec<PieceMetrics> = (0..40)
        .map(|_| PieceMetrics::compute(&random_score(&mut rng)))
        .collect();
    let c = compare(&set, &set);
    for m in &c.metrics {
        let area = m.overlap_area();
        assert!(
            area.is_some_and(|a| (a - 1.0).abs() < 1e-6),
            "{}: {area:?}",
            m.metric
        );
        assert!(
            m.kl_divergence().is_some_and(|kl| kl.abs() < 1e-9),
            "{}",
            m.metric
        );
    }
    assert!(c
        .mean_overlap_area()
        .is_some_and(|a| (a - 1.0).abs() < 1e-6));
}

#[test]
fn monophonic_and_chordal_sets_are_told_apart() {
    let c = compare(&melodies(30), &chorales(30));
    let poly = c.get(Metric::Polyphony).and_then(|m| m.overlap_area());
    // Polyphony 1 everywhere against 4 everywhere: two point masses.
    assert_eq!(poly, Some(0.0));
    let rate = c.get(Metric::PolyphonyRate).and_then(|m| m.overlap_area());
    assert_eq!(rate, Some(0.0));
    let mean = c.mean_overlap_area();
    assert!(mean.is_some_and(|a| a < 0.5), "{mean:?}");
    for m in &c.metrics {
        if let Some(o) = &m.overlap {
            assert!(
                o.area.is_finite() && o.kl_divergence.is_finite(),
                "{}",
                m.metric
            );
        }
    }
}

#[test]
fn undefined_metrics_are_left_out_not_nan() {
    let mut generated = melodies(5);
    generated.push(PieceMetrics::compute(&euterpe_music::Score::new(480))); // an empty output
    let c = compare(&generated, &melodies(7));
    let poly = c.get(Metric::Polyphony);
    assert!(poly.is_some_and(|m| m.generated.count == 5 && m.reference.count == 7));
    // The empty piece still counts where the metric is defined for it.
    assert!(c
        .get(Metric::NoteCount)
        .is_some_and(|m| m.generated.count == 6));
    let json = serde_json::to_string(&c).unwrap_or_default();
    assert!(!json.contains("NaN") && !json.is_empty());
    // An empty set compares to nothing.
    let none = compare(&[], &melodies(3));
    assert!(none.metrics.iter().all(|m| m.overlap.is_none()));
    assert_eq!(none.mean_overlap_area(), None);
}

#[test]
fn tables_list_every_metric() {
    let c = compare(&melodies(10), &chorales(10));
    assert_eq!(
        c.generated_summary(),
        SetSummary::from_pieces(&melodies(10))
    );
    assert_eq!(
        c.reference_summary(),
        SetSummary::from_pieces(&chorales(10))
    );
    let summary = format_table(&c.generated_summary());
    let comparison = format_comparison_table(&c);
    for name in Metric::names() {
        assert!(summary.contains(name), "{name} missing:\n{summary}");
        assert!(comparison.contains(name), "{name} missing:\n{comparison}");
    }
    assert!(summary.starts_with("10 pieces"));
    assert!(comparison.contains("10 generated pieces, 10 reference pieces"));
    assert!(comparison.contains("mean overlap area"));
    // Every row of a table is as wide as its header.
    let widths: Vec<usize> = summary.lines().skip(1).map(str::len).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{summary}");
    let widths: Vec<usize> = comparison.lines().skip(1).map(str::len).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{comparison}");
}

#[test]
fn comparisons_round_trip_through_json() {
    let c = compare(&melodies(6), &chorales(4));
    let json = serde_json::to_string_pretty(&c).unwrap_or_default();
    let back: Option<Comparison> = serde_json::from_str(&json).ok();
    // serde_json may parse a float one unit in the last place off; compare with a tolerance.
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
        (a, b) => a == b,
    };
    assert!(back
        .as_ref()
        .is_some_and(|b| b.metrics.len() == c.metrics.len()
            && b.metrics
                .iter()
                .zip(&c.metrics)
                .all(|(x, y)| x.metric == y.metric
                    && close(x.overlap_area(), y.overlap_area())
                    && close(x.kl_divergence(), y.kl_divergence())
                    && close(x.generated.mean, y.generated.mean)
                    && close(x.reference.std, y.reference.std))));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(value["metrics"][5]["metric"], "polyphony");
    assert_eq!(value["metrics"][5]["overlap"]["area"], 0.0);
}
