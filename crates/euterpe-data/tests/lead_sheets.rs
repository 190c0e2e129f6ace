//! Lead sheets from real POP909 songs: melody bars on the annotated downbeats with the annotated
//! chords, and the same songs without annotations (bars from the meter, chords estimated from
//! the accompaniment).

use euterpe_data::{DataConfig, LeadSheetConfig, Split, TaskData};
use euterpe_music::melody::{class_pitch, HOLD, REST};
use euterpe_testkit::pop909_subset;

fn load(path: &std::path::Path) -> euterpe_data::LeadSheetData {
    let config = DataConfig {
        lead_sheet: Some(LeadSheetConfig::default()),
        ..DataConfig::default()
    };
    match TaskData::load(path, &config).unwrap() {
        (TaskData::LeadSheets(d), report) => {
            assert!(report.failures.is_empty(), "{:?}", report.failures);
            d
        }
        (other, _) => panic!("loaded {}", other.describe()),
    }
}

fn all_bars(d: &euterpe_data::LeadSheetData) -> Vec<&euterpe_music::melody::MelodyBar> {
    d.splits
        .iter()
        .flatten()
        .flat_map(|s| s.bars.iter())
        .collect()
}

#[test]
fn pop909_melodies_become_bars_over_their_annotated_chords() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = load(&pop909_subset(dir.path(), 6, true));
    let bars = all_bars(&annotated);
    let songs: usize = annotated.splits.iter().map(Vec::len).sum();
    assert_eq!(songs, 6);
    // Pop songs of three to five minutes in 4/4: some 60 to 150 bars each.
    assert!(
        bars.len() > 6 * 50 && bars.len() < 6 * 160,
        "{} bars",
        bars.len()
    );
    let with_chord = bars.iter().filter(|b| b.chord.is_some()).count();
    assert!(
        with_chord * 10 > bars.len() * 8,
        "{with_chord} of {} bars have a chord",
        bars.len()
    );
    // A sung melody: most onsets of a bar are tones of its chord or near them, notes are held,
    // and there are rests between phrases.
    let (mut onsets, mut chord_tones, mut holds, mut rests) = (0, 0, 0, 0);
    for b in &bars {
        for &s in &b.steps {
            match (class_pitch(s), b.chord) {
                (Some(p), Some(c)) => {
                    onsets += 1;
                    chord_tones += c.contains(p % 12) as usize;
                }
                (Some(_), None) => onsets += 1,
                _ if s == HOLD => holds += 1,
                _ if s == REST => rests += 1,
                _ => unreachable!(),
            }
        }
    }
    assert!(
        onsets > 1000 && holds > onsets && rests > 0,
        "{onsets} {holds} {rests}"
    );
    // Three of twelve pitch classes are chord tones; a melody over its chords hits far more.
    let share = chord_tones as f64 / onsets as f64;
    assert!(share > 0.45, "chord-tone share {share:.2}");
    let pairs = annotated.pairs(Split::Train);
    assert!(!pairs.is_empty());
    let batches = pairs.batches(32, Some(3));
    assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), pairs.len());
    assert_eq!(
        batches,
        pairs.batches(32, Some(3)),
        "batches repeat with their seed"
    );

    // Without annotations: the meter's bars, chords estimated from BRIDGE and PIANO.
    let other = tempfile::tempdir().unwrap();
    let bare = load(&pop909_subset(other.path(), 6, false));
    let bare_bars = all_bars(&bare);
    let estimated = bare_bars.iter().filter(|b| b.chord.is_some()).count();
    assert!(estimated * 10 > bare_bars.len() * 8);
    let (mut hits, mut total) = (0, 0);
    for b in &bare_bars {
        for &s in &b.steps {
            if let (Some(p), Some(c)) = (class_pitch(s), b.chord) {
                total += 1;
                hits += c.contains(p % 12) as usize;
            }
        }
    }
    let share = hits as f64 / total as f64;
    assert!(
        share > 0.45,
        "chord-tone share with estimated chords {share:.2}"
    );
}
