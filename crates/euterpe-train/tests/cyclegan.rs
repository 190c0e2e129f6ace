//! The style-transfer GAN on real data — Essen folk tunes and POP909 songs: training its two
//! generators and two critics moves the folk phrases it rewrites towards pop in their
//! statistics (closer than the folk phrases themselves, the identity baseline) while keeping
//! most of their onsets, the critics learn to tell, a run resumes, and a whole tune comes back
//! on its own bars.

use euterpe_data::transfer::TransferConfig;
use euterpe_data::{DataConfig, Split, TaskData};
use euterpe_generate::{Notation, StyleTransfer};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::cyclegan::CycleGanConfig;
use euterpe_models::ModelConfig;
use euterpe_music::midi::read_midi_file;
use euterpe_store::ModelSource;
use euterpe_testkit::{essen_subset, pop909_subset};
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

#[test]
fn a_style_transfer_gan_learns_to_rewrite_folk_as_pop() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpora");
    let essen = essen_subset(&root, 60, 120);
    pop909_subset(&root, 12, true);
    let gan = CycleGanConfig {
        channels: 32,
        blocks: 2,
        critic_channels: 16,
        ..CycleGanConfig::default()
    };
    let mut config = TrainConfig {
        model: ModelConfig::CycleGan(gan),
        data: DataConfig {
            folders: vec!["essen".into(), "pop909".into()],
            folder_names: [("essen", "folk"), ("pop909", "pop")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .into(),
            transfer: Some(TransferConfig::default()),
            ..DataConfig::default()
        },
        ..TrainConfig::default()
    };
    config.optim.lr = 1e-3;
    config.optim.beta1 = 0.5;
    config.optim.clip_norm = 0.0;
    config.train.batch_size = 8;
    config.train.max_batches_per_epoch = 25;
    config.train.epochs = 2;
    config.train.patience = 0;
    config.train.valid_batches = 0;
    config.train.eval_batch_size = 32;
    let (data, report) = TaskData::load(&root, &config.data).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let TaskData::Transfer(styles) = &data else {
        panic!("phrases of two styles")
    };
    assert_eq!(styles.names, ["folk", "pop"]);
    assert!(!styles.styles[0].is_empty(Split::Valid) && !styles.styles[1].is_empty(Split::Valid));
    let out = dir.path().join("folk2pop");
    let mut options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: root.clone(),
        command: "test".into(),
    };
    let device = Default::default();
    train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    for name in ["generator", "critic", "generator-optim", "critic-optim"] {
        assert!(
            out.join(format!("checkpoint/{name}-2.bin")).is_file(),
            "{name}"
        );
    }
    config.train.epochs = 3;
    options.resume = true;
    let summary = train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    assert_eq!(summary.epochs, 3);

    // The monitor: both critics learn to tell real from written (a hinge loss of 2 per critic
    // is chance), and the losses and per-direction figures are written each epoch.
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for key in [
        "critic_loss",
        "generator_loss",
        "cycle_loss",
        "identity_loss",
        "folk2pop_gap",
        "pop2folk_onsets_kept",
    ] {
        assert!(
            last["extra"][key].as_f64().unwrap().is_finite(),
            "{key}: {last}"
        );
    }
    assert!(
        last["extra"]["critic_loss"].as_f64().unwrap() < 3.9,
        "{last}"
    );
    assert_eq!(
        &std::fs::read(out.join("samples.png")).unwrap()[1..4],
        b"PNG"
    );

    // Held out: folk phrases rewritten are closer to pop than the folk phrases themselves, and
    // keep most of their onsets.
    let source = ModelSource::Dir(out.clone());
    let eval = evaluate::<Cpu>(&source, &root, Split::Valid, &device).unwrap();
    let transfer = eval.transfer.expect("a transfer report");
    let folk2pop = &transfer.directions[0];
    eprintln!(
        "folk2pop: gap {:.3} (before {:.3}), onsets kept {:.2}\npop2folk: gap {:.3} (before {:.3}), onsets kept {:.2}",
        folk2pop.target.distance,
        folk2pop.before,
        folk2pop.kept.onset_share(),
        transfer.directions[1].target.distance,
        transfer.directions[1].before,
        transfer.directions[1].kept.onset_share(),
    );
    assert_eq!(
        (folk2pop.from.as_str(), folk2pop.to.as_str()),
        ("folk", "pop")
    );
    assert!(
        folk2pop.target.distance < 0.8 * folk2pop.before,
        "gap {} before {}",
        folk2pop.target.distance,
        folk2pop.before
    );
    assert!(folk2pop.kept.onset_share() > 0.5, "{:?}", folk2pop.kept);

    // A whole tune, on its own bars: as long as the source, with notes in it.
    let model = StyleTransfer::<Cpu>::load(&source, device).unwrap();
    assert_eq!(model.target(None).unwrap(), 1);
    assert_eq!(model.target(Some("FOLK")).unwrap(), 0);
    assert!(model.target(Some("jazz")).is_err());
    let file = std::fs::read_dir(essen.join("midi"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let score = read_midi_file(&file).unwrap();
    let done = model
        .transfer_score(&score, &file, 1, 0.5, Notation::Source)
        .unwrap();
    assert_eq!(done.written.len(), done.source.len());
    assert_eq!(done.score.time_signatures, score.time_signatures);
    let notes = &done.score.tracks[0].notes;
    assert!(!notes.is_empty());
    let end = score.end_tick();
    let last_offset = notes.iter().map(|n| n.offset()).max().unwrap();
    assert!(
        last_offset <= end + score.ticks_per_beat as u64,
        "{last_offset} > {end}"
    );
    // In common time: a 4/4 bar per source bar, each as long in time as the source's.
    let common = model
        .transfer_score(&score, &file, 1, 0.5, Notation::Common)
        .unwrap();
    assert_eq!(common.written, done.written);
    assert_eq!(common.score.time_signatures[0].numerator, 4);
    let bar = 4 * common.score.ticks_per_beat as u64;
    let grid = euterpe_data::multitrack::piece_grid(&score, &file).unwrap();
    let source_end = score
        .tempo_map()
        .seconds_at(grid.bar_bounds().last().unwrap().1);
    let common_end = common.score.tempo_map().seconds_at(done.bars as u64 * bar);
    assert!(
        (source_end - common_end).abs() < 0.01,
        "{source_end} s vs {common_end} s"
    );
}
