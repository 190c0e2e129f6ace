//! `euterpe eval-control`: how well a conditioned generator obeys, judged by the classifiers.

use anyhow::{Context, Result};
use clap::Args;
use euterpe_classify::control::ControlFigures;
use euterpe_classify::{
    Classifier, ClassifyError, ControlEvalOptions, ControlJudge, ControlReport,
};
use euterpe_generate::{LoadedGenerator, SamplingConfig, DEFAULT_GUIDANCE};
use euterpe_models::backend::{run_inference, DeviceSpec, InferenceJob};
use euterpe_models::ModelBackend;
use euterpe_store::ModelSource;

use super::print_report;

/// Arguments of `eval-control`.
#[derive(Args)]
pub struct ControlArgs {
    /// The conditioned generator: a model directory or a built-in model's name.
    #[arg(long)]
    model: String,
    /// Pieces per class.
    #[arg(long, default_value_t = 50)]
    n: usize,
    /// Bars per piece.
    #[arg(long, default_value_t = 8)]
    bars: usize,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Seed of the first piece.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The emotion classifier that judges (classes Q1–Q4).
    #[arg(long, default_value = "emotion")]
    emotion_classifier: String,
    /// The style classifier that judges.
    #[arg(long, default_value = "style")]
    style_classifier: String,
    /// A blend to trace from one style to another, e.g. pop:folk (repeatable).
    #[arg(long = "blend", value_name = "FROM:TO")]
    blends: Vec<String>,
    /// Points of each blend curve.
    #[arg(long, default_value_t = 5)]
    blend_points: usize,
    /// Ask this style with every emotion (default: the model chooses the style).
    #[arg(long, value_name = "STYLE")]
    emotion_style: Option<String>,
    /// Classifier-free guidance of the controls, as for generate (1 = plain conditioning).
    #[arg(long, default_value_t = DEFAULT_GUIDANCE)]
    guidance: f32,
    /// Let the model choose the mode, as `generate --free-mode` (by default each piece is the
    /// clearest in its emotion's mode of a few candidates).
    #[arg(long)]
    free_mode: bool,
    /// Where to run: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: DeviceSpec,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

struct ControlRun<'a> {
    args: &'a ControlArgs,
    options: ControlEvalOptions,
    blends: Vec<(String, String)>,
}

impl InferenceJob for ControlRun<'_> {
    type Output = Result<ControlReport, ClassifyError>;

    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output {
        let a = self.args;
        let load = |name: &str| -> Result<Classifier<B>, ClassifyError> {
            let mut c = Classifier::<B>::load(&ModelSource::resolve(Some(name))?, device.clone())?;
            c.name = name.to_string();
            Ok(c)
        };
        let generator =
            LoadedGenerator::<B>::load(&ModelSource::resolve(Some(&a.model))?, device.clone())?;
        let judge = ControlJudge {
            generator: &generator,
            emotion: &load(&a.emotion_classifier)?,
            style: &load(&a.style_classifier)?,
        };
        let mut report = judge.run(&self.options, &self.blends)?;
        report.model = a.model.clone();
        Ok(report)
    }
}

/// Runs `eval-control`.
pub fn run(a: &ControlArgs) -> Result<()> {
    let blends = a
        .blends
        .iter()
        .map(|b| {
            b.split_once(':')
                .map(|(x, y)| (x.trim().to_string(), y.trim().to_string()))
                .with_context(|| format!("--blend {b:?} is not FROM:TO (e.g. pop:folk)"))
        })
        .collect::<Result<Vec<_>>>()?;
    let options = ControlEvalOptions {
        n: a.n,
        bars: a.bars,
        seed: a.seed,
        blend_points: a.blend_points,
        emotion_style: a.emotion_style.clone(),
        guidance: a.guidance,
        emotion_mode: !a.free_mode,
        sampling: SamplingConfig {
            temperature: a.temperature,
            ..SamplingConfig::default()
        },
    };
    let job = ControlRun {
        args: a,
        options,
        blends,
    };
    let report = run_inference(a.device, job)?.context("control evaluation failed")?;
    print_report(&report, a.json, |r| {
        println!("{}: {} pieces of {} bars per class", r.model, r.n, r.bars);
        if let Some(s) = &r.emotion_style {
            println!("every emotion asked in the style {s}");
        }
        if r.guidance > 1.0 {
            println!("guidance {}", r.guidance);
        }
        if !r.emotion_mode {
            println!("the model chooses the mode (--free-mode)");
        }
        for (what, figures) in [("emotion", &r.emotion), ("style", &r.style)] {
            match figures {
                Some(f) => print_figures(what, f),
                None => println!("{what}: the model does not follow {what}"),
            }
        }
        for b in &r.blends {
            println!("blend {} → {} (mean style probabilities):", b.from, b.to);
            for p in &b.points {
                let probs: Vec<String> = p
                    .probabilities
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.2}"))
                    .collect();
                println!("  {:.2}: {}", p.weight, probs.join(", "));
            }
        }
    })
}

fn print_figures(what: &str, f: &ControlFigures) {
    println!(
        "{what} control accuracy {:.3} over {} pieces (judged by {})",
        f.overall, f.pieces, f.classifier
    );
    println!("confusion (rows: asked, columns: judged; the share judged as asked)");
    let shares: Vec<String> = f
        .classes
        .iter()
        .map(|c| format!("   ({:.2})", f.per_class.get(c).copied().unwrap_or(0.0)))
        .collect();
    super::print_confusion(&f.classes, &f.judged_as, &f.confusion, &shares);
}
