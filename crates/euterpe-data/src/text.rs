//! Texts with a class, for the text head of the prompt layer: one CSV row per example, e.g.
//! `mer4q`'s `labels.csv`, whose `moods` column holds AllMusic mood tags ("brooding; bleak;
//! wintry") and whose `quadrant` column the emotion.
//!
//! A text becomes the features of `euterpe-text`'s built-in encoder. Training passes can show an
//! example as a random subset of its words (one word up to all of them), so that the head also
//! learns to read the one or two mood words a prompt holds.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use euterpe_base::SplitMix64;
use euterpe_text::TextEncoder;
use serde::{Deserialize, Serialize};

use crate::{DataError, Failure, Split, SplitRatios};

/// How a CSV of texts is read (`[data.text]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextDataConfig {
    /// The column holding the text (default "text").
    pub text: String,
    /// The column holding the class (default "label"). A column named `quadrant` holds emotion
    /// quadrants 1–4, whose classes are called Q1–Q4.
    pub label: String,
    /// The column holding `train`/`valid`/`test` (default "split"); rows without one get the
    /// seeded 70/15/15 split of their group.
    pub split: String,
    /// The column whose rows must share a split, e.g. "artist" (default: none, each text its
    /// own group); needed only where rows have no split given.
    pub group: String,
    /// Training passes show each example as a random subset of its words (default true).
    pub word_subsets: bool,
}

impl Default for TextDataConfig {
    fn default() -> Self {
        TextDataConfig {
            text: "text".into(),
            label: "label".into(),
            split: "split".into(),
            group: String::new(),
            word_subsets: true,
        }
    }
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextExample {
    /// Its words, as [`euterpe_text::words`] splits them.
    pub words: Vec<String>,
    /// Its class (an index into [`TextData::classes`]).
    pub label: u32,
}

/// Labelled texts per split.
#[derive(Debug, Clone)]
pub struct TextData {
    /// Class names.
    pub classes: Vec<String>,
    /// Features per text ([`TextEncoder::width`]).
    pub width: usize,
    /// Train, valid and test examples.
    pub splits: [Vec<TextExample>; 3],
    /// The CSV read.
    pub source: PathBuf,
}

/// A batch of encoded texts.
#[derive(Debug, Clone)]
pub struct TextBatch {
    /// Texts.
    pub batch: usize,
    /// Features per text.
    pub width: usize,
    /// `batch × width` features.
    pub features: Vec<f32>,
    /// The class of each text.
    pub labels: Vec<u32>,
}

/// The examples of one split, batched.
#[derive(Debug, Clone, Copy)]
pub struct TextExamples<'a> {
    data: &'a TextData,
    split: usize,
    subsets: bool,
}

/// The CSV a path names: the file itself, or `labels.csv` in a folder.
fn csv_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("labels.csv")
    } else {
        path.to_path_buf()
    }
}

/// The class name of a label value: Q1–Q4 for a quadrant column.
fn class_name(column: &str, value: &str) -> Result<String, String> {
    if column.eq_ignore_ascii_case("quadrant") {
        let q = value.trim().trim_start_matches(['Q', 'q']);
        return match q.parse::<u8>() {
            Ok(n @ 1..=4) => Ok(format!("Q{n}")),
            _ => Err(format!("quadrant {value:?} is not 1–4")),
        };
    }
    Ok(value.trim().to_string())
}

struct Row {
    line: u64,
    words: Vec<String>,
    class: String,
    split: Split,
}

impl TextData {
    /// Reads the CSV at `path` (or `labels.csv` in the folder `path`); rows without text or class
    /// are skipped and returned, each naming its line.
    pub fn load(
        path: &Path,
        config: &TextDataConfig,
        split_seed: u64,
    ) -> Result<(TextData, Vec<Failure>), DataError> {
        let file = csv_file(path);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(&file)
            .map_err(|e| DataError::invalid(&file, e.to_string()))?;
        let headers = reader
            .headers()
            .map_err(|e| DataError::invalid(&file, e.to_string()))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let need = |name: &str| {
            column(name).ok_or_else(|| {
                DataError::invalid(
                    &file,
                    format!(
                        "no column {name:?} (the columns are {})",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };
        let (text_col, label_col) = (need(&config.text)?, need(&config.label)?);
        let split_col = column(&config.split);
        // The group only decides the split of rows without one given.
        let group_col = match (config.group.is_empty(), column(&config.group), split_col) {
            (true, _, _) => None,
            (false, Some(i), _) => Some(i),
            (false, None, Some(_)) => None,
            (false, None, None) => Some(need(&config.group)?),
        };
        let ratios = SplitRatios::default();
        let mut rows = Vec::new();
        let mut failures = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| DataError::invalid(&file, e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            let fail = |reason: String| Failure {
                path: PathBuf::from(format!("{}:{line}", file.display())),
                reason,
            };
            let field = |i: usize| record.get(i).unwrap_or("");
            let words = euterpe_text::words(field(text_col));
            if words.is_empty() {
                failures.push(fail(format!("no words in column {:?}", config.text)));
                continue;
            }
            let class = match class_name(&config.label, field(label_col)) {
                Ok(c) if !c.is_empty() => c,
                Ok(_) => {
                    failures.push(fail(format!("no class in column {:?}", config.label)));
                    continue;
                }
                Err(e) => {
                    failures.push(fail(e));
                    continue;
                }
            };
            let given = split_col.and_then(|i| Split::parse(field(i)));
            let group = group_col.map_or_else(|| field(text_col).to_string(), |i| field(i).into());
            let split = given.unwrap_or_else(|| ratios.assign(&group, split_seed));
            rows.push(Row {
                line,
                words,
                class,
                split,
            });
        }
        // Quadrant data always has the four quadrants, present or not, so that any file of
        // the format scores against a model trained on another.
        let classes: Vec<String> = if config.label.eq_ignore_ascii_case("quadrant") {
            (1..=4).map(|q| format!("Q{q}")).collect()
        } else {
            rows.iter()
                .map(|r| r.class.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        if classes.len() < 2 {
            return Err(DataError::invalid(
                &file,
                format!(
                    "column {:?} holds {} class(es); a classifier needs two or more",
                    config.label,
                    classes.len()
                ),
            ));
        }
        let mut data = TextData {
            width: TextEncoder::builtin().width(),
            classes,
            splits: Default::default(),
            source: file,
        };
        for row in rows {
            let label = data.classes.iter().position(|c| *c == row.class);
            debug_assert!(label.is_some(), "line {}", row.line);
            data.splits[row.split.index()].push(TextExample {
                words: row.words,
                label: label.unwrap_or(0) as u32,
            });
        }
        Ok((data, failures))
    }

    /// The same texts with their labels renumbered in `classes` (a model's: the data may hold
    /// a subset of them, in another order); a class not among them is an error naming it.
    pub fn in_classes(&self, classes: &[String]) -> Result<TextData, DataError> {
        let index = crate::labels::class_renumbering(&self.classes, classes)
            .map_err(|e| DataError::invalid(&self.source, e))?;
        let mut out = self.clone();
        for example in out.splits.iter_mut().flatten() {
            example.label = index[example.label as usize];
        }
        out.classes = classes.to_vec();
        Ok(out)
    }

    /// The examples of a split; training passes (`seed` given) show subsets of words when
    /// `subsets` is set.
    pub fn examples(&self, split: Split, subsets: bool) -> TextExamples<'_> {
        TextExamples {
            data: self,
            split: split.index(),
            subsets,
        }
    }

    /// Examples in a split.
    pub fn len(&self, split: Split) -> usize {
        self.splits[split.index()].len()
    }
}

impl TextExamples<'_> {
    /// The batches of one pass, shuffled with `seed` (`None`: in order, whole texts).
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<TextBatch> {
        let examples = &self.data.splits[self.split];
        let encoder = TextEncoder::builtin();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = seed.map(SplitMix64::new);
        if let Some(rng) = rng.as_mut() {
            rng.shuffle(&mut order);
        }
        order
            .chunks(batch_size.max(1))
            .map(|chunk| {
                let mut features = Vec::with_capacity(chunk.len() * self.data.width);
                for &i in chunk {
                    let words = match rng.as_mut() {
                        Some(rng) if self.subsets => subset(&examples[i].words, rng),
                        _ => examples[i].words.clone(),
                    };
                    features.extend(encoder.encode_words(&words).features);
                }
                TextBatch {
                    batch: chunk.len(),
                    width: self.data.width,
                    features,
                    labels: chunk.iter().map(|&i| examples[i].label).collect(),
                }
            })
            .collect()
    }
}

/// A random subset of the words, in their order: its size uniform from one to all.
fn subset(words: &[String], rng: &mut SplitMix64) -> Vec<String> {
    let keep = 1 + rng.below(words.len().max(1));
    let mut picked: Vec<usize> = (0..words.len()).collect();
    rng.shuffle(&mut picked);
    picked.truncate(keep);
    picked.sort_unstable();
    picked.into_iter().map(|i| words[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn csv(body: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(body.as_bytes()).unwrap();
        f
    }

    #[test]
    fn quadrants_become_q_classes_and_the_given_split_is_kept() {
        let f = csv("clip,quadrant,split,moods\na,1,train,happy; lively\nb,3,valid,sad\nc,2,train,angry\nd,4,train,calm\n");
        let config = TextDataConfig {
            text: "moods".into(),
            label: "quadrant".into(),
            ..TextDataConfig::default()
        };
        let (data, failures) = TextData::load(f.path(), &config, 0).unwrap();
        assert!(failures.is_empty());
        assert_eq!(data.classes, ["Q1", "Q2", "Q3", "Q4"]);
        assert_eq!(data.len(Split::Train), 3);
        assert_eq!(data.splits[1][0].words, ["sad"]);
        assert_eq!(data.splits[1][0].label, 2);
        let batches = data.examples(Split::Train, true).batches(2, Some(1));
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].features.len(), 2 * data.width);
    }

    #[test]
    fn bad_rows_are_skipped_with_their_line_and_a_missing_column_is_named() {
        let f = csv("text,label\nhappy,Q1\n,Q2\nsad,\ncalm,Q4\nangry,Q7x\n");
        let (data, failures) = TextData::load(f.path(), &TextDataConfig::default(), 0).unwrap();
        assert_eq!(data.classes, ["Q1", "Q4", "Q7x"]);
        assert_eq!(failures.len(), 2);
        let wider: Vec<String> = ["Q7x", "Q4", "Q2", "Q1"].map(String::from).to_vec();
        let renumbered = data.in_classes(&wider).unwrap();
        let labels: Vec<u32> = renumbered
            .splits
            .iter()
            .flatten()
            .map(|e| e.label)
            .collect();
        let before: Vec<u32> = data.splits.iter().flatten().map(|e| e.label).collect();
        assert_eq!(
            labels,
            before
                .iter()
                .map(|&l| [3, 1, 0][l as usize])
                .collect::<Vec<_>>()
        );
        assert!(data.in_classes(&wider[1..]).is_err());
        assert!(
            failures[0].path.to_string_lossy().ends_with(":3"),
            "{failures:?}"
        );
        let config = TextDataConfig {
            text: "caption".into(),
            ..TextDataConfig::default()
        };
        let e = TextData::load(f.path(), &config, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column \"caption\""), "{e}");
    }

    #[test]
    fn subsets_keep_order_and_at_least_one_word() {
        let words: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let mut rng = SplitMix64::new(3);
        let mut sizes = BTreeSet::new();
        for _ in 0..200 {
            let s = subset(&words, &mut rng);
            assert!(!s.is_empty());
            assert!(s.windows(2).all(|w| w[0] < w[1]));
            sizes.insert(s.len());
        }
        assert_eq!(sizes.len(), 4);
    }
}
