//! The multi-track GAN on 30 real POP909 songs: adversarial training of its generator and
//! critic writes three-track phrases whose MuseGAN metrics are closer to the held-out songs'
//! than the untrained generator's, keeps its samples distinct, and survives a resume.

use euterpe_data::{DataConfig, MultiTrackConfig, Split, TaskData};
use euterpe_generate::{accompany_from, ArrangeOptions, ArrangementWriter, LatentSearch};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::musegan::MuseGanConfig;
use euterpe_models::ModelConfig;
use euterpe_store::ModelSource;
use euterpe_testkit::pop909_subset;
use euterpe_train::eval::evaluate;
use euterpe_train::multitrack_gan::{batch_phrases, write_phrases, ArrangementReport};
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

#[test]
fn a_multitrack_gan_learns_pop_arrangements() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = pop909_subset(dir.path(), 30, true);
    let gan = MuseGanConfig {
        latent: 8,
        channels: 16,
        ..MuseGanConfig::default()
    };
    let mut config = TrainConfig {
        model: ModelConfig::MuseGan(gan.clone()),
        data: DataConfig {
            multitrack: Some(MultiTrackConfig::default()),
            ..DataConfig::default()
        },
        ..TrainConfig::default()
    };
    config.optim.lr = 2e-3;
    config.optim.beta1 = 0.5;
    config.optim.clip_norm = 0.0;
    config.train.batch_size = 16;
    config.train.max_batches_per_epoch = 20;
    config.train.epochs = 2;
    config.train.patience = 0;
    config.train.valid_batches = 2;
    config.train.eval_batch_size = 64;
    let (data, report) = TaskData::load(&corpus, &config.data).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let TaskData::MultiTrack(phrases) = &data else {
        panic!("multi-track phrases")
    };
    assert_eq!(phrases.tracks, ["MELODY", "BRIDGE", "PIANO"]);
    assert!(phrases.phrases(Split::Train).len() > 1000);
    let out = dir.path().join("musegan");
    let mut options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: corpus.clone(),
        command: "test".into(),
    };
    let device = Default::default();
    train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    let checkpoint = out.join("checkpoint");
    for name in ["generator", "critic", "generator-optim", "critic-optim"] {
        assert!(checkpoint.join(format!("{name}-2.bin")).is_file(), "{name}");
    }
    assert!(out.join("samples.png").is_file());
    config.train.epochs = 6;
    options.resume = true;
    let summary = train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    assert_eq!(summary.epochs, 6);
    assert_eq!(summary.unit, "phrase");

    // Judged on the validation songs against the untrained generator.
    let source = ModelSource::Dir(out.clone());
    let eval = evaluate::<Cpu>(&source, &corpus, Split::Valid, &device).unwrap();
    let trained = eval.arrangement.expect("an arrangement report");
    let real: Vec<_> = phrases
        .phrases(Split::Valid)
        .batches(64, None)
        .iter()
        .flat_map(batch_phrases)
        .collect();
    let mut resolved = gan.clone();
    resolved.tracks = phrases.tracks.clone();
    let untrained = write_phrases(&resolved.init::<Cpu>(&device), real.len(), 1, &device);
    let untrained = ArrangementReport::of(&untrained, &real, &phrases.tracks);
    eprintln!(
        "trained {:.3} {:?}\nuntrained {:.3}\nreal {:?}",
        trained.distance, trained.written, untrained.distance, trained.real
    );
    assert_eq!(trained.phrases, real.len());
    assert!(
        trained.distance < 0.65 * untrained.distance,
        "trained {} untrained {}",
        trained.distance,
        untrained.distance
    );
    assert!(
        trained.distinct > 0.5,
        "mode collapse: {}",
        trained.distinct
    );
    for t in &trained.written.tracks {
        assert!(t.empty_bars < 0.9, "{t:?}");
    }

    // A piece of eight bars: the model's three tracks, each with notes, the same for the same
    // seed.
    let writer = ArrangementWriter::<Cpu>::load(&source, device).unwrap();
    assert_eq!(writer.tracks, ["MELODY", "BRIDGE", "PIANO"]);
    let options = ArrangeOptions {
        bars: 8,
        seed: 3,
        tempo: 100.0,
        programs: vec![0, 48, 0],
        threshold: None,
    };
    let score = writer.write(&options).unwrap();
    assert_eq!(score.tracks.len(), 3);
    let bar = 4 * score.ticks_per_beat as u64;
    for t in &score.tracks {
        assert!(!t.notes.is_empty(), "{} is silent", t.name);
        assert!(t.notes.iter().all(|n| n.offset() <= 8 * bar));
    }
    assert_eq!(score.tracks[1].program, 48);
    assert_eq!(writer.write(&options).unwrap(), score);
    let other = ArrangeOptions {
        seed: 4,
        ..options.clone()
    };
    assert_ne!(writer.write(&other).unwrap(), score);

    // Accompaniment: codes searched so that the generator's MELODY matches a real held-out
    // melody of eight bars; the search must fit it better than the best random codes did.
    let mut by_melody: Vec<&Vec<u128>> = real.iter().collect();
    by_melody
        .sort_by_key(|phrase| std::cmp::Reverse(phrase[..64].iter().filter(|&&m| m != 0).count()));
    let lead: Vec<u128> = by_melody[..2]
        .iter()
        .flat_map(|phrase| phrase[..64].iter().copied())
        .collect();
    assert!(lead.iter().filter(|&&m| m != 0).count() > 64);
    let search = LatentSearch {
        restarts: 4,
        iterations: 40,
        ..LatentSearch::default()
    };
    let arranged = accompany_from::<Cpu>(&source, device, &lead, None, &options, &search).unwrap();
    let acc = &arranged.accompaniment;
    eprintln!(
        "accompaniment: recall {:?}, loss {:?}",
        acc.recall, acc.loss
    );
    assert!(acc.loss[1] < acc.loss[0], "{:?}", acc.loss);
    assert!(acc.recall[1] >= acc.recall[0], "{:?}", acc.recall);
    assert_eq!(&acc.masks[..128], &lead[..], "the lead keeps its track");
    for k in 1..3 {
        assert!(
            acc.masks[k * 128..(k + 1) * 128].iter().any(|&m| m != 0),
            "track {k} is silent"
        );
    }
    let err = accompany_from::<Cpu>(&source, device, &lead, Some("DRUMS"), &options, &search)
        .unwrap_err()
        .to_string();
    assert!(err.contains("DRUMS") && err.contains("BRIDGE"), "{err}");
}
