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
