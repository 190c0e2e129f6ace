use super::*;
use crate::score::{TempoChange, TimeSignature, Track};

fn piece() -> Score {
    let mut s = Score::new(480);
    s.tempos = vec![
        TempoChange::from_bpm(0, 100.0),
        TempoChange::from_bpm(1920 * 2, 140.0),
    ];
    s.time_signatures = vec![
        TimeSignature {
            tick: 0,
            numerator: 4,
            denominator: 4,
        },
        // Mid-bar change: takes effect at the next bar line.
        TimeSignature {
            tick: 1920 + 240,
            numerator: 3,
            denominator: 4,
        },
    ];
    let mut melody = Track::new("melody", 73);
    let mut chords = Track::new("chords", 0);
    let mut drums = Track::new("drums", 0);
    drums.is_drum = true;
    for i in 0..24u64 {
        melody.notes.push(Note {
            onset: i * 240,
            duration: 200,
            pitch: 60 + (i % 12) as u8,
            velocity: 40 + i as u8,
        });
        drums.notes.push(Note {
            onset: i * 480,
            duration: 60,
            pitch: 36,
            velocity: 100,
        });
    }
    // A note longer than the longest Duration token, and a chord.
    chords.notes.push(Note {
        onset: 0,
        duration: 480 * 11,
        pitch: 48,
        velocity: 70,
    });
    for p in [52, 55, 59] {
        chords.notes.push(Note {
            onset: 1920,
            duration: 960,
            pitch: p,
            velocity: 70,
        });
    }
    s.tracks = vec![melody, Track::new("empty", 5), chords, drums];
    s
}

fn round_trip(scheme: Scheme) {
    let tok = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
    let score = piece();
    let ids = tok.encode(&score).unwrap();
    assert_eq!(tok.vocab().token(ids[0]), Some(Token::Bos));
    assert_eq!(tok.vocab().token(*ids.last().unwrap()), Some(Token::Eos));
    let decoded = tok.decode(&ids).unwrap();
    assert_eq!(
        tok.canonical_notes(&decoded).unwrap(),
        tok.canonical_notes(&score).unwrap()
    );
    assert_eq!(decoded.tracks.len(), 3, "the empty track is dropped");
    assert_eq!(decoded.tracks[0].program, 73);
    assert!(decoded.tracks[2].is_drum);
    // Tempo survives within its bin.
    let bpm = decoded.tempos.last().unwrap().bpm();
    assert!((bpm - 140.0).abs() < 140.0 * 0.04, "tempo {bpm}");
}

#[test]
fn remi_round_trip_preserves_quantised_notes() {
    round_trip(Scheme::Remi);
}

#[test]
fn midi_like_round_trip_preserves_quantised_notes() {
    round_trip(Scheme::MidiLike);
}

#[test]
fn remi_defers_a_mid_bar_time_signature_to_the_next_bar() {
    let tok = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let decoded = tok.decode(&tok.encode(&piece()).unwrap()).unwrap();
    let ts: Vec<_> = decoded
        .time_signatures
        .iter()
        .map(|t| (t.tick, t.numerator))
        .collect();
    assert_eq!(ts, vec![(0, 4), (32, 3)]); // bar 3 starts at step 32
}

#[test]
fn control_tokens_keep_their_ids_across_schemes() {
    let remi = Vocabulary::build(&TokenizerConfig::for_scheme(Scheme::Remi));
    let ml = Vocabulary::build(&TokenizerConfig::for_scheme(Scheme::MidiLike));
    for t in [
        Token::Pad,
        Token::Bos,
        Token::Eos,
        Token::Mask,
        Token::Emotion(1),
        Token::Emotion(4),
        Token::Style(15),
    ] {
        assert_eq!(remi.try_id(t), ml.try_id(t), "{t}");
        assert!(remi.try_id(t).unwrap() < 30);
    }
    // ids and tokens agree in both directions
    for v in [&remi, &ml] {
        for (id, &t) in v.tokens().iter().enumerate() {
            assert_eq!(v.try_id(t), Some(id as u32), "{t}");
        }
    }
}

#[test]
fn vocabulary_json_round_trips_and_rejects_tampering() {
    let v = Vocabulary::build(&TokenizerConfig::default());
    let json = v.to_json();
    let back = Vocabulary::from_json(&json).unwrap();
    assert_eq!(back.tokens(), v.tokens());
    let tampered = json.replacen("\"Pitch_60\"", "\"Pitch_61\"", 1);
    let e = Vocabulary::from_json(&tampered).unwrap_err();
    assert!(e.contains("Pitch_61"), "{e}");
    assert!(Vocabulary::from_json("{\"format\": 3}").is_err());
}

#[test]
fn decode_reports_the_index_of_a_bad_token() {
    let tok = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let v = tok.vocab();
    let id = |t| v.try_id(t).unwrap();
    // Pitch before any Bar/Position.
    let e = tok
        .decode(&[id(Token::Bos), id(Token::Pitch(60))])
        .unwrap_err();
    assert!(
        matches!(e, MusicError::InvalidTokens { index: 1, .. }),
        "{e}"
    );
    let e = tok
        .decode(&[
            id(Token::Bos),
            id(Token::Bar),
            id(Token::Position(0)),
            id(Token::Pitch(60)),
            id(Token::Eos),
        ])
        .unwrap_err();
    assert!(
        matches!(e, MusicError::InvalidTokens { index: 4, .. }),
        "{e}"
    );
    let e = tok.decode(&[id(Token::Bos), 999_999]).unwrap_err();
    assert!(e.to_string().contains("outside the vocabulary"), "{e}");
}

#[test]
fn midi_like_rejects_an_unmatched_note_off() {
    let tok = Tokenizer::new(TokenizerConfig::for_scheme(Scheme::MidiLike)).unwrap();
    let v = tok.vocab();
    let ids = [
        v.try_id(Token::Bos).unwrap(),
        v.try_id(Token::NoteOff(60)).unwrap(),
    ];
    assert!(matches!(
        tok.decode(&ids),
        Err(MusicError::InvalidTokens { index: 1, .. })
    ));
}

#[test]
fn too_many_tracks_is_a_clear_error() {
    let mut s = Score::new(4);
    for i in 0..20 {
        let mut t = Track::new("", i);
        t.notes.push(Note {
            onset: 0,
            duration: 1,
            pitch: 60,
            velocity: 64,
        });
        s.tracks.push(t);
    }
    let e = Tokenizer::new(TokenizerConfig::default())
        .unwrap()
        .encode(&s)
        .unwrap_err();
    assert!(e.to_string().contains("max_tracks"), "{e}");
}
