//! A dataset ready for a model: token sequences with their vocabulary, or piano-roll sequences,
//! split three ways, from any path [`probe`](crate::probe()) recognises.

use std::path::{Path, PathBuf};

use euterpe_music::pianoroll::{PitchSequence, PolyphonicDataset};
use euterpe_music::tokens::{Token, Tokenizer, Vocabulary};

use std::collections::BTreeSet;

use crate::batch::{ClassWindows, FrameWindows, Masking, TokenWindows};
use crate::config::{Condition, ConditionDropout, LabelSource};
use crate::corpus::top_folder;
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
    /// Clips of audio features (from recordings).
    Audio(crate::audio::AudioData),
    /// Melody bars over chords (from MIDI, with `data.lead_sheet` set).
    LeadSheets(crate::lead_sheet::LeadSheetData),
    /// Multi-track phrases (from MIDI, with `data.multitrack` set).
    MultiTrack(crate::multitrack::MultiTrackData),
    /// Merged phrases of two styles (from a folder of corpora, with `data.transfer` set).
    Transfer(crate::transfer::TransferData),
    /// Labelled texts (from a CSV, with `data.text` set).
    Text(crate::text::TextData),
}

/// Two corpora of a folder of corpora as two styles of phrases (`data.transfer`).
fn load_transfer(
    path: &Path,
    config: &DataConfig,
    progress: Option<Progress>,
) -> Result<(TaskData, TokenizeReport), DataError> {
    let (Some(transfer), [a, b]) = (&config.transfer, config.folders.as_slice()) else {
        return Err(DataError::UnsupportedPath {
            path: path.to_path_buf(),
            reason: format!(
                "data.transfer needs exactly two styles in data.folders (it lists {})",
                config.folders.len()
            ),
        });
    };
    if config.lead_sheet.is_some() || config.multitrack.is_some() {
        return Err(DataError::UnsupportedPath {
            path: path.to_path_buf(),
            reason: "data.transfer is set with data.lead_sheet or data.multitrack; a model reads MIDI one way".into(),
        });
    }
    let options = CorpusOptions {
        seed: config.split_seed,
        ..CorpusOptions::default()
    };
    let names = [
        config.folder_name(a).to_string(),
        config.folder_name(b).to_string(),
    ];
    let (data, failures) = crate::transfer::TransferData::load(
        path,
        transfer,
        [a.as_str(), b.as_str()],
        names,
        options,
        progress,
    )?;
    let report = TokenizeReport {
        failures,
        ..TokenizeReport::default()
    };
    Ok((TaskData::Transfer(data), report))
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
    /// Training windows per class and pass for classifiers (0: every window once).
    pub windows_per_class: usize,
}

/// Piano-roll sequences per split.
#[derive(Debug, Clone)]
pub struct FrameData {
    /// Train, valid and test sequences.
    pub splits: [Vec<PitchSequence>; 3],
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
        if let Some(text) = &config.text {
            let (data, failures) = crate::text::TextData::load(path, text, config.split_seed)?;
            let report = TokenizeReport {
                failures,
                ..TokenizeReport::default()
            };
            return Ok((TaskData::Text(data), report));
        }
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
            DataKind::MidiFolder if config.transfer.is_some() => load_transfer(path, config, progress),
            DataKind::MidiFile | DataKind::MidiFolder => match (&config.lead_sheet, &config.multitrack) {
                (Some(_), Some(_)) => Err(DataError::UnsupportedPath {
                    path: path.to_path_buf(),
                    reason: "data.lead_sheet and data.multitrack are both set; a model reads MIDI one way".into(),
                }),
                (None, Some(multi)) => {
                    let options = CorpusOptions {
                        folders: config.folders.clone(),
                        seed: config.split_seed,
                        ..CorpusOptions::default()
                    };
                    let (data, failures) =
                        crate::multitrack::MultiTrackData::load(path, multi, options, progress)?;
                    let report = TokenizeReport {
                        failures,
                        ..TokenizeReport::default()
                    };
                    Ok((TaskData::MultiTrack(data), report))
                }
                (Some(sheet), None) => {
                    let options = CorpusOptions {
                        labels: config.labels.clone(),
                        folders: config.folders.clone(),
                        seed: config.split_seed,
                        ..CorpusOptions::default()
                    };
                    let (data, failures) =
                        crate::lead_sheet::LeadSheetData::load(path, sheet, options, progress)?;
                    let report = TokenizeReport {
                        failures,
                        ..TokenizeReport::default()
                    };
                    Ok((TaskData::LeadSheets(data), report))
                }
                (None, None) => load_midi(path, config, progress),
            },
            DataKind::AudioFile | DataKind::AudioFolder => {
                let (data, failures) = crate::audio::AudioData::load(path, config)?;
                let report = TokenizeReport {
                    failures,
                    ..TokenizeReport::default()
                };
                Ok((TaskData::Audio(data), report))
            }
        }
    }

    /// "tokens" or "piano-roll frames", for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TaskData::Tokens(_) => "event tokens",
            TaskData::Frames(_) => "piano-roll frames",
            TaskData::Audio(_) => "audio clips",
            TaskData::LeadSheets(_) => "lead sheets (melody bars over chords)",
            TaskData::MultiTrack(_) => "multi-track phrases (piano-rolls of four bars)",
            TaskData::Transfer(_) => "phrases of two styles (merged piano-rolls of four bars)",
            TaskData::Text(_) => "labelled texts",
        }
    }

    /// Number of sequences in a split.
    pub fn len(&self, split: Split) -> usize {
        match self {
            TaskData::Tokens(t) => t.splits[split.index()].len(),
            TaskData::Frames(f) => f.splits[split.index()].len(),
            TaskData::Audio(a) => a.len(split),
            TaskData::LeadSheets(l) => l.len(split),
            TaskData::MultiTrack(m) => m.len(split),
            TaskData::Transfer(t) => t.len(split),
            TaskData::Text(t) => t.len(split),
        }
    }

    /// Whether a split is empty.
    pub fn is_empty(&self, split: Split) -> bool {
        self.len(split) == 0
    }
}

/// The control tokens of a piece, in the order of `config.conditions`: its emotion (if labelled)
/// and its style (its top folder's slot, if it is one of `data.folders`).
fn control_tokens(piece: &TokenizedPiece, config: &DataConfig) -> Vec<Token> {
    let folder = top_folder(&piece.id);
    config
        .conditions
        .iter()
        .filter_map(|c| match c {
            Condition::Emotion => piece.label.emotion().map(|e| Token::Emotion(e.quadrant())),
            Condition::Style => config
                .folders
                .iter()
                .position(|f| f == folder)
                .map(|slot| Token::Style(slot as u16)),
        })
        .collect()
}

/// Puts each piece's control tokens ([`control_tokens`]) after its `BOS` (pieces that start
/// otherwise are left as they are).
fn insert_control_tokens(t: &mut TokenizedCorpus, config: &DataConfig) -> Result<(), DataError> {
    let Some(bos) = t.vocab.try_id(Token::Bos) else {
        return Ok(());
    };
    for p in &mut t.pieces {
        if p.tokens.first() != Some(&bos) {
            continue;
        }
        let ids = control_tokens(p, config)
            .into_iter()
            .map(|token| {
                t.vocab
                    .try_id(token)
                    .ok_or_else(|| DataError::UnsupportedPath {
                        path: PathBuf::from(&p.id),
                        reason: format!("the vocabulary has no {token} token"),
                    })
            })
            .collect::<Result<Vec<u32>, DataError>>()?;
        p.tokens.splice(1..1, ids);
    }
    Ok(())
}

/// The emotion classes, in quadrant order.
pub const EMOTION_CLASSES: [&str; 4] = ["Q1", "Q2", "Q3", "Q4"];

/// The class names of folder labels: `data.folders` in order when given, else every top folder
/// found, sorted; each under its `data.folder_names` name.
fn folder_classes(t: &TokenizedCorpus, config: &DataConfig) -> Vec<String> {
    if !config.folders.is_empty() {
        return config.style_names();
    }
    let set: BTreeSet<&str> = t
        .pieces
        .iter()
        .map(|p| config.folder_name(top_folder(&p.id)))
        .collect();
    set.into_iter().map(str::to_string).collect()
}

impl TokenData {
    /// The pieces of a tokenised corpus, by split, with their classes from `config.label` and
    /// the control tokens of `config.conditions` after `BOS`. With `data.folders`, pieces of
    /// other folders are left out.
    pub fn from_corpus(
        mut t: TokenizedCorpus,
        config: &DataConfig,
    ) -> Result<TokenData, DataError> {
        let label = config.label;
        if !config.folders.is_empty() {
            t.pieces
                .retain(|p| config.folders.iter().any(|f| f == top_folder(&p.id)));
        }
        if !config.conditions.is_empty() {
            insert_control_tokens(&mut t, config)?;
        }
        let classes: Vec<String> = match label {
            LabelSource::None => Vec::new(),
            LabelSource::Emotion => EMOTION_CLASSES.iter().map(|c| c.to_string()).collect(),
            LabelSource::Folder => folder_classes(&t, config),
        };
        let class_of = |p: &TokenizedPiece| -> Option<u32> {
            match label {
                LabelSource::None => None,
                LabelSource::Emotion => p.label.emotion().map(|e| e.quadrant() as u32 - 1),
                LabelSource::Folder => {
                    let name = config.folder_name(top_folder(&p.id));
                    classes.iter().position(|c| c == name).map(|i| i as u32)
                }
            }
        };
        let mut data = TokenData {
            vocab: t.vocab.clone(),
            splits: Default::default(),
            ids: Default::default(),
            classes: classes.clone(),
            labels: Default::default(),
            windows_per_class: config.windows_per_class,
        };
        for p in t.pieces {
            let i = p.split.index();
            let class = class_of(&p);
            let repeats = match p.split {
                Split::Train => config
                    .folder_repeats
                    .get(top_folder(&p.id))
                    .copied()
                    .unwrap_or(1),
                _ => 1,
            };
            for _ in 0..repeats {
                data.labels[i].push(class);
                data.ids[i].push(p.id.clone());
                data.splits[i].push(p.tokens.clone());
            }
        }
        Ok(data)
    }

    /// The length of a sequence's control prefix: `BOS` and the control tokens after it (0 when
    /// it has no control tokens).
    pub fn control_prefix_len(&self, seq: &[u32]) -> usize {
        let token = |id: &u32| self.vocab.token(*id);
        if seq.first().and_then(token) != Some(Token::Bos) {
            return 0;
        }
        let controls = seq[1..]
            .iter()
            .take_while(|id| matches!(token(id), Some(Token::Emotion(_) | Token::Style(_))))
            .count();
        if controls == 0 {
            0
        } else {
            1 + controls
        }
    }

    /// Windows of at most `steps` tokens of the labelled sequences of a split, each with its
    /// piece's class, for classifiers.
    pub fn class_windows(&self, split: Split, steps: usize) -> ClassWindows {
        let i = split.index();
        let pad = self.vocab.try_id(Token::Pad).unwrap_or(0);
        let labelled = self.splits[i]
            .iter()
            .zip(&self.labels[i])
            .enumerate()
            .filter_map(|(piece, (seq, label))| label.map(|l| (piece, seq.as_slice(), l)));
        let windows = ClassWindows::new(labelled, steps, pad);
        if split == Split::Train && self.windows_per_class > 0 {
            windows.with_per_class(self.windows_per_class)
        } else {
            windows
        }
    }

    /// The training windows ([`Self::windows`] of the train split), each control token left
    /// out of a shuffled pass with its condition's chance in `dropout`.
    pub fn training_windows(
        &self,
        steps: Option<usize>,
        dropout: &ConditionDropout,
    ) -> TokenWindows {
        let windows = self.windows(Split::Train, steps);
        if dropout.is_off() {
            return windows;
        }
        windows.with_condition_dropout(|id| match self.vocab.token(id) {
            Some(Token::Emotion(_)) => dropout.chance(Condition::Emotion),
            Some(Token::Style(_)) => dropout.chance(Condition::Style),
            _ => 0.0,
        })
    }

    /// The masked-token objective with `chance` (`None` at 0: next-token prediction), with this
    /// vocabulary's `MASK`.
    pub fn masking(&self, chance: f64) -> Option<Masking> {
        (chance > 0.0).then(|| Masking {
            chance,
            // Every vocabulary has the special tokens; MASK is id 3 when in doubt.
            mask_id: self.vocab.try_id(Token::Mask).unwrap_or(3),
            vocab: self.vocab.len() as u32,
        })
    }

    /// Windows of `steps` transitions of a split (`None`: whole sequences), padded with PAD.
    /// A sequence that starts with control tokens has its control prefix
    /// ([`Self::control_prefix_len`]) put before each of its later windows too, as unscored
    /// context: every window knows the emotion and style it is written in.
    pub fn windows(&self, split: Split, steps: Option<usize>) -> TokenWindows {
        // Every vocabulary starts with the special tokens; PAD is id 0 when in doubt.
        let pad = self.vocab.try_id(Token::Pad).unwrap_or(0);
        let seqs = &self.splits[split.index()];
        TokenWindows::with_prefixes(
            seqs.iter()
                .map(|s| (&s[..self.control_prefix_len(s)], s.as_slice())),
            steps,
            pad,
        )
    }
}

impl FrameData {
    /// Windows of `steps` transitions of a split (`None`: whole sequences).
    pub fn windows(&self, split: Split, steps: Option<usize>) -> FrameWindows {
        FrameWindows::new(&self.splits[split.index()], steps)
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
        folders: config.folders.clone(),
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
        .or_else(|| default_cache(path, &tokenizer, &config.folders));
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
fn default_cache(corpus: &Path, tokenizer: &Tokenizer, folders: &[String]) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let abs = std::fs::canonicalize(corpus).ok()?;
    let h = euterpe_base::Fnv1a::default()
        .write(abs.to_string_lossy().as_bytes())
        .write(tokenizer.vocab().to_json().as_bytes())
        .write(folders.join("\n").as_bytes())
        .finish();
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Some(base.join("euterpe").join(format!("{name}-{h:016x}.etok")))
}
