//! `euterpe generate`: music from a trained or built-in token model.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_generate::score_util::{parse_pitches, primer_from_pitches};
use euterpe_generate::{
    EmotionRequest, GenerateError, GenerateOptions, GenerateReport, Generated, Length,
    LoadedGenerator, PieceReport, SamplingConfig, StyleBlend, DEFAULT_GUIDANCE,
};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_music::score::Score;
use euterpe_music::tokens::Emotion;
use euterpe_store::{builtin_models, ModelSource};

use super::output::{numbered, write_extras, ExtraOutputs};
use super::print_report;

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
    /// The emotion to play in, for models trained with emotion conditioning: happy, tense, sad,
    /// calm, Q1–Q4, or a synonym (excited, angry, melancholic, relaxed, …).
    #[arg(long, conflicts_with_all = ["valence", "arousal"])]
    emotion: Option<String>,
    /// Valence in [-1, 1] (unpleasant to pleasant), with --arousal: a point between the four
    /// emotions, for models trained with emotion conditioning.
    #[arg(long, requires = "arousal", allow_hyphen_values = true)]
    valence: Option<f64>,
    /// Arousal in [-1, 1] (calm to energetic), with --valence.
    #[arg(long, requires = "valence", allow_hyphen_values = true)]
    arousal: Option<f64>,
    /// The style, for models trained with style conditioning (see --list-models), or a blend
    /// of styles with weights: pop=0.7,folk=0.3.
    #[arg(long)]
    style: Option<String>,
    /// How strongly to follow the emotion and style: classifier-free guidance, sampling from
    /// uncond + G × (cond − uncond) in log-probabilities (1 = plain conditioning; default 3
    /// when an emotion or style is asked and the pieces are sampled, 1 with --beam).
    #[arg(long)]
    guidance: Option<f32>,
    /// Where the model runs: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Loading and generating on whichever backend the device needs; returns the pieces (plain
/// scores, free of the backend), the model's name and the seconds generation took.
struct GenerateRun<'a> {
    source: &'a ModelSource,
    options: &'a GenerateOptions,
}

impl InferenceJob for GenerateRun<'_> {
    type Output = Result<(Vec<Generated>, String, f64), GenerateError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let generator = LoadedGenerator::<B>::load(self.source, device)?;
        let started = Instant::now();
        let pieces = generator.generate(self.options)?;
        Ok((pieces, generator.name, started.elapsed().as_secs_f64()))
    }
}

/// Runs `generate`.
pub fn run(a: &GenerateArgs) -> Result<()> {
    if a.list_models {
        let models = builtin_models()?;
        return print_report(&models, a.json, |models| {
            for m in models {
                let mut follows = String::new();
                if !m.conditions.is_empty() {
                    follows = format!("; follows {}", m.conditions.join(", "));
                }
                if !m.styles.is_empty() {
                    follows += &format!(" (styles: {})", m.styles.join(", "));
                }
                println!("{:<8} {} [{}{follows}]", m.name, m.description, m.kind);
            }
        });
    }
    let source = ModelSource::resolve(a.model.as_deref())?;
    let options = options(a)?;
    let job = GenerateRun {
        source: &source,
        options: &options,
    };
    let (pieces, model, seconds) = run_inference(a.device, job)?.context("generation failed")?;
    let tokens: usize = pieces.iter().map(|p| p.new_tokens).sum();
    let mut report = GenerateReport {
        model,
        seed: options.seed,
        device: a.device.to_string(),
        tokens,
        seconds,
        tokens_per_second: tokens as f64 / seconds.max(1e-9),
        pieces: Vec::with_capacity(pieces.len()),
    };
    if !a.json {
        eprintln!(
            "{}: {} piece(s), {tokens} tokens in {seconds:.2} s ({:.0} tokens/s), seed {}",
            report.model,
            pieces.len(),
            report.tokens_per_second,
            report.seed
        );
    }
    for (i, piece) in pieces.iter().enumerate() {
        let index = (pieces.len() > 1).then_some(i + 1);
        let midi = numbered(&a.out, index);
        write_midi_file(&piece.score, &midi)?;
        let (wav, png) = write_extras(&piece.score, &a.extras, index)?;
        let piece_report = PieceReport {
            midi,
            wav,
            png,
            notes: piece.score.note_count(),
            seconds: piece.score.duration_seconds(),
            new_tokens: piece.new_tokens,
            log_prob: piece.log_prob,
        };
        if !a.json {
            print_piece(&piece_report);
        }
        report.pieces.push(piece_report);
    }
    if a.json {
        super::print_json(&report)?;
    }
    Ok(())
}

fn print_piece(p: &PieceReport) {
    println!(
        "{}: {} notes, {:.1} s",
        p.midi.display(),
        p.notes,
        p.seconds
    );
    if let Some(wav) = &p.wav {
        println!("{}: audio", wav.display());
    }
    if let Some(png) = &p.png {
        println!("{}: piano roll", png.display());
    }
}

/// The library's options from the flags; the library checks their ranges.
fn options(a: &GenerateArgs) -> Result<GenerateOptions> {
    let length = match (a.bars, a.seconds) {
        (_, Some(s)) => Length::Seconds(s),
        (Some(b), None) => Length::Bars(b),
        (None, None) => Length::Bars(16),
    };
    let options = GenerateOptions {
        length,
        sampling: SamplingConfig {
            temperature: a.temperature,
            top_k: a.top_k,
            top_p: a.top_p,
        },
        beam: a.beam,
        seed: a.seed.unwrap_or_else(fresh_seed),
        num_outputs: a.num_outputs,
        primer: primer(a)?,
        tempo: a.tempo,
        program: a.program,
        max_tokens: None,
        emotion: match (a.emotion.as_deref(), a.valence, a.arousal) {
            (Some(name), _, _) => Some(EmotionRequest::Quadrant(Emotion::from_name(name)?)),
            (None, Some(valence), Some(arousal)) => {
                Some(EmotionRequest::ValenceArousal { valence, arousal })
            }
            _ => None,
        },
        style: a
            .style
            .as_deref()
            .map(str::parse::<StyleBlend>)
            .transpose()?,
        guidance: a.guidance.unwrap_or(
            if a.beam.is_none() && (a.emotion.is_some() || a.valence.is_some() || a.style.is_some())
            {
                DEFAULT_GUIDANCE
            } else {
                1.0
            },
        ),
        deadline: None,
    };
    // Checked before the model loads, so that a bad flag fails at once.
    options.validate()?;
    Ok(options)
}

fn primer(a: &GenerateArgs) -> Result<Option<Score>> {
    if let Some(path) = &a.primer {
        let score = read_midi_file(path).with_context(|| "--primer is not a usable MIDI file")?;
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
