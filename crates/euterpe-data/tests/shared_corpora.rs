//! Behaviour on the real shared corpora.

mod common;

use std::path::Path;

use euterpe_data::roundtrip::check_round_trip;
use euterpe_data::stats::{midi_corpus_stats, polyphonic_stats};
use euterpe_data::{Corpus, CorpusOptions, Split, TokenizedCorpus};
use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig};
use euterpe_music::QuantizeConfig;

/// Every `stride`-th file of a corpus: a sample spread over the whole collection.
fn sample(path: &Path, stride: usize) -> Corpus {
    let mut c = Corpus::open(path, &CorpusOptions::default()).unwrap();
    c.entries = c.entries.into_iter().step_by(stride).collect();
    c
}

#[test]
fn round_trip_is_exact_on_a_sample_of_every_corpus() {
    let data = common::shared_data();
    for (corpus, stride) in [("emopia", 10), ("vgmidi", 4), ("pop909", 20), ("essen", 60)] {
        let c = sample(&data.join(corpus), stride);
        assert!(c.len() >= 40, "{corpus}: only {} files sampled", c.len());
        for scheme in [Scheme::Remi, Scheme::MidiLike] {
            for ppb in [4, 12] {
                let tok = Tokenizer::new(TokenizerConfig {
                    scheme,
                    quantize: QuantizeConfig {
                        positions_per_beat: ppb,
                        min_duration: 1,
                    },
                    ..TokenizerConfig::default()
                })
                .unwrap();
                let r = check_round_trip(&c, &tok);
                assert!(
                    r.failures.is_empty(),
                    "{corpus} {scheme:?}: {:?}",
                    r.failures
                );
                assert_eq!(r.files, c.len());
                assert!(r.notes > 1000, "{corpus}: {} notes", r.notes);
                assert_eq!(
                    r.mismatched_notes, 0,
                    "{corpus} {scheme:?} {ppb}: {:?}",
                    r.mismatched_files
                );
            }
        }
    }
}

#[test]
fn emopia_keeps_its_own_split_and_labels() {
    let data = common::shared_data();
    let s = midi_corpus_stats(&data.join("emopia/midi"), &CorpusOptions::default()).unwrap();
    assert_eq!(s.files, 990);
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    assert_eq!(s.splits.get("train"), Some(&876));
    assert_eq!(s.splits.get("valid"), Some(&114));
    assert_eq!(s.emotions.values().sum::<usize>(), 990);
    assert!(s.notes > 200_000);
}

#[test]
fn unlabelled_corpora_get_a_seeded_70_15_15_split() {
    let data = common::shared_data();
    let c = Corpus::open(&data.join("pop909"), &CorpusOptions::default()).unwrap();
    assert_eq!(c.len(), 909);
    let frac = |s| c.entries.iter().filter(|e| e.split == s).count() as f64 / c.len() as f64;
    assert!(
        (frac(Split::Train) - 0.70).abs() < 0.05,
        "{}",
        frac(Split::Train)
    );
    assert!(
        (frac(Split::Valid) - 0.15).abs() < 0.04,
        "{}",
        frac(Split::Valid)
    );
    let again = Corpus::open(&data.join("pop909"), &CorpusOptions::default()).unwrap();
    assert_eq!(c.entries, again.entries);
    let other = Corpus::open(
        &data.join("pop909"),
        &CorpusOptions {
            seed: 9,
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(c.entries, other.entries);
}

#[test]
fn vgmidi_labels_give_emotions_and_keep_phrases_of_a_piece_together() {
    let data = common::shared_data();
    let c = Corpus::open(&data.join("vgmidi"), &CorpusOptions::default()).unwrap();
    assert_eq!(c.len(), 204);
    assert!(c
        .entries
        .iter()
        .all(|e| e.label.as_ref().and_then(|l| l.emotion()).is_some()));
    // Same game and piece name → same split (the `piece` column groups them).
    let key = |id: &str| {
        id.rsplit_once('_')
            .map(|(a, _)| a.to_string())
            .unwrap_or_default()
    };
    for a in &c.entries {
        for b in &c.entries {
            if key(&a.id) == key(&b.id) {
                assert_eq!(a.split, b.split, "{} vs {}", a.id, b.id);
            }
        }
    }
}

#[test]
fn polyphonic_stats_count_sequences_per_split() {
    let data = common::shared_data();
    let s = polyphonic_stats(&data.join("polyphonic/jsb_chorales.json")).unwrap();
    assert_eq!(s.splits["train"].sequences, 229);
    assert_eq!(s.splits["train"].steps, 13_807);
    assert_eq!(s.splits["valid"].sequences, 76);
    assert_eq!(s.splits["valid"].steps, 4_602);
    assert!(!s.splits.contains_key("test"));
}

#[test]
fn token_file_round_trips_and_the_cache_skips_unchanged_files() {
    let data = common::shared_data();
    let dir = tempfile::tempdir().unwrap();
    let src = data.join("emopia/midi");
    let names = [
        "Q1_0vLPYiPN7qY_0.mid",
        "Q1_0vLPYiPN7qY_1.mid",
        "Q1_0vLPYiPN7qY_2.mid",
    ];
    for n in names {
        std::fs::copy(src.join(n), dir.path().join(n)).unwrap();
    }
    std::fs::write(
        dir.path().join("broken.mid"),
        b"MThd\0\0\0\x06\0\x01\0\x02\x01\xe0MTrk\0\0\x10\0",
    )
    .unwrap();
    let corpus = Corpus::open(dir.path(), &CorpusOptions::default()).unwrap();
    let tok = Tokenizer::new(TokenizerConfig::default()).unwrap();
    let cache = dir.path().join("cache.etok");
    let (first, r1) = TokenizedCorpus::build(&corpus, &tok, Some(&cache)).unwrap();
    assert_eq!((r1.encoded, r1.reused, r1.failures.len()), (3, 0, 1));
    assert!(r1.failures[0].path.ends_with("broken.mid"));
    let (second, r2) = TokenizedCorpus::build(&corpus, &tok, Some(&cache)).unwrap();
    assert_eq!((r2.encoded, r2.reused), (0, 3));
    assert_eq!(first.pieces, second.pieces);
    // A changed file is encoded again; the others still come from the cache.
    let changed = dir.path().join(names[1]);
    std::fs::copy(src.join("Q1_0vLPYiPN7qY_0.mid"), &changed).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&changed)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (third, r3) = TokenizedCorpus::build(&corpus, &tok, Some(&cache)).unwrap();
    assert_eq!((r3.encoded, r3.reused), (1, 2));
    assert_eq!(third.pieces[1].tokens, first.pieces[0].tokens);
    // A different vocabulary never reuses the cache.
    let ml = Tokenizer::new(TokenizerConfig::for_scheme(Scheme::MidiLike)).unwrap();
    let (_, r4) = TokenizedCorpus::build(&corpus, &ml, Some(&cache)).unwrap();
    assert_eq!(r4.reused, 0);
    // The saved file loads back; a truncated copy is an error with a byte offset.
    let loaded = TokenizedCorpus::load(&cache).unwrap();
    assert_eq!(loaded.pieces.len(), 3);
    let bytes = std::fs::read(&cache).unwrap();
    let cut = dir.path().join("cut.etok");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let e = TokenizedCorpus::load(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.etok") && e.contains("byte"), "{e}");
}
