//! Words to numbers for the learned layer of text prompts.
//!
//! A prompt's words are looked up in static GloVe word vectors (Pennington et al. 2014; the 50-d
//! vectors of GloVe 6B, public domain, shipped in half precision under `models/text-encoder/`) and
//! in the VADER valence lexicon (Hutto & Gilbert 2014, MIT). [`TextEncoder::encode`] pools them
//! into one feature vector: the frequency-weighted mean of the word vectors (smooth inverse
//! frequency, Arora et al. 2017, so that "a", "the" and "piece" weigh little), then the mean
//! lexicon valence with negations flipped, then the share of words the lexicon knows.
//!
//! Start at [`TextEncoder::builtin`]. The features feed a small trained head (the model kind
//! `text_head`, trained by `euterpe train` on mood-tagged data) that maps them to an emotion;
//! the data crate uses the same encoder for training, so training and prompts see the same
//! numbers. This crate has no model code.

mod encoder;
mod error;
mod lexicon;
mod vectors;

pub use encoder::{words, Encoded, TextEncoder};
pub use error::TextError;
pub use lexicon::ValenceLexicon;
pub use vectors::WordVectors;
