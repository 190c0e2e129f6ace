//! `euterpe render` and `euterpe plot`: hear and see a MIDI file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_music::midi::read_midi_file;
use euterpe_render::{
    find_system_soundfont, plot_piano_roll, render_to_wav, PlotOptions, RenderOptions,
    RenderSummary,
};
use serde::Serialize;

use super::print_report;

/// Arguments of `render`.
#[derive(Args)]
pub struct RenderArgs {
    /// The MIDI file to render.
    input: PathBuf,
    /// The WAV file to write (16-bit PCM).
    #[arg(long)]
    out: PathBuf,
    /// A General MIDI SoundFont (.sf2). Default: one in the usual system places
    /// (/usr/share/sounds/sf2, $EUTERPE_SOUNDFONT), else the built-in synthesiser.
    #[arg(long, conflicts_with = "builtin_synth")]
    soundfont: Option<PathBuf>,
    /// Use the built-in synthesiser even when a system SoundFont exists.
    #[arg(long)]
    builtin_synth: bool,
    /// Samples per second (8,000–192,000).
    #[arg(long, default_value_t = 44_100)]
    sample_rate: u32,
    /// One channel instead of two.
    #[arg(long)]
    mono: bool,
    /// Peak level in dBFS after normalisation (the loudest sample; -60–0, never clips).
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    peak_dbfs: f32,
    /// Seconds of audio after the last note ends (release tails, reverb; 0–60).
    #[arg(long, default_value_t = 1.5)]
    tail: f64,
    /// Threads for the built-in synthesiser (0: all cores; the samples are the same either way).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `render` reports: the input and the library's summary of the WAV.
#[derive(Serialize)]
struct RenderReport<'a> {
    input: &'a std::path::Path,
    #[serde(flatten)]
    summary: RenderSummary,
}

/// Runs `render`.
pub fn run_render(a: &RenderArgs) -> Result<()> {
    let soundfont = match (&a.soundfont, a.builtin_synth) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => find_system_soundfont(),
    };
    let options = RenderOptions {
        sample_rate: a.sample_rate,
        channels: if a.mono { 1 } else { 2 },
        soundfont,
        normalize_dbfs: Some(a.peak_dbfs),
        tail_seconds: a.tail,
        threads: a.threads,
        ..RenderOptions::default()
    };
    // The library's ranges, checked before the file is read.
    options.validate()?;
    let score = read_midi_file(&a.input)?;
    let summary = render_to_wav(&score, &a.out, &options)
        .with_context(|| format!("rendering {}", a.input.display()))?;
    let report = RenderReport {
        input: &a.input,
        summary,
    };
    print_report(&report, a.json, |r| {
        let s = &r.summary;
        println!(
            "{}: {:.1} s of audio, {} Hz, {} channel(s), synth {}, peak {:.3}, rms {:.3}",
            s.output.display(),
            s.seconds,
            s.sample_rate,
            s.channels,
            s.synth,
            s.peak,
            s.rms
        )
    })
}

/// Arguments of `plot`.
#[derive(Args)]
pub struct PlotArgs {
    /// The MIDI file to draw.
    input: PathBuf,
    /// The PNG file to write.
    #[arg(long)]
    out: PathBuf,
    /// Width in pixels (default: 16 pixels per beat, between 320 and 4,000).
    #[arg(long)]
    width: Option<u32>,
    /// Pixels per semitone.
    #[arg(long, default_value_t = 5)]
    row_height: u32,
}

/// Runs `plot`.
pub fn run_plot(a: &PlotArgs) -> Result<()> {
    let options = PlotOptions {
        width: a.width,
        row_height: a.row_height,
        ..PlotOptions::default()
    };
    let score = read_midi_file(&a.input)?;
    plot_piano_roll(&score, &a.out, &options)
        .with_context(|| format!("drawing {}", a.input.display()))?;
    println!(
        "{}: piano roll of {} notes in {} track(s)",
        a.out.display(),
        score.note_count(),
        score.tracks.len()
    );
    Ok(())
}
