//! A model directory with missing or mismatched weights gets a clear error naming the file.

use std::path::PathBuf;

use euterpe_models::backend::CpuAutodiff;
use euterpe_models::CellKind;
use euterpe_train::data::TaskData;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

fn jsb_small(dir: &std::path::Path) -> PathBuf {
    let root = euterpe_testkit::shared_data();
    let full = euterpe_music::pianoroll::PolyphonicDataset::load(
        &root.join("polyphonic/jsb_chorales.json"),
    )
    .unwrap();
    let path = dir.join("jsb.json");
    let doc = serde_json::json!({
        "train": full.train.into_iter().take(24).collect::<Vec<_>>(),
        "valid": full.valid.into_iter().take(8).collect::<Vec<_>>(),
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

fn config(epochs: usize) -> TrainConfig {
    let mut c = TrainConfig::default();
    c.model.cell = CellKind::Lstm;
    c.model.hidden = 24;
    c.model.layers = 1;
    c.model.dropout = 0.2; // dropout draws random numbers: resuming must reseed them identically
    c.train.epochs = epochs;
    c.train.batch_size = 6;
    c.train.patience = 0;
    c
}

#[allow(dead_code)]
fn valid_curve(out: &std::path::Path) -> Vec<f64> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["valid_nll"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn mismatched_or_missing_weights_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = jsb_small(dir.path());
    let data = TaskData::load(&data_path, &config(1).data).unwrap();
    let out = dir.path().join("m");
    let opts = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: data_path.clone(),
        command: "test".into(),
    };
    train::<CpuAutodiff>(&data, &config(1), &opts, &Default::default(), &mut Silent).unwrap();
    // Change the architecture in config.toml: the weights no longer fit.
    let cfg = std::fs::read_to_string(out.join("config.toml")).unwrap();
    std::fs::write(
        out.join("config.toml"),
        cfg.replace("hidden = 24", "hidden = 32"),
    )
    .unwrap();
    let e = euterpe_train::eval::evaluate::<euterpe_models::backend::Cpu>(
        &out,
        &data_path,
        euterpe_data::Split::Valid,
        &Default::default(),
    );
    let msg = e.expect_err("mismatched weights are an error").to_string();
    assert!(
        msg.contains("weights.bin") && msg.contains("architecture"),
        "{msg}"
    );
    std::fs::remove_file(out.join("weights.bin")).unwrap();
    let msg = euterpe_train::eval::evaluate::<euterpe_models::backend::Cpu>(
        &out,
        &data_path,
        euterpe_data::Split::Valid,
        &Default::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(msg.contains("missing weights.bin"), "{msg}");
}
