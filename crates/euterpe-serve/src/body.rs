//! Request bodies as a map of fields: JSON objects, URL-encoded forms and multipart forms (what
//! `curl -F` sends, and what the seed's Flask handler reads with `request.form[…]`). Form values
//! are text; a file part is kept as base64 text, as a JSON client would send it.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use base64::Engine;
use serde_json::{Map, Value};

use crate::ApiError;

/// The body's fields, whatever its content type; `max` bytes at most.
pub async fn read_fields(request: Request, max: usize) -> Result<Map<String, Value>, ApiError> {
    check_length(&request, max)?;
    let kind = content_type(&request);
    match kind.as_str() {
        "application/json" => {
            let bytes = read_bytes(request.into_body(), max).await?;
            json_object(&bytes)
        }
        "application/x-www-form-urlencoded" => {
            let bytes = read_bytes(request.into_body(), max).await?;
            // `curl -d '{"bars": 8}'` sends JSON labelled as a form: read it as what it is.
            if bytes.trim_ascii_start().starts_with(b"{") {
                return json_object(&bytes);
            }
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("the form does not parse: {e}"),
                    )
                })?;
            Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect())
        }
        "multipart/form-data" => multipart_fields(request).await,
        "" => {
            let bytes = read_bytes(request.into_body(), max).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                Ok(Map::new())
            } else {
                json_object(&bytes)
            }
        }
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {other:?} is not read here; send application/json, \
                 application/x-www-form-urlencoded or multipart/form-data"
            ),
        )),
    }
}

/// The media type without parameters, lowercased (`""` when absent).
pub fn content_type(request: &Request) -> String {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// 413 before reading a body whose declared length is over the limit.
pub fn check_length(request: &Request, max: usize) -> Result<(), ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max as u64 => Err(too_large(max)),
        _ => Ok(()),
    }
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is over the limit of {max} bytes"),
    )
}

/// The whole body, at most `max` bytes.
pub async fn read_bytes(body: Body, max: usize) -> Result<Bytes, ApiError> {
    to_bytes(body, max).await.map_err(|_| too_large(max))
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object of fields",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

async fn multipart_fields(request: Request) -> Result<Map<String, Value>, ApiError> {
    let bad = |e: String| ApiError::new(StatusCode::BAD_REQUEST, format!("the form: {e}"));
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(e.body_text()))?;
    let mut fields = Map::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| multipart_error(e.status(), e.body_text()))?
    {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| multipart_error(e.status(), e.body_text()))?;
        let value = if is_file {
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        } else {
            String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::field(&name, "the form value is not UTF-8 text"))?
        };
        fields.insert(name, Value::String(value));
    }
    Ok(fields)
}

fn multipart_error(status: StatusCode, text: String) -> ApiError {
    ApiError::new(status, format!("the form: {text}"))
}

/// The first file part of a multipart body, or the whole body otherwise: an upload's bytes.
pub async fn read_upload(request: Request, max: usize) -> Result<Bytes, ApiError> {
    check_length(&request, max)?;
    if content_type(&request) != "multipart/form-data" {
        return read_bytes(request.into_body(), max).await;
    }
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| multipart_error(e.status(), e.body_text()))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| multipart_error(e.status(), e.body_text()))?
    {
        if field.file_name().is_some() || field.name() == Some("file") {
            return field
                .bytes()
                .await
                .map_err(|e| multipart_error(e.status(), e.body_text()));
        }
    }
    Err(ApiError::field("file", "the form has no file part"))
}
