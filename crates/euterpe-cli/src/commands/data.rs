//! `euterpe data …`: corpus statistics, tokenisation and detokenisation.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use euterpe_data::stats::{stats, DataStats, MidiCorpusStats, PolyphonicStats, TokenFileStats};
use euterpe_data::tokfile::{tokenize_to_file, TokenizeSummary};
use euterpe_data::{Corpus, CorpusOptions, DataConfig, Split, TokenizedCorpus};
use euterpe_music::midi::write_midi_file;
use euterpe_music::tokens::{Scheme, Tokenizer};

use super::print_report;
use super::train::SplitArg;

/// The `data` subcommands.
#[derive(Subcommand)]
pub enum DataCommand {
    /// Summarise a MIDI file, a folder of MIDI files or a polyphonic JSON dataset.
    Stats(StatsArgs),
    /// Encode MIDI files as tokens (binary token file, or JSON if OUT ends in .json).
    Tokenize(TokenizeArgs),
    /// Decode a token file back to a MIDI file.
    Detokenize(DetokenizeArgs),
    /// Check that tokenising and decoding gives back the quantised notes of every file.
    Roundtrip(RoundtripArgs),
    /// List the pieces of a folder with their split (train, valid, test), as `euterpe train`
    /// splits them: which pieces a model never saw.
    Split(SplitListArgs),
}

/// Arguments of `data split`.
#[derive(Args)]
pub struct SplitListArgs {
    /// A folder of MIDI files (searched recursively).
    path: PathBuf,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Only the pieces of this split, one path per line.
    #[arg(long)]
    split: Option<SplitArg>,
    /// Print machine-readable JSON on stdout (id, path, split and whether the label file gave it).
    #[arg(long)]
    json: bool,
}

/// Arguments of `data roundtrip`.
#[derive(Args)]
pub struct RoundtripArgs {
    /// A .mid file or a folder of them.
    path: PathBuf,
    #[command(flatten)]
    tokens: TokenArgs,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Tokenizer settings on the command line.
#[derive(Args)]
pub struct TokenArgs {
    /// Token vocabulary.
    #[arg(long, value_enum, default_value = "remi")]
    scheme: SchemeArg,
    /// Grid positions per quarter note (4 = sixteenths, 12 adds triplets).
    #[arg(long, default_value_t = 4)]
    positions_per_beat: u32,
}

impl TokenArgs {
    fn tokenizer(&self) -> Result<Tokenizer> {
        let config = DataConfig {
            scheme: match self.scheme {
                SchemeArg::Remi => Scheme::Remi,
                SchemeArg::MidiLike => Scheme::MidiLike,
            },
            positions_per_beat: self.positions_per_beat,
            ..DataConfig::default()
        };
        Ok(config.tokenizer()?)
    }
}

/// Options shared by commands that open a MIDI corpus.
#[derive(Args)]
pub struct CorpusArgs {
    /// Label CSV (default: labels.csv in the folder or its parent, if present).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Seed of the 70/15/15 split for pieces without a given split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl CorpusArgs {
    fn options(&self) -> CorpusOptions {
        CorpusOptions {
            labels: self.labels.clone(),
            seed: self.seed,
            progress: super::progress::files(),
            ..CorpusOptions::default()
        }
    }
}

/// Arguments of `data stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// A .mid file, a folder (searched recursively), a polyphonic .json file or a token file.
    path: PathBuf,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Token schemes on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// REMI: bar, position, pitch, velocity, duration.
    Remi,
    /// MIDI-like: note-on, note-off, time-shift, velocity.
    MidiLike,
}

/// Arguments of `data tokenize`.
#[derive(Args)]
pub struct TokenizeArgs {
    /// A .mid file or a folder of them.
    path: PathBuf,
    #[command(flatten)]
    tokens: TokenArgs,
    /// Output: a binary token file, or JSON if the name ends in .json.
    #[arg(long)]
    out: PathBuf,
    /// Reuse and update a cache of previously tokenised files.
    #[arg(long)]
    cache: Option<PathBuf>,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `data detokenize`.
#[derive(Args)]
pub struct DetokenizeArgs {
    /// A token file written by `data tokenize` (binary or JSON).
    file: PathBuf,
    /// The MIDI file to write.
    #[arg(long)]
    out: PathBuf,
    /// Which piece: its id or its 0-based index (default: the first).
    #[arg(long)]
    piece: Option<String>,
}

/// Runs a `data` subcommand.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Stats(a) => stats_cmd(&a),
        DataCommand::Tokenize(a) => tokenize(&a),
        DataCommand::Detokenize(a) => detokenize(&a),
        DataCommand::Roundtrip(a) => roundtrip(&a),
        DataCommand::Split(a) => split_list(&a),
    }
}

fn split_list(a: &SplitListArgs) -> Result<()> {
    let options = CorpusOptions {
        progress: None,
        ..a.corpus.options()
    };
    let mut corpus = Corpus::open(&a.path, &options)?;
    if let Some(split) = a.split {
        let split: Split = split.into();
        corpus.entries.retain(|e| e.split == split);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&corpus.entries)?);
    } else if a.split.is_some() {
        for e in &corpus.entries {
            println!("{}", e.path.display());
        }
    } else {
        for e in &corpus.entries {
            println!("{}\t{}", e.split, e.path.display());
        }
    }
    Ok(())
}

fn stats_cmd(a: &StatsArgs) -> Result<()> {
    let report = stats(&a.path, &a.corpus.options())?;
    print_report(&report, a.json, |r| match r {
        DataStats::Polyphonic { path, stats } => print_polyphonic(path, stats),
        DataStats::Midi { path, stats } => print_midi(path, stats),
        DataStats::Tokens { path, stats } => print_tokens(path, stats),
    })
}

fn print_tokens(path: &Path, s: &TokenFileStats) {
    println!("{} (token file)", path.display());
    println!("  pieces         {}", s.pieces);
    println!("  tokens         {}", s.tokens);
    println!("  vocabulary     {}", s.vocab_size);
    let splits: Vec<String> = s.splits.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("  splits         {}", splits.join(", "));
}

fn print_polyphonic(path: &Path, s: &PolyphonicStats) {
    println!("{} (polyphonic piano-roll dataset)", path.display());
    println!(
        "{:<6} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "split", "sequences", "steps", "notes", "pitches", "polyphony"
    );
    for (name, st) in &s.splits {
        let range = match (st.min_pitch, st.max_pitch) {
            (Some(lo), Some(hi)) => format!("{lo}-{hi}"),
            _ => "-".into(),
        };
        println!(
            "{:<6} {:>9} {:>9} {:>9} {:>7} {:>9.2}",
            name, st.sequences, st.steps, st.notes, range, st.mean_polyphony
        );
    }
}

fn print_midi(path: &Path, s: &MidiCorpusStats) {
    println!("{}", path.display());
    println!(
        "  files          {} ({} parsed, {} failed)",
        s.files,
        s.parsed,
        s.failures.len()
    );
    println!("  tracks         {}", s.tracks);
    println!("  notes          {}", s.notes);
    println!(
        "  duration       {:.1} s ({:.2} h)",
        s.duration_seconds,
        s.duration_seconds / 3600.0
    );
    if let (Some(lo), Some(hi)) = (s.min_pitch, s.max_pitch) {
        println!("  pitch range    {lo}-{hi}");
    }
    if let (Some(lo), Some(hi)) = (s.min_bpm, s.max_bpm) {
        println!("  tempo range    {lo:.1}-{hi:.1} BPM");
    }
    let join = |m: Vec<String>| m.join(", ");
    println!(
        "  time sigs      {}",
        join(
            s.time_signatures
                .iter()
                .map(|(k, v)| format!("{k} ({v})"))
                .collect()
        )
    );
    println!(
        "  resolutions    {}",
        join(
            s.resolutions
                .iter()
                .map(|(k, v)| format!("{k} ({v})"))
                .collect()
        )
    );
    println!(
        "  splits         {}",
        join(s.splits.iter().map(|(k, v)| format!("{k} {v}")).collect())
    );
    if let Some(l) = &s.labels_file {
        println!("  labels         {l}");
        println!(
            "  emotions       {}",
            join(s.emotions.iter().map(|(k, v)| format!("{k} {v}")).collect())
        );
    }
    if !s.failures.is_empty() {
        println!("  failed files:");
        for f in &s.failures {
            println!("    {}: {}", f.path.display(), f.reason);
        }
    }
}

fn tokenize(a: &TokenizeArgs) -> Result<()> {
    let tokenizer = a.tokens.tokenizer()?;
    let corpus = Corpus::open(&a.path, &a.corpus.options())?;
    let summary = tokenize_to_file(&corpus, &tokenizer, &a.out, a.cache.as_deref())?;
    print_report(&summary, a.json, print_tokenize)
}

fn print_tokenize(s: &TokenizeSummary) {
    let r = &s.report;
    println!(
        "{}: {} pieces, {} tokens (vocabulary {}), {} from cache, {} failed",
        s.out.display(),
        s.pieces,
        s.tokens,
        s.vocab_size,
        r.reused,
        r.failures.len()
    );
    for f in &r.failures {
        println!("  skipped {}: {}", f.path.display(), f.reason);
    }
}

fn detokenize(a: &DetokenizeArgs) -> Result<()> {
    let tokens = TokenizedCorpus::load_any(&a.file)?;
    let (id, score) = tokens.decode_piece(a.piece.as_deref(), &a.file)?;
    write_midi_file(&score, &a.out)?;
    println!(
        "{}: {} notes in {} tracks from piece {id:?}",
        a.out.display(),
        score.note_count(),
        score.tracks.len()
    );
    Ok(())
}

fn roundtrip(a: &RoundtripArgs) -> Result<()> {
    let tokenizer = a.tokens.tokenizer()?;
    let corpus = Corpus::open(&a.path, &a.corpus.options())?;
    let r = euterpe_data::roundtrip::check_round_trip(&corpus, &tokenizer);
    print_report(&r, a.json, |r| {
        println!(
            "{}: {} files, {} notes, {} tokens; {} mismatched notes in {} files; {} files failed",
            a.path.display(),
            r.files,
            r.notes,
            r.tokens,
            r.mismatched_notes,
            r.mismatched_files.len(),
            r.failures.len()
        );
        for id in &r.mismatched_files {
            println!("  mismatch: {id}");
        }
        for f in &r.failures {
            println!("  failed {}: {}", f.path.display(), f.reason);
        }
    })?;
    if !r.mismatched_files.is_empty() {
        bail!(
            "round trip lost notes in {} files",
            r.mismatched_files.len()
        );
    }
    Ok(())
}
