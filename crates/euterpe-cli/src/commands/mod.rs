//! One module per command group. Each parses its flags into the libraries' typed options, calls
//! the library, and prints the library's report as text or `--json`.

pub mod arrange;
pub mod audio;
pub mod classify;
pub mod control;
pub mod controls;
pub mod data;
pub mod generate;
pub mod generate_audio;
pub mod live;
pub mod metrics;
pub mod output;
pub mod progress;
pub mod render;
pub mod serve;
pub mod train;
pub mod transfer;
pub mod tune;

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints `report` as JSON when `json` is set, else as `text` prints it.
pub fn print_report<T: serde::Serialize>(
    report: &T,
    json: bool,
    text: impl FnOnce(&T),
) -> anyhow::Result<()> {
    if json {
        print_json(report)
    } else {
        text(report);
        Ok(())
    }
}

/// Prints a confusion matrix: one line per row class, one right-aligned column per column class,
/// and after each row its `notes` entry (if any).
pub fn print_confusion(
    rows: &[String],
    columns: &[String],
    counts: &[Vec<usize>],
    notes: &[String],
) {
    let width = rows
        .iter()
        .chain(columns)
        .map(|n| n.len())
        .max()
        .unwrap_or(0)
        .max(6)
        + 2;
    let header: String = columns.iter().map(|n| format!("{n:>width$}")).collect();
    println!("{:>width$} {header}", "");
    for (i, (name, row)) in rows.iter().zip(counts).enumerate() {
        let cells: String = row.iter().map(|n| format!("{n:>width$}")).collect();
        let note = notes.get(i).map(String::as_str).unwrap_or_default();
        println!("{name:>width$} {cells}{note}");
    }
}
