//! `euterpe generate-audio`: sound from a next-frame audio model (the seed's audio LSTM).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_generate::{AudioGenerator, AudioOptions, GenerateError, GeneratedAudio};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_music::tokens::Emotion;
use euterpe_store::ModelSource;
use serde::Serialize;

use super::print_report;

/// The model used without `--model`.
const DEFAULT_MODEL: &str = "audio-lstm";

/// Arguments of `generate-audio`.
#[derive(Args)]
pub struct GenerateAudioArgs {
    /// A next-frame audio model directory written by `euterpe train` (kind = "audio_lm"), or a
    /// built-in model's name.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// The emotion to ask for: happy, tense, sad, calm (or Q1–Q4, or a synonym).
    #[arg(long)]
    emotion: Option<String>,
    /// A recording to continue (WAV, FLAC, MP3 or Ogg; its first 30 s are used).
    #[arg(long)]
    primer: Option<PathBuf>,
    /// Seconds of new sound after the primer.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Noise added to each predicted frame, in standardised units (0: deterministic; above
    /// about 0.3 the rollout wanders into bursts and silences).
    #[arg(long, default_value_t = 0.1)]
    temperature: f32,
    /// Random seed (default: a fresh one, printed so that the sound can be made again).
    #[arg(long)]
    seed: Option<u64>,
    /// The WAV file to write.
    #[arg(long)]
    out: PathBuf,
    /// Where the model runs: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `generate-audio` reports.
#[derive(Serialize)]
struct Report {
    model: String,
    out: PathBuf,
    #[serde(flatten)]
    generated: GeneratedAudio,
    elapsed_seconds: f64,
}

struct GenerateAudioRun<'a> {
    source: &'a ModelSource,
    options: AudioOptions,
}

impl InferenceJob for GenerateAudioRun<'_> {
    type Output = Result<GeneratedAudio, GenerateError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let loaded = self.source.load::<B>(&device)?;
        AudioGenerator::<B>::new(loaded, device)?.generate(&self.options)
    }
}

/// Runs `generate-audio`.
pub fn run(a: &GenerateAudioArgs) -> Result<()> {
    let class = a
        .emotion
        .as_deref()
        .map(|e| Emotion::from_name(e).map(|e| format!("Q{}", e.quadrant())))
        .transpose()?;
    let primer = a
        .primer
        .as_deref()
        .map(|p| euterpe_audio::load(p, &euterpe_audio::LoadOptions::default()))
        .transpose()?;
    let source = ModelSource::resolve(Some(&a.model))?;
    let job = GenerateAudioRun {
        source: &source,
        options: AudioOptions {
            seconds: a.seconds,
            class,
            temperature: a.temperature,
            seed: a.seed.unwrap_or_else(euterpe_base::fresh_seed),
            primer,
        },
    };
    let started = Instant::now();
    let generated = run_inference(a.device, job)?.context("audio generation failed")?;
    euterpe_audio::wav::write_wav(&a.out, &generated.samples, generated.sample_rate)?;
    let report = Report {
        model: a.model.clone(),
        out: a.out.clone(),
        generated,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    };
    print_report(&report, a.json, |r| {
        let g = &r.generated;
        println!(
            "{}: {:.1} s of sound from {} ({} {} frames{}{}), seed {}, in {:.1} s",
            r.out.display(),
            g.seconds,
            r.model,
            g.frames,
            g.features,
            if g.primer_frames > 0 {
                format!(" after {} primer frames", g.primer_frames)
            } else {
                String::new()
            },
            g.class
                .as_deref()
                .map(|c| format!(", emotion {c}"))
                .unwrap_or_default(),
            g.seed,
            r.elapsed_seconds
        )
    })
}
