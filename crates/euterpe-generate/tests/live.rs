//! Live generation with the built-in models: an endless, steerable stream of bars.

use euterpe_generate::{EmotionRequest, LiveBar, LiveSettings, LoadedGenerator};
use euterpe_models::backend::Cpu;
use euterpe_music::tokens::Emotion;
use euterpe_store::ModelSource;

fn load(name: &str) -> LoadedGenerator<Cpu> {
    let source = ModelSource::resolve(Some(name)).expect("a built-in model");
    LoadedGenerator::<Cpu>::load(&source, Default::default()).expect("it loads")
}

fn bars(
    generator: &LoadedGenerator<Cpu>,
    settings: LiveSettings,
    seed: u64,
    n: usize,
) -> Vec<LiveBar> {
    let mut session = generator.live(settings, seed).expect("a session starts");
    (0..n).map(|_| session.next_bar().expect("a bar")).collect()
}

#[test]
fn bars_follow_each_other_and_hold_their_notes_and_a_seed_repeats_them() {
    let folk = load("folk");
    let stream = bars(&folk, LiveSettings::default(), 3, 6);
    let mut start = 0.0;
    for (i, bar) in stream.iter().enumerate() {
        assert_eq!(bar.index, i);
        assert!(
            (bar.start_beats - start).abs() < 1e-9,
            "bar {i} starts where the last ended"
        );
        assert!(bar.beats > 0.0);
        assert!(!bar.notes.is_empty(), "every bar has notes");
        for n in &bar.notes {
            assert!(
                n.start_beats >= bar.start_beats - 1e-9
                    && n.start_beats < bar.start_beats + bar.beats
            );
            assert!(n.duration_beats > 0.0 && n.velocity > 0);
        }
        start += bar.beats;
    }
    assert_eq!(
        bars(&folk, LiveSettings::default(), 3, 6),
        stream,
        "same seed, same stream"
    );
    assert_ne!(bars(&folk, LiveSettings::default(), 4, 6), stream);
}

fn note_count(stream: &[LiveBar]) -> usize {
    stream.iter().map(|b| b.notes.len()).sum()
}

fn mean_pitch(stream: &[LiveBar]) -> f64 {
    let pitches: Vec<f64> = stream
        .iter()
        .flat_map(|b| b.notes.iter().map(|n| n.pitch as f64))
        .collect();
    pitches.iter().sum::<f64>() / pitches.len() as f64
}

#[test]
fn density_and_register_steer_the_notes() {
    let folk = load("folk");
    let with = |density: f32, register: Option<f32>| LiveSettings {
        density,
        register,
        ..LiveSettings::default()
    };
    let sparse = bars(&folk, with(0.25, None), 5, 6);
    let dense = bars(&folk, with(4.0, None), 5, 6);
    assert!(
        note_count(&dense) as f64 > 1.3 * note_count(&sparse) as f64,
        "dense {} vs sparse {}",
        note_count(&dense),
        note_count(&sparse)
    );
    let low = bars(&folk, with(1.0, Some(48.0)), 5, 6);
    let high = bars(&folk, with(1.0, Some(84.0)), 5, 6);
    assert!(
        mean_pitch(&high) > mean_pitch(&low) + 6.0,
        "high {} vs low {}",
        mean_pitch(&high),
        mean_pitch(&low)
    );
}

#[test]
fn controls_change_mid_stream_without_a_restart() {
    let piano = load("piano");
    let settings = LiveSettings {
        emotion: Some(EmotionRequest::Quadrant(Emotion::Happy)),
        guidance: 2.0,
        ..LiveSettings::default()
    };
    let mut session = piano.live(settings.clone(), 9).expect("a session");
    let first = session.next_bar().unwrap();
    let sad = LiveSettings {
        emotion: Some(EmotionRequest::Quadrant(Emotion::Sad)),
        ..settings.clone()
    };
    session.set(sad.clone()).expect("new controls");
    assert_eq!(session.settings(), &sad);
    let second = session.next_bar().unwrap();
    assert_eq!(second.index, first.index + 1, "the stream goes on");
    assert!((second.start_beats - (first.start_beats + first.beats)).abs() < 1e-9);
    // Bad settings are refused and leave the stream as it was.
    let bad = LiveSettings {
        density: 9.0,
        ..sad.clone()
    };
    assert!(session
        .set(bad)
        .unwrap_err()
        .to_string()
        .contains("density"));
    assert_eq!(session.settings(), &sad);
    assert!(session.step_seconds().len() > 10);

    // Past the re-priming interval the stream still flows, bar after bar.
    let folk = load("folk");
    let mut long = folk.live(LiveSettings::default(), 2).unwrap();
    for i in 0..euterpe_generate::live::REPRIME_BARS + 2 {
        assert_eq!(long.next_bar().unwrap().index, i);
    }
    let refused = folk
        .live(settings, 1)
        .err()
        .expect("folk follows no emotion");
    assert!(refused.to_string().contains("piano"), "{refused}");
}
