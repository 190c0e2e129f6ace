//! A corpus: MIDI files under a folder (or one file), with labels and splits.

use std::path::{Path, PathBuf};

use euterpe_music::midi::read_midi_file;
use euterpe_music::{MusicError, Score};
use rayon::prelude::*;
use serde::Serialize;

use crate::labels::{Label, LabelRow, LabelTable};
use crate::progress::{Progress, ProgressEvent};
use crate::{DataError, Split, SplitRatios};

/// How to open a corpus.
#[derive(Debug, Clone, Default)]
pub struct CorpusOptions {
    /// A label CSV for every piece. When `None`, each piece takes the nearest `labels.csv` among
    /// the folders from its own up to the corpus root and the root's parent, so that a folder of
    /// corpora (`emopia/`, `vgmidi/`, …) keeps each corpus's labels.
    pub labels: Option<PathBuf>,
    /// Only these top folders of a folder of corpora (default: every file).
    pub folders: Vec<String>,
    /// Seed of the split hash (default 0).
    pub seed: u64,
    /// Split fractions for pieces whose labels give no split (default 70/15/15).
    pub ratios: SplitRatios,
    /// Told as files are parsed (for progress bars).
    pub progress: Option<Progress>,
}

/// One MIDI file of a corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorpusEntry {
    /// Where the file is.
    pub path: PathBuf,
    /// Path relative to the corpus root, with `/` separators: the piece's stable id.
    pub id: String,
    /// Its labels, if the label file has a row for it.
    pub label: Option<Label>,
    /// Its split.
    pub split: Split,
    /// Whether the split came from the label file rather than the hash.
    pub split_given: bool,
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// MIDI files found under a root, in a stable (sorted) order.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The folder or file the corpus was opened from.
    pub root: PathBuf,
    /// The label files used, in the order first used.
    pub labels: Vec<PathBuf>,
    /// The files.
    pub entries: Vec<CorpusEntry>,
    /// Told as files are parsed.
    pub progress: Option<Progress>,
}

/// Whether a path names a MIDI file by its extension.
pub fn is_midi_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
}

const MAX_DEPTH: usize = 32;

fn collect_midi(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), DataError> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    for child in children {
        let hidden = child
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if child.is_dir() {
            if depth < MAX_DEPTH {
                collect_midi(&child, depth + 1, out)?;
            }
        } else if is_midi_path(&child) {
            out.push(child);
        }
    }
    Ok(())
}

/// The label tables of a corpus: one given file, or the nearest `labels.csv` of each folder.
struct LabelFinder {
    given: Option<LabelTable>,
    /// Tables found so far, by folder (`None`: that folder has no `labels.csv`).
    by_dir: std::collections::HashMap<PathBuf, Option<std::rc::Rc<LabelTable>>>,
    used: Vec<PathBuf>,
    /// The corpus folder; the search stops at its parent.
    root: PathBuf,
}

impl LabelFinder {
    fn new(root: &Path, given: Option<&Path>) -> Result<Self, DataError> {
        let root = if root.is_dir() {
            root.to_path_buf()
        } else {
            root.parent().unwrap_or(Path::new("")).to_path_buf()
        };
        let given = given.map(LabelTable::load).transpose()?;
        Ok(LabelFinder {
            used: given.iter().map(|t| t.path.clone()).collect(),
            given,
            by_dir: Default::default(),
            root,
        })
    }

    /// The row of `file` (whose id is `id`), from the given table or the nearest one.
    fn row(&mut self, file: &Path, id: &str) -> Result<Option<LabelRow>, DataError> {
        if let Some(t) = &self.given {
            return Ok(t.get(id).cloned());
        }
        let mut dirs: Vec<PathBuf> = file
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&self.root))
            .map(Path::to_path_buf)
            .collect();
        dirs.extend(self.root.parent().map(Path::to_path_buf));
        for dir in dirs {
            if let Some(table) = self.table_of(&dir)? {
                return Ok(table.get(id).cloned());
            }
        }
        Ok(None)
    }

    fn table_of(&mut self, dir: &Path) -> Result<Option<std::rc::Rc<LabelTable>>, DataError> {
        if let Some(t) = self.by_dir.get(dir) {
            return Ok(t.clone());
        }
        let path = dir.join("labels.csv");
        let table = if path.is_file() {
            self.used.push(path.clone());
            Some(std::rc::Rc::new(LabelTable::load(&path)?))
        } else {
            None
        };
        self.by_dir.insert(dir.to_path_buf(), table.clone());
        Ok(table)
    }
}

/// The top folder of a piece id (`pop909/001/001.mid` → `pop909`); a piece at the root is its
/// own folder.
pub fn top_folder(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

impl Corpus {
    /// Opens a folder (searched recursively for `.mid`/`.midi` files, hidden entries skipped) or a
    /// single MIDI file.
    pub fn open(path: &Path, options: &CorpusOptions) -> Result<Corpus, DataError> {
        let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
        let files = if meta.is_dir() {
            for folder in &options.folders {
                if !path.join(folder).is_dir() {
                    return Err(DataError::invalid(
                        path,
                        format!("data.folders names {folder:?}, which is not a folder here"),
                    ));
                }
            }
            let mut files = Vec::new();
            collect_midi(path, 0, &mut files)?;
            files
        } else {
            vec![path.to_path_buf()]
        };
        let mut finder = LabelFinder::new(path, options.labels.as_deref())?;
        let base = if meta.is_dir() {
            path
        } else {
            path.parent().unwrap_or(Path::new(""))
        };
        let mut entries = Vec::with_capacity(files.len());
        for file in files {
            let id = file
                .strip_prefix(base)
                .unwrap_or(&file)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if meta.is_dir()
                && !options.folders.is_empty()
                && !options.folders.iter().any(|f| f == top_folder(&id))
            {
                continue;
            }
            let row = finder.row(&file, &id)?;
            let group = row
                .as_ref()
                .and_then(|r| r.group.clone())
                .unwrap_or_else(|| id.clone());
            let given = row.as_ref().and_then(|r| r.split);
            entries.push(CorpusEntry {
                split: given.unwrap_or_else(|| options.ratios.assign(&group, options.seed)),
                split_given: given.is_some(),
                label: row.map(|r| r.label),
                path: file,
                id,
            });
        }
        Ok(Corpus {
            root: path.to_path_buf(),
            labels: finder.used,
            entries,
            progress: options.progress.clone(),
        })
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the corpus has no files.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parses every file in parallel and applies `f` to each score, in the corpus order. Files that
    /// fail to parse, or for which `f` fails, are returned as failures instead.
    pub fn map_scores<T, F>(&self, f: F) -> (Vec<(usize, T)>, Vec<Failure>)
    where
        T: Send,
        F: Fn(&CorpusEntry, Score) -> Result<T, MusicError> + Sync,
    {
        let tell = |event| {
            if let Some(p) = &self.progress {
                p.tell(event)
            }
        };
        tell(ProgressEvent::Start {
            total: self.entries.len(),
            what: "files",
        });
        let results: Vec<Result<(usize, T), Failure>> = self
            .entries
            .par_iter()
            .enumerate()
            .map(|(i, entry)| {
                let result = read_midi_file(&entry.path)
                    .and_then(|score| f(entry, score))
                    .map(|t| (i, t))
                    .map_err(|e| Failure {
                        path: entry.path.clone(),
                        reason: strip_path(&e.to_string(), &entry.path),
                    });
                tell(ProgressEvent::Advance);
                result
            })
            .collect();
        tell(ProgressEvent::Finish);
        let mut ok = Vec::with_capacity(results.len());
        let mut failed = Vec::new();
        for r in results {
            match r {
                Ok(x) => ok.push(x),
                Err(e) => failed.push(e),
            }
        }
        (ok, failed)
    }
}

/// Drops a leading "path: " from a message, since failures carry the path separately.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}
