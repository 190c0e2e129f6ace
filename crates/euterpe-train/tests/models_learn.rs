//! Every model kind learns: on real data, training lowers the validation loss and ends below a
//! unigram baseline on held-out sequences. Small models and few epochs keep this fast.

use std::path::{Path, PathBuf};

use euterpe_data::Split;
use euterpe_data::TaskData;
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::config::{NadeConfig, CELLS};
use euterpe_models::{CoreConfig, FrameHeadConfig, FrameLmConfig, ModelConfig, TokenLmConfig};
use euterpe_music::pianoroll::PolyphonicDataset;
use euterpe_store::ModelSource;
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

use euterpe_testkit::shared_data;

/// A small core of `cell`: 48 units, one recurrent layer or two Transformer blocks.
fn small_core(cell: &str) -> CoreConfig {
    let layers = if cell == "transformer" { 2 } else { 1 };
    let mut core = CoreConfig::of_cell(cell, 48, layers, 0.0).expect("a known cell");
    if let Some(t) = core.transformer_mut() {
        t.heads = 4;
        t.max_len = 256;
    }
    core
}

fn small_config(model: ModelConfig) -> TrainConfig {
    let mut c = TrainConfig {
        model,
        ..TrainConfig::default()
    };
    c.optim.lr = 1e-2;
    c.data.seq_len = 128;
    c.train.epochs = 4;
    c.train.batch_size = 8;
    c.train.patience = 0;
    c
}

fn options(out: &Path, data: &Path) -> TrainOptions {
    TrainOptions {
        out: out.to_path_buf(),
        resume: false,
        data_path: data.to_path_buf(),
        command: "test".into(),
    }
}

/// NLL per frame of an independent-Bernoulli model with the training set's key frequencies.
fn frame_unigram_nll(train: &[Vec<Vec<u8>>], valid: &[Vec<Vec<u8>>]) -> f64 {
    let mut on = [1.0f64; 88];
    let mut frames = 2.0;
    for f in train.iter().flatten() {
        frames += 1.0;
        for &p in f {
            on[(p - 21) as usize] += 1.0;
        }
    }
    let (mut nll, mut n) = (0.0, 0usize);
    for seq in valid {
        for f in seq.iter().skip(1) {
            for (k, count) in on.iter().enumerate() {
                let p = count / frames;
                nll -= if f.contains(&(k as u8 + 21)) {
                    p.ln()
                } else {
                    (1.0 - p).ln()
                };
            }
            n += 1;
        }
    }
    nll / n as f64
}

/// A JSB subset: the first 60 training and 30 validation chorales.
fn jsb_subset(dir: &Path) -> (PathBuf, f64) {
    let full =
        PolyphonicDataset::load(&shared_data().join("polyphonic/jsb_chorales.json")).unwrap();
    let train: Vec<_> = full.train.into_iter().take(60).collect();
    let valid: Vec<_> = full.valid.into_iter().take(30).collect();
    let baseline = frame_unigram_nll(&train, &valid);
    let path = dir.join("jsb_small.json");
    std::fs::write(
        &path,
        serde_json::json!({"train": train, "valid": valid}).to_string(),
    )
    .unwrap();
    (path, baseline)
}

/// Trains `config` on `data_path` and checks that it learns; returns the folder that holds the
/// model directory, `model`.
fn check_learns(
    data_path: &Path,
    config: &TrainConfig,
    baseline: f64,
    label: &str,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let (data, _) = TaskData::load(data_path, &config.data).unwrap();
    let summary = train::<CpuAutodiff>(
        &data,
        config,
        &options(&out, data_path),
        &Default::default(),
        &mut Silent,
    )
    .unwrap();
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let valid: Vec<f64> = metrics
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["valid_nll"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(valid.len(), config.train.epochs, "{label}");
    assert!(
        valid.last().unwrap() < valid.first().unwrap(),
        "{label}: validation loss did not fall: {valid:?}"
    );
    assert!(
        summary.best_valid_nll < baseline,
        "{label}: {} does not beat the unigram baseline {baseline}",
        summary.best_valid_nll
    );
    // The saved model evaluates to the best validation figure.
    let source = ModelSource::Dir(out.clone());
    let report = evaluate::<Cpu>(&source, data_path, Split::Valid, &Default::default()).unwrap();
    assert!(
        (report.nll - summary.best_valid_nll).abs() < 1e-3 * summary.best_valid_nll,
        "{label}: {} vs {}",
        report.nll,
        summary.best_valid_nll
    );
    for f in [
        "config.toml",
        "weights.bin",
        "metrics.jsonl",
        "curves.svg",
        "card.md",
    ] {
        assert!(out.join(f).is_file(), "{label}: missing {f}");
    }
    dir
}

#[test]
fn every_cell_learns_piano_roll_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (path, baseline) = jsb_subset(dir.path());
    for cell in CELLS {
        let mut c = small_config(ModelConfig::FrameLm(FrameLmConfig {
            core: small_core(cell),
            ..FrameLmConfig::default()
        }));
        c.train.batch_size = 2;
        c.train.epochs = 10;
        check_learns(&path, &c, baseline, &format!("{cell} frames"));
    }
}

#[test]
fn the_nade_head_learns_piano_roll_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (path, baseline) = jsb_subset(dir.path());
    let c = small_config(ModelConfig::FrameLm(FrameLmConfig {
        head: FrameHeadConfig::Nade(NadeConfig { hidden: 32 }),
        core: small_core("gru"),
    }));
    check_learns(&path, &c, baseline, "NADE frames");
}

/// Unigram NLL per token of the training tokens' frequencies (add-one smoothed) on validation.
fn token_unigram_nll(data: &TaskData) -> f64 {
    let TaskData::Tokens(data) = data else {
        panic!("MIDI data gives tokens")
    };
    let mut counts = vec![1.0f64; data.vocab.len()];
    for t in data.splits[0].iter().flat_map(|s| s.iter().skip(1)) {
        counts[*t as usize] += 1.0;
    }
    let total: f64 = counts.iter().sum();
    let (mut nll, mut n) = (0.0, 0);
    for t in data.splits[1].iter().flat_map(|s| s.iter().skip(1)) {
        nll -= (counts[*t as usize] / total).ln();
        n += 1;
    }
    nll / n as f64
}

/// 48 Essen folk songs in `dir/essen`: 70/15/15 by the seeded hash.
fn essen_subset(dir: &Path) -> PathBuf {
    let corpus = dir.join("essen");
    std::fs::create_dir(&corpus).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data().join("essen/midi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().step_by(150).take(48) {
        std::fs::copy(f, corpus.join(f.file_name().unwrap())).unwrap();
    }
    corpus
}

#[test]
fn every_cell_learns_midi_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = essen_subset(dir.path());
    for cell in CELLS {
        let mut c = small_config(ModelConfig::TokenLm(TokenLmConfig {
            embedding: 32,
            core: small_core(cell),
            ..TokenLmConfig::default()
        }));
        c.data.cache = Some(dir.path().join("cache.etok"));
        let (data, _) = TaskData::load(&corpus, &c.data).unwrap();
        assert!(!data.is_empty(Split::Valid));
        let baseline = token_unigram_nll(&data);
        check_learns(&corpus, &c, baseline, &format!("{cell} tokens"));
    }
}

/// A bidirectional encoder learns masked tokens (each from both sides of it) better than their
/// frequencies predict them, and is refused for generation.
#[test]
fn an_encoder_learns_masked_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = essen_subset(dir.path());
    let mut core = small_core("transformer");
    if let Some(t) = core.transformer_mut() {
        t.causal = false;
    }
    let mut c = small_config(ModelConfig::TokenLm(TokenLmConfig {
        core,
        ..TokenLmConfig::default()
    }));
    c.data.mask_chance = 0.15;
    // Only 15 % of the positions are scored: more, smaller steps than a next-token model needs
    // (6 epochs of batches of 8 ended within 0.05 nats of the baseline, one side or the other).
    c.train.epochs = 10;
    c.train.batch_size = 2;
    c.optim.lr = 3e-3;
    c.data.cache = Some(dir.path().join("cache.etok"));
    let (data, _) = TaskData::load(&corpus, &c.data).unwrap();
    let baseline = token_unigram_nll(&data);
    let trained = check_learns(&corpus, &c, baseline, "masked tokens");
    let loaded = ModelSource::Dir(trained.path().join("model"))
        .load::<Cpu>(&Default::default())
        .unwrap();
    let err = loaded.into_token_lm("generate").err().unwrap().to_string();
    assert!(err.contains("bidirectional"), "{err}");
}
