//! `euterpe metrics`: MusPy/mgeval music-quality metrics of a set of MIDI files, optionally against
//! a reference set.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use euterpe_metrics::{
    format_comparison_table, format_table, measure_path, MeasureOptions, MetricsReport,
};
use euterpe_music::tokens::View;

use super::print_report;
use super::progress;
use super::train::SplitArg;

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
    /// Measure only the melody of every file of both sets: its track named MELODY, else its
    /// highest track, in bars of four beats (what a melody model is trained on).
    #[arg(long)]
    melody: bool,
    /// Measure every piece of both sets as consecutive excerpts of this many beats (from the
    /// bar of its first note), so that whole songs compare fairly with generated pieces of
    /// that length (64 = sixteen bars of 4/4).
    #[arg(long, value_name = "BEATS", value_parser = clap::value_parser!(u32).range(1..))]
    excerpt_beats: Option<u32>,
    /// Only the pieces of this split of the measured folder (the seeded hash of each piece's
    /// path under the folder, as `euterpe train` splits it): e.g. a corpus's training pieces
    /// against its validation pieces, the figure a model can hope to reach.
    #[arg(long)]
    split: Option<SplitArg>,
    /// Only the reference pieces of this split.
    #[arg(long, requires = "reference")]
    reference_split: Option<SplitArg>,
    /// Seed of the split hash (data.split_seed of the training config).
    #[arg(long, default_value_t = 0)]
    split_seed: u64,
    /// MuseGAN's multi-track metrics instead: per track, empty bars (EB), used pitch classes
    /// per bar (UPC), qualified notes (QN) and polyphony; tonal distance (TD) per pair of
    /// tracks.
    #[arg(long, conflicts_with_all = ["reference", "per_piece", "melody", "excerpt_beats", "split"])]
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
    let options = MeasureOptions {
        view: if a.melody { View::Melody } else { View::Full },
        excerpt_beats: a.excerpt_beats,
        split: a.split.map(Into::into),
        split_seed: a.split_seed,
        progress: progress::files(),
    };
    let set = measure_path(&a.path, &options)?;
    let reference_options = MeasureOptions {
        split: a.reference_split.map(Into::into),
        progress: progress::files(),
        ..options
    };
    let reference = a
        .reference
        .as_deref()
        .map(|r| measure_path(r, &reference_options))
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
