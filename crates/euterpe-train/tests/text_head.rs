//! The text head of the prompt layer learns the emotion of mood words from mer4q's real tags:
//! training lowers the loss, the validation songs (other artists) are judged far above the
//! majority class, and a word held out of training entirely still lands in its quadrant more
//! often than the majority guess would.

use std::collections::HashMap;
use std::io::Write;

use euterpe_data::{Split, TaskData, TextDataConfig};
use euterpe_models::backend::{Cpu, CpuAutodiff};
use euterpe_models::{ModelConfig, TextHeadConfig};
use euterpe_store::ModelSource;
use euterpe_train::eval::evaluate;
use euterpe_train::trainer::{train, Silent, TrainOptions};
use euterpe_train::TrainConfig;

fn config() -> TrainConfig {
    let mut config = TrainConfig {
        model: ModelConfig::TextHead(TextHeadConfig::default()),
        ..TrainConfig::default()
    };
    config.data.text = Some(TextDataConfig {
        text: "moods".into(),
        label: "quadrant".into(),
        group: "artist".into(),
        ..TextDataConfig::default()
    });
    config.optim.lr = 3e-3;
    config.train.epochs = 30;
    config.train.batch_size = 32;
    config.train.patience = 0;
    config
}

/// mer4q's rows with the held-out words removed from their tags (rows left without tags
/// dropped), and one row per held-out word labelled with its songs' majority quadrant.
fn hold_out(labels: &str, every: usize) -> (String, String, usize) {
    let mut reader = csv::Reader::from_reader(labels.as_bytes());
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(|r| r.unwrap()).collect();
    let tags = |r: &HashMap<String, String>| -> Vec<String> {
        r["moods"]
            .split(';')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let mut votes: HashMap<String, [usize; 4]> = HashMap::new();
    for r in &rows {
        let q: usize = r["quadrant"].parse().unwrap();
        for t in tags(r) {
            votes.entry(t).or_default()[q - 1] += 1;
        }
    }
    let mut words: Vec<&String> = votes.keys().collect();
    words.sort();
    let held: Vec<&String> = words.into_iter().step_by(every).collect();
    let mut train = String::from("moods,quadrant,split,artist\n");
    for r in &rows {
        let kept: Vec<String> = tags(r).into_iter().filter(|t| !held.contains(&t)).collect();
        if !kept.is_empty() {
            train += &format!(
                "\"{}\",{},{},\"{}\"\n",
                kept.join("; "),
                r["quadrant"],
                r["split"],
                r["artist"].replace('"', "")
            );
        }
    }
    let mut eval = String::from("moods,quadrant,split\n");
    let mut counts = [0usize; 4];
    for w in &held {
        let v = votes[*w];
        let q = (0..4).max_by_key(|&i| v[i]).unwrap();
        counts[q] += 1;
        eval += &format!("{w},{},valid\n", q + 1);
    }
    let majority = counts.into_iter().max().unwrap();
    (train, eval, majority)
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn mood_tags_teach_emotion_and_unseen_words_beat_the_majority_guess() {
    let labels_path = euterpe_testkit::shared_data().join("mer4q/labels.csv");
    let labels = std::fs::read_to_string(&labels_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (train_csv, eval_csv, majority) = hold_out(&labels, 4);
    let train_path = write(dir.path(), "train.csv", &train_csv);
    let eval_path = write(dir.path(), "eval.csv", &eval_csv);

    let config = config();
    let (data, report) = TaskData::load(&train_path, &config.data).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let TaskData::Text(text) = &data else {
        panic!(
            "a CSV read with data.text is texts, not {}",
            data.describe()
        );
    };
    assert_eq!(text.classes, ["Q1", "Q2", "Q3", "Q4"]);
    assert!(text.len(Split::Train) > 500 && text.len(Split::Valid) > 100);

    let out = dir.path().join("model");
    let options = TrainOptions {
        out: out.clone(),
        resume: false,
        data_path: train_path.clone(),
        command: "test".into(),
    };
    train::<CpuAutodiff>(&data, &config, &options, &Default::default(), &mut Silent).unwrap();
    let epochs: Vec<serde_json::Value> = std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = epochs[0]["train_nll"].as_f64().unwrap();
    let last = epochs.last().unwrap()["train_nll"].as_f64().unwrap();
    assert!(last < 0.7 * first, "training loss {first} → {last}");

    let source = ModelSource::Dir(out);
    let songs = evaluate::<Cpu>(&source, &train_path, Split::Valid, &Default::default()).unwrap();
    let songs = songs.classification.unwrap();
    assert!(songs.accuracy > 0.6, "validation songs: {songs:?}");

    let words = evaluate::<Cpu>(&source, &eval_path, Split::Valid, &Default::default()).unwrap();
    let words = words.classification.unwrap();
    let guess = majority as f64 / words.pieces as f64;
    assert!(
        words.accuracy > guess + 0.1,
        "unseen words {} vs majority guess {guess} (n = {})",
        words.accuracy,
        words.pieces
    );
}
