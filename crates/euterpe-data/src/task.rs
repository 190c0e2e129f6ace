//! A dataset ready for a model: token sequences with their vocabulary, or piano-roll sequences,
//! split three ways, from any path [`probe`](crate::probe()) recognises.

use std::path::{Path, PathBuf};

use euterpe_music::pianoroll::{PitchSequence, PolyphonicDataset};
use euterpe_music::tokens::{Token, Tokenizer, Vocabulary};

use crate::batch::{FrameWindows, TokenWindows};
use crate::probe::{probe, DataKind};
use crate::tokfile::TokenizeReport;
use crate::{Corpus, CorpusOptions, DataConfig, DataError, Progress, Split, TokenizedCorpus};

/// The sequences of a dataset, split three ways: what training and evaluation consume.
#[derive(Debug, Clone)]
pub enum TaskData {
    /// Event-token sequences (from MIDI or a token file).
    Tokens(TokenData),
    /// Piano-roll frame sequences (from a polyphonic JSON file).
    Frames(FrameData),
}

/// Token sequences per split, with their vocabulary.
#[derive(Debug, Clone)]
pub struct TokenData {
    /// The vocabulary the ids belong to.
    pub vocab: Vocabulary,
    /// Train, valid and test sequences.
    pub splits: [Vec<Vec<u32>>; 3],
}

/// Piano-roll sequences per split.
#[derive(Debug, Clone)]
pub struct FrameData {
    /// Train, valid and test sequences.
    pub splits: [Vec<PitchSequence>; 3],
}

fn split_index(s: Split) -> usize {
    match s {
        Split::Train => 0,
        Split::Valid => 1,
        Split::Test => 2,
    }
}

impl TaskData {
    /// Loads any supported file or folder: a polyphonic JSON file becomes frames; a MIDI file or
    /// folder (tokenised with `config`'s scheme, through a cache) or a token file becomes tokens.
    /// Files of a folder that cannot be read are skipped and returned in the report.
    pub fn load(path: &Path, config: &DataConfig) -> Result<(TaskData, TokenizeReport), DataError> {
        Self::load_with_progress(path, config, None)
    }

    /// [`load`](Self::load), telling `progress` as the files of a MIDI folder are tokenised.
    pub fn load_with_progress(
        path: &Path,
        config: &DataConfig,
        progress: Option<Progress>,
    ) -> Result<(TaskData, TokenizeReport), DataError> {
        match probe(path)? {
            DataKind::PolyphonicJson => {
                let d = PolyphonicDataset::load(path)?;
                let data = TaskData::Frames(FrameData {
                    splits: [d.train, d.valid, d.test],
                });
                Ok((data, TokenizeReport::default()))
            }
            DataKind::TokenFile | DataKind::TokenJson => Ok((
                TaskData::Tokens(TokenData::from_corpus(TokenizedCorpus::load_any(path)?)),
                TokenizeReport::default(),
            )),
            DataKind::MidiFile | DataKind::MidiFolder => load_midi(path, config, progress),
        }
    }

    /// "tokens" or "piano-roll frames", for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TaskData::Tokens(_) => "event tokens",
            TaskData::Frames(_) => "piano-roll frames",
        }
    }

    /// Number of sequences in a split.
    pub fn len(&self, split: Split) -> usize {
        match self {
            TaskData::Tokens(t) => t.splits[split_index(split)].len(),
            TaskData::Frames(f) => f.splits[split_index(split)].len(),
        }
    }

    /// Whether a split is empty.
    pub fn is_empty(&self, split: Split) -> bool {
        self.len(split) == 0
    }
}

impl TokenData {
    /// The pieces of a token file, by split.
    pub fn from_corpus(t: TokenizedCorpus) -> TokenData {
        let mut splits: [Vec<Vec<u32>>; 3] = Default::default();
        for p in t.pieces {
            splits[split_index(p.split)].push(p.tokens);
        }
        TokenData {
            vocab: t.vocab,
            splits,
        }
    }

    /// Windows of `steps` transitions of a split (`None`: whole sequences), padded with PAD.
    pub fn windows(&self, split: Split, steps: Option<usize>) -> TokenWindows {
        // Every vocabulary starts with the special tokens; PAD is id 0 when in doubt.
        let pad = self.vocab.try_id(Token::Pad).unwrap_or(0);
        TokenWindows::new(
            self.splits[split_index(split)].iter().map(Vec::as_slice),
            steps,
            pad,
        )
    }
}

impl FrameData {
    /// Windows of `steps` transitions of a split (`None`: whole sequences).
    pub fn windows(&self, split: Split, steps: Option<usize>) -> FrameWindows {
        FrameWindows::new(&self.splits[split_index(split)], steps)
    }
}

fn load_midi(
    path: &Path,
    config: &DataConfig,
    progress: Option<Progress>,
) -> Result<(TaskData, TokenizeReport), DataError> {
    let tokenizer = config.tokenizer()?;
    let options = CorpusOptions {
        labels: config.labels.clone(),
        seed: config.split_seed,
        progress,
        ..CorpusOptions::default()
    };
    let corpus = Corpus::open(path, &options)?;
    if corpus.is_empty() {
        return Err(DataError::UnsupportedPath {
            path: path.to_path_buf(),
            reason: "no MIDI files (.mid, .midi) found".into(),
        });
    }
    let cache = config
        .cache
        .clone()
        .or_else(|| default_cache(path, &tokenizer));
    if let Some(dir) = cache.as_deref().and_then(Path::parent) {
        let _ = std::fs::create_dir_all(dir); // without a cache folder we simply re-tokenise
    }
    let (tokens, report) = TokenizedCorpus::build(&corpus, &tokenizer, cache.as_deref())?;
    if tokens.pieces.is_empty() {
        let reason = report.failures.first().map_or_else(
            || "no pieces".to_string(),
            |f| format!("{}: {}", f.path.display(), f.reason),
        );
        return Err(DataError::UnsupportedPath {
            path: path.to_path_buf(),
            reason: format!("no file could be tokenised (first failure: {reason})"),
        });
    }
    Ok((TaskData::Tokens(TokenData::from_corpus(tokens)), report))
}

/// `$XDG_CACHE_HOME/euterpe` or `~/.cache/euterpe`, with a file named after the corpus and the
/// tokenizer (so that another scheme or grid never reuses the cache).
fn default_cache(corpus: &Path, tokenizer: &Tokenizer) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let abs = std::fs::canonicalize(corpus).ok()?;
    let h = euterpe_base::Fnv1a::default()
        .write(abs.to_string_lossy().as_bytes())
        .write(tokenizer.vocab().to_json().as_bytes())
        .finish();
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Some(base.join("euterpe").join(format!("{name}-{h:016x}.etok")))
}
