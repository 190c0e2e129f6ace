//! Data for training and evaluation: piano-roll frames from a polyphonic JSON file, or tokens from
//! a MIDI file, a folder of them, or a token file written by `euterpe data tokenize`.

use std::path::{Path, PathBuf};

use euterpe_data::batch::{FrameBatch, FrameWindows, TokenBatch, TokenWindows};
use euterpe_data::{Corpus, CorpusOptions, Split, TokenizedCorpus};
use euterpe_music::pianoroll::{PitchSequence, PolyphonicDataset};
use euterpe_music::tokens::{Token, Tokenizer, TokenizerConfig, Vocabulary};
use euterpe_music::QuantizeConfig;

use crate::config::DataConfig;
use crate::TrainError;

/// One batch of either kind.
#[derive(Debug, Clone)]
pub enum Batch {
    /// Next-token prediction.
    Tokens(TokenBatch),
    /// Next-frame prediction.
    Frames(FrameBatch),
}

/// The data of a task, split three ways.
#[derive(Debug, Clone)]
pub enum TaskData {
    /// Token sequences per split, with their vocabulary.
    Tokens {
        /// The vocabulary.
        vocab: Vocabulary,
        /// Train, valid and test sequences.
        splits: [Vec<Vec<u32>>; 3],
    },
    /// Piano-roll sequences per split.
    Frames {
        /// Train, valid and test sequences.
        splits: [Vec<PitchSequence>; 3],
    },
}

fn split_index(s: Split) -> usize {
    match s {
        Split::Train => 0,
        Split::Valid => 1,
        Split::Test => 2,
    }
}

impl TaskData {
    /// Loads any supported data file or folder.
    pub fn load(path: &Path, config: &DataConfig) -> Result<TaskData, TrainError> {
        let meta = std::fs::metadata(path).map_err(|e| TrainError::io(path, e))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if meta.is_file() && ext == "json" && !is_token_json(path)? {
            let d = PolyphonicDataset::load(path)?;
            return Ok(TaskData::Frames {
                splits: [d.train, d.valid, d.test],
            });
        }
        if meta.is_file() && (ext == "etok" || ext == "json") {
            return Ok(Self::from_tokens(TokenizedCorpus::load_any(path)?));
        }
        let tokenizer = Tokenizer::new(TokenizerConfig {
            scheme: config.scheme,
            quantize: QuantizeConfig {
                positions_per_beat: config.positions_per_beat,
                ..QuantizeConfig::default()
            },
            ..TokenizerConfig::default()
        })?;
        let options = CorpusOptions {
            labels: config.labels.clone(),
            seed: config.split_seed,
            ..CorpusOptions::default()
        };
        let corpus = Corpus::open(path, &options)?;
        if corpus.is_empty() {
            return Err(TrainError::Unusable(format!(
                "{}: no MIDI files found",
                path.display()
            )));
        }
        let cache = config
            .cache
            .clone()
            .or_else(|| default_cache(path, &tokenizer));
        if let Some(dir) = cache.as_deref().and_then(Path::parent) {
            let _ = std::fs::create_dir_all(dir); // without a cache folder we simply re-tokenise
        }
        let (tokens, report) = TokenizedCorpus::build(&corpus, &tokenizer, cache.as_deref())?;
        for f in &report.failures {
            tracing::warn!("skipped {}: {}", f.path.display(), f.reason);
        }
        Ok(Self::from_tokens(tokens))
    }

    fn from_tokens(t: TokenizedCorpus) -> TaskData {
        let mut splits: [Vec<Vec<u32>>; 3] = Default::default();
        for p in t.pieces {
            splits[split_index(p.split)].push(p.tokens);
        }
        TaskData::Tokens {
            vocab: t.vocab,
            splits,
        }
    }

    /// Number of sequences in a split.
    pub fn len(&self, split: Split) -> usize {
        match self {
            TaskData::Tokens { splits, .. } => splits[split_index(split)].len(),
            TaskData::Frames { splits } => splits[split_index(split)].len(),
        }
    }

    /// Whether a split is empty.
    pub fn is_empty(&self, split: Split) -> bool {
        self.len(split) == 0
    }

    /// Windows of a split, ready for batching: `window` steps for training (`None`: whole
    /// sequences, for piano-roll evaluation).
    pub fn windows(&self, split: Split, window: Option<usize>) -> Windows {
        match self {
            TaskData::Tokens { vocab, splits } => {
                let pad = vocab.try_id(Token::Pad).expect("every vocabulary has PAD");
                let seqs = &splits[split_index(split)];
                Windows::Tokens(TokenWindows::new(
                    seqs.iter().map(Vec::as_slice),
                    window.unwrap_or(usize::MAX / 2),
                    pad,
                ))
            }
            TaskData::Frames { splits } => {
                Windows::Frames(FrameWindows::new(&splits[split_index(split)], window))
            }
        }
    }
}

/// Windows of one split.
#[derive(Debug, Clone)]
pub enum Windows {
    /// Token windows.
    Tokens(TokenWindows),
    /// Frame windows.
    Frames(FrameWindows),
}

impl Windows {
    /// The batches of one pass (shuffled with a seed).
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<Batch> {
        match self {
            Windows::Tokens(w) => w
                .batches(batch_size, seed)
                .into_iter()
                .map(Batch::Tokens)
                .collect(),
            Windows::Frames(w) => w
                .batches(batch_size, seed)
                .into_iter()
                .map(Batch::Frames)
                .collect(),
        }
    }

    /// Number of predicted units (tokens or frames).
    pub fn target_count(&self) -> usize {
        match self {
            Windows::Tokens(w) => w.target_count(),
            Windows::Frames(w) => w.target_count(),
        }
    }
}

fn is_token_json(path: &Path) -> Result<bool, TrainError> {
    // Token files start with {"vocab": …; polyphonic files with a split name.
    let mut head = vec![0u8; 64];
    let n = std::io::Read::read(
        &mut std::fs::File::open(path).map_err(|e| TrainError::io(path, e))?,
        &mut head,
    )
    .map_err(|e| TrainError::io(path, e))?;
    Ok(String::from_utf8_lossy(&head[..n]).contains("\"vocab\""))
}

/// `$XDG_CACHE_HOME/euterpe` or `~/.cache/euterpe`, with a file named after the corpus and tokenizer.
fn default_cache(corpus: &Path, tokenizer: &Tokenizer) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let abs = std::fs::canonicalize(corpus).ok()?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in abs
        .to_string_lossy()
        .bytes()
        .chain(tokenizer.vocab().to_json().bytes())
    {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Some(base.join("euterpe").join(format!("{name}-{h:016x}.etok")))
}
