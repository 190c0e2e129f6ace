//! `euterpe data …`: corpus statistics, tokenisation and detokenisation.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use euterpe_data::stats::{midi_corpus_stats, polyphonic_stats, MidiCorpusStats, PolyphonicStats};
use euterpe_data::tokfile::TokenizeReport;
use euterpe_data::{Corpus, CorpusOptions, TokenizedCorpus};
use euterpe_music::midi::write_midi_file;
use euterpe_music::tokens::{Scheme, Tokenizer, TokenizerConfig};
use euterpe_music::QuantizeConfig;

use super::print_json;

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
        let config = TokenizerConfig {
            scheme: match self.scheme {
                SchemeArg::Remi => Scheme::Remi,
                SchemeArg::MidiLike => Scheme::MidiLike,
            },
            quantize: QuantizeConfig {
                positions_per_beat: self.positions_per_beat,
                ..QuantizeConfig::default()
            },
            ..TokenizerConfig::default()
        };
        Ok(Tokenizer::new(config)?)
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
            ..CorpusOptions::default()
        }
    }
}

/// Arguments of `data stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// A .mid file, a folder (searched recursively) or a polyphonic .json file.
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
        DataCommand::Stats(a) => stats(&a),
        DataCommand::Tokenize(a) => tokenize(&a),
        DataCommand::Detokenize(a) => detokenize(&a),
        DataCommand::Roundtrip(a) => roundtrip(&a),
    }
}

/// What kind of input a path is.
enum InputKind {
    Midi,
    Folder,
    PolyphonicJson,
}

fn input_kind(path: &Path) -> Result<InputKind> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if meta.is_dir() {
        return Ok(InputKind::Folder);
    }
    if euterpe_data::corpus::is_midi_path(path) {
        return Ok(InputKind::Midi);
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("{}", path.display()))?;
    let head = &head[..n];
    if head.starts_with(b"MThd") || head.starts_with(b"RIFF") {
        Ok(InputKind::Midi)
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    {
        Ok(InputKind::PolyphonicJson)
    } else {
        bail!(
            "{}: not a MIDI file, a folder or a polyphonic JSON file",
            path.display()
        )
    }
}

fn stats(a: &StatsArgs) -> Result<()> {
    match input_kind(&a.path)? {
        InputKind::PolyphonicJson => {
            let s = polyphonic_stats(&a.path)?;
            if a.json {
                print_json(
                    &serde_json::json!({"kind": "polyphonic", "path": a.path, "splits": s.splits}),
                )
            } else {
                print_polyphonic(&a.path, &s);
                Ok(())
            }
        }
        kind => {
            let s = midi_corpus_stats(&a.path, &a.corpus.options())?;
            if matches!(kind, InputKind::Midi) {
                if let Some(f) = s.failures.first() {
                    bail!("{}: {}", f.path.display(), f.reason);
                }
            }
            if a.json {
                let mut v = serde_json::to_value(&s)?;
                v["kind"] = "midi".into();
                v["path"] = serde_json::to_value(&a.path)?;
                print_json(&v)
            } else {
                print_midi(&a.path, &s);
                Ok(())
            }
        }
    }
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
    if corpus.is_empty() {
        bail!("{}: no MIDI files found", a.path.display());
    }
    let (tokens, report) = TokenizedCorpus::build(&corpus, &tokenizer, a.cache.as_deref())?;
    if tokens.pieces.is_empty() {
        let f = &report.failures[0];
        bail!(
            "{}: {} (no file could be tokenised)",
            f.path.display(),
            f.reason
        );
    }
    if is_json(&a.out) {
        tokens.save_json(&a.out)?;
    } else {
        tokens.save(&a.out)?;
    }
    report_tokenize(a, &tokens, &report)
}

fn report_tokenize(a: &TokenizeArgs, tokens: &TokenizedCorpus, r: &TokenizeReport) -> Result<()> {
    if a.json {
        return print_json(&serde_json::json!({
            "out": a.out,
            "pieces": tokens.pieces.len(),
            "tokens": tokens.token_count(),
            "vocab_size": tokens.vocab.len(),
            "reused": r.reused,
            "encoded": r.encoded,
            "failures": r.failures,
        }));
    }
    println!(
        "{}: {} pieces, {} tokens (vocabulary {}), {} from cache, {} failed",
        a.out.display(),
        tokens.pieces.len(),
        tokens.token_count(),
        tokens.vocab.len(),
        r.reused,
        r.failures.len()
    );
    for f in &r.failures {
        println!("  skipped {}: {}", f.path.display(), f.reason);
    }
    Ok(())
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn detokenize(a: &DetokenizeArgs) -> Result<()> {
    let TokenizedCorpus { vocab, pieces } = TokenizedCorpus::load_any(&a.file)?;
    let index = match &a.piece {
        None => 0,
        Some(sel) => pieces
            .iter()
            .position(|p| &p.id == sel)
            .or_else(|| sel.parse::<usize>().ok().filter(|&i| i < pieces.len()))
            .ok_or_else(|| {
                anyhow!(
                    "{}: no piece {sel:?} among {} pieces",
                    a.file.display(),
                    pieces.len()
                )
            })?,
    };
    let piece = pieces
        .get(index)
        .ok_or_else(|| anyhow!("{}: holds no pieces", a.file.display()))?;
    let id = &piece.id;
    let tokenizer = Tokenizer::from_vocabulary(vocab)?;
    let score = tokenizer
        .decode(&piece.tokens)
        .map_err(|e| anyhow!("{}: piece {id:?}: {e}", a.file.display()))?;
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
    if a.json {
        print_json(&r)?;
    } else {
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
    }
    if !r.mismatched_files.is_empty() {
        bail!(
            "round trip lost notes in {} files",
            r.mismatched_files.len()
        );
    }
    Ok(())
}
