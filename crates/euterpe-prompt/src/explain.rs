//! What a piece is generated with, in words: `euterpe generate --explain`.

use euterpe_generate::{EmotionRequest, GenerateOptions, Length};
use euterpe_music::tokens::Emotion;

use crate::{KeyRequest, PromptControls};

/// One line per control: its name and its value with where it came from (a flag, the
/// prompt's words, the picture's features, or the model's own choice).
pub fn describe_controls(
    options: &GenerateOptions,
    prompt: Option<&PromptControls>,
    model: &str,
) -> Vec<(String, String)> {
    let from = |control: &str, same: bool| source(prompt, control, same);
    let mut lines = vec![("model".to_string(), model.to_string())];
    let mut line = |name: &str, value: String| lines.push((name.to_string(), value));
    let p = prompt.cloned().unwrap_or_default();
    line(
        "tempo",
        match options.tempo {
            Some(t) => format!(
                "{t} BPM ({}){}",
                tempo_word(t),
                from("tempo", p.tempo == Some(t))
            ),
            None => "the model's choice".into(),
        },
    );
    line(
        "emotion",
        match &options.emotion {
            Some(e) => format!(
                "{}{}",
                emotion_text(e),
                from("emotion", p.emotion.as_ref() == Some(e))
            ),
            None => "none asked".into(),
        },
    );
    line(
        "style",
        match &options.style {
            Some(s) => {
                let text = s
                    .parts()
                    .iter()
                    .map(|(n, w)| format!("{n}={w:.2}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let same = p.style_text.as_deref() == Some(text.as_str());
                format!("{text}{}", from("style", same))
            }
            None => "none asked".into(),
        },
    );
    line(
        "key",
        match options.key {
            Some(k) => {
                let key = KeyRequest {
                    tonic: k.tonic,
                    minor: k.minor,
                };
                format!("{key}{}", from("key", p.key == Some(key)))
            }
            None => match options.emotion.filter(|_| options.emotion_mode) {
                Some(e) => match e.mode_minor() {
                    Some(true) => "the model's tonic, in minor (the emotion's valence)".into(),
                    Some(false) => "the model's tonic, in major (the emotion's valence)".into(),
                    None => "the model's choice".into(),
                },
                None => "the model's choice".into(),
            },
        },
    );
    line(
        "meter",
        match options.meter {
            Some((n, d)) => format!("{n}/{d}{}", from("meter", p.meter == Some((n, d)))),
            None => "the model's choice (4/4 mostly)".into(),
        },
    );
    line(
        "instrument",
        match options.program {
            Some(pr) => format!(
                "{} (program {pr}){}",
                euterpe_render::gm::program_name(pr),
                from("instrument", p.program == Some(pr))
            ),
            None => "the model's".into(),
        },
    );
    line(
        "length",
        match options.length {
            Length::Bars(n) => format!(
                "{n} bars{}",
                from("length", p.length == Some(options.length))
            ),
            Length::Seconds(s) => format!(
                "{s} seconds{}",
                from("length", p.length == Some(options.length))
            ),
        },
    );
    let density = options.effective_density();
    line(
        "density",
        if density == 1.0 {
            "as the model plays".into()
        } else if options.density == 1.0 {
            format!("×{density:.2} notes (the emotion's arousal)")
        } else {
            format!(
                "×{density} notes{}",
                from("density", p.density == Some(density))
            )
        },
    );
    line(
        "register",
        match options.register {
            Some(r) => format!(
                "around MIDI pitch {r}{}",
                from("register", p.register == Some(r))
            ),
            None => "the model's".into(),
        },
    );
    lines
}

/// ` (from "slow")` when the prompt or picture set the value, ` (flag or default)` otherwise.
fn source(prompt: Option<&PromptControls>, control: &str, same: bool) -> String {
    let phrases: Vec<String> = prompt
        .filter(|_| same)
        .map(|p| {
            p.understood
                .iter()
                .filter(|u| u.control == Some(control))
                .map(|u| format!("{:?}", u.phrase))
                .collect()
        })
        .unwrap_or_default();
    if phrases.is_empty() {
        " (flag or default)".into()
    } else {
        format!(" (from {})", phrases.join(", "))
    }
}

/// The Italian marking a tempo falls under.
fn tempo_word(bpm: f64) -> &'static str {
    match bpm {
        b if b < 60.0 => "largo",
        b if b < 76.0 => "adagio",
        b if b < 108.0 => "andante",
        b if b < 120.0 => "moderato",
        b if b < 168.0 => "allegro",
        _ => "presto",
    }
}

fn emotion_text(e: &EmotionRequest) -> String {
    let name = |q: Emotion| {
        format!(
            "Q{} ({})",
            q.quadrant(),
            Emotion::NAMES[usize::from(q.quadrant() - 1)].1[0]
        )
    };
    match e {
        EmotionRequest::Quadrant(q) => name(*q),
        EmotionRequest::ValenceArousal { valence, arousal } => {
            let q = match (*valence >= 0.0, *arousal >= 0.0) {
                (true, true) => 1,
                (false, true) => 2,
                (false, false) => 3,
                (true, false) => 4,
            };
            let nearest = Emotion::NAMES[q - 1].0;
            format!("valence {valence}, arousal {arousal}: {}", name(nearest))
        }
    }
}
