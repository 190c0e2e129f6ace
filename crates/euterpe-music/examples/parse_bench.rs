//! MIDI parse benchmark: "parse plus note extraction" throughput per CPU-second, single-threaded.
//!
//! ```text
//! cargo run --release -p euterpe-music --example parse_bench -- LIST [--reps R] [--mode seconds|ticks]
//!     [--counts FILE]
//! ```
//!
//! `LIST` is a text file with one MIDI path per line. All files are read into memory first (not
//! timed); then every repetition parses every file and extracts its notes, and is timed with the
//! process CPU clock (`CLOCK_PROCESS_CPUTIME_ID`, the clock behind Python's `time.process_time`, which
//! `bench/parse_ref.py` uses). The work runs on one thread.
//!
//! Note extraction in `seconds` mode (the default) computes every note's onset and offset in seconds
//! through the score's tempo map, as pretty_midi does when it loads a file; `ticks` mode reads the tick
//! onsets and offsets only, like symusic's default tick scores. Either way a checksum of the extracted
//! values is printed so the work cannot be optimised away.
//!
//! Prints one JSON object: files, notes, seconds (the best repetition's CPU seconds), the per-repetition
//! CPU and wall seconds, files_per_s, notes_per_s and the checksum. `--counts FILE` also writes
//! `path<TAB>notes` for every file (outside the timed region), to compare note counts between tools.

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use euterpe_music::midi::parse_midi;
use euterpe_music::Score;

/// What is pulled out of every parsed score.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Onset and offset of every note in seconds, through the tempo map.
    Seconds,
    /// Onset and offset of every note in ticks.
    Ticks,
}

struct Args {
    list: PathBuf,
    reps: usize,
    mode: Mode,
    counts: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut list = None;
    let mut reps = 5;
    let mut mode = Mode::Seconds;
    let mut counts = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--reps" => {
                reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?;
            }
            "--mode" => {
                mode = match value("--mode")?.as_str() {
                    "seconds" => Mode::Seconds,
                    "ticks" => Mode::Ticks,
                    other => {
                        return Err(format!("--mode: expected seconds or ticks, got {other:?}"))
                    }
                }
            }
            "--counts" => counts = Some(PathBuf::from(value("--counts")?)),
            "-h" | "--help" => {
                return Err(
                    "usage: parse_bench LIST [--reps R] [--mode seconds|ticks] [--counts FILE]"
                        .to_string(),
                )
            }
            _ if list.is_none() && !arg.starts_with("--") => list = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Args {
        list: list.ok_or("missing the file list (one MIDI path per line)")?,
        reps: reps.max(1),
        mode,
        counts,
    })
}

/// CPU time used by this process so far, in seconds.
fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Extracts every note's onset and offset; returns the number of notes and the sum of the values.
fn extract_notes(score: &Score, mode: Mode) -> (usize, f64) {
    let mut notes = 0;
    let mut sum = 0.0;
    match mode {
        Mode::Seconds => {
            let tempo_map = score.tempo_map();
            for track in &score.tracks {
                for note in &track.notes {
                    let onset = tempo_map.seconds_at(note.onset);
                    let offset = tempo_map.seconds_at(note.offset());
                    sum += onset + offset;
                }
                notes += track.notes.len();
            }
        }
        Mode::Ticks => {
            let mut ticks = 0u64;
            for track in &score.tracks {
                for note in &track.notes {
                    ticks = ticks.wrapping_add(note.onset + note.offset());
                }
                notes += track.notes.len();
            }
            sum = ticks as f64;
        }
    }
    (notes, sum)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let list =
        std::fs::read_to_string(&args.list).map_err(|e| format!("{}: {e}", args.list.display()))?;
    let paths: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
    let files: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{p}: {e}")))
        .collect::<Result<_, _>>()?;
    if files.is_empty() {
        return Err("the file list is empty".to_string());
    }

    // Untimed pass: checks that every file parses and records the note counts.
    let mut counts = Vec::with_capacity(files.len());
    for (path, bytes) in paths.iter().zip(&files) {
        let score = parse_midi(bytes).map_err(|e| format!("{path}: {e}"))?;
        counts.push(score.note_count());
    }
    if let Some(out) = &args.counts {
        let mut text = String::new();
        for (path, n) in paths.iter().zip(&counts) {
            text.push_str(&format!("{path}\t{n}\n"));
        }
        std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    }

    let mut cpu = Vec::with_capacity(args.reps);
    let mut wall = Vec::with_capacity(args.reps);
    let mut notes = 0;
    let mut checksum = 0.0;
    for _ in 0..args.reps {
        let (wall_start, cpu_start) = (Instant::now(), process_cpu_seconds());
        notes = 0;
        checksum = 0.0;
        for bytes in &files {
            let score = parse_midi(black_box(bytes)).map_err(|e| e.to_string())?;
            let (n, sum) = extract_notes(&score, args.mode);
            notes += n;
            checksum += sum;
        }
        black_box(checksum);
        cpu.push(process_cpu_seconds() - cpu_start);
        wall.push(wall_start.elapsed().as_secs_f64());
    }

    let best = cpu.iter().copied().fold(f64::INFINITY, f64::min);
    let report = serde_json::json!({
        "tool": "euterpe",
        "mode": if args.mode == Mode::Seconds { "seconds" } else { "ticks" },
        "files": files.len(),
        "bytes": files.iter().map(Vec::len).sum::<usize>(),
        "notes": notes,
        "seconds": best,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "files_per_s": files.len() as f64 / best,
        "notes_per_s": notes as f64 / best,
        "checksum": checksum,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{report}").map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parse_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
