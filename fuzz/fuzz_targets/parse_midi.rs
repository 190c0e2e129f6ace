//! Fuzzes the MIDI reader, the writer and the tokenizers on arbitrary bytes.
//!
//! Any panic (including arithmetic overflow: fuzz builds enable debug assertions) is a bug.
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
    for tokenizer in tokenizers() {
        if let Ok(ids) = tokenizer.encode(&score) {
            let _ = tokenizer.decode(&ids);
        }
    }
});
