//! The melody GAN from the command line: `train` on real POP909 songs (a song with a broken
//! chord file is skipped and named), `generate --chords` and `--chords-from`, `eval` with the bar statistics, and
//! clear errors for a bad progression or a model of another kind.

mod common;

use common::{euterpe, ok, s};
use euterpe_testkit::pop909_subset;

#[test]
fn a_melody_gan_trains_writes_over_chords_and_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = pop909_subset(dir.path(), 12, true);
    std::fs::write(
        corpus.join("003/chord_midi.txt"),
        "0.5\t1.0\tC:maj\n1.0\tlater\tG:maj\n",
    )
    .unwrap();
    let model = dir.path().join("gan");
    let out = euterpe(&[
        "train",
        "--config",
        "../../configs/melody-gan.toml",
        "--data",
        s(&corpus),
        "--out",
        s(&model),
        "--set",
        "model.channels=16",
        "--set",
        "model.noise=8",
        "--set",
        "train.epochs=2",
        "--set",
        "train.max_batches_per_epoch=10",
        "--set",
        "train.valid_batches=0",
    ]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("003.mid") && err.contains("line 2") && err.contains("later"),
        "{err}"
    );
    assert!(model.join("weights.bin").is_file() && model.join("card.md").is_file());
    // The monitor: both networks' losses per epoch, and a grid of sampled bars.
    let metrics = std::fs::read_to_string(model.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    for key in [
        "critic_loss",
        "generator_loss",
        "critic_real",
        "critic_fake",
        "distinct_bars",
    ] {
        assert!(
            last["extra"][key].as_f64().unwrap().is_finite(),
            "{key}: {last}"
        );
    }
    let png = std::fs::read(model.join("samples.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(String::from_utf8_lossy(&out.stdout).contains("bar-statistics distance"));

    let midi = dir.path().join("m.mid");
    let out = euterpe(&[
        "generate",
        "--model",
        s(&model),
        "--chords",
        "C G Am F",
        "--bars",
        "8",
        "--seed",
        "3",
        "--out",
        s(&midi),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["bars"], 8);
    assert_eq!(report["chords"], serde_json::json!(["C", "G", "Am", "F"]));
    let score = euterpe_music::midi::read_midi_file(&midi).unwrap();
    assert_eq!(score.tracks.len(), 2);
    assert_eq!(score.tracks[0].name, "MELODY");
    assert!(!score.tracks[0].notes.is_empty());
    assert_eq!(score.tracks[1].notes.len(), 24);
    // Four 4/4 bars at 100 BPM take 2.4 s each: the piece ends within the eighth bar.
    let seconds = score.duration_seconds();
    assert!(seconds > 16.0 && seconds <= 19.2 + 1e-6, "{seconds}");

    // A new melody over a song's chords, from the bar where its melody starts.
    let song = corpus.join("001/001.mid");
    let out = euterpe(&[
        "generate",
        "--model",
        s(&model),
        "--chords-from",
        s(&song),
        "--bars",
        "6",
        "--seed",
        "3",
        "--out",
        s(&midi),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let source = euterpe_music::midi::read_midi_file(&song).unwrap();
    let progression =
        euterpe_data::song_progression(&source, &song, euterpe_music::MELODY_TRACK).unwrap();
    assert!(progression.len() > 20, "{}", progression.len());
    let expected: Vec<String> = progression[..6]
        .iter()
        .map(|c| c.map_or("N".into(), |c| c.to_string()))
        .collect();
    assert_eq!(report["chords"], serde_json::json!(expected));
    let written = euterpe_music::midi::read_midi_file(&midi).unwrap();
    let chord_track = &written.tracks[1];
    let first_chord = progression[0].unwrap();
    let lowest = chord_track
        .notes
        .iter()
        .filter(|n| n.onset == 0)
        .map(|n| n.pitch)
        .min();
    assert_eq!(
        lowest.map(|p| p % 12),
        Some(first_chord.root),
        "the chord under bar 1 is the song's"
    );
    let out = euterpe(&[
        "generate",
        "--model",
        s(&model),
        "--chords-from",
        "../../Cargo.toml",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Cargo.toml") && err.contains("MIDI"), "{err}");

    let out = euterpe(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        s(&corpus),
        "--split",
        "train",
        "--json",
    ]);
    let eval: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(eval["kind"], "melody_gan");
    assert_eq!(eval["unit"], "bar");
    let melody = &eval["melody"];
    assert!(melody["bars"].as_u64().unwrap() > 100);
    let d = melody["distance"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&d) && d == eval["nll"].as_f64().unwrap());

    // A progression that cannot be read, and chords asked of a token model.
    let out = euterpe(&["generate", "--model", s(&model), "--chords", "C H7 Am"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chord 2") && err.contains("H7"), "{err}");
    let out = euterpe(&[
        "generate",
        "--model",
        "folk",
        "--chords",
        "C G",
        "--out",
        s(&midi),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("melody_gan"));
}

#[test]
fn musegan_metrics_describe_pop909_tracks() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = pop909_subset(dir.path(), 10, false);
    std::fs::write(corpus.join("broken.mid"), b"MThd\0\0\0\x06\0\x01").unwrap();
    let out = euterpe(&["metrics", "--gan", s(&corpus), "--json"]);
    let r: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.mid"));
    assert_eq!(r["pieces"], 10);
    let tracks = r["tracks"].as_array().unwrap();
    let names: Vec<&str> = tracks
        .iter()
        .map(|t| t["track"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["MELODY", "BRIDGE", "PIANO"]);
    let get = |name: &str, key: &str| {
        tracks.iter().find(|t| t["track"] == name).unwrap()[key]
            .as_f64()
            .unwrap()
    };
    // The piano accompanies throughout and in chords; the sung melody pauses and is one line.
    assert!(get("PIANO", "empty_bars") < get("MELODY", "empty_bars"));
    assert!(get("PIANO", "polyphony") > 2.0 && get("MELODY", "polyphony") < 1.2);
    assert!(get("PIANO", "pitch_classes_per_bar") > get("MELODY", "pitch_classes_per_bar"));
    assert!(get("MELODY", "qualified_notes") > 0.9);
    let td = r["tonal_distances"].as_array().unwrap();
    assert_eq!(td.len(), 3);
    assert!(td
        .iter()
        .all(|d| (0.0..2.0).contains(&d["distance"].as_f64().unwrap())));
}

#[test]
fn a_multitrack_gan_trains_writes_three_tracks_and_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = pop909_subset(dir.path(), 10, true);
    let model = dir.path().join("musegan");
    let out = euterpe(&[
        "train",
        "--config",
        "../../configs/musegan.toml",
        "--data",
        s(&corpus),
        "--out",
        s(&model),
        "--set",
        "model.channels=16",
        "--set",
        "model.latent=8",
        "--set",
        "train.epochs=2",
        "--set",
        "train.max_batches_per_epoch=5",
        "--set",
        "train.valid_batches=1",
    ]);
    ok(&out);
    let config = std::fs::read_to_string(model.join("config.toml")).unwrap();
    assert!(
        config.contains("MELODY") && config.contains("PIANO"),
        "{config}"
    );
    let metrics = std::fs::read_to_string(model.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert!(last["extra"]["distinct_phrases"].as_f64().unwrap() > 0.0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("MuseGAN-metric gap"));

    let midi = dir.path().join("a.mid");
    let out = euterpe(&[
        "generate",
        "--model",
        s(&model),
        "--bars",
        "8",
        "--seed",
        "5",
        "--out",
        s(&midi),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let notes = report["pieces"][0]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "{report}");
    assert!(notes.iter().all(|t| t[1].as_u64().unwrap() > 0), "{report}");

    // MuseGAN's metrics of what was written, per track and per pair of tracks.
    let out = euterpe(&["metrics", "--gan", s(&midi), "--json"]);
    let m: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let tracks = m["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 3, "{m}");
    for t in tracks {
        // Bars run to the last note's end: the eighth unless all tracks rest through it.
        assert!((7..=8).contains(&t["bars"].as_u64().unwrap()), "{m}");
        assert!(t["empty_bars"].as_f64().is_some() && t["qualified_notes"].as_f64().is_some());
    }
    assert_eq!(m["tonal_distances"].as_array().unwrap().len(), 3, "{m}");

    let out = euterpe(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        s(&corpus),
        "--split",
        "valid",
    ]);
    let text = ok(&out);
    assert!(
        text.contains("mean gap of the metrics") && text.contains("BRIDGE"),
        "{text}"
    );

    // Accompaniment: the other tracks written around a song's own melody, which is kept.
    let song = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let name = song.file_name().unwrap().to_str().unwrap().to_string();
    let lead = song.join(format!("{name}.mid"));
    let full = dir.path().join("full.mid");
    let out = euterpe(&[
        "arrange",
        s(&lead),
        "--model",
        s(&model),
        "--out",
        s(&full),
        "--seed",
        "2",
        "--restarts",
        "2",
        "--iterations",
        "5",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["lead_track"], "MELODY", "{report}");
    assert_eq!(report["as_track"], "MELODY", "{report}");
    let notes = report["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "{report}");
    assert!(notes[0][1].as_u64().unwrap() > 50, "{report}");
    assert!(report["bars"].as_u64().unwrap() > 20, "{report}");
    let written = euterpe_music::midi::read_midi_file(&full).unwrap();
    assert_eq!(written.tracks.len(), 3);

    // A lead that is not MIDI is named in the error, and nothing is written.
    let bad = dir.path().join("lead.mid");
    std::fs::write(&bad, b"not a midi file").unwrap();
    let nothing = dir.path().join("x.mid");
    let out = euterpe(&[
        "arrange",
        s(&bad),
        "--model",
        s(&model),
        "--out",
        s(&nothing),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lead.mid"), "{err}");
    assert!(!nothing.exists());
    // A model track that does not exist is refused, naming the model's tracks.
    let out = euterpe(&[
        "arrange",
        s(&lead),
        "--model",
        s(&model),
        "--as-track",
        "DRUMS",
        "--out",
        s(&nothing),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DRUMS") && err.contains("PIANO"), "{err}");
}

#[test]
fn a_style_transfer_gan_trains_and_rewrites_folk_tunes_judged_by_the_style_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpora");
    let essen = euterpe_testkit::essen_subset(&root, 40, 150);
    pop909_subset(&root, 8, true);
    let model = dir.path().join("folk2pop");
    let out = euterpe(&[
        "train",
        "--config",
        "../../configs/folk2pop.toml",
        "--data",
        s(&root),
        "--out",
        s(&model),
        "--set",
        "model.channels=16",
        "--set",
        "model.blocks=1",
        "--set",
        "model.critic_channels=8",
        "--set",
        "train.epochs=1",
        "--set",
        "train.max_batches_per_epoch=4",
        "--set",
        "train.valid_batches=0",
    ]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("transfer distance"));

    // A folder of tunes, one of them broken: it is skipped and named, the others written on
    // their own bars and judged by the built-in style classifier.
    let tunes = essen.join("midi");
    std::fs::write(
        tunes.join("aaa-broken.mid"),
        b"MThd\0\0\0\x06not a midi file",
    )
    .unwrap();
    let written = dir.path().join("as-pop");
    let out = euterpe(&[
        "transfer",
        s(&tunes),
        "--model",
        s(&model),
        "--to",
        "pop",
        "--judge",
        "style",
        "--limit",
        "6",
        "--notation",
        "source",
        "--out",
        s(&written),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("aaa-broken.mid"), "{err}");
    assert_eq!(report["from"], "folk");
    assert_eq!(report["to"], "pop");
    let pieces = report["pieces"].as_array().unwrap();
    assert_eq!(pieces.len(), 5, "{report}");
    for p in pieces {
        let out = std::path::PathBuf::from(p["out"].as_str().unwrap());
        assert!(out.starts_with(&written) && out.is_file(), "{p}");
        let j = &p["judgement"];
        for k in 0..3 {
            let prob = j["target"][k].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&prob), "{j}");
        }
        let kept = p["onsets_kept"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&kept));
        // The written piece has as many bars as its source.
        let source =
            euterpe_music::midi::read_midi_file(std::path::Path::new(p["file"].as_str().unwrap()))
                .unwrap();
        let done = euterpe_music::midi::read_midi_file(&out).unwrap();
        assert_eq!(done.time_signatures, source.time_signatures);
        assert!(done.end_tick() <= source.end_tick() + source.ticks_per_beat as u64);
    }
    let share = report["classified_as_target"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));
    assert!(report["strength"].as_f64().unwrap().is_finite());

    // The built-ins: one model, its direction named by the name asked for.
    let one = pieces[0]["file"].as_str().unwrap();
    for (name, from, to) in [("folk2pop", "folk", "pop"), ("pop2folk", "pop", "folk")] {
        let out_file = dir.path().join(format!("{name}.mid"));
        let out = euterpe(&[
            "transfer",
            one,
            "--model",
            name,
            "--out",
            s(&out_file),
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
        assert_eq!(
            (report["from"].as_str(), report["to"].as_str()),
            (Some(from), Some(to))
        );
        assert!(out_file.is_file());
    }

    // Clear errors: a style the model does not know, a model of another kind.
    let out = euterpe(&[
        "transfer",
        one,
        "--model",
        s(&model),
        "--to",
        "jazz",
        "--out",
        "x.mid",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("jazz") && err.contains("folk"), "{err}");
    let out = euterpe(&["transfer", one, "--model", "style", "--out", "x.mid"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cyclegan"), "{err}");
}
