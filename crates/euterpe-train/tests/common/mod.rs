//! Helpers shared by the checkpoint tests: a small JSB file, a small LSTM config, the curve.
#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;

use euterpe_models::{CoreConfig, FrameLmConfig, ModelConfig};
use euterpe_train::TrainConfig;

/// The first 24 training and 8 validation JSB chorales, written into `dir`.
pub fn jsb_small(dir: &std::path::Path) -> PathBuf {
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

/// A one-layer LSTM frame model of 24 units with dropout, trained for `epochs`.
pub fn config(epochs: usize) -> TrainConfig {
    let mut c = TrainConfig {
        model: ModelConfig::FrameLm(FrameLmConfig {
            // Dropout draws random numbers: resuming must reseed them identically.
            core: CoreConfig::of_cell("lstm", 24, 1, 0.2).expect("a known cell"),
            ..FrameLmConfig::default()
        }),
        ..TrainConfig::default()
    };
    c.train.epochs = epochs;
    c.train.batch_size = 6;
    c.train.patience = 0;
    c
}

/// The validation NLL of each epoch in a model directory.
pub fn valid_curve(out: &std::path::Path) -> Vec<f64> {
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
