//! `euterpe train` and `euterpe eval`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use euterpe_data::Split;
use euterpe_train::data::TaskData;
use euterpe_train::metrics::EpochMetrics;
use euterpe_train::trainer::{train, TrainObserver, TrainOptions};
use euterpe_train::TrainConfig;
use indicatif::{ProgressBar, ProgressStyle};

use super::print_json;

/// Arguments of `train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Training configuration (TOML); see configs/ for examples.
    #[arg(long)]
    config: PathBuf,
    /// A polyphonic JSON file, a MIDI file or folder, or a token file.
    #[arg(long)]
    data: PathBuf,
    /// The model directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint.
    #[arg(long)]
    resume: bool,
    /// Override a config field, e.g. --set train.epochs=5 --set optim.lr=3e-4.
    #[arg(long = "set", value_name = "SECTION.FIELD=VALUE")]
    overrides: Vec<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Data splits on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum SplitArg {
    /// Training split.
    Train,
    /// Validation split.
    Valid,
    /// Test split.
    Test,
}

/// Arguments of `eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// A model directory written by `euterpe train`.
    #[arg(long)]
    model: PathBuf,
    /// Data of the kind the model was trained on (any file of the same format).
    #[arg(long)]
    data: PathBuf,
    /// Which split to score.
    #[arg(long, value_enum, default_value = "valid")]
    split: SplitArg,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Draws an epoch progress bar with loss, rate and ETA on stderr.
struct Progress {
    bar: Option<ProgressBar>,
    recent: f64,
}

impl TrainObserver for Progress {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, batches: usize) {
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "epoch {prefix} [{bar:30}] {pos}/{len} {msg} {per_sec} eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch}/{epochs}"));
        self.bar = Some(bar);
    }

    fn batch_done(&mut self, loss: f64, lr: f64) {
        self.recent = if self.recent == 0.0 {
            loss
        } else {
            0.9 * self.recent + 0.1 * loss
        };
        if let Some(bar) = &self.bar {
            bar.set_message(format!("loss {:.4} lr {lr:.2e}", self.recent));
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, m: &EpochMetrics) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let extra = match (m.valid_perplexity, m.valid_accuracy) {
            (Some(p), Some(a)) => format!(" ppl {p:.3} acc {:.1}%", a * 100.0),
            _ => String::new(),
        };
        eprintln!(
            "epoch {:>3}  train {:.4}  valid {:.4}{extra}  {:.1}s{}",
            m.epoch,
            m.train_nll,
            m.valid_nll,
            m.seconds,
            if m.best { "  *best" } else { "" }
        );
    }

    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}

/// Runs `train`.
pub fn run_train(a: &TrainArgs) -> Result<()> {
    let config = TrainConfig::load(&a.config, &a.overrides)?;
    let data = TaskData::load(&a.data, &config.data)?;
    let options = TrainOptions {
        out: a.out.clone(),
        resume: a.resume,
        data_path: a.data.clone(),
        // As a user types it, whatever the binary's path.
        command: std::iter::once("euterpe".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let device = Default::default();
    let mut progress = Progress {
        bar: None,
        recent: 0.0,
    };
    let summary = train::<euterpe_models::backend::CpuAutodiff>(
        &data,
        &config,
        &options,
        &device,
        &mut progress,
    )?;
    if a.json {
        print_json(&summary)?;
    } else {
        println!(
            "{}: best valid NLL {:.4} at epoch {} of {} ({:.0} s, {} parameters)",
            a.out.display(),
            summary.best_valid_nll,
            summary.best_epoch,
            summary.epochs,
            summary.seconds,
            summary.parameters
        );
    }
    Ok(())
}

/// Runs `eval`.
pub fn run_eval(a: &EvalArgs) -> Result<()> {
    let split = match a.split {
        SplitArg::Train => Split::Train,
        SplitArg::Valid => Split::Valid,
        SplitArg::Test => Split::Test,
    };
    let device = Default::default();
    let r = euterpe_train::eval::evaluate::<euterpe_models::backend::Cpu>(
        &a.model, &a.data, split, &device,
    )?;
    if a.json {
        return print_json(&r);
    }
    let units = match (r.frames, r.tokens) {
        (Some(f), _) => format!("{f} frames"),
        (_, Some(t)) => format!("{t} tokens"),
        _ => String::new(),
    };
    print!(
        "{} split: NLL {:.4} nats over {units} of {} sequences",
        r.split, r.nll, r.sequences
    );
    if let (Some(p), Some(acc)) = (r.perplexity, r.accuracy) {
        print!(", perplexity {p:.3}, accuracy {:.1}%", acc * 100.0);
    }
    println!();
    Ok(())
}
