//! Two styles of phrases for style transfer (CycleGAN-style): every piece of two corpora (two
//! top folders of a folder of corpora, `data.folders`, such as `essen` and `pop909`) read as one
//! merged piano-roll — all pitched tracks in one, as the style classifier hears them — cut into
//! phrases of four bars (sixteen steps a bar, 84 pitches), as in Brunner et al. (2018).
//!
//! The pieces keep the split of their id under the folder of corpora, so the style classifier
//! trained on the same folder and this data agree on which pieces are held out.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::corpus::{top_folder, Corpus, CorpusOptions, Failure};
use crate::multitrack::{piece_grid, MultiTrackData, PieceRolls, StepMask};
use crate::{DataError, Progress, Split};

/// The one track of a merged roll.
pub const MERGED_TRACK: &str = "ALL";

/// How MIDI becomes two styles of phrases (`[data.transfer]`); the styles are the two top
/// folders of `data.folders`, named by `data.folder_names`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// Training phrases are transposed at random by up to this many semitones either way
    /// (default 5).
    pub transpose: u8,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig { transpose: 5 }
    }
}

/// Merged rolls of two styles, each split three ways.
#[derive(Debug, Clone)]
pub struct TransferData {
    /// The two styles' names (`["folk", "pop"]`).
    pub names: [String; 2],
    /// The pieces of each style, as one-track multi-track data.
    pub styles: [MultiTrackData; 2],
}

impl TransferData {
    /// Reads the two top folders `folders` of the folder of corpora `path`, naming them
    /// `names`; files that cannot be read are skipped and returned.
    pub fn load(
        path: &Path,
        config: &TransferConfig,
        folders: [&str; 2],
        names: [String; 2],
        options: CorpusOptions,
        progress: Option<Progress>,
    ) -> Result<(TransferData, Vec<Failure>), DataError> {
        if !path.is_dir() || folders.iter().any(|f| !path.join(f).is_dir()) {
            return Err(DataError::UnsupportedPath {
                path: path.to_path_buf(),
                reason: format!(
                    "style transfer reads a folder of corpora holding the folders {:?} and {:?} (data.folders)",
                    folders[0], folders[1]
                ),
            });
        }
        let corpus = Corpus::open(
            path,
            &CorpusOptions {
                folders: folders.iter().map(|f| f.to_string()).collect(),
                progress,
                ..options
            },
        )?;
        let (pieces, failures) = corpus.map_scores(|entry, score| {
            let grid = piece_grid(&score, &entry.path)?;
            let style = usize::from(top_folder(&entry.id) == folders[1]);
            Ok((
                style,
                entry.split,
                PieceRolls {
                    id: entry.id.clone(),
                    rolls: vec![grid.merged_roll(&score)],
                },
            ))
        });
        let empty = || MultiTrackData {
            tracks: vec![MERGED_TRACK.to_string()],
            splits: Default::default(),
            transpose: config.transpose,
        };
        let mut styles = [empty(), empty()];
        for (_, (style, split, piece)) in pieces {
            styles[style].splits[split.index()].push(piece);
        }
        for (k, data) in styles.iter().enumerate() {
            if data.is_empty(Split::Train) {
                return Err(DataError::UnsupportedPath {
                    path: path.join(folders[k]),
                    reason: "no readable training piece in this style".into(),
                });
            }
        }
        Ok((TransferData { names, styles }, failures))
    }

    /// Number of pieces of both styles in a split.
    pub fn len(&self, split: Split) -> usize {
        self.styles.iter().map(|s| s.len(split)).sum()
    }

    /// Pairs of phrase sets (one per style) of a split.
    pub fn phrases(&self, split: Split) -> PhrasePairs {
        PhrasePairs {
            styles: [self.styles[0].phrases(split), self.styles[1].phrases(split)],
        }
    }
}

/// The phrases of both styles of a split, served in pairs of batches.
#[derive(Debug, Clone)]
pub struct PhrasePairs {
    /// The phrases of each style.
    pub styles: [crate::Phrases; 2],
}

/// A batch of phrases of each style.
#[derive(Debug, Clone, PartialEq)]
pub struct PhrasePairBatch {
    /// The phrases of each style.
    pub styles: [crate::PhraseBatch; 2],
}

impl PhrasePairs {
    /// Pairs of batches of `batch_size` phrases of each style, shuffled (and for training
    /// transposed) with `seed`, or in order with `None`. The smaller style's batches repeat so
    /// that every phrase of the larger one is seen once a pass; the two batches of a pair may
    /// differ in size (the last of a pass).
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<PhrasePairBatch> {
        let other = seed.map(|s| s ^ 0x05ee_db0b);
        let a = self.styles[0].batches(batch_size, seed);
        let b = self.styles[1].batches(batch_size, other);
        if a.is_empty() || b.is_empty() {
            return Vec::new();
        }
        let n = a.len().max(b.len());
        (0..n)
            .map(|i| PhrasePairBatch {
                styles: [a[i % a.len()].clone(), b[i % b.len()].clone()],
            })
            .collect()
    }
}

/// The pitches that start at each step of a roll (sounding there and not on the step before;
/// repeated notes are kept apart by a silent step, see [`StepGrid::roll`](crate::multitrack::StepGrid::roll)).
pub fn onsets(roll: &[StepMask]) -> Vec<StepMask> {
    roll.iter()
        .enumerate()
        .map(|(i, &m)| if i == 0 { m } else { m & !roll[i - 1] })
        .collect()
}

/// The twelve pitch classes sounding in a step mask, as bits 0 (C) to 11 (B).
pub fn pitch_classes(mask: StepMask) -> u16 {
    let mut classes = 0u16;
    let mut m = mask;
    while m != 0 {
        classes |= (m & 0xfff) as u16;
        m >>= 12;
    }
    classes
}

/// How much of a source's content an output keeps, summed over rolls: of the source's note
/// onsets, how many fall on a step where the output starts a note, and how many have their pitch
/// class sounding in the output at that step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ContentKept {
    /// Note onsets of the sources.
    pub source_onsets: usize,
    /// Those on a step where the output starts a note.
    pub onsets_kept: usize,
    /// Those whose pitch class sounds in the output at their step.
    pub pitch_classes_kept: usize,
}

impl ContentKept {
    /// Adds a source roll and the output written from it (of the same length).
    pub fn add(&mut self, source: &[StepMask], output: &[StepMask]) {
        let (src, out) = (onsets(source), onsets(output));
        for (step, &started) in src.iter().enumerate() {
            let n = started.count_ones() as usize;
            if n == 0 {
                continue;
            }
            self.source_onsets += n;
            if out.get(step).is_some_and(|&m| m != 0) {
                self.onsets_kept += n;
            }
            let sounding = pitch_classes(output.get(step).copied().unwrap_or(0));
            let mut m = started;
            while m != 0 {
                let row = m.trailing_zeros();
                if sounding >> (row % 12) & 1 == 1 {
                    self.pitch_classes_kept += 1;
                }
                m &= m - 1;
            }
        }
    }

    /// Share of the source's onsets kept (1 when the source has none).
    pub fn onset_share(&self) -> f64 {
        share(self.onsets_kept, self.source_onsets)
    }

    /// Share of the source's onsets whose pitch class is kept (1 when the source has none).
    pub fn pitch_class_share(&self) -> f64 {
        share(self.pitch_classes_kept, self.source_onsets)
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multitrack::PHRASE_STEPS;
    use crate::PhraseBatch;

    fn phrases(n: usize, bit: u32) -> crate::Phrases {
        let data = MultiTrackData {
            tracks: vec![MERGED_TRACK.into()],
            splits: [
                Vec::new(),
                vec![PieceRolls {
                    id: "x".into(),
                    rolls: vec![vec![1u128 << bit; n * PHRASE_STEPS]],
                }],
                Vec::new(),
            ],
            transpose: 0,
        };
        data.phrases(Split::Valid)
    }

    #[test]
    fn the_smaller_style_repeats_to_pair_every_batch() {
        let pairs = PhrasePairs {
            styles: [phrases(6, 10), phrases(2, 20)],
        };
        let batches = pairs.batches(2, None);
        assert_eq!(batches.len(), 3);
        for b in &batches {
            let [a, p]: &[PhraseBatch; 2] = &b.styles;
            assert_eq!(a.len(), 2);
            assert_eq!(p.len(), 2);
            assert!(a.masks.iter().all(|&m| m == 1 << 10));
            assert!(p.masks.iter().all(|&m| m == 1 << 20));
        }
    }
}

#[cfg(test)]
mod content_tests {
    use super::*;

    #[test]
    fn kept_onsets_and_pitch_classes_are_counted() {
        let c4 = 1u128 << 36; // row 36: C
        let e4 = 1u128 << 40; // row 40: E
        let c3 = 1u128 << 24;
        // Source: C at step 0 (two steps), E at step 2 and again at step 4 (after a gap).
        let source = [c4, c4, e4, 0, e4, 0];
        // Output: C an octave lower at 0, nothing new at 2 (the C goes on), E at 4.
        let output = [c3, c3, c3, c3, c3 | e4, 0];
        let mut kept = ContentKept::default();
        kept.add(&source, &output);
        assert_eq!(kept.source_onsets, 3);
        assert_eq!(kept.onsets_kept, 2, "onsets at steps 0 and 4");
        assert_eq!(
            kept.pitch_classes_kept, 2,
            "C at 0 and E at 4; no E sounds at 2"
        );
        assert!((kept.onset_share() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(pitch_classes(c3 | c4 | e4), 0b1_0001);
    }
}
