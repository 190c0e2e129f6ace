//! Checkpoints: a run interrupted after an epoch and resumed ends exactly where an uninterrupted
//! run ends, with and without a running average of the weights. This file holds a single test on purpose: burn's CPU backend keeps its seeded random
//! generator in a process-wide static, so a training running in a parallel test thread would
//! change this one's random numbers.

use euterpe_data::TaskData;
use euterpe_models::backend::CpuAutodiff;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::{TrainConfig, TrainError};

mod common;
use common::{config, jsb_small, valid_curve};

#[test]
fn resuming_continues_exactly_from_the_last_checkpoint() {
    let plain = resumed_curve(|_| {});
    let averaged = resumed_curve(|c| c.optim.ema = 0.9);
    assert_ne!(
        plain, averaged,
        "the averaged weights are what is validated"
    );
    an_average_added_on_resume_is_a_clear_error();
}

/// A run started without `optim.ema` has no average to resume: the error says so.
fn an_average_added_on_resume_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = jsb_small(dir.path());
    let (data, _) = TaskData::load(&data_path, &config(1).data).unwrap();
    let opts = |resume| TrainOptions {
        out: dir.path().join("run"),
        resume,
        data_path: data_path.clone(),
        command: "test".into(),
    };
    let device = Default::default();
    train::<CpuAutodiff>(&data, &config(1), &opts(false), &device, &mut Silent).unwrap();
    let mut averaged = config(2);
    averaged.optim.ema = 0.9;
    let err = train::<CpuAutodiff>(&data, &averaged, &opts(true), &device, &mut Silent)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("average-1.bin") && err.contains("without `optim.ema`"),
        "{err}"
    );
}

/// Trains 3 epochs straight and 2 + 1 resumed with the config changed by `set`; asserts they
/// agree and returns the validation curve.
fn resumed_curve(set: impl Fn(&mut TrainConfig)) -> Vec<f64> {
    let config = |epochs| {
        let mut c = config(epochs);
        set(&mut c);
        c
    };
    let dir = tempfile::tempdir().unwrap();
    let data_path = jsb_small(dir.path());
    let (data, _) = TaskData::load(&data_path, &config(3).data).unwrap();
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
    a
}
