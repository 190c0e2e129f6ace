//! Files written whole or not at all, with the permissions users expect.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file could not be read or written; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FileError {
    /// The file (or the folder that could not be created).
    pub path: PathBuf,
    /// The operating system's reason.
    pub source: std::io::Error,
}

impl FileError {
    /// An error about `path`.
    pub fn new(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FileError {
            path: path.into(),
            source,
        }
    }
}

/// Writes a file atomically: the bytes go to a temporary file in the same folder, which is then
/// renamed over `path`. A crash or an error never leaves a half-written `path` behind. A missing
/// parent folder is created.
///
/// The file gets the permissions a plain `File::create` would give it: those of the file it
/// replaces, else 0666 less the user's umask (0644 under the usual 022), so that a web server or
/// a colleague can read what euterpe wrote. (A bare temporary file would be 0600.)
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let io_err = |source| FileError::new(path, source);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // An output in a folder that does not exist yet gets the folder, as `--out runs/a/b.mid`
    // users expect.
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = temp_builder().tempfile_in(dir).map_err(io_err)?;
    {
        let mut buffered = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut buffered).map_err(io_err)?;
        buffered.flush().map_err(io_err)?;
    }
    if let Some(permissions) = existing {
        tmp.as_file().set_permissions(permissions).map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Temporary files named `.euterpe-*.tmp`, created with mode 0666 so that the kernel applies the
/// umask exactly as it does for `open(2)`.
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".euterpe-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, FileError> {
    std::fs::read(path).map_err(|source| FileError::new(path, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind_and_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, |w| w.write_all(b"first")).unwrap();
        let err = write_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.path, path);
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }

    #[test]
    fn missing_folders_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.bin");
        write_atomically(&path, |w| w.write_all(&[1, 2, 3])).unwrap();
        assert_eq!(read_file(&path).unwrap(), vec![1, 2, 3]);
        let err = read_file(&dir.path().join("nope")).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    /// New files follow the umask (0644 under 022, not a temporary file's 0600); a replaced file
    /// keeps its mode.
    #[cfg(unix)]
    #[test]
    fn files_get_the_permissions_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let expected = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
        let path = dir.path().join("atomic");
        write_atomically(&path, |w| w.write_all(b"x")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), expected);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, |w| w.write_all(b"y")).unwrap();
        assert_eq!(mode(&path), 0o640);
    }
}
