//! `POST /generate_music`'s fields, read from JSON or form fields (where every value is text),
//! checked one by one so that an error names its field, and turned into the library's options.

use base64::Engine;
use euterpe_generate::{
    EmotionRequest, GenerateOptions, Length, SamplingConfig, StyleBlend, DEFAULT_GUIDANCE,
};
use euterpe_music::midi::parse_midi;
use euterpe_music::tokens::Emotion;
use serde::Serialize;
use serde_json::{Map, Value};

use euterpe_prompt::{image_controls, image_from_bytes, parse_key, parse_prompt, PromptControls};

use crate::catalog::{Catalog, ServedModel};
use crate::ApiError;

/// The fields `POST /generate_music` reads.
pub const FIELDS: [&str; 21] = [
    "prompt",
    "image",
    "meter",
    "density",
    "register",
    "key",
    "emotion",
    "style",
    "valence",
    "arousal",
    "bars",
    "tempo",
    "temperature",
    "top_k",
    "top_p",
    "seed",
    "primer",
    "model",
    "program",
    "guidance",
    "format",
];

/// Bars written when a request does not say.
pub const DEFAULT_BARS: usize = 8;

/// A checked request: the model to use and the options to generate with.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// The built-in model's name.
    pub model: String,
    /// The library's options (seed filled in).
    pub options: GenerateOptions,
    /// What the response reports as the parameters used.
    pub used: UsedParameters,
    /// What the prompt was understood to ask for, when there was one.
    pub prompt: Option<PromptControls>,
}

/// The parameters a piece was made with, seed included, so that the request can be repeated.
#[derive(Debug, Clone, Serialize)]
pub struct UsedParameters {
    /// The model.
    pub model: String,
    /// The emotion asked for, as its quadrant's anchor word.
    pub emotion: Option<String>,
    /// Valence and arousal, when asked for as a point.
    pub valence: Option<f64>,
    /// See `valence`.
    pub arousal: Option<f64>,
    /// The style or blend, as `name=weight,…`.
    pub style: Option<String>,
    /// Bars of new music.
    pub bars: usize,
    /// Tempo in BPM (`None`: the model's choice).
    pub tempo: Option<f64>,
    /// Sampling temperature.
    pub temperature: f64,
    /// Top-k.
    pub top_k: Option<usize>,
    /// Top-p.
    pub top_p: Option<f64>,
    /// The sampler's seed.
    pub seed: u64,
    /// General MIDI program.
    pub program: Option<u8>,
    /// Classifier-free guidance of the controls.
    pub guidance: f32,
    /// Whether a primer was continued.
    pub primer: bool,
    /// The prompt, as given.
    pub prompt: Option<String>,
    /// The key the piece was moved to.
    pub key: Option<String>,
    /// The meter every bar keeps (`None`: the model's).
    pub meter: Option<String>,
    /// Note density factor (1: as the model plays; an emotion may set it).
    pub density: f32,
    /// The MIDI pitch the notes gather around.
    pub register: Option<f32>,
}

/// Reads and checks a request's fields against the models on offer.
pub fn parse_request(
    fields: &Map<String, Value>,
    catalog: &Catalog,
    max_bars: usize,
    fresh_seed: u64,
) -> Result<GenerateRequest, ApiError> {
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::field(unknown, "unknown field")
            .with_valid(FIELDS.iter().map(|f| f.to_string()).collect()));
    }
    let prompt_text = text(fields, "prompt")?.map(str::to_string);
    let text_prompt = prompt_text
        .as_deref()
        .map(|t| read_prompt(t, catalog))
        .transpose()?;
    let picture = image(fields)?;
    let prompt = match (text_prompt, picture) {
        (Some(t), Some(p)) => Some(t.or(p)),
        (t, p) => t.or(p),
    };
    let with_prompt;
    let fields = match &prompt {
        Some(p) => {
            with_prompt = fill_from_prompt(fields, p);
            &with_prompt
        }
        None => fields,
    };
    let emotion = emotion(fields)?;
    let style = text(fields, "style")?
        .map(|s| {
            s.parse::<StyleBlend>()
                .map_err(|e| ApiError::field("style", e.to_string()))
        })
        .transpose()?;
    let model = model(fields, catalog, emotion.is_some(), style.is_some())?;
    if let Some(blend) = &style {
        check_styles(blend, model)?;
    }
    let bars = integer(fields, "bars", 1, max_bars as u64)?.map_or(DEFAULT_BARS, |b| b as usize);
    let tempo = number(fields, "tempo", 20.0, 400.0)?;
    let temperature = number(fields, "temperature", 0.05, 5.0)?.unwrap_or(1.0);
    let top_k = integer(fields, "top_k", 1, 100_000)?.map(|k| k as usize);
    let top_p = number(fields, "top_p", 1e-6, 1.0)?;
    let seed = integer(fields, "seed", 0, u64::MAX)?.unwrap_or(fresh_seed);
    let program = integer(fields, "program", 0, 127)?.map(|p| p as u8);
    let controlled = emotion.is_some() || style.is_some();
    let guidance = number(fields, "guidance", 1.0, 10.0)?.map(|g| g as f32);
    if guidance.is_some_and(|g| g > 1.0) && !controlled {
        return Err(ApiError::field(
            "guidance",
            "needs an emotion, valence/arousal or style to follow",
        ));
    }
    let guidance = guidance.unwrap_or(if controlled { DEFAULT_GUIDANCE } else { 1.0 });
    let primer = primer(fields)?;
    let key = match text(fields, "key")? {
        Some(t) => Some(parse_key(t).ok_or_else(|| {
            ApiError::field(
                "key",
                format!("{t:?} is not a key (e.g. \"D minor\", \"F#\")"),
            )
        })?),
        None => None,
    };
    if key.is_some() && primer.is_some() {
        return Err(ApiError::field(
            "key",
            "cannot move a primer's music; leave one of them out",
        ));
    }
    let meter = meter(fields)?;
    if meter.is_some() && primer.is_some() {
        return Err(ApiError::field(
            "meter",
            "cannot change a primer's bars; leave one of them out",
        ));
    }
    let density = number(fields, "density", 0.25, 4.0)?.map(|d| d as f32);
    let register = number(fields, "register", 21.0, 108.0)?.map(|r| r as f32);
    let used = UsedParameters {
        model: model.info.name.clone(),
        emotion: match &emotion {
            Some(EmotionRequest::Quadrant(e)) => Some(anchor_word(*e).to_string()),
            _ => None,
        },
        valence: number(fields, "valence", -1.0, 1.0)?,
        arousal: number(fields, "arousal", -1.0, 1.0)?,
        style: style.as_ref().map(blend_text),
        bars,
        tempo,
        temperature,
        top_k,
        top_p,
        seed,
        program,
        guidance,
        primer: primer.is_some(),
        prompt: prompt_text,
        key: key.map(|k| k.to_string()),
        meter: meter.map(|(n, d)| format!("{n}/{d}")),
        density: density.unwrap_or(1.0),
        register,
    };
    let options = GenerateOptions {
        length: Length::Bars(bars),
        sampling: SamplingConfig {
            temperature,
            top_k,
            top_p,
        },
        seed,
        primer,
        tempo,
        program,
        emotion,
        style,
        guidance,
        key: key.map(|k| k.target()),
        meter,
        density: density.unwrap_or(1.0),
        register,
        ..GenerateOptions::default()
    };
    let mut used = used;
    used.density = options.effective_density();
    options
        .validate()
        .map_err(|e| ApiError::new(axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    Ok(GenerateRequest {
        model: model.info.name.clone(),
        options,
        used,
        prompt,
    })
}

/// Reads a prompt against the styles of every generator on offer.
fn read_prompt(text: &str, catalog: &Catalog) -> Result<PromptControls, ApiError> {
    let styles: Vec<String> = catalog
        .generators()
        .flat_map(|m| m.info.styles.iter().cloned())
        .collect();
    parse_prompt(text, &styles).map_err(|e| ApiError::field("prompt", e.to_string()))
}

/// The fields with what the prompt asks for added where the request does not say.
fn fill_from_prompt(fields: &Map<String, Value>, p: &PromptControls) -> Map<String, Value> {
    let mut out = fields.clone();
    let mut set = |k: &str, v: Value| {
        if !fields.contains_key(k) {
            out.insert(k.to_string(), v);
        }
    };
    let asked_emotion = ["emotion", "valence", "arousal"]
        .iter()
        .any(|k| fields.contains_key(*k));
    if !asked_emotion {
        match p.emotion {
            Some(EmotionRequest::Quadrant(e)) => set("emotion", Value::from(anchor_word(e))),
            Some(EmotionRequest::ValenceArousal { valence, arousal }) => {
                set("valence", Value::from(valence));
                set("arousal", Value::from(arousal));
            }
            None => {}
        }
    }
    if let Some(style) = &p.style_text {
        set("style", Value::from(style.clone()));
    }
    if let Some(tempo) = p.tempo {
        set("tempo", Value::from(tempo));
    }
    if let Some(program) = p.program {
        set("program", Value::from(program));
    }
    if let (Some(key), false) = (p.key, fields.contains_key("primer")) {
        set("key", Value::from(key.to_string()));
    }
    if let (Some((n, d)), false) = (p.meter, fields.contains_key("primer")) {
        set("meter", Value::from(format!("{n}/{d}")));
    }
    if let Some(density) = p.density {
        set("density", Value::from(density));
    }
    if let Some(register) = p.register {
        set("register", Value::from(register));
    }
    match p.length {
        Some(Length::Bars(b)) => set("bars", Value::from(b)),
        Some(Length::Seconds(s)) => {
            // Whole 4/4 bars at the tempo asked for (120 BPM if none).
            let bpm = p.tempo.unwrap_or(120.0);
            set(
                "bars",
                Value::from((s * bpm / 240.0).ceil().max(1.0) as u64),
            );
        }
        None => {}
    }
    out
}

/// The field's value as text (form fields are text already; JSON strings are taken as they are).
pub(crate) fn text<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(other) => Err(ApiError::field(name, format!("expected text, got {other}"))),
    }
}

/// A number in `[lo, hi]`, from a JSON number or text that reads as one.
pub(crate) fn number(
    fields: &Map<String, Value>,
    name: &str,
    lo: f64,
    hi: f64,
) -> Result<Option<f64>, ApiError> {
    let value = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let raw = &fields[name];
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return Err(ApiError::field(
            name,
            format!("expected a number, got {raw}"),
        ));
    };
    if !(lo..=hi).contains(&v) {
        return Err(ApiError::field(
            name,
            format!("must be in [{lo}, {hi}], got {v}"),
        ));
    }
    Ok(Some(v))
}

/// A whole number in `[lo, hi]`, from a JSON integer or text that reads as one.
pub(crate) fn integer(
    fields: &Map<String, Value>,
    name: &str,
    lo: u64,
    hi: u64,
) -> Result<Option<u64>, ApiError> {
    let raw = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(v) => v,
    };
    let signed = match raw {
        Value::Number(n) => n
            .as_u64()
            .map(i128::from)
            .or_else(|| n.as_i64().map(i128::from)),
        Value::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    };
    let Some(v) = signed else {
        return Err(ApiError::field(
            name,
            format!("expected a whole number, got {raw}"),
        ));
    };
    if v < i128::from(lo) || v > i128::from(hi) {
        return Err(ApiError::field(name, format!("must be {lo}–{hi}, got {v}")));
    }
    Ok(Some(v as u64))
}

/// `emotion` as a quadrant, or `valence` and `arousal` as a point; not both.
pub(crate) fn emotion(fields: &Map<String, Value>) -> Result<Option<EmotionRequest>, ApiError> {
    let valence = number(fields, "valence", -1.0, 1.0)?;
    let arousal = number(fields, "arousal", -1.0, 1.0)?;
    match (text(fields, "emotion")?, valence, arousal) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::field(
            "emotion",
            "give an emotion or valence and arousal, not both",
        )),
        (Some(name), None, None) => Emotion::from_name(name)
            .map(|e| Some(EmotionRequest::Quadrant(e)))
            .map_err(|_| {
                ApiError::field("emotion", format!("unknown emotion {name:?}"))
                    .with_valid(emotion_words())
            }),
        (None, Some(valence), Some(arousal)) => {
            Ok(Some(EmotionRequest::ValenceArousal { valence, arousal }))
        }
        (None, Some(_), None) => Err(ApiError::field("arousal", "needed with valence")),
        (None, None, Some(_)) => Err(ApiError::field("valence", "needed with arousal")),
        (None, None, None) => Ok(None),
    }
}

/// Every word `emotion` accepts.
pub fn emotion_words() -> Vec<String> {
    Emotion::NAMES
        .iter()
        .flat_map(|(_, words)| words.iter().map(|w| w.to_string()))
        .collect()
}

pub(crate) fn anchor_word(e: Emotion) -> &'static str {
    Emotion::NAMES
        .iter()
        .find(|(q, _)| *q == e)
        .map_or("?", |(_, words)| words[0])
}

pub(crate) fn blend_text(blend: &StyleBlend) -> String {
    blend
        .parts()
        .iter()
        .map(|(name, w)| format!("{name}={w}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The named model, or the one chosen for the controls asked for; it must generate and follow
/// them.
pub(crate) fn model<'c>(
    fields: &Map<String, Value>,
    catalog: &'c Catalog,
    emotion: bool,
    style: bool,
) -> Result<&'c ServedModel, ApiError> {
    let wanted: Vec<&str> = [("emotion", emotion), ("style", style)]
        .iter()
        .filter(|(_, asked)| *asked)
        .map(|(c, _)| *c)
        .collect();
    let model = match text(fields, "model")? {
        Some(name) => {
            let unknown = || {
                let mut e = ApiError::field("model", format!("unknown model {name:?}"))
                    .with_valid(catalog.generator_names());
                e.status = axum::http::StatusCode::NOT_FOUND;
                e
            };
            let m = catalog.get(name).ok_or_else(unknown)?;
            if !m.generates {
                return Err(ApiError::field(
                    "model",
                    format!("{name:?} is a classifier, not a generator"),
                )
                .with_valid(catalog.generator_names()));
            }
            m
        }
        None => catalog
            .choose(&wanted)
            .ok_or_else(|| ApiError::field("model", "no model follows every control asked for"))?,
    };
    for condition in wanted {
        if !model.info.conditions.iter().any(|c| c == condition) {
            let follows: Vec<String> = catalog
                .generators()
                .filter(|m| m.info.conditions.iter().any(|c| c == condition))
                .map(|m| m.info.name.clone())
                .collect();
            return Err(ApiError::field(
                condition,
                format!("model {:?} does not follow {condition}", model.info.name),
            )
            .with_valid(follows));
        }
    }
    Ok(model)
}

pub(crate) fn check_styles(blend: &StyleBlend, model: &ServedModel) -> Result<(), ApiError> {
    for (name, _) in blend.parts() {
        if !model.info.styles.contains(name) {
            return Err(ApiError::field("style", format!("unknown style {name:?}"))
                .with_valid(model.info.styles.clone()));
        }
    }
    Ok(())
}

/// `primer`: a base64 MIDI file.
/// `image`: a base64 PNG or JPEG (or a file part), read into controls.
fn image(fields: &Map<String, Value>) -> Result<Option<PromptControls>, ApiError> {
    let Some(encoded) = text(fields, "image")? else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| ApiError::field("image", format!("not base64: {e}")))?;
    let features =
        image_from_bytes(&bytes, "image").map_err(|e| ApiError::field("image", e.to_string()))?;
    Ok(Some(image_controls(&features)))
}

/// `meter`: `3/4`, `6/8`, …
fn meter(fields: &Map<String, Value>) -> Result<Option<(u8, u8)>, ApiError> {
    let Some(t) = text(fields, "meter")? else {
        return Ok(None);
    };
    euterpe_prompt::parse_meter(t)
        .map(Some)
        .map_err(|e| ApiError::field("meter", e))
}

fn primer(fields: &Map<String, Value>) -> Result<Option<euterpe_music::score::Score>, ApiError> {
    let Some(encoded) = text(fields, "primer")? else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| ApiError::field("primer", format!("not base64: {e}")))?;
    let score = parse_midi(&bytes)
        .map_err(|e| ApiError::field("primer", format!("not a usable MIDI file: {e}")))?;
    if score.note_count() == 0 {
        return Err(ApiError::field("primer", "the MIDI file has no notes"));
    }
    Ok(Some(score))
}
