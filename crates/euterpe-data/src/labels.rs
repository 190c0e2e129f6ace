//! Label files: one CSV row per piece, with emotion labels and optionally a given split.
//!
//! The first column named `file`, `clip`, `name` or `path` (else the first column) names the piece,
//! with or without its extension. Recognised columns: `quadrant` (1–4, EMOPIA), `valence` and
//! `arousal` (signed numbers, VGMIDI), `split` (`train`/`valid`/`test`) and `piece` (a group key:
//! files of one piece always land in the same split). Other columns are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use euterpe_music::tokens::Emotion;
use serde::{Deserialize, Serialize};

use crate::{DataError, Split};

/// The labels of one piece.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Emotion quadrant 1–4, if given.
    pub quadrant: Option<u8>,
    /// Valence, if given (positive is pleasant).
    pub valence: Option<f64>,
    /// Arousal, if given (positive is energetic).
    pub arousal: Option<f64>,
}

impl Label {
    /// The emotion: the quadrant if given, else derived from valence and arousal.
    pub fn emotion(&self) -> Option<Emotion> {
        match (self.quadrant, self.valence, self.arousal) {
            (Some(q), _, _) => Emotion::from_quadrant(q),
            (None, Some(v), Some(a)) => Some(Emotion::from_valence_arousal(v, a)),
            _ => None,
        }
    }
}

/// One row of a label file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelRow {
    /// The labels.
    pub label: Label,
    /// The split the corpus prescribes, if any.
    pub split: Option<Split>,
    /// The group (piece) key, if given.
    pub group: Option<String>,
}

/// A label file, indexed by piece name without extension.
#[derive(Debug, Clone, Default)]
pub struct LabelTable {
    /// The file it was read from.
    pub path: PathBuf,
    rows: HashMap<String, LabelRow>,
}

/// Where each of the classes `from` stands in `to` (a model's classes: data may hold a subset of
/// them, in another order); a class not in `to` is an error that names it.
pub fn class_renumbering(from: &[String], to: &[String]) -> Result<Vec<u32>, String> {
    from.iter()
        .map(|c| {
            to.iter()
                .position(|m| m == c)
                .map(|i| i as u32)
                .ok_or_else(|| format!("class {c:?} is not one of the model's ({})", to.join(", ")))
        })
        .collect()
}

/// The name of a file without folder and extension, the key that label rows are matched by.
pub fn piece_key(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, ext))
            if ext.eq_ignore_ascii_case("mid") || ext.eq_ignore_ascii_case("midi") =>
        {
            stem.to_string()
        }
        _ => base.to_string(),
    }
}

impl LabelTable {
    /// Reads a label CSV; errors name the file, the line and the column.
    pub fn load(path: &Path) -> Result<Self, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| DataError::invalid(path, e.to_string()))?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| DataError::invalid(path, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let key_col = ["file", "clip", "name", "path"]
            .iter()
            .find_map(|n| col(n))
            .unwrap_or(0);
        let (q_col, v_col, a_col, s_col, g_col) = (
            col("quadrant"),
            col("valence"),
            col("arousal"),
            col("split"),
            col("piece"),
        );
        let mut rows = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record =
                record.map_err(|e| DataError::invalid(path, format!("line {line}: {e}")))?;
            let field = |c: Option<usize>| {
                c.and_then(|c| record.get(c))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let bad = |name: &str, value: &str, why: &str| {
                DataError::invalid(path, format!("line {line}, column {name}: {value:?} {why}"))
            };
            let number = |c: Option<usize>, name: &str| -> Result<Option<f64>, DataError> {
                field(c)
                    .map(|v| {
                        v.parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .ok_or_else(|| bad(name, v, "is not a number"))
                    })
                    .transpose()
            };
            let quadrant = field(q_col)
                .map(|v| {
                    v.parse::<u8>()
                        .ok()
                        .filter(|q| (1..=4).contains(q))
                        .ok_or_else(|| bad("quadrant", v, "is not 1–4"))
                })
                .transpose()?;
            let split = field(s_col)
                .map(|v| {
                    Split::parse(v).ok_or_else(|| bad("split", v, "is not train, valid or test"))
                })
                .transpose()?;
            let row = LabelRow {
                label: Label {
                    quadrant,
                    valence: number(v_col, "valence")?,
                    arousal: number(a_col, "arousal")?,
                },
                split,
                group: field(g_col).map(str::to_string),
            };
            let key = field(Some(key_col)).ok_or_else(|| {
                DataError::invalid(path, format!("line {line}: empty piece name"))
            })?;
            rows.insert(piece_key(key), row);
        }
        Ok(LabelTable {
            path: path.to_path_buf(),
            rows,
        })
    }

    /// The row of a piece, looked up by its file name (with or without folder and extension).
    pub fn get(&self, file_name: &str) -> Option<&LabelRow> {
        self.rows.get(&piece_key(file_name))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether any row carries a label (not just a split or a group).
    pub fn has_labels(&self) -> bool {
        self.rows.values().any(|r| r.label != Label::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_emopia_and_vgmidi_style_rows_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.csv");
        std::fs::write(&p, "clip,quadrant,split\nQ1_a_0,1,train\nQ3_b_1,3,valid\n").unwrap();
        let t = LabelTable::load(&p).unwrap();
        assert_eq!(
            t.get("Q1_a_0.mid").unwrap().label.emotion(),
            Some(Emotion::Happy)
        );
        assert_eq!(t.get("midi/Q3_b_1.mid").unwrap().split, Some(Split::Valid));
        std::fs::write(
            &p,
            "file,piece,valence,arousal\nsong one_0.mid,song one,-1,1\n",
        )
        .unwrap();
        let t = LabelTable::load(&p).unwrap();
        let row = t.get("song one_0.mid").unwrap();
        assert_eq!(row.label.emotion(), Some(Emotion::Tense));
        assert_eq!(row.group.as_deref(), Some("song one"));
        std::fs::write(&p, "clip,quadrant\nx,1\ny,7\n").unwrap();
        let e = LabelTable::load(&p).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("quadrant"), "{e}");
    }
}
