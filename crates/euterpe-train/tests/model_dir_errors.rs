//! A model directory with missing or mismatched weights gets a clear error naming the file.

use euterpe_data::TaskData;
use euterpe_models::backend::CpuAutodiff;
use euterpe_store::ModelSource;
use euterpe_train::trainer::{train, Silent, TrainOptions};

mod common;
use common::{config, jsb_small};

#[test]
fn mismatched_or_missing_weights_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = jsb_small(dir.path());
    let (data, _) = TaskData::load(&data_path, &config(1).data).unwrap();
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
    let source = ModelSource::Dir(out.clone());
    let e = euterpe_train::eval::evaluate::<euterpe_models::backend::Cpu>(
        &source,
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
        &source,
        &data_path,
        euterpe_data::Split::Valid,
        &Default::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(msg.contains("missing weights.bin"), "{msg}");
}
