//! The metrics of a set of MIDI files on disk, optionally against a reference set: what
//! `euterpe metrics` reports.

use std::path::{Path, PathBuf};

use euterpe_data::{Corpus, CorpusOptions, Failure, Progress};
use serde::Serialize;

use crate::{compare, Comparison, MetricsError, PieceMetrics, SetSummary};

/// The metrics of every readable file of a set.
#[derive(Debug, Clone)]
pub struct MeasuredSet {
    /// The file or folder measured.
    pub path: PathBuf,
    /// Piece ids (paths relative to the folder), in corpus order.
    pub ids: Vec<String>,
    /// Their metrics.
    pub pieces: Vec<PieceMetrics>,
    /// Files that could not be read, with the reason.
    pub failures: Vec<Failure>,
}

/// Measures a MIDI file or every MIDI file under a folder (in parallel). Unreadable files are
/// skipped and listed; a set with no readable file is an error.
pub fn measure_path(path: &Path, progress: Option<Progress>) -> Result<MeasuredSet, MetricsError> {
    let options = CorpusOptions {
        progress,
        ..CorpusOptions::default()
    };
    let corpus = Corpus::open(path, &options).map_err(|e| MetricsError::Set(e.to_string()))?;
    if corpus.is_empty() {
        return Err(MetricsError::Set(format!(
            "{}: no MIDI files (.mid, .midi) found",
            path.display()
        )));
    }
    let (measured, failures) = corpus.map_scores(|_, score| Ok(PieceMetrics::compute(&score)));
    if measured.is_empty() {
        return Err(MetricsError::Set(format!(
            "{}: none of the {} MIDI files could be read (first: {}: {})",
            path.display(),
            corpus.len(),
            failures[0].path.display(),
            failures[0].reason
        )));
    }
    let (ids, pieces) = measured
        .into_iter()
        .map(|(i, m)| (corpus.entries[i].id.clone(), m))
        .unzip();
    Ok(MeasuredSet {
        path: path.to_path_buf(),
        ids,
        pieces,
        failures,
    })
}

/// One piece's metrics, by id.
#[derive(Debug, Clone, Serialize)]
pub struct PieceReport {
    /// The piece's id.
    pub id: String,
    /// Its metrics.
    pub metrics: PieceMetrics,
}

/// The set against a reference set.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    /// The reference file or folder.
    pub path: PathBuf,
    /// Its files that could not be read.
    pub failures: Vec<Failure>,
    /// The mean overlap area of the two sets' distributions over every metric.
    pub mean_overlap_area: Option<f64>,
    /// Per metric: both sets' statistics, overlap area and KL divergence.
    pub comparison: Comparison,
}

/// What `euterpe metrics` reports.
#[derive(Debug, Clone, Serialize)]
pub struct MetricsReport {
    /// The file or folder measured.
    pub path: PathBuf,
    /// Its files that could not be read.
    pub failures: Vec<Failure>,
    /// Statistics of every metric over the set.
    pub summary: SetSummary,
    /// Every piece's metrics, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pieces: Option<Vec<PieceReport>>,
    /// The comparison with a reference set, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceReport>,
}

impl MetricsReport {
    /// The report of `set`, with every piece if `per_piece`, against `reference` if given.
    pub fn new(set: MeasuredSet, reference: Option<MeasuredSet>, per_piece: bool) -> Self {
        let reference = reference.map(|r| {
            let comparison = compare(&set.pieces, &r.pieces);
            ReferenceReport {
                path: r.path,
                failures: r.failures,
                mean_overlap_area: comparison.mean_overlap_area(),
                comparison,
            }
        });
        let summary = SetSummary::from_pieces(&set.pieces);
        let pieces = per_piece.then(|| {
            set.ids
                .into_iter()
                .zip(set.pieces)
                .map(|(id, metrics)| PieceReport { id, metrics })
                .collect()
        });
        MetricsReport {
            path: set.path,
            failures: set.failures,
            summary,
            pieces,
            reference,
        }
    }
}
