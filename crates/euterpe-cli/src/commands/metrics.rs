//! `euterpe metrics`: MusPy/mgeval music-quality metrics of a set of MIDI files, optionally against
//! a reference set.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use euterpe_data::{Corpus, CorpusOptions, Failure};
use euterpe_metrics::{compare, format_comparison_table, format_table, PieceMetrics, SetSummary};

use super::print_json;

/// Arguments of `metrics`.
#[derive(Args)]
pub struct MetricsArgs {
    /// A MIDI file or a folder of MIDI files (searched recursively): the set to measure.
    path: PathBuf,
    /// A reference MIDI file or folder: adds the overlap area and KL divergence between the two
    /// sets' distributions of every metric (Yang & Lerch 2018).
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
    /// With --json, also list every piece's metrics.
    #[arg(long)]
    per_piece: bool,
}

/// The metrics of one set of files, and the files that could not be read.
struct MeasuredSet {
    ids: Vec<String>,
    pieces: Vec<PieceMetrics>,
    failures: Vec<Failure>,
}

fn measure(path: &Path) -> Result<MeasuredSet> {
    let corpus = Corpus::open(path, &CorpusOptions::default())?;
    if corpus.is_empty() {
        bail!("{}: no MIDI files (.mid, .midi) found", path.display());
    }
    let (measured, failures) = corpus.map_scores(|_, score| Ok(PieceMetrics::compute(&score)));
    if measured.is_empty() {
        bail!(
            "{}: none of the {} MIDI files could be read (first: {}: {})",
            path.display(),
            corpus.len(),
            failures[0].path.display(),
            failures[0].reason
        );
    }
    let (ids, pieces) = measured
        .into_iter()
        .map(|(i, m)| (corpus.entries[i].id.clone(), m))
        .unzip();
    Ok(MeasuredSet {
        ids,
        pieces,
        failures,
    })
}

fn report_failures(set: &MeasuredSet) {
    for f in &set.failures {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
}

/// Runs `metrics`.
pub fn run(a: &MetricsArgs) -> Result<()> {
    let set = measure(&a.path)?;
    let reference = a.reference.as_deref().map(measure).transpose()?;
    report_failures(&set);
    if let Some(r) = &reference {
        report_failures(r);
    }
    if a.json {
        let per_piece = a.per_piece.then(|| {
            set.ids
                .iter()
                .zip(&set.pieces)
                .map(|(id, m)| serde_json::json!({"id": id, "metrics": m}))
                .collect::<Vec<_>>()
        });
        let mut out = serde_json::json!({
            "path": a.path,
            "failures": set.failures,
            "summary": SetSummary::from_pieces(&set.pieces),
        });
        if let Some(p) = per_piece {
            out["pieces"] = serde_json::Value::Array(p);
        }
        if let Some(r) = &reference {
            let c = compare(&set.pieces, &r.pieces);
            out["reference"] = serde_json::json!({
                "path": a.reference,
                "failures": r.failures,
                "mean_overlap_area": c.mean_overlap_area(),
                "comparison": c,
            });
        }
        return print_json(&out);
    }
    match &reference {
        Some(r) => {
            let c = compare(&set.pieces, &r.pieces);
            print!("{}", format_comparison_table(&c));
        }
        None => print!("{}", format_table(&SetSummary::from_pieces(&set.pieces))),
    }
    Ok(())
}
