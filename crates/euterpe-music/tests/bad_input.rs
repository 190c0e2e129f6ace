//! Corrupt, truncated, empty and foreign files give errors that name the file, never panics.

use euterpe_music::midi::{parse_midi, read_midi_file};
use euterpe_music::pianoroll::PolyphonicDataset;

use euterpe_testkit::shared_data;

fn real_midi() -> Vec<u8> {
    std::fs::read(shared_data().join("pop909/001/001.mid")).unwrap()
}

#[test]
fn a_real_file_parses_with_all_its_tracks() {
    let score = parse_midi(&real_midi()).unwrap();
    let names: Vec<_> = score.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["MELODY", "BRIDGE", "PIANO"]);
    assert!(score.note_count() > 1000);
    assert!(score.duration_seconds() > 60.0);
}

#[test]
fn every_truncation_of_a_real_file_is_an_error_or_a_prefix_never_a_panic() {
    let bytes = real_midi();
    let full = parse_midi(&bytes).unwrap().note_count();
    for len in (0..bytes.len()).step_by(97) {
        match parse_midi(&bytes[..len]) {
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(s) => assert!(s.note_count() <= full),
        }
    }
    let e = parse_midi(&bytes[..bytes.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn corrupt_bytes_never_panic() {
    let bytes = real_midi();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut b = bytes[..bytes.len().min(4000)].to_vec();
        for _ in 0..8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state as usize) % b.len();
            b[i] = (state >> 32) as u8;
        }
        let _ = parse_midi(&b); // must return, Ok or Err
    }
}

#[test]
fn errors_name_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.mid", b"", "empty file"),
        ("text.mid", b"hello, I am not music", "not a MIDI file"),
        ("short.mid", b"MThd\0\0\0\x06\0", "truncated header"),
        (
            "lost_track.mid",
            b"MThd\0\0\0\x06\0\x01\0\x02\x01\xe0MTrk\0\0\0\x04\0\xff\x2f\0",
            "declares 2 tracks",
        ),
    ];
    for (name, bytes, reason) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = read_midi_file(&p).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(reason), "{name}: {e}");
    }
    let e = read_midi_file(&dir.path().join("missing.mid"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.mid"), "{e}");
}

#[test]
fn polyphonic_loader_accepts_a_test_split_and_rejects_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("only_test.json");
    std::fs::write(&ok, r#"{"test": [[[60, 64], [], [62]]]}"#).unwrap();
    let d = PolyphonicDataset::load(&ok).unwrap();
    assert_eq!(d.test.len(), 1);
    assert_eq!(d.splits().map(|(n, _)| n).collect::<Vec<_>>(), ["test"]);
    let bad_pitch = dir.path().join("bad_pitch.json");
    std::fs::write(&bad_pitch, r#"{"valid": [[[60], [12]]]}"#).unwrap();
    let e = PolyphonicDataset::load(&bad_pitch).unwrap_err().to_string();
    assert!(
        e.contains("bad_pitch.json") && e.contains("valid sequence 0, step 1"),
        "{e}"
    );
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"train\": [[[60],\n [61,]]]}").unwrap();
    let e = PolyphonicDataset::load(&broken).unwrap_err().to_string();
    assert!(e.contains("broken.json") && e.contains("line 2"), "{e}");
    let unknown = dir.path().join("unknown.json");
    std::fs::write(&unknown, r#"{"training": []}"#).unwrap();
    assert!(PolyphonicDataset::load(&unknown).is_err());
}
