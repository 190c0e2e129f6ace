//! The two audio models that learn from sound alone, on 16 real mer4q songs (two training and two
//! validation songs per quadrant): the seed's next-frame LSTM over MFCC frames beats repeating
//! the last frame and the training mean on held-out songs, and rolls forward into sound; the
//! convolutional encoder-decoder reconstructs held-out log-mel clips far better than their mean
//! and is measured on sound against the Griffin-Lim ceiling.

use std::path::{Path, PathBuf};

use euterpe_audio::LoadOptions;
use euterpe_data::{AudioDataConfig, AudioFeatures, Split, TaskData};
use euterpe_generate::{AudioGenerator, AudioOptions, GenerateError};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::{AudioAutoencoderConfig, AudioLmConfig, CoreConfig, ModelConfig};
use euterpe_store::ModelSource;
use euterpe_testkit::{mer4q_subset, shared_data};
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

fn metrics(out: &Path) -> Vec<f64> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["train_nll"].as_f64().unwrap()
        })
        .collect()
}

/// Trains `config` on `corpus` into `dir/name`; returns the model directory.
fn trained(config: &TrainConfig, corpus: &Path, dir: &Path, name: &str) -> PathBuf {
    let (data, report) = TaskData::load(corpus, &config.data).unwrap();
    assert!(report.failures.is_empty());
    let out = dir.join(name);
    let options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: corpus.to_path_buf(),
        command: "test".into(),
    };
    train::<CpuAutodiff>(&data, config, &options, &Default::default(), &mut Silent).unwrap();
    let losses = metrics(&out);
    assert!(
        losses.last().unwrap() < &losses[0],
        "training loss did not fall: {losses:?}"
    );
    out
}

#[test]
fn the_audio_lstm_beats_both_baselines_and_rolls_forward_into_sound() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = mer4q_subset(dir.path(), 2);
    let mut config = TrainConfig {
        model: ModelConfig::AudioLm(AudioLmConfig {
            embedding: 4,
            core: CoreConfig::of_cell("lstm", 64, 1, 0.0).unwrap(),
            ..AudioLmConfig::default()
        }),
        ..TrainConfig::default()
    };
    config.data.audio = AudioDataConfig {
        features: AudioFeatures::Mfcc,
        clip_seconds: 2.0,
        ..AudioDataConfig::default()
    };
    config.optim.lr = 3e-3;
    config.train.epochs = 8;
    config.train.batch_size = 16;
    config.train.patience = 0;
    let model = trained(&config, &corpus, dir.path(), "lstm");

    // The standardisation was measured on the training split and saved with the model.
    let saved = std::fs::read_to_string(model.join("config.toml")).unwrap();
    assert!(saved.contains("mean = [") && saved.contains("classes = ["));

    let source = ModelSource::Dir(model.clone());
    let eval = evaluate::<Cpu>(&source, &corpus, Split::Valid, &Default::default()).unwrap();
    let baselines = eval
        .baselines
        .expect("baselines of a next-frame audio model");
    assert!(
        eval.nll < baselines.repeat_last && eval.nll < baselines.training_mean,
        "valid MSE {} against repeat-last {} and training mean {}",
        eval.nll,
        baselines.repeat_last,
        baselines.training_mean
    );

    let generator = || {
        let loaded = source.load::<Cpu>(&Default::default()).unwrap();
        AudioGenerator::<Cpu>::new(loaded, Default::default()).unwrap()
    };
    let options = AudioOptions {
        seconds: 1.0,
        class: Some("Q3".into()),
        temperature: 0.3,
        seed: 7,
        primer: None,
    };
    let sound = generator().generate(&options).unwrap();
    assert_eq!(sound.sample_rate, 22_050);
    assert!((sound.seconds - 1.0).abs() < 0.1, "{} s", sound.seconds);
    let rms =
        (sound.samples.iter().map(|s| s * s).sum::<f32>() / sound.samples.len() as f32).sqrt();
    assert!(rms > 0.01, "silent output (RMS {rms})");
    // The same seed gives the same sound.
    assert_eq!(
        generator().generate(&options).unwrap().samples,
        sound.samples
    );

    // A primer recording is continued: its frames come first.
    let primer = euterpe_audio::load(
        &shared_data().join("audio/sonicpi_ambi_piano_22k_mono.wav"),
        &LoadOptions::default(),
    )
    .unwrap();
    let continued = generator()
        .generate(&AudioOptions {
            primer: Some(primer),
            class: None,
            ..options.clone()
        })
        .unwrap();
    assert!(continued.primer_frames > 10);
    assert!(continued.seconds > sound.seconds);

    let unknown = generator().generate(&AudioOptions {
        class: Some("Q9".into()),
        ..options
    });
    assert!(matches!(unknown, Err(GenerateError::InvalidOptions(m)) if m.contains("Q1")));
}

#[test]
fn the_encoder_decoder_reconstructs_held_out_clips_and_is_measured_on_sound() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = mer4q_subset(dir.path(), 2);
    let mut config = TrainConfig {
        model: ModelConfig::AudioAutoencoder(AudioAutoencoderConfig {
            channels: vec![8, 16],
            code: 8,
            ..AudioAutoencoderConfig::default()
        }),
        ..TrainConfig::default()
    };
    config.data.audio = AudioDataConfig {
        n_mels: 32,
        ..AudioDataConfig::default()
    };
    config.optim.lr = 3e-3;
    config.train.epochs = 6;
    config.train.batch_size = 8;
    config.train.patience = 0;
    let model = trained(&config, &corpus, dir.path(), "autoencoder");

    let source = ModelSource::Dir(model);
    let eval = evaluate::<Cpu>(&source, &corpus, Split::Valid, &Default::default()).unwrap();
    // Predicting every value as the training mean scores about 1 in standardised units.
    assert!(eval.nll < 0.5, "valid MSE {}", eval.nll);
    let r = eval.reconstruction.expect("resynthesis figures");
    assert_eq!(r.clips, 8);
    assert!(r.failures.is_empty());
    for f in [r.ceiling, r.autoencoder] {
        assert!(f.spectral_convergence.is_finite() && f.log_spectral_distance.is_finite());
    }
    // The code loses something the mel spectrogram keeps.
    assert!(r.autoencoder.spectral_convergence > r.ceiling.spectral_convergence);
    assert!(r.ceiling.spectral_convergence < 0.8, "{r:?}");
    assert!(r.mel_rmse_db > 0.0 && r.mel_rmse_db < 20.0, "{r:?}");
}
