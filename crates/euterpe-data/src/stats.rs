//! Corpus summaries, as `euterpe data stats` prints them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use euterpe_music::pianoroll::PolyphonicDataset;
use euterpe_music::ScoreStats;
use serde::Serialize;

use crate::probe::{probe, DataKind};
use crate::{Corpus, CorpusOptions, DataError, Failure, TokenizedCorpus};

/// The summary of any data path, as `euterpe data stats` reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataStats {
    /// A MIDI file or a folder of them.
    Midi {
        /// The path summarised.
        path: PathBuf,
        /// The figures.
        #[serde(flatten)]
        stats: MidiCorpusStats,
    },
    /// A polyphonic piano-roll JSON file.
    Polyphonic {
        /// The path summarised.
        path: PathBuf,
        /// The figures.
        #[serde(flatten)]
        stats: PolyphonicStats,
    },
    /// A token file.
    Tokens {
        /// The path summarised.
        path: PathBuf,
        /// The figures.
        #[serde(flatten)]
        stats: TokenFileStats,
    },
}

/// Summary of a token file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenFileStats {
    /// Pieces.
    pub pieces: usize,
    /// Tokens, summed.
    pub tokens: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Pieces per split.
    pub splits: BTreeMap<String, usize>,
}

/// Summarises whatever `path` holds ([`probe`]). A single MIDI file that cannot be read is an
/// error; a folder's unreadable files are listed in the figures' failures.
pub fn stats(path: &Path, options: &CorpusOptions) -> Result<DataStats, DataError> {
    let path_buf = path.to_path_buf();
    match probe(path)? {
        DataKind::PolyphonicJson => Ok(DataStats::Polyphonic {
            path: path_buf,
            stats: polyphonic_stats(path)?,
        }),
        DataKind::TokenFile | DataKind::TokenJson => {
            let t = TokenizedCorpus::load_any(path)?;
            let mut stats = TokenFileStats {
                pieces: t.pieces.len(),
                tokens: t.token_count(),
                vocab_size: t.vocab.len(),
                ..Default::default()
            };
            for p in &t.pieces {
                *stats.splits.entry(p.split.to_string()).or_default() += 1;
            }
            Ok(DataStats::Tokens {
                path: path_buf,
                stats,
            })
        }
        DataKind::AudioFile | DataKind::AudioFolder => Err(DataError::UnsupportedPath {
            path: path_buf,
            reason: "holds audio recordings: `euterpe audio stats` describes them".into(),
        }),
        kind => {
            let stats = midi_corpus_stats(path, options)?;
            if kind == DataKind::MidiFile {
                if let Some(f) = stats.failures.first() {
                    return Err(DataError::invalid(&f.path, f.reason.clone()));
                }
            }
            Ok(DataStats::Midi {
                path: path_buf,
                stats,
            })
        }
    }
}

/// Figures over the readable files of a MIDI corpus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MidiCorpusStats {
    /// Files found.
    pub files: usize,
    /// Files parsed.
    pub parsed: usize,
    /// Files that failed, with the reason.
    pub failures: Vec<Failure>,
    /// Tracks with notes, summed.
    pub tracks: usize,
    /// Notes, summed.
    pub notes: usize,
    /// Seconds, summed.
    pub duration_seconds: f64,
    /// Lowest pitch.
    pub min_pitch: Option<u8>,
    /// Highest pitch.
    pub max_pitch: Option<u8>,
    /// Slowest tempo (BPM).
    pub min_bpm: Option<f64>,
    /// Fastest tempo (BPM).
    pub max_bpm: Option<f64>,
    /// Number of files using each time signature.
    pub time_signatures: BTreeMap<String, usize>,
    /// Number of files at each resolution (ticks per beat).
    pub resolutions: BTreeMap<u32, usize>,
    /// Number of files in each split.
    pub splits: BTreeMap<String, usize>,
    /// Number of files per emotion quadrant ("Q1"…"Q4"), for labelled corpora.
    pub emotions: BTreeMap<String, usize>,
    /// The label file used, if any.
    pub labels_file: Option<String>,
}

/// Figures of one split of a polyphonic dataset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolyphonicSplitStats {
    /// Sequences.
    pub sequences: usize,
    /// Time steps, summed over sequences.
    pub steps: usize,
    /// Notes: runs of consecutive steps in which a pitch sounds.
    pub notes: usize,
    /// Lowest pitch.
    pub min_pitch: Option<u8>,
    /// Highest pitch.
    pub max_pitch: Option<u8>,
    /// Mean number of sounding pitches per step.
    pub mean_polyphony: f64,
}

/// Summary of a polyphonic benchmark file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolyphonicStats {
    /// Per split ("train", "valid", "test").
    pub splits: BTreeMap<String, PolyphonicSplitStats>,
}

/// Stats of a MIDI file or a folder of them.
pub fn midi_corpus_stats(
    path: &Path,
    options: &CorpusOptions,
) -> Result<MidiCorpusStats, DataError> {
    let corpus = Corpus::open(path, options)?;
    let (ok, failures) = corpus.map_scores(|_, score| Ok((score.ticks_per_beat, score.stats())));
    let mut s = MidiCorpusStats {
        files: corpus.len(),
        parsed: ok.len(),
        failures,
        labels_file: (!corpus.labels.is_empty()).then(|| {
            let names: Vec<String> = corpus
                .labels
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            names.join(", ")
        }),
        ..Default::default()
    };
    for (i, (tpb, st)) in ok {
        add_score(&mut s, tpb, &st);
        let entry = &corpus.entries[i];
        *s.splits.entry(entry.split.to_string()).or_default() += 1;
        if let Some(e) = entry.label.as_ref().and_then(|l| l.emotion()) {
            *s.emotions.entry(format!("Q{}", e.quadrant())).or_default() += 1;
        }
    }
    Ok(s)
}

fn add_score(s: &mut MidiCorpusStats, tpb: u32, st: &ScoreStats) {
    s.tracks += st.tracks;
    s.notes += st.notes;
    s.duration_seconds += st.duration_seconds;
    s.min_pitch = min_opt(s.min_pitch, st.min_pitch);
    s.max_pitch = st.max_pitch.max(s.max_pitch);
    s.min_bpm = Some(s.min_bpm.map_or(st.min_bpm, |b| b.min(st.min_bpm)));
    s.max_bpm = Some(s.max_bpm.map_or(st.max_bpm, |b| b.max(st.max_bpm)));
    for ts in &st.time_signatures {
        *s.time_signatures.entry(ts.clone()).or_default() += 1;
    }
    *s.resolutions.entry(tpb).or_default() += 1;
}

fn min_opt(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Stats of a polyphonic benchmark JSON file.
pub fn polyphonic_stats(path: &Path) -> Result<PolyphonicStats, DataError> {
    let data = PolyphonicDataset::load(path)?;
    let mut out = PolyphonicStats::default();
    for (name, seqs) in data.splits() {
        let mut st = PolyphonicSplitStats {
            sequences: seqs.len(),
            ..Default::default()
        };
        let mut sounding = 0usize;
        for seq in seqs {
            st.steps += seq.len();
            let mut prev: &[u8] = &[];
            for frame in seq {
                sounding += frame.len();
                st.notes += frame.iter().filter(|p| !prev.contains(p)).count();
                st.min_pitch = min_opt(st.min_pitch, frame.iter().copied().min());
                st.max_pitch = st.max_pitch.max(frame.iter().copied().max());
                prev = frame;
            }
        }
        st.mean_polyphony = sounding as f64 / st.steps.max(1) as f64;
        out.splits.insert(name.to_string(), st);
    }
    Ok(out)
}
