//! Fuzzes the JSON token-file reader (`TokenizedCorpus::from_json_bytes`, behind `load_any`).
//!
//! Whatever it accepts must survive both writers and decode without panicking; see
//! `euterpe_fuzz::check_token_corpus`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

use euterpe_data::TokenizedCorpus;

fuzz_target!(|data: &[u8]| {
    if let Ok(corpus) = TokenizedCorpus::from_json_bytes(data, Path::new("fuzz.json")) {
        euterpe_fuzz::check_token_corpus(&corpus);
    }
});
