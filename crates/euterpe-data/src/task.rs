//! A dataset ready for a model: token sequences with their vocabulary, or piano-roll sequences,
//! split three ways, from any path [`probe`](crate::probe()) recognises.

use std::path::{Path, PathBuf};

use euterpe_music::pianoroll::{PitchSequence, PolyphonicDataset};
use euterpe_music::tokens::{Token, Tokenizer, Vocabulary};

use std::collections::BTreeSet;

use crate::batch::{ClassWindows, FrameWindows, TokenWindows};
use crate::config::{Condition, LabelSource};
use crate::probe::{probe, DataKind};
use crate::tokfile::TokenizeReport;
use crate::tokfile::TokenizedPiece;
use crate::{Corpus, CorpusOptions, DataConfig, DataError, Progress, Split, TokenizedCorpus};

/// The sequences of a dataset, split three ways: what training and evaluation consume.
// One per run: boxing the larger variant would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum TaskData {
    /// Event-token sequences (from MIDI or a token file).
    Tokens(TokenData),
    /// Piano-roll frame sequences (from a polyphonic JSON file).
    Frames(FrameData),
}

/// Token sequences per split, with their vocabulary and, for classification, their classes.
#[derive(Debug, Clone)]
pub struct TokenData {
    /// The vocabulary the ids belong to.
    pub vocab: Vocabulary,
    /// Train, valid and test sequences.
    pub splits: [Vec<Vec<u32>>; 3],
    /// The piece ids of the sequences, split by split.
    pub ids: [Vec<String>; 3],
    /// Class names, when the data config names a label source (empty otherwise).
    pub classes: Vec<String>,
    /// The class of each sequence (an index into `classes`), `None` where the piece has none.
    pub labels: [Vec<Option<u32>>; 3],
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
                TaskData::Tokens(TokenData::from_corpus(
                    TokenizedCorpus::load_any(path)?,
                    config,
                )?),
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

/// Puts each labelled piece's `Emotion_Qn` token after its `BOS` (pieces that start otherwise,
/// or have no emotion, are left as they are).
fn insert_emotion_tokens(t: &mut TokenizedCorpus) -> Result<(), DataError> {
    let bos = t.vocab.try_id(Token::Bos);
    for p in &mut t.pieces {
        let Some(e) = p.label.emotion() else { continue };
        if p.tokens.first().copied() != bos || bos.is_none() {
            continue;
        }
        let id = t
            .vocab
            .try_id(Token::Emotion(e.quadrant()))
            .ok_or_else(|| DataError::UnsupportedPath {
                path: PathBuf::from(&p.id),
                reason: "the vocabulary has no emotion tokens".into(),
            })?;
        p.tokens.insert(1, id);
    }
    Ok(())
}

/// The emotion classes, in quadrant order.
pub const EMOTION_CLASSES: [&str; 4] = ["Q1", "Q2", "Q3", "Q4"];

/// The top folder of a piece id (`pop909/001/001.mid` → `pop909`); a piece at the root is its
/// own folder.
fn top_folder(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

impl TokenData {
    /// The pieces of a tokenised corpus, by split, with their classes from `config.label` and
    /// the control tokens of `config.conditions` after `BOS`.
    pub fn from_corpus(
        mut t: TokenizedCorpus,
        config: &DataConfig,
    ) -> Result<TokenData, DataError> {
        let label = config.label;
        if config.conditions_on(Condition::Emotion) {
            insert_emotion_tokens(&mut t)?;
        }
        let classes: Vec<String> = match label {
            LabelSource::None => Vec::new(),
            LabelSource::Emotion => EMOTION_CLASSES.iter().map(|c| c.to_string()).collect(),
            LabelSource::Folder => {
                let set: BTreeSet<&str> = t.pieces.iter().map(|p| top_folder(&p.id)).collect();
                set.into_iter().map(str::to_string).collect()
            }
        };
        let class_of = |p: &TokenizedPiece| -> Option<u32> {
            match label {
                LabelSource::None => None,
                LabelSource::Emotion => p.label.emotion().map(|e| e.quadrant() as u32 - 1),
                LabelSource::Folder => classes
                    .iter()
                    .position(|c| c == top_folder(&p.id))
                    .map(|i| i as u32),
            }
        };
        let mut data = TokenData {
            vocab: t.vocab.clone(),
            splits: Default::default(),
            ids: Default::default(),
            classes: classes.clone(),
            labels: Default::default(),
        };
        for p in &t.pieces {
            let i = split_index(p.split);
            data.labels[i].push(class_of(p));
            data.ids[i].push(p.id.clone());
        }
        for p in t.pieces {
            data.splits[split_index(p.split)].push(p.tokens);
        }
        Ok(data)
    }

    /// Windows of at most `steps` tokens of the labelled sequences of a split, each with its
    /// piece's class, for classifiers.
    pub fn class_windows(&self, split: Split, steps: usize) -> ClassWindows {
        let i = split_index(split);
        let pad = self.vocab.try_id(Token::Pad).unwrap_or(0);
        let labelled = self.splits[i]
            .iter()
            .zip(&self.labels[i])
            .enumerate()
            .filter_map(|(piece, (seq, label))| label.map(|l| (piece, seq.as_slice(), l)));
        ClassWindows::new(labelled, steps, pad)
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
    Ok((
        TaskData::Tokens(TokenData::from_corpus(tokens, config)?),
        report,
    ))
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
