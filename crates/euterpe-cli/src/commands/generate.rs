//! `euterpe generate`: music from a trained or built-in token model.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use euterpe_generate::builtin;
use euterpe_generate::score_util::{parse_pitches, primer_from_pitches};
use euterpe_generate::{GenerateOptions, Generator, Length, SamplingConfig};
use euterpe_models::backend::Cpu;
use euterpe_models::TokenLm;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_music::score::Score;
use euterpe_music::tokens::Tokenizer;
use euterpe_train::model_dir::{load_model, LoadedModel};

use super::output::{numbered, write_extras, ExtraOutputs};

/// Arguments of `generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// A model directory written by `euterpe train`, or the name of a built-in model
    /// (see --list-models). Default: the built-in `folk` model.
    #[arg(long)]
    model: Option<String>,
    /// List the built-in models and exit.
    #[arg(long)]
    list_models: bool,
    /// The MIDI file to write (with --num-outputs N: NAME-1.mid … NAME-N.mid).
    #[arg(long, default_value = "euterpe.mid")]
    out: PathBuf,
    #[command(flatten)]
    extras: ExtraOutputs,
    /// Length of the new music in bars (after the primer).
    #[arg(long, conflicts_with = "seconds")]
    bars: Option<usize>,
    /// Length of the new music in seconds (rounded up to whole 4/4 bars at the tempo).
    #[arg(long)]
    seconds: Option<f64>,
    /// Sampling temperature: below 1 is safer, above 1 is wilder.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Sample only among the K most likely tokens.
    #[arg(long)]
    top_k: Option<usize>,
    /// Sample only among the most likely tokens that make up probability P (nucleus sampling).
    #[arg(long)]
    top_p: Option<f64>,
    /// Beam search with N beams instead of sampling (deterministic).
    #[arg(long)]
    beam: Option<usize>,
    /// Seed of the sampler (default: a fresh one, printed so that the run can be repeated).
    #[arg(long)]
    seed: Option<u64>,
    /// A MIDI file to continue: the output starts with it.
    #[arg(long, conflicts_with = "primer_notes")]
    primer: Option<PathBuf>,
    /// A melody to continue, as MIDI pitches in quarter notes, e.g. "60 62 64 65".
    #[arg(long)]
    primer_notes: Option<String>,
    /// Tempo in BPM (default: the model's choice, or 120).
    #[arg(long)]
    tempo: Option<f64>,
    /// How many pieces to write.
    #[arg(long, default_value_t = 1)]
    num_outputs: usize,
    /// General MIDI program (instrument) for the melodic tracks, 0–127 (e.g. 0 piano, 73 flute).
    #[arg(long)]
    program: Option<u8>,
}

/// Runs `generate`.
pub fn run(a: &GenerateArgs) -> Result<()> {
    if a.list_models {
        for m in builtin::BUILTIN {
            println!("{:<8} {}", m.name, m.description);
        }
        return Ok(());
    }
    let device = Default::default();
    let (model, tokenizer, name) = load(a.model.as_deref(), &device)?;
    let model = model.with_inference_weights();
    let options = options(a)?;
    let started = Instant::now();
    let pieces = Generator::new(&model, &tokenizer, device)
        .generate(&options)
        .context("generation failed")?;
    let seconds = started.elapsed().as_secs_f64();
    let tokens: usize = pieces.iter().map(|p| p.new_tokens).sum();
    eprintln!(
        "{name}: {} piece(s), {tokens} tokens in {seconds:.2} s ({:.0} tokens/s), seed {}",
        pieces.len(),
        tokens as f64 / seconds.max(1e-9),
        options.seed
    );
    for (i, piece) in pieces.iter().enumerate() {
        let index = (pieces.len() > 1).then_some(i + 1);
        let path = numbered(&a.out, index);
        write_midi_file(&piece.score, &path)?;
        println!(
            "{}: {} notes, {:.1} s",
            path.display(),
            piece.score.note_count(),
            piece.score.duration_seconds()
        );
        write_extras(&piece.score, &a.extras, index)?;
    }
    Ok(())
}

/// The model of `--model`: a directory if one exists at that path, else a built-in name.
fn load(
    model: Option<&str>,
    device: &burn::tensor::Device<Cpu>,
) -> Result<(TokenLm<Cpu>, Tokenizer, String)> {
    let name = model.unwrap_or(builtin::default_model().name);
    let path = Path::new(name);
    if path.is_dir() {
        let (_, loaded) = load_model::<Cpu>(path, device)?;
        return match loaded {
            LoadedModel::Tokens { model, tokenizer } => Ok((model, tokenizer, name.to_string())),
            LoadedModel::Frames { .. } => bail!(
                "{}: a piano-roll frame model; generate needs a token model",
                path.display()
            ),
        };
    }
    let Some(builtin) = builtin::find(name) else {
        let names: Vec<_> = builtin::BUILTIN.iter().map(|m| m.name).collect();
        bail!(
            "--model {name}: no such model directory, and not a built-in model ({})",
            names.join(", ")
        );
    };
    let (model, tokenizer) = builtin.load::<Cpu>(device)?;
    Ok((model, tokenizer, format!("built-in model {name}")))
}

fn options(a: &GenerateArgs) -> Result<GenerateOptions> {
    let length = match (a.bars, a.seconds) {
        (_, Some(s)) => Length::Seconds(s),
        (Some(b), None) => Length::Bars(b),
        (None, None) => Length::Bars(16),
    };
    let primer = primer(a)?;
    let seed = a.seed.unwrap_or_else(fresh_seed);
    Ok(GenerateOptions {
        length,
        sampling: SamplingConfig {
            temperature: a.temperature,
            top_k: a.top_k,
            top_p: a.top_p,
        },
        beam: a.beam,
        seed,
        num_outputs: a.num_outputs,
        primer,
        tempo: a.tempo,
        program: a.program,
        max_tokens: None,
    })
}

fn primer(a: &GenerateArgs) -> Result<Option<Score>> {
    if let Some(path) = &a.primer {
        let score = read_midi_file(path).with_context(|| "--primer is not a usable MIDI file")?;
        if score.note_count() == 0 {
            bail!("--primer {}: the file has no notes", path.display());
        }
        return Ok(Some(score));
    }
    match &a.primer_notes {
        Some(text) => {
            let pitches =
                parse_pitches(text).map_err(|e| anyhow::anyhow!("--primer-notes: {e}"))?;
            Ok(Some(primer_from_pitches(&pitches)))
        }
        None => Ok(None),
    }
}

/// A seed from the clock, for runs that did not ask for one.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos % 1_000_000
}
