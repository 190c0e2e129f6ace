//! Checkpoints: a run interrupted after an epoch and resumed ends exactly where an uninterrupted
//! run ends. This file holds a single test on purpose: burn's CPU backend keeps its seeded random
//! generator in a process-wide static, so a training running in a parallel test thread would
//! change this one's random numbers.

use std::path::PathBuf;

use euterpe_models::backend::CpuAutodiff;
use euterpe_models::CellKind;
use euterpe_train::data::TaskData;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::{TrainConfig, TrainError};

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
fn resuming_continues_exactly_from_the_last_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = jsb_small(dir.path());
    let data = TaskData::load(&data_path, &config(3).data).unwrap();
    let opts = |out: &str, resume| TrainOptions {
        out: dir.path().join(out),
        resume,
        data_path: data_path.clone(),
        command: "test".into(),
    };
    let device = Default::default();
    train::<CpuAutodiff>(
        &data,
        &config(3),
        &opts("straight", false),
        &device,
        &mut Silent,
    )
    .unwrap();
    // "Killed" after epoch 2: the run stops there; then resumed to 3.
    train::<CpuAutodiff>(
        &data,
        &config(2),
        &opts("resumed", false),
        &device,
        &mut Silent,
    )
    .unwrap();
    let again = train::<CpuAutodiff>(
        &data,
        &config(2),
        &opts("resumed", false),
        &device,
        &mut Silent,
    );
    assert!(
        matches!(again, Err(TrainError::ModelDir { .. })),
        "a finished directory is not overwritten"
    );
    let summary = train::<CpuAutodiff>(
        &data,
        &config(3),
        &opts("resumed", true),
        &device,
        &mut Silent,
    )
    .unwrap();
    assert_eq!(summary.epochs, 3);
    let (a, b) = (
        valid_curve(&dir.path().join("straight")),
        valid_curve(&dir.path().join("resumed")),
    );
    assert_eq!(a.len(), 3);
    assert_eq!(a, b, "resumed run differs from the uninterrupted one");
    // (weights.bin bytes differ: burn records carry random parameter ids.)
}
