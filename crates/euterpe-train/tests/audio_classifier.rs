//! The audio emotion classifier learns from real recordings: 24 mer4q songs (six per quadrant,
//! with their own train/valid split), 5-second clips of a 32-band log-mel spectrogram. Training
//! lowers the loss, ends far below the class prior's, and evaluation reports per-recording
//! figures.

use std::path::Path;

use euterpe_data::{AudioDataConfig, Split, TaskData};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::{AudioClassifierConfig, ModelConfig};
use euterpe_store::ModelSource;
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

fn metrics(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn training_on_recordings_lowers_the_loss_below_the_prior() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = euterpe_testkit::mer4q_subset(dir.path(), 3);
    let mut config = TrainConfig {
        model: ModelConfig::AudioClassifier(AudioClassifierConfig {
            channels: 16,
            layers: 3,
            dropout: 0.0,
            ..AudioClassifierConfig::default()
        }),
        ..TrainConfig::default()
    };
    config.data.audio = AudioDataConfig {
        n_mels: 32,
        ..AudioDataConfig::default()
    };
    config.optim.lr = 3e-3;
    config.train.epochs = 8;
    config.train.batch_size = 16;
    config.train.patience = 0;

    let (data, report) = TaskData::load(&corpus, &config.data).unwrap();
    assert!(report.failures.is_empty());
    let TaskData::Audio(audio) = &data else {
        panic!("a folder of MP3s is audio data, not {}", data.describe());
    };
    assert_eq!(audio.classes, ["Q1", "Q2", "Q3", "Q4"]);
    assert_eq!((audio.width, audio.frames), (32, 216));
    assert_eq!(audio.recordings[0].len(), 12);
    assert_eq!(audio.recordings[1].len(), 12);
    // Most mer4q excerpts are 30 s: six clips each.
    assert!(audio.len(Split::Train) >= 60, "{}", audio.len(Split::Train));

    let out = dir.path().join("model");
    let options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: corpus.clone(),
        command: "test".into(),
    };
    train::<CpuAutodiff>(&data, &config, &options, &Default::default(), &mut Silent).unwrap();
    let epochs = metrics(&out);
    let first = epochs[0]["train_nll"].as_f64().unwrap();
    let last = epochs.last().unwrap()["train_nll"].as_f64().unwrap();
    assert!(last < first, "training loss {first} → {last}");
    // Uniform over four quadrants: ln 4 = 1.386 nats per clip; the model fits far better.
    assert!(last < 0.8 * 4f64.ln(), "final training loss {last}");

    // Evaluation on the training split reads the recordings again and judges each song by all
    // its clips.
    let source = ModelSource::Dir(out.clone());
    let eval = evaluate::<Cpu>(&source, &corpus, Split::Train, &Default::default()).unwrap();
    assert_eq!(eval.unit, "clip");
    let figures = eval.classification.expect("per-recording figures");
    assert_eq!(figures.pieces, 12);
    assert!(
        figures.accuracy > 0.5,
        "training-song accuracy {}",
        figures.accuracy
    );
}
