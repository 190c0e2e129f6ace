//! `euterpe train` and `euterpe eval`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use euterpe_data::{Split, TaskData};
use euterpe_models::backend::{run_inference, run_training, DeviceSpec, InferenceJob, TrainingJob};
use euterpe_models::{ModelBackend, TrainingBackend};
use euterpe_store::ModelSource;
use euterpe_train::eval::{evaluate, EvalReport};
use euterpe_train::finetune::Strategy;
use euterpe_train::trainer::{train, TrainOptions, TrainSummary};
use euterpe_train::{TrainConfig, TrainError};

use super::print_report;
use super::progress::TrainProgress;

/// Arguments of `train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Training configuration (TOML); see configs/ for examples.
    #[arg(long)]
    config: PathBuf,
    /// A polyphonic JSON file, a MIDI file or folder, a token file, a folder of recordings, or a
    /// CSV of labelled texts (with `[data.text]`).
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
    /// Where to train: cpu, cuda or cuda:N (default: the config's train.device, else cpu).
    #[arg(long)]
    device: Option<DeviceSpec>,
    /// Start from the weights of this trained model directory (pretraining → fine-tuning);
    /// the same as train.init_from.
    #[arg(long, value_name = "DIR")]
    init_from: Option<PathBuf>,
    /// Which layer groups train: full, freeze-lower:N (the N lowest groups, the embedding
    /// first, stay frozen) or gradual (unfreeze one group per epoch from the top); the same as
    /// train.strategy.
    #[arg(long)]
    strategy: Option<Strategy>,
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

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Split {
        match s {
            SplitArg::Train => Split::Train,
            SplitArg::Valid => Split::Valid,
            SplitArg::Test => Split::Test,
        }
    }
}

/// Arguments of `eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// A model directory written by `euterpe train`, or the name of a built-in model.
    #[arg(long)]
    model: String,
    /// Data of the kind the model was trained on (any file of the same format).
    #[arg(long)]
    data: PathBuf,
    /// Which split to score.
    #[arg(long, value_enum, default_value = "valid")]
    split: SplitArg,
    /// Where to run: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// A training run on whichever backend the device needs.
struct TrainRun<'a> {
    data: &'a TaskData,
    config: &'a TrainConfig,
    options: &'a TrainOptions,
}

impl TrainingJob for TrainRun<'_> {
    type Output = Result<TrainSummary, TrainError>;

    fn run<B: TrainingBackend>(self, device: B::Device) -> Self::Output {
        train::<B>(
            self.data,
            self.config,
            self.options,
            &device,
            &mut TrainProgress::new(),
        )
    }
}

/// Runs `train`.
pub fn run_train(a: &TrainArgs) -> Result<()> {
    let mut config = TrainConfig::load(&a.config, &a.overrides)?;
    if let Some(device) = a.device {
        config.train.device = device;
    }
    if let Some(dir) = &a.init_from {
        config.train.init_from = Some(dir.clone());
    }
    if let Some(strategy) = a.strategy {
        config.train.strategy = strategy;
    }
    config.validate().map_err(|reason| TrainError::Config {
        path: a.config.clone(),
        reason,
    })?;
    // Before the data is read: a GPU asked of a CPU-only build fails at once.
    config.train.device.check_available()?;
    let (data, report) =
        TaskData::load_with_progress(&a.data, &config.data, super::progress::files())?;
    for f in &report.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
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
    let job = TrainRun {
        data: &data,
        config: &config,
        options: &options,
    };
    let summary = run_training(config.train.device, job)??;
    print_report(&summary, a.json, |s| {
        println!(
            "{}: best valid {} {:.4} per {} at epoch {} of {} ({:.0} s on {}, {} parameters)",
            s.out.display(),
            s.valid,
            s.best_valid_nll,
            s.unit,
            s.best_epoch,
            s.epochs,
            s.seconds,
            s.device,
            s.parameters
        )
    })
}

/// An evaluation on whichever backend the device needs.
struct EvalRun<'a> {
    source: &'a ModelSource,
    data: &'a std::path::Path,
    split: Split,
}

impl InferenceJob for EvalRun<'_> {
    type Output = Result<EvalReport, TrainError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        evaluate::<B>(self.source, self.data, self.split, &device)
    }
}

/// Runs `eval`.
pub fn run_eval(a: &EvalArgs) -> Result<()> {
    let source = ModelSource::resolve(Some(&a.model))?;
    let job = EvalRun {
        source: &source,
        data: &a.data,
        split: a.split.into(),
    };
    let report = run_inference(a.device, job)??;
    for f in &report.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    print_report(&report, a.json, |r| {
        let units = match (r.frames, r.tokens) {
            (Some(f), _) => format!("{f} frames"),
            (_, Some(t)) => format!("{t} tokens"),
            _ => String::new(),
        };
        let over = if units.is_empty() {
            String::new()
        } else {
            format!(" over {units}")
        };
        // Clips are their own sequences; other units are counted over sequences.
        let of = if r.unit == "clip" {
            format!("{} clips", r.sequences)
        } else {
            format!("{} sequences", r.sequences)
        };
        if let Some(x) = &r.reconstruction {
            println!(
                "{} split: MSE {:.4} per value (standardised) over {of}\n\
                 resynthesis of {} clips (Griffin-Lim, 32 iterations):\n\
                 {:<28} {:>12} {:>10}\n\
                 {:<28} {:>12.4} {:>7.2} dB\n\
                 {:<28} {:>12.4} {:>7.2} dB\n\
                 log-mel RMSE of the reconstruction: {:.2} dB",
                r.split,
                r.nll,
                x.clips,
                "",
                "spec. conv.",
                "LSD",
                "true mel (ceiling)",
                x.ceiling.spectral_convergence,
                x.ceiling.log_spectral_distance,
                "autoencoder",
                x.autoencoder.spectral_convergence,
                x.autoencoder.log_spectral_distance,
                x.mel_rmse_db
            );
            return;
        }
        if let Some(m) = &r.arrangement {
            println!(
                "{} split: {} phrases of four bars written, beside as many real ones of {of}\n\
                 written:\n{}real:\n{}\
                 mean gap of the metrics: {:.4} (0 = the same); distinct phrases written: {:.0} %",
                r.split,
                m.phrases,
                euterpe_metrics::musegan::format_gan_table(&m.written),
                euterpe_metrics::musegan::format_gan_table(&m.real),
                m.distance,
                100.0 * m.distinct
            );
            return;
        }
        if let Some(m) = &r.melody {
            println!(
                "{} split: a bar written for each of {} contexts (chord and previous bar) of {of}\n\
                 {:<30} {:>9} {:>9}\n\
                 {:<30} {:>9.3} {:>9.3}\n\
                 {:<30} {:>9.2} {:>9.2}\n\
                 {:<30} {:>9.3} {:>9.3}\n\
                 {:<30} {:>9.3} {:>9.3}\n\
                 bar-statistics distance to the real bars: {:.4} (0 = same, 1 = disjoint)",
                r.split,
                m.bars,
                "",
                "written",
                "real",
                "onsets on chord tones",
                m.chord_tones[0],
                m.chord_tones[1],
                "onsets per bar",
                m.onsets_per_bar[0],
                m.onsets_per_bar[1],
                "distinct bars",
                m.distinct[0],
                m.distinct[1],
                "steps and repeats (≤ 2 semitones)",
                m.stepwise[0],
                m.stepwise[1],
                m.distance
            );
            return;
        }
        if let Some(b) = &r.baselines {
            println!(
                "{} split: MSE {:.4} per value (standardised){over} of {of}\n\
                 baselines: repeat the last frame {:.4}, the training mean {:.4}",
                r.split, r.nll, b.repeat_last, b.training_mean
            );
            return;
        }
        print!(
            "{} split: NLL {:.4} nats per {}{over} of {of}",
            r.split, r.nll, r.unit
        );
        if let (None, Some(acc)) = (r.perplexity, r.accuracy) {
            print!(", accuracy {:.1}% per {}", acc * 100.0, r.unit);
        }
        if let (Some(p), Some(acc)) = (r.perplexity, r.accuracy) {
            print!(", perplexity {p:.3}, accuracy {:.1}%", acc * 100.0);
        }
        println!();
        if let Some(c) = &r.classification {
            print_class_report(c);
        }
    })
}

/// The piece-level figures of a classifier, with its confusion matrix.
fn print_class_report(c: &euterpe_classify::ClassReport) {
    print!(
        "{} pieces: accuracy {:.3}, balanced accuracy {:.3}, macro-F1 {:.3}",
        c.pieces, c.accuracy, c.balanced_accuracy, c.macro_f1
    );
    if let (Some(a), Some(v)) = (c.arousal_accuracy, c.valence_accuracy) {
        print!(", arousal {a:.3}, valence {v:.3}");
    }
    println!("\nconfusion (rows: true class, columns: predicted)");
    super::print_confusion(&c.classes, &c.classes, &c.confusion, &[]);
}
