//! The notes-only view judges music, not file conventions: a piece written at another
//! resolution, with its tracks merged or split, its programs, velocities, names and tempo changed,
//! tokenises to the same ids.

use euterpe_music::midi::{encode_midi, parse_midi};
use euterpe_music::score::{Score, TempoChange, Track};
use euterpe_music::tokens::{Tokenizer, TokenizerConfig, View};
use euterpe_testkit::shared_data;

fn pop909() -> Score {
    let bytes = std::fs::read(shared_data().join("pop909/001/001.mid")).unwrap();
    parse_midi(&bytes).unwrap()
}

/// The score after a round trip through MIDI bytes (what a file written this way reads as).
fn as_file(score: &Score) -> Score {
    parse_midi(&encode_midi(score).unwrap()).unwrap()
}

fn at_resolution(score: &Score, factor: u64) -> Score {
    let mut s = score.clone();
    s.ticks_per_beat *= factor as u32;
    for t in &mut s.tempos {
        t.tick *= factor;
    }
    for t in &mut s.time_signatures {
        t.tick *= factor;
    }
    for t in &mut s.key_signatures {
        t.tick *= factor;
    }
    for n in s.tracks.iter_mut().flat_map(|t| t.notes.iter_mut()) {
        n.onset *= factor;
        n.duration *= factor;
    }
    s
}

fn merged(score: &Score) -> Score {
    let mut s = score.clone();
    let mut all = Track::new("Everything", 41);
    all.notes = s.tracks.drain(..).flat_map(|t| t.notes).collect();
    all.sort_notes();
    s.tracks = vec![all];
    s
}

fn split_by_register(score: &Score) -> Score {
    let mut s = merged(score);
    let all = s.tracks.pop().unwrap();
    let (high, low): (Vec<_>, Vec<_>) = all.notes.into_iter().partition(|n| n.pitch >= 60);
    let mut right = Track::new("RH", 0);
    right.notes = high;
    let mut left = Track::new("LH", 32);
    left.notes = low;
    s.tracks = vec![left, right];
    s
}

fn restyled(score: &Score) -> Score {
    let mut s = score.clone();
    s.tempos = vec![
        TempoChange::from_bpm(0, 93.0),
        TempoChange::from_bpm(960, 140.0),
    ];
    for (i, t) in s.tracks.iter_mut().enumerate() {
        t.program = 10 + i as u8;
        t.name = format!("part {i}");
        for n in &mut t.notes {
            n.velocity = 30 + (n.pitch % 90);
        }
    }
    s
}

fn tokenizer(view: View) -> Tokenizer {
    Tokenizer::new(TokenizerConfig {
        view,
        ..TokenizerConfig::default()
    })
    .unwrap()
}

#[test]
fn resolution_tracks_programs_velocities_and_tempo_do_not_change_the_notes_view() {
    let original = pop909();
    let variants = [
        ("960 ticks per beat", as_file(&at_resolution(&original, 2))),
        // Merged and split at the score level: written to one MIDI channel, doubled notes that
        // overlap would cut each other short, which changes the music, not its encoding.
        ("tracks merged", merged(&original)),
        ("tracks split by register", split_by_register(&original)),
        (
            "programs, velocities, names, tempo",
            as_file(&restyled(&original)),
        ),
    ];
    let notes = tokenizer(View::Notes);
    let full = tokenizer(View::Full);
    let reference = notes.encode(&original).unwrap();
    assert!(reference.len() > 1000);
    for (what, variant) in &variants {
        let ids = notes.encode(variant).unwrap();
        let first_difference = ids.iter().zip(&reference).position(|(a, b)| a != b);
        assert!(
            ids.len() == reference.len() && first_difference.is_none(),
            "{what}: {} ids against {}, first difference at {first_difference:?}",
            ids.len(),
            reference.len()
        );
    }
    // The full view does see the differences, so the test could fail.
    for (what, variant) in &variants[1..] {
        assert!(
            full.encode(variant).unwrap() != full.encode(&original).unwrap(),
            "{what}"
        );
    }
}

#[test]
fn the_default_view_is_not_written_so_older_vocabularies_read_back_equal() {
    let json = tokenizer(View::Full).vocab().to_json();
    assert!(!json.contains("view"));
    let notes_json = tokenizer(View::Notes).vocab().to_json();
    assert!(
        notes_json.contains("\"view\": \"notes\""),
        "{}",
        &notes_json[..notes_json.len().min(600)]
    );
}
