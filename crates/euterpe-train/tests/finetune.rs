//! Pretraining → fine-tuning: a run started from a trained model directory copies its weights,
//! learns faster than from scratch, keeps frozen layer groups bit for bit, unfreezes gradually
//! from the top, and refuses a pretrained model that does not fit.

use std::path::{Path, PathBuf};

use euterpe_data::LabelSource;
use euterpe_data::TaskData;
use euterpe_models::backend::CpuAutodiff;
use euterpe_models::{ClassifierConfig, CoreConfig, Model, ModelConfig, TokenLmConfig};
use euterpe_store::load_dir;
use euterpe_testkit::shared_data;
use euterpe_train::finetune::{parameters_by_path, Strategy};
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

/// 40 Essen songs in a folder of two folders, `a` and `b` (two classes for a classifier).
fn essen_subset(dir: &Path) -> PathBuf {
    let corpus = dir.join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_data().join("essen/midi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for (i, f) in files.iter().step_by(170).take(40).enumerate() {
        let to = corpus.join(if i % 2 == 0 { "a" } else { "b" });
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(f, to.join(f.file_name().unwrap())).unwrap();
    }
    corpus
}

fn lm_config(dir: &Path, epochs: usize) -> TrainConfig {
    let mut c = TrainConfig {
        model: ModelConfig::TokenLm(TokenLmConfig {
            embedding: 16,
            core: CoreConfig::of_cell("lstm", 24, 2, 0.0).unwrap(),
            ..TokenLmConfig::default()
        }),
        ..TrainConfig::default()
    };
    c.optim.lr = 1e-2;
    c.data.seq_len = 96;
    c.data.cache = Some(dir.join("cache.etok"));
    c.train.epochs = epochs;
    c.train.batch_size = 8;
    c.train.patience = 0;
    c
}

fn run(config: &TrainConfig, data_path: &Path, out: &Path) -> Result<f64, String> {
    let (data, _) = TaskData::load(data_path, &config.data).map_err(|e| e.to_string())?;
    let options = TrainOptions {
        out: out.to_path_buf(),
        resume: false,
        data_path: data_path.to_path_buf(),
        command: "test".into(),
    };
    train::<CpuAutodiff>(&data, config, &options, &Default::default(), &mut Silent)
        .map(|s| s.best_valid_nll)
        .map_err(|e| e.to_string())
}

fn first_epoch_valid(out: &Path) -> f64 {
    metrics(out)[0]["valid_nll"].as_f64().unwrap()
}

fn metrics(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn params(dir: &Path) -> std::collections::HashMap<String, burn::tensor::TensorData> {
    let m: Model<euterpe_models::backend::Cpu> = load_dir(dir, &Default::default()).unwrap().model;
    parameters_by_path(&m)
}

#[test]
fn fine_tuning_starts_from_the_pretrained_weights_under_each_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = essen_subset(dir.path());
    let pretrained = dir.path().join("pretrained");
    run(&lm_config(dir.path(), 3), &corpus, &pretrained).unwrap();

    // One epoch from the pretrained weights beats one epoch from scratch.
    let scratch = dir.path().join("scratch");
    run(&lm_config(dir.path(), 1), &corpus, &scratch).unwrap();
    let mut full = lm_config(dir.path(), 1);
    full.train.init_from = Some(pretrained.clone());
    run(&full, &corpus, &dir.path().join("full")).unwrap();
    let (from_scratch, fine_tuned) = (
        first_epoch_valid(&scratch),
        first_epoch_valid(&dir.path().join("full")),
    );
    assert!(
        fine_tuned < from_scratch - 0.05,
        "fine-tuned {fine_tuned} vs scratch {from_scratch}"
    );

    // freeze-lower:2 keeps the embedding and the first LSTM layer bit for bit.
    let mut frozen = lm_config(dir.path(), 2);
    frozen.train.init_from = Some(pretrained.clone());
    frozen.train.strategy = Strategy::FreezeLower(2);
    let frozen_dir = dir.path().join("frozen");
    run(&frozen, &corpus, &frozen_dir).unwrap();
    let (before, after) = (params(&pretrained), params(&frozen_dir));
    assert_eq!(before.len(), after.len());
    for (path, value) in &after {
        let same = before[path] == *value;
        let lower = path.starts_with("embedding") || path.starts_with("core.Recurrent.layers.0");
        assert_eq!(same, lower, "{path}: unchanged = {same}");
    }
    let trainable: Vec<u64> = metrics(&frozen_dir)
        .iter()
        .map(|m| m["trainable"].as_u64().unwrap())
        .collect();
    assert!(trainable[0] > 0 && trainable[0] == trainable[1]);

    // Gradual unfreezing: one more layer group trains each epoch (head; + layer 2; + layer 1;
    // + embedding).
    let mut gradual = lm_config(dir.path(), 4);
    gradual.train.init_from = Some(pretrained.clone());
    gradual.train.strategy = Strategy::Gradual;
    let gradual_dir = dir.path().join("gradual");
    run(&gradual, &corpus, &gradual_dir).unwrap();
    let trainable: Vec<u64> = metrics(&gradual_dir)
        .iter()
        .map(|m| m["trainable"].as_u64().unwrap())
        .collect();
    assert!(trainable.windows(2).all(|w| w[0] < w[1]), "{trainable:?}");
    let total: usize = params(&pretrained).values().map(|d| d.num_elements()).sum();
    assert_eq!(trainable[3] as usize, total);

    // A classifier starts from the language model's embedding and core; its head is new.
    let mut classifier = lm_config(dir.path(), 1);
    classifier.model = ModelConfig::Classifier(ClassifierConfig {
        embedding: 16,
        core: CoreConfig::of_cell("lstm", 24, 2, 0.0).unwrap(),
        ..ClassifierConfig::default()
    });
    classifier.data.label = LabelSource::Folder;
    classifier.train.init_from = Some(pretrained.clone());
    classifier.train.strategy = Strategy::FreezeLower(3);
    let classifier_dir = dir.path().join("classifier");
    run(&classifier, &corpus, &classifier_dir).unwrap();
    let (c, lm) = (params(&classifier_dir), params(&pretrained));
    for path in ["embedding.weight", "core.Recurrent.layers.1.input.weight"] {
        assert_eq!(c[path], lm[path], "{path}");
    }
    assert_eq!(c["head.weight"].shape.to_vec(), [24, 2]);
}

#[test]
fn a_pretrained_model_that_does_not_fit_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = essen_subset(dir.path());
    let pretrained = dir.path().join("pretrained");
    run(&lm_config(dir.path(), 1), &corpus, &pretrained).unwrap();

    // Another width: the first mismatched parameter is named.
    let mut wider = lm_config(dir.path(), 1);
    wider.model = ModelConfig::TokenLm(TokenLmConfig {
        embedding: 16,
        core: CoreConfig::of_cell("lstm", 32, 2, 0.0).unwrap(),
        ..TokenLmConfig::default()
    });
    wider.train.init_from = Some(pretrained.clone());
    let e = run(&wider, &corpus, &dir.path().join("wider")).unwrap_err();
    assert!(e.contains("init_from") && e.contains("shape"), "{e}");
    assert!(
        !dir.path().join("wider").exists(),
        "a refused start leaves no model directory"
    );

    // Another vocabulary (MIDI-like events instead of REMI): ids would mean other tokens.
    let mut other = lm_config(dir.path(), 1);
    other.data.scheme = euterpe_music::tokens::Scheme::MidiLike;
    other.data.cache = Some(dir.path().join("cache-midi-like.etok"));
    other.train.init_from = Some(pretrained.clone());
    let e = run(&other, &corpus, &dir.path().join("other")).unwrap_err();
    assert!(e.contains("vocabulary"), "{e}");

    // A strategy with nothing pretrained is refused when the config is read.
    let text = "[model]\nkind = \"token_lm\"\n[train]\nstrategy = \"gradual\"\n";
    let e = TrainConfig::parse(text, &[]).unwrap_err();
    assert!(e.contains("init_from"), "{e}");
    let e = TrainConfig::parse(text, &["train.strategy=freeze-lower:x".into()]).unwrap_err();
    assert!(e.contains("freeze-lower"), "{e}");
}
