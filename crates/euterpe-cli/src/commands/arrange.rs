//! `euterpe arrange`: a multi-track GAN writes the other tracks around a given lead.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use euterpe_data::multitrack::{lead_roll, rolls_to_score};
use euterpe_generate::{accompany_from, ArrangeOptions, Arranged, GenerateError, LatentSearch};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_music::midi::{read_midi_file, write_midi_file};
use euterpe_music::score::TimeSignature;
use euterpe_store::ModelSource;
use serde::Serialize;

use super::print_report;

/// Arguments of `arrange`.
#[derive(Args)]
pub struct ArrangeArgs {
    /// The lead: a MIDI file whose melody is kept and arranged around.
    lead: PathBuf,
    /// A multi-track GAN: a model directory written by `euterpe train` (kind = "musegan") or a
    /// built-in model's name.
    #[arg(long, default_value = "musegan")]
    model: String,
    /// The lead's track in the file, by name (default: the track named as the model track it
    /// plays, else the highest track with notes).
    #[arg(long)]
    lead_track: Option<String>,
    /// The model track the lead plays (default: the model's first, e.g. MELODY).
    #[arg(long)]
    as_track: Option<String>,
    /// The MIDI file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Seed of the search's starting codes and of the drawing (default: a fresh one, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Sound the cells whose probability is at least this, instead of drawing each.
    #[arg(long)]
    threshold: Option<f32>,
    /// Candidate codes searched per phrase of four bars.
    #[arg(long, default_value_t = 4)]
    restarts: usize,
    /// Gradient steps of the search.
    #[arg(long, default_value_t = 60)]
    iterations: usize,
    /// General MIDI program of the written tracks, 0–127 (default: piano).
    #[arg(long)]
    program: Option<u8>,
    /// Where the model runs: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// What `arrange` reports.
#[derive(Serialize)]
struct Report {
    model: String,
    lead: PathBuf,
    lead_track: String,
    as_track: String,
    out: PathBuf,
    bars: usize,
    seed: u64,
    /// Share of the lead's sounding steps where the generator's own lead track finds a lead
    /// pitch most likely: best random codes, codes found.
    recall: [f64; 2],
    /// Weighted cross-entropy per cell of that track against the lead: before, after.
    loss: [f64; 2],
    /// Notes per track, by name.
    notes: Vec<(String, usize)>,
    seconds: f64,
}

struct ArrangeRun<'a> {
    source: &'a ModelSource,
    lead: &'a [u128],
    as_track: Option<&'a str>,
    options: &'a ArrangeOptions,
    search: &'a LatentSearch,
}

impl InferenceJob for ArrangeRun<'_> {
    type Output = Result<Arranged, GenerateError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        accompany_from::<B>(
            self.source,
            device,
            self.lead,
            self.as_track,
            self.options,
            self.search,
        )
    }
}

/// Runs `arrange`.
pub fn run(a: &ArrangeArgs) -> Result<()> {
    let started = Instant::now();
    let score = read_midi_file(&a.lead).with_context(|| "the lead is not a usable MIDI file")?;
    let wanted = a
        .lead_track
        .clone()
        .or_else(|| a.as_track.clone())
        .unwrap_or_else(|| euterpe_music::MELODY_TRACK.into());
    let (lead, lead_name) = lead_roll(&score, &a.lead, &wanted)
        .with_context(|| format!("{}: cannot take a lead from it", a.lead.display()))?;
    if lead.is_empty() {
        anyhow::bail!("{}: the lead has no whole bar", a.lead.display());
    }
    let tempo = score.tempos.first().map_or(120.0, |t| t.bpm());
    let options = ArrangeOptions {
        bars: lead.len() / 16,
        seed: a.seed.unwrap_or_else(euterpe_base::fresh_seed),
        tempo: tempo.clamp(10.0, 400.0),
        programs: a.program.map(|p| vec![p; 16]).unwrap_or_default(),
        threshold: a.threshold,
    };
    let search = LatentSearch {
        restarts: a.restarts,
        iterations: a.iterations,
        ..LatentSearch::default()
    };
    let source = ModelSource::resolve(Some(&a.model))?;
    let job = ArrangeRun {
        source: &source,
        lead: &lead,
        as_track: a.as_track.as_deref(),
        options: &options,
        search: &search,
    };
    let arranged = run_inference(a.device, job)?.context("arranging failed")?;
    let mut out = rolls_to_score(
        &arranged.accompaniment.masks,
        &arranged.tracks,
        &options.programs,
        480,
        options.tempo,
    );
    out.time_signatures.push(TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    });
    write_midi_file(&out, &a.out)?;
    let acc = &arranged.accompaniment;
    let report = Report {
        model: arranged.model.clone(),
        lead: a.lead.clone(),
        lead_track: lead_name,
        as_track: arranged.tracks[arranged.lead_track].clone(),
        out: a.out.clone(),
        bars: options.bars,
        seed: options.seed,
        recall: acc.recall,
        loss: acc.loss,
        notes: out
            .tracks
            .iter()
            .map(|t| (t.name.clone(), t.notes.len()))
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
    };
    print_report(&report, a.json, |r| {
        let counts: Vec<String> = r
            .notes
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        println!(
            "{}: {} bars around {:?} as {} by {} (seed {}), {}; the model's own {} agrees with the lead's pitch at {:.0} % of its steps (from {:.0} %), in {:.1} s",
            r.out.display(),
            r.bars,
            r.lead_track,
            r.as_track,
            r.model,
            r.seed,
            counts.join(", "),
            r.as_track,
            100.0 * r.recall[1],
            100.0 * r.recall[0],
            r.seconds
        )
    })
}
