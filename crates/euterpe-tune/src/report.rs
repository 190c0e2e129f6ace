//! A study's report: the best trial and its ready config, every trial, what pruning saved, which
//! parameters matter, and two plots (optimisation history, parameter importance).

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::Serialize;

use crate::space::{Distribution, Params, SearchSpace};
use crate::store::Store;
use crate::study::{best_trial, trial_config, trial_dir};
use crate::trial::{Direction, Trial, TrialState};
use crate::TuneError;

/// The best trial.
#[derive(Debug, Clone, Serialize)]
pub struct BestTrial {
    /// Its number.
    pub number: usize,
    /// Its objective.
    pub value: f64,
    /// Its values.
    pub params: Params,
    /// Its model directory (usable by `eval` and `generate`).
    pub model: PathBuf,
    /// Its whole training config, written as TOML.
    pub config: PathBuf,
}

/// A parameter's share of the variance of the objective.
#[derive(Debug, Clone, Serialize)]
pub struct Importance {
    /// The config key.
    pub key: String,
    /// Its share, the shares summing to 1.
    pub share: f64,
}

/// A study's report.
#[derive(Debug, Clone, Serialize)]
pub struct StudyReport {
    /// The study.
    pub study: String,
    /// Its store.
    pub storage: String,
    /// Whether the objective is minimised or maximised.
    pub direction: Direction,
    /// Trials by state.
    pub complete: usize,
    /// Trials the pruner stopped.
    pub pruned: usize,
    /// Trials that failed (crashed, diverged, or lost with their worker).
    pub failed: usize,
    /// Trials still running.
    pub running: usize,
    /// The best trial.
    pub best: Option<BestTrial>,
    /// Training seconds of all trials.
    pub seconds: f64,
    /// Epochs the pruned trials did not train (against the longest complete trial), and the
    /// seconds that is at their own pace.
    pub pruning_saved_epochs: usize,
    /// Seconds saved by pruning, estimated.
    pub pruning_saved_seconds: f64,
    /// The parameters' importance, largest first.
    pub importance: Vec<Importance>,
    /// Every trial.
    pub trials: Vec<Trial>,
    /// The plots written.
    pub plots: Vec<PathBuf>,
}

/// The report of the study `name` in `store`; writes the best config and the plots into the
/// study's folder.
pub fn report(store: &Store, name: &str) -> Result<StudyReport, TuneError> {
    let study = store.load_study(name)?;
    let trials = store.trials(study.id)?;
    let direction = study.spec.direction;
    let dir = &study.spec.dir;
    let count = |s: TrialState| trials.iter().filter(|t| t.state == s).count();
    let best = match best_trial(&trials, direction) {
        Some(t) => {
            let path = dir.join("best.toml");
            let text = trial_config(&study.spec.config, &t.params).map_err(TuneError::Options)?;
            let header = format!(
                "# The best trial ({}) of study {:?}: value {}. Train it again with\n# euterpe train --config {} --data DATA --out DIR\n",
                t.number,
                name,
                t.value.unwrap_or(f64::NAN),
                path.display()
            );
            euterpe_base::write_atomically(&path, |w| {
                w.write_all(header.as_bytes())?;
                w.write_all(text.as_bytes())
            })?;
            Some(BestTrial {
                number: t.number,
                value: t.value.unwrap_or(f64::NAN),
                params: t.params.clone(),
                model: trial_dir(dir, t.number),
                config: path,
            })
        }
        None => None,
    };
    let (saved_epochs, saved_seconds) = pruning_savings(&trials);
    let importance = importance(&study.spec.space, &trials, direction);
    let mut plots = Vec::new();
    if !trials.is_empty() {
        let history = dir.join("history.svg");
        plot_history(&history, &trials, direction).map_err(TuneError::Options)?;
        plots.push(history);
    }
    if !importance.is_empty() {
        let path = dir.join("importance.svg");
        plot_importance(&path, &importance).map_err(TuneError::Options)?;
        plots.push(path);
    }
    Ok(StudyReport {
        study: name.to_string(),
        storage: store.url().to_string(),
        direction,
        complete: count(TrialState::Complete),
        pruned: count(TrialState::Pruned),
        failed: count(TrialState::Failed),
        running: count(TrialState::Running),
        best,
        seconds: trials.iter().map(|t| t.seconds).sum(),
        pruning_saved_epochs: saved_epochs,
        pruning_saved_seconds: saved_seconds,
        importance,
        trials,
        plots,
    })
}

/// Epochs the pruned trials skipped (against the longest complete trial's epochs) and those
/// epochs' seconds at each pruned trial's own pace.
fn pruning_savings(trials: &[Trial]) -> (usize, f64) {
    let full = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .map(|t| t.curve.len())
        .max()
        .unwrap_or(0);
    trials
        .iter()
        .filter(|t| t.state == TrialState::Pruned && !t.curve.is_empty())
        .fold((0, 0.0), |(e, s), t| {
            let skipped = full.saturating_sub(t.curve.len());
            (
                e + skipped,
                s + skipped as f64 * t.seconds / t.curve.len() as f64,
            )
        })
}

/// Each parameter's first-order share of the variance of the objective over the complete
/// trials (a one-way fANOVA: the variance of the objective's mean across a parameter's values,
/// numeric values grouped into quartiles, over the total variance), normalised to sum to 1.
pub fn importance(space: &SearchSpace, trials: &[Trial], direction: Direction) -> Vec<Importance> {
    let done: Vec<(&Params, f64)> = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .filter_map(|t| {
            t.value
                .filter(|v| v.is_finite())
                .map(|v| (&t.params, direction.as_loss(v)))
        })
        .collect();
    // Fewer trials say nothing about variance.
    if done.len() < 5 {
        return Vec::new();
    }
    let mut raw: Vec<(String, f64)> = space
        .parameters
        .iter()
        .map(|p| (p.key.clone(), main_effect(&p.distribution, &p.key, &done)))
        .collect();
    let total: f64 = raw.iter().map(|(_, v)| v).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    raw.sort_by(|a, b| b.1.total_cmp(&a.1));
    raw.into_iter()
        .map(|(key, v)| Importance {
            key,
            share: v / total,
        })
        .collect()
}

/// The between-group share of variance (η²) of the objective grouped by one parameter.
fn main_effect(d: &Distribution, key: &str, done: &[(&Params, f64)]) -> f64 {
    let points: Vec<(f64, f64)> = done
        .iter()
        .filter_map(|(p, v)| p.get(key).and_then(|x| d.internal_of(x)).map(|x| (x, *v)))
        .collect();
    if points.len() < 3 {
        return 0.0;
    }
    let group_of: Box<dyn Fn(f64) -> usize> = match d {
        Distribution::Choice(_) => Box::new(|x| x as usize),
        _ => {
            let mut xs: Vec<f64> = points.iter().map(|(x, _)| *x).collect();
            xs.sort_by(f64::total_cmp);
            let cuts: Vec<f64> = (1..4).map(|q| xs[q * (xs.len() - 1) / 4]).collect();
            Box::new(move |x| cuts.iter().filter(|c| x > **c).count())
        }
    };
    let mean = points.iter().map(|(_, v)| v).sum::<f64>() / points.len() as f64;
    let total: f64 = points.iter().map(|(_, v)| (v - mean).powi(2)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut groups: std::collections::BTreeMap<usize, (f64, usize)> = Default::default();
    for (x, v) in &points {
        let g = groups.entry(group_of(*x)).or_insert((0.0, 0));
        g.0 += v;
        g.1 += 1;
    }
    let between: f64 = groups
        .values()
        .map(|(s, n)| *n as f64 * (s / *n as f64 - mean).powi(2))
        .sum();
    between / total
}

fn plot_history(path: &Path, trials: &[Trial], direction: Direction) -> Result<(), String> {
    let values: Vec<(usize, f64)> = trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .filter_map(|t| t.value.filter(|v| v.is_finite()).map(|v| (t.number, v)))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        if !values.is_empty() {
            let (lo, hi) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, v)| {
                    (a.min(*v), b.max(*v))
                });
            let pad = ((hi - lo) * 0.05).max(1e-6);
            let last = trials.iter().map(|t| t.number).max().unwrap_or(1).max(1);
            let mut chart = ChartBuilder::on(&root)
                .caption("optimisation history", ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(64)
                .build_cartesian_2d(0f64..last as f64, (lo - pad)..(hi + pad))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("trial")
                .y_desc("objective")
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    values
                        .iter()
                        .map(|(n, v)| Circle::new((*n as f64, *v), 3, BLUE.filled())),
                )
                .map_err(|e| e.to_string())?
                .label("trial");
            let mut best = f64::NAN;
            let line: Vec<(f64, f64)> = values
                .iter()
                .map(|(n, v)| {
                    if best.is_nan() || direction.better(*v, best) {
                        best = *v;
                    }
                    (*n as f64, best)
                })
                .collect();
            chart
                .draw_series(LineSeries::new(line, &RED))
                .map_err(|e| e.to_string())?
                .label("best so far");
        }
        root.present().map_err(|e| e.to_string())?;
    }
    euterpe_base::write_atomically(path, |w| w.write_all(svg.as_bytes())).map_err(|e| e.to_string())
}

fn plot_importance(path: &Path, importance: &[Importance]) -> Result<(), String> {
    let mut svg = String::new();
    {
        let height = 80 + 32 * importance.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "parameter importance (share of variance)",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(180)
            .build_cartesian_2d(0f64..1f64, 0f64..importance.len() as f64)
            .map_err(|e| e.to_string())?;
        let names: Vec<String> = importance.iter().map(|i| i.key.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(importance.len())
            .y_label_formatter(&|y| {
                let i = *y as usize;
                names
                    .get(names.len().wrapping_sub(i + 1))
                    .cloned()
                    .unwrap_or_default()
            })
            .draw()
            .map_err(|e| e.to_string())?;
        let n = importance.len();
        chart
            .draw_series(importance.iter().enumerate().map(|(i, imp)| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y + 0.15), (imp.share, y + 0.85)], BLUE.filled())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    euterpe_base::write_atomically(path, |w| w.write_all(svg.as_bytes())).map_err(|e| e.to_string())
}
