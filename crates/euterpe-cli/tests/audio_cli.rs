//! `euterpe audio features|clips|stats` on real recordings: arrays equal to librosa's, clips a
//! user can open, folders that skip and report a bad file, clear errors.

use std::path::{Path, PathBuf};

use euterpe_audio::npy::read_npy;
use euterpe_testkit::shared_data;

mod common;
use common::{euterpe, ok, s};

fn audio(name: &str) -> PathBuf {
    shared_data().join("audio").join(name)
}

#[test]
fn mfcc_of_a_recording_equals_librosas() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.npy");
    let wav = audio("sonicpi_ambi_piano_22k_mono.wav");
    let stdout = ok(&euterpe(&[
        "audio",
        "features",
        s(&wav),
        "--kind",
        "mfcc",
        "--out",
        s(&out),
    ]));
    assert!(stdout.contains("20 × 122"), "{stdout}");
    let ours = read_npy(&out).unwrap();
    let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../euterpe-audio/tests/data/ambi_piano_mfcc.npy");
    let theirs = read_npy(&reference).unwrap();
    assert_eq!((ours.rows, ours.cols), (theirs.rows, theirs.cols));
    let scale = theirs.data.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let worst = ours
        .data
        .iter()
        .zip(&theirs.data)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst / scale <= 1e-4, "relative error {}", worst / scale);
}

#[test]
fn a_folder_gives_a_folder_of_arrays_and_a_bad_file_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::copy(
        audio("sonicpi_loop_amen_full_22k_mono.wav"),
        input.join("sub/amen.wav"),
    )
    .unwrap();
    std::fs::copy(
        shared_data().join("mer4q/audio/MT0000011975.mp3"),
        input.join("song.mp3"),
    )
    .unwrap();
    std::fs::write(input.join("broken.wav"), b"not a wav").unwrap();
    let out_dir = dir.path().join("out");
    let out = euterpe(&[
        "audio",
        "features",
        s(&input),
        "--kind",
        "log-mel",
        "--n-mels",
        "64",
        "--out",
        s(&out_dir),
        "--jobs",
        "2",
    ]);
    let stdout = ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("wrote 2 log-mel arrays"), "{stdout}");
    assert!(
        stderr.contains("skipped") && stderr.contains("broken.wav"),
        "{stderr}"
    );
    let amen = read_npy(&out_dir.join("sub/amen.npy")).unwrap();
    // 6.857 s at 22,050 Hz: 151,200 samples, 1 + 151200 / 512 frames.
    assert_eq!((amen.rows, amen.cols), (64, 296));
    let song = read_npy(&out_dir.join("song.npy")).unwrap();
    assert_eq!((song.rows, song.cols), (64, 1 + 662_823 / 512));
    // Log-mel in dB, floored 80 dB below its maximum.
    let max = song.data.iter().fold(f32::MIN, |m, v| m.max(*v));
    let min = song.data.iter().fold(f32::MAX, |m, v| m.min(*v));
    assert!((max - min - 80.0).abs() < 1e-3, "range {min}..{max}");
    assert!(!out_dir.join("broken.npy").exists());
}

#[test]
fn clips_are_fixed_length_normalised_wavs() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("clips");
    let wav = audio("sonicpi_loop_amen_full_22k_mono.wav");
    let stdout = ok(&euterpe(&[
        "audio",
        "clips",
        s(&wav),
        "--seconds",
        "2",
        "--sr",
        "16000",
        "--out",
        s(&out_dir),
    ]));
    assert!(stdout.contains("wrote 3 clips"), "{stdout}");
    for i in 0..3 {
        let path = out_dir.join(format!("sonicpi_loop_amen_full_22k_mono_{i:03}.wav"));
        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), 32_000);
        let peak = samples.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 1.0).abs() < 1e-6, "clip {i}: peak {peak}");
    }
    // The last 0.86 s is dropped without --pad and kept, padded, with it.
    let padded = dir.path().join("padded");
    let stdout = ok(&euterpe(&[
        "audio",
        "clips",
        s(&wav),
        "--seconds",
        "2",
        "--pad",
        "--out",
        s(&padded),
    ]));
    assert!(stdout.contains("wrote 4 clips"), "{stdout}");
}

#[test]
fn stats_describe_a_folder() {
    let out = euterpe(&["audio", "stats", s(&shared_data().join("audio")), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(report["files"], 4);
    assert_eq!(report["sample_rates"]["22050"], 4);
    assert_eq!(report["codecs"]["pcm_s16le"], 4);
    let total = report["total_seconds"].as_f64().unwrap();
    // 82.29 + 2.81 + 6.86 + 60.0 seconds.
    assert!((total - 151.954).abs() < 0.01, "{total}");
}

#[test]
fn bad_requests_fail_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let missing = euterpe(&["audio", "features", "no/such.wav", "--out", s(&out)]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no/such.wav"), "{stderr}");

    let wav = audio("sonicpi_ambi_piano_22k_mono.wav");
    let bad_kind = euterpe(&[
        "audio",
        "features",
        s(&wav),
        "--kind",
        "cqt",
        "--out",
        s(&out),
    ]);
    assert!(!bad_kind.status.success());
    let stderr = String::from_utf8_lossy(&bad_kind.stderr);
    assert!(
        stderr.contains("mfcc") && stderr.contains("chroma"),
        "{stderr}"
    );

    let text = dir.path().join("text.mp3");
    std::fs::write(&text, "hello").unwrap();
    let not_audio = euterpe(&["audio", "features", s(&text), "--out", s(&out)]);
    assert!(!not_audio.status.success());
    let stderr = String::from_utf8_lossy(&not_audio.stderr);
    assert!(
        stderr.contains("text.mp3") && stderr.contains("not a supported audio file"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn features_invert_back_to_sound_with_the_same_spectrum() {
    let dir = tempfile::tempdir().unwrap();
    let wav = audio("sonicpi_ambi_piano_22k_mono.wav");
    let mel = dir.path().join("mel.npy");
    ok(&euterpe(&[
        "audio",
        "features",
        s(&wav),
        "--kind",
        "log-mel",
        "--out",
        s(&mel),
    ]));
    let back = dir.path().join("back.wav");
    let stdout = ok(&euterpe(&[
        "audio",
        "invert",
        s(&mel),
        "--kind",
        "log-mel",
        "--out",
        s(&back),
    ]));
    assert!(stdout.contains("from 122 frames"), "{stdout}");
    let mut reader = hound::WavReader::open(&back).unwrap();
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    assert_eq!(samples.len(), 121 * 512);
    let rms = (samples.iter().map(|v| v * v).sum::<f32>() / samples.len() as f32).sqrt();
    assert!(rms > 0.01, "silent: rms {rms}");
    // The rebuilt sound's log-mel is close to the one it came from.
    let again = dir.path().join("again.npy");
    ok(&euterpe(&[
        "audio",
        "features",
        s(&back),
        "--kind",
        "log-mel",
        "--out",
        s(&again),
    ]));
    let (a, b) = (read_npy(&mel).unwrap(), read_npy(&again).unwrap());
    let loud: Vec<(f32, f32)> = a
        .data
        .iter()
        .zip(&b.data)
        .filter(|(x, _)| **x > -40.0)
        .map(|(x, y)| (*x, *y))
        .collect();
    let mean_db = loud.iter().map(|(x, y)| (x - y).abs()).sum::<f32>() / loud.len() as f32;
    assert!(mean_db < 3.0, "mean log-mel difference {mean_db} dB");

    let chroma = dir.path().join("chroma.npy");
    ok(&euterpe(&[
        "audio",
        "features",
        s(&wav),
        "--kind",
        "chroma",
        "--out",
        s(&chroma),
    ]));
    let refused = euterpe(&[
        "audio",
        "invert",
        s(&chroma),
        "--kind",
        "chroma",
        "--out",
        s(&back),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be turned back"));
}

#[test]
fn an_audio_classifier_trains_and_classifies_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let songs = euterpe_testkit::mer4q_subset(dir.path(), 1);
    let config = dir.path().join("audio.toml");
    std::fs::write(
        &config,
        "[model]\nkind = \"audio_classifier\"\nchannels = 8\nlayers = 2\n\n[data.audio]\nn_mels = 16\n\n[train]\nepochs = 2\nbatch_size = 8\n",
    )
    .unwrap();
    let model = dir.path().join("model");
    ok(&euterpe(&[
        "train",
        "--config",
        s(&config),
        "--data",
        s(&songs),
        "--out",
        s(&model),
    ]));
    let card = std::fs::read_to_string(model.join("card.md")).unwrap();
    assert!(card.contains("audio classifier"), "{card}");

    // A folder of recordings with a file that is not audio: every song gets Q1–Q4 with
    // probabilities, the bad file is listed.
    std::fs::write(songs.join("broken.mp3"), b"not audio").unwrap();
    let out = euterpe(&["classify", s(&songs), "--model", s(&model), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let pieces = report["pieces"].as_array().unwrap();
    assert_eq!(pieces.len(), 8);
    for p in pieces {
        let class = p["class"].as_str().unwrap();
        assert!(["Q1", "Q2", "Q3", "Q4"].contains(&class), "{p}");
        let total: f64 = p["probabilities"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-6);
    }
    assert!(report["failed"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("broken.mp3"));

    // Audio in, music out: the emotion heard in a song conditions the piano model.
    let song = pieces[0]["file"].as_str().unwrap();
    let mid = dir.path().join("answer.mid");
    let out = euterpe(&[
        "generate",
        "--emotion-from",
        song,
        "--emotion-model",
        s(&model),
        "--bars",
        "2",
        "--seed",
        "1",
        "--out",
        s(&mid),
    ]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let heard = pieces[0]["class"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("heard in {song}: {heard}")),
        "{stderr}"
    );
    assert!(std::fs::metadata(&mid).unwrap().len() > 0);

    // MIDI is refused by an audio classifier with a clear reason.
    let midi = shared_data().join("emopia/midi/Q1_0vLPYiPN7qY_0.mid");
    let refused = euterpe(&["classify", s(&midi), "--model", s(&model)]);
    assert!(!refused.status.success());
}

#[test]
fn the_shipped_audio_emotion_model_beats_the_majority_class_on_mer4q_valid() {
    let data = shared_data().join("mer4q");
    let out = euterpe(&[
        "eval",
        "--model",
        "audio-emotion",
        "--data",
        s(&data),
        "--split",
        "valid",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let figures = &report["classification"];
    let songs = figures["pieces"].as_u64().unwrap() as f64;
    assert_eq!(songs, 140.0, "{figures}");
    // The largest quadrant of the 140 validation songs is 40 (Q2): always answering it scores
    // .29; chance is .25.
    let confusion = figures["confusion"].as_array().unwrap();
    let largest = confusion
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .sum::<u64>()
        })
        .max()
        .unwrap() as f64;
    let accuracy = figures["accuracy"].as_f64().unwrap();
    assert!(
        accuracy > largest / songs + 0.25,
        "accuracy {accuracy} against the majority's {}",
        largest / songs
    );
}

#[test]
fn generate_audio_writes_sound_of_an_emotion_and_continues_a_primer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sad.wav");
    let report: serde_json::Value = serde_json::from_str(&ok(&euterpe(&[
        "generate-audio",
        "--emotion",
        "sad",
        "--seconds",
        "2",
        "--seed",
        "3",
        "--out",
        s(&out),
        "--json",
    ])))
    .unwrap();
    assert_eq!(report["class"], "Q3");
    assert_eq!(report["seed"], 3);
    assert_eq!(report["model"], "audio-lstm");
    let sound = euterpe_audio::load(&out, &euterpe_audio::LoadOptions::default()).unwrap();
    assert_eq!(sound.sample_rate, 22_050);
    assert!((sound.seconds() - 2.0).abs() < 0.1, "{} s", sound.seconds());
    let rms =
        (sound.samples.iter().map(|x| x * x).sum::<f32>() / sound.samples.len() as f32).sqrt();
    assert!(rms > 0.01, "silent (RMS {rms})");

    let continued = dir.path().join("continued.wav");
    let report: serde_json::Value = serde_json::from_str(&ok(&euterpe(&[
        "generate-audio",
        "--primer",
        s(&audio("sonicpi_ambi_piano_22k_mono.wav")),
        "--seconds",
        "1",
        "--out",
        s(&continued),
        "--json",
    ])))
    .unwrap();
    assert!(report["primer_frames"].as_u64().unwrap() > 100, "{report}");
    assert!(report["seconds"].as_f64().unwrap() > 2.0, "{report}");
}

#[test]
fn generate_audio_refuses_bad_requests_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    let not_audio = dir.path().join("notes.mp3");
    std::fs::write(&not_audio, b"these are not samples").unwrap();
    for (args, expected) in [
        (vec!["--model", "folk"], "audio_lm"),
        (vec!["--emotion", "ecstatic"], "happy"),
        (vec!["--seconds", "0"], "seconds"),
        (vec!["--primer", s(&not_audio)], "notes.mp3"),
    ] {
        let mut all = vec!["generate-audio", "--out", s(&out)];
        all.extend(args.iter().copied());
        let run = euterpe(&all);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists());
}
