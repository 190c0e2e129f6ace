//! `euterpe train` of an emotion classifier on real EMOPIA clips, then `euterpe eval` and
//! `euterpe classify` on what it learnt, as a user runs them.

use std::path::{Path, PathBuf};
use std::process::Output;

use euterpe_testkit::shared_data;

mod common;
use common::euterpe;

/// The first `n` clips of a quadrant and split, from EMOPIA's labels, in name order.
fn clips(rows: &[Vec<String>], quadrant: &str, split: &str, n: usize) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| r[1] == quadrant && r[2] == split)
        .filter(|r| {
            shared_data()
                .join(format!("emopia/midi/{}.mid", r[0]))
                .is_file()
        })
        .take(n)
        .cloned()
        .collect()
}

/// A small EMOPIA corpus of happy (Q1) and sad (Q3) clips in `dir`, with its labels.
fn corpus(dir: &Path) -> PathBuf {
    let labels = std::fs::read_to_string(shared_data().join("emopia/labels.csv")).unwrap();
    let rows: Vec<Vec<String>> = labels
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let root = dir.join("emopia");
    std::fs::create_dir_all(root.join("midi")).unwrap();
    let mut csv = String::from("clip,quadrant,split\n");
    for (q, split, n) in [
        ("1", "train", 24),
        ("3", "train", 24),
        ("1", "valid", 8),
        ("3", "valid", 8),
    ] {
        for r in clips(&rows, q, split, n) {
            let name = format!("{}.mid", r[0]);
            std::fs::copy(
                shared_data().join("emopia/midi").join(&name),
                root.join("midi").join(&name),
            )
            .unwrap();
            csv.push_str(&format!("{},{},{}\n", r[0], r[1], r[2]));
        }
    }
    std::fs::write(root.join("labels.csv"), csv).unwrap();
    root
}

const CONFIG: &str = "[model]\nkind = \"classifier\"\nembedding = 24\n\n[model.core]\ncell = \"gru\"\nhidden = 24\nlayers = 1\n\n[data]\nlabel = \"emotion\"\nseq_len = 192\n\n[optim]\nlr = 5e-3\n\n[train]\nepochs = 8\nbatch_size = 8\npatience = 0\nseed = 3\n";

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_emotion_classifier_learns_and_classifies_folders() {
    let dir = tempfile::tempdir().unwrap();
    let data = corpus(dir.path());
    let config = dir.path().join("emotion.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let model = dir.path().join("model");
    let (d, c, m) = (
        data.to_str().unwrap(),
        config.to_str().unwrap(),
        model.to_str().unwrap(),
    );
    let out = euterpe(&["train", "--config", c, "--data", d, "--out", m, "--json"]);
    json(&out);

    // Training lowers the loss.
    let epochs: Vec<serde_json::Value> = std::fs::read_to_string(model.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let train_loss = |e: &serde_json::Value| e["train_nll"].as_f64().unwrap();
    assert!(
        train_loss(epochs.last().unwrap()) < 0.8 * train_loss(&epochs[0]),
        "{epochs:?}"
    );

    // It beats the majority class on the pieces it learnt from (half are happy, half sad).
    let eval = json(&euterpe(&[
        "eval", "--model", m, "--data", d, "--split", "train", "--json",
    ]));
    let figures = &eval["classification"];
    assert_eq!(figures["pieces"], 48);
    assert!(figures["accuracy"].as_f64().unwrap() > 0.7, "{figures}");
    assert_eq!(figures["confusion"].as_array().unwrap().len(), 4);

    // classify: every file under the folder, a broken one reported, not fatal.
    std::fs::write(data.join("midi/broken.mid"), b"MThd\0\0\0\x06\0").unwrap();
    let report = json(&euterpe(&["classify", d, "--model", m, "--json"]));
    assert_eq!(report["model"], m);
    assert_eq!(
        report["classes"],
        serde_json::json!(["Q1", "Q2", "Q3", "Q4"])
    );
    let pieces = report["pieces"].as_array().unwrap();
    assert_eq!(pieces.len(), 64);
    for p in pieces {
        let file = p["file"].as_str().unwrap();
        assert!(file.starts_with(d) && file.ends_with(".mid"), "{file}");
        let probabilities = p["probabilities"].as_object().unwrap();
        let total: f64 = probabilities.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-6);
        let class = p["class"].as_str().unwrap();
        let best = probabilities
            .iter()
            .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
            .unwrap()
            .0;
        assert_eq!(class, best);
    }
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["file"].as_str().unwrap().ends_with("broken.mid"));

    // One file, as text.
    let one = data.join("midi").join(
        pieces[0]["file"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap(),
    );
    let out = euterpe(&["classify", one.to_str().unwrap(), "--model", m]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(pieces[0]["class"].as_str().unwrap()),
        "{text}"
    );

    // A generator is not a classifier; a missing path is an error naming it.
    let out = euterpe(&["classify", d, "--model", "folk"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("classifier"), "{err}");
    let missing = dir.path().join("nowhere");
    let out = euterpe(&["classify", missing.to_str().unwrap(), "--model", m]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("nowhere"), "{err}");
}
