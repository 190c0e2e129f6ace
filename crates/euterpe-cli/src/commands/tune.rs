//! `euterpe tune`: hyperparameter search (grid, random, TPE) with pruning, into a study store.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use euterpe_models::backend::DeviceSpec;
use euterpe_tune::report::{report, StudyReport};
use euterpe_tune::sampler::Method;
use euterpe_tune::space::Params;
use euterpe_tune::store::Store;
use euterpe_tune::study::{run_study, TuneObserver, TuneOptions};
use euterpe_tune::trial::Trial;

use super::print_report;

/// The search methods by name.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Every combination of the choices (and --grid-points values per range).
    Grid,
    /// Independent random draws.
    Random,
    /// The tree-structured Parzen estimator (Optuna's defaults).
    Tpe,
}

/// Arguments of `tune`.
#[derive(Args)]
pub struct TuneArgs {
    /// The study's name (its trials go to runs/tune/NAME/trial-NNN unless --dir is given).
    #[arg(long)]
    study: String,
    /// Print the study's report (best trial, all trials, importance, plots) instead of searching.
    #[arg(long)]
    report: bool,
    /// The base training config.
    #[arg(long, required_unless_present = "report")]
    config: Option<PathBuf>,
    /// The search space (TOML: `optim.lr = { log_uniform = [1e-4, 1e-2] }`, …).
    #[arg(long, required_unless_present = "report")]
    space: Option<PathBuf>,
    /// The training data.
    #[arg(long, required_unless_present = "report")]
    data: Option<PathBuf>,
    /// The study store (default sqlite:DIR/study.db, DIR as --dir gives it).
    #[arg(long)]
    storage: Option<String>,
    /// Where the trials' model directories go (default runs/tune/NAME, NAME as --study gives it).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// How to choose each trial's values.
    #[arg(long, value_enum, default_value = "tpe")]
    method: MethodArg,
    /// Values per continuous range of a grid.
    #[arg(long, default_value_t = 3)]
    grid_points: usize,
    /// Trials the study should hold when done (a resumed study continues towards it).
    #[arg(long, default_value_t = 20)]
    trials: usize,
    /// Trials trained at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Seconds after which no new trial starts.
    #[arg(long)]
    timeout: Option<u64>,
    /// The samplers' seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train every trial to its end (no median pruning).
    #[arg(long)]
    no_prune: bool,
    /// Where trials train: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the summary or report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Prints a line per trial.
struct Progress;

impl TuneObserver for Progress {
    fn trial_started(&self, number: usize, params: &Params) {
        eprintln!("trial {number:>3} started: {}", format_params(params));
    }

    fn trial_finished(&self, t: &Trial, best: Option<f64>) {
        eprintln!(
            "trial {:>3} {:<8} value {:<10} {:>6.1} s{}   best so far {}",
            t.number,
            t.state.name(),
            t.value.map_or("—".into(), |v| format!("{v:.4}")),
            t.seconds,
            t.message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default(),
            best.map_or("—".into(), |v| format!("{v:.4}"))
        );
    }

    fn note(&self, message: &str) {
        eprintln!("{message}");
    }
}

fn format_params(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `tune`.
pub fn run(a: &TuneArgs) -> Result<()> {
    let options = TuneOptions {
        config: a.config.clone().unwrap_or_default(),
        space: a.space.clone().unwrap_or_default(),
        data: a.data.clone().unwrap_or_default(),
        study: a.study.clone(),
        storage: a.storage.clone(),
        dir: a.dir.clone(),
        method: match a.method {
            MethodArg::Grid => Method::Grid {
                points: a.grid_points,
            },
            MethodArg::Random => Method::Random,
            MethodArg::Tpe => Method::Tpe,
        },
        trials: a.trials,
        jobs: a.jobs,
        timeout: a.timeout.map(Duration::from_secs),
        seed: a.seed,
        prune: !a.no_prune,
        device: a.device,
    };
    if a.report {
        let store = Store::open(&options.storage_url())?;
        let r = report(&store, &a.study)?;
        return print_report(&r, a.json, print_study);
    }
    let summary = run_study(&options, &Progress)?;
    print_report(&summary, a.json, |s| {
        println!(
            "study {}: {} trials ({} run now); best {} (trial {}); report: euterpe tune --report --study {}{}",
            s.study,
            s.trials,
            s.ran,
            s.best_value.map_or("—".into(), |v| format!("{v:.4}")),
            s.best_trial.map_or("—".into(), |n| n.to_string()),
            s.study,
            a.storage
                .as_deref()
                .map(|u| format!(" --storage {u}"))
                .unwrap_or_default()
        )
    })?;
    if summary.best_trial.is_none() {
        bail!("no trial of study {} completed", summary.study);
    }
    Ok(())
}

fn print_study(r: &StudyReport) {
    println!(
        "study {} ({}, {}): {} complete, {} pruned, {} failed, {} running; {:.0} s of training",
        r.study,
        r.storage,
        r.direction.name(),
        r.complete,
        r.pruned,
        r.failed,
        r.running,
        r.seconds
    );
    if let Some(b) = &r.best {
        println!(
            "best: trial {} value {:.4}: {}\n      model {}, config {}",
            b.number,
            b.value,
            format_params(&b.params),
            b.model.display(),
            b.config.display()
        );
    }
    if r.pruned > 0 {
        println!(
            "pruning saved {} epochs (about {:.0} s)",
            r.pruning_saved_epochs, r.pruning_saved_seconds
        );
    }
    println!("\ntrial  state     value       seconds  parameters");
    for t in &r.trials {
        println!(
            "{:>5}  {:<8}  {:<10}  {:>7.1}  {}",
            t.number,
            t.state.name(),
            t.value.map_or("—".into(), |v| format!("{v:.4}")),
            t.seconds,
            format_params(&t.params)
        );
    }
    if !r.importance.is_empty() {
        println!("\nimportance (share of the objective's variance):");
        for i in &r.importance {
            println!("  {:<32} {:.2}", i.key, i.share);
        }
    }
    for p in &r.plots {
        println!("plot: {}", p.display());
    }
}
