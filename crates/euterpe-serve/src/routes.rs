//! The HTTP routes: generation, pieces, models, classification, health, the page and the API
//! description.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use euterpe_music::midi::parse_midi;
use serde_json::{json, Value};

use crate::body::{read_fields, read_upload};
use crate::pieces::{PieceId, EXTENSIONS};
use crate::pool::{Job, Outcome};
use crate::request::parse_request;
use crate::{ApiError, AppState};

/// `GET /health`: up, and how busy.
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let (pieces, bytes) = state.store.usage();
    Json(json!({
        "status": "ok",
        "workers": state.config.workers,
        "running": state.pool.running(),
        "pieces": pieces,
        "store_bytes": bytes,
    }))
}

/// `GET /models`: the models, what each follows, what its training measured.
pub async fn models(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!(state.catalog))
}

/// What `POST /generate_music` answers with, in JSON.
fn piece_json(
    id: &PieceId,
    used: &crate::request::UsedParameters,
    piece: &crate::pool::GeneratedPiece,
) -> Value {
    let link = |ext: &str| format!("/pieces/{}.{ext}", id.as_str());
    json!({
        "id": id.as_str(),
        "parameters": used,
        "notes": piece.notes,
        "duration_seconds": piece.seconds,
        "new_tokens": piece.new_tokens,
        "generation_seconds": piece.generation_seconds,
        "links": { "midi": link("mid"), "wav": link("wav"), "png": link("png") },
    })
}

/// `POST /generate_music`: one piece, as JSON with links, or its bytes when the `Accept` header
/// (or the `format` field) asks for `audio/midi`, `audio/wav` or `image/png`.
pub async fn generate_music(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let accept = wanted_format(request.headers());
    let fields = read_fields(request, state.config.max_body).await?;
    let format = match fields.get("format").and_then(Value::as_str) {
        Some(f) => Some(parse_format(f)?),
        None => accept,
    };
    let generate = parse_request(
        &fields,
        &state.catalog,
        state.config.max_bars,
        euterpe_base::fresh_seed(),
    )?;
    let id = PieceId::random();
    let used = generate.used.clone();
    let prompt = generate.prompt.clone();
    let piece = match run_job(&state, Job::Generate(Box::new(generate), id.clone())).await? {
        Outcome::Generated(p) => p,
        other => return Err(unexpected(other)),
    };
    tracing::info!(
        id = id.as_str(),
        model = used.model,
        seed = used.seed,
        notes = piece.notes,
        seconds = piece.generation_seconds,
        "generated"
    );
    match format {
        Some(ext) => {
            let mut response = file_response(&state, &id, ext).await?;
            let headers = response.headers_mut();
            headers.insert(
                "x-piece-id",
                HeaderValue::from_str(id.as_str()).map_err(ApiError::internal)?,
            );
            headers.insert("x-seed", HeaderValue::from(used.seed));
            Ok(response)
        }
        None => {
            let mut body = piece_json(&id, &used, &piece);
            if let Some(p) = prompt {
                body["prompt"] = json!({"understood": p.understood, "unused": p.unused, "unknown": p.unknown, "key": p.key, "meter": p.meter});
            }
            Ok((StatusCode::OK, Json(body)).into_response())
        }
    }
}

/// The file extension an `Accept` header asks for (`None`: JSON).
fn wanted_format(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim())
        .find_map(|media| parse_format(media).ok())
}

/// `format` values and media types → the extension.
fn parse_format(text: &str) -> Result<&'static str, ApiError> {
    match text.to_ascii_lowercase().as_str() {
        "midi" | "mid" | "audio/midi" | "audio/x-midi" => Ok("mid"),
        "wav" | "audio/wav" | "audio/x-wav" | "audio/wave" => Ok("wav"),
        "png" | "image/png" => Ok("png"),
        _ => Err(
            ApiError::field("format", format!("unknown format {text:?}")).with_valid(vec![
                "midi".into(),
                "wav".into(),
                "png".into(),
            ]),
        ),
    }
}

/// Queues a job and waits for its outcome within the request timeout.
async fn run_job(state: &AppState, job: Job) -> Result<Outcome, ApiError> {
    let deadline = Instant::now() + state.config.timeout;
    let receiver = state
        .pool
        .submit(job, deadline)
        .map_err(|_| ApiError::busy(retry_after(state)))?;
    let limit = state.config.timeout.as_secs_f64();
    let timed_out = || {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("the request did not finish within the {limit} s limit"),
        )
    };
    let outcome = tokio::time::timeout_at(deadline.into(), receiver)
        .await
        .map_err(|_| timed_out())?
        .map_err(|_| ApiError::internal("the worker stopped"))?;
    match outcome {
        Outcome::Failed(e) => Err(ApiError::internal(e)),
        Outcome::Expired => Err(timed_out()),
        other => Ok(other),
    }
}

fn unexpected(outcome: Outcome) -> ApiError {
    ApiError::internal(format!("unexpected worker outcome {outcome:?}"))
}

/// Seconds a refused client should wait: about one generation per queued job per worker.
fn retry_after(state: &AppState) -> u64 {
    (1 + state.config.queue / state.config.workers.max(1)).min(60) as u64
}

/// `GET /pieces/{id}.{mid,wav,png}`.
pub async fn piece(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, format!("no piece {file:?}"));
    let (stem, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let id = PieceId::parse(stem).ok_or_else(not_found)?;
    let ext = EXTENSIONS
        .iter()
        .find(|e| **e == ext)
        .ok_or_else(not_found)?;
    file_response(&state, &id, ext).await
}

async fn file_response(state: &AppState, id: &PieceId, ext: &str) -> Result<Response, ApiError> {
    let gone = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no piece {}.{ext} (it may have been evicted)", id.as_str()),
        )
    };
    if !state.store.contains(id) {
        return Err(gone());
    }
    let bytes = tokio::fs::read(state.store.path(id, ext))
        .await
        .map_err(|_| gone())?;
    let media = match ext {
        "mid" => "audio/midi",
        "wav" => "audio/wav",
        _ => "image/png",
    };
    let disposition = format!("inline; filename=\"euterpe-{}.{ext}\"", id.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, media.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /classify`: a MIDI upload (the body, or a multipart file part) → emotion and style;
/// a recording (WAV, MP3, FLAC, Ogg) → the audio classifiers' emotion.
pub async fn classify(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let bytes = read_upload(request, state.config.max_body).await?;
    let of_kind = |kind: &str| -> Vec<String> {
        state
            .catalog
            .models
            .iter()
            .filter(|m| m.info.kind == kind)
            .map(|m| m.info.name.clone())
            .collect()
    };
    let (summary, job) = if is_audio(&bytes) {
        let classifiers = of_kind("audio_classifier");
        if classifiers.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "no audio classifier is served; upload MIDI",
            ));
        }
        let decoded = euterpe_audio::decode_bytes(bytes.to_vec(), std::path::Path::new("upload"))
            .map_err(|e| ApiError::field("file", format!("not usable audio: {e}")))?;
        let seconds = decoded.audio.seconds();
        (
            ("seconds", json!(seconds)),
            Job::ClassifyAudio(Box::new(decoded.audio), classifiers),
        )
    } else {
        let score = parse_midi(&bytes)
            .map_err(|e| ApiError::field("file", format!("not a usable MIDI file: {e}")))?;
        if score.note_count() == 0 {
            return Err(ApiError::field("file", "the MIDI file has no notes"));
        }
        let notes = score.note_count();
        (
            ("notes", json!(notes)),
            Job::Classify(Box::new(score), of_kind("classifier")),
        )
    };
    let results = match run_job(&state, job).await? {
        Outcome::Classified(r) => r,
        other => return Err(unexpected(other)),
    };
    let by_model: serde_json::Map<String, Value> = results
        .into_iter()
        .map(|(name, c)| (name, json!(c)))
        .collect();
    Ok(Json(
        json!({ summary.0: summary.1, "classifiers": by_model }),
    ))
}

/// WAV, MP3, FLAC or Ogg by their first bytes.
fn is_audio(bytes: &[u8]) -> bool {
    [b"RIFF".as_slice(), b"ID3", b"fLaC", b"OggS", &[0xFF, 0xFB]]
        .iter()
        .any(|magic| bytes.starts_with(magic))
}

/// `GET /openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

/// `GET /`: the page.
pub async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("assets/index.html"),
    )
}

/// `GET /app.js`.
pub async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/app.js"),
    )
}

/// `GET /style.css`.
pub async fn style_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/style.css"),
    )
}

/// Any other path: a JSON 404.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route {} {}", request.method(), request.uri().path()),
    )
}
