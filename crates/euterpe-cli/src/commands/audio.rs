//! `euterpe audio`: features (NumPy arrays as librosa computes them), clips and statistics of
//! recordings. The work is in `euterpe-audio`; this module parses flags and prints reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use euterpe_audio::batch::{map_files, output_path, Outcome};
use euterpe_audio::clips::{cut, ClipOptions};
use euterpe_audio::inverse::{features_to_audio, GriffinLimOptions};
use euterpe_audio::npy::{read_npy, write_npy};
use euterpe_audio::stats::{file_stats, Summary};
use euterpe_audio::wav::write_wav;
use euterpe_audio::{audio_files, features, load, peak_normalize, FeatureConfig, LoadOptions};
use indicatif::{ProgressBar, ProgressStyle};

use super::print_report;

/// `euterpe audio …`.
#[derive(Subcommand)]
pub enum AudioCommand {
    /// Features of recordings as NumPy .npy arrays ([coefficients, frames], float32), with
    /// librosa 0.11's defaults: a file in, a file out; a folder in, a folder of .npy out.
    Features(FeaturesArgs),
    /// Cut recordings into fixed-length, peak-normalised WAV clips.
    Clips(ClipsArgs),
    /// Files, lengths, sample rates, channels and codecs of recordings; bad files with reasons.
    Stats(StatsArgs),
    /// Sound from a feature array (.npy of stft, mel, log-mel or mfcc): the inverse mel by
    /// non-negative least squares, then Griffin-Lim phase reconstruction, to WAV.
    Invert(InvertArgs),
}

/// The sample rate to load at: a number of Hz, or `native` for the file's own.
#[derive(Clone, Copy, Debug)]
pub struct Rate(Option<u32>);

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("native") {
            return Ok(Rate(None));
        }
        match s.parse::<u32>() {
            Ok(r) if (1_000..=768_000).contains(&r) => Ok(Rate(Some(r))),
            _ => Err(format!(
                "`{s}`: give a rate from 1000 to 768000 Hz, or `native`"
            )),
        }
    }
}

/// Where the inputs are and how to load them.
#[derive(Args)]
pub struct InputArgs {
    /// An audio file (WAV, FLAC, MP3, Ogg Vorbis), or a folder searched recursively.
    input: PathBuf,
    /// Resample to this rate (Hz), or `native` to keep each file's (librosa's sr=None).
    #[arg(long, default_value = "22050")]
    sr: Rate,
    /// Files processed at once (default: the number of CPUs).
    #[arg(long)]
    jobs: Option<usize>,
}

impl InputArgs {
    fn files(&self) -> Result<Vec<PathBuf>> {
        let files = audio_files(&self.input)?;
        if files.is_empty() {
            bail!(
                "{}: no audio files (wav, flac, mp3, ogg) in this folder",
                self.input.display()
            );
        }
        Ok(files)
    }

    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            sample_rate: self.sr.0,
        }
    }

    fn jobs(&self) -> usize {
        self.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }

    fn is_folder(&self) -> bool {
        self.input.is_dir()
    }
}

/// Arguments of `audio features`.
#[derive(Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    input: InputArgs,
    /// What to compute: stft (magnitude), mel (power), log-mel (dB), mfcc or chroma.
    #[arg(long, default_value = "mfcc")]
    kind: euterpe_audio::FeatureKind,
    /// MFCCs per frame.
    #[arg(long, default_value_t = 20)]
    n_mfcc: usize,
    /// Mel bands.
    #[arg(long, default_value_t = 128)]
    n_mels: usize,
    /// FFT size in samples.
    #[arg(long, default_value_t = 2048)]
    n_fft: usize,
    /// Samples between frames.
    #[arg(long, default_value_t = 512)]
    hop_length: usize,
    /// Lowest mel frequency (Hz).
    #[arg(long, default_value_t = 0.0)]
    fmin: f64,
    /// Highest mel frequency (Hz; default half the sample rate).
    #[arg(long)]
    fmax: Option<f64>,
    /// dB floor below the maximum for log-mel and MFCC.
    #[arg(long, default_value_t = 80.0)]
    top_db: f32,
    /// Chroma tuning in fractions of a bin (0: A = 440 Hz).
    #[arg(long, default_value_t = 0.0)]
    tuning: f64,
    /// The .npy file to write (one input file), or the folder of .npy files (a folder in).
    #[arg(long)]
    out: PathBuf,
}

impl FeaturesArgs {
    fn config(&self) -> FeatureConfig {
        let mut config =
            FeatureConfig::with_layout(self.kind, self.n_fft, self.hop_length, self.n_mels);
        config.mel.fmin = self.fmin;
        config.mel.fmax = self.fmax;
        config.n_mfcc = self.n_mfcc;
        config.top_db = Some(self.top_db);
        config.tuning = self.tuning;
        config
    }
}

/// Arguments of `audio clips`.
#[derive(Args)]
pub struct ClipsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Seconds between clip starts (default: the clip length, back to back).
    #[arg(long)]
    hop: Option<f64>,
    /// Keep a shorter last clip, padded with silence (by default it is dropped).
    #[arg(long)]
    pad: bool,
    /// Keep each clip's level (by default its peak is scaled to 1, librosa.util.normalize).
    #[arg(long)]
    no_normalize: bool,
    /// The folder of WAV clips, named `<file>_NNN.wav`.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `audio stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// An audio file, or a folder searched recursively.
    input: PathBuf,
    /// Files decoded at once (default: the number of CPUs).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the report (with every file) as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `audio invert`.
#[derive(Args)]
pub struct InvertArgs {
    /// A [coefficients, frames] float32 .npy array, as `audio features` writes.
    input: PathBuf,
    /// What the array holds: stft (magnitude), mel (power), log-mel (dB) or mfcc.
    #[arg(long)]
    kind: euterpe_audio::FeatureKind,
    /// The sample rate the features were computed at.
    #[arg(long, default_value_t = 22_050)]
    sr: u32,
    /// Mel bands the features were computed with (for mel, log-mel and mfcc).
    #[arg(long, default_value_t = 128)]
    n_mels: usize,
    /// FFT size the features were computed with.
    #[arg(long, default_value_t = 2048)]
    n_fft: usize,
    /// Samples between frames.
    #[arg(long, default_value_t = 512)]
    hop_length: usize,
    /// Griffin-Lim iterations.
    #[arg(long, default_value_t = 32)]
    iterations: usize,
    /// The seed of the initial random phase.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The WAV file to write (32-bit float, mono).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `audio …`.
pub fn run(command: &AudioCommand) -> Result<()> {
    match command {
        AudioCommand::Features(a) => run_features(a),
        AudioCommand::Clips(a) => run_clips(a),
        AudioCommand::Stats(a) => run_stats(a),
        AudioCommand::Invert(a) => run_invert(a),
    }
}

fn run_features(a: &FeaturesArgs) -> Result<()> {
    let files = a.input.files()?;
    let config = a.config();
    let load_options = a.input.load_options();
    let outcomes = with_progress(&files, a.input.jobs(), "files", |file| {
        let audio = load(file, &load_options)?;
        let matrix = features::compute(&audio.samples, audio.sample_rate, &config)?;
        let out = output_path(&a.input.input, file, &a.out, "npy");
        write_npy(&out, &matrix)?;
        Ok((matrix.rows, matrix.cols))
    });
    let written = report_failures(&outcomes, &a.input.input)?;
    if let [(rows, cols)] = written.as_slice() {
        if !a.input.is_folder() {
            println!(
                "wrote {} ({} × {} float32, {})",
                a.out.display(),
                rows,
                cols,
                a.kind
            );
            return Ok(());
        }
    }
    println!(
        "wrote {} {} arrays to {}",
        written.len(),
        a.kind,
        a.out.display()
    );
    Ok(())
}

fn run_clips(a: &ClipsArgs) -> Result<()> {
    let files = a.input.files()?;
    let options = ClipOptions {
        seconds: a.seconds,
        hop_seconds: a.hop,
        pad_last: a.pad,
    };
    // A bad length is the user's error, not a file's: refuse before touching any file.
    euterpe_audio::clip_ranges(1, 22_050, &options)?;
    let load_options = a.input.load_options();
    let outcomes = with_progress(&files, a.input.jobs(), "files", |file| {
        let audio = load(file, &load_options)?;
        let clips = cut(&audio.samples, audio.sample_rate, &options)?;
        let stem = output_path(&a.input.input, file, &a.out, "wav");
        let stem = if a.input.is_folder() {
            stem
        } else {
            a.out.join(file.file_name().unwrap_or_default())
        };
        let count = clips.len();
        for (i, mut clip) in clips.into_iter().enumerate() {
            if !a.no_normalize {
                peak_normalize(&mut clip);
            }
            write_wav(&numbered_clip(&stem, i), &clip, audio.sample_rate)?;
        }
        Ok(count)
    });
    let counts = report_failures(&outcomes, &a.input.input)?;
    println!(
        "wrote {} clips of {} s from {} files to {}",
        counts.iter().sum::<usize>(),
        a.seconds,
        counts.len(),
        a.out.display()
    );
    Ok(())
}

/// `out/a/song.wav` → `out/a/song_007.wav`.
fn numbered_clip(stem: &Path, index: usize) -> PathBuf {
    let name = stem
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.with_file_name(format!("{name}_{index:03}.wav"))
}

fn run_invert(a: &InvertArgs) -> Result<()> {
    let features = read_npy(&a.input)?;
    let config = FeatureConfig {
        n_mfcc: features.rows,
        ..FeatureConfig::with_layout(a.kind, a.n_fft, a.hop_length, a.n_mels)
    };
    let options = GriffinLimOptions {
        iterations: a.iterations,
        seed: a.seed,
        ..GriffinLimOptions::default()
    };
    let samples = features_to_audio(&features, a.sr, &config, &options)
        .with_context(|| a.input.display().to_string())?;
    write_wav(&a.out, &samples, a.sr)?;
    println!(
        "wrote {} ({:.2} s from {} frames of {})",
        a.out.display(),
        samples.len() as f64 / f64::from(a.sr),
        features.cols,
        a.kind
    );
    Ok(())
}

fn run_stats(a: &StatsArgs) -> Result<()> {
    let files = audio_files(&a.input)?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let outcomes = with_progress(&files, jobs, "files", file_stats);
    let summary = Summary::from_outcomes(outcomes);
    for f in &summary.failures {
        eprintln!("skipped {}: {}", f.file.display(), f.error);
    }
    print_report(&summary, a.json, print_summary)?;
    if summary.files == 0 {
        bail!("{}: no file decoded", a.input.display());
    }
    Ok(())
}

fn print_summary(s: &Summary) {
    let hours = s.total_seconds / 3600.0;
    println!("files:        {} ({} failed)", s.files, s.failures.len());
    println!(
        "duration:     {:.1} s in all ({hours:.2} h); {:.2} s to {:.2} s, mean {:.2} s",
        s.total_seconds,
        s.min_seconds,
        s.max_seconds,
        s.total_seconds / s.files.max(1) as f64
    );
    let list = |m: Vec<String>| m.join(", ");
    println!(
        "sample rates: {}",
        list(
            s.sample_rates
                .iter()
                .map(|(r, n)| format!("{r} Hz × {n}"))
                .collect()
        )
    );
    println!(
        "channels:     {}",
        list(
            s.channels
                .iter()
                .map(|(c, n)| format!("{c} × {n}"))
                .collect()
        )
    );
    println!(
        "codecs:       {}",
        list(s.codecs.iter().map(|(c, n)| format!("{c} × {n}")).collect())
    );
}

/// Runs `work` over the files with a progress bar on a terminal.
fn with_progress<T: Send>(
    files: &[PathBuf],
    jobs: usize,
    what: &str,
    work: impl Fn(&Path) -> Result<T, euterpe_audio::AudioError> + Sync,
) -> Vec<Outcome<T>> {
    let bar = (files.len() > 1 && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(files.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what} {{per_sec}} eta {{eta}}"
        )) {
            b.set_style(style.progress_chars("=> "));
        }
        b
    });
    let outcomes = map_files(files, jobs, work, || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    outcomes
}

/// Prints the files that failed; fails when none succeeded. Returns the successes.
fn report_failures<T>(outcomes: &[Outcome<T>], input: &Path) -> Result<Vec<T>>
where
    T: Clone,
{
    let mut ok = Vec::new();
    let mut first_error = None;
    for o in outcomes {
        match &o.result {
            Ok(v) => ok.push(v.clone()),
            Err(e) => {
                if outcomes.len() > 1 {
                    eprintln!("skipped {}: {e}", o.file.display());
                }
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if ok.is_empty() {
        match first_error {
            Some(e) if outcomes.len() == 1 => bail!("{e}"),
            _ => bail!("{}: no file could be processed", input.display()),
        }
    }
    Ok(ok)
}
