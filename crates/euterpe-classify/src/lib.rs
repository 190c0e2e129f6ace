//! Emotion and style recognition with euterpe's sequence classifiers.
//!
//! A [`Classifier`] holds a trained [`SequenceClassifier`](euterpe_models::SequenceClassifier)
//! from the model store (a directory written by `euterpe train` or a built-in model such as
//! `emotion`) with the tokenizer it was trained with. It reads a piece the way its training data
//! was read, cuts its tokens into the windows the model was trained on, and combines the windows'
//! log-probabilities into one distribution over the classes ([`Classification`]).
//! [`Classifier::classify_path`] does a MIDI file or a whole folder, skipping and reporting files
//! it cannot read ([`ClassifyReport`]).
//!
//! [`figures`] turns classified, labelled pieces into accuracy, balanced accuracy, macro-F1, the
//! confusion matrix and, for the four emotion quadrants, binary arousal and valence accuracy: what
//! `euterpe eval` reports for a classifier. [`control`] judges a conditioned generator: how often
//! the music it writes for an emotion or a style is recognised as such (`euterpe eval-control`).
//! This crate never links the trainer.

mod classifier;
pub mod control;
mod error;
pub mod figures;

pub use classifier::{Classification, Classifier, ClassifyReport, FailedFile, PieceClass};
pub use control::{ControlEvalOptions, ControlJudge, ControlReport};
pub use error::ClassifyError;
pub use figures::{piece_scores, recording_scores, text_scores, ClassReport, PieceScores};
