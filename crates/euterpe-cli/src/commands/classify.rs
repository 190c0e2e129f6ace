//! `euterpe classify`: the class of every MIDI file under a path.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_classify::{Classifier, ClassifyError, ClassifyReport};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_store::ModelSource;

use super::print_report;

/// The classifier used without `--model`.
const DEFAULT_CLASSIFIER: &str = "emotion";

/// Arguments of `classify`.
#[derive(Args)]
pub struct ClassifyArgs {
    /// A MIDI file, or a folder searched recursively for .mid/.midi files.
    path: PathBuf,
    /// A classifier directory written by `euterpe train`, or a built-in classifier's name.
    #[arg(long, default_value = DEFAULT_CLASSIFIER)]
    model: String,
    /// Where to run: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

struct ClassifyRun<'a> {
    source: &'a ModelSource,
    name: &'a str,
    path: &'a std::path::Path,
}

impl InferenceJob for ClassifyRun<'_> {
    type Output = Result<ClassifyReport, ClassifyError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let mut classifier = Classifier::<B>::load(self.source, device)?;
        classifier.name = self.name.to_string();
        classifier.classify_path(self.path)
    }
}

/// Runs `classify`.
pub fn run(a: &ClassifyArgs) -> Result<()> {
    let source = ModelSource::resolve(Some(&a.model))?;
    let job = ClassifyRun {
        source: &source,
        name: &a.model,
        path: &a.path,
    };
    let report = run_inference(a.device, job)?.context("classification failed")?;
    for f in &report.failed {
        eprintln!("skipped {}: {}", f.file.display(), f.error);
    }
    print_report(&report, a.json, |r| {
        for p in &r.pieces {
            let c = &p.classification;
            let prob = c.probabilities.get(&c.class).copied().unwrap_or(0.0);
            println!("{}\t{}\t{:.3}", p.file.display(), c.class, prob);
        }
    })?;
    if report.pieces.is_empty() && !report.failed.is_empty() {
        anyhow::bail!("no file under {} could be classified", a.path.display());
    }
    Ok(())
}
