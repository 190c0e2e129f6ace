//! The metrics of a set of MIDI files on disk, optionally against a reference set: what
//! `euterpe metrics` reports.

use std::path::{Path, PathBuf};

use euterpe_data::{Corpus, CorpusOptions, Failure, Progress, Split};
use euterpe_music::tokens::View;
use euterpe_music::{Note, Score, TempoChange, TimeSignature, Track};
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

/// Which pieces of a set are measured, and how each is read.
#[derive(Debug, Clone, Default)]
pub struct MeasureOptions {
    /// What of each file is measured (default: all of it; [`View::Melody`]: its melody track).
    pub view: View,
    /// Only the pieces of this split of a folder (the seeded hash of each piece's path, as
    /// `euterpe train` splits it; default: every piece).
    pub split: Option<Split>,
    /// Seed of that split hash (a training config's `data.split_seed`).
    pub split_seed: u64,
    /// Measure each piece as consecutive excerpts of this many beats, from the bar of four
    /// beats holding its first note (a shorter tail is dropped, unless it is the whole piece):
    /// so that a corpus of whole songs compares fairly with generated pieces of that length.
    pub excerpt_beats: Option<u32>,
    /// Told as files are parsed.
    pub progress: Option<Progress>,
}

/// Measures a MIDI file or every MIDI file under a folder (in parallel), as `options` say.
/// Unreadable files are skipped and listed; a set with no readable file is an error.
pub fn measure_path(path: &Path, options: &MeasureOptions) -> Result<MeasuredSet, MetricsError> {
    let corpus_options = CorpusOptions {
        progress: options.progress.clone(),
        seed: options.split_seed,
        ..CorpusOptions::default()
    };
    let mut corpus =
        Corpus::open(path, &corpus_options).map_err(|e| MetricsError::Set(e.to_string()))?;
    if let Some(split) = options.split {
        corpus.entries.retain(|e| e.split == split);
    }
    if corpus.is_empty() {
        let which = options
            .split
            .map(|s| format!(" of the {s} split"))
            .unwrap_or_default();
        return Err(MetricsError::Set(format!(
            "{}: no MIDI files (.mid, .midi){which} found",
            path.display()
        )));
    }
    let (measured, failures) = corpus.map_scores(|_, score| {
        let seen = options.view.apply(&score);
        Ok(match options.excerpt_beats {
            Some(beats) => excerpts(&seen, beats)
                .iter()
                .map(PieceMetrics::compute)
                .collect(),
            None => vec![PieceMetrics::compute(&seen)],
        })
    });
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
        .flat_map(|(i, ms)| {
            let id = &corpus.entries[i].id;
            let single = ms.len() == 1 && options.excerpt_beats.is_none();
            ms.into_iter().enumerate().map(move |(k, m)| {
                let id = if single {
                    id.clone()
                } else {
                    format!("{id}#{k}")
                };
                (id, m)
            })
        })
        .unzip();
    Ok(MeasuredSet {
        path: path.to_path_buf(),
        ids,
        pieces,
        failures,
    })
}

/// The score cut into excerpts of `beats` beats from the four-beat bar of its first note
/// (see [`MeasureOptions::excerpt_beats`]); none for a score without notes.
pub fn excerpts(score: &Score, beats: u32) -> Vec<Score> {
    let notes = score.tracks.iter().flat_map(|t| t.notes.iter());
    let Some(first) = notes.map(|n| n.onset).min() else {
        return Vec::new();
    };
    let tpb = score.ticks_per_beat as u64;
    let bar = 4 * tpb;
    let start = first / bar * bar;
    let length = beats.max(1) as u64 * tpb;
    let count = ((score.end_tick() - start) / length).max(1);
    (0..count)
        .map(|k| excerpt(score, start + k * length, start + (k + 1) * length))
        .filter(|s| s.note_count() > 0)
        .collect()
}

/// The changes (sorted by tick) in force over `[from, to)`: the last at or before `from`, then
/// those after it.
fn window<T: Copy>(changes: &[T], tick: impl Fn(&T) -> u64, from: u64, to: u64) -> Vec<T> {
    let first = changes.iter().rposition(|c| tick(c) <= from).unwrap_or(0);
    changes[first..]
        .iter()
        .filter(|c| tick(c) < to)
        .copied()
        .collect()
}

/// The notes of `score` with onsets in `[from, to)`, moved to start at 0 and cut at `to`.
fn excerpt(score: &Score, from: u64, to: u64) -> Score {
    let mut out = Score::new(score.ticks_per_beat);
    out.tempos = window(&score.tempos, |t| t.tick, from, to)
        .into_iter()
        .map(|t| TempoChange {
            tick: t.tick.saturating_sub(from),
            ..t
        })
        .collect();
    out.time_signatures = window(&score.time_signatures, |t| t.tick, from, to)
        .into_iter()
        .map(|t| TimeSignature {
            tick: t.tick.saturating_sub(from),
            ..t
        })
        .collect();
    out.tracks = score
        .tracks
        .iter()
        .map(|t| Track {
            notes: t
                .notes
                .iter()
                .filter(|n| (from..to).contains(&n.onset))
                .map(|n| Note {
                    onset: n.onset - from,
                    duration: n.duration.min(to - n.onset),
                    ..*n
                })
                .collect(),
            ..t.clone()
        })
        .filter(|t| !t.notes.is_empty())
        .collect();
    out
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
