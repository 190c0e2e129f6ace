//! The melody GAN on 40 real POP909 songs: adversarial training with its two networks and two
//! optimisers writes bars whose statistics are closer to the held-out songs' than the untrained
//! generator's, lands more notes on chord tones than chance, survives a resume, and writes a
//! melody over a given progression.

use euterpe_data::{DataConfig, LeadSheetConfig, Split, TaskData};
use euterpe_generate::{MelodyOptions, MelodyWriter};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::{MelodyGanConfig, ModelConfig};
use euterpe_music::Chord;
use euterpe_store::ModelSource;
use euterpe_testkit::pop909_subset;
use euterpe_train::adversarial::{write_bars, MelodyReport};
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

#[test]
fn a_melody_gan_learns_pop_melodies_over_chords() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = pop909_subset(dir.path(), 40, true);
    let gan = MelodyGanConfig {
        noise: 16,
        channels: 32,
        ..MelodyGanConfig::default()
    };
    let mut config = TrainConfig {
        model: ModelConfig::MelodyGan(gan.clone()),
        data: DataConfig {
            lead_sheet: Some(LeadSheetConfig::default()),
            ..DataConfig::default()
        },
        ..TrainConfig::default()
    };
    config.optim.lr = 5e-4;
    config.optim.beta1 = 0.5;
    config.optim.clip_norm = 0.0;
    config.train.batch_size = 32;
    config.train.epochs = 3;
    config.train.patience = 0;
    let (data, report) = TaskData::load(&corpus, &config.data).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let out = dir.path().join("gan");
    let mut options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: corpus.clone(),
        command: "test".into(),
    };
    let device = Default::default();
    train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    // Both networks and both optimisers are checkpointed; the run goes on from them.
    let checkpoint = out.join("checkpoint");
    for name in ["generator", "critic", "generator-optim", "critic-optim"] {
        assert!(checkpoint.join(format!("{name}-3.bin")).is_file(), "{name}");
    }
    config.train.epochs = 8;
    options.resume = true;
    let summary = train::<CpuAutodiff>(&data, &config, &options, &device, &mut Silent).unwrap();
    assert_eq!(summary.epochs, 8);
    assert_eq!(summary.unit, "bar");

    // Judged on the validation songs against the untrained generator, on the same contexts.
    let source = ModelSource::Dir(out.clone());
    let eval = evaluate::<Cpu>(&source, &corpus, Split::Valid, &device).unwrap();
    let trained = eval.melody.expect("a melody report");
    let TaskData::LeadSheets(sheets) = &data else {
        panic!("lead sheets")
    };
    let batches = sheets.pairs(Split::Valid).batches(64, None);
    let (written, real) = write_bars(&gan.init::<Cpu>(&device), &batches, &device);
    let untrained = MelodyReport::of(&written, &real);
    assert_eq!(trained.bars, untrained.bars);
    assert!(
        trained.distance < untrained.distance - 0.1,
        "trained {trained:?}\nuntrained {untrained:?}"
    );
    eprintln!("trained {trained:?}\nuntrained {untrained:?}");
    // Chance is three pitch classes in twelve.
    assert!(trained.chord_tones[0] > 0.3, "{trained:?}");
    assert!(trained.distinct[0] > 0.2, "mode collapse: {trained:?}");

    // A melody over a progression: notes in every bar's range, chords under it.
    let writer = MelodyWriter::<Cpu>::load(&source, device).unwrap();
    let chords = Chord::parse_progression("C G Am F").unwrap();
    let options = MelodyOptions {
        chords,
        bars: 8,
        seed: 7,
        temperature: 1.0,
        tempo: 100.0,
        program: 0,
        accompany: true,
    };
    let (score, bars) = writer.write(&options).unwrap();
    assert_eq!(bars.len(), 8);
    assert_eq!(bars[2].chord, Some(Chord::new(9, true)));
    let melody = &score.tracks[0];
    assert!(melody.notes.len() >= 8, "{} notes", melody.notes.len());
    assert_eq!(score.tracks[1].notes.len(), 8 * 3);
    let again = writer.write(&options).unwrap().1;
    assert_eq!(again, bars, "the same seed writes the same melody");
}
