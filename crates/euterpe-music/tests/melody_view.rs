//! The melody view: a melody model trained on multi-track files sees their melody alone, in bars
//! of four beats, whichever way the file names or orders its tracks.

use euterpe_music::midi::parse_midi;
use euterpe_music::score::{Score, Track};
use euterpe_music::tokens::{Tokenizer, TokenizerConfig, View};
use euterpe_testkit::shared_data;

fn pop909() -> Score {
    let bytes = std::fs::read(shared_data().join("pop909/001/001.mid")).unwrap();
    parse_midi(&bytes).unwrap()
}

fn melody_tokens(score: &Score) -> Vec<u32> {
    let config = TokenizerConfig {
        view: View::Melody,
        ..TokenizerConfig::default()
    };
    let tokenizer = Tokenizer::new(config).unwrap();
    tokenizer.encode(score).unwrap()
}

#[test]
fn the_melody_view_keeps_the_melody_track_alone_in_four_four() {
    let song = pop909();
    let names: Vec<&str> = song.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["MELODY", "BRIDGE", "PIANO"]);
    assert!(!song.time_signatures.is_empty());
    let melody = song.melody_only();
    assert_eq!(melody.tracks.len(), 1);
    assert_eq!(melody.tracks[0], song.tracks[0]);
    assert!(melody.time_signatures.is_empty(), "bars of four beats");
    assert_eq!(melody.tempos, song.tempos);

    // The named track wins wherever it is; the tokens do not see the others.
    let mut reordered = song.clone();
    reordered.tracks.reverse();
    assert_eq!(melody_tokens(&reordered), melody_tokens(&song));
    let mut accompaniment_changed = song.clone();
    accompaniment_changed.tracks[2].notes.truncate(10);
    assert_eq!(melody_tokens(&accompaniment_changed), melody_tokens(&song));
    let mut melody_changed = song.clone();
    melody_changed.tracks[0].notes.pop();
    assert_ne!(melody_tokens(&melody_changed), melody_tokens(&song));
}

#[test]
fn without_a_melody_track_the_highest_track_is_the_melody() {
    let mut song = pop909();
    for t in &mut song.tracks {
        t.name = format!("part {}", t.program);
    }
    let mean =
        |t: &Track| t.notes.iter().map(|n| n.pitch as f64).sum::<f64>() / t.notes.len() as f64;
    let highest = (0..song.tracks.len())
        .max_by(|&a, &b| mean(&song.tracks[a]).total_cmp(&mean(&song.tracks[b])))
        .unwrap();
    assert_eq!(song.melody_track("MELODY"), Some(highest));
    let mut drums = Track::new("drums", 0);
    drums.is_drum = true;
    drums.notes = song.tracks[0].notes.clone();
    for n in &mut drums.notes {
        n.pitch = 100;
    }
    song.tracks.push(drums);
    assert_eq!(
        song.melody_track("MELODY"),
        Some(highest),
        "drums are never the melody"
    );
    assert!(Score::new(480).melody_only().tracks.is_empty());
}
