//! Generation behaviour with real models: grammar-valid output, lengths, seeds, primers, beams.

use euterpe_generate::{GenerateError, GenerateOptions, Generator, Length};
use euterpe_models::backend::Cpu;
use euterpe_models::{CoreConfig, TokenLm, TokenLmConfig};
use euterpe_music::tokens::{Token, Tokenizer, TokenizerConfig};

/// An untrained two-layer model of 32 units of `cell` over the tokenizer's vocabulary.
fn model(cell: &str, tokenizer: &Tokenizer) -> TokenLm<Cpu> {
    let mut core = CoreConfig::of_cell(cell, 32, 2, 0.1).expect("a known cell");
    if let Some(t) = core.transformer_mut() {
        t.heads = 2;
    }
    TokenLmConfig {
        vocab: tokenizer.vocab().len(),
        embedding: 16,
        core,
    }
    .init(&Default::default())
}

fn tokens(tokenizer: &Tokenizer, ids: &[u32]) -> Vec<Token> {
    ids.iter()
        .map(|&id| tokenizer.vocab().token(id).unwrap())
        .collect()
}

/// Every bar of a REMI sequence holds a note, and there are at most `bars` of them (an untrained
/// model may spend its token budget before the last bar; the built-in model's exact bar count is
/// checked by the CLI tests).
fn assert_bars_with_notes(tokens: &[Token], bars: usize) {
    let mut counts = Vec::new();
    for t in tokens {
        match t {
            Token::Bar => counts.push(0),
            Token::Pitch(_) => *counts.last_mut().expect("a note inside a bar") += 1,
            _ => {}
        }
    }
    assert!(!counts.is_empty() && counts.len() <= bars, "{counts:?}");
    assert!(counts.iter().all(|&c| c > 0), "an empty bar: {counts:?}");
}

#[test]
fn every_model_kind_writes_whole_bars_that_decode() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    for cell in euterpe_models::config::CELLS {
        let model = model(cell, &tokenizer);
        let options = GenerateOptions {
            length: Length::Bars(3),
            num_outputs: 2,
            seed: 5,
            ..Default::default()
        };
        let pieces = Generator::new(&model, &tokenizer, Default::default())
            .generate(&options)
            .unwrap();
        assert_eq!(pieces.len(), 2);
        for p in &pieces {
            assert_bars_with_notes(&tokens(&tokenizer, &p.ids), 3);
            assert!(p.score.note_count() > 0, "{cell:?}");
            assert!(p.log_prob < 0.0);
            // The piece decodes again from its ids, and its MIDI parses.
            let bytes = euterpe_music::midi::encode_midi(&p.score).unwrap();
            let back = euterpe_music::midi::parse_midi(&bytes).unwrap();
            assert_eq!(back.note_count(), p.score.note_count());
        }
        assert_ne!(pieces[0].ids, pieces[1].ids, "{cell:?}: outputs differ");
    }
}

#[test]
fn the_same_seed_gives_the_same_music_and_another_seed_does_not() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let generator = Generator::new(&model, &tokenizer, Default::default());
    let run = |seed| {
        generator
            .generate(&GenerateOptions {
                length: Length::Bars(2),
                seed,
                ..Default::default()
            })
            .unwrap()
            .remove(0)
            .ids
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn a_primer_starts_the_output_and_midi_like_works_too() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let gru = model("gru", &tokenizer);
    let primer = euterpe_generate::score_util::primer_from_pitches(&[60, 62, 64, 65, 67]);
    let options = GenerateOptions {
        length: Length::Bars(2),
        primer: Some(primer.clone()),
        seed: 3,
        ..Default::default()
    };
    let piece = Generator::new(&gru, &tokenizer, Default::default())
        .generate(&options)
        .unwrap()
        .remove(0);
    let mut primer_ids = tokenizer.encode(&primer).unwrap();
    primer_ids.pop(); // EOS
    assert_eq!(&piece.ids[..primer_ids.len()], &primer_ids[..]);
    let notes = &piece.score.tracks[0].notes;
    for (i, pitch) in [60u8, 62, 64, 65, 67].into_iter().enumerate() {
        let onset = i as u64 * 480;
        assert!(
            notes.iter().any(|n| n.pitch == pitch && n.onset == onset),
            "primer note {pitch} at {onset} kept"
        );
    }
    // The primer's 2 bars (the second part-filled) plus 2 new ones.
    assert_bars_with_notes(&tokens(&tokenizer, &piece.ids), 4);

    let midi_like = Tokenizer::new(TokenizerConfig::for_scheme(
        euterpe_music::tokens::Scheme::MidiLike,
    ))
    .unwrap();
    let model = model("lstm", &midi_like);
    let piece = Generator::new(&model, &midi_like, Default::default())
        .generate(&GenerateOptions {
            length: Length::Bars(4),
            seed: 1,
            ..Default::default()
        })
        .unwrap()
        .remove(0);
    assert!(piece.score.note_count() >= 4, "a note in each bar");
    let end_beats = piece.score.end_tick() as f64 / 480.0;
    assert!(
        end_beats <= 16.0 + 8.0,
        "about 4 bars, got {end_beats} beats"
    );
}

#[test]
fn a_model_that_reads_pieces_in_c_continues_a_primer_in_its_own_key() {
    let tokenizer = Tokenizer::new(TokenizerConfig {
        transpose_to_c: true,
        ..TokenizerConfig::default()
    })
    .unwrap();
    let lstm = model("lstm", &tokenizer);
    // A D major scale and cadence: the model reads it moved down to C.
    let pitches = [62u8, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62];
    let primer = euterpe_generate::score_util::primer_from_pitches(&pitches);
    assert_eq!(primer.estimated_key(), Some((2, false)));
    assert_eq!(tokenizer.config().semitones_moved(&primer), -2);
    let piece = Generator::new(&lstm, &tokenizer, Default::default())
        .generate(&GenerateOptions {
            length: Length::Bars(2),
            primer: Some(primer.clone()),
            seed: 5,
            ..Default::default()
        })
        .unwrap()
        .remove(0);
    let mut primer_ids = tokenizer.encode(&primer).unwrap();
    primer_ids.pop(); // EOS
    assert_eq!(&piece.ids[..primer_ids.len()], &primer_ids[..], "read in C");
    let notes = &piece.score.tracks[0].notes;
    for (i, &pitch) in pitches.iter().enumerate() {
        let onset = i as u64 * 480;
        assert!(
            notes.iter().any(|n| n.pitch == pitch && n.onset == onset),
            "primer note {pitch} at {onset} written back in D: {notes:?}"
        );
    }
}

#[test]
fn beam_search_is_deterministic_and_more_likely_than_sampling() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let generator = Generator::new(&model, &tokenizer, Default::default());
    let beam = |seed| {
        generator
            .generate(&GenerateOptions {
                length: Length::Bars(2),
                beam: Some(4),
                num_outputs: 2,
                seed,
                ..Default::default()
            })
            .unwrap()
    };
    let a = beam(1);
    let b = beam(2);
    assert_eq!(a[0].ids, b[0].ids, "beam search ignores the seed");
    assert_eq!(a.len(), 2);
    let mean = |p: &euterpe_generate::Generated| p.log_prob / p.new_tokens as f64;
    assert!(mean(&a[0]) >= mean(&a[1]), "best beam first");
    let sampled = generator
        .generate(&GenerateOptions {
            length: Length::Bars(2),
            num_outputs: 4,
            ..Default::default()
        })
        .unwrap();
    for s in &sampled {
        assert!(mean(&a[0]) > mean(s), "{} vs {}", mean(&a[0]), mean(s));
    }
    assert_bars_with_notes(&tokens(&tokenizer, &a[0].ids), 2);
}

#[test]
fn bad_options_are_named() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("rnn", &tokenizer);
    let generator = Generator::new(&model, &tokenizer, Default::default());
    let err = |o: GenerateOptions| match generator.generate(&o) {
        Err(GenerateError::InvalidOptions(m)) => m,
        other => panic!("expected an option error, got {:?}", other.map(|v| v.len())),
    };
    assert!(err(GenerateOptions {
        length: Length::Bars(0),
        ..Default::default()
    })
    .contains("--bars"));
    assert!(err(GenerateOptions {
        length: Length::Seconds(f64::NAN),
        ..Default::default()
    })
    .contains("--seconds"));
    assert!(err(GenerateOptions {
        beam: Some(2),
        num_outputs: 3,
        ..Default::default()
    })
    .contains("--num-outputs"));
    let empty = euterpe_music::score::Score::new(480);
    match generator.generate(&GenerateOptions {
        primer: Some(empty),
        ..Default::default()
    }) {
        Err(GenerateError::Primer(m)) => assert!(m.contains("no notes")),
        other => panic!("{:?}", other.map(|v| v.len())),
    }
}

/// However the token budget falls (mid-note, right after a bar line), a piece never ends inside a
/// note or with an empty bar.
#[test]
fn a_spent_token_budget_never_leaves_an_empty_bar() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let generator = Generator::new(&model, &tokenizer, Default::default());
    for max_tokens in (1..40).step_by(3) {
        for beam in [None, Some(2)] {
            let pieces = generator
                .generate(&GenerateOptions {
                    length: Length::Bars(4),
                    max_tokens: Some(max_tokens),
                    num_outputs: 2,
                    beam,
                    seed: max_tokens as u64,
                    ..Default::default()
                })
                .unwrap();
            for p in &pieces {
                assert_bars_with_notes(&tokens(&tokenizer, &p.ids), 4);
            }
        }
    }
}

#[test]
fn an_emotion_puts_its_control_token_after_bos_before_any_primer() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let sad = euterpe_music::tokens::Emotion::from_name("melancholic").unwrap();
    let primer = euterpe_generate::score_util::primer_from_pitches(&[57, 60, 64]);
    for primer in [None, Some(primer)] {
        let options = GenerateOptions {
            length: Length::Bars(2),
            emotion: Some(euterpe_generate::EmotionRequest::Quadrant(sad)),
            primer: primer.clone(),
            seed: 4,
            ..Default::default()
        };
        let piece = Generator::new(&model, &tokenizer, Default::default())
            .with_layout(euterpe_generate::ControlLayout {
                conditions: vec![euterpe_data::Condition::Emotion],
                styles: Vec::new(),
            })
            .generate(&options)
            .unwrap()
            .remove(0);
        let t = tokens(&tokenizer, &piece.ids);
        assert_eq!(&t[..2], &[Token::Bos, Token::Emotion(3)]);
        assert_eq!(
            t.iter().filter(|t| matches!(t, Token::Emotion(_))).count(),
            1
        );
        // The control token decodes away: the piece is the music alone.
        assert!(piece.score.note_count() > 0);
        assert_eq!(
            tokenizer.decode(&piece.ids).unwrap().note_count(),
            piece.score.note_count()
        );
        if let Some(p) = &primer {
            let mut ids = tokenizer.encode(p).unwrap();
            ids.pop();
            assert_eq!(&piece.ids[2..ids.len() + 1], &ids[1..]);
        }
    }
}

#[test]
fn an_emotion_without_a_style_gets_a_style_the_model_chooses() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("gru", &tokenizer);
    let layout = euterpe_generate::ControlLayout {
        conditions: vec![
            euterpe_data::Condition::Emotion,
            euterpe_data::Condition::Style,
        ],
        styles: vec!["pop".into(), "folk".into(), "game".into()],
    };
    let generator = Generator::new(&model, &tokenizer, Default::default()).with_layout(layout);
    let happy = euterpe_music::tokens::Emotion::from_name("happy").unwrap();
    let primer = euterpe_generate::score_util::primer_from_pitches(&[60, 64, 67]);
    let ask = |seed: u64, style: Option<&str>, primer: Option<euterpe_music::score::Score>| {
        GenerateOptions {
            length: Length::Bars(1),
            emotion: Some(euterpe_generate::EmotionRequest::Quadrant(happy)),
            style: style.map(|s| euterpe_generate::StyleBlend::new(vec![(s.into(), 1.0)]).unwrap()),
            primer,
            seed,
            ..Default::default()
        }
    };
    let mut chosen = std::collections::BTreeSet::new();
    for seed in 0..24 {
        let piece = generator
            .generate(&ask(seed, None, None))
            .unwrap()
            .remove(0);
        let name = piece.chosen_style.clone().expect("a style is chosen");
        let slot = ["pop", "folk", "game"]
            .iter()
            .position(|s| *s == name)
            .unwrap() as u16;
        let t = tokens(&tokenizer, &piece.ids);
        assert_eq!(
            &t[..3],
            &[Token::Bos, Token::Emotion(1), Token::Style(slot)]
        );
        let again = generator
            .generate(&ask(seed, None, None))
            .unwrap()
            .remove(0);
        assert_eq!(again.chosen_style, piece.chosen_style, "the seed decides");
        chosen.insert(name);
    }
    assert!(
        chosen.len() > 1,
        "sampled, not always the likeliest: {chosen:?}"
    );
    // Several pieces in one call choose one style each, in their own tokens.
    let pieces = generator
        .generate(&GenerateOptions {
            num_outputs: 12,
            ..ask(7, None, None)
        })
        .unwrap();
    let alone = generator.generate(&ask(7, None, None)).unwrap().remove(0);
    assert_eq!(pieces[0].chosen_style, alone.chosen_style, "the first draw");
    let mut names = std::collections::BTreeSet::new();
    for piece in &pieces {
        let name = piece.chosen_style.clone().unwrap();
        let slot = ["pop", "folk", "game"].iter().position(|s| *s == name);
        assert_eq!(
            tokens(&tokenizer, &piece.ids)[2],
            Token::Style(slot.unwrap() as u16)
        );
        names.insert(name);
    }
    assert!(
        names.len() > 1,
        "one style per piece, not per call: {names:?}"
    );
    // With a primer the chosen style still comes right after the emotion.
    let piece = generator
        .generate(&ask(3, None, Some(primer)))
        .unwrap()
        .remove(0);
    assert!(matches!(tokens(&tokenizer, &piece.ids)[2], Token::Style(_)));
    // A style asked is used as it is.
    let piece = generator
        .generate(&ask(3, Some("folk"), None))
        .unwrap()
        .remove(0);
    assert_eq!(piece.chosen_style, None);
    assert_eq!(tokens(&tokenizer, &piece.ids)[2], Token::Style(1));
}

#[test]
fn guidance_changes_what_is_sampled_and_needs_something_to_follow() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let layout = euterpe_generate::ControlLayout {
        conditions: vec![euterpe_data::Condition::Emotion],
        styles: Vec::new(),
    };
    let sad = euterpe_music::tokens::Emotion::from_name("sad").unwrap();
    let options = |guidance: f32| GenerateOptions {
        length: Length::Bars(2),
        emotion: Some(euterpe_generate::EmotionRequest::Quadrant(sad)),
        guidance,
        seed: 11,
        num_outputs: 2,
        ..Default::default()
    };
    let generator =
        Generator::new(&model, &tokenizer, Default::default()).with_layout(layout.clone());
    let plain = generator.generate(&options(1.0)).unwrap();
    let guided = generator.generate(&options(3.0)).unwrap();
    for p in plain.iter().chain(&guided) {
        assert_eq!(
            &tokens(&tokenizer, &p.ids)[..2],
            &[Token::Bos, Token::Emotion(3)]
        );
        assert!(p.score.note_count() > 0);
    }
    assert_ne!(
        plain.iter().map(|p| &p.ids).collect::<Vec<_>>(),
        guided.iter().map(|p| &p.ids).collect::<Vec<_>>(),
        "guidance reweights the distribution, so the same seed samples otherwise"
    );
    // Guidance 1 is no guidance: the same pieces as without the field.
    let again = generator.generate(&options(1.0)).unwrap();
    assert_eq!(plain[0].ids, again[0].ids);
    for bad in [
        GenerateOptions {
            emotion: None,
            ..options(2.0)
        },
        GenerateOptions {
            beam: Some(2),
            num_outputs: 1,
            ..options(2.0)
        },
        options(0.5),
    ] {
        assert!(generator.generate(&bad).is_err());
    }
}

#[test]
fn a_passed_deadline_stops_sampling_and_beam_search() {
    let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let model = model("lstm", &tokenizer);
    let generator = Generator::new(&model, &tokenizer, Default::default());
    let past = std::time::Instant::now();
    for beam in [None, Some(2)] {
        let result = generator.generate(&GenerateOptions {
            length: Length::Bars(1000),
            beam,
            deadline: Some(past),
            ..Default::default()
        });
        assert!(matches!(result, Err(GenerateError::TimedOut)), "{beam:?}");
    }
    let later = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let ok = generator.generate(&GenerateOptions {
        length: Length::Bars(1),
        deadline: Some(later),
        ..Default::default()
    });
    assert!(ok.is_ok());
}

#[test]
fn a_key_target_moves_the_piece_the_shortest_way_into_the_key_or_its_relative() {
    use euterpe_generate::KeyTarget;
    use euterpe_music::score::{Note, Score, Track};
    // C major: a scale and a cadence.
    let mut score = Score::new(4);
    let mut track = Track::new("melody", 0);
    for (i, p) in [
        60, 62, 64, 65, 67, 69, 71, 72, 67, 65, 64, 62, 60, 64, 67, 60,
    ]
    .iter()
    .enumerate()
    {
        track.notes.push(Note {
            onset: i as u64 * 4,
            duration: 4,
            pitch: *p,
            velocity: 80,
        });
    }
    score.tracks.push(track);
    assert_eq!(score.estimated_key(), Some((0, false)));
    let d_minor = KeyTarget {
        tonic: 2,
        minor: Some(true),
    };
    let moved = d_minor.apply(&score);
    assert_eq!(
        moved.estimated_key(),
        Some((5, false)),
        "a major piece asked for D minor goes to F major"
    );
    let d = KeyTarget {
        tonic: 2,
        minor: None,
    };
    assert_eq!(d.apply(&score).estimated_key(), Some((2, false)));
    let a_flat = KeyTarget {
        tonic: 8,
        minor: Some(false),
    };
    let down = a_flat.apply(&score);
    assert_eq!(down.estimated_key(), Some((8, false)));
    assert_eq!(
        down.tracks[0].notes[0].pitch, 56,
        "down four semitones, not up eight"
    );
    let options = GenerateOptions {
        key: Some(d),
        primer: Some(score.clone()),
        ..Default::default()
    };
    assert!(options
        .validate()
        .unwrap_err()
        .to_string()
        .contains("primer"));
}
