//! A classifier from the model store, applied to pieces, files and folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use euterpe_data::batch::ClassWindows;
use euterpe_data::{Corpus, CorpusOptions};
use euterpe_models::ModelBackend;
use euterpe_music::tokens::Token;
use euterpe_music::Score;
use euterpe_store::{LoadedClassifier, ModelSource};
use serde::Serialize;

use crate::figures::{argmax, piece_probabilities, window_log_probs};
use crate::ClassifyError;

/// Windows classified in one forward pass.
const BATCH: usize = 16;

/// A loaded classifier on a device.
pub struct Classifier<B: Backend> {
    /// How reports name the model.
    pub name: String,
    inner: LoadedClassifier<B>,
    device: B::Device,
}

/// The class of one piece, with the probability of every class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// The most probable class.
    pub class: String,
    /// Every class's probability (they sum to 1).
    pub probabilities: BTreeMap<String, f64>,
}

/// One classified file.
#[derive(Debug, Clone, Serialize)]
pub struct PieceClass {
    /// The file, as found under the path given.
    pub file: PathBuf,
    /// Its class and the probabilities.
    #[serde(flatten)]
    pub classification: Classification,
}

/// A file that could not be classified, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FailedFile {
    /// The file.
    pub file: PathBuf,
    /// Why.
    pub error: String,
}

/// What classifying a file or a folder found.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifyReport {
    /// The model.
    pub model: String,
    /// Its classes, in output order.
    pub classes: Vec<String>,
    /// The classified files, in path order.
    pub pieces: Vec<PieceClass>,
    /// The files that could not be read or encoded.
    pub failed: Vec<FailedFile>,
}

impl<B: ModelBackend> Classifier<B> {
    /// Loads the classifier of `source` on `device`; a model of another kind is an error that
    /// names its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, ClassifyError> {
        let inner = source.load::<B>(&device)?.into_classifier("classify")?;
        Ok(Classifier {
            name: source.name(),
            inner,
            device,
        })
    }

    /// The class names, in output order.
    pub fn classes(&self) -> &[String] {
        &self.inner.classes
    }

    /// Classifies a score, read as the model's training data was.
    pub fn classify_score(&self, score: &Score) -> Result<Classification, ClassifyError> {
        let ids = self.inner.tokenizer.encode(score)?;
        self.classify_tokens(&ids)
    }

    /// Classifies the token ids of one piece (in the model's vocabulary): the windows the model
    /// was trained on, their log-probabilities combined.
    pub fn classify_tokens(&self, ids: &[u32]) -> Result<Classification, ClassifyError> {
        if ids.is_empty() {
            return Err(ClassifyError::Empty("the piece has no tokens".into()));
        }
        let pad = self.inner.tokenizer.vocab().try_id(Token::Pad).unwrap_or(0);
        let steps = self.window();
        let windows = ClassWindows::new([(0, ids, 0)], steps, pad);
        let batches = windows.batches(BATCH, None);
        let rows = window_log_probs(&self.inner.model, &batches, &self.device);
        let mut sums = vec![0.0; self.inner.classes.len()];
        for row in &rows {
            for (s, &lp) in sums.iter_mut().zip(row) {
                *s += lp as f64;
            }
        }
        let p = piece_probabilities(&sums, rows.len());
        Ok(Classification {
            class: self.inner.classes[argmax(&p)].clone(),
            probabilities: self.inner.classes.iter().cloned().zip(p).collect(),
        })
    }

    /// Classifies a MIDI file, or every MIDI file under a folder (recursively, hidden entries
    /// skipped). Files that cannot be read are reported, not fatal; a path that does not exist is
    /// an error.
    pub fn classify_path(&self, path: &Path) -> Result<ClassifyReport, ClassifyError> {
        let corpus = Corpus::open(path, &CorpusOptions::default())?;
        let tokenizer = &self.inner.tokenizer;
        let (encoded, failures) = corpus.map_scores(|_, score| tokenizer.encode(&score));
        let mut report = ClassifyReport {
            model: self.name.clone(),
            classes: self.inner.classes.clone(),
            pieces: Vec::with_capacity(encoded.len()),
            failed: failures
                .into_iter()
                .map(|f| FailedFile {
                    file: f.path,
                    error: f.reason,
                })
                .collect(),
        };
        for (i, ids) in encoded {
            let file = corpus.entries[i].path.clone();
            match self.classify_tokens(&ids) {
                Ok(classification) => report.pieces.push(PieceClass {
                    file,
                    classification,
                }),
                Err(e) => report.failed.push(FailedFile {
                    file,
                    error: e.to_string(),
                }),
            }
        }
        report.failed.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(report)
    }

    /// The window length the model was trained on, capped by what its core accepts.
    fn window(&self) -> usize {
        let steps = self.inner.data.seq_len;
        self.inner.model.max_len().map_or(steps, |m| steps.min(m))
    }
}
