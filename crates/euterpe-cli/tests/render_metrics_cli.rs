//! `euterpe render`, `euterpe plot` and `euterpe metrics` on real files: outputs a user can open,
//! figures that follow the music, and clear errors.

use euterpe_testkit::shared_data;

mod common;
use common::{euterpe, ok, s};

fn emopia_clip() -> std::path::PathBuf {
    shared_data().join("emopia/midi/Q1_0vLPYiPN7qY_0.mid")
}

#[test]
fn render_writes_an_audible_wav_of_the_pieces_length() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("clip.wav");
    let clip = emopia_clip();
    let out = euterpe(&[
        "render",
        s(&clip),
        "--out",
        s(&wav),
        "--builtin-synth",
        "--mono",
        "--sample-rate",
        "22050",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).expect("JSON");
    let piece = euterpe_music::midi::read_midi_file(&clip).unwrap();
    let seconds = report["seconds"].as_f64().unwrap();
    assert!(
        (seconds - piece.duration_seconds() - 1.5).abs() < 0.1,
        "{seconds} s of audio for a {} s piece",
        piece.duration_seconds()
    );
    assert_eq!(report["synth"], "built-in");
    let reader = hound::WavReader::open(&wav).expect("a valid WAV file");
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 22050, 16)
    );
    let samples: Vec<f64> = reader
        .into_samples::<i16>()
        .map(|x| x.unwrap() as f64 / 32768.0)
        .collect();
    let peak = samples.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let rms = (samples.iter().map(|x| x * x).sum::<f64>() / samples.len() as f64).sqrt();
    // Normalised to -1 dBFS: loud, never clipped.
    assert!((peak - 10f64.powf(-1.0 / 20.0)).abs() < 0.01, "peak {peak}");
    assert!(rms > 0.02, "rms {rms}");
}

#[test]
fn render_rejects_a_bad_soundfont_and_a_file_that_is_not_midi() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("x.wav");
    let fake_sf2 = dir.path().join("broken.sf2");
    std::fs::write(&fake_sf2, b"RIFF\x10\x00\x00\x00sfbk").unwrap();
    let clip = emopia_clip();
    let out = euterpe(&[
        "render",
        s(&clip),
        "--out",
        s(&wav),
        "--soundfont",
        s(&fake_sf2),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("broken.sf2") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!wav.exists(), "nothing half-written");

    let not_midi = dir.path().join("notes.mid");
    std::fs::write(&not_midi, "these are not notes").unwrap();
    let out = euterpe(&["render", s(&not_midi), "--out", s(&wav)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("notes.mid") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!wav.exists());
}

#[test]
fn plot_draws_a_png_whose_width_follows_the_piece() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("roll.png");
    ok(&euterpe(&[
        "plot",
        s(&emopia_clip()),
        "--out",
        s(&png),
        "--width",
        "640",
    ]));
    let picture = image::open(&png).expect("a readable PNG").to_rgb8();
    assert_eq!(picture.width(), 640);
    // Notes are drawn in colour on a neutral background: some pixels are far from grey.
    let coloured = picture
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0.map(i32::from);
            (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 60
        })
        .count();
    assert!(coloured > 500, "{coloured} coloured pixels");
    let out = euterpe(&["plot", s(&emopia_clip()), "--out", s(&png), "--width", "0"]);
    assert!(!out.status.success());
}

#[test]
fn metrics_of_a_corpus_and_against_a_reference() {
    let emopia = shared_data().join("emopia/midi");
    let out = euterpe(&["metrics", s(&emopia), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).expect("JSON");
    assert_eq!(report["summary"]["pieces"], 990);
    let metric = |r: &serde_json::Value, name: &str| {
        r["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    // Piano music is polyphonic; Essen melodies are not.
    let emopia_poly = metric(&report["summary"], "polyphony")["mean"]
        .as_f64()
        .unwrap();
    assert!(emopia_poly > 2.0, "EMOPIA polyphony {emopia_poly}");

    // The same set against itself overlaps fully; against monophonic folk songs it does not.
    let folk = shared_data().join("essen/midi");
    let some_folk = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&folk).unwrap().take(60) {
        let p = entry.unwrap().path();
        std::fs::copy(&p, some_folk.path().join(p.file_name().unwrap())).unwrap();
    }
    let out = euterpe(&[
        "metrics",
        s(some_folk.path()),
        "--reference",
        s(some_folk.path()),
        "--json",
    ]);
    let same: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let same_overlap = same["reference"]["mean_overlap_area"].as_f64().unwrap();
    assert!(same_overlap > 0.99, "self overlap {same_overlap}");
    let out = euterpe(&["metrics", s(some_folk.path()), "--reference", s(&emopia)]);
    let table = ok(&out);
    assert!(
        table.contains("overlap") && table.contains("polyphony"),
        "{table}"
    );
    let out = euterpe(&[
        "metrics",
        s(some_folk.path()),
        "--reference",
        s(&emopia),
        "--json",
    ]);
    let other: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let poly = metric(&other["reference"]["comparison"], "polyphony");
    let overlap = poly["overlap"]["area"].as_f64().unwrap_or(0.0);
    assert!(overlap < 0.2, "folk vs piano polyphony overlap {overlap}");
}

#[test]
fn pop909_training_melodies_against_its_validation_melodies() {
    let pop909 = shared_data().join("pop909");
    // `data split` lists what `train` holds out: every song once, about 15 % of them valid.
    let out = euterpe(&["data", "split", s(&pop909)]);
    let listing = ok(&out);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 909);
    let valid: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("valid\t"))
        .collect();
    assert!((100..175).contains(&valid.len()), "{}", valid.len());
    let out = euterpe(&["data", "split", s(&pop909), "--split", "valid"]);
    assert_eq!(ok(&out).lines().collect::<Vec<_>>(), valid);

    let out = euterpe(&[
        "metrics",
        s(&pop909),
        "--split",
        "train",
        "--melody",
        "--excerpt-beats",
        "64",
        "--reference",
        s(&pop909),
        "--reference-split",
        "valid",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let comparison = &report["reference"]["comparison"];
    let (train, reference) = (
        comparison["generated_pieces"].as_u64().unwrap(),
        comparison["reference_pieces"].as_u64().unwrap(),
    );
    // Excerpts of sixteen bars: several per song, and the training songs are ~4.7 times as many.
    assert!(reference > 2 * valid.len() as u64, "{reference}");
    let ratio = train as f64 / reference as f64;
    assert!((3.5..6.5).contains(&ratio), "{train} / {reference}");
    // Two halves of one corpus, measured alike, overlap well on every metric.
    let area = report["reference"]["mean_overlap_area"].as_f64().unwrap();
    assert!(area > 0.8, "{area}");
    let polyphony = comparison["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "polyphony")
        .unwrap();
    assert!(
        polyphony["reference"]["mean"].as_f64().unwrap() < 1.1,
        "melodies only"
    );
}

#[test]
fn metrics_skips_and_reports_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(emopia_clip(), dir.path().join("good.mid")).unwrap();
    std::fs::write(dir.path().join("bad.mid"), b"MThd\x00\x00\x00\x06\x00").unwrap();
    let out = euterpe(&["metrics", s(dir.path()), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["summary"]["pieces"], 1);
    assert_eq!(report["failures"].as_array().unwrap().len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.mid"));
    let empty = tempfile::tempdir().unwrap();
    let out = euterpe(&["metrics", s(empty.path())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no MIDI files"));
}
