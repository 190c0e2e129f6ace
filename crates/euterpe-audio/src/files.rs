//! Which files of a folder are audio.

use std::path::{Path, PathBuf};

use euterpe_base::FileError;

/// Extensions decoded by this crate.
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "wave", "flac", "mp3", "ogg", "oga", "aif"];

/// Folder levels searched below the path given (a guard against symbolic-link loops).
const MAX_DEPTH: usize = 32;

/// The audio files under `path`, sorted: the file itself, or every file with an audio extension
/// in the folder and its subfolders (hidden entries skipped).
pub fn audio_files(path: &Path) -> Result<Vec<PathBuf>, FileError> {
    let metadata = std::fs::metadata(path).map_err(|e| FileError::new(path, e))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![(path.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| FileError::new(&dir, e))? {
            let entry = entry.map_err(|e| FileError::new(&dir, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = entry.path();
            if p.is_dir() {
                if depth < MAX_DEPTH {
                    pending.push((p, depth + 1));
                }
            } else if is_audio(&p) {
                found.push(p);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Whether a file name has an audio extension.
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_searched_recursively_for_audio_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.wav",
            "sub/a.MP3",
            "notes.txt",
            ".hidden/c.wav",
            "sub/deeper/d.flac",
        ] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"x").unwrap();
        }
        let found: Vec<String> = audio_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["b.wav", "sub/a.MP3", "sub/deeper/d.flac"]);
        assert!(audio_files(&dir.path().join("missing")).is_err());
    }
}
