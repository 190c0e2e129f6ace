//! `euterpe live`: real-time note events on stdout, and a clear error for MIDI out when the
//! binary was built without it.

use std::process::Command;

use serde_json::Value;

fn live(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_euterpe"))
        .arg("live")
        .args(args)
        .output()
        .expect("euterpe runs")
}

#[test]
fn live_prints_balanced_note_events_timed_to_the_tempo() {
    let out = live(&[
        "--model", "folk", "--bars", "2", "--tempo", "400", "--seed", "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let ons = events.iter().filter(|e| e["type"] == "note_on").count();
    let offs = events.iter().filter(|e| e["type"] == "note_off").count();
    assert!(ons >= 2, "{events:?}");
    assert_eq!(ons, offs, "every note is released");
    for e in &events {
        let (beat, time) = (e["beat"].as_f64().unwrap(), e["time"].as_f64().unwrap());
        assert!((time - beat * 0.15).abs() < 1e-9, "400 BPM: {e}");
    }
    let times: Vec<f64> = events.iter().map(|e| e["time"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    assert!(events.iter().any(|e| e["bar"] == 1), "two bars");
}

#[test]
fn live_refuses_bad_settings_and_explains_midi_out() {
    let out = live(&["--density", "9", "--bars", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("density"));
    let out = live(&["--model", "folk", "--emotion", "sad", "--bars", "1"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("piano"),
        "names a model that can"
    );
    if !cfg!(feature = "midi-out") {
        let out = live(&["--midi-out", "--bars", "1"]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features euterpe/midi-out"));
    }
}
