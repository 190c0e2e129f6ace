//! Work over many files: a fixed number of threads, results in the files' order, a bad file
//! reported with its error instead of ending the run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::AudioError;

/// One file's result.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The file.
    pub file: PathBuf,
    /// What the work returned, or why it failed.
    pub result: Result<T, AudioError>,
}

/// Runs `work` on every file with `jobs` threads (at least 1) and returns the outcomes in the
/// order of `files`. `done` is called after each file (for a progress bar).
pub fn map_files<T: Send>(
    files: &[PathBuf],
    jobs: usize,
    work: impl Fn(&Path) -> Result<T, AudioError> + Sync,
    done: impl Fn() + Sync,
) -> Vec<Outcome<T>> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<T, AudioError>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let result = work(file);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(result);
                }
                done();
            });
        }
    });
    files
        .iter()
        .zip(slots)
        .map(|(file, slot)| Outcome {
            file: file.clone(),
            result: slot
                .into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(AudioError::parameter("file", "its worker stopped"))),
        })
        .collect()
}

/// Where the output for `file` goes: for a single file, `out` itself; for a file found under the
/// folder `input`, the same relative path under `out` with `extension`.
pub fn output_path(input: &Path, file: &Path, out: &Path, extension: &str) -> PathBuf {
    if input == file {
        return out.to_path_buf();
    }
    let relative = file.strip_prefix(input).unwrap_or(file);
    out.join(relative).with_extension(extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_keep_the_file_order_and_failures() {
        let files: Vec<PathBuf> = (0..20).map(|i| PathBuf::from(format!("{i}"))).collect();
        let done = AtomicUsize::new(0);
        let outcomes = map_files(
            &files,
            3,
            |p| {
                let n: usize = p.to_str().unwrap().parse().unwrap();
                if n % 7 == 3 {
                    Err(AudioError::parameter("file", "bad"))
                } else {
                    Ok(n * 2)
                }
            },
            || {
                done.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(done.load(Ordering::Relaxed), 20);
        for (i, o) in outcomes.iter().enumerate() {
            assert_eq!(o.file, files[i]);
            match &o.result {
                Ok(v) => assert_eq!(*v, i * 2),
                Err(_) => assert_eq!(i % 7, 3),
            }
        }
    }

    #[test]
    fn outputs_mirror_the_input_folder() {
        let p = output_path(
            Path::new("in"),
            Path::new("in/a/b.mp3"),
            Path::new("out"),
            "npy",
        );
        assert_eq!(p, PathBuf::from("out/a/b.npy"));
        let p = output_path(
            Path::new("x.wav"),
            Path::new("x.wav"),
            Path::new("y.npy"),
            "npy",
        );
        assert_eq!(p, PathBuf::from("y.npy"));
    }
}
