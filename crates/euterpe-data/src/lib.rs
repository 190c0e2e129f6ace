//! Collections of music for training and evaluation.
//!
//! * [`corpus`] — a folder of MIDI files (searched recursively) with optional labels, parsed in
//!   parallel; bad files are skipped and reported, never fatal;
//! * [`labels`] — label CSV files (EMOPIA's quadrants, VGMIDI's valence and arousal, given splits);
//! * [`split`] — the deterministic, seeded 70/15/15 train/valid/test split;
//! * [`stats`] — corpus summaries for `euterpe data stats`;
//! * [`tokfile`] — the binary file of a tokenised corpus, which doubles as the cache that lets
//!   training skip unchanged files;
//! * [`probe`](mod@probe) — what a path holds (MIDI file or folder, polyphonic JSON, token file): the one
//!   answer every command uses;
//! * [`config`] — [`DataConfig`], how a dataset becomes sequences (scheme, grid, windows, split
//!   seed), recorded in every model directory;
//! * [`task`] — [`TaskData`], a dataset of tokens or piano-roll frames split three ways, loaded
//!   from any path;
//! * [`text`] — CSVs of labelled texts (mood tags, captions) for the text head of prompts;
//! * [`batch`] — one window helper for tokens and frames, and their padded batches;
//! * [`progress`] — progress of jobs over many files, for front ends to draw.
//!
//! Start with [`probe`](probe::probe) and [`TaskData::load`].

pub mod audio;
pub mod batch;
pub mod config;
pub mod corpus;
pub mod error;
pub mod labels;
pub mod lead_sheet;
pub mod multitrack;
pub mod probe;
pub mod progress;
pub mod roundtrip;
pub mod split;
pub mod stats;
pub mod task;
pub mod text;
pub mod tokfile;
pub mod transfer;

pub use audio::{
    AudioAugment, AudioBatch, AudioClip, AudioClips, AudioData, AudioDataConfig, AudioFeatures,
};
pub use config::{Condition, ConditionDropout, DataConfig, LabelSource};
pub use corpus::{Corpus, CorpusEntry, CorpusOptions, Failure};
pub use error::DataError;
pub use labels::{class_renumbering, Label, LabelTable};
pub use lead_sheet::{song_progression, BarBatch, BarPairs, LeadSheetConfig, LeadSheetData};
pub use multitrack::{MultiTrackConfig, MultiTrackData, PhraseBatch, Phrases};
pub use probe::{probe, DataKind};
pub use progress::{Progress, ProgressEvent};
pub use split::{Split, SplitRatios};
pub use task::{FrameData, TaskData, TokenData};
pub use text::{TextBatch, TextData, TextDataConfig, TextExample, TextExamples};
pub use tokfile::{TokenizedCorpus, TokenizedPiece};
pub use transfer::{PhrasePairBatch, PhrasePairs, TransferConfig, TransferData};
