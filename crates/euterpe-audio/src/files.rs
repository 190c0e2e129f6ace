//! Which files of a folder are audio.

use std::path::{Path, PathBuf};

use euterpe_base::FileError;

/// Extensions decoded by this crate.
pub const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "wave", "flac", "mp3", "ogg", "oga", "aif"];

/// The audio files under `path`, sorted: the file itself, or every file with an audio extension
/// in the folder and its subfolders.
pub fn audio_files(path: &Path) -> Result<Vec<PathBuf>, FileError> {
    let metadata = std::fs::metadata(path).map_err(|e| FileError::new(path, e))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| FileError::new(&dir, e))? {
            let entry = entry.map_err(|e| FileError::new(&dir, e))?;
            let p = entry.path();
            if p.is_dir() {
                pending.push(p);
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
