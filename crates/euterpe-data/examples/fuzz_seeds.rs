//! Writes the seed corpora of the token-file and vocabulary fuzz targets (`fuzz/`) from real data:
//! small binary and JSON token files of EMOPIA, VGMIDI and Essen pieces under four tokenizer
//! configurations, and the vocabulary JSON of each configuration.
//!
//! `cargo run -p euterpe-data --example fuzz_seeds -- SHARED_DATA OUT_DIR` writes
//! `OUT_DIR/{token_file,token_json,vocab_json}/`.

use std::path::PathBuf;

use euterpe_data::{Corpus, CorpusOptions, TokenizedCorpus};
use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(PathBuf::from);
    let (Some(data), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: fuzz_seeds SHARED_DATA OUT_DIR".into());
    };
    for dir in ["token_file", "token_json", "vocab_json"] {
        std::fs::create_dir_all(out.join(dir))?;
    }
    let mut twelve = TokenizerConfig::default();
    twelve.quantize.positions_per_beat = 12;
    let small = TokenizerConfig {
        scheme: Scheme::MidiLike,
        velocity_bins: 8,
        max_bar_beats: 8,
        max_duration_beats: 2,
        tempo_bins: 4,
        max_tracks: 2,
        style_tokens: 0,
        ..TokenizerConfig::default()
    };
    let configs = [
        ("remi", TokenizerConfig::default()),
        ("midilike", TokenizerConfig::for_scheme(Scheme::MidiLike)),
        ("remi12", twelve),
        ("small", small),
    ];
    for (name, config) in &configs {
        let tokenizer = Tokenizer::new(config.clone())?;
        std::fs::write(
            out.join(format!("vocab_json/{name}.json")),
            tokenizer.vocab().to_json(),
        )?;
    }
    // (corpus folder, configuration, pieces): the smallest files of the corpus, a few apart.
    let picks = [
        ("emopia/midi", 0, 2),
        ("vgmidi/midi", 1, 2),
        ("essen/midi", 2, 3),
        ("essen/midi", 3, 1),
        ("emopia/midi", 1, 1),
    ];
    for (i, &(dir, config, pieces)) in picks.iter().enumerate() {
        let mut corpus = Corpus::open(&data.join(dir), &CorpusOptions::default())?;
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(u64::MAX, |m| m.len());
        corpus.entries.sort_by_key(|e| size(&e.path));
        corpus.entries = std::mem::take(&mut corpus.entries)
            .into_iter()
            .skip(7 * i)
            .step_by(5)
            .take(pieces)
            .collect();
        let (name, config) = &configs[config];
        let tokenizer = Tokenizer::new(config.clone())?;
        let (tokens, report) = TokenizedCorpus::build(&corpus, &tokenizer, None)?;
        if let Some(f) = report.failures.first() {
            return Err(format!("{}: {}", f.path.display(), f.reason).into());
        }
        let stem = format!("{}_{name}_{pieces}", dir.split('/').next().unwrap_or(dir));
        tokens.save(&out.join(format!("token_file/{stem}.etok")))?;
        tokens.save_json(&out.join(format!("token_json/{stem}.json")))?;
        println!(
            "{stem}: {} pieces, {} tokens",
            tokens.pieces.len(),
            tokens.token_count()
        );
    }
    Ok(())
}
