//! `GET /live` over a real WebSocket on loopback: a stream of bars and notes timed to the tempo,
//! control messages that change it mid-stream, errors that leave it running, the session limit.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::TestServer;
use euterpe_serve::ServeConfig;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(server: &TestServer) -> Socket {
    let (socket, _) =
        tungstenite::connect(format!("ws://{}/live", server.addr)).expect("the socket opens");
    if let MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    }
    socket
}

fn send(socket: &mut Socket, value: Value) {
    socket.send(Message::text(value.to_string())).expect("sent");
}

/// The next JSON message.
fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.read().expect("a message") {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON"),
            Message::Close(_) => return json!({"type": "closed"}),
            _ => continue,
        }
    }
}

/// Messages until one of `kind` arrives (returned last).
fn until(socket: &mut Socket, kind: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let m = next(socket);
        let done = m["type"] == kind;
        seen.push(m);
        if done {
            return seen;
        }
    }
    panic!("no {kind} message");
}

fn notes(messages: &[Value]) -> Vec<&Value> {
    messages.iter().filter(|m| m["type"] == "note").collect()
}

#[test]
fn a_live_stream_plays_at_its_tempo_and_follows_control_messages() {
    let server = TestServer::start(TestServer::default_config());
    let mut socket = connect(&server);
    send(&mut socket, json!({"type": "control", "temperature": 1}));
    let refused = next(&mut socket);
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["field"], "type",
        "the first message must start the stream"
    );

    send(
        &mut socket,
        json!({"type": "start", "emotion": "happy", "tempo": 300, "seed": 1}),
    );
    let started = next(&mut socket);
    assert_eq!(started["type"], "started", "{started}");
    assert_eq!(started["settings"]["model"], "piano");
    assert_eq!(started["settings"]["seed"], 1);

    // Two bars: notes in order, each at beat × 60 / 300 seconds.
    let mut before = until(&mut socket, "bar");
    before.extend(until(&mut socket, "bar"));
    before.extend(until(&mut socket, "bar"));
    let first = notes(&before);
    assert!(first.len() >= 3, "{before:?}");
    for n in &first {
        let (beat, time) = (n["beat"].as_f64().unwrap(), n["time"].as_f64().unwrap());
        assert!((time - beat * 0.2).abs() < 1e-9, "{n}");
        assert!((0..128).contains(&n["pitch"].as_u64().unwrap()));
    }
    assert!(first
        .windows(2)
        .all(|w| w[0]["time"].as_f64() <= w[1]["time"].as_f64()));
    let bar = before.iter().find(|m| m["type"] == "bar").unwrap();
    assert!(bar["stats"]["step_ms_p99"].as_f64().unwrap() > 0.0, "{bar}");

    // New emotion, temperature and tempo, mid-stream.
    send(
        &mut socket,
        json!({"type": "control", "emotion": "sad", "temperature": 0.8, "tempo": 150}),
    );
    let mut after = until(&mut socket, "control_applied");
    let applied = after.pop().unwrap();
    assert_eq!(applied["settings"]["temperature"], 0.8);
    assert_eq!(applied["settings"]["tempo"], 150.0);
    assert_eq!(applied["settings"]["emotion"], "sad", "{applied}");
    let mut later = until(&mut socket, "bar");
    later.extend(until(&mut socket, "bar"));
    later.extend(until(&mut socket, "bar"));
    let later_notes = notes(&later);
    assert!(later_notes.len() >= 2, "the stream goes on: {later:?}");
    // At 150 BPM a beat lasts 0.4 s.
    let (a, b) = (later_notes[0], later_notes[later_notes.len() - 1]);
    let per_beat = (b["time"].as_f64().unwrap() - a["time"].as_f64().unwrap())
        / (b["beat"].as_f64().unwrap() - a["beat"].as_f64().unwrap()).max(1e-9);
    assert!((per_beat - 0.4).abs() < 1e-6, "{per_beat}");
    let last_beat = |ms: &[Value]| {
        notes(ms)
            .last()
            .map(|n| n["beat"].as_f64().unwrap())
            .unwrap_or(0.0)
    };
    assert!(
        last_beat(&later) > last_beat(&before),
        "the music continues, not restarts"
    );

    // A bad control is an error naming its field; the stream keeps playing.
    send(&mut socket, json!({"type": "control", "density": 9}));
    let mut messages = until(&mut socket, "error");
    let error = messages.pop().unwrap();
    assert_eq!(error["field"], "density", "{error}");
    send(&mut socket, json!({"type": "control", "model": "folk"}));
    let error = until(&mut socket, "error").pop().unwrap();
    assert_eq!(error["field"], "model");
    send(&mut socket, json!({"type": "dance"}));
    let error = until(&mut socket, "error").pop().unwrap();
    assert!(error["error"].as_str().unwrap().contains("dance"));
    let still = until(&mut socket, "note");
    assert_eq!(still.last().unwrap()["type"], "note");

    send(&mut socket, json!({"type": "stop"}));
    assert_eq!(
        until(&mut socket, "closed").last().unwrap()["type"],
        "closed"
    );
}

#[test]
fn a_bad_start_is_refused_and_the_session_limit_is_kept() {
    let server = TestServer::start(ServeConfig {
        live_sessions: 1,
        ..TestServer::default_config()
    });
    let mut first = connect(&server);
    send(
        &mut first,
        json!({"type": "start", "model": "folk", "style": "pop"}),
    );
    let refused = next(&mut first);
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["field"], "style", "{refused}");
    drop(first);

    // The refused session frees its slot as its task ends, a moment after its error is sent.
    let mut playing = (0..100)
        .find_map(
            |_| match tungstenite::connect(format!("ws://{}/live", server.addr)) {
                Ok((socket, _)) => Some(socket),
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    None
                }
            },
        )
        .expect("the slot is freed");
    send(
        &mut playing,
        json!({"type": "start", "model": "folk", "tempo": 400}),
    );
    assert_eq!(next(&mut playing)["type"], "started");
    // The only slot is taken: a second socket is refused with 503.
    match tungstenite::connect(format!("ws://{}/live", server.addr)) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 503),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a second session was let in"),
    }
    until(&mut playing, "note");
}
