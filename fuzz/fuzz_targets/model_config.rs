//! Fuzzes the readers of configuration text: a training config (`euterpe train --config`, with
//! `--set` overrides) and the `[model]`/`[data]` sections a model directory's `config.toml` is
//! loaded from. Arbitrary text must give a config or an error, never a panic; a config that
//! parses must write back to TOML that parses to the same config.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

use euterpe_store::StoredConfig;
use euterpe_train::TrainConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line, if it looks like one, is a `--set` override.
    let (overrides, body) = match text.split_once('\n') {
        Some((first, rest)) if first.contains('=') && !first.starts_with('[') => {
            (vec![first.to_string()], rest)
        }
        _ => (Vec::new(), text),
    };
    if let Ok(config) = TrainConfig::parse(body, &overrides) {
        let again = TrainConfig::parse(&config.to_toml(), &[])
            .unwrap_or_else(|e| panic!("a written config does not parse: {e}"));
        assert_eq!(again, config, "a config changed through TOML");
        let stored = StoredConfig::parse(&config.to_toml(), Path::new("config.toml"))
            .unwrap_or_else(|e| panic!("a training config is not a model directory's: {e}"));
        assert_eq!(stored.model, config.model);
    }
    let _ = StoredConfig::parse(body, Path::new("config.toml"));
});
