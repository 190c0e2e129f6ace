//! `euterpe`: the command-line interface. It parses flags and calls the library crates; all logic
//! lives there.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// euterpe — learn music from data and write new music.
#[derive(Parser)]
#[command(name = "euterpe", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log more (repeat for more detail); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect, tokenise and convert music data.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Train a sequence model from a TOML config (RNN, LSTM, GRU or Transformer).
    Train(commands::train::TrainArgs),
    /// Search hyperparameters: grid, random or TPE trials with pruning, in a study store.
    Tune(Box<commands::tune::TuneArgs>),
    /// Score a model on a data split: NLL, perplexity, accuracy.
    Eval(commands::train::EvalArgs),
    /// Write new music with a token model (default: the built-in folk model).
    Generate(Box<commands::generate::GenerateArgs>),
    /// Write sound with a next-frame audio model (the seed's audio LSTM), optionally of an
    /// emotion or continuing a recording.
    GenerateAudio(commands::generate_audio::GenerateAudioArgs),
    /// Write the other tracks around a lead melody with a multi-track GAN (MuseGAN-style).
    Arrange(commands::arrange::ArrangeArgs),
    /// Rewrite MIDI pieces in another style with a style-transfer GAN (CycleGAN-style), e.g.
    /// folk tunes as pop.
    Transfer(commands::transfer::TransferArgs),
    /// Recognise the emotion (or another class) of MIDI files with a classifier.
    Classify(commands::classify::ClassifyArgs),
    /// Control accuracy of a conditioned generator: generate per emotion and style, classify.
    EvalControl(commands::control::ControlArgs),
    /// Render a MIDI file to WAV (a General MIDI SoundFont, or the built-in synthesiser).
    Render(commands::render::RenderArgs),
    /// Draw a MIDI file's piano roll to PNG.
    Plot(commands::render::PlotArgs),
    /// Music-quality metrics of MIDI files (MusPy, mgeval), optionally against a reference set.
    Metrics(commands::metrics::MetricsArgs),
    /// Generate without end and play it in real time: to a MIDI port (--midi-out) or as note
    /// events on stdout.
    Live(commands::live::LiveArgs),
    /// Audio recordings: features as librosa computes them (.npy), clips, statistics.
    #[command(subcommand)]
    Audio(commands::audio::AudioCommand),
    /// Serve the HTTP API (POST /generate_music), the web page and live generation.
    Serve(commands::serve::ServeArgs),
}

fn init_logging(verbose: u8, serving: bool) {
    let default = match verbose {
        // A server logs every request by default.
        0 if serving => "info",
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

/// Lets `euterpe … | head` end quietly, as other Unix tools do, instead of failing on a closed pipe.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is always a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    // Panics that the libraries catch and report as errors (corrupt weights, malformed
    // SoundFonts) print nothing; the one-line error says what was wrong.
    euterpe_base::guard::quiet_guarded_panics();
    euterpe_models::backend::tune_allocator_for_tensors();
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve(_));
    // A server keeps Rust's ignored SIGPIPE: a client that hangs up must not end it.
    if !serving {
        restore_default_sigpipe();
    }
    init_logging(cli.verbose, serving);
    let result = match cli.command {
        Command::Data(cmd) => commands::data::run(cmd),
        Command::Train(args) => commands::train::run_train(&args),
        Command::Tune(args) => commands::tune::run(&args),
        Command::Eval(args) => commands::train::run_eval(&args),
        Command::Generate(args) => commands::generate::run(&args),
        Command::GenerateAudio(args) => commands::generate_audio::run(&args),
        Command::Arrange(args) => commands::arrange::run(&args),
        Command::Classify(args) => commands::classify::run(&args),
        Command::Transfer(args) => commands::transfer::run(&args),
        Command::EvalControl(args) => commands::control::run(&args),
        Command::Render(args) => commands::render::run_render(&args),
        Command::Plot(args) => commands::render::run_plot(&args),
        Command::Metrics(args) => commands::metrics::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Live(args) => commands::live::run(&args),
        Command::Audio(cmd) => commands::audio::run(&cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !message.contains(&c) {
                    message.push_str(": ");
                    message.push_str(&c);
                }
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
