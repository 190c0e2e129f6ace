//! Fuzzes the vocabulary reader (`Vocabulary::from_json`, behind `Vocabulary::load`).
//!
//! A vocabulary it accepts must write back to JSON that reads as the same vocabulary, and must give a
//! tokenizer under which a small score (two tracks, drums, a long note, a tempo and a metre change)
//! round-trips: its quantised notes come back from `decode(encode(score))`, or encoding fails with an
//! error (a configuration may be too small for the score).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use euterpe_music::tokens::{Tokenizer, Vocabulary};
use euterpe_music::{Note, Score, TempoChange, TimeSignature, Track};

fn score() -> &'static Score {
    static SCORE: OnceLock<Score> = OnceLock::new();
    SCORE.get_or_init(|| {
        let mut s = Score::new(480);
        s.tempos = vec![
            TempoChange::from_bpm(0, 96.0),
            TempoChange::from_bpm(1920, 150.0),
        ];
        s.time_signatures = vec![
            TimeSignature {
                tick: 0,
                numerator: 4,
                denominator: 4,
            },
            TimeSignature {
                tick: 1920,
                numerator: 3,
                denominator: 4,
            },
        ];
        let note = |onset, duration, pitch, velocity| Note {
            onset,
            duration,
            pitch,
            velocity,
        };
        let mut piano = Track::new("piano", 0);
        piano.notes = vec![
            note(0, 480 * 12, 48, 70),
            note(0, 240, 60, 100),
            note(240, 120, 64, 30),
            note(2000, 80, 67, 127),
        ];
        let mut drums = Track::new("drums", 0);
        drums.is_drum = true;
        drums.notes = vec![note(0, 60, 36, 110), note(960, 60, 38, 90)];
        s.tracks = vec![piano, drums];
        s
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(vocab) = Vocabulary::from_json(json) else {
        return;
    };
    let again = Vocabulary::from_json(&vocab.to_json())
        .unwrap_or_else(|e| panic!("to_json wrote a vocabulary that from_json rejects: {e}"));
    assert_eq!(again.tokens(), vocab.tokens());
    assert_eq!(again.config(), vocab.config());

    let tokenizer = Tokenizer::from_vocabulary(vocab)
        .unwrap_or_else(|e| panic!("an accepted vocabulary has no tokenizer: {e}"));
    let score = score();
    if let Ok(ids) = tokenizer.encode(score) {
        let decoded = tokenizer
            .decode(&ids)
            .unwrap_or_else(|e| panic!("the encoder wrote tokens that do not decode: {e}"));
        assert_eq!(
            tokenizer.canonical_notes(&decoded).ok(),
            tokenizer.canonical_notes(score).ok(),
            "round trip under {:?}",
            tokenizer.config()
        );
    }
});
