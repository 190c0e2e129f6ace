//! A classifier from the model store, applied to pieces, files and folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use euterpe_audio::Audio;
use euterpe_data::batch::ClassWindows;
use euterpe_data::AudioBatch;
use euterpe_data::{Corpus, CorpusOptions};
use euterpe_models::ModelBackend;
use euterpe_music::tokens::Token;
use euterpe_music::Score;
use euterpe_store::{AnyClassifier, LoadedAudioClassifier, LoadedClassifier, ModelSource};
use serde::Serialize;

use crate::figures::{argmax, clip_log_probs, piece_probabilities, window_log_probs};
use crate::ClassifyError;

/// Windows classified in one forward pass.
const BATCH: usize = 16;

/// A loaded classifier on a device.
pub struct Classifier<B: Backend> {
    /// How reports name the model.
    pub name: String,
    inner: AnyClassifier<B>,
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

impl ClassifyReport {
    /// Adds a file's classification, or its failure.
    fn record(&mut self, file: PathBuf, result: Result<Classification, ClassifyError>) {
        match result {
            Ok(classification) => self.pieces.push(PieceClass {
                file,
                classification,
            }),
            Err(e) => self.failed.push(FailedFile {
                file,
                error: e.to_string(),
            }),
        }
    }
}

impl<B: ModelBackend> Classifier<B> {
    /// Loads the classifier of `source` on `device`; a model of another kind is an error that
    /// names its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, ClassifyError> {
        let inner = source.load::<B>(&device)?.into_any_classifier("classify")?;
        Ok(Classifier {
            name: source.name(),
            inner,
            device,
        })
    }

    /// The class names, in output order.
    pub fn classes(&self) -> &[String] {
        match &self.inner {
            AnyClassifier::Tokens(c) => &c.classes,
            AnyClassifier::Audio(c) => &c.classes,
        }
    }

    /// Whether it judges recordings (an audio classifier) rather than pieces of music.
    pub fn judges_audio(&self) -> bool {
        matches!(self.inner, AnyClassifier::Audio(_))
    }

    /// The audio classifier, or an error saying that this one judges music.
    fn audio_classifier(&self) -> Result<&LoadedAudioClassifier<B>, ClassifyError> {
        match &self.inner {
            AnyClassifier::Audio(c) => Ok(c),
            AnyClassifier::Tokens(_) => Err(ClassifyError::WrongInput(format!(
                "{} classifies MIDI, not audio recordings",
                self.name
            ))),
        }
    }

    /// The token classifier, or an error saying that this one judges recordings.
    fn tokens(&self) -> Result<&LoadedClassifier<B>, ClassifyError> {
        match &self.inner {
            AnyClassifier::Tokens(c) => Ok(c),
            AnyClassifier::Audio(_) => Err(ClassifyError::WrongInput(format!(
                "{} classifies audio recordings, not MIDI",
                self.name
            ))),
        }
    }

    /// Classifies a score, read as the model's training data was.
    pub fn classify_score(&self, score: &Score) -> Result<Classification, ClassifyError> {
        let ids = self.tokens()?.tokenizer.encode(score)?;
        self.classify_tokens(&ids)
    }

    /// Classifies the token ids of one piece (in the model's vocabulary): the windows the model
    /// was trained on, their log-probabilities combined.
    pub fn classify_tokens(&self, ids: &[u32]) -> Result<Classification, ClassifyError> {
        let inner = self.tokens()?;
        if ids.is_empty() {
            return Err(ClassifyError::Empty("the piece has no tokens".into()));
        }
        let pad = inner.tokenizer.vocab().try_id(Token::Pad).unwrap_or(0);
        let steps = self.window(inner);
        let windows = ClassWindows::new([(0, ids, 0)], steps, pad);
        let batches = windows.batches(BATCH, None);
        let rows = window_log_probs(&inner.model, &batches, &self.device);
        Ok(combine(&inner.classes, &rows))
    }

    /// Classifies a recording: its clips, cut and analysed as the model's training recordings
    /// were, their log-probabilities combined.
    pub fn classify_recording(&self, path: &Path) -> Result<Classification, ClassifyError> {
        self.audio_classifier()?;
        let decoded = euterpe_audio::decode(path)?;
        self.classify_audio(&decoded.audio).map_err(|e| match e {
            ClassifyError::Empty(why) => ClassifyError::Empty(format!("{}: {why}", path.display())),
            other => other,
        })
    }

    /// Classifies a decoded signal (an upload), at any sample rate.
    pub fn classify_audio(&self, signal: &Audio) -> Result<Classification, ClassifyError> {
        let inner = self.audio_classifier()?;
        let audio = &inner.data.audio;
        let clips = audio.clips_of(signal)?;
        if clips.is_empty() {
            return Err(ClassifyError::Empty(format!(
                "shorter than one {} s clip",
                audio.clip_seconds
            )));
        }
        let width = audio.width();
        let frames = clips[0].len() / width.max(1);
        let batches: Vec<AudioBatch> = clips
            .chunks(BATCH)
            .map(|chunk| AudioBatch {
                batch: chunk.len(),
                frames,
                width,
                values: chunk.concat(),
                labels: vec![0; chunk.len()],
                mixed_labels: Vec::new(),
                mixed_shares: Vec::new(),
                conditions: vec![0; chunk.len()],
                recordings: vec![0; chunk.len()],
            })
            .collect();
        let rows = clip_log_probs(&inner.model, &batches, &self.device);
        Ok(combine(&inner.classes, &rows))
    }

    /// Classifies a MIDI file, or every MIDI file under a folder (recursively, hidden entries
    /// skipped). Files that cannot be read are reported, not fatal; a path that does not exist is
    /// an error.
    pub fn classify_path(&self, path: &Path) -> Result<ClassifyReport, ClassifyError> {
        if self.judges_audio() {
            return self.classify_recordings(path);
        }
        let corpus = Corpus::open(path, &CorpusOptions::default())?;
        let tokenizer = &self.tokens()?.tokenizer;
        let (encoded, failures) = corpus.map_scores(|_, score| tokenizer.encode(&score));
        let mut report = ClassifyReport {
            model: self.name.clone(),
            classes: self.classes().to_vec(),
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
            report.record(corpus.entries[i].path.clone(), self.classify_tokens(&ids));
        }
        report.failed.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(report)
    }

    /// Classifies an audio file, or every audio file under a folder; files that cannot be
    /// decoded are reported, not fatal.
    fn classify_recordings(&self, path: &Path) -> Result<ClassifyReport, ClassifyError> {
        let files = euterpe_audio::audio_files(path)
            .map_err(|e| ClassifyError::WrongInput(e.to_string()))?;
        let mut report = ClassifyReport {
            model: self.name.clone(),
            classes: self.classes().to_vec(),
            pieces: Vec::with_capacity(files.len()),
            failed: Vec::new(),
        };
        for file in files {
            let result = self.classify_recording(&file);
            report.record(file, result);
        }
        Ok(report)
    }

    /// The window length the model was trained on, capped by what its core accepts.
    fn window(&self, inner: &LoadedClassifier<B>) -> usize {
        let steps = inner.data.seq_len;
        inner.model.max_len().map_or(steps, |m| steps.min(m))
    }
}

/// The classification of one piece from the log-probabilities of its windows or clips.
fn combine(classes: &[String], rows: &[Vec<f32>]) -> Classification {
    let mut sums = vec![0.0; classes.len()];
    for row in rows {
        for (s, &lp) in sums.iter_mut().zip(row) {
            *s += lp as f64;
        }
    }
    let p = piece_probabilities(&sums, rows.len());
    Classification {
        class: classes[argmax(&p)].clone(),
        probabilities: classes.iter().cloned().zip(p).collect(),
    }
}
