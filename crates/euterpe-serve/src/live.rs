//! `GET /live`: live generation over a WebSocket.
//!
//! The client opens the socket and sends `{"type":"start", …}` with any of `model`, `seed`,
//! `tempo`, `emotion` (or `valence` and `arousal`), `style`, `temperature`, `top_k`, `top_p`,
//! `guidance`, `density` and `register`. The server answers `{"type":"started", …}`, then streams
//! `{"type":"bar", …}` and `{"type":"note", …}` events, each sent a little ahead of its time
//! (`time`, seconds since the stream began, at the tempo in force) so that a player can schedule
//! it exactly. `{"type":"control", …}` with any of the same fields (but `model` and `seed`; `null`
//! clears one) changes the music from the next bar the model writes, without restarting it: the
//! model's state carries on (see `euterpe_generate::live`). A bad control gets
//! `{"type":"error", …}` and the stream goes on. `{"type":"stop"}` or closing the socket ends it.
//!
//! The model runs on its own thread, at most a bar or two ahead of the listener; the socket's
//! task only schedules and relays.

use std::collections::VecDeque;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use euterpe_generate::{
    EmotionRequest, LiveBar, LiveSettings, LoadedGenerator, SamplingConfig, StyleBlend,
    DEFAULT_GUIDANCE,
};
use euterpe_models::backend::Cpu;
use euterpe_store::ModelSource;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use crate::request::{self, anchor_word, blend_text, check_styles, emotion, integer, number, text};
use crate::{ApiError, AppState};

/// Fields a `start` message may carry.
pub const START_FIELDS: [&str; 14] = [
    "type",
    "model",
    "seed",
    "tempo",
    "emotion",
    "valence",
    "arousal",
    "style",
    "temperature",
    "top_k",
    "top_p",
    "guidance",
    "density",
    "register",
];
/// Tempo of a stream that names none.
pub const DEFAULT_LIVE_BPM: f64 = 110.0;
/// How far ahead of its time an event is sent.
const LOOKAHEAD: Duration = Duration::from_millis(250);
/// Silence before the first note, for the player to get ready.
const LEAD_IN: Duration = Duration::from_millis(300);

/// The `token` query parameter, for browsers (they cannot send headers on a WebSocket).
pub fn query_token(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
}

/// `GET /live`: upgrades to a WebSocket if a live slot is free (503 otherwise).
pub async fn upgrade(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    match Arc::clone(&state.live).try_acquire_owned() {
        Ok(permit) => ws.on_upgrade(move |socket| session(socket, state, permit)),
        Err(_) => ApiError::busy(5).into_response(),
    }
}

/// A stream's settings as the client gave them: the fields, merged message after message.
struct Requested {
    fields: Map<String, Value>,
}

/// What the requested fields mean.
struct Parsed {
    model: String,
    seed: u64,
    tempo: f64,
    settings: LiveSettings,
}

impl Requested {
    fn parse(&self, state: &AppState) -> Result<Parsed, ApiError> {
        let f = &self.fields;
        if let Some(unknown) = f.keys().find(|k| !START_FIELDS.contains(&k.as_str())) {
            return Err(ApiError::field(unknown, "unknown field")
                .with_valid(START_FIELDS.iter().map(|s| s.to_string()).collect()));
        }
        let emotion = emotion(f)?;
        let style = text(f, "style")?
            .map(|s| {
                s.parse::<StyleBlend>()
                    .map_err(|e| ApiError::field("style", e.to_string()))
            })
            .transpose()?;
        let model = request::model(f, &state.catalog, emotion.is_some(), style.is_some())?;
        if let Some(blend) = &style {
            check_styles(blend, model)?;
        }
        let controlled = emotion.is_some() || style.is_some();
        let guidance = number(f, "guidance", 1.0, 10.0)?
            .map(|g| g as f32)
            .unwrap_or(if controlled { DEFAULT_GUIDANCE } else { 1.0 });
        let settings = LiveSettings {
            emotion,
            style,
            sampling: SamplingConfig {
                temperature: number(f, "temperature", 0.05, 5.0)?.unwrap_or(1.0),
                top_k: integer(f, "top_k", 1, 100_000)?.map(|k| k as usize),
                top_p: number(f, "top_p", 1e-6, 1.0)?,
            },
            guidance: if controlled { guidance } else { 1.0 },
            density: number(f, "density", 0.25, 4.0)?.unwrap_or(1.0) as f32,
            register: number(f, "register", 21.0, 108.0)?.map(|r| r as f32),
        };
        settings
            .validate()
            .map_err(|e| ApiError::new(axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
        Ok(Parsed {
            model: model.info.name.clone(),
            seed: integer(f, "seed", 0, u64::MAX)?.unwrap_or_else(euterpe_base::fresh_seed),
            tempo: number(f, "tempo", 20.0, 400.0)?.unwrap_or(DEFAULT_LIVE_BPM),
            settings,
        })
    }

    /// Merges a control message: a field set to `null` is cleared; an emotion replaces a
    /// valence/arousal point and the other way round.
    fn merge(&mut self, control: &Map<String, Value>) -> Result<(), ApiError> {
        for fixed in ["model", "seed"] {
            if control.contains_key(fixed) {
                return Err(ApiError::field(
                    fixed,
                    "is fixed for the stream; start a new one to change it",
                ));
            }
        }
        if control.contains_key("emotion") {
            self.fields.remove("valence");
            self.fields.remove("arousal");
        }
        if control.contains_key("valence") || control.contains_key("arousal") {
            self.fields.remove("emotion");
        }
        for (k, v) in control {
            if v.is_null() {
                self.fields.remove(k);
            } else {
                self.fields.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }
}

/// The settings as the client sees them.
fn settings_json(p: &Parsed) -> Value {
    let s = &p.settings;
    json!({
        "model": p.model,
        "seed": p.seed,
        "tempo": p.tempo,
        "emotion": match s.emotion {
            Some(EmotionRequest::Quadrant(e)) => Some(anchor_word(e)),
            _ => None,
        },
        "valence": match s.emotion {
            Some(EmotionRequest::ValenceArousal { valence, .. }) => Some(valence),
            _ => None,
        },
        "arousal": match s.emotion {
            Some(EmotionRequest::ValenceArousal { arousal, .. }) => Some(arousal),
            _ => None,
        },
        "style": s.style.as_ref().map(blend_text),
        "temperature": s.sampling.temperature,
        "top_k": s.sampling.top_k,
        "top_p": s.sampling.top_p,
        "guidance": s.guidance,
        "density": s.density,
        "register": s.register,
    })
}

/// Maps beats to seconds since the stream began, across tempo changes.
struct Clock {
    origin: Instant,
    anchor_beat: f64,
    anchor_secs: f64,
    bpm: f64,
}

impl Clock {
    fn secs_at(&self, beat: f64) -> f64 {
        self.anchor_secs + (beat - self.anchor_beat) * 60.0 / self.bpm
    }

    fn now_secs(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// A new tempo from now on (the beats already played keep their times).
    fn set_bpm(&mut self, bpm: f64) {
        let now = self.now_secs().max(self.anchor_secs);
        self.anchor_beat += (now - self.anchor_secs) * self.bpm / 60.0;
        self.anchor_secs = now;
        self.bpm = bpm;
    }

    fn instant_of(&self, secs: f64) -> tokio::time::Instant {
        (self.origin + Duration::from_secs_f64(secs.max(0.0))).into()
    }
}

/// An event waiting for its time.
enum Pending {
    Bar {
        index: usize,
        beat: f64,
        beats: f64,
        stats: Value,
    },
    Note {
        bar: usize,
        beat: f64,
        note: euterpe_generate::LiveNote,
    },
}

impl Pending {
    fn beat(&self) -> f64 {
        match self {
            Pending::Bar { beat, .. } | Pending::Note { beat, .. } => *beat,
        }
    }
}

/// A bar and the step latencies so far, from the model's thread.
type BarResult = Result<(LiveBar, Value), String>;

async fn send(socket: &mut WebSocket, value: Value) -> bool {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .is_ok()
}

async fn send_error(socket: &mut WebSocket, e: &ApiError) -> bool {
    send(
        socket,
        json!({"type": "error", "error": e.error, "field": e.field, "valid": e.valid}),
    )
    .await
}

/// One WebSocket session.
async fn session(mut socket: WebSocket, state: Arc<AppState>, _permit: OwnedSemaphorePermit) {
    // The first message starts the stream.
    let mut requested = loop {
        let Some(Ok(message)) = socket.recv().await else {
            return;
        };
        match read_message(&message) {
            Some(Ok((kind, fields))) if kind == "start" => break Requested { fields },
            Some(Ok(_)) => {
                let e =
                    ApiError::field("type", "the first message must be {\"type\":\"start\", …}");
                if !send_error(&mut socket, &e).await {
                    return;
                }
            }
            Some(Err(e)) => {
                if !send_error(&mut socket, &e).await {
                    return;
                }
            }
            None => return,
        }
    };
    let parsed = match requested.parse(&state) {
        Ok(p) => p,
        Err(e) => {
            send_error(&mut socket, &e).await;
            return;
        }
    };
    let (control_tx, control_rx) = std_mpsc::channel::<LiveSettings>();
    let (bar_tx, mut bar_rx) = mpsc::channel::<BarResult>(1);
    let Some(source) = state.catalog.get(&parsed.model).map(|m| m.source.clone()) else {
        send_error(&mut socket, &ApiError::internal("the model went away")).await;
        return;
    };
    let (settings, seed) = (parsed.settings.clone(), parsed.seed);
    std::thread::Builder::new()
        .name("euterpe-live".into())
        .spawn(move || model_thread(&source, settings, seed, control_rx, bar_tx))
        .ok();
    if !send(
        &mut socket,
        json!({"type": "started", "settings": settings_json(&parsed)}),
    )
    .await
    {
        return;
    }
    let mut clock = Clock {
        origin: Instant::now() + LEAD_IN,
        anchor_beat: 0.0,
        anchor_secs: 0.0,
        bpm: parsed.tempo,
    };
    let mut current = parsed;
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut bars_waiting = 0usize;
    let mut generating = true;
    loop {
        let due = pending
            .front()
            .map(|p| clock.instant_of(clock.secs_at(p.beat()) - LOOKAHEAD.as_secs_f64()));
        tokio::select! {
            message = socket.recv() => {
                let Some(Ok(message)) = message else { return };
                match read_message(&message) {
                    Some(Ok((kind, fields))) if kind == "control" => {
                        let mut next = Requested { fields: requested.fields.clone() };
                        let applied = next.merge(&fields).and_then(|()| next.parse(&state));
                        match applied {
                            Ok(parsed) => {
                                if parsed.tempo != current.tempo {
                                    clock.set_bpm(parsed.tempo);
                                }
                                if parsed.settings != current.settings && control_tx.send(parsed.settings.clone()).is_err() {
                                    return;
                                }
                                requested = next;
                                let ack = json!({"type": "control_applied", "settings": settings_json(&parsed)});
                                current = parsed;
                                if !send(&mut socket, ack).await { return; }
                            }
                            Err(e) => if !send_error(&mut socket, &e).await { return },
                        }
                    }
                    Some(Ok((kind, _))) if kind == "stop" => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    Some(Ok((kind, _))) => {
                        let e = ApiError::field("type", format!("unknown message type {kind:?}"))
                            .with_valid(vec!["control".into(), "stop".into()]);
                        if !send_error(&mut socket, &e).await { return; }
                    }
                    Some(Err(e)) => if !send_error(&mut socket, &e).await { return },
                    None => return,
                }
            }
            bar = bar_rx.recv(), if generating && bars_waiting < 2 => {
                match bar {
                    Some(Ok((bar, stats))) => {
                        bars_waiting += 1;
                        pending.push_back(Pending::Bar { index: bar.index, beat: bar.start_beats, beats: bar.beats, stats });
                        for note in bar.notes {
                            pending.push_back(Pending::Note { bar: bar.index, beat: note.start_beats, note });
                        }
                    }
                    Some(Err(e)) => {
                        send_error(&mut socket, &ApiError::internal(e)).await;
                        return;
                    }
                    None => generating = false,
                }
            }
            _ = sleep_until(due), if due.is_some() => {
                while let Some(p) = pending.front() {
                    let at = clock.secs_at(p.beat());
                    if at - LOOKAHEAD.as_secs_f64() > clock.now_secs() {
                        break;
                    }
                    let event = match pending.pop_front() {
                        Some(Pending::Bar { index, beat, beats, stats }) => {
                            bars_waiting = bars_waiting.saturating_sub(1);
                            json!({"type": "bar", "index": index, "beat": beat, "beats": beats, "time": at, "tempo": clock.bpm, "stats": stats})
                        }
                        Some(Pending::Note { bar, beat, note }) => json!({
                            "type": "note", "bar": bar, "beat": beat, "time": at,
                            "duration": note.duration_beats * 60.0 / clock.bpm,
                            "duration_beats": note.duration_beats,
                            "pitch": note.pitch, "velocity": note.velocity,
                            "program": note.program, "drum": note.drum,
                        }),
                        None => break,
                    };
                    if !send(&mut socket, event).await { return; }
                }
            }
        }
    }
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A message's type and its other fields.
type Typed = (String, Map<String, Value>);

/// A text message as `(type, fields without type)`; `None` for a close; pings and binary
/// messages are skipped as `Some(Ok(("", …)))`.
fn read_message(message: &Message) -> Option<Result<Typed, ApiError>> {
    let text = match message {
        Message::Text(t) => t.as_str(),
        Message::Close(_) => return None,
        _ => return Some(Ok((String::new(), Map::new()))),
    };
    let parsed = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut map)) => {
            let kind = map
                .remove("type")
                .and_then(|t| t.as_str().map(str::to_string));
            match kind {
                Some(kind) => Ok((kind, map)),
                None => Err(ApiError::field("type", "every message needs a \"type\"")),
            }
        }
        Ok(_) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "a message must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            format!("not JSON: {e}"),
        )),
    };
    Some(parsed)
}

/// The model's thread: writes bars until the socket's task goes away, taking new settings
/// between bars.
fn model_thread(
    source: &ModelSource,
    settings: LiveSettings,
    seed: u64,
    controls: std_mpsc::Receiver<LiveSettings>,
    bars: mpsc::Sender<BarResult>,
) {
    let generator = match LoadedGenerator::<Cpu>::load(source, Default::default()) {
        Ok(g) => g,
        Err(e) => {
            let _ = bars.blocking_send(Err(e.to_string()));
            return;
        }
    };
    let mut session = match generator.live(settings, seed) {
        Ok(s) => s,
        Err(e) => {
            let _ = bars.blocking_send(Err(e.to_string()));
            return;
        }
    };
    loop {
        while let Ok(next) = controls.try_recv() {
            if let Err(e) = session.set(next) {
                let _ = bars.blocking_send(Err(e.to_string()));
                return;
            }
        }
        let bar = match session.next_bar() {
            Ok(b) => b,
            Err(e) => {
                let _ = bars.blocking_send(Err(e.to_string()));
                return;
            }
        };
        let stats = step_stats(session.step_seconds());
        if bars.blocking_send(Ok((bar, stats))).is_err() {
            return;
        }
    }
}

/// Median and 99th percentile of the last 4096 token steps, in milliseconds.
fn step_stats(seconds: &[f32]) -> Value {
    let recent = &seconds[seconds.len().saturating_sub(4096)..];
    let mut ms: Vec<f32> = recent.iter().map(|s| s * 1e3).collect();
    ms.sort_by(f32::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    json!({"steps": seconds.len(), "step_ms_p50": at(0.5), "step_ms_p99": at(0.99)})
}
