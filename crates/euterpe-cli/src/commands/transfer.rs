//! `euterpe transfer`: rewrite MIDI pieces in another style with a style-transfer GAN, and
//! optionally judge the result with a style classifier.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use euterpe_classify::Classifier;
use euterpe_data::transfer::ContentKept;
use euterpe_data::{Corpus, CorpusOptions, Split};
use euterpe_generate::{GenerateError, Judgement, Notation, StyleTransfer};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_store::ModelSource;
use serde::Serialize;

use super::print_report;
use super::train::SplitArg;

/// Arguments of `transfer`.
#[derive(Args)]
pub struct TransferArgs {
    /// A MIDI file, or a folder searched recursively for .mid/.midi files.
    input: PathBuf,
    /// A style-transfer GAN: a model directory written by `euterpe train` (kind = "cyclegan")
    /// or a built-in model's name (folk2pop, pop2folk).
    #[arg(long, default_value = "folk2pop")]
    model: String,
    /// The style to write into, by name (default: the one the model's name points to, as
    /// folk2pop → pop, else the model's second style).
    #[arg(long)]
    to: Option<String>,
    /// Where to write: a MIDI file for one input file, a folder for a folder (the pieces keep
    /// their paths under it).
    #[arg(long, short)]
    out: PathBuf,
    /// How the output is notated: `common`, one 4/4 bar of sixteenths per source bar, each as
    /// long in time as the source's (the model's own grid); `source`, on the source's own
    /// ticks, meters and tempo.
    #[arg(long, value_enum, default_value = "common")]
    notation: NotationArg,
    /// Sound the cells whose probability is at least this.
    #[arg(long, default_value_t = 0.5)]
    threshold: f32,
    /// With a folder of corpora: only this top folder (e.g. essen).
    #[arg(long)]
    folder: Option<String>,
    /// With a folder: only the pieces of this split (the seeded hash of each piece's path under
    /// the folder, as `euterpe train` splits it).
    #[arg(long, value_enum)]
    split: Option<SplitArg>,
    /// Seed of the split hash (data.split_seed of the training config).
    #[arg(long, default_value_t = 0)]
    split_seed: u64,
    /// At most this many pieces (the first in path order).
    #[arg(long)]
    limit: Option<usize>,
    /// Judge each transfer with this style classifier (e.g. style): the share of outputs it
    /// classifies as the target style and Brunner et al.'s transfer strength.
    #[arg(long)]
    judge: Option<String>,
    /// Where the models run: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// `--notation`.
#[derive(Clone, Copy, ValueEnum)]
enum NotationArg {
    /// 4/4 bars of sixteenths, each as long as the source's bar.
    Common,
    /// The source's ticks, meters and tempo.
    Source,
}

impl From<NotationArg> for Notation {
    fn from(n: NotationArg) -> Notation {
        match n {
            NotationArg::Common => Notation::Common,
            NotationArg::Source => Notation::Source,
        }
    }
}

/// One piece transferred.
#[derive(Serialize)]
struct PieceReport {
    file: PathBuf,
    out: PathBuf,
    bars: usize,
    notes: [usize; 2],
    onsets_kept: f64,
    pitch_classes_kept: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    judgement: Option<Judgement>,
}

/// What `transfer` reports.
#[derive(Serialize)]
struct Report {
    model: String,
    from: String,
    to: String,
    pieces: Vec<PieceReport>,
    failed: Vec<(PathBuf, String)>,
    /// Pooled over the pieces: shares of the sources' onsets, and of their pitch classes, kept.
    onsets_kept: f64,
    pitch_classes_kept: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    judge: Option<String>,
    /// Share of the outputs the judge classifies as the target style.
    #[serde(skip_serializing_if = "Option::is_none")]
    classified_as_target: Option<f64>,
    /// Mean transfer strength over the pieces.
    #[serde(skip_serializing_if = "Option::is_none")]
    strength: Option<f64>,
    seconds: f64,
}

struct TransferRun<'a> {
    args: &'a TransferArgs,
    jobs: &'a [(PathBuf, PathBuf)],
}

impl InferenceJob for TransferRun<'_> {
    type Output = Result<Report>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let a = self.args;
        let source = ModelSource::resolve(Some(&a.model))?;
        let model = StyleTransfer::<B>::load(&source, device.clone())?;
        let to = model.target(a.to.as_deref())?;
        let judge = match &a.judge {
            Some(name) => {
                let classifier = Classifier::<B>::load(&ModelSource::resolve(Some(name))?, device)?;
                for style in &model.styles {
                    if !classifier.classes().iter().any(|c| c == style) {
                        anyhow::bail!(
                            "--judge {name}: its classes ({}) do not include the style {style:?}",
                            classifier.classes().join(", ")
                        );
                    }
                }
                Some(classifier)
            }
            None => None,
        };
        let mut report = Report {
            model: model.name.clone(),
            from: model.styles[1 - to].clone(),
            to: model.styles[to].clone(),
            pieces: Vec::new(),
            failed: Vec::new(),
            onsets_kept: 0.0,
            pitch_classes_kept: 0.0,
            judge: a.judge.clone(),
            classified_as_target: None,
            strength: None,
            seconds: 0.0,
        };
        let mut kept = ContentKept::default();
        for (file, out) in self.jobs {
            let how = (to, a.threshold, a.notation.into());
            match transfer_one(&model, judge.as_ref(), file, out, how) {
                Ok((piece, k)) => {
                    kept.onsets_kept += k.onsets_kept;
                    kept.pitch_classes_kept += k.pitch_classes_kept;
                    kept.source_onsets += k.source_onsets;
                    report.pieces.push(piece);
                }
                Err(e) => report.failed.push((file.clone(), format!("{e:#}"))),
            }
        }
        report.onsets_kept = kept.onset_share();
        report.pitch_classes_kept = kept.pitch_class_share();
        let judged: Vec<&Judgement> = report
            .pieces
            .iter()
            .filter_map(|p| p.judgement.as_ref())
            .collect();
        if !judged.is_empty() {
            let n = judged.len() as f64;
            report.classified_as_target =
                Some(judged.iter().filter(|j| j.as_target).count() as f64 / n);
            report.strength = Some(judged.iter().map(|j| j.strength).sum::<f64>() / n);
        }
        Ok(report)
    }
}

/// Transfers one file into `out`, judged by `judge` when given.
fn transfer_one<B: ModelBackend>(
    model: &StyleTransfer<B>,
    judge: Option<&Classifier<B>>,
    file: &Path,
    out: &Path,
    (to, threshold, notation): (usize, f32, Notation),
) -> Result<(PieceReport, ContentKept)> {
    let score = read_midi_file(file)?;
    let done = model.transfer_score(&score, file, to, threshold, notation)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_midi_file(&done.score, out)?;
    let judgement = match judge {
        Some(classifier) => {
            let cycled = model.cycle_back(&score, file, &done, to, threshold, notation)?;
            let (target, source) = (&model.styles[to], &model.styles[1 - to]);
            let mut t = [0.0; 3];
            let mut s = [0.0; 3];
            let mut as_target = false;
            for (k, piece) in [&score, &done.score, &cycled].into_iter().enumerate() {
                let c = classifier.classify_score(piece)?;
                t[k] = c.probabilities.get(target).copied().unwrap_or(0.0);
                s[k] = c.probabilities.get(source).copied().unwrap_or(0.0);
                if k == 1 {
                    as_target = &c.class == target;
                }
            }
            Some(Judgement::of(t, s, as_target))
        }
        None => None,
    };
    let notes = |s: &euterpe_music::Score| s.tracks.iter().map(|t| t.notes.len()).sum::<usize>();
    Ok((
        PieceReport {
            file: file.to_path_buf(),
            out: out.to_path_buf(),
            bars: done.bars,
            notes: [notes(&score), notes(&done.score)],
            onsets_kept: done.kept.onset_share(),
            pitch_classes_kept: done.kept.pitch_class_share(),
            judgement,
        },
        done.kept,
    ))
}

/// The (input, output) files of a run.
fn jobs(a: &TransferArgs) -> Result<Vec<(PathBuf, PathBuf)>> {
    if !a.input.is_dir() {
        if a.split.is_some() || a.folder.is_some() {
            anyhow::bail!(
                "--split and --folder choose pieces of a folder; {} is a file",
                a.input.display()
            );
        }
        return Ok(vec![(a.input.clone(), a.out.clone())]);
    }
    let corpus = Corpus::open(
        &a.input,
        &CorpusOptions {
            folders: a.folder.iter().cloned().collect(),
            seed: a.split_seed,
            ..CorpusOptions::default()
        },
    )?;
    let wanted: Option<Split> = a.split.map(Into::into);
    let mut jobs: Vec<(PathBuf, PathBuf)> = corpus
        .entries
        .iter()
        .filter(|e| wanted.is_none_or(|s| e.split == s))
        .map(|e| (e.path.clone(), a.out.join(&e.id)))
        .collect();
    jobs.truncate(a.limit.unwrap_or(usize::MAX));
    if jobs.is_empty() {
        anyhow::bail!(
            "{}: no MIDI file to transfer (with the --folder and --split given)",
            a.input.display()
        );
    }
    Ok(jobs)
}

/// Runs `transfer`.
pub fn run(a: &TransferArgs) -> Result<()> {
    let started = Instant::now();
    if !(a.threshold > 0.0 && a.threshold < 1.0) {
        return Err(GenerateError::InvalidOptions(format!(
            "--threshold {}: give a value in (0, 1)",
            a.threshold
        ))
        .into());
    }
    let jobs = jobs(a)?;
    let mut report = run_inference(
        a.device,
        TransferRun {
            args: a,
            jobs: &jobs,
        },
    )??;
    report.seconds = started.elapsed().as_secs_f64();
    for (file, why) in &report.failed {
        eprintln!("skipped {}: {why}", file.display());
    }
    print_report(&report, a.json, |r| {
        for p in &r.pieces {
            let judged = p.judgement.map_or(String::new(), |j| {
                format!(
                    ", P({}) {:.2} → {:.2}, strength {:.2}",
                    r.to, j.target[0], j.target[1], j.strength
                )
            });
            println!(
                "{} → {}: {} bars, {} → {} notes, onsets kept {:.0} %, pitch classes kept {:.0} %{judged}",
                p.file.display(),
                p.out.display(),
                p.bars,
                p.notes[0],
                p.notes[1],
                100.0 * p.onsets_kept,
                100.0 * p.pitch_classes_kept
            );
        }
        let judged = match (r.classified_as_target, r.strength) {
            (Some(share), Some(strength)) => format!(
                "; {} judges {:.0} % of them {}, mean strength {:.2}",
                r.judge.as_deref().unwrap_or("the classifier"),
                100.0 * share,
                r.to,
                strength
            ),
            _ => String::new(),
        };
        println!(
            "{} {} → {} by {}: onsets kept {:.0} %, pitch classes kept {:.0} %{judged} ({} skipped, {:.1} s)",
            r.pieces.len(),
            r.from,
            r.to,
            r.model,
            100.0 * r.onsets_kept,
            100.0 * r.pitch_classes_kept,
            r.failed.len(),
            r.seconds
        )
    })?;
    if report.pieces.is_empty() {
        anyhow::bail!("no piece could be transferred");
    }
    Ok(())
}
