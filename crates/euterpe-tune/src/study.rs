//! Running a study: check the space against the base config, then let `jobs` workers claim
//! trials from the store, train each as `euterpe train` would into `<dir>/trial-NNN/`, report
//! every epoch's validation value to the store and the pruner, and record how it ended.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use euterpe_base::FileError;
use euterpe_data::TaskData;
use euterpe_models::backend::{run_training, DeviceSpec, TrainingJob};
use euterpe_models::{ModelConfig, TrainingBackend};
use euterpe_train::metrics::EpochMetrics;
use euterpe_train::trainer::{train, TrainObserver, TrainOptions, TrainSummary};
use euterpe_train::{TrainConfig, TrainError};

use crate::pruner::MedianPruner;
use crate::sampler::{suggest, Method};
use crate::space::{Distribution, Params, SearchSpace};
use crate::store::{Store, StoredStudy, StudySpec};
use crate::trial::{Direction, Trial, TrialState};
use crate::TuneError;

/// Most trials trained at once by one process.
pub const MAX_JOBS: usize = 64;

/// Most values per continuous range of a grid.
pub const MAX_GRID_POINTS: usize = 1000;

/// Most points a grid may have.
pub const MAX_GRID_SIZE: usize = 1_000_000;

/// What to search and how.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// The base training config file.
    pub config: PathBuf,
    /// The search space file.
    pub space: PathBuf,
    /// The training data.
    pub data: PathBuf,
    /// The study's name.
    pub study: String,
    /// The store, `sqlite:PATH` (default `sqlite:<dir>/study.db`).
    pub storage: Option<String>,
    /// Where the trials' model directories go (default `runs/tune/<study>`).
    pub dir: Option<PathBuf>,
    /// The search method.
    pub method: Method,
    /// Trials the study should hold when done (all workers together).
    pub trials: usize,
    /// Trials trained at once by this process.
    pub jobs: usize,
    /// No new trial starts after this long.
    pub timeout: Option<Duration>,
    /// The seed of the samplers.
    pub seed: u64,
    /// Whether hopeless trials are pruned.
    pub prune: bool,
    /// Where trials train.
    pub device: DeviceSpec,
}

impl TuneOptions {
    /// The study's folder.
    pub fn study_dir(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("runs/tune").join(&self.study))
    }

    /// The store's URL.
    pub fn storage_url(&self) -> String {
        self.storage
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.study_dir().join("study.db").display()))
    }
}

/// Receives progress; the CLI prints it.
pub trait TuneObserver: Sync {
    /// A trial starts with these values.
    fn trial_started(&self, _number: usize, _params: &Params) {}
    /// A trial finished (complete, pruned or failed).
    fn trial_finished(&self, _trial: &Trial, _best: Option<f64>) {}
    /// Something worth telling the user.
    fn note(&self, _message: &str) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl TuneObserver for Quiet {}

/// What one run of a study did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TuneSummary {
    /// The study.
    pub study: String,
    /// Its store.
    pub storage: String,
    /// Trials this run trained.
    pub ran: usize,
    /// Trials the study holds now.
    pub trials: usize,
    /// The best value so far.
    pub best_value: Option<f64>,
    /// The best trial's number.
    pub best_trial: Option<usize>,
}

/// The objective's direction for a kind: classifiers maximise validation accuracy, the others
/// minimise their validation loss.
pub fn direction_of(model: &ModelConfig) -> Direction {
    match model {
        ModelConfig::Classifier(_) | ModelConfig::AudioClassifier(_) | ModelConfig::TextHead(_) => {
            Direction::Maximize
        }
        _ => Direction::Minimize,
    }
}

/// The objective's value after an epoch.
fn epoch_value(direction: Direction, m: &EpochMetrics) -> f64 {
    match direction {
        Direction::Minimize => m.valid_nll,
        Direction::Maximize => m.valid_accuracy.unwrap_or(f64::NAN),
    }
}

/// Checks every value of the space against the base config: each choice, and both ends of each
/// range, must make a config that parses and validates (unknown keys, wrong types and values out
/// of range are found here, before any trial).
pub fn check_space(
    space: &SearchSpace,
    config_text: &str,
    options: &TuneOptions,
) -> Result<(), TuneError> {
    for p in &space.parameters {
        let probes: Vec<toml::Value> = match &p.distribution {
            Distribution::Choice(values) => values.clone(),
            d => {
                let (lo, hi) = d.internal_range().unwrap_or((0.0, 1.0));
                vec![d.value_of(lo), d.value_of(hi)]
            }
        };
        for value in probes {
            let mut params: Params = p.when.clone().into_iter().collect();
            params.insert(p.key.clone(), value.clone());
            if let Err(reason) = TrainConfig::parse(config_text, &SearchSpace::overrides(&params)) {
                return Err(TuneError::Config {
                    space: options.space.display().to_string(),
                    config: options.config.clone(),
                    key: p.key.clone(),
                    value: value.to_string(),
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// Runs (or continues) a study until it holds `options.trials` trials.
pub fn run_study(
    options: &TuneOptions,
    observer: &dyn TuneObserver,
) -> Result<TuneSummary, TuneError> {
    if options.trials == 0 || options.jobs == 0 {
        return Err(TuneError::Options(
            "--trials and --jobs must be at least 1".into(),
        ));
    }
    if options.jobs > MAX_JOBS {
        return Err(TuneError::Options(format!(
            "--jobs {}: give at most {MAX_JOBS} (each job trains a model at once)",
            options.jobs
        )));
    }
    if let Method::Grid { points } = options.method {
        if !(1..=MAX_GRID_POINTS).contains(&points) {
            return Err(TuneError::Options(format!(
                "--grid-points {points}: give 1 to {MAX_GRID_POINTS}"
            )));
        }
    }
    let config_text =
        std::fs::read_to_string(&options.config).map_err(|e| FileError::new(&options.config, e))?;
    let space_text =
        std::fs::read_to_string(&options.space).map_err(|e| FileError::new(&options.space, e))?;
    let space = SearchSpace::parse(&space_text, &options.space.display().to_string())?;
    let base = TrainConfig::parse(&config_text, &[]).map_err(|reason| TrainError::Config {
        path: options.config.clone(),
        reason,
    })?;
    check_space(&space, &config_text, options)?;
    if let Method::Grid { points } = options.method {
        // An upper bound (conditions only remove points), counted without building the grid.
        let size = space.parameters.iter().fold(1usize, |n, p| {
            n.saturating_mul(p.distribution.grid(points).len())
        });
        if size > MAX_GRID_SIZE {
            return Err(TuneError::Options(format!(
                "the grid has up to {size} points; give fewer --grid-points or choices (at most {MAX_GRID_SIZE})"
            )));
        }
    }
    let direction = direction_of(&base.model);
    let dir = options.study_dir();
    let store = Store::open(&options.storage_url())?;
    let study = store.study(&StudySpec {
        name: options.study.clone(),
        space: space.clone(),
        config: config_text.clone(),
        direction,
        dir: dir.clone(),
    })?;
    options.device.check_available().map_err(TrainError::from)?;
    let (data, report) = TaskData::load(&options.data, &base.data)?;
    for f in &report.failures {
        observer.note(&format!("skipped {}: {}", f.path.display(), f.reason));
    }
    let shared = Worker {
        options,
        store: &store,
        study: &study,
        space: &space,
        config_text: &config_text,
        base: &base,
        data: Arc::new(data),
        direction,
        observer,
        started: Instant::now(),
    };
    let ran: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..options.jobs)
            .map(|_| scope.spawn(|| shared.work()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Ok(0)))
            .sum::<Result<usize, TuneError>>()
    })?;
    let trials = store.trials(study.id)?;
    let best = best_trial(&trials, direction);
    Ok(TuneSummary {
        study: options.study.clone(),
        storage: store.url().to_string(),
        ran,
        trials: trials.len(),
        best_value: best.and_then(|t| t.value),
        best_trial: best.map(|t| t.number),
    })
}

/// The best complete trial.
pub fn best_trial(trials: &[Trial], direction: Direction) -> Option<&Trial> {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Complete && t.value.is_some_and(f64::is_finite))
        .min_by(|a, b| {
            direction
                .as_loss(a.value.unwrap_or(f64::NAN))
                .total_cmp(&direction.as_loss(b.value.unwrap_or(f64::NAN)))
        })
}

/// What every worker thread shares.
struct Worker<'a> {
    options: &'a TuneOptions,
    store: &'a Store,
    study: &'a StoredStudy,
    space: &'a SearchSpace,
    config_text: &'a str,
    base: &'a TrainConfig,
    data: Arc<TaskData>,
    direction: Direction,
    observer: &'a dyn TuneObserver,
    started: Instant,
}

impl Worker<'_> {
    /// Claims and trains trials until the study is done; returns how many it trained.
    fn work(&self) -> Result<usize, TuneError> {
        let mut ran = 0;
        loop {
            if self
                .options
                .timeout
                .is_some_and(|t| self.started.elapsed() >= t)
            {
                return Ok(ran);
            }
            let claimed =
                self.store
                    .claim(self.study.id, self.options.trials, |history, number| {
                        suggest(
                            self.options.method,
                            self.space,
                            history,
                            self.direction,
                            number,
                            self.options.seed,
                        )
                    })?;
            let Some((number, params)) = claimed else {
                return Ok(ran);
            };
            self.observer.trial_started(number, &params);
            let (state, value, seconds, message) = self.run_trial(number, &params);
            self.store.finish(
                self.study.id,
                number,
                state,
                value,
                seconds,
                message.as_deref(),
            )?;
            ran += 1;
            let trials = self.store.trials(self.study.id)?;
            let best = best_trial(&trials, self.direction).and_then(|t| t.value);
            if let Some(t) = trials.iter().find(|t| t.number == number) {
                self.observer.trial_finished(t, best);
            }
        }
    }

    /// Trains one trial: its state, value, seconds and message.
    fn run_trial(
        &self,
        number: usize,
        params: &Params,
    ) -> (TrialState, Option<f64>, f64, Option<String>) {
        let started = Instant::now();
        let config = match TrainConfig::parse(self.config_text, &SearchSpace::overrides(params)) {
            Ok(c) => c,
            Err(reason) => return (TrialState::Failed, None, 0.0, Some(reason)),
        };
        let out = trial_dir(&self.study.spec.dir, number);
        // A directory left by a lost trial of this number is stale.
        let _ = std::fs::remove_dir_all(&out);
        let data = if config.data == self.base.data {
            Ok(self.data.clone())
        } else {
            TaskData::load(&self.options.data, &config.data).map(|(d, _)| Arc::new(d))
        };
        let data = match data {
            Ok(d) => d,
            Err(e) => return (TrialState::Failed, None, 0.0, Some(e.to_string())),
        };
        let mut observer = TrialObserver {
            store: self.store,
            study: self.study.id,
            number,
            direction: self.direction,
            pruner: self.options.prune.then(MedianPruner::default),
            curve: Vec::new(),
            epochs: config.train.epochs,
            pruned: false,
            failed_record: None,
        };
        let job = TrialJob {
            data: &data,
            config: &config,
            options: TrainOptions {
                out,
                resume: false,
                data_path: self.options.data.clone(),
                command: format!(
                    "euterpe tune --study {} (trial {number}: {})",
                    self.options.study,
                    SearchSpace::overrides(params).join(" ")
                ),
            },
            observer: &mut observer,
        };
        let device = self.options.device;
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_training(device, job)));
        let seconds = started.elapsed().as_secs_f64();
        let best = observer.best();
        let result = match outcome {
            Ok(Ok(r)) => r.map_err(|e| e.to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("training panicked".to_string()),
        };
        match (result, observer.pruned, observer.failed_record) {
            (_, _, Some(e)) => (TrialState::Failed, best, seconds, Some(e)),
            (Err(e), _, _) => (TrialState::Failed, best, seconds, Some(e)),
            (Ok(_), true, _) => (
                TrialState::Pruned,
                best,
                seconds,
                Some(format!("pruned after epoch {}", observer.curve.len())),
            ),
            (Ok(_), false, _) if best.is_some_and(f64::is_finite) => {
                (TrialState::Complete, best, seconds, None)
            }
            (Ok(_), false, _) => (
                TrialState::Failed,
                None,
                seconds,
                Some("no finite validation value".into()),
            ),
        }
    }
}

/// A trial's training on whichever backend the device needs.
struct TrialJob<'a, 'o> {
    data: &'a TaskData,
    config: &'a TrainConfig,
    options: TrainOptions,
    observer: &'a mut TrialObserver<'o>,
}

impl TrainingJob for TrialJob<'_, '_> {
    type Output = Result<TrainSummary, TrainError>;

    fn run<B: TrainingBackend>(self, device: B::Device) -> Self::Output {
        train::<B>(
            self.data,
            self.config,
            &self.options,
            &device,
            self.observer,
        )
    }
}

/// Reports a trial's epochs to the store and asks the pruner after each.
struct TrialObserver<'a> {
    store: &'a Store,
    study: i64,
    number: usize,
    direction: Direction,
    pruner: Option<MedianPruner>,
    curve: Vec<(usize, f64)>,
    /// The run's epochs: a trial that reached its last is complete, never pruned.
    epochs: usize,
    pruned: bool,
    failed_record: Option<String>,
}

impl TrialObserver<'_> {
    /// The best value so far.
    fn best(&self) -> Option<f64> {
        self.curve
            .iter()
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite())
            .reduce(|a, b| if self.direction.better(b, a) { b } else { a })
    }
}

impl TrainObserver for TrialObserver<'_> {
    fn epoch_done(&mut self, m: &EpochMetrics) {
        let value = epoch_value(self.direction, m);
        self.curve.push((m.epoch, value));
        if let Err(e) = self
            .store
            .record_epoch(self.study, self.number, m.epoch, value)
        {
            self.failed_record = Some(e.to_string());
            return;
        }
        if let (Some(pruner), true) = (&self.pruner, m.epoch < self.epochs) {
            if let Ok(history) = self.store.trials(self.study) {
                self.pruned = pruner.should_prune(self.direction, &history, &self.curve, m.epoch);
            }
        }
    }

    fn should_stop(&mut self) -> bool {
        self.pruned || self.failed_record.is_some()
    }
}

/// The config of a trial (the base with its values), as TOML: what `--report` writes for the
/// best trial.
pub fn trial_config(config_text: &str, params: &Params) -> Result<String, String> {
    TrainConfig::parse(config_text, &SearchSpace::overrides(params)).map(|c| c.to_toml())
}

/// The model directory of a trial.
pub fn trial_dir(dir: &Path, number: usize) -> PathBuf {
    dir.join(format!("trial-{number:03}"))
}
