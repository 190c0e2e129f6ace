//! Collections of music for training and evaluation.
//!
//! * [`corpus`] — a folder of MIDI files (searched recursively) with optional labels, parsed in
//!   parallel; bad files are skipped and reported, never fatal;
//! * [`labels`] — label CSV files (EMOPIA's quadrants, VGMIDI's valence and arousal, given splits);
//! * [`split`] — the deterministic, seeded 70/15/15 train/valid/test split;
//! * [`stats`] — corpus summaries for `euterpe data stats`;
//! * [`tokfile`] — the binary file of a tokenised corpus, which doubles as the cache that lets
//!   training skip unchanged files.

pub mod batch;
pub mod corpus;
pub mod error;
pub mod labels;
pub mod roundtrip;
pub mod split;
pub mod stats;
pub mod tokfile;

pub use corpus::{Corpus, CorpusEntry, CorpusOptions, Failure};
pub use error::DataError;
pub use labels::{Label, LabelTable};
pub use split::{Split, SplitRatios};
pub use tokfile::{TokenizedCorpus, TokenizedPiece};
