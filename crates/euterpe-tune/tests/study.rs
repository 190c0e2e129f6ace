//! Studies on the real JSB Chorales benchmark with a tiny LSTM: trials are real training runs in
//! their own model directories, a study continues where it stopped, a diverging trial is recorded
//! as failed while the study goes on, and bad spaces are refused before any trial.

use std::path::{Path, PathBuf};

use euterpe_models::backend::DeviceSpec;
use euterpe_testkit::shared_data;
use euterpe_tune::report::report;
use euterpe_tune::sampler::Method;
use euterpe_tune::store::Store;
use euterpe_tune::study::{run_study, Quiet, TuneOptions};
use euterpe_tune::trial::TrialState;
use euterpe_tune::TuneError;

const BASE: &str = r#"
[model]
kind = "frame_lm"
head = { kind = "bernoulli" }

[model.core]
cell = "gru"
hidden = 16
layers = 1

[optim]
lr = 3e-3

[train]
epochs = 3
batch_size = 16
"#;

fn options(dir: &Path, space: &str, study: &str, method: Method, trials: usize) -> TuneOptions {
    let config = dir.join("base.toml");
    std::fs::write(&config, BASE).unwrap();
    let space_path = dir.join(format!("{study}-space.toml"));
    std::fs::write(&space_path, space).unwrap();
    TuneOptions {
        config,
        space: space_path,
        data: shared_data().join("polyphonic/jsb_chorales.json"),
        study: study.into(),
        storage: Some(format!("sqlite:{}", dir.join("study.db").display())),
        dir: Some(dir.join(study)),
        method,
        trials,
        jobs: 2,
        timeout: None,
        seed: 1,
        prune: true,
        device: DeviceSpec::Cpu,
    }
}

fn trial_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut d: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    d.retain(|p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("trial-")
    });
    d.sort();
    d
}

#[test]
fn a_study_trains_real_trials_continues_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let space =
        "optim.lr = { log_uniform = [1e-3, 2e-2] }\nmodel.core.hidden = { choice = [8, 16] }\n";
    let o = options(dir.path(), space, "jsb", Method::Random, 4);
    let summary = run_study(&o, &Quiet).unwrap();
    assert_eq!((summary.ran, summary.trials), (4, 4));
    let best = summary.best_value.unwrap();
    // Four trials of three epochs: far below an untrained model's 88 · ln 2 ≈ 61 nats.
    assert!(best.is_finite() && best < 20.0, "{best}");
    assert_eq!(trial_dirs(&dir.path().join("jsb")).len(), 4);

    // Asked for six, the same study trains two more.
    let o6 = TuneOptions {
        trials: 6,
        ..o.clone()
    };
    assert_eq!(run_study(&o6, &Quiet).unwrap().ran, 2);

    let store = Store::open(o.storage.as_deref().unwrap()).unwrap();
    let r = report(&store, "jsb").unwrap();
    assert_eq!(r.trials.len(), 6);
    assert_eq!(r.complete + r.pruned, 6);
    for t in &r.trials {
        assert_eq!(t.curve.len() == 3, t.state == TrialState::Complete, "{t:?}");
        assert!(t.params.contains_key("optim.lr") && t.params.contains_key("model.core.hidden"));
    }
    let b = r.best.expect("a best trial");
    assert!(b.model.join("weights.bin").is_file());
    let text = std::fs::read_to_string(&b.config).unwrap();
    let config = euterpe_train::TrainConfig::parse(&text, &[]).unwrap();
    assert_eq!(
        config.optim.lr,
        b.params["optim.lr"].as_float().unwrap(),
        "the best config holds the best trial's values"
    );
    assert!(r.plots.iter().all(|p| p.is_file()));
    assert_eq!(r.importance.len(), 2);

    // The same name with another space is refused before anything trains.
    let other = options(
        dir.path(),
        "optim.lr = { uniform = [1e-3, 2e-3] }\n",
        "jsb",
        Method::Random,
        8,
    );
    let e = run_study(&other, &Quiet).unwrap_err();
    assert!(matches!(e, TuneError::StudyMismatch { .. }), "{e}");
}

#[test]
fn a_diverging_trial_fails_and_the_study_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Decoupled weight decay of 1e30 multiplies every weight by about -3e27 per step: the weights
    // overflow to infinity within two steps on any CPU, so this trial diverges for certain (a
    // large learning rate alone only saturates a GRU, and whether that ends in NaN depends on
    // the machine's rounding).
    let space = "optim.optimizer = { choice = [\"adamw\"] }\noptim.weight_decay = { choice = [0.0, 1e30] }\n";
    let mut o = options(dir.path(), space, "grid", Method::Grid { points: 3 }, 2);
    o.jobs = 1;
    o.prune = false;
    let summary = run_study(&o, &Quiet).unwrap();
    assert_eq!(summary.trials, 2);
    let store = Store::open(o.storage.as_deref().unwrap()).unwrap();
    let r = report(&store, "grid").unwrap();
    let by_decay = |decay: f64| {
        r.trials
            .iter()
            .find(|t| t.params["optim.weight_decay"].as_float() == Some(decay))
            .unwrap()
    };
    assert_eq!(by_decay(0.0).state, TrialState::Complete);
    let bad = by_decay(1e30);
    assert_eq!(bad.state, TrialState::Failed, "{bad:?}");
    assert!(
        bad.message.as_deref().unwrap_or("").contains("loss became"),
        "{bad:?}"
    );
    // A grid of two points is used up: asking for more trains nothing new.
    let more = TuneOptions { trials: 5, ..o };
    assert_eq!(run_study(&more, &Quiet).unwrap().ran, 0);
}

#[test]
fn bad_spaces_are_refused_before_any_trial() {
    let dir = tempfile::tempdir().unwrap();
    for (space, expected) in [
        ("model.core.hiden = { choice = [8, 16] }\n", "hiden"),
        ("optim.lr = { choice = [\"fast\"] }\n", "optim.lr"),
        ("train.batch_size = { int = [0, 4] }\n", "batch_size"),
        ("optim.lr = { uniform = [0.2, 0.1] }\n", "empty range"),
    ] {
        let o = options(dir.path(), space, "bad", Method::Random, 2);
        let e = run_study(&o, &Quiet).unwrap_err().to_string();
        assert!(e.contains(expected), "{space}: {e}");
        assert!(trial_dirs(&dir.path().join("bad")).is_empty());
    }
    let huge = options(
        dir.path(),
        "optim.lr = { uniform = [1e-3, 2e-3] }\n",
        "x",
        Method::Random,
        2,
    );
    let e = run_study(
        &TuneOptions {
            jobs: 100_000,
            ..huge.clone()
        },
        &Quiet,
    )
    .unwrap_err();
    assert!(e.to_string().contains("--jobs 100000"), "{e}");
    let many = options(
        dir.path(),
        "optim.lr = { uniform = [1e-3, 2e-3] }\noptim.weight_decay = { uniform = [0.0, 0.1] }\nmodel.core.dropout = { uniform = [0.0, 0.5] }\n",
        "grid",
        Method::Grid { points: 200 },
        2,
    );
    let e = run_study(&many, &Quiet).unwrap_err();
    assert!(e.to_string().contains("8000000 points"), "{e}");
    let e = run_study(
        &TuneOptions {
            method: Method::Grid {
                points: 1_000_000_000,
            },
            ..huge
        },
        &Quiet,
    )
    .unwrap_err();
    assert!(e.to_string().contains("--grid-points"), "{e}");
    assert!(!dir.path().join("grid").exists() && !dir.path().join("x").exists());
    let mut o = options(
        dir.path(),
        "optim.lr = { uniform = [1e-3, 2e-3] }\n",
        "x",
        Method::Random,
        2,
    );
    o.storage = Some("postgres://nowhere/db".into());
    let e = run_study(&o, &Quiet).unwrap_err().to_string();
    assert!(e.contains("postgres://nowhere/db"), "{e}");
}

#[test]
fn the_committed_space_fits_its_base_config() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/tune");
    let base = std::fs::read_to_string(root.join("jsb-base.toml")).unwrap();
    let space_path = root.join("jsb-space.toml");
    let space = euterpe_tune::space::SearchSpace::parse(
        &std::fs::read_to_string(&space_path).unwrap(),
        "jsb-space.toml",
    )
    .unwrap();
    assert_eq!(space.parameters.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    let o = TuneOptions {
        config: root.join("jsb-base.toml"),
        space: space_path,
        ..options(dir.path(), "a = { choice = [1] }", "x", Method::Tpe, 1)
    };
    euterpe_tune::study::check_space(&space, &base, &o).unwrap();
}
