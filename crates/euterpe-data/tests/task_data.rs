//! Any path a user gives becomes the dataset of its kind: piano-roll frames from a polyphonic
//! file, tokens from a MIDI folder or a token file, with the same sequences whichever route.

mod common;

use euterpe_data::tokfile::tokenize_to_file;
use euterpe_data::{
    probe, Corpus, CorpusOptions, DataConfig, DataKind, Progress, ProgressEvent, Split, TaskData,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn a_polyphonic_file_gives_frames_in_its_splits() {
    let path = common::shared_data().join("polyphonic/jsb_chorales.json");
    assert_eq!(probe(&path).unwrap(), DataKind::PolyphonicJson);
    let (data, report) = TaskData::load(&path, &DataConfig::default()).unwrap();
    assert!(matches!(data, TaskData::Frames(_)));
    assert_eq!(data.len(Split::Train), 229);
    assert_eq!(data.len(Split::Valid), 76);
    assert!(report.failures.is_empty());
}

#[test]
fn a_midi_folder_and_its_token_file_give_the_same_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("songs");
    std::fs::create_dir(&songs).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(common::shared_data().join("essen/midi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().step_by(300).take(20) {
        std::fs::copy(f, songs.join(f.file_name().unwrap())).unwrap();
    }
    // One bad file is skipped and reported, not fatal.
    std::fs::write(songs.join("broken.mid"), b"MThd\0\0").unwrap();
    let config = DataConfig {
        cache: Some(dir.path().join("cache.etok")),
        ..DataConfig::default()
    };
    let told = Arc::new(AtomicUsize::new(0));
    let counter = told.clone();
    let progress = Progress::new(move |e| {
        if e == ProgressEvent::Advance {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let (from_midi, report) =
        TaskData::load_with_progress(&songs, &config, Some(progress)).unwrap();
    assert_eq!(told.load(Ordering::Relaxed), 21, "every file is told");
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].path.ends_with("broken.mid"));

    let tokens = dir.path().join("songs.etok");
    let corpus = Corpus::open(&songs, &CorpusOptions::default()).unwrap();
    let summary = tokenize_to_file(&corpus, &config.tokenizer().unwrap(), &tokens, None).unwrap();
    assert_eq!(summary.pieces, 20);
    assert_eq!(probe(&tokens).unwrap(), DataKind::TokenFile);
    let (from_file, _) = TaskData::load(&tokens, &config).unwrap();
    let (TaskData::Tokens(a), TaskData::Tokens(b)) = (&from_midi, &from_file) else {
        panic!("MIDI and token files give tokens")
    };
    assert_eq!(a.splits, b.splits);
    assert_eq!(a.vocab.to_json(), b.vocab.to_json());
    let total: usize = [Split::Train, Split::Valid, Split::Test]
        .into_iter()
        .map(|s| from_midi.len(s))
        .sum();
    assert_eq!(total, 20);
}

#[test]
fn emotion_conditioning_puts_each_labelled_piece_s_quadrant_after_bos() {
    use euterpe_data::{Condition, LabelSource};
    use euterpe_music::tokens::Token;
    let dir = tempfile::tempdir().unwrap();
    let clips = dir.path().join("clips");
    std::fs::create_dir(&clips).unwrap();
    // Two labelled EMOPIA clips (Q1, Q3) and one without a label row.
    let emopia = common::shared_data().join("emopia/midi");
    let mut names: Vec<String> = std::fs::read_dir(&emopia)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let q1 = names.iter().find(|n| n.starts_with("Q1_")).unwrap();
    let q3 = names.iter().find(|n| n.starts_with("Q3_")).unwrap();
    for (n, to) in [(q1, q1.as_str()), (q3, q3.as_str()), (q1, "unlabelled.mid")] {
        std::fs::copy(emopia.join(n), clips.join(to)).unwrap();
    }
    let stem = |n: &str| n.trim_end_matches(".mid").to_string();
    std::fs::write(
        dir.path().join("labels.csv"),
        format!(
            "clip,quadrant,split\n{},1,train\n{},3,train\n",
            stem(q1),
            stem(q3)
        ),
    )
    .unwrap();
    let load = |conditions: Vec<Condition>| {
        let config = DataConfig {
            cache: Some(dir.path().join("cache.etok")),
            conditions,
            label: LabelSource::None,
            ..DataConfig::default()
        };
        match TaskData::load(&clips, &config).unwrap().0 {
            TaskData::Tokens(t) => t,
            other => panic!("MIDI gives tokens, not {}", other.describe()),
        }
    };
    let plain = load(Vec::new());
    let conditioned = load(vec![Condition::Emotion]);
    let first_two = |t: &euterpe_data::TokenData, id: &str| -> Vec<Token> {
        let i = t.ids[0].iter().position(|x| x == id).unwrap();
        t.splits[0][i][..2]
            .iter()
            .map(|&x| t.vocab.token(x).unwrap())
            .collect()
    };
    assert_eq!(first_two(&conditioned, q1), [Token::Bos, Token::Emotion(1)]);
    assert_eq!(first_two(&conditioned, q3), [Token::Bos, Token::Emotion(3)]);
    let unlabelled_split = conditioned
        .ids
        .iter()
        .position(|s| s.iter().any(|x| x == "unlabelled.mid"))
        .unwrap();
    let i = conditioned.ids[unlabelled_split]
        .iter()
        .position(|x| x == "unlabelled.mid")
        .unwrap();
    let j = plain.ids[unlabelled_split]
        .iter()
        .position(|x| x == "unlabelled.mid")
        .unwrap();
    assert_eq!(
        conditioned.splits[unlabelled_split][i],
        plain.splits[unlabelled_split][j]
    );
    // Otherwise the sequences are the plain ones.
    let k = plain.ids[0].iter().position(|x| x == q3).unwrap();
    let mut without = first_two(&conditioned, q3);
    without.remove(1);
    assert_eq!(without[0], Token::Bos);
    let c = conditioned.ids[0].iter().position(|x| x == q3).unwrap();
    assert_eq!(conditioned.splits[0][c].len(), plain.splits[0][k].len() + 1);
    assert_eq!(&conditioned.splits[0][c][2..], &plain.splits[0][k][1..]);
}

#[test]
fn a_folder_of_corpora_keeps_each_corpus_s_labels_and_gives_styles_by_folder() {
    use euterpe_data::{Condition, LabelSource};
    use euterpe_music::tokens::Token;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpora");
    for sub in ["emo", "folk", "other"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let emopia = common::shared_data().join("emopia/midi");
    let mut clips: Vec<String> = std::fs::read_dir(&emopia)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    clips.sort();
    let q2 = clips.iter().find(|n| n.starts_with("Q2_")).unwrap();
    let q4 = clips.iter().find(|n| n.starts_with("Q4_")).unwrap();
    for n in [q2, q4] {
        std::fs::copy(emopia.join(n), root.join("emo").join(n)).unwrap();
    }
    let stem = |n: &str| n.trim_end_matches(".mid").to_string();
    // The label file lives inside its corpus's folder, not beside the folder of corpora.
    std::fs::write(
        root.join("emo/labels.csv"),
        format!(
            "clip,quadrant,split\n{},2,train\n{},4,train\n",
            stem(q2),
            stem(q4)
        ),
    )
    .unwrap();
    let essen = common::shared_data().join("essen/midi");
    let mut songs: Vec<_> = std::fs::read_dir(&essen)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    songs.sort();
    for (i, f) in songs.iter().take(3).enumerate() {
        let to = if i < 2 { "folk" } else { "other" };
        std::fs::copy(f, root.join(to).join(f.file_name().unwrap())).unwrap();
    }
    let config = DataConfig {
        cache: Some(dir.path().join("cache.etok")),
        conditions: vec![Condition::Emotion, Condition::Style],
        label: LabelSource::Folder,
        folders: vec!["emo".into(), "folk".into()],
        folder_names: [("folk".to_string(), "folk-songs".to_string())].into(),
        // Training passes see each (training) clip of `emo` twice.
        folder_repeats: [("emo".to_string(), 2)].into(),
        ..DataConfig::default()
    };
    config.validate().unwrap();
    let TaskData::Tokens(t) = TaskData::load(&root, &config).unwrap().0 else {
        panic!("MIDI gives tokens")
    };
    assert_eq!(t.classes, ["emo", "folk-songs"]);
    let all: Vec<(&String, &Vec<u32>, Option<u32>)> = (0..3)
        .flat_map(|s| {
            t.ids[s]
                .iter()
                .zip(&t.splits[s])
                .zip(&t.labels[s])
                .map(|((id, seq), l)| (id, seq, *l))
        })
        .collect();
    assert_eq!(
        all.len(),
        2 * 2 + 2,
        "the folder not listed is left out; emo's two clips count twice"
    );
    for (id, seq, label) in all {
        let head: Vec<Token> = seq[..4]
            .iter()
            .map(|&x| t.vocab.token(x).unwrap())
            .collect();
        if id.starts_with("emo/") {
            let q = if id.contains("Q2_") { 2 } else { 4 };
            assert_eq!(
                head[..3],
                [Token::Bos, Token::Emotion(q), Token::Style(0)],
                "{id}"
            );
            assert_eq!(label, Some(0));
            assert_eq!(t.control_prefix_len(seq), 3);
        } else {
            assert!(id.starts_with("folk/"), "{id}");
            assert_eq!(head[..2], [Token::Bos, Token::Style(1)], "{id}");
            assert!(!matches!(head[2], Token::Emotion(_) | Token::Style(_)));
            assert_eq!(label, Some(1));
        }
    }
    // Style conditioning without the list of corpora is refused, naming the field.
    let e = DataConfig {
        conditions: vec![Condition::Style],
        ..DataConfig::default()
    }
    .validate()
    .unwrap_err();
    assert!(e.contains("data.folders"), "{e}");
}
