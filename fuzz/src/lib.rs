//! Checks shared by the fuzz targets: what must hold for any input that a reader accepts.

use std::path::Path;

use euterpe_data::TokenizedCorpus;
use euterpe_music::midi::encode_midi;
use euterpe_music::tokens::Tokenizer;

/// Checks a token corpus that a reader accepted:
///
/// * the binary writer's output reads back as the same corpus, and so does the JSON writer's (which
///   does not store the source files' sizes and times);
/// * every piece decodes or fails with an error, and a decoded piece is written as MIDI (or refused
///   with an error), as `euterpe data detokenize` does;
/// * a decoded piece that encodes again decodes to the same notes.
pub fn check_token_corpus(corpus: &TokenizedCorpus) {
    let name = Path::new("fuzz.etok");
    let again = TokenizedCorpus::from_bytes(&corpus.to_bytes(), name)
        .unwrap_or_else(|e| panic!("the binary writer's output does not read back: {e}"));
    assert_eq!(again.pieces, corpus.pieces, "binary round trip");
    assert_eq!(again.vocab.to_json(), corpus.vocab.to_json());

    let again = TokenizedCorpus::from_json_bytes(&corpus.to_json_bytes(), Path::new("fuzz.json"))
        .unwrap_or_else(|e| panic!("the JSON writer's output does not read back: {e}"));
    assert_eq!(again.vocab.to_json(), corpus.vocab.to_json());
    assert_eq!(again.pieces.len(), corpus.pieces.len());
    for (a, b) in again.pieces.iter().zip(&corpus.pieces) {
        assert_eq!(
            (&a.id, a.split, &a.label, &a.tokens),
            (&b.id, b.split, &b.label, &b.tokens),
            "JSON round trip"
        );
    }

    let tokenizer = Tokenizer::from_vocabulary(corpus.vocab.clone())
        .unwrap_or_else(|e| panic!("a vocabulary that reads back has no tokenizer: {e}"));
    for piece in &corpus.pieces {
        let Ok(score) = tokenizer.decode(&piece.tokens) else {
            continue;
        };
        let _ = encode_midi(&score);
        let Ok(ids) = tokenizer.encode(&score) else {
            continue;
        };
        let decoded = tokenizer
            .decode(&ids)
            .unwrap_or_else(|e| panic!("the encoder wrote tokens that do not decode: {e}"));
        assert_eq!(
            tokenizer.canonical_notes(&decoded).ok(),
            tokenizer.canonical_notes(&score).ok(),
            "decode, encode, decode changed the notes of piece {:?}",
            piece.id
        );
    }
}

/// Lets every panic unwind instead of aborting at once, printing each panic location once.
///
/// libFuzzer's panic hook aborts before a panic unwinds, so a panic that euterpe catches and
/// turns into an error (its `catch_unwind` guards around third-party code) would be reported as a
/// crash. With this hook such panics reach their guard; a panic that no guard catches still
/// unwinds out of the target into libfuzzer-sys, which aborts, so it is still a crash.
pub fn let_panics_unwind_to_guards() {
    use std::collections::HashSet;
    use std::sync::Mutex;
    let seen = Mutex::new(HashSet::new());
    std::panic::set_hook(Box::new(move |info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        if seen.lock().is_ok_and(|mut s| s.insert(at)) {
            eprintln!("panic (must be caught by a guard, else a crash): {info}");
        }
    }));
}
