//! Plain-text tables for the command line.

use std::fmt::Write;

use crate::{Comparison, SetSummary};

const NAME_WIDTH: usize = 22;

/// A number in a 10-character column; `-` when undefined.
fn cell(value: Option<f64>) -> String {
    match value {
        Some(v) if v.abs() >= 1e5 => format!("{v:>10.3e}"),
        Some(v) => format!("{v:>10.4}"),
        None => format!("{:>10}", "-"),
    }
}

/// One line per metric: how many pieces define it, then mean, standard deviation, minimum and
/// maximum.
pub fn format_table(summary: &SetSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} pieces", summary.pieces);
    let _ = writeln!(
        out,
        "{:<NAME_WIDTH$} {:>6} {:>10} {:>10} {:>10} {:>10}",
        "metric", "n", "mean", "std", "min", "max"
    );
    for s in &summary.metrics {
        let _ = writeln!(
            out,
            "{:<NAME_WIDTH$} {:>6} {} {} {} {}",
            s.metric.name(),
            s.count,
            cell(s.mean),
            cell(s.std),
            cell(s.min),
            cell(s.max)
        );
    }
    out
}

/// One line per metric: mean and standard deviation of the generated and the reference set, the
/// overlap area and `KL(ref‖gen)`; the last line is the mean overlap area.
pub fn format_comparison_table(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} generated pieces, {} reference pieces",
        comparison.generated_pieces, comparison.reference_pieces
    );
    let _ = writeln!(
        out,
        "{:<NAME_WIDTH$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "metric", "gen mean", "gen std", "ref mean", "ref std", "overlap", "KL(r||g)"
    );
    for c in &comparison.metrics {
        let _ = writeln!(
            out,
            "{:<NAME_WIDTH$} {} {} {} {} {} {}",
            c.metric.name(),
            cell(c.generated.mean),
            cell(c.generated.std),
            cell(c.reference.mean),
            cell(c.reference.std),
            cell(c.overlap_area()),
            cell(c.kl_divergence())
        );
    }
    let _ = writeln!(
        out,
        "{:<NAME_WIDTH$} {:>54} {}",
        "mean overlap area",
        "",
        cell(comparison.mean_overlap_area())
    );
    out
}
