//! `euterpe serve` over real HTTP on loopback: generation as JSON and as form fields, the files
//! it links, every kind of bad input, the token, the queue, the store's cap, classification and
//! the API description.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{get, multipart, post, post_json, TestServer};
use euterpe_music::midi::parse_midi;
use euterpe_serve::ServeConfig;
use serde_json::{json, Value};

fn assert_error(reply: &common::Reply, status: u16, field: Option<&str>, words: &str) {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert!(
        reply.content_type.starts_with("application/json"),
        "{}",
        reply.content_type
    );
    let body = reply.json();
    let message = body["error"].as_str().expect("an error message");
    assert!(
        message.contains(words),
        "{message:?} does not say {words:?}"
    );
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
    }
}

#[test]
fn a_generated_piece_links_to_a_midi_a_wav_and_a_png_and_its_seed_repeats_it() {
    let server = TestServer::start(TestServer::default_config());
    let first = post_json(
        &server.url("/generate_music"),
        &json!({"emotion": "happy", "bars": 2}),
    );
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.bytes)
    );
    let body = first.json();
    assert_eq!(body["parameters"]["emotion"], "happy");
    assert_eq!(
        body["parameters"]["model"], "piano",
        "an emotion picks a model that follows it"
    );
    assert_eq!(body["parameters"]["bars"], 2);
    let id = body["id"].as_str().expect("an id");
    assert_eq!(id.len(), 16);
    for ext in ["mid", "wav", "png"] {
        assert!(
            server.store.join(format!("{id}.{ext}")).exists(),
            "{ext} in the store"
        );
    }

    let midi = get(&server.url(body["links"]["midi"].as_str().unwrap()), &[]);
    assert_eq!(midi.status, 200);
    assert_eq!(midi.content_type, "audio/midi");
    let score = parse_midi(&midi.bytes).expect("the MIDI parses");
    assert!(score.note_count() > 0);
    assert_eq!(score.note_count() as u64, body["notes"].as_u64().unwrap());

    let wav = get(&server.url(body["links"]["wav"].as_str().unwrap()), &[]);
    assert_eq!(wav.content_type, "audio/wav");
    let reader = hound::WavReader::new(std::io::Cursor::new(&wav.bytes)).expect("the WAV reads");
    let seconds = reader.duration() as f64 / reader.spec().sample_rate as f64;
    assert!(
        seconds >= body["duration_seconds"].as_f64().unwrap(),
        "{seconds}"
    );

    let png = get(&server.url(body["links"]["png"].as_str().unwrap()), &[]);
    assert_eq!(png.content_type, "image/png");
    assert!(png.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));

    // The reported parameters, sent back, give the same piece.
    let mut again = body["parameters"].clone();
    for key in [
        "primer", "top_k", "top_p", "tempo", "program", "valence", "arousal", "style",
    ] {
        again.as_object_mut().unwrap().remove(key);
    }
    let second = post_json(&server.url("/generate_music"), &again).json();
    assert_ne!(second["id"], body["id"]);
    let midi2 = get(&server.url(second["links"]["midi"].as_str().unwrap()), &[]);
    assert_eq!(
        midi2.bytes, midi.bytes,
        "the same seed and parameters give the same MIDI"
    );
}

#[test]
fn form_fields_work_as_the_seeds_flask_handler_reads_them() {
    let server = TestServer::start(TestServer::default_config());
    // curl -F emotion=sad -F bars=1
    let (kind, body) = multipart(&[("emotion", "sad"), ("bars", "1"), ("seed", "7")], None);
    let reply = post(&server.url("/generate_music"), &kind, &body, &[]);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let piece = reply.json();
    assert_eq!(piece["parameters"]["emotion"], "sad");
    assert_eq!(piece["parameters"]["seed"], 7);

    // curl -d emotion=calm -d bars=1 (URL-encoded)
    let reply = post(
        &server.url("/generate_music"),
        "application/x-www-form-urlencoded",
        b"emotion=calm&bars=1&temperature=0.9",
        &[],
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert_eq!(reply.json()["parameters"]["temperature"], 0.9);

    // curl -d '{"bars":1}' without a JSON content type: JSON labelled as a form is read as JSON.
    let reply = post(
        &server.url("/generate_music"),
        "application/x-www-form-urlencoded",
        br#"{"bars": 1, "seed": 4}"#,
        &[],
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert_eq!(reply.json()["parameters"]["seed"], 4);
}

#[test]
fn accept_audio_midi_returns_the_bytes_with_the_seed() {
    let server = TestServer::start(TestServer::default_config());
    let reply = post(
        &server.url("/generate_music"),
        "application/json",
        br#"{"bars": 1, "seed": 11}"#,
        &[("accept", "audio/midi")],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "audio/midi");
    assert_eq!(reply.seed.as_deref(), Some("11"));
    assert!(parse_midi(&reply.bytes).expect("MIDI").note_count() > 0);

    let wav = post_json(
        &server.url("/generate_music"),
        &json!({"bars": 1, "format": "wav"}),
    );
    assert_eq!(wav.content_type, "audio/wav");
    assert!(wav.bytes.starts_with(b"RIFF"));
}

#[test]
fn a_primer_is_continued() {
    let server = TestServer::start(TestServer::default_config());
    let primer = midi_from_shared();
    let score = parse_midi(&primer).unwrap();
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&primer);
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"model": "folk", "primer": encoded, "bars": 1, "seed": 3}),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let body = reply.json();
    assert_eq!(body["parameters"]["primer"], true);
    assert!(body["notes"].as_u64().unwrap() > score.note_count() as u64 / 2);

    let bad = post_json(
        &server.url("/generate_music"),
        &json!({"primer": "not base64!"}),
    );
    assert_error(&bad, 400, Some("primer"), "base64");
    let not_midi = post_json(
        &server.url("/generate_music"),
        &json!({"primer": "aGVsbG8="}),
    );
    assert_error(&not_midi, 400, Some("primer"), "MIDI");
}

/// A small MIDI file of the shared data: the first Essen song.
fn midi_from_shared() -> Vec<u8> {
    let dir = euterpe_testkit::shared_data().join("essen");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let file = files.first().expect("Essen MIDI files in the shared data");
    std::fs::read(file).unwrap()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|e| e == "mid" || e == "midi") {
            out.push(p);
        }
        if out.len() > 50 {
            break;
        }
    }
    out
}

#[test]
fn every_kind_of_bad_input_gets_a_json_error_naming_it_and_the_server_keeps_serving() {
    let server = TestServer::start(TestServer::default_config());
    let url = server.url("/generate_music");
    assert_error(
        &post_json(&url, &json!({"bars": -3})),
        400,
        Some("bars"),
        "1–64",
    );
    assert_error(
        &post_json(&url, &json!({"bars": 1000})),
        400,
        Some("bars"),
        "1–64",
    );
    assert_error(
        &post_json(&url, &json!({"temperature": "hot"})),
        400,
        Some("temperature"),
        "number",
    );
    let unknown = post_json(&url, &json!({"emotion": "ecstatic-ish"}));
    assert_error(&unknown, 400, Some("emotion"), "unknown emotion");
    assert!(unknown.json()["valid"]
        .as_array()
        .unwrap()
        .contains(&json!("happy")));
    let model = post_json(&url, &json!({"model": "beethoven"}));
    assert_error(&model, 404, Some("model"), "unknown model");
    assert!(model.json()["valid"]
        .as_array()
        .unwrap()
        .contains(&json!("folk")));
    assert_error(
        &post_json(&url, &json!({"model": "emotion"})),
        400,
        Some("model"),
        "classifier",
    );
    let style = post_json(&url, &json!({"style": "baroque"}));
    assert_error(&style, 400, Some("style"), "unknown style");
    assert!(style.json()["valid"]
        .as_array()
        .unwrap()
        .contains(&json!("folk")));
    assert_error(
        &post_json(&url, &json!({"model": "folk", "emotion": "sad"})),
        400,
        Some("emotion"),
        "does not follow",
    );
    assert_error(
        &post_json(&url, &json!({"valence": 0.5})),
        400,
        Some("arousal"),
        "needed",
    );
    assert_error(
        &post_json(&url, &json!({"valence": 2, "arousal": 0})),
        400,
        Some("valence"),
        "[-1, 1]",
    );
    assert_error(
        &post_json(&url, &json!({"top_p": 0})),
        400,
        Some("top_p"),
        "must be",
    );
    assert_error(
        &post_json(&url, &json!({"program": 300})),
        400,
        Some("program"),
        "0–127",
    );
    assert_error(
        &post_json(&url, &json!({"guidance": 3})),
        400,
        Some("guidance"),
        "needs",
    );
    assert_error(
        &post_json(&url, &json!({"colour": "blue"})),
        400,
        Some("colour"),
        "unknown field",
    );
    assert_error(&post_json(&url, &json!([1, 2])), 400, None, "JSON object");
    assert_error(
        &post(&url, "application/json", b"{not json", &[]),
        400,
        None,
        "not valid JSON",
    );
    assert_error(
        &post(&url, "text/plain", b"hello", &[]),
        415,
        None,
        "text/plain",
    );
    assert_error(&get(&server.url("/nowhere"), &[]), 404, None, "no route");

    // A 50 MB body is refused from its declared length, before it is read.
    let status_line = fifty_megabytes(&server);
    assert!(status_line.contains("413"), "{status_line}");
    assert!(status_line.contains("over the limit"), "{status_line}");

    let health = get(&server.url("/health"), &[]);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let still = post_json(&url, &json!({"bars": 1}));
    assert_eq!(still.status, 200);
}

/// Sends the headers of a 50 MB POST as curl does (`Expect: 100-continue`), reads the answer.
fn fifty_megabytes(server: &TestServer) -> String {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /generate_music HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 52428800\r\nExpect: 100-continue\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[test]
fn a_token_guards_every_route_but_health_and_is_compared_exactly() {
    let server = TestServer::start(ServeConfig {
        token: Some("s3cret-token".into()),
        ..TestServer::default_config()
    });
    let body = br#"{"bars": 1}"#;
    let url = server.url("/generate_music");
    let none = post(&url, "application/json", body, &[]);
    assert_error(&none, 401, None, "bearer token");
    let wrong = post(
        &url,
        "application/json",
        body,
        &[("authorization", "Bearer s3cret-tokeN")],
    );
    assert_error(&wrong, 401, None, "bearer token");
    let prefix = post(
        &url,
        "application/json",
        body,
        &[("authorization", "Bearer s3cret")],
    );
    assert_eq!(prefix.status, 401);
    assert_eq!(get(&server.url("/models"), &[]).status, 401);
    assert_eq!(get(&server.url("/health"), &[]).status, 200);
    assert_eq!(
        get(&server.url("/"), &[]).status,
        200,
        "the page itself holds no data"
    );
    let right = post(
        &url,
        "application/json",
        body,
        &[("authorization", "Bearer s3cret-token")],
    );
    assert_eq!(right.status, 200);
    let link = right.json()["links"]["midi"].as_str().unwrap().to_string();
    assert_eq!(
        get(&server.url(&link), &[]).status,
        401,
        "pieces are guarded too"
    );
    assert_eq!(
        get(
            &server.url(&link),
            &[("authorization", "Bearer s3cret-token")]
        )
        .status,
        200
    );
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let server = TestServer::start(ServeConfig {
        workers: 1,
        queue: 0,
        ..TestServer::default_config()
    });
    let url = server.url("/generate_music");
    let replies: Vec<(u16, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let url = url.clone();
                s.spawn(move || {
                    let r = post_json(&url, &json!({"bars": 4, "seed": i}));
                    (r.status, r.retry_after)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = replies.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<_> = replies.iter().filter(|(s, _)| *s == 503).collect();
    assert!(ok >= 1, "{replies:?}");
    assert!(
        !busy.is_empty(),
        "six requests at once on one worker without a queue: {replies:?}"
    );
    assert!(busy
        .iter()
        .all(|(_, retry)| retry.as_deref().is_some_and(|r| r.parse::<u64>().is_ok())));
    assert_eq!(ok + busy.len(), 6, "{replies:?}");
}

#[test]
fn piece_ids_cannot_leave_the_store_and_old_pieces_are_evicted() {
    let server = TestServer::start(ServeConfig {
        store_bytes: 1 << 20,
        ..TestServer::default_config()
    });
    for bad in [
        "/pieces/..%2F..%2Fetc%2Fpasswd",
        "/pieces/0123456789ABCDEF.mid",
        "/pieces/0123456789abcdef.txt",
        "/pieces/0123456789abcdef.mid",
    ] {
        let r = get(&server.url(bad), &[]);
        assert_eq!(r.status, 404, "{bad}");
        assert!(r.json()["error"].as_str().unwrap().contains("no piece"));
    }
    let mut links = Vec::new();
    for seed in 0..3 {
        let r = post_json(
            &server.url("/generate_music"),
            &json!({"bars": 2, "seed": seed, "model": "folk"}),
        );
        assert_eq!(r.status, 200);
        links.push(r.json()["links"]["wav"].as_str().unwrap().to_string());
    }
    // Each piece's WAV alone is over a third of a MiB: the first is gone, the last is there.
    assert_eq!(get(&server.url(&links[0]), &[]).status, 404);
    assert_eq!(get(&server.url(&links[2]), &[]).status, 200);
    let health = get(&server.url("/health"), &[]).json();
    assert!(
        health["store_bytes"].as_u64().unwrap() <= 1 << 20,
        "{health}"
    );
    let files = std::fs::read_dir(&server.store).unwrap().count();
    assert!(
        files < 9,
        "evicted pieces' files are deleted ({files} files)"
    );
}

#[test]
fn classify_reads_a_midi_upload_or_a_recording_and_refuses_garbage() {
    let server = TestServer::start(TestServer::default_config());
    let midi = midi_from_shared();
    let reply = post(&server.url("/classify"), "audio/midi", &midi, &[]);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let body = reply.json();
    for model in ["emotion", "style"] {
        let probabilities = body["classifiers"][model]["probabilities"]
            .as_object()
            .expect(model);
        let total: f64 = probabilities.values().map(|p| p.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-6, "{model}: {total}");
        let class = body["classifiers"][model]["class"].as_str().unwrap();
        assert!(probabilities.contains_key(class));
    }
    assert_eq!(
        body["classifiers"]["style"]["class"], "folk",
        "an Essen song is folk: {body}"
    );

    let (kind, form) = multipart(&[], Some(("file", &midi)));
    let as_form = post(&server.url("/classify"), &kind, &form, &[]);
    assert_eq!(as_form.json()["classifiers"], body["classifiers"]);

    assert_error(
        &post(&server.url("/classify"), "audio/midi", b"garbage", &[]),
        400,
        Some("file"),
        "MIDI",
    );
    // The music classifiers judge MIDI; the audio classifier is not asked.
    assert!(body["classifiers"].get("audio-emotion").is_none(), "{body}");

    // A recording goes to the audio classifier.
    let wav = std::fs::read(
        euterpe_testkit::shared_data().join("audio/sonicpi_loop_amen_full_22k_mono.wav"),
    )
    .unwrap();
    let heard = post(&server.url("/classify"), "audio/wav", &wav, &[]);
    assert_eq!(
        heard.status,
        200,
        "{}",
        String::from_utf8_lossy(&heard.bytes)
    );
    let heard = heard.json();
    assert!(
        (heard["seconds"].as_f64().unwrap() - 6.857).abs() < 0.01,
        "{heard}"
    );
    let class = heard["classifiers"]["audio-emotion"]["class"]
        .as_str()
        .unwrap();
    assert!(["Q1", "Q2", "Q3", "Q4"].contains(&class), "{heard}");
    assert!(heard["classifiers"].get("emotion").is_none(), "{heard}");

    assert_error(
        &post(
            &server.url("/classify"),
            "audio/wav",
            b"RIFF\0\0\0\0WAVE",
            &[],
        ),
        400,
        Some("file"),
        "audio",
    );
}

#[test]
fn the_api_is_described_and_the_models_listed() {
    let server = TestServer::start(TestServer::default_config());
    let doc = get(&server.url("/openapi.json"), &[]).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let properties = &doc["components"]["schemas"]["GenerateRequest"]["properties"];
    for field in euterpe_serve::request::FIELDS {
        assert!(properties.get(field).is_some(), "{field} is described");
    }
    for path in [
        "/generate_music",
        "/pieces/{file}",
        "/models",
        "/health",
        "/classify",
        "/live",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    let models = get(&server.url("/models"), &[]).json();
    let list = models["models"].as_array().unwrap();
    let piano = list.iter().find(|m| m["name"] == "piano").expect("piano");
    assert_eq!(piano["generates"], true);
    assert!(piano["conditions"]
        .as_array()
        .unwrap()
        .contains(&json!("emotion")));
    assert!(piano["styles"].as_array().unwrap().contains(&json!("folk")));
    assert!(piano["metrics"]["valid_nll"].as_f64().unwrap() > 0.0);
    let emotion = list
        .iter()
        .find(|m| m["name"] == "emotion")
        .expect("emotion");
    assert_eq!(emotion["generates"], false);
    let page = get(&server.url("/"), &[]);
    assert!(page.content_type.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page.bytes).contains("id=\"generate\""));
    let _: Value = models;
}

#[test]
fn shutdown_finishes_the_request_in_flight() {
    let mut server = TestServer::start(TestServer::default_config());
    let url = server.url("/generate_music");
    let request = std::thread::spawn(move || post_json(&url, &json!({"bars": 4, "seed": 5})));
    // Let the request reach a worker, then signal shutdown while it generates.
    std::thread::sleep(Duration::from_millis(300));
    server.signal_shutdown();
    let reply = request.join().unwrap();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert!(reply.json()["notes"].as_u64().unwrap() > 0);
    let store = server.store.clone();
    server.stop();
    assert!(
        !store.exists(),
        "the temporary piece folder is removed at exit"
    );
}

#[test]
fn a_slow_request_times_out_with_504_and_cors_is_off_unless_asked() {
    let server = TestServer::start(ServeConfig {
        timeout: Duration::from_millis(30),
        ..TestServer::default_config()
    });
    let slow = post_json(
        &server.url("/generate_music"),
        &json!({"bars": 32, "emotion": "calm"}),
    );
    assert_error(&slow, 504, None, "did not finish");
    assert_eq!(get(&server.url("/health"), &[]).status, 200);
    let closed = preflight(&server).to_ascii_lowercase();
    assert!(!closed.contains("access-control-allow-origin"), "{closed}");

    let open = TestServer::start(ServeConfig {
        cors: Some("https://example.org".into()),
        ..TestServer::default_config()
    });
    let allowed = preflight(&open).to_ascii_lowercase();
    assert!(
        allowed.contains("access-control-allow-origin: https://example.org"),
        "{allowed}"
    );
}

/// A CORS preflight for POST /generate_music from https://example.org; the response head.
fn preflight(server: &TestServer) -> String {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "OPTIONS /generate_music HTTP/1.1\r\nHost: {}\r\nOrigin: https://example.org\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\
         Connection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// A copy of the built-in folk model's directory (as `euterpe train` wrote it) named `name`.
fn model_dir(parent: &std::path::Path, name: &str) -> std::path::PathBuf {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/folk-lstm");
    let to = parent.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for file in [
        "config.toml",
        "vocab.json",
        "weights.bin",
        "card.md",
        "metrics.jsonl",
    ] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    to
}

#[test]
fn trained_model_directories_are_served_beside_the_built_in_models() {
    let temp = tempfile::tempdir().unwrap();
    let mine = model_dir(temp.path(), "my-folk");
    let server = TestServer::start(ServeConfig {
        models: vec![mine],
        ..TestServer::default_config()
    });
    let models = get(&server.url("/models"), &[]).json();
    let listed = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "my-folk")
        .expect("the directory is listed")
        .clone();
    assert_eq!(listed["origin"], "directory");
    assert_eq!(listed["generates"], true);
    assert!(
        listed["metrics"]["valid_nll"].as_f64().is_some(),
        "{listed}"
    );
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"model": "my-folk", "bars": 1, "seed": 2}),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    // Same weights, same seed: the same piece as the built-in model writes.
    let builtin = post_json(
        &server.url("/generate_music"),
        &json!({"model": "folk", "bars": 1, "seed": 2}),
    );
    let midi = |r: &common::Reply| {
        get(
            &server.url(r.json()["links"]["midi"].as_str().unwrap()),
            &[],
        )
        .bytes
    };
    assert_eq!(midi(&reply), midi(&builtin));

    let clash = model_dir(temp.path(), "folk");
    let refused = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(euterpe_serve::Server::bind(ServeConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            models: vec![clash],
            ..ServeConfig::default()
        }));
    let message = refused.err().expect("a clash is refused").to_string();
    assert!(
        message.contains("\"folk\"") && message.contains("served already"),
        "{message}"
    );
}

#[test]
fn a_prompt_fills_the_fields_it_names_and_the_answer_says_what_was_understood() {
    let server = TestServer::start(TestServer::default_config());
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"prompt": "a slow, sad flute piece in D minor, 2 bars", "seed": 1}),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let body = reply.json();
    let p = &body["parameters"];
    assert_eq!(p["emotion"], "sad");
    assert_eq!(p["model"], "piano");
    assert_eq!(p["tempo"], 70.0);
    assert_eq!(p["program"], 73);
    assert_eq!(p["bars"], 2);
    assert_eq!(p["prompt"], "a slow, sad flute piece in D minor, 2 bars");
    assert_eq!(p["key"], "D minor");
    let midi = get(&server.url(body["links"]["midi"].as_str().unwrap()), &[]).bytes;
    let key = parse_midi(&midi).unwrap().estimated_key().unwrap();
    assert!(
        key == (2, true) || key == (5, false),
        "moved to D minor or F major: {key:?}"
    );
    let understood = body["prompt"]["understood"].as_array().unwrap();
    assert!(
        understood.iter().any(|u| u["phrase"] == "in d minor"),
        "{body}"
    );
    assert_eq!(body["prompt"]["key"]["tonic"], 2);

    // A field given explicitly wins over the prompt.
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"prompt": "fast folk", "tempo": 90, "bars": 1}),
    );
    assert_eq!(reply.json()["parameters"]["tempo"], 90.0);
    assert_eq!(reply.json()["parameters"]["style"], "folk=1");

    let bad = post_json(
        &server.url("/generate_music"),
        &json!({"prompt": "at 900 bpm"}),
    );
    assert_error(&bad, 400, Some("prompt"), "20–400");
}

/// A flat picture of one colour as PNG bytes.
fn flat_png(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 48, image::Rgb(rgb))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[test]
fn a_picture_and_a_meter_set_their_controls_and_bad_ones_are_named() {
    use base64::Engine;
    let server = TestServer::start(TestServer::default_config());
    let dark_blue = base64::engine::general_purpose::STANDARD.encode(flat_png([10, 20, 90]));
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"image": dark_blue, "meter": "3/4", "bars": 4, "seed": 2}),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let body = reply.json();
    let p = &body["parameters"];
    let understood = body["prompt"]["understood"].to_string();
    assert!(understood.contains("Valdez & Mehrabian"), "{understood}");
    assert_eq!(p["meter"], "3/4");
    assert_eq!(p["model"], "piano", "a picture asks for an emotion: {body}");
    assert!(p["valence"].as_f64().unwrap() < 0.0, "{body}");
    assert!(
        p["arousal"].as_f64().unwrap() < 0.0,
        "dark blue is calm: {body}"
    );
    assert!(
        p["density"].as_f64().unwrap() < 1.0,
        "a flat picture is sparse: {body}"
    );
    assert!(p["register"].as_f64().is_some());
    let midi = get(&server.url(body["links"]["midi"].as_str().unwrap()), &[]).bytes;
    let score = parse_midi(&midi).unwrap();
    assert_eq!(score.time_signatures[0].numerator, 3);
    // A field given explicitly wins over the picture.
    let reply = post_json(
        &server.url("/generate_music"),
        &json!({"image": dark_blue, "emotion": "happy", "density": 2, "bars": 1}),
    );
    let p = &reply.json()["parameters"];
    assert_eq!(p["emotion"], "happy");
    assert_eq!(p["density"], 2.0);

    let garbage = base64::engine::general_purpose::STANDARD.encode(b"not a picture");
    for (body, field, words) in [
        (json!({"image": garbage}), "image", "not a PNG or JPEG"),
        (json!({"image": "%%%"}), "image", "base64"),
        (json!({"meter": "three"}), "meter", "not a meter"),
        (json!({"meter": "3/5"}), "meter", "denominator"),
        (json!({"density": 9}), "density", "[0.25, 4]"),
        (json!({"register": 5}), "register", "[21, 108]"),
    ] {
        let bad = post_json(&server.url("/generate_music"), &body);
        assert_error(&bad, 400, Some(field), words);
    }
}
