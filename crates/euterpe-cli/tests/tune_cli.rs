//! `euterpe tune` as a user runs it: a study killed with SIGKILL in the middle of a trial
//! continues when run again, and `--report --json` gives the best trial and every trial.

use std::process::Command;
use std::time::{Duration, Instant};

use euterpe_testkit::shared_data;

mod common;
use common::{euterpe, ok, s};

const BASE: &str = r#"
[model]
kind = "frame_lm"
head = { kind = "bernoulli" }

[model.core]
cell = "gru"
hidden = 8
layers = 1

[optim]
lr = 3e-3

[train]
epochs = 25
batch_size = 16
"#;

/// Writes a base config and a space into `dir` and returns the `tune` arguments that search
/// them on JSB into `dir/study`, followed by `more`.
fn study_args(dir: &std::path::Path, base: &str, space: &str, more: &[&str]) -> Vec<String> {
    let config = dir.join("base.toml");
    std::fs::write(&config, base).unwrap();
    let space_file = dir.join("space.toml");
    std::fs::write(&space_file, space).unwrap();
    let data = shared_data().join("polyphonic/jsb_chorales.json");
    let mut args: Vec<String> = [
        "tune",
        "--config",
        s(&config),
        "--space",
        s(&space_file),
        "--data",
        s(&data),
        "--dir",
        s(&dir.join("study")),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(more.iter().map(|a| a.to_string()));
    args
}

#[test]
fn a_killed_study_continues_and_reports_its_best_trial() {
    let dir = tempfile::tempdir().unwrap();
    let data = shared_data().join("polyphonic/jsb_chorales.json");
    let storage = format!("sqlite:{}", dir.path().join("study.db").display());
    let owned = study_args(
        dir.path(),
        BASE,
        "optim.lr = { log_uniform = [1e-3, 1e-2] }\n",
        &[
            "--study",
            "killed",
            "--storage",
            &storage,
            "--method",
            "random",
            "--trials",
            "3",
            "--no-prune",
        ],
    );
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_euterpe"))
        .args(&args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL) once the first trial has trained an epoch.
    let started = Instant::now();
    let first = dir.path().join("study/trial-000/metrics.jsonl");
    while !first.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no trial started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the study ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let out = ok(&euterpe(&args));
    assert!(out.contains("study killed"), "{out}");
    let report: serde_json::Value = serde_json::from_str(&ok(&euterpe(&[
        "tune",
        "--report",
        "--study",
        "killed",
        "--storage",
        &storage,
        "--json",
    ])))
    .unwrap();
    let trials = report["trials"].as_array().unwrap();
    let lost: Vec<_> = trials
        .iter()
        .filter(|t| {
            t["message"]
                .as_str()
                .is_some_and(|m| m.contains("interrupted"))
        })
        .collect();
    assert_eq!(lost.len(), 1, "{report}");
    assert_eq!(lost[0]["number"], 0);
    assert_eq!(report["complete"], 3, "{report}");
    let best = &report["best"];
    assert!(best["value"].as_f64().unwrap() < 30.0, "{best}");
    assert!(best["params"]["optim.lr"].as_f64().is_some());
    let model = std::path::PathBuf::from(best["model"].as_str().unwrap());
    assert!(model.join("weights.bin").is_file());
    // The best trial is a model directory `eval` takes as it is.
    let eval = ok(&euterpe(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--split",
        "valid",
    ]));
    assert!(eval.contains("NLL"), "{eval}");
}

#[test]
fn tune_refuses_a_bad_space_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("base.toml");
    std::fs::write(&config, BASE).unwrap();
    let space = dir.path().join("space.toml");
    std::fs::write(&space, "model.core.hiden = { choice = [8, 16] }\n").unwrap();
    let out = euterpe(&[
        "tune",
        "--config",
        s(&config),
        "--space",
        s(&space),
        "--data",
        s(&shared_data().join("polyphonic/jsb_chorales.json")),
        "--study",
        "bad",
        "--dir",
        s(&dir.path().join("bad")),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("model.core.hiden") && stderr.contains("space.toml"),
        "{stderr}"
    );
}

/// Two `euterpe tune` processes share one study on a real PostgreSQL server, as workers on two
/// machines would. Without PostgreSQL installed the test says so and passes, unless
/// `EUTERPE_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes its absence a failure.
#[test]
fn two_workers_share_a_study_on_postgresql() {
    let required = std::env::var("EUTERPE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let Some(server) = euterpe_testkit::PostgresServer::start() else {
        assert!(
            !required,
            "EUTERPE_REQUIRE_POSTGRES=1 but PostgreSQL is not installed"
        );
        eprintln!("skipped: no PostgreSQL (apt-get install postgresql)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let owned = study_args(
        dir.path(),
        &BASE.replace("epochs = 25", "epochs = 4"),
        "optim.lr = { log_uniform = [1e-3, 1e-2] }\nmodel.core.hidden = { choice = [8, 12] }\n",
        &[
            "--study",
            "shared",
            "--storage",
            &server.url,
            "--method",
            "tpe",
            "--trials",
            "6",
        ],
    );
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    // Started together, not one after the other.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_euterpe"))
                .args(&args)
                .args(["--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ran = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let summary: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        ran += summary["ran"].as_u64().unwrap();
        assert_eq!(summary["trials"], 6, "{summary}");
    }
    assert_eq!(ran, 6, "the two workers trained six trials between them");
    let report: serde_json::Value = serde_json::from_str(&ok(&euterpe(&[
        "tune",
        "--report",
        "--study",
        "shared",
        "--storage",
        &server.url,
        "--json",
    ])))
    .unwrap();
    let trials = report["trials"].as_array().unwrap();
    let numbers: Vec<u64> = trials
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
    let workers: std::collections::BTreeSet<&str> = trials
        .iter()
        .map(|t| t["worker"].as_str().unwrap())
        .collect();
    assert_eq!(workers.len(), 2, "both workers trained trials: {workers:?}");
    assert_eq!(
        report["complete"].as_u64().unwrap() + report["pruned"].as_u64().unwrap(),
        6
    );
    assert!(report["best"]["value"].as_f64().unwrap().is_finite());
}
