//! Small file-system helpers shared by the euterpe crates.

use std::io::Write;
use std::path::Path;

use crate::MusicError;

/// Writes a file atomically: the bytes go to a temporary file in the same folder, which is then
/// renamed over `path`. A crash or an error never leaves a half-written `path` behind. A missing
/// parent folder is created.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), MusicError> {
    let io_err = |source| MusicError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // An output in a folder that does not exist yet gets the folder, as `--out runs/a/b.mid`
    // users expect.
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".euterpe-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err)?;
    {
        let mut buffered = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut buffered).map_err(io_err)?;
        buffered.flush().map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, MusicError> {
    std::fs::read(path).map_err(|source| MusicError::Io {
        path: path.to_path_buf(),
        source,
    })
}
