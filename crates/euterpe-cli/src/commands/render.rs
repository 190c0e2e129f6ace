//! `euterpe render` and `euterpe plot`: hear and see a MIDI file.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use euterpe_music::midi::read_midi_file;
use euterpe_render::{
    find_system_soundfont, plot_piano_roll, render_to_wav, PlotOptions, RenderOptions,
};

use super::print_json;

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
    /// Samples per second.
    #[arg(long, default_value_t = 44_100)]
    sample_rate: u32,
    /// One channel instead of two.
    #[arg(long)]
    mono: bool,
    /// Peak level in dBFS after normalisation (the loudest sample; never clips).
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    peak_dbfs: f32,
    /// Seconds of audio after the last note ends (release tails, reverb).
    #[arg(long, default_value_t = 1.5)]
    tail: f64,
    /// Print what was written as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `render`.
pub fn run_render(a: &RenderArgs) -> Result<()> {
    let score = read_midi_file(&a.input)?;
    if !(0.0..=60.0).contains(&a.tail) {
        bail!("--tail {}: must be between 0 and 60 seconds", a.tail);
    }
    if !(-60.0..=0.0).contains(&a.peak_dbfs) {
        bail!("--peak-dbfs {}: must be between -60 and 0", a.peak_dbfs);
    }
    let soundfont = match (&a.soundfont, a.builtin_synth) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => find_system_soundfont(),
    };
    let options = RenderOptions {
        sample_rate: a.sample_rate,
        channels: if a.mono { 1 } else { 2 },
        soundfont: soundfont.clone(),
        normalize_dbfs: Some(a.peak_dbfs),
        tail_seconds: a.tail,
        ..RenderOptions::default()
    };
    let summary = render_to_wav(&score, &a.out, &options)
        .with_context(|| format!("rendering {}", a.input.display()))?;
    let synth = soundfont.map_or_else(|| "built-in".to_string(), |p| p.display().to_string());
    if a.json {
        return print_json(&serde_json::json!({
            "input": a.input,
            "output": a.out,
            "synth": synth,
            "seconds": summary.seconds,
            "frames": summary.frames,
            "sample_rate": summary.sample_rate,
            "channels": summary.channels,
            "peak": summary.peak,
            "rms": summary.rms,
        }));
    }
    println!(
        "{}: {:.1} s of audio, {} Hz, {} channel(s), synth {synth}, peak {:.3}, rms {:.3}",
        a.out.display(),
        summary.seconds,
        summary.sample_rate,
        summary.channels,
        summary.peak,
        summary.rms
    );
    Ok(())
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
    let score = read_midi_file(&a.input)?;
    if a.width.is_some_and(|w| !(16..=20_000).contains(&w)) {
        bail!("--width must be between 16 and 20000 pixels");
    }
    if !(1..=40).contains(&a.row_height) {
        bail!("--row-height must be between 1 and 40 pixels");
    }
    let options = PlotOptions {
        width: a.width,
        row_height: a.row_height,
        ..PlotOptions::default()
    };
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
