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

/// Asserts that both schemes refuse `score` with the token-budget error.
fn assert_over_budget(score: &Score) {
    for scheme in [Scheme::Remi, Scheme::MidiLike] {
        let tok = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
        let err = tok.encode(score).unwrap_err();
        assert!(
            matches!(&err, MusicError::Unencodable(m) if m.contains("tokens, the limit for its")),
            "{scheme:?}: {err}"
        );
    }
}

#[test]
fn notes_that_need_too_many_duration_tokens_are_an_error_not_an_out_of_memory() {
    // Found while fuzzing (fuzz/, parse_midi), minimised: 33 notes held to the end of a piece of
    // 2^24 - 4 steps needed 17.3 M REMI Duration tokens from 129 bytes; with 16 channels of 128
    // notes, 8 KiB of MIDI asked for over 2 GiB at once. Format 0, one tick per beat.
    let mut bytes = b"MThd\0\0\0\x06\0\0\0\x01\0\x01MTrk\0\0\0\x6b".to_vec();
    bytes.extend_from_slice(&[0x00, 0x90, 0, 64]); // note-on pitch 0 at tick 0, never closed
    for pitch in 1..=32 {
        bytes.extend_from_slice(&[0x00, pitch, 64]); // running status: pitches 1–32, never closed
    }
    bytes.extend_from_slice(&[0x81, 0xff, 0xff, 0x7f, 0xff, 0x2f, 0x00]); // end at tick 2^22 - 1
    let score = crate::midi::parse_midi(&bytes).unwrap();
    // 33 notes allow 65,536 + 33 × 64 tokens; MIDI-like's half a million TimeShifts are refused too.
    assert_over_budget(&score);
}

#[test]
fn a_few_held_notes_cannot_make_a_small_file_slow() {
    // Found while fuzzing (fuzz/, parse_midi), minimised from a 1.9 kB input that took 0.6 s per
    // execution: 41 bytes, three notes that sound from tick 0 until a controller change 2^28 - 1
    // ticks later (at 384 ticks per beat: 2.8 M grid steps). REMI wrote 87,381 Duration tokens per
    // note (262,000 tokens, 2 MB; corpus inputs with more notes reached 3.5 M tokens and 2 s), within
    // the old limit of 2^24 Duration tokens.
    let bytes = b"MThd\0\0\0\x06\0\x01\0\x01\x01\x80MTrk\0\0\0\x13\
                  \x00\x90\x35\x4c\x00\x90\x39\x4b\x00\x90\x3c\x69\xff\xff\xff\x7f\xb0\x3e\x40";
    assert_eq!(bytes.len(), 41);
    let score = crate::midi::parse_midi(bytes).unwrap();
    assert_eq!(score.note_count(), 3);
    assert_over_budget(&score);
}

/// A score at 4 ticks per beat with one note at each of `onsets`, each `duration` long.
fn sparse(onsets: &[u64], duration: u64, time_signature: (u8, u8)) -> Score {
    let mut s = Score::new(4);
    s.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: time_signature.0,
        denominator: time_signature.1,
    }];
    let mut t = Track::new("", 0);
    t.notes = onsets
        .iter()
        .map(|&onset| Note {
            onset,
            duration,
            pitch: 60,
            velocity: 64,
        })
        .collect();
    s.tracks.push(t);
    s
}

#[test]
fn empty_bars_count_against_the_token_budget() {
    // Two notes 2^24 - 2 steps apart in 1/16 time (bars of one step): 16.7 M Bar tokens, 134 MB,
    // from a file of a few dozen bytes.
    assert_over_budget(&sparse(&[0, (1 << 24) - 2], 1, (1, 16)));
}

#[test]
fn long_silences_and_long_notes_within_the_budget_round_trip() {
    // One note after 60,000 empty bars of 4/4, and one note lasting 100,000 bars.
    for score in [
        sparse(&[0, 60_000 * 16], 4, (4, 4)),
        sparse(&[0], 100_000 * 16, (4, 4)),
    ] {
        for scheme in [Scheme::Remi, Scheme::MidiLike] {
            let tok = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
            let ids = tok.encode(&score).unwrap();
            assert!(ids.len() <= 65_536 + 64 * 2, "{scheme:?}: {}", ids.len());
            assert_eq!(
                tok.canonical_notes(&tok.decode(&ids).unwrap()).unwrap(),
                tok.canonical_notes(&score).unwrap(),
                "{scheme:?}"
            );
        }
    }
}

#[test]
fn midi_like_body_may_start_with_a_track_token() {
    // No tempo event and a note at tick 0: the body's first token is Track_0, right after the
    // header's Track_0 Program_0 (found by fuzzing).
    let mut s = Score::new(480);
    let mut t = Track::new("", 0);
    t.notes.push(Note {
        onset: 0,
        duration: 480,
        pitch: 60,
        velocity: 64,
    });
    s.tracks.push(t);
    for scheme in [Scheme::MidiLike, Scheme::Remi] {
        let tok = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
        let decoded = tok.decode(&tok.encode(&s).unwrap()).unwrap();
        assert_eq!(
            tok.canonical_notes(&decoded).unwrap(),
            tok.canonical_notes(&s).unwrap(),
            "{scheme:?}"
        );
    }
}

/// Feeds ids through a grammar, failing on the first one it rejects.
fn accept_all(tokenizer: &Tokenizer, ids: &[u32]) -> Grammar {
    let vocab = tokenizer.vocab();
    let mut grammar = Grammar::new(vocab, GrammarOptions::default());
    for (i, &id) in ids.iter().enumerate() {
        let token = vocab.token(id).unwrap();
        if let Err(e) = grammar.push(token) {
            panic!("token {i} ({token}) rejected: {e}");
        }
    }
    grammar
}

#[test]
fn the_grammar_accepts_everything_the_encoder_writes() {
    for scheme in [Scheme::Remi, Scheme::MidiLike] {
        let tokenizer = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
        let ids = tokenizer.encode(&piece()).unwrap();
        let grammar = accept_all(&tokenizer, &ids);
        assert!(grammar.is_finished());
        assert_eq!(grammar.tracks(), 3);
        assert_eq!(grammar.notes(), 24 + 24 + 4);
    }
}

#[test]
fn the_grammar_accepts_real_pieces() {
    let dir = euterpe_testkit::shared_data().join("pop909");
    for scheme in [Scheme::Remi, Scheme::MidiLike] {
        let tokenizer = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
        for n in ["001", "002", "003"] {
            let score = crate::midi::read_midi_file(&dir.join(n).join(format!("{n}.mid"))).unwrap();
            let ids = tokenizer.encode(&score).unwrap();
            let grammar = accept_all(&tokenizer, &ids);
            assert!(grammar.notes() > 100);
        }
    }
}

#[test]
fn the_grammar_rejects_what_the_decoder_rejects() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let vocab = tokenizer.vocab();
    let mut g = Grammar::new(vocab, GrammarOptions::default());
    for t in [Token::Bos, Token::Bar, Token::Position(4)] {
        g.push(t).unwrap();
    }
    assert!(g.push(Token::Velocity(3)).is_err(), "Velocity before Pitch");
    assert!(!g.allows(Token::Position(2)), "a position back in time");
    assert!(!g.allows(Token::Bar), "an empty note slot");
    g.push(Token::Pitch(60)).unwrap();
    assert!(!g.allows(Token::Eos), "inside a note");
    g.push(Token::Velocity(3)).unwrap();
    g.push(Token::Duration(4)).unwrap();
    assert!(
        !g.allows(Token::Duration(4)),
        "a second Duration after a short one"
    );
    assert!(g.allows(Token::Bar) && g.allows(Token::Eos));
    g.push(Token::Bar).unwrap();
    assert!(
        !g.allows(Token::Bar),
        "an empty bar is masked for generation"
    );
    assert!(g.push(Token::Bar).is_ok(), "but accepted from a primer");
}

/// A tiny deterministic generator for the sampling property test.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniformly random tokens under the grammar's mask always decode, with notes in every bar.
#[test]
fn random_sequences_under_the_mask_always_decode() {
    for scheme in [Scheme::Remi, Scheme::MidiLike] {
        let tokenizer = Tokenizer::new(TokenizerConfig::for_scheme(scheme)).unwrap();
        let vocab = tokenizer.vocab();
        let mut mask = Vec::new();
        for seed in 0..40u64 {
            let mut rng = seed;
            let mut grammar = Grammar::new(vocab, GrammarOptions::default());
            let bos = vocab.id_of(Token::Bos).unwrap();
            let mut ids = vec![bos];
            grammar.push(Token::Bos).unwrap();
            while (ids.len() < 400 || grammar.inside_note()) && !grammar.is_finished() {
                grammar.allowed_mask(vocab, &mut mask);
                let allowed: Vec<u32> = (0..mask.len() as u32)
                    .filter(|&i| mask[i as usize])
                    .collect();
                assert!(!allowed.is_empty(), "dead end after {} tokens", ids.len());
                let id = allowed[(next_random(&mut rng) % allowed.len() as u64) as usize];
                grammar.push(vocab.token(id).unwrap()).unwrap();
                ids.push(id);
            }
            let score = tokenizer
                .decode(&ids)
                .unwrap_or_else(|e| panic!("{scheme:?} seed {seed}: {e}"));
            assert_eq!(
                score.note_count(),
                grammar.notes(),
                "{scheme:?} seed {seed}"
            );
        }
    }
}

/// With a meter asked for, the first bar declares it, no other `TimeSig` follows, and every
/// onset of the decoded piece lies inside bars of that length.
#[test]
fn a_fixed_meter_holds_for_every_bar() {
    let tokenizer = Tokenizer::new(TokenizerConfig::for_scheme(Scheme::Remi)).unwrap();
    let vocab = tokenizer.vocab();
    let options = GrammarOptions {
        time_signature: Some((3, 4)),
        ..GrammarOptions::default()
    };
    let mut mask = Vec::new();
    for seed in 0..20u64 {
        let mut rng = seed;
        let mut grammar = Grammar::new(vocab, options);
        let mut ids = vec![vocab.id_of(Token::Bos).unwrap()];
        grammar.push(Token::Bos).unwrap();
        while (ids.len() < 300 || grammar.inside_note()) && !grammar.is_finished() {
            grammar.allowed_mask(vocab, &mut mask);
            let allowed: Vec<u32> = (0..mask.len() as u32)
                .filter(|&i| mask[i as usize])
                .collect();
            let id = allowed[(next_random(&mut rng) % allowed.len() as u64) as usize];
            grammar.push(vocab.token(id).unwrap()).unwrap();
            ids.push(id);
        }
        let time_sigs: Vec<Token> = ids
            .iter()
            .map(|&i| vocab.token(i).unwrap())
            .filter(|t| matches!(t, Token::TimeSig(..)))
            .collect();
        assert_eq!(time_sigs, vec![Token::TimeSig(3, 4)], "seed {seed}");
        let score = tokenizer.decode(&ids).unwrap();
        let signatures: Vec<(u8, u8)> = score
            .time_signatures
            .iter()
            .map(|t| (t.numerator, t.denominator))
            .collect();
        assert_eq!(signatures, vec![(3, 4)], "seed {seed}");
        let bar = 3 * score.ticks_per_beat as u64;
        let notes: Vec<&crate::score::Note> = score.tracks.iter().flat_map(|t| &t.notes).collect();
        assert!(!notes.is_empty());
        // Bars after the first hold notes too (the grammar's no-empty-bar rule), so the piece
        // spans about as many 3-beat bars as it has Bar tokens.
        let bars = ids
            .iter()
            .filter(|&&i| vocab.token(i) == Some(Token::Bar))
            .count() as u64;
        let last = notes.iter().map(|n| n.onset).max().unwrap();
        assert!(
            last < bars * bar,
            "seed {seed}: onset {last} beyond {bars} bars of 3/4"
        );
        assert!(last >= (bars - 1) * bar, "seed {seed}: last bar empty");
    }
}

#[test]
fn emotion_words_and_their_synonyms_name_quadrants() {
    for (word, q) in [
        ("happy", 1),
        ("Joyful", 1),
        ("Q2", 2),
        ("anxious", 2),
        ("melancholic", 3),
        (" depressed ", 3),
        ("serene", 4),
        ("q4", 4),
    ] {
        assert_eq!(Emotion::from_name(word).unwrap().quadrant(), q, "{word}");
    }
    let e = Emotion::from_name("ecstatic-ish").unwrap_err().to_string();
    assert!(
        e.contains("ecstatic-ish") && e.contains("melancholic") && e.contains("Q4"),
        "{e}"
    );
}
