//! A generator conditioned on emotion and style, as a user trains and drives it: `euterpe train`
//! with control tokens over a folder of two corpora, `generate --emotion/--valence/--arousal/
//! --style` (blends too), and `eval-control` judged by the built-in classifiers.

use std::path::{Path, PathBuf};

use euterpe_testkit::shared_data;

mod common;
use common::{euterpe_in, ok};

/// A folder of two corpora: `clips/` (12 EMOPIA clips, 3 per quadrant, with their labels) and
/// `songs/` (12 Essen songs).
fn corpora(dir: &Path) -> PathBuf {
    let root = dir.join("corpora");
    std::fs::create_dir_all(root.join("clips")).unwrap();
    std::fs::create_dir_all(root.join("songs")).unwrap();
    let labels = std::fs::read_to_string(shared_data().join("emopia/labels.csv")).unwrap();
    let mut csv = String::from("clip,quadrant,split\n");
    for q in ["1", "2", "3", "4"] {
        let rows = labels
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|r| r[1] == q && r[2] == "train")
            .take(3);
        for (i, r) in rows.enumerate() {
            let name = format!("{}.mid", r[0]);
            std::fs::copy(
                shared_data().join("emopia/midi").join(&name),
                root.join("clips").join(&name),
            )
            .unwrap();
            let split = if i == 2 { "valid" } else { "train" };
            csv.push_str(&format!("{},{q},{split}\n", r[0]));
        }
    }
    std::fs::write(root.join("clips/labels.csv"), csv).unwrap();
    let mut songs: Vec<_> = std::fs::read_dir(shared_data().join("essen/midi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    songs.sort();
    for f in songs.iter().step_by(400).take(12) {
        std::fs::copy(f, root.join("songs").join(f.file_name().unwrap())).unwrap();
    }
    root
}

const CONFIG: &str = r#"
[model]
kind = "token_lm"
embedding = 16
[model.core]
cell = "lstm"
hidden = 32
layers = 1
[data]
seq_len = 128
folders = ["clips", "songs"]
folder_names = { clips = "pop-piano", songs = "folk" }
conditions = ["emotion", "style"]
[optim]
lr = 1e-2
[train]
epochs = 2
batch_size = 8
patience = 0
"#;

#[test]
fn a_conditioned_generator_follows_requests_and_is_judged_by_the_classifiers() {
    let dir = tempfile::tempdir().unwrap();
    let data = corpora(dir.path());
    std::fs::write(dir.path().join("cond.toml"), CONFIG).unwrap();
    let cache = format!("data.cache=\"{}\"", dir.path().join("c.etok").display());
    ok(&euterpe_in(
        dir.path(),
        &[
            "train",
            "--config",
            "cond.toml",
            "--data",
            data.to_str().unwrap(),
            "--out",
            "cond",
            "--set",
            &cache,
        ],
    ));

    // An emotion with a blend of styles, and a point of the valence–arousal plane.
    for extra in [
        &[
            "--emotion",
            "melancholic",
            "--style",
            "pop-piano=0.7,folk=0.3",
        ][..],
        &["--valence", "-0.5", "--arousal", "0.8", "--style", "folk"][..],
    ] {
        let mut args = vec!["generate", "--model", "cond", "--bars", "2", "--seed", "3"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", "x.mid", "--json"]);
        let report: serde_json::Value =
            serde_json::from_str(&ok(&euterpe_in(dir.path(), &args))).unwrap();
        assert!(
            report["pieces"][0]["notes"].as_u64().unwrap() > 0,
            "{extra:?}"
        );
        let score = euterpe_music::midi::read_midi_file(&dir.path().join("x.mid")).unwrap();
        assert!(score.note_count() > 0);
    }

    // A style the model does not know, a bad weight, an out-of-range valence.
    for (args, says) in [
        (&["--style", "jazz"][..], "pop-piano, folk"),
        (&["--style", "folk=lots"][..], "not a number"),
        (&["--valence", "2", "--arousal", "0"][..], "--valence"),
    ] {
        let mut all = vec!["generate", "--model", "cond", "--out", "y.mid"];
        all.extend_from_slice(args);
        let out = euterpe_in(dir.path(), &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(!dir.path().join("y.mid").exists());
    }
    // The default model follows no style: the error says which models do.
    let out = euterpe_in(
        dir.path(),
        &["generate", "--style", "pop", "--out", "y.mid"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("style conditioning"),
        "{err}"
    );

    // eval-control: every quadrant and style asked for, judged by the built-in classifiers.
    let report: serde_json::Value = serde_json::from_str(&ok(&euterpe_in(
        dir.path(),
        &[
            "eval-control",
            "--model",
            "cond",
            "--n",
            "2",
            "--bars",
            "2",
            "--blend",
            "pop-piano:folk",
            "--blend-points",
            "3",
            "--json",
        ],
    )))
    .unwrap();
    let emotion = &report["emotion"];
    assert_eq!(
        emotion["classes"],
        serde_json::json!(["Q1", "Q2", "Q3", "Q4"])
    );
    let counted: u64 = emotion["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, 8);
    let overall = emotion["overall"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&overall));
    assert_eq!(
        report["style"]["classes"],
        serde_json::json!(["pop-piano", "folk"])
    );
    let curve = &report["blends"][0]["points"];
    assert_eq!(curve.as_array().unwrap().len(), 3);
    let p: f64 = curve[0]["probabilities"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-6, "mean probabilities sum to 1: {p}");
}
