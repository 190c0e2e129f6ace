//! The pieces the server has written: `ID.mid`, `ID.wav` and `ID.png` in one folder, capped in
//! bytes with the oldest pieces removed first. An id is 16 lowercase hex digits and nothing else,
//! so no request can name a file outside the folder.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use euterpe_music::midi::write_midi_file;
use euterpe_music::score::Score;
use euterpe_render::{plot_piano_roll, render_to_wav, PlotOptions, RenderOptions};

use crate::ServeError;

/// The files a piece has, by extension.
pub const EXTENSIONS: [&str; 3] = ["mid", "wav", "png"];

/// A piece's name: 16 lowercase hex digits from the OS's random source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PieceId(String);

impl PieceId {
    /// A fresh random id.
    pub fn random() -> PieceId {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            // No OS randomness: the clock still gives distinct, if guessable, ids.
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            bytes = nanos.to_le_bytes();
        }
        PieceId(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The id in `text`, if it is one (exactly 16 lowercase hex digits).
    pub fn parse(text: &str) -> Option<PieceId> {
        let ok = text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| PieceId(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The folder of pieces and its index, oldest first.
pub struct PieceStore {
    dir: PathBuf,
    cap_bytes: u64,
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    pieces: VecDeque<(PieceId, u64)>,
    bytes: u64,
}

impl PieceStore {
    /// The store in `dir` (created if missing; pieces already there are indexed, oldest first),
    /// or in a new temporary folder, returned too: the folder and its pieces are removed when it
    /// is dropped, which its owner does when the server stops.
    pub fn open(
        dir: Option<&Path>,
        cap_bytes: u64,
    ) -> Result<(PieceStore, Option<tempfile::TempDir>), ServeError> {
        let io = |context: String| move |source| ServeError::Io { context, source };
        let (dir, temp) = match dir {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(io(format!("creating {}", d.display())))?;
                (d.to_path_buf(), None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("euterpe-pieces-")
                    .tempdir()
                    .map_err(io("creating a temporary piece folder".into()))?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let store = PieceStore {
            index: Mutex::new(scan(&dir).map_err(io(format!("reading {}", dir.display())))?),
            dir,
            cap_bytes,
        };
        store.evict();
        Ok((store, temp))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a piece's MIDI, WAV and piano-roll PNG (each atomically), then removes the oldest
    /// pieces past the cap. Returns the piece's bytes on disk.
    pub fn put(&self, id: &PieceId, score: &Score, render: &RenderOptions) -> Result<u64, String> {
        let midi = self.path(id, "mid");
        write_midi_file(score, &midi).map_err(|e| e.to_string())?;
        render_to_wav(score, &self.path(id, "wav"), render).map_err(|e| e.to_string())?;
        plot_piano_roll(score, &self.path(id, "png"), &PlotOptions::default())
            .map_err(|e| e.to_string())?;
        let bytes = piece_bytes(&self.dir, id);
        {
            let mut index = self.lock();
            index.pieces.push_back((id.clone(), bytes));
            index.bytes += bytes;
        }
        self.evict();
        Ok(bytes)
    }

    /// The path of a piece's file, whether or not it exists.
    pub fn path(&self, id: &PieceId, extension: &str) -> PathBuf {
        self.dir.join(format!("{}.{extension}", id.as_str()))
    }

    /// Whether the store still holds the piece.
    pub fn contains(&self, id: &PieceId) -> bool {
        self.lock().pieces.iter().any(|(p, _)| p == id)
    }

    /// Pieces held and their bytes.
    pub fn usage(&self) -> (usize, u64) {
        let index = self.lock();
        (index.pieces.len(), index.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        // The index stays consistent even if a holder panicked: every update is one push or pop.
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes the oldest pieces until the store is within its cap (the newest always stays).
    fn evict(&self) {
        let mut index = self.lock();
        while index.bytes > self.cap_bytes && index.pieces.len() > 1 {
            let Some((old, bytes)) = index.pieces.pop_front() else {
                break;
            };
            index.bytes -= bytes;
            for ext in EXTENSIONS {
                // A file already gone is what eviction wants anyway.
                let _ = std::fs::remove_file(self.path(&old, ext));
            }
        }
    }
}

/// Bytes of a piece's files.
fn piece_bytes(dir: &Path, id: &PieceId) -> u64 {
    EXTENSIONS
        .iter()
        .filter_map(|ext| std::fs::metadata(dir.join(format!("{}.{ext}", id.as_str()))).ok())
        .map(|m| m.len())
        .sum()
}

/// The pieces already in `dir`, oldest first by modification time.
fn scan(dir: &Path) -> std::io::Result<Index> {
    let mut found: Vec<(SystemTime, PieceId)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some("mid")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if let Some(id) = PieceId::parse(stem) {
            let modified = std::fs::metadata(&path)?
                .modified()
                .unwrap_or(SystemTime::UNIX_EPOCH);
            found.push((modified, id));
        }
    }
    found.sort();
    let mut index = Index::default();
    for (_, id) in found {
        let bytes = piece_bytes(dir, &id);
        index.bytes += bytes;
        index.pieces.push_back((id, bytes));
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_hex_digits_and_nothing_else() {
        let id = PieceId::random();
        assert_eq!(PieceId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(PieceId::random(), id);
        for bad in [
            "",
            "../../etc/passwd",
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789abcde/",
        ] {
            assert_eq!(PieceId::parse(bad), None, "{bad}");
        }
    }
}
