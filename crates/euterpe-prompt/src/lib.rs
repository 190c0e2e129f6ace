//! Prompts to music controls: "a slow, sad piano piece in D minor, 16 bars" becomes a tempo, an
//! emotion, an instrument, a key and a length that `euterpe generate` can act on.
//!
//! [`parse_prompt`] is the exact layer: it reads what can be read literally — numbers with BPM,
//! tempo words (Italian markings and plain English), lengths in bars, seconds or minutes, meters
//! (`3/4`, "waltz"), keys ("in D minor", "F# major"), General MIDI instruments and common
//! synonyms, emotion words (placed in valence/arousal and averaged when there are several:
//! "melancholic but hopeful"), styles the model knows and blends of them ("70% pop, 30% folk").
//! Every phrase it used is listed with its meaning in [`PromptControls::understood`], and the words
//! it did not use in [`PromptControls::unused`], so a user sees what was heard.
//!
//! [`image_prompt`] reads a picture instead (colour–emotion relations, see [`image`]) into the
//! same [`PromptControls`]; [`PromptControls::or`] combines a text's controls with a picture's,
//! the text winning where both say something.
//!
//! The [`learned`] layer reads the mood words the lists do not hold ("dreamy", "brooding"): they
//! are pooled into word vectors and classified by a trained `text_head` model, whose quadrant sets
//! the emotion when no listed emotion word did. Words that neither layer knows are listed in
//! [`PromptControls::unknown`].

mod explain;
pub mod image;
pub mod learned;
mod lexicon;

pub use explain::describe_controls;
pub use image::{image_controls, image_from_bytes, image_prompt, read_image, ImageFeatures};
pub use learned::{LearnedEmotion, TextEmotion};

use euterpe_generate::{EmotionRequest, Length, StyleBlend};
use euterpe_music::tokens::Emotion;
use serde::Serialize;

pub use lexicon::{EMOTION_WORDS, INSTRUMENTS, TEMPO_WORDS};

/// Why a prompt cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The prompt is empty or asks for something out of range; the message says what.
    #[error("prompt: {0}")]
    Invalid(String),
    /// A picture cannot be read or is too large; the message names the file and the reason.
    #[error("image {0}")]
    Image(String),
}

/// A key asked for: its tonic (0 = C … 11 = B) and mode when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyRequest {
    /// Pitch class of the tonic.
    pub tonic: u8,
    /// `Some(true)` minor, `Some(false)` major, `None` not said.
    pub minor: Option<bool>,
}

/// One phrase of the prompt and what it was taken to mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understood {
    /// The words, as found (lowercased).
    pub phrase: String,
    /// What they set, e.g. `tempo 70 BPM`.
    pub meaning: String,
    /// The control they set (`tempo`, `emotion`, `style`, `key`, `meter`, `instrument`,
    /// `length`, `density`, `register`), `None` for a phrase read but not followed.
    pub control: Option<&'static str>,
}

impl Understood {
    /// A phrase whose meaning begins with the control it sets (`tempo 70 BPM`, `6 bars`).
    fn new(phrase: String, meaning: String) -> Understood {
        const CONTROLS: [&str; 6] = ["tempo", "meter", "key", "style", "instrument", "emotion"];
        let first = meaning.split(' ').next().unwrap_or_default();
        let control = match CONTROLS.iter().find(|c| **c == first) {
            Some(c) => Some(*c),
            _ if meaning.ends_with(" bars") || meaning.ends_with(" seconds") => Some("length"),
            _ => None,
        };
        let control = control.filter(|_| !meaning.ends_with("ignored)"));
        Understood {
            phrase,
            meaning,
            control,
        }
    }
}

/// What a prompt asks for. Every field is optional: a prompt says what it says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PromptControls {
    /// The emotion: a quadrant for one of its anchor words, else a valence/arousal point (the
    /// mean of the emotion words' points).
    #[serde(skip)]
    pub emotion: Option<EmotionRequest>,
    /// Valence and arousal of the emotion asked for, when there is one.
    pub valence_arousal: Option<(f64, f64)>,
    /// The style or blend, among the styles given to [`parse_prompt`].
    #[serde(skip)]
    pub style: Option<StyleBlend>,
    /// The style as text (`pop=0.7,folk=0.3`).
    pub style_text: Option<String>,
    /// Tempo in BPM.
    pub tempo: Option<f64>,
    /// General MIDI program.
    pub program: Option<u8>,
    /// Length in bars or seconds.
    #[serde(skip)]
    pub length: Option<Length>,
    /// The key, when named.
    pub key: Option<KeyRequest>,
    /// The meter `(numerator, denominator)`, when named.
    pub meter: Option<(u8, u8)>,
    /// How many times as many notes as the model would write (a picture's complexity).
    pub density: Option<f32>,
    /// A MIDI pitch the notes gather around (a picture's brightness).
    pub register: Option<f32>,
    /// Every phrase used, with its meaning, in the order found.
    pub understood: Vec<Understood>,
    /// Words that were not used (common function words left out).
    pub unused: Vec<String>,
    /// Of the unused words, those the learned layer's vocabulary does not hold either (another
    /// language, a typo).
    pub unknown: Vec<String>,
    /// What the learned layer made of the unused words, when it read them (no listed emotion
    /// word was found).
    pub learned: Option<LearnedEmotion>,
}

impl PromptControls {
    /// Whether the prompt asked for an emotion or a style (something a conditioned model follows).
    pub fn wants_control(&self) -> bool {
        self.emotion.is_some() || self.style.is_some()
    }

    /// These controls, with `other`'s filling the fields these leave empty (the emotion counts
    /// as one field: valence and arousal come together). What each understood is kept, these
    /// first, less `other`'s phrases for controls these set; words not understood are these'.
    pub fn or(self, other: PromptControls) -> PromptControls {
        let set_here: Vec<&str> = self.understood.iter().filter_map(|u| u.control).collect();
        let mut understood = self.understood;
        understood.extend(
            other
                .understood
                .into_iter()
                .filter(|u| u.control.is_none_or(|c| !set_here.contains(&c))),
        );
        let (emotion, valence_arousal) = match self.emotion {
            Some(e) => (Some(e), self.valence_arousal),
            None => (other.emotion, other.valence_arousal),
        };
        let (style, style_text) = match self.style {
            Some(s) => (Some(s), self.style_text),
            None => (other.style, other.style_text),
        };
        PromptControls {
            emotion,
            valence_arousal,
            style,
            style_text,
            tempo: self.tempo.or(other.tempo),
            program: self.program.or(other.program),
            length: self.length.or(other.length),
            key: self.key.or(other.key),
            meter: self.meter.or(other.meter),
            density: self.density.or(other.density),
            register: self.register.or(other.register),
            understood,
            unused: self.unused,
            unknown: self.unknown,
            learned: self.learned.or(other.learned),
        }
    }
}

/// A meter written `N/D` ("3/4", "6/8"): 1–32 beats of a whole, half, quarter, eighth or
/// sixteenth note. The message says what is wrong.
pub fn parse_meter(text: &str) -> Result<(u8, u8), String> {
    let bad = || format!("{text:?} is not a meter like 3/4 or 6/8");
    let (n, d) = text.trim().split_once('/').ok_or_else(bad)?;
    let n: u8 = n.trim().parse().map_err(|_| bad())?;
    let d: u8 = d.trim().parse().map_err(|_| bad())?;
    if !matches!(d, 1 | 2 | 4 | 8 | 16) {
        return Err(format!(
            "{text:?}: the denominator must be 1, 2, 4, 8 or 16"
        ));
    }
    if !(1..=32).contains(&n) {
        return Err(format!("{text:?}: the numerator must be 1 to 32"));
    }
    Ok((n, d))
}

/// Reads a prompt with both layers: the exact lists, then the built-in learned layer for the
/// emotion of the words left over. `styles` are the styles the model knows (style words outside
/// them are reported as unused).
pub fn parse_prompt(text: &str, styles: &[String]) -> Result<PromptControls, PromptError> {
    let mut out = parse_exact(text, styles)?;
    let unknown = euterpe_text::TextEncoder::builtin()
        .encode_words(&out.unused)
        .unknown;
    out.unknown = unknown;
    if out.emotion.is_none() && out.unknown.len() < out.unused.len() {
        if let Some(learned) = TextEmotion::builtin()?.judge(&out.unused) {
            apply_learned(&mut out, learned);
        }
    }
    Ok(out)
}

/// Sets the emotion from the learned layer's reading when it is sure enough, and records it.
fn apply_learned(out: &mut PromptControls, learned: LearnedEmotion) {
    let shares: Vec<String> = learned
        .classes
        .iter()
        .zip(&learned.probabilities)
        .map(|(c, p)| format!("{c} {p:.2}"))
        .collect();
    let quadrant = learned
        .class
        .strip_prefix('Q')
        .and_then(|q| q.parse::<u8>().ok())
        .and_then(Emotion::from_quadrant);
    let meaning = match quadrant {
        Some(e) if learned.confidence() >= learned::CONFIDENT => {
            out.emotion = Some(EmotionRequest::Quadrant(e));
            out.valence_arousal = learned.valence_arousal;
            let anchor = Emotion::NAMES
                .iter()
                .find(|(x, _)| *x == e)
                .map_or("", |(_, words)| words[0]);
            format!(
                "emotion {} ({anchor}) (learned: {})",
                learned.class,
                shares.join(", ")
            )
        }
        _ => format!("no clear emotion (learned: {}; ignored)", shares.join(", ")),
    };
    out.understood
        .push(Understood::new(learned.words.join(" "), meaning));
    out.unused.retain(|w| !learned.words.contains(w));
    out.learned = Some(learned);
}

/// The exact layer alone: what the lists and patterns read, nothing learned.
pub fn parse_exact(text: &str, styles: &[String]) -> Result<PromptControls, PromptError> {
    let words = words(text);
    if words.is_empty() {
        return Err(PromptError::Invalid("the prompt is empty".into()));
    }
    let mut parser = Parser {
        words: &words,
        used: vec![false; words.len()],
        out: PromptControls::default(),
        emotions: Vec::new(),
        styles,
        style_parts: Vec::new(),
    };
    parser.run()?;
    Ok(parser.finish())
}

/// A key on its own ("D minor", "F#", "b flat major"): `None` unless the text is exactly a key.
pub fn parse_key(text: &str) -> Option<KeyRequest> {
    let read = parse_prompt(&format!("in {text}"), &[]).ok()?;
    let whole = read.understood.len() == 1 && read.unused.is_empty();
    whole.then_some(read.key).flatten()
}

impl std::fmt::Display for KeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const NAMES: [&str; 12] = [
            "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
        ];
        let name = NAMES[self.tonic as usize % 12];
        match self.minor {
            Some(true) => write!(f, "{name} minor"),
            Some(false) => write!(f, "{name} major"),
            None => write!(f, "{name}"),
        }
    }
}

impl KeyRequest {
    /// The generator's key target.
    pub fn target(self) -> euterpe_generate::KeyTarget {
        euterpe_generate::KeyTarget {
            tonic: self.tonic,
            minor: self.minor,
        }
    }
}

/// Lowercased words; `#`, `/`, `%`, `.` and `-` stay inside words, other punctuation splits.
fn words(text: &str) -> Vec<String> {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '♯' => '#',
            '♭' => 'b',
            c if c.is_alphanumeric() || "#/%.-'".contains(c) => c,
            _ => ' ',
        })
        .collect();
    cleaned
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c| c == '.' || c == '-' || c == '\'')
                .to_string()
        })
        .flat_map(split_percent)
        .filter(|w| !w.is_empty())
        .collect()
}

/// `70%pop` → `70%`, `pop`.
fn split_percent(word: String) -> Vec<String> {
    match word.split_once('%') {
        Some((n, rest)) if !rest.is_empty() => vec![format!("{n}%"), rest.to_string()],
        _ => vec![word],
    }
}

struct Parser<'a> {
    words: &'a [String],
    used: Vec<bool>,
    out: PromptControls,
    emotions: Vec<(String, f64, f64)>,
    styles: &'a [String],
    style_parts: Vec<(String, f64)>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), PromptError> {
        let mut i = 0;
        while i < self.words.len() {
            // The first reading that applies wins; each sets its field only when it applies.
            let mut taken = self.numbers(i)?;
            let readings: [fn(&mut Self, usize) -> usize; 6] = [
                Self::key,
                Self::tempo_word,
                Self::meter_word,
                Self::style,
                Self::instrument,
                Self::emotion,
            ];
            for reading in readings {
                if taken > 0 {
                    break;
                }
                taken = reading(self, i);
            }
            i += taken.max(1);
        }
        Ok(())
    }

    fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }

    /// Marks words `from..from+n` used with a meaning; returns `n`.
    fn take(&mut self, from: usize, n: usize, meaning: String) -> usize {
        let n = n.min(self.words.len() - from);
        if self.used[from..from + n].iter().any(|&u| u) {
            return 0;
        }
        self.used[from..from + n].iter_mut().for_each(|u| *u = true);
        self.out.understood.push(Understood::new(
            self.words[from..from + n].join(" "),
            meaning,
        ));
        n
    }

    /// Numbers with units: BPM, bars, seconds, minutes, meters, style percentages.
    fn numbers(&mut self, i: usize) -> Result<usize, PromptError> {
        let w = self.word(i).to_string();
        if let Ok((n, d)) = parse_meter(&w) {
            self.out.meter = Some((n, d));
            return Ok(self.take(i, 1, format!("meter {n}/{d}")));
        }
        if let Some(p) = w.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
            return Ok(self.style_percent(i, p));
        }
        if w == "half"
            && matches!(self.word(i + 1), "a" | "an")
            && self.word(i + 2).starts_with("min")
        {
            return self.seconds(i, 3, 30.0);
        }
        let Some(value) = number(&w) else {
            return Ok(0);
        };
        let (unit_at, unit) = match self.word(i + 1) {
            "percent" => return Ok(self.style_percent(i, value)),
            "beats" if self.word(i + 2) == "per" && self.word(i + 3) == "minute" => (i + 3, "bpm"),
            u => (i + 1, u),
        };
        let n = unit_at - i + 1;
        match unit {
            "bpm" => {
                if !(20.0..=400.0).contains(&value) {
                    return Err(PromptError::Invalid(format!(
                        "a tempo of {value} BPM is outside 20–400"
                    )));
                }
                self.out.tempo = Some(value);
                Ok(self.take(i, n, format!("tempo {value} BPM")))
            }
            "bar" | "bars" | "measure" | "measures" => {
                let bars = value.round();
                if !(1.0..=10_000.0).contains(&bars) {
                    return Err(PromptError::Invalid(format!(
                        "{value} bars is outside 1–10000"
                    )));
                }
                self.out.length = Some(Length::Bars(bars as usize));
                Ok(self.take(i, n, format!("{bars} bars")))
            }
            "second" | "seconds" | "sec" | "secs" | "s" => self.seconds(i, n, value),
            "minute" | "minutes" | "min" | "mins" => self.seconds(i, n, value * 60.0),
            _ => Ok(0),
        }
    }

    fn seconds(&mut self, i: usize, n: usize, seconds: f64) -> Result<usize, PromptError> {
        if !(1.0..=36_000.0).contains(&seconds) {
            return Err(PromptError::Invalid(format!(
                "a length of {seconds} s is outside 1 s–10 h"
            )));
        }
        self.out.length = Some(Length::Seconds(seconds));
        Ok(self.take(i, n, format!("{seconds} seconds")))
    }

    /// `70% pop`, `30 percent folk`.
    fn style_percent(&mut self, i: usize, percent: f64) -> usize {
        let skip = if self.word(i + 1) == "percent" { 2 } else { 1 };
        let Some((style, n)) = self.style_at(i + skip) else {
            return 0;
        };
        self.style_parts.push((style.clone(), percent.max(0.0)));
        self.take(i, skip + n, format!("style {style} at {percent}%"))
    }

    /// `in D minor`, `key of F#`, `Bb major`.
    fn key(&mut self, i: usize) -> usize {
        let lead = match (self.word(i), self.word(i + 1)) {
            ("in", _) => 1,
            ("key", "of") => 2,
            _ => 0,
        };
        let Some((tonic, spelled)) = note_name(self.words, i + lead) else {
            return 0;
        };
        let mode_at = i + lead + spelled;
        let minor = match self.word(mode_at) {
            "minor" | "min" => Some(true),
            "major" | "maj" => Some(false),
            _ => None,
        };
        // "a" is an article unless a mode follows; a bare note name needs "in" or "key of".
        let bare_a = self.word(i + lead) == "a" && minor.is_none();
        if bare_a || (lead == 0 && minor.is_none()) {
            return 0;
        }
        let key = KeyRequest { tonic, minor };
        self.out.key = Some(key);
        let n = lead + spelled + usize::from(minor.is_some());
        self.take(i, n, format!("key {key}"))
    }

    fn tempo_word(&mut self, i: usize) -> usize {
        let very = self.word(i) == "very";
        let at = i + usize::from(very);
        let Some(&(_, bpm)) = TEMPO_WORDS.iter().find(|(w, _)| *w == self.word(at)) else {
            return 0;
        };
        let bpm = if very {
            if bpm < 100.0 {
                bpm * 0.8
            } else {
                bpm * 1.15
            }
        } else {
            bpm
        };
        let bpm = bpm.round();
        self.out.tempo.get_or_insert(bpm);
        self.take(i, at - i + 1, format!("tempo {bpm} BPM"))
    }

    fn meter_word(&mut self, i: usize) -> usize {
        let meter = match self.word(i) {
            "waltz" => (3, 4),
            "march" => (2, 4),
            "jig" => (6, 8),
            _ => return 0,
        };
        self.out.meter.get_or_insert(meter);
        self.take(i, 1, format!("meter {}/{}", meter.0, meter.1))
    }

    /// A style name (or synonym) the model knows, at word `i`: the style and words used.
    fn style_at(&self, i: usize) -> Option<(String, usize)> {
        let two = format!("{} {}", self.word(i), self.word(i + 1));
        let candidates: [(&str, usize); 2] = [(two.as_str(), 2), (self.word(i), 1)];
        for (phrase, n) in candidates {
            let name = lexicon::style_synonym(phrase).unwrap_or(phrase);
            if self.styles.iter().any(|s| s == name) {
                return Some((name.to_string(), n));
            }
        }
        None
    }

    fn style(&mut self, i: usize) -> usize {
        let Some((style, n)) = self.style_at(i) else {
            let word = self.word(i);
            let name = lexicon::style_synonym(word).unwrap_or(word).to_string();
            if lexicon::GENRES.contains(&name.as_str()) {
                return self.take(
                    i,
                    1,
                    format!("style {name} (not a style of this model: ignored)"),
                );
            }
            return 0;
        };
        // Followed by "piece", "song", "style", "music": still a style.
        self.style_parts.push((style.clone(), 1.0));
        self.take(i, n, format!("style {style}"))
    }

    fn instrument(&mut self, i: usize) -> usize {
        for n in [3, 2, 1] {
            let phrase = self.words[i..(i + n).min(self.words.len())].join(" ");
            if let Some(&(_, program)) = INSTRUMENTS.iter().find(|(name, _)| *name == phrase) {
                if self.out.program.is_some() {
                    return self.take(
                        i,
                        n,
                        format!("{phrase} (one instrument per piece for now: ignored)"),
                    );
                }
                self.out.program = Some(program);
                let name = euterpe_render::gm::program_name(program);
                return self.take(i, n, format!("instrument {name} (program {program})"));
            }
        }
        0
    }

    fn emotion(&mut self, i: usize) -> usize {
        let negated = matches!(self.word(i), "not" | "never" | "without");
        let at = i + usize::from(negated);
        let word = self.word(at).to_string();
        let Some(&(_, valence, arousal)) = EMOTION_WORDS.iter().find(|(w, _, _)| *w == word) else {
            return 0;
        };
        if negated {
            return self.take(
                i,
                2,
                format!("not {word} (negations are not followed: ignored)"),
            );
        }
        self.emotions.push((word.clone(), valence, arousal));
        self.take(
            i,
            1,
            format!("emotion {word} (valence {valence}, arousal {arousal})"),
        )
    }

    fn finish(mut self) -> PromptControls {
        self.out.unused = self
            .words
            .iter()
            .zip(&self.used)
            .filter(|(w, used)| !**used && !lexicon::is_function_word(w))
            .map(|(w, _)| w.clone())
            .collect();
        match self.emotions.as_slice() {
            [] => {}
            [(word, v, a)] => {
                self.out.valence_arousal = Some((*v, *a));
                self.out.emotion = Some(match Emotion::from_name(word) {
                    Ok(e) => EmotionRequest::Quadrant(e),
                    Err(_) => EmotionRequest::ValenceArousal {
                        valence: *v,
                        arousal: *a,
                    },
                });
            }
            many => {
                let n = many.len() as f64;
                let valence = many.iter().map(|e| e.1).sum::<f64>() / n;
                let arousal = many.iter().map(|e| e.2).sum::<f64>() / n;
                let round = |x: f64| (x * 100.0).round() / 100.0;
                let (valence, arousal) = (round(valence), round(arousal));
                self.out.valence_arousal = Some((valence, arousal));
                self.out.emotion = Some(EmotionRequest::ValenceArousal { valence, arousal });
            }
        }
        if !self.style_parts.is_empty() {
            let mut parts: Vec<(String, f64)> = Vec::new();
            for (name, w) in self.style_parts {
                match parts.iter_mut().find(|(n, _)| *n == name) {
                    Some(p) => p.1 += w,
                    None => parts.push((name, w)),
                }
            }
            if let Ok(blend) = StyleBlend::new(parts) {
                self.out.style_text = Some(
                    blend
                        .parts()
                        .iter()
                        .map(|(n, w)| format!("{n}={:.2}", w))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                self.out.style = Some(blend);
            }
        }
        self.out
    }
}

/// A number written in digits or as an English word up to sixty ("a" and "an" count as one).
fn number(word: &str) -> Option<f64> {
    if let Ok(v) = word.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    match word {
        "a" | "an" => Some(1.0),
        "half" => Some(0.5),
        "thirty" => Some(30.0),
        "forty" => Some(40.0),
        "fifty" => Some(50.0),
        "sixty" => Some(60.0),
        _ => WORDS.iter().position(|w| *w == word).map(|i| i as f64),
    }
}

/// A note name at word `i` (`d`, `f#`, `bb`, `b flat`, `c sharp`): its pitch class and words
/// used.
fn note_name(words: &[String], i: usize) -> Option<(u8, usize)> {
    let w = words.get(i)?.as_str();
    let mut chars = w.chars();
    let letter = chars.next()?;
    let base: i32 = match letter {
        'c' => 0,
        'd' => 2,
        'e' => 4,
        'f' => 5,
        'g' => 7,
        'a' => 9,
        'b' => 11,
        _ => return None,
    };
    let (shift, spelled) = match (chars.as_str(), words.get(i + 1).map(String::as_str)) {
        ("", Some("sharp")) => (1, 2),
        ("", Some("flat")) => (-1, 2),
        ("", _) => (0, 1),
        ("#" | "sharp", _) => (1, 1),
        ("b" | "flat", _) => (-1, 1),
        _ => return None,
    };
    Some(((base + shift).rem_euclid(12) as u8, spelled))
}
