//! Piece-level classification figures: a piece's class is the argmax of the summed
//! log-probabilities of its windows (see [`piece_probabilities`]); accuracy, balanced accuracy, macro-F1 and the confusion matrix
//! over pieces (and, for the four emotion quadrants, binary arousal and valence accuracy).

use std::collections::BTreeMap;

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use euterpe_data::batch::ClassBatch;
use euterpe_data::AudioBatch;
use euterpe_models::{AudioClassifier, ModelBackend, SequenceClassifier};
use serde::Serialize;

/// How a classifier does on whole pieces.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    /// The class names, in the order of the confusion matrix.
    pub classes: Vec<String>,
    /// Pieces classified.
    pub pieces: usize,
    /// Share of pieces whose predicted class is their class.
    pub accuracy: f64,
    /// The mean of the per-class recalls (what accuracy is on a balanced set).
    pub balanced_accuracy: f64,
    /// The mean of the per-class F1 scores.
    pub macro_f1: f64,
    /// Pieces of class `i` (row) predicted as class `j` (column).
    pub confusion: Vec<Vec<usize>>,
    /// For the four emotion quadrants: share of pieces whose predicted arousal (Q1, Q2 high;
    /// Q3, Q4 low) is right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arousal_accuracy: Option<f64>,
    /// For the four emotion quadrants: share of pieces whose predicted valence (Q1, Q4 positive;
    /// Q2, Q3 negative) is right.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valence_accuracy: Option<f64>,
}

/// The windows' log-probabilities of every piece: its class (as labelled), the sum over its
/// windows of each class's log-probability, and the number of windows.
pub type PieceScores = BTreeMap<usize, (u32, Vec<f64>, usize)>;

/// Class log-probabilities `[windows][classes]` of the windows of `batches`, in batch order.
pub fn window_log_probs<B: ModelBackend>(
    model: &SequenceClassifier<B>,
    batches: &[ClassBatch],
    device: &B::Device,
) -> Vec<Vec<f32>> {
    let classes = model.classes();
    let mut out = Vec::new();
    for b in batches {
        let ids: Vec<i64> = b.inputs.iter().map(|&x| x as i64).collect();
        let ids = Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [b.batch, b.steps]), device);
        let mask =
            Tensor::<B, 2>::from_data(TensorData::new(b.mask.clone(), [b.batch, b.steps]), device);
        out.extend(log_prob_rows(model.forward(ids, mask), classes));
    }
    out
}

/// The summed window log-probabilities of every piece of `batches`, with its labelled class.
pub fn piece_scores<B: ModelBackend>(
    model: &SequenceClassifier<B>,
    batches: &[ClassBatch],
    device: &B::Device,
) -> PieceScores {
    let classes = model.classes();
    let rows = window_log_probs(model, batches, device);
    let meta = batches
        .iter()
        .flat_map(|b| b.pieces.iter().copied().zip(b.labels.iter().copied()));
    sum_by_piece(meta, rows, classes)
}

/// The class log-probabilities of every text of `batches`, each text its own piece (numbered in
/// batch order), with its labelled class.
pub fn text_scores<B: Backend>(
    model: &euterpe_models::TextHead<B>,
    batches: &[euterpe_data::TextBatch],
    device: &B::Device,
) -> PieceScores {
    let classes = model.classes();
    let mut rows = Vec::new();
    for b in batches {
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(b.features.clone(), [b.batch, b.width]),
            device,
        );
        rows.extend(log_prob_rows(model.forward(x), classes));
    }
    let meta = batches
        .iter()
        .flat_map(|b| b.labels.iter().copied())
        .enumerate();
    sum_by_piece(meta, rows, classes)
}

/// Class log-probabilities of logits `[items, classes]`, one row per item.
fn log_prob_rows<B: Backend>(logits: Tensor<B, 2>, classes: usize) -> Vec<Vec<f32>> {
    let logp: Vec<f32> = log_softmax(logits, 1)
        .into_data()
        .to_vec()
        .unwrap_or_default();
    logp.chunks(classes.max(1)).map(<[f32]>::to_vec).collect()
}

/// The log-probability rows summed per piece: `meta` gives each row's piece and label.
fn sum_by_piece(
    meta: impl Iterator<Item = (usize, u32)>,
    rows: Vec<Vec<f32>>,
    classes: usize,
) -> PieceScores {
    let mut scores = PieceScores::new();
    for ((piece, label), logp) in meta.zip(rows) {
        let entry = scores
            .entry(piece)
            .or_insert((label, vec![0.0; classes], 0));
        for (sum, lp) in entry.1.iter_mut().zip(logp) {
            *sum += lp as f64;
        }
        entry.2 += 1;
    }
    scores
}

/// Class log-probabilities `[clips][classes]` of the audio clips of `batches`, in batch order.
pub fn clip_log_probs<B: Backend>(
    model: &AudioClassifier<B>,
    batches: &[AudioBatch],
    device: &B::Device,
) -> Vec<Vec<f32>> {
    let classes = model.classes();
    let mut out = Vec::new();
    for b in batches {
        let x = Tensor::<B, 3>::from_data(
            TensorData::new(b.values.clone(), [b.batch, b.frames, b.width]),
            device,
        );
        out.extend(log_prob_rows(model.forward(x), classes));
    }
    out
}

/// The summed clip log-probabilities of every recording of `batches`, with its labelled class:
/// a recording is judged by all its clips together.
pub fn recording_scores<B: Backend>(
    model: &AudioClassifier<B>,
    batches: &[AudioBatch],
    device: &B::Device,
) -> PieceScores {
    let classes = model.classes();
    let rows = clip_log_probs(model, batches, device);
    let meta = batches
        .iter()
        .flat_map(|b| b.recordings.iter().copied().zip(b.labels.iter().copied()));
    sum_by_piece(meta, rows, classes)
}

/// The distribution over classes of a piece whose windows' log-probabilities sum to `sums` over
/// `windows` windows: the normalised geometric mean of the windows' distributions. Its argmax is
/// that of the sums (the windows' joint evidence); averaging keeps a long piece from looking
/// certain only because it is long.
pub fn piece_probabilities(sums: &[f64], windows: usize) -> Vec<f64> {
    let mean: Vec<f64> = sums.iter().map(|s| s / windows.max(1) as f64).collect();
    let top = mean.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = mean.iter().map(|m| (m - top).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

impl ClassReport {
    /// The figures of pieces' true classes and summed log-probabilities.
    pub fn from_scores(classes: &[String], scores: &PieceScores) -> Self {
        let n = classes.len();
        let mut confusion = vec![vec![0usize; n]; n];
        for (truth, logp, _) in scores.values() {
            let predicted = argmax(logp);
            if let Some(row) = confusion.get_mut(*truth as usize) {
                row[predicted] += 1;
            }
        }
        let pieces = scores.len();
        let correct: usize = (0..n).map(|i| confusion[i][i]).sum();
        let recall = |i: usize| {
            let total: usize = confusion[i].iter().sum();
            (total > 0).then(|| confusion[i][i] as f64 / total as f64)
        };
        let precision = |i: usize| {
            let total: usize = confusion.iter().map(|r| r[i]).sum();
            (total > 0).then(|| confusion[i][i] as f64 / total as f64)
        };
        let present: Vec<usize> = (0..n).filter(|&i| recall(i).is_some()).collect();
        let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let balanced = mean(present.iter().filter_map(|&i| recall(i)).collect());
        let f1 = mean(
            present
                .iter()
                .map(|&i| match (precision(i), recall(i)) {
                    (Some(p), Some(r)) if p + r > 0.0 => 2.0 * p * r / (p + r),
                    _ => 0.0,
                })
                .collect(),
        );
        let quadrants = classes == ["Q1", "Q2", "Q3", "Q4"];
        // Q1 (0) and Q2 (1) are high arousal; Q1 (0) and Q4 (3) positive valence.
        let binary = |side: fn(usize) -> bool| {
            let right: usize = (0..n)
                .flat_map(|t| (0..n).map(move |p| (t, p)))
                .filter(|&(t, p)| side(t) == side(p))
                .map(|(t, p)| confusion[t][p])
                .sum();
            right as f64 / pieces.max(1) as f64
        };
        ClassReport {
            classes: classes.to_vec(),
            pieces,
            accuracy: correct as f64 / pieces.max(1) as f64,
            balanced_accuracy: balanced,
            macro_f1: f1,
            arousal_accuracy: quadrants.then(|| binary(|q| q < 2)),
            valence_accuracy: quadrants.then(|| binary(|q| q == 0 || q == 3)),
            confusion,
        }
    }
}

/// The index of the largest value (the first of equals; 0 for none).
pub fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_a_known_confusion() {
        let classes: Vec<String> = ["Q1", "Q2", "Q3", "Q4"].map(String::from).to_vec();
        // (truth, predicted): Q1→Q1, Q1→Q4, Q2→Q2, Q3→Q3, Q3→Q2, Q4→Q4.
        let pairs = [(0, 0), (0, 3), (1, 1), (2, 2), (2, 1), (3, 3)];
        let scores: PieceScores = pairs
            .iter()
            .enumerate()
            .map(|(i, &(t, p))| {
                let mut logp = vec![-5.0; 4];
                logp[p] = -0.1;
                (i, (t as u32, logp, 1))
            })
            .collect();
        let r = ClassReport::from_scores(&classes, &scores);
        assert_eq!(r.pieces, 6);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((r.balanced_accuracy - (0.5 + 1.0 + 0.5 + 1.0) / 4.0).abs() < 1e-12);
        assert_eq!(r.confusion[0], vec![1, 0, 0, 1]);
        // F1: Q1 p=1 r=.5 → .667; Q2 p=.5 r=1 → .667; Q3 p=1 r=.5 → .667; Q4 p=.5 r=1 → .667.
        assert!((r.macro_f1 - 2.0 / 3.0).abs() < 1e-9, "{}", r.macro_f1);
        // Arousal is wrong for Q1→Q4 (high→low) and Q3→Q2 (low→high); valence is right for
        // both (Q1, Q4 positive; Q2, Q3 negative).
        assert!((r.arousal_accuracy.unwrap() - 4.0 / 6.0).abs() < 1e-12);
        assert!((r.valence_accuracy.unwrap() - 1.0).abs() < 1e-12);
    }
}

#[cfg(test)]
mod probability_tests {
    use super::*;

    #[test]
    fn piece_probabilities_are_normalised_and_follow_the_sums() {
        let p = piece_probabilities(&[-2.0, -0.5, -6.0], 2);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(argmax(&p), 1);
        // One window: the window's own distribution.
        let q = piece_probabilities(&[0.3f64.ln(), 0.7f64.ln()], 1);
        assert!((q[0] - 0.3).abs() < 1e-12 && (q[1] - 0.7).abs() < 1e-12);
    }
}
