//! What the exact layer reads from prompts people write.

use euterpe_generate::{EmotionRequest, Length};
use euterpe_music::tokens::Emotion;
use euterpe_prompt::{parse_prompt, KeyRequest};

fn styles() -> Vec<String> {
    ["pop", "pop-piano", "game", "folk"]
        .map(String::from)
        .to_vec()
}

#[test]
fn the_issues_example_is_read_whole() {
    let p = parse_prompt("a slow, sad piano piece in D minor", &styles()).unwrap();
    assert_eq!(p.tempo, Some(70.0));
    assert_eq!(p.emotion, Some(EmotionRequest::Quadrant(Emotion::Sad)));
    assert_eq!(p.program, Some(0));
    assert_eq!(
        p.key,
        Some(KeyRequest {
            tonic: 2,
            minor: Some(true)
        })
    );
    assert!(p.unused.is_empty(), "{:?}", p.unused);
    let phrases: Vec<&str> = p.understood.iter().map(|u| u.phrase.as_str()).collect();
    assert_eq!(phrases, ["slow", "sad", "piano", "in d minor"]);
}

#[test]
fn numbers_with_units_tempo_length_and_meter() {
    let p = parse_prompt("Upbeat waltz at 96 BPM, 32 bars", &styles()).unwrap();
    assert_eq!(p.tempo, Some(96.0), "a number beats a tempo word");
    assert_eq!(p.meter, Some((3, 4)));
    assert_eq!(p.length, Some(Length::Bars(32)));
    let p = parse_prompt(
        "about a minute of music in 6/8, 140 beats per minute",
        &styles(),
    )
    .unwrap();
    assert_eq!(p.length, Some(Length::Seconds(60.0)));
    assert_eq!(p.meter, Some((6, 8)));
    assert_eq!(p.tempo, Some(140.0));
    let p = parse_prompt("half a minute, very fast", &styles()).unwrap();
    assert_eq!(p.length, Some(Length::Seconds(30.0)));
    assert_eq!(p.tempo, Some(173.0));
    let p = parse_prompt("an adagio for strings, two minutes", &styles()).unwrap();
    assert_eq!(p.tempo, Some(70.0));
    assert_eq!(p.program, Some(48));
    assert_eq!(p.length, Some(Length::Seconds(120.0)));
}

#[test]
fn keys_need_a_mode_or_in_and_a_is_an_article() {
    let key = |text: &str| parse_prompt(text, &styles()).unwrap().key;
    assert_eq!(
        key("in F#"),
        Some(KeyRequest {
            tonic: 6,
            minor: None
        })
    );
    assert_eq!(
        key("B flat major ballad"),
        Some(KeyRequest {
            tonic: 10,
            minor: Some(false)
        })
    );
    assert_eq!(
        key("key of Eb minor"),
        Some(KeyRequest {
            tonic: 3,
            minor: Some(true)
        })
    );
    assert_eq!(
        key("in a minor"),
        Some(KeyRequest {
            tonic: 9,
            minor: Some(true)
        })
    );
    assert_eq!(key("in a slow tempo"), None);
    assert_eq!(key("a calm piece"), None);
    assert_eq!(
        key("C♯ minor"),
        Some(KeyRequest {
            tonic: 1,
            minor: Some(true)
        })
    );
}

#[test]
fn several_emotion_words_meet_in_between_and_negations_are_not_followed() {
    let p = parse_prompt("melancholic but hopeful", &styles()).unwrap();
    match p.emotion {
        Some(EmotionRequest::ValenceArousal { valence, arousal }) => {
            assert!((valence - 0.0).abs() < 1e-9, "{valence}");
            assert!((arousal - (-0.2)).abs() < 1e-9, "{arousal}");
        }
        other => panic!("{other:?}"),
    }
    let p = parse_prompt("dreamy", &styles()).unwrap();
    assert!(
        matches!(p.emotion, Some(EmotionRequest::ValenceArousal { .. })),
        "a word between quadrants is a point"
    );
    let p = parse_prompt("calm", &styles()).unwrap();
    assert_eq!(p.emotion, Some(EmotionRequest::Quadrant(Emotion::Calm)));
    let p = parse_prompt("not sad", &styles()).unwrap();
    assert_eq!(p.emotion, None);
    assert!(p.understood[0].meaning.contains("ignored"));
}

#[test]
fn styles_blends_and_synonyms_among_the_models_styles() {
    let p = parse_prompt("like a video game boss fight", &styles()).unwrap();
    assert_eq!(p.style_text.as_deref(), Some("game=1.00"));
    assert!(p.unused.is_empty(), "{:?}", p.unused);
    let learned = p
        .learned
        .as_ref()
        .expect("the learned layer read what was left");
    assert_eq!(learned.words, ["boss", "fight"]);
    assert_eq!(
        p.emotion,
        Some(EmotionRequest::Quadrant(Emotion::Tense)),
        "a boss fight is tense: {learned:?}"
    );
    let p = parse_prompt("70% pop, 30 percent folk", &styles()).unwrap();
    assert_eq!(p.style_text.as_deref(), Some("pop=0.70,folk=0.30"));
    let p = parse_prompt("a jazzy pop tune", &styles()).unwrap();
    assert_eq!(p.style_text.as_deref(), Some("pop=1.00"));
    assert!(p.unused.is_empty(), "{:?}", p.unused);
    assert_eq!(
        p.learned.map(|l| l.words),
        Some(vec!["jazzy".to_string()]),
        "a style the lists lack is left to the learned layer's mood"
    );
    let none = parse_prompt("a folk song", &["pop".to_string()]).unwrap();
    assert!(
        none.style.is_none(),
        "a style the model does not know is not asked for"
    );
    assert!(!none.wants_control());
}

#[test]
fn instruments_longest_name_first_and_one_per_piece() {
    let program = |text: &str| parse_prompt(text, &styles()).unwrap().program;
    assert_eq!(program("electric piano groove"), Some(4));
    assert_eq!(program("for solo cello"), Some(42));
    assert_eq!(program("French horn call"), Some(60));
    let p = parse_prompt("flute and violin duet", &styles()).unwrap();
    assert_eq!(p.program, Some(73));
    assert!(p
        .understood
        .iter()
        .any(|u| u.phrase == "violin" && u.meaning.contains("ignored")));
}

#[test]
fn bad_prompts_are_errors_that_say_why() {
    let err = |text: &str| parse_prompt(text, &styles()).unwrap_err().to_string();
    assert!(err("  ,, ").contains("empty"));
    assert!(err("at 900 bpm").contains("20–400"));
    assert!(err("0 bars").contains("bars"));
}

#[test]
fn the_learned_layer_reads_mood_words_the_lists_lack_and_never_overrides_them() {
    let p = parse_prompt("something brooding and wintry, 90 bpm", &styles()).unwrap();
    assert_eq!(p.tempo, Some(90.0));
    assert_eq!(p.emotion, Some(EmotionRequest::Quadrant(Emotion::Sad)));
    let u = p
        .understood
        .iter()
        .find(|u| u.meaning.contains("learned"))
        .unwrap();
    assert_eq!(u.phrase, "brooding wintry");
    assert_eq!(u.control, Some("emotion"));
    // A listed word wins: the learned layer is not asked.
    let p = parse_prompt("a calm, brooding piece", &styles()).unwrap();
    assert_eq!(p.emotion, Some(EmotionRequest::Quadrant(Emotion::Calm)));
    assert!(p.learned.is_none());
    assert_eq!(p.unused, ["brooding"]);
}

#[test]
fn words_no_layer_knows_are_named_and_set_nothing() {
    let p = parse_prompt("zxqv blorptastic, 3/4", &styles()).unwrap();
    assert_eq!(p.meter, Some((3, 4)));
    assert_eq!(p.emotion, None);
    assert!(p.learned.is_none());
    assert_eq!(p.unknown, ["zxqv", "blorptastic"]);
}
