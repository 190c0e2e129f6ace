//! Per-epoch metrics: `metrics.jsonl` and the training-curve plot.

use std::io::Write;
use std::path::Path;

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch, 1-based.
    pub epoch: usize,
    /// Optimiser steps so far.
    pub step: usize,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Mean training NLL per unit (token or frame), nats.
    pub train_nll: f64,
    /// Mean validation NLL per unit, nats.
    pub valid_nll: f64,
    /// exp(valid_nll) for token models (per-token perplexity).
    pub valid_perplexity: Option<f64>,
    /// Next-token accuracy on validation (token models).
    pub valid_accuracy: Option<f64>,
    /// Seconds this epoch took (training and validation).
    pub seconds: f64,
    /// Whether this epoch's model is the best so far.
    pub best: bool,
    /// Trainable parameter values this epoch, when fine-tuning froze some of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainable: Option<usize>,
    /// A kind's own figures of the epoch (a GAN's generator and critic losses and scores).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra: std::collections::BTreeMap<String, f64>,
}

/// Appends one line to `metrics.jsonl`.
pub fn append(path: &Path, m: &EpochMetrics) -> Result<(), TrainError> {
    let line = serde_json::to_string(m).expect("metrics serialise");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TrainError::io(path, e))?;
    writeln!(f, "{line}").map_err(|e| TrainError::io(path, e))
}

/// Reads `metrics.jsonl`, keeping epochs up to `last_epoch` (lines written after the last
/// checkpoint of an interrupted run are dropped).
pub fn read(path: &Path, last_epoch: usize) -> Result<Vec<EpochMetrics>, TrainError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TrainError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<EpochMetrics>(l).ok())
        .filter(|m| m.epoch <= last_epoch)
        .collect())
}

/// Rewrites `metrics.jsonl` with exactly these epochs.
pub fn rewrite(path: &Path, metrics: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut text = String::new();
    for m in metrics {
        text.push_str(&serde_json::to_string(m).expect("metrics serialise"));
        text.push('\n');
    }
    euterpe_base::write_atomically(path, |w| w.write_all(text.as_bytes()))?;
    Ok(())
}

/// Draws training and validation loss per epoch as an SVG; `loss` names it ("NLL (nats)").
pub fn plot(
    path: &Path,
    metrics: &[EpochMetrics],
    unit: &str,
    loss: &str,
) -> Result<(), TrainError> {
    if metrics.is_empty() {
        return Ok(());
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        draw(&root, metrics, unit, loss)
            .map_err(|e| TrainError::Unusable(format!("plotting failed: {e}")))?;
        root.present()
            .map_err(|e| TrainError::Unusable(format!("plotting failed: {e}")))?;
    }
    euterpe_base::write_atomically(path, |w| w.write_all(svg.as_bytes()))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    metrics: &[EpochMetrics],
    unit: &str,
    loss: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let values = metrics
        .iter()
        .flat_map(|m| [m.train_nll, m.valid_nll])
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let last = metrics.last().map_or(1, |m| m.epoch).max(2);
    let mut chart = ChartBuilder::on(root)
        .caption("training curve", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(1f64..last as f64, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(format!("{loss} per {unit}"))
        .draw()?;
    let series = |f: fn(&EpochMetrics) -> f64| {
        metrics
            .iter()
            .map(move |m| (m.epoch as f64, f(m)))
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(LineSeries::new(series(|m| m.train_nll), &BLUE))?
        .label("train")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE));
    chart
        .draw_series(LineSeries::new(series(|m| m.valid_nll), &RED))?
        .label("valid")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    Ok(())
}
