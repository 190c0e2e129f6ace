//! Whole songs measured as excerpts of the length of generated pieces, a split of a corpus, and
//! the melody of multi-track files: how `euterpe metrics` compares a melody model fairly with
//! its corpus.

mod common;

use common::score;
use euterpe_data::{Corpus, CorpusOptions, Split};
use euterpe_metrics::{excerpts, measure_path, MeasureOptions, Metric};
use euterpe_music::tokens::View;
use euterpe_music::TempoChange;
use euterpe_testkit::shared_data;

#[test]
fn a_song_is_cut_into_excerpts_from_the_bar_of_its_first_note() {
    // Quarter notes from beat 6 (bar 2 of 4/4) to beat 6 + 40, one held across beat 24.
    let mut notes: Vec<(u64, u64, u8)> = (0..40).map(|k| ((6 + k) * 480, 480, 60)).collect();
    notes[13].1 = 4 * 480;
    let mut song = score(480, &notes);
    song.tempos = vec![
        TempoChange::from_bpm(0, 100.0),
        TempoChange::from_bpm(10 * 480, 120.0),
        TempoChange::from_bpm(30 * 480, 90.0),
    ];
    let parts = excerpts(&song, 16);
    // From beat 4 to beat 46: two whole excerpts of 16 beats; the tail of 10 beats is dropped.
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].tracks[0].notes.len(), 14);
    assert_eq!(parts[0].tracks[0].notes[0].onset, 2 * 480);
    assert_eq!(parts[1].tracks[0].notes.len(), 16);
    // The note from beat 19 is cut where its excerpt ends (beat 20).
    assert_eq!(parts[0].tracks[0].notes[13].duration, 480);
    // Each excerpt starts with the tempo in force there.
    assert_eq!(parts[0].tempos.len(), 2);
    assert!((parts[1].tempos[0].bpm() - 120.0).abs() < 1e-6);
    assert_eq!(parts[1].tempos[1].tick, 10 * 480);
    // A piece shorter than an excerpt is one excerpt; one without notes is none.
    assert_eq!(excerpts(&score(480, &notes[..3]), 64).len(), 1);
    assert!(excerpts(&score(480, &[]), 64).is_empty());
}

#[test]
fn pop909_validation_melodies_as_sixteen_bar_excerpts() {
    let pop909 = shared_data().join("pop909");
    let corpus = Corpus::open(&pop909, &CorpusOptions::default()).unwrap();
    let valid = corpus
        .entries
        .iter()
        .filter(|e| e.split == Split::Valid)
        .count();
    let options = MeasureOptions {
        view: View::Melody,
        split: Some(Split::Valid),
        excerpt_beats: Some(64),
        ..MeasureOptions::default()
    };
    let set = measure_path(&pop909, &options).unwrap();
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    // Songs of a few minutes give a few excerpts each.
    assert!(set.pieces.len() > 2 * valid && set.pieces.len() < 8 * valid);
    let distinct: std::collections::BTreeSet<&str> = set
        .ids
        .iter()
        .map(|id| id.split('#').next().unwrap())
        .collect();
    assert_eq!(distinct.len(), valid, "every validation song, none other");
    for p in &set.pieces {
        // A melody: one note at a time, in sixteen bars.
        let polyphony = p.get(Metric::Polyphony).unwrap();
        assert!((1.0..1.3).contains(&polyphony), "{polyphony}");
        assert!(p.get(Metric::DurationBeats).unwrap() <= 64.0 + 1e-9);
    }
    // Against whole songs with every track, the excerpts hold far fewer notes.
    let whole = measure_path(
        &pop909,
        &MeasureOptions {
            split: Some(Split::Valid),
            ..MeasureOptions::default()
        },
    )
    .unwrap();
    let mean = |pieces: &[euterpe_metrics::PieceMetrics]| {
        pieces
            .iter()
            .filter_map(|p| p.get(Metric::NoteCount))
            .sum::<f64>()
            / pieces.len() as f64
    };
    assert!(mean(&set.pieces) * 5.0 < mean(&whole.pieces));
}
