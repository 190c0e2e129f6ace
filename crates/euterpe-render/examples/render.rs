//! Renders a MIDI file to WAV (and optionally a piano-roll PNG) and prints timings as JSON.
//!
//! ```text
//! cargo run --release -p euterpe-render --example render -- IN.mid OUT.wav \
//!     [--soundfont FILE.sf2 | --system-soundfont] [--fixed-gain G] [--mono] [--threads N] [--png OUT.png]
//!     [--png-width W] [--row-height H] [--no-labels]
//! ```
//!
//! The wall time covers everything `render_to_wav` does: loading the SoundFont, the synthesis pass,
//! the scaled read-back of normalisation (none with `--fixed-gain`) and writing the file. This is
//! the euterpe side of `bench/render.sh`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use euterpe_music::midi::read_midi_file;
use euterpe_render::{
    find_system_soundfont, plot_piano_roll, render_to_wav, PlotOptions, RenderOptions,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut options = RenderOptions::default();
    let mut png = None;
    let mut plot = PlotOptions::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--soundfont" => {
                options.soundfont = Some(args.next().ok_or("--soundfont needs a file")?.into())
            }
            "--system-soundfont" => {
                options.soundfont =
                    Some(find_system_soundfont().ok_or("no SoundFont found on this system")?)
            }
            "--fixed-gain" => {
                options.normalize_dbfs = None;
                options.gain = args.next().ok_or("--fixed-gain needs a number")?.parse()?;
            }
            "--mono" => options.channels = 1,
            "--threads" => {
                options.threads = args.next().ok_or("--threads needs a number")?.parse()?
            }
            "--png" => png = Some(PathBuf::from(args.next().ok_or("--png needs a file")?)),
            "--png-width" => {
                plot.width = Some(args.next().ok_or("--png-width needs a number")?.parse()?)
            }
            "--row-height" => {
                plot.row_height = args.next().ok_or("--row-height needs a number")?.parse()?
            }
            "--no-labels" => plot.labels = false,
            _ if a.starts_with("--") => return Err(format!("unknown option {a}").into()),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [input, output] = positional.as_slice() else {
        return Err("usage: render IN.mid OUT.wav [--soundfont F | --system-soundfont] [--fixed-gain G] [--mono] [--png P] [--png-width W] [--row-height H] [--no-labels]".into());
    };
    plot.validate()?;
    let score = read_midi_file(input)?;
    let start = Instant::now();
    let summary = render_to_wav(&score, output, &options)?;
    let wall = start.elapsed().as_secs_f64();
    if let Some(png) = png {
        plot_piano_roll(&score, &png, &plot)?;
    }
    println!(
        "{{\"file\": \"{}\", \"synth\": \"{}\", \"passes\": {}, \"audio_s\": {:.3}, \"wall_s\": {:.4}, \"realtime_factor\": {:.1}, \"peak\": {:.4}, \"rms\": {:.4}}}",
        input.display(),
        options.soundfont.as_ref().map_or("builtin".to_string(), |p| p.display().to_string()),
        1,
        summary.seconds,
        wall,
        summary.seconds / wall,
        summary.peak,
        summary.rms
    );
    Ok(())
}
