//! `euterpe metrics`: MusPy/mgeval music-quality metrics of a set of MIDI files, optionally against
//! a reference set.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use euterpe_metrics::{format_comparison_table, format_table, measure_path, MetricsReport};

use super::print_report;
use super::progress;

/// Arguments of `metrics`.
#[derive(Args)]
pub struct MetricsArgs {
    /// A MIDI file or a folder of MIDI files (searched recursively): the set to measure.
    path: PathBuf,
    /// A reference MIDI file or folder: adds the overlap area and KL divergence between the two
    /// sets' distributions of every metric (Yang & Lerch 2018).
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Print machine-readable JSON on stdout.
    #[arg(long)]
    json: bool,
    /// With --json, also list every piece's metrics.
    #[arg(long)]
    per_piece: bool,
    /// MuseGAN's multi-track metrics instead: per track, empty bars (EB), used pitch classes
    /// per bar (UPC), qualified notes (QN) and polyphony; tonal distance (TD) per pair of
    /// tracks.
    #[arg(long, conflicts_with_all = ["reference", "per_piece"])]
    gan: bool,
}

/// Runs `metrics`.
pub fn run(a: &MetricsArgs) -> Result<()> {
    if a.gan {
        let (report, failures) = euterpe_metrics::measure_gan_path(&a.path)?;
        for f in &failures {
            eprintln!("skipped {}: {}", f.path.display(), f.reason);
        }
        return print_report(&report, a.json, |r| {
            print!("{}", euterpe_metrics::format_gan_table(r))
        });
    }
    let set = measure_path(&a.path, progress::files())?;
    let reference = a
        .reference
        .as_deref()
        .map(|r| measure_path(r, progress::files()))
        .transpose()?;
    let report = MetricsReport::new(set, reference, a.per_piece && a.json);
    for f in report
        .failures
        .iter()
        .chain(report.reference.iter().flat_map(|r| &r.failures))
    {
        eprintln!("skipped {}: {}", f.path.display(), f.reason);
    }
    print_report(&report, a.json, |r| match &r.reference {
        Some(reference) => print!("{}", format_comparison_table(&reference.comparison)),
        None => print!("{}", format_table(&r.summary)),
    })
}
