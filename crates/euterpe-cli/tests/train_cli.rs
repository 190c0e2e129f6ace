//! `euterpe train` and `euterpe eval` as a user runs them, including a run killed with SIGKILL
//! and resumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use euterpe_testkit::shared_data;

fn euterpe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_euterpe"))
}

fn run(args: &[&str]) -> Output {
    euterpe().args(args).output().expect("the binary runs")
}

/// A small JSB file and a small LSTM config in `dir`.
fn setup(dir: &Path, epochs: usize) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(shared_data().join("polyphonic/jsb_chorales.json")).unwrap();
    let full: serde_json::Value = serde_json::from_str(&text).unwrap();
    let take =
        |k: &str, n: usize| serde_json::Value::Array(full[k].as_array().unwrap()[..n].to_vec());
    let data = dir.join("jsb.json");
    std::fs::write(
        &data,
        serde_json::json!({"train": take("train", 40), "valid": take("valid", 10)}).to_string(),
    )
    .unwrap();
    let config = dir.join("small.toml");
    std::fs::write(
        &config,
        format!("[model]\nkind = \"frame_lm\"\n\n[model.core]\ncell = \"lstm\"\nhidden = 32\nlayers = 1\n\n[train]\nepochs = {epochs}\nbatch_size = 4\npatience = 0\n"),
    )
    .unwrap();
    (data, config)
}

fn epochs_logged(out: &Path) -> Vec<u64> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

#[test]
fn a_killed_run_resumes_from_its_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = setup(dir.path(), 40);
    let out = dir.path().join("model");
    let (d, c, o) = (
        data.to_str().unwrap(),
        config.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let mut child = euterpe()
        .args([
            "train", "--config", c, "--data", d, "--out", o, "--device", "cpu",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the second checkpoint, then kill -9.
    let started = Instant::now();
    while epochs_logged(&out).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint after two minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let killed_at = epochs_logged(&out).len() as u64;
    assert!(killed_at < 40);

    // Without --resume the directory is protected.
    let refused = run(&["train", "--config", c, "--data", d, "--out", o]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let resumed = run(&[
        "train",
        "--config",
        c,
        "--data",
        d,
        "--out",
        o,
        "--resume",
        "--set",
        "train.epochs=40",
        "--json",
    ]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains("resuming after epoch"), "{stderr}");
    let epochs = epochs_logged(&out);
    assert_eq!(
        epochs,
        (1..=40).collect::<Vec<u64>>(),
        "one line per epoch, none lost or repeated"
    );
    let summary: serde_json::Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(summary["epochs"], 40);

    let eval = run(&[
        "eval", "--model", o, "--data", d, "--split", "valid", "--json",
    ]);
    assert!(eval.status.success());
    let report: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(report["split"], "valid");
    assert!(report["frames"].as_u64().unwrap() > 100);
    let nll = report["nll"].as_f64().unwrap();
    assert!((nll - summary["best_valid_nll"].as_f64().unwrap()).abs() < 1e-3 * nll);
}

#[test]
fn bad_configs_and_data_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = setup(dir.path(), 1);
    let out = dir.path().join("m");
    let (d, c, o) = (
        data.to_str().unwrap(),
        config.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let check = |args: &[&str], needles: &[&str]| {
        let r = run(args);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} should fail");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{args:?}: {stderr:?} lacks {n:?}");
        }
    };
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "[model]\nkind = \"frame_lm\"\nhiden = 3\n").unwrap();
    check(
        &[
            "train",
            "--config",
            unknown.to_str().unwrap(),
            "--data",
            d,
            "--out",
            o,
        ],
        &["unknown.toml", "hiden"],
    );
    check(
        &[
            "train",
            "--config",
            c,
            "--data",
            d,
            "--out",
            o,
            "--set",
            "optim.lr=0",
        ],
        &["small.toml", "optim.lr"],
    );
    check(
        &[
            "train",
            "--config",
            c,
            "--data",
            "/no/such/file.json",
            "--out",
            o,
        ],
        &["/no/such/file.json"],
    );
    // A model kind that cannot learn from this data.
    check(
        &[
            "train",
            "--config",
            c,
            "--data",
            d,
            "--out",
            o,
            "--set",
            "model.kind=token_lm",
        ],
        &["jsb.json", "piano-roll frames", "token_lm"],
    );
    // A GPU asked of a CPU-only build.
    if !cfg!(feature = "cuda") {
        check(
            &[
                "train", "--config", c, "--data", d, "--out", o, "--device", "cuda:1",
            ],
            &["cuda:1", "`cuda` feature"],
        );
    }
    let only_train = dir.path().join("only_train.json");
    std::fs::write(&only_train, r#"{"train": [[[60], [62], [64]]]}"#).unwrap();
    check(
        &[
            "train",
            "--config",
            c,
            "--data",
            only_train.to_str().unwrap(),
            "--out",
            o,
        ],
        &["only_train.json", "valid"],
    );
    check(
        &["eval", "--model", dir.path().to_str().unwrap(), "--data", d],
        &["config.toml"],
    );
    assert!(!out.join("weights.bin").exists());
}

/// `eval` takes a built-in model by name and any folder of MIDI files, read the way the model's
/// training data was: the folk model scores Essen songs far better than a unigram model would
/// (about 3.5 nats per token), near its card's validation figure.
#[test]
fn a_built_in_model_is_evaluated_by_name_on_any_midi_folder() {
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("essen");
    std::fs::create_dir(&songs).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data().join("essen/midi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().step_by(200).take(30) {
        std::fs::copy(f, songs.join(f.file_name().unwrap())).unwrap();
    }
    let out = euterpe()
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args(["eval", "--model", "folk", "--data", songs.to_str().unwrap()])
        .args(["--split", "train", "--device", "cpu", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["model"], "built-in model folk");
    assert_eq!(report["kind"], "token_lm");
    assert_eq!(report["unit"], "token");
    let nll = report["nll"].as_f64().unwrap();
    assert!(nll < 1.0, "NLL {nll} per token");
    assert!(report["accuracy"].as_f64().unwrap() > 0.6, "{report}");
    assert!(report["tokens"].as_u64().unwrap() > 1000);
}

/// The weights file that fuzzing found (`crates/euterpe-store/tests/data`): burn panics while it
/// decodes it; the user sees one line naming the file, not a panic message.
#[test]
fn corrupt_weights_are_one_line_errors_without_a_panic_message() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(
        model.join("config.toml"),
        "[model]\nkind = \"frame_lm\"\nhead = { kind = \"nade\", hidden = 4 }\n\n[model.core]\ncell = \"lstm\"\nhidden = 8\nlayers = 1\n",
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../euterpe-store/tests/data/weights-overflowing-shape.bin"),
        model.join("weights.bin"),
    )
    .unwrap();
    let data = shared_data().join("polyphonic/jsb_chorales.json");
    let out = run(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("weights.bin") && err.contains("corrupt"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
