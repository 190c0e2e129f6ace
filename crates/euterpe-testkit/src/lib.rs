//! Helpers for the tests and benchmark examples of the euterpe crates.

use std::path::PathBuf;

mod postgres;
pub use postgres::PostgresServer;

/// The shared datasets: `$EUTERPE_SHARED_DATA`, or `shared/data` beside the workspace root.
///
/// Panics with a clear message when they are missing: a test that needs real data must not pass
/// without it.
pub fn shared_data() -> PathBuf {
    let root = std::env::var_os("EUTERPE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        root.join("README.md").is_file(),
        "the shared datasets are missing: expected them at {} (or set EUTERPE_SHARED_DATA)",
        root.display()
    );
    root
}

/// Seconds of CPU time this process has used (all threads): what the benchmarks divide work by,
/// steadier than wall time on a shared machine.
pub fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// The value after `--name` in `args`, parsed, or `default` when it is absent or does not parse
/// (the benchmark examples' flags).
pub fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small copy of `mer4q` in `dir/songs`: the first `per_split` training and `per_split`
/// validation songs of each quadrant (in label-file order), the MP3s in `songs/audio` and their
/// rows in `songs/labels.csv`. Returns `dir/songs`.
pub fn mer4q_subset(dir: &std::path::Path, per_split: usize) -> PathBuf {
    let source = shared_data().join("mer4q");
    let labels = std::fs::read_to_string(source.join("labels.csv")).expect("mer4q labels.csv");
    let mut lines = labels.lines();
    let mut kept = vec![lines.next().expect("a header").to_string()];
    let mut taken = std::collections::HashMap::new();
    let corpus = dir.join("songs");
    std::fs::create_dir_all(corpus.join("audio")).expect("a folder for the songs");
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let count = taken
            .entry((fields[1].to_string(), fields[2].to_string()))
            .or_insert(0usize);
        if *count >= per_split {
            continue;
        }
        *count += 1;
        let name = format!("{}.mp3", fields[0]);
        std::fs::copy(
            source.join("audio").join(&name),
            corpus.join("audio").join(&name),
        )
        .expect("copying a song");
        kept.push(line.to_string());
    }
    assert_eq!(kept.len(), 1 + 8 * per_split, "mer4q has too few songs");
    std::fs::write(corpus.join("labels.csv"), kept.join("\n") + "\n").expect("writing labels");
    corpus
}

/// A copy of the first `songs` songs of POP909 in `dir/pop909` (each song's folder with its
/// MIDI file and annotations; with `annotations` false, the MIDI files only). Returns
/// `dir/pop909`.
pub fn pop909_subset(dir: &std::path::Path, songs: usize, annotations: bool) -> PathBuf {
    let source = shared_data().join("pop909");
    let corpus = dir.join("pop909");
    for i in 1..=songs {
        let song = format!("{i:03}");
        let to = corpus.join(&song);
        std::fs::create_dir_all(&to).expect("a folder for the song");
        let mut names = vec![format!("{song}.mid")];
        if annotations {
            names.extend(["beat_midi.txt", "chord_midi.txt"].map(String::from));
        }
        for name in names {
            std::fs::copy(source.join(&song).join(&name), to.join(&name)).expect("copying a song");
        }
    }
    corpus
}

/// A copy of `tunes` Essen folk songs in `dir/essen/midi` (every `stride`-th file of the
/// collection in path order, so that several of its regional collections appear). Returns
/// `dir/essen`.
pub fn essen_subset(dir: &std::path::Path, tunes: usize, stride: usize) -> PathBuf {
    let source = shared_data().join("essen/midi");
    let corpus = dir.join("essen");
    let to = corpus.join("midi");
    std::fs::create_dir_all(&to).expect("a folder for the tunes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&source)
        .expect("the Essen collection")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .collect();
    files.sort();
    for file in files.iter().step_by(stride.max(1)).take(tunes) {
        let name = file.file_name().expect("a file name");
        std::fs::copy(file, to.join(name)).expect("copying a tune");
    }
    corpus
}
