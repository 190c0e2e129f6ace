//! Metrics over the shared datasets: plausible ranges for monophonic folk songs, polyphonic piano
//! and pop arrangements, and the timing over POP909.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use euterpe_data::{Corpus, CorpusOptions};
use euterpe_metrics::{compare, Key, Metric, PieceMetrics, SetSummary};
use euterpe_testkit::shared_data;

/// The metrics of every `step`-th file of a corpus (by id), with the ids; no file may fail.
fn sample(folder: &Path, step: usize) -> Vec<(String, PieceMetrics)> {
    let mut corpus = Corpus::open(folder, &CorpusOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    corpus.entries = corpus.entries.into_iter().step_by(step).collect();
    let (ok, failures) =
        corpus.map_scores(|entry, score| Ok((entry.id.clone(), PieceMetrics::compute(&score))));
    assert!(failures.is_empty(), "{failures:?}");
    ok.into_iter().map(|(_, x)| x).collect()
}

fn mean(pieces: &[(String, PieceMetrics)], metric: Metric) -> f64 {
    let values: Vec<f64> = pieces.iter().filter_map(|(_, p)| p.get(metric)).collect();
    assert!(!values.is_empty(), "{metric}: no values");
    values.iter().sum::<f64>() / values.len() as f64
}

/// music21's key names in the Essen index ("G major", "B- major", "d minor").
fn essen_key(name: &str) -> Option<Key> {
    let (tonic, mode) = name.split_once(' ')?;
    let mut chars = tonic.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let base = [
        ('C', 0),
        ('D', 2),
        ('E', 4),
        ('F', 5),
        ('G', 7),
        ('A', 9),
        ('B', 11),
    ]
    .iter()
    .find(|(l, _)| *l == letter)?
    .1;
    let shift: i32 = chars.map(|c| if c == '#' { 1 } else { -1 }).sum();
    Some(Key {
        tonic: (base + shift).rem_euclid(12) as u8,
        minor: mode == "minor",
    })
}

/// The key signature a key is written with, as the tonic of its relative major.
fn signature(key: Key) -> u8 {
    if key.minor {
        (key.tonic + 3) % 12
    } else {
        key.tonic
    }
}

#[test]
fn essen_folk_songs_are_monophonic_and_tonal() {
    let essen = shared_data().join("essen");
    let pieces = sample(&essen.join("midi"), 151);
    assert!(pieces.len() >= 50, "{}", pieces.len());
    for (id, m) in &pieces {
        let p = m.polyphony.unwrap_or(f64::NAN);
        assert!((p - 1.0).abs() < 0.02, "{id}: polyphony {p}");
        assert!(
            m.polyphony_rate.is_some_and(|r| r < 0.01),
            "{id}: {:?}",
            m.polyphony_rate
        );
        assert!(
            m.pitch_range.is_some_and(|r| (2..=30).contains(&r)),
            "{id}: {:?}",
            m.pitch_range
        );
        assert!((2..=12).contains(&m.n_pitch_classes_used), "{id}");
        assert!(m.groove_consistency.is_some_and(|g| g > 0.3), "{id}");
        assert!(m.empty_beat_rate.is_some_and(|e| e < 0.5), "{id}");
    }
    assert!(mean(&pieces, Metric::ScaleConsistency) > 0.95);
    assert!(mean(&pieces, Metric::PitchInScaleRate) > 0.9);
    let pce = mean(&pieces, Metric::PitchClassEntropy);
    assert!(pce > 1.8 && pce < 3.0, "pitch_class_entropy {pce}");
    assert!(mean(&pieces, Metric::GrooveConsistency) > 0.7);
    assert!(mean(&pieces, Metric::EmptyBeatRate) < 0.1);

    // The estimated key against the key of the source ABC file, compared by key signature (the
    // index names most minor tunes by their relative major). Krumhansl–Schmuckler often hears the
    // dominant or subdominant in a folk tune that never uses the fourth or seventh degree, so
    // require agreement for most songs and a neighbour on the circle of fifths for nearly all.
    let mut index =
        csv::Reader::from_path(essen.join("index.csv")).unwrap_or_else(|e| panic!("{e}"));
    let keys: HashMap<String, Key> = index
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| Some((r.get(0)?.to_string(), essen_key(r.get(6)?)?)))
        .collect();
    let fifths = |key: Key| (signature(key) as i32 * 7).rem_euclid(12);
    let distances: Vec<i32> = pieces
        .iter()
        .filter_map(|(id, m)| {
            let d = (fifths(m.key?) - fifths(*keys.get(id)?)).abs();
            Some(d.min(12 - d))
        })
        .collect();
    assert!(
        distances.len() >= 40,
        "{} pieces with a key in the index",
        distances.len()
    );
    let share =
        |max: i32| distances.iter().filter(|&&d| d <= max).count() as f64 / distances.len() as f64;
    eprintln!(
        "Essen keys: same signature {:.2}, within a fifth {:.2}",
        share(0),
        share(1)
    );
    assert!(share(0) > 0.5, "same signature for {:.2}", share(0));
    assert!(share(1) > 0.85, "within one fifth for {:.2}", share(1));
}

#[test]
fn emopia_piano_clips_are_polyphonic() {
    let pieces = sample(&shared_data().join("emopia/midi"), 20);
    assert!(pieces.len() >= 45, "{}", pieces.len());
    for (id, m) in &pieces {
        let p = m.polyphony.unwrap_or(f64::NAN);
        assert!(p > 1.5, "{id}: polyphony {p}");
        assert!(m.pitch_range.is_some_and(|r| r >= 12), "{id}");
    }
    assert!(mean(&pieces, Metric::Polyphony) > 3.0);
    assert!(mean(&pieces, Metric::PolyphonyRate) > 0.5);
    assert!(mean(&pieces, Metric::PitchRange) > 30.0);
}

#[test]
fn folk_songs_and_piano_are_told_apart_but_halves_of_one_corpus_are_not() {
    let essen: Vec<PieceMetrics> = sample(&shared_data().join("essen/midi"), 50)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let piano: Vec<PieceMetrics> = sample(&shared_data().join("emopia/midi"), 5)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let (even, odd): (Vec<_>, Vec<_>) = essen
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let even: Vec<PieceMetrics> = even.into_iter().map(|(_, m)| m).collect();
    let odd: Vec<PieceMetrics> = odd.into_iter().map(|(_, m)| m).collect();

    let within = compare(&even, &odd);
    let across = compare(&essen, &piano);
    let (w, a) = (within.mean_overlap_area(), across.mean_overlap_area());
    assert!(w.is_some_and(|w| w > 0.8), "within Essen: {w:?}");
    assert!(a.is_some_and(|a| a < 0.4), "Essen vs EMOPIA: {a:?}");
    let poly = across.get(Metric::Polyphony).and_then(|c| c.overlap_area());
    // Essen's polyphony is exactly 1 everywhere: that point borrows EMOPIA's bandwidth and lies
    // below every EMOPIA clip (the lowest is above 2).
    assert!(poly.is_some_and(|p| p < 0.05), "polyphony overlap {poly:?}");
    for c in within.metrics.iter().chain(&across.metrics) {
        let o = c.overlap.as_ref();
        assert!(
            o.is_some_and(|o| o.area.is_finite() && o.kl_divergence.is_finite()),
            "{}",
            c.metric
        );
    }
}

#[test]
fn all_of_pop909_in_seconds() {
    let corpus = Corpus::open(&shared_data().join("pop909"), &CorpusOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let (scores, failures) = corpus.map_scores(|_, score| Ok(score));
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(scores.len(), 909);
    let start = Instant::now();
    let pieces: Vec<PieceMetrics> = scores
        .iter()
        .map(|(_, s)| PieceMetrics::compute(s))
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    // 0.3 s in a release build; this is an unoptimised test build on a shared machine, so the
    // bound only catches a blow-up (a per-tick piano-roll would take minutes).
    eprintln!("POP909 metrics: {elapsed:.2} s for 909 pieces (one thread)");
    assert!(elapsed < 60.0, "{elapsed:.1} s");
    let summary = SetSummary::from_pieces(&pieces);
    let poly = summary.get(Metric::Polyphony).and_then(|s| s.min);
    assert!(poly.is_some_and(|p| p > 1.5), "{poly:?}");
    let empty = summary.get(Metric::EmptyBeatRate).and_then(|s| s.mean);
    assert!(empty.is_some_and(|e| e < 0.05), "{empty:?}");
}
