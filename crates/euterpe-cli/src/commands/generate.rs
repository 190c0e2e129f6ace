//! `euterpe generate`: music from a trained or built-in token model.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_classify::Classifier;
use euterpe_generate::score_util::{parse_pitches, primer_from_pitches};
use euterpe_generate::{
    ArrangeOptions, ArrangementWriter, EmotionRequest, GenerateError, GenerateOptions,
    GenerateReport, Generated, Length, LoadedGenerator, MelodyOptions, MelodyWriter, PieceReport,
    SamplingConfig, DEFAULT_GUIDANCE,
};
use euterpe_models::backend::{run_inference, Cpu, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_music::score::Score;
use euterpe_music::tokens::Emotion;
use euterpe_music::Chord;
use euterpe_prompt::{describe_controls, image_prompt, parse_key, parse_prompt, PromptControls};
use euterpe_store::{builtin_models, ModelSource};

use super::controls::ControlArgs;
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
    #[command(flatten)]
    controls: ControlArgs,
    /// Play in the emotion heard in a recording (WAV, FLAC, MP3, Ogg): it is classified with
    /// --emotion-model and the piece is generated in the quadrant found.
    #[arg(long, conflicts_with_all = ["emotion", "valence", "arousal"])]
    emotion_from: Option<PathBuf>,
    /// The audio classifier --emotion-from listens with (a built-in name or a model directory).
    #[arg(long, default_value = "audio-emotion")]
    emotion_model: String,
    /// How strongly to follow the emotion and style: classifier-free guidance, sampling from
    /// uncond + G × (cond − uncond) in log-probabilities (1 = plain conditioning; default 4
    /// when an emotion or style is asked and the pieces are sampled, 1 with --beam).
    #[arg(long)]
    guidance: Option<f32>,
    /// The key to write in ("D minor", "F#", "B flat major"): each piece is moved to it (or to
    /// its relative major or minor when the model wrote the other mode).
    #[arg(long, conflicts_with_all = ["primer", "primer_notes"])]
    key: Option<String>,
    /// Say what to write in words: "a slow, sad piano piece in D minor, 3/4, 16 bars". The
    /// tempo, emotion, style, instrument, key, meter and length it names are used where no flag
    /// sets them (what was understood is printed).
    #[arg(long)]
    prompt: Option<String>,
    /// A picture (PNG or JPEG) to write music for: its brightness, saturation, hues, contrast
    /// and edges set valence, arousal, tempo, note density and register where neither a flag
    /// nor --prompt does.
    #[arg(long, value_name = "PNG|JPEG")]
    image: Option<PathBuf>,
    /// Print the controls the piece is generated with and what set each (flags, --prompt's
    /// words, --image's features).
    #[arg(long)]
    explain: bool,
    /// The meter to write in, e.g. 3/4 or 6/8 (REMI models): the first bar declares it and
    /// every bar keeps it.
    #[arg(long, value_parser = euterpe_prompt::parse_meter, conflicts_with_all = ["primer", "primer_notes"])]
    meter: Option<(u8, u8)>,
    /// Notes this many times as often as the model would play them, 0.25–4 (sampling only).
    #[arg(long)]
    density: Option<f32>,
    /// A MIDI pitch the notes gather around, 21–108 (60 = middle C; sampling only).
    #[arg(long)]
    register: Option<f32>,
    /// With an emotion: let the model choose the mode (by default, of a few sampled pieces the
    /// first in the emotion's mode is kept: major for happy and calm, minor for tense and sad).
    #[arg(long)]
    free_mode: bool,
    /// A chord progression for a melody GAN (`--model melody-gan`), one chord per bar, repeated
    /// to the length: "C G Am F", "Dm7 | G7 | Cmaj7". Default for such a model: "C G Am F".
    #[arg(long)]
    chords: Option<String>,
    /// With a melody GAN: a new melody over the chords of this song (a MIDI file; its
    /// annotations beside it, as POP909's chord_midi.txt, else chords estimated from its
    /// accompaniment), from the bar where its melody starts.
    #[arg(long, conflicts_with = "chords", value_name = "MIDI")]
    chords_from: Option<PathBuf>,
    /// With a melody GAN: write the melody alone, without the chords under it.
    #[arg(long)]
    melody_only: bool,
    /// With a multi-track GAN (`--model musegan`): sound the cells whose probability is at
    /// least this (MuseGAN's hard thresholding) instead of drawing each from its probability.
    #[arg(long)]
    threshold: Option<f32>,
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
    let prompt = prompt(a)?;
    let heard = a
        .emotion_from
        .as_deref()
        .map(|path| heard_emotion(path, &a.emotion_model))
        .transpose()?;
    let model = a.model.clone().or_else(|| {
        let control = heard.is_some() || prompt.as_ref().is_some_and(PromptControls::wants_control);
        control.then(|| PROMPT_MODEL.to_string())
    });
    let source = ModelSource::resolve(model.as_deref())?;
    if a.chords.is_some() || a.chords_from.is_some() || source.kind()? == "melody_gan" {
        return melody_run(a, &source);
    }
    if source.kind()? == "musegan" {
        return arrangement_run(a, &source);
    }
    let options = options(a, prompt.as_ref(), heard)?;
    if a.explain {
        let lines = describe_controls(&options, prompt.as_ref(), &source.name());
        let text: String = lines
            .iter()
            .map(|(k, v)| format!("  {k:<11} {v}\n"))
            .collect();
        if a.json {
            eprint!("controls:\n{text}");
        } else {
            print!("controls:\n{text}");
        }
    }
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
            chosen_style: piece.chosen_style.clone(),
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
    if let Some(style) = &p.chosen_style {
        println!("  style chosen by the model: {style}");
    }
    if let Some(wav) = &p.wav {
        println!("{}: audio", wav.display());
    }
    if let Some(png) = &p.png {
        println!("{}: piano roll", png.display());
    }
}

/// The model a prompt that asks for an emotion or a style gets when no --model is given.
const PROMPT_MODEL: &str = "piano";

/// `--prompt` and `--image`, the text winning where both say something; prints what was
/// understood.
fn prompt(a: &GenerateArgs) -> Result<Option<PromptControls>> {
    let text = a.prompt.as_deref().map(|t| text_prompt(a, t)).transpose()?;
    let picture = match &a.image {
        Some(path) => {
            let (features, controls) = image_prompt(path)?;
            eprintln!(
                "image {}: {} × {} px; brightness {:.2}, saturation {:.2}, colourfulness {:.2}, \
                 contrast {:.2}, edges {:.2}",
                path.display(),
                features.width,
                features.height,
                features.brightness,
                features.saturation,
                features.colourfulness,
                features.contrast,
                features.edge_density
            );
            for u in &controls.understood {
                eprintln!("image: {} → {}", u.phrase, u.meaning);
            }
            Some(controls)
        }
        None => None,
    };
    Ok(match (text, picture) {
        (Some(t), Some(p)) => Some(t.or(p)),
        (t, p) => t.or(p),
    })
}

/// `--prompt`'s text, read against the styles the models know; prints what it understood.
fn text_prompt(a: &GenerateArgs, text: &str) -> Result<PromptControls> {
    let styles: Vec<String> = match a.model.as_deref().map(std::path::Path::new) {
        Some(dir) if dir.is_dir() => euterpe_store::dir_model_info("model", dir)?.styles,
        _ => builtin_models()?
            .into_iter()
            .flat_map(|m| m.styles)
            .collect(),
    };
    let controls = parse_prompt(text, &styles)?;
    for u in &controls.understood {
        eprintln!("prompt: {:?} → {}", u.phrase, u.meaning);
    }
    if !controls.unused.is_empty() {
        eprintln!("prompt: not understood: {}", controls.unused.join(", "));
    }
    if !controls.unknown.is_empty() {
        eprintln!(
            "prompt: words the text encoder does not know (it reads English): {}",
            controls.unknown.join(", ")
        );
    }
    Ok(controls)
}

/// The library's options from the flags (and the prompt where no flag says); the library checks
/// their ranges.
/// The emotion an audio classifier hears in a recording; says what it heard on stderr.
fn heard_emotion(path: &std::path::Path, model: &str) -> Result<EmotionRequest> {
    let source = ModelSource::resolve(Some(model))?;
    let classifier = Classifier::<Cpu>::load(&source, Default::default())?;
    let heard = classifier
        .classify_recording(path)
        .with_context(|| format!("--emotion-from {}", path.display()))?;
    let emotion = Emotion::from_name(&heard.class)?;
    let p = heard
        .probabilities
        .get(&heard.class)
        .copied()
        .unwrap_or(0.0);
    eprintln!(
        "heard in {}: {} ({}, p = {p:.2})",
        path.display(),
        heard.class,
        Emotion::NAMES[usize::from(emotion.quadrant() - 1)].1[0]
    );
    Ok(EmotionRequest::Quadrant(emotion))
}

fn options(
    a: &GenerateArgs,
    prompt: Option<&PromptControls>,
    heard: Option<EmotionRequest>,
) -> Result<GenerateOptions> {
    let length = match (a.bars, a.seconds, prompt.and_then(|p| p.length)) {
        (_, Some(s), _) => Length::Seconds(s),
        (Some(b), None, _) => Length::Bars(b),
        (None, None, Some(from_prompt)) => from_prompt,
        (None, None, None) => Length::Bars(16),
    };
    let from_prompt_emotion = prompt.and_then(|p| p.emotion);
    let from_prompt_style = prompt.and_then(|p| p.style.clone());
    let flag_emotion = heard.or(a.controls.emotion()?);
    let flag_style = a.controls.style()?;
    let options = GenerateOptions {
        length,
        sampling: SamplingConfig {
            temperature: a.temperature,
            top_k: a.top_k,
            top_p: a.top_p,
        },
        beam: a.beam,
        seed: a.seed.unwrap_or_else(euterpe_base::fresh_seed),
        num_outputs: a.num_outputs,
        primer: primer(a)?,
        tempo: a.tempo.or(prompt.and_then(|p| p.tempo)),
        program: a.program.or(prompt.and_then(|p| p.program)),
        max_tokens: None,
        emotion: flag_emotion.or(from_prompt_emotion),
        style: flag_style.clone().or_else(|| from_prompt_style.clone()),
        guidance: a.guidance.unwrap_or(
            if a.beam.is_none()
                && (flag_emotion.is_some()
                    || flag_style.is_some()
                    || from_prompt_emotion.is_some()
                    || from_prompt_style.is_some())
            {
                DEFAULT_GUIDANCE
            } else {
                1.0
            },
        ),
        deadline: None,
        key: match &a.key {
            Some(text) => Some(
                parse_key(text)
                    .ok_or_else(|| {
                        anyhow::anyhow!("--key {text:?} is not a key (e.g. \"D minor\", \"F#\")")
                    })?
                    .target(),
            ),
            None if a.primer.is_none() && a.primer_notes.is_none() => {
                prompt.and_then(|p| p.key).map(|k| k.target())
            }
            None => None,
        },
        meter: a
            .meter
            .or(if a.primer.is_none() && a.primer_notes.is_none() {
                prompt.and_then(|p| p.meter)
            } else {
                None
            }),
        // A picture's density and register shape sampling; beams keep the model's.
        density: a
            .density
            .or(prompt.and_then(|p| p.density).filter(|_| a.beam.is_none()))
            .unwrap_or(1.0),
        register: a
            .register
            .or(prompt.and_then(|p| p.register).filter(|_| a.beam.is_none())),
        emotion_mode: !a.free_mode,
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

/// Loading a melody GAN and writing melodies on whichever backend the device needs.
struct MelodyRun<'a> {
    source: &'a ModelSource,
    options: &'a MelodyOptions,
    count: usize,
}

impl InferenceJob for MelodyRun<'_> {
    type Output = Result<(Vec<Score>, String), GenerateError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let writer = MelodyWriter::<B>::load(self.source, device)?;
        let mut scores = Vec::with_capacity(self.count);
        for i in 0..self.count {
            let options = MelodyOptions {
                seed: self.options.seed.wrapping_add(i as u64),
                ..self.options.clone()
            };
            scores.push(writer.write(&options)?.0);
        }
        Ok((scores, writer.name))
    }
}

/// What `generate` with a melody GAN reports.
#[derive(serde::Serialize)]
struct MelodyReport {
    model: String,
    seed: u64,
    chords: Vec<String>,
    bars: usize,
    seconds: f64,
    pieces: Vec<MelodyPiece>,
}

#[derive(serde::Serialize)]
struct MelodyPiece {
    midi: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    wav: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    png: Option<PathBuf>,
    notes: usize,
    seconds: f64,
}

/// The progression of `--chords-from`.
fn song_chords(song: &Path) -> Result<Vec<Option<Chord>>> {
    let score = read_midi_file(song).with_context(|| "--chords-from is not a usable MIDI file")?;
    let chords = euterpe_data::song_progression(&score, song, euterpe_music::MELODY_TRACK)
        .with_context(|| format!("{}: cannot read its chords", song.display()))?;
    if chords.iter().all(Option::is_none) {
        anyhow::bail!("{}: no chords found in it", song.display());
    }
    Ok(chords)
}

/// `generate` with a melody GAN: a melody over `--chords`, bar after bar.
fn melody_run(a: &GenerateArgs, source: &ModelSource) -> Result<()> {
    let chords = match &a.chords_from {
        Some(song) => song_chords(song)?,
        None => {
            let text = a.chords.as_deref().unwrap_or("C G Am F");
            Chord::parse_progression(text).map_err(|e| anyhow::anyhow!("--chords: {e}"))?
        }
    };
    let bars = match (a.bars, a.seconds) {
        (Some(b), _) => b,
        (None, Some(s)) => {
            let tempo = a.tempo.unwrap_or(100.0);
            (s * tempo / 240.0).ceil().max(1.0) as usize
        }
        (None, None) => chords.len().max(8),
    };
    let options = MelodyOptions {
        chords: chords.clone(),
        bars,
        seed: a.seed.unwrap_or_else(euterpe_base::fresh_seed),
        temperature: a.temperature,
        tempo: a.tempo.unwrap_or(100.0),
        program: a.program.unwrap_or(0),
        accompany: !a.melody_only,
    };
    options.validate()?;
    let started = Instant::now();
    let job = MelodyRun {
        source,
        options: &options,
        count: a.num_outputs.max(1),
    };
    let (scores, model) = run_inference(a.device, job)?.context("generation failed")?;
    let mut report = MelodyReport {
        model,
        seed: options.seed,
        // The chords of the bars written (a long song's progression is cut to the length).
        chords: chords
            .iter()
            .take(bars)
            .map(|c| c.map_or("N".to_string(), |c| c.to_string()))
            .collect(),
        bars,
        seconds: started.elapsed().as_secs_f64(),
        pieces: Vec::new(),
    };
    if !a.json {
        eprintln!(
            "{}: {} melod{} of {bars} bars over {} in {:.2} s, seed {}",
            report.model,
            scores.len(),
            if scores.len() == 1 { "y" } else { "ies" },
            report.chords.join(" "),
            report.seconds,
            report.seed
        );
    }
    for (i, score) in scores.iter().enumerate() {
        let index = (scores.len() > 1).then_some(i + 1);
        let midi = numbered(&a.out, index);
        write_midi_file(score, &midi)?;
        let (wav, png) = write_extras(score, &a.extras, index)?;
        let piece = MelodyPiece {
            midi,
            wav,
            png,
            notes: score.tracks.first().map_or(0, |t| t.notes.len()),
            seconds: score.duration_seconds(),
        };
        if !a.json {
            println!(
                "{}: {} melody notes, {:.1} s",
                piece.midi.display(),
                piece.notes,
                piece.seconds
            );
        }
        report.pieces.push(piece);
    }
    if a.json {
        super::print_json(&report)?;
    }
    Ok(())
}

/// Loading a multi-track GAN and writing pieces on whichever backend the device needs.
struct ArrangementRun<'a> {
    source: &'a ModelSource,
    options: &'a ArrangeOptions,
    count: usize,
}

impl InferenceJob for ArrangementRun<'_> {
    type Output = Result<(Vec<Score>, String), GenerateError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let writer = ArrangementWriter::<B>::load(self.source, device)?;
        let mut scores = Vec::with_capacity(self.count);
        for i in 0..self.count {
            let options = ArrangeOptions {
                seed: self.options.seed.wrapping_add(i as u64),
                ..self.options.clone()
            };
            scores.push(writer.write(&options)?);
        }
        Ok((scores, writer.name))
    }
}

/// What `generate` with a multi-track GAN reports.
#[derive(serde::Serialize)]
struct ArrangementReport {
    model: String,
    seed: u64,
    bars: usize,
    seconds: f64,
    pieces: Vec<ArrangedPiece>,
}

#[derive(serde::Serialize)]
struct ArrangedPiece {
    midi: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    wav: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    png: Option<PathBuf>,
    /// Notes per track, by name.
    notes: Vec<(String, usize)>,
    seconds: f64,
}

/// `generate` with a multi-track GAN: every track of the model, phrase after phrase.
fn arrangement_run(a: &GenerateArgs, source: &ModelSource) -> Result<()> {
    let tempo = a.tempo.unwrap_or(100.0);
    let bars = match (a.bars, a.seconds) {
        (Some(b), _) => b,
        (None, Some(s)) => (s * tempo / 240.0).ceil().max(1.0) as usize,
        (None, None) => 8,
    };
    let options = ArrangeOptions {
        bars,
        seed: a.seed.unwrap_or_else(euterpe_base::fresh_seed),
        tempo,
        programs: a.program.map(|p| vec![p; 16]).unwrap_or_default(),
        threshold: a.threshold,
    };
    options.validate()?;
    let started = Instant::now();
    let job = ArrangementRun {
        source,
        options: &options,
        count: a.num_outputs.max(1),
    };
    let (scores, model) = run_inference(a.device, job)?.context("generation failed")?;
    let mut report = ArrangementReport {
        model,
        seed: options.seed,
        bars,
        seconds: started.elapsed().as_secs_f64(),
        pieces: Vec::new(),
    };
    if !a.json {
        eprintln!(
            "{}: {} piece{} of {bars} bars in {:.2} s, seed {}",
            report.model,
            scores.len(),
            if scores.len() == 1 { "" } else { "s" },
            report.seconds,
            report.seed
        );
    }
    for (i, score) in scores.iter().enumerate() {
        let index = (scores.len() > 1).then_some(i + 1);
        let midi = numbered(&a.out, index);
        write_midi_file(score, &midi)?;
        let (wav, png) = write_extras(score, &a.extras, index)?;
        let piece = ArrangedPiece {
            midi,
            wav,
            png,
            notes: score
                .tracks
                .iter()
                .map(|t| (t.name.clone(), t.notes.len()))
                .collect(),
            seconds: score.duration_seconds(),
        };
        if !a.json {
            let counts: Vec<String> = piece
                .notes
                .iter()
                .map(|(name, n)| format!("{name} {n}"))
                .collect();
            println!(
                "{}: {} notes, {:.1} s",
                piece.midi.display(),
                counts.join(", "),
                piece.seconds
            );
        }
        report.pieces.push(piece);
    }
    if a.json {
        super::print_json(&report)?;
    }
    Ok(())
}
