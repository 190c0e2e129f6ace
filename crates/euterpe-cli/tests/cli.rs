//! The command line as a user meets it: real data in, exit codes and messages out.

use std::process::Output;

use euterpe_testkit::shared_data;

mod common;
use common::euterpe;

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn stats_reports_polyphonic_splits_as_json() {
    let path = shared_data().join("polyphonic/jsb_chorales.json");
    let v = json(&euterpe(&[
        "data",
        "stats",
        path.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["splits"]["train"]["sequences"], 229);
    assert_eq!(v["splits"]["valid"]["sequences"], 76);
}

#[test]
fn stats_reads_every_emopia_file() {
    let path = shared_data().join("emopia/midi");
    let v = json(&euterpe(&[
        "data",
        "stats",
        path.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["files"], 990);
    assert_eq!(v["parsed"], 990);
    assert_eq!(v["failures"].as_array().unwrap().len(), 0);
}

#[test]
fn a_corrupt_file_fails_cleanly_and_a_folder_skips_it() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read(shared_data().join("pop909/002/002.mid")).unwrap();
    let bad = dir.path().join("half.mid");
    std::fs::write(&bad, &real[..real.len() / 2]).unwrap();
    let out = euterpe(&["data", "stats", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("half.mid") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");

    std::fs::write(dir.path().join("good.mid"), &real).unwrap();
    let v = json(&euterpe(&[
        "data",
        "stats",
        dir.path().to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(
        (v["files"].as_u64(), v["parsed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(v["failures"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("half.mid"));
}

#[test]
fn tokenize_then_detokenize_writes_the_same_notes() {
    let dir = tempfile::tempdir().unwrap();
    let src = shared_data().join("vgmidi/midi");
    let first = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mid"))
        .min()
        .unwrap();
    for (scheme, ext) in [("remi", "json"), ("midi-like", "etok")] {
        let tokens = dir.path().join(format!("t.{ext}"));
        let midi = dir.path().join(format!("back-{scheme}.mid"));
        let out = euterpe(&[
            "data",
            "tokenize",
            first.to_str().unwrap(),
            "--scheme",
            scheme,
            "--out",
            tokens.to_str().unwrap(),
            "--json",
        ]);
        let report = json(&out);
        assert_eq!(report["pieces"], 1);
        let out = euterpe(&[
            "data",
            "detokenize",
            tokens.to_str().unwrap(),
            "--out",
            midi.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The written MIDI has the quantised notes of the source: same count.
        let a = json(&euterpe(&[
            "data",
            "stats",
            first.to_str().unwrap(),
            "--json",
        ]));
        let b = json(&euterpe(&[
            "data",
            "stats",
            midi.to_str().unwrap(),
            "--json",
        ]));
        assert!(b["notes"].as_u64().unwrap() > 100);
        assert!(b["notes"].as_u64() <= a["notes"].as_u64());
        assert_eq!(a["min_pitch"], b["min_pitch"]);
        assert_eq!(a["max_pitch"], b["max_pitch"]);
    }
}

#[test]
fn detokenize_rejects_a_file_that_is_not_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nonsense.etok");
    std::fs::write(&p, b"not tokens at all").unwrap();
    let out = euterpe(&[
        "data",
        "detokenize",
        p.to_str().unwrap(),
        "--out",
        dir.path().join("x.mid").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("nonsense.etok") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.mid").exists(), "nothing half-written");
}

#[test]
fn every_subcommand_has_help_and_the_binary_a_version() {
    for args in [
        vec!["--help"],
        vec!["--version"],
        vec!["data", "--help"],
        vec!["data", "stats", "--help"],
        vec!["data", "tokenize", "--help"],
        vec!["data", "detokenize", "--help"],
        vec!["data", "roundtrip", "--help"],
    ] {
        let out = euterpe(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let out = euterpe(&["data", "stats"]);
    assert!(!out.status.success(), "a missing argument is an error");
}
