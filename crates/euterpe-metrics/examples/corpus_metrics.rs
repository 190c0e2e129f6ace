//! Computes the metrics of every MIDI file under a folder and prints the summary table and the
//! time taken: `cargo run --release -p euterpe-metrics --example corpus_metrics -- <folder>
//! [<reference folder>]` (with a reference, the comparison table instead).

use std::path::Path;
use std::time::Instant;

use euterpe_data::{Corpus, CorpusOptions};
use euterpe_metrics::{compare, format_comparison_table, format_table, PieceMetrics, SetSummary};

fn metrics_of(folder: &str) -> Result<Vec<PieceMetrics>, Box<dyn std::error::Error>> {
    let corpus = Corpus::open(Path::new(folder), &CorpusOptions::default())?;
    let start = Instant::now();
    let (scores, failures) = corpus.map_scores(|_, score| Ok(score));
    let parsed = start.elapsed();
    let start = Instant::now();
    let pieces: Vec<PieceMetrics> = scores
        .iter()
        .map(|(_, s)| PieceMetrics::compute(s))
        .collect();
    eprintln!(
        "{folder}: {} files, {} failed; parsing {:.2} s (parallel), metrics {:.3} s (one thread)",
        corpus.len(),
        failures.len(),
        parsed.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    for f in failures.iter().take(5) {
        eprintln!("  skipped {}: {}", f.path.display(), f.reason);
    }
    Ok(pieces)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(folder) = args.first() else {
        eprintln!("usage: corpus_metrics <folder> [<reference folder>]");
        std::process::exit(2);
    };
    let generated = metrics_of(folder)?;
    match args.get(1) {
        Some(reference) => {
            let reference = metrics_of(reference)?;
            let start = Instant::now();
            let c = compare(&generated, &reference);
            eprintln!("comparison {:.3} s", start.elapsed().as_secs_f64());
            print!("{}", format_comparison_table(&c));
        }
        None => print!("{}", format_table(&SetSummary::from_pieces(&generated))),
    }
    Ok(())
}
