//! Fuzzes the MIDI reader, the writer and the tokenizers on arbitrary bytes.
//!
//! A file that parses must be written back as MIDI that parses, and encode with each tokenizer
//! (REMI, MIDI-like) to tokens that decode to the same quantised notes, or fail with an error. Any
//! panic (including arithmetic overflow: fuzz builds enable debug assertions) is a bug.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use euterpe_music::midi::{encode_midi, parse_midi};
use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig};

/// The default (REMI) tokenizer and the MIDI-like one, built once.
fn tokenizers() -> &'static [Tokenizer; 2] {
    static TOKENIZERS: OnceLock<[Tokenizer; 2]> = OnceLock::new();
    TOKENIZERS.get_or_init(|| {
        [
            Tokenizer::new(TokenizerConfig::default()).unwrap(),
            Tokenizer::new(TokenizerConfig::for_scheme(Scheme::MidiLike)).unwrap(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(score) = parse_midi(data) else {
        return;
    };
    // Whatever the writer produces, the reader must accept.
    if let Ok(bytes) = encode_midi(&score) {
        if let Err(e) = parse_midi(&bytes) {
            panic!("encode_midi wrote a file that parse_midi rejects: {e}");
        }
    }
    // What the encoder writes must decode, to the same quantised notes (velocities as bins).
    for tokenizer in tokenizers() {
        if let Ok(ids) = tokenizer.encode(&score) {
            let decoded = tokenizer
                .decode(&ids)
                .unwrap_or_else(|e| panic!("the encoder wrote tokens that do not decode: {e}"));
            assert_eq!(
                tokenizer.canonical_notes(&decoded).ok(),
                tokenizer.canonical_notes(&score).ok(),
                "{:?} round trip",
                tokenizer.config().scheme
            );
        }
    }
});
