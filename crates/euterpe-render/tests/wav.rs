//! WAV files from the built-in synthesiser, read back with hound.

mod common;

use common::{emopia_clip, peak_rms, read_wav, score_of};
use euterpe_music::midi::read_midi_file;
use euterpe_music::Score;
use euterpe_render::{render_to_wav, RenderError, RenderOptions};

/// −1 dBFS as a fraction of full scale.
const TARGET: f64 = 0.891_250_9;

#[test]
fn real_clip_renders_to_a_normalised_wav_of_the_right_length() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.wav");
    let options = RenderOptions::default();
    let summary = render_to_wav(&score, &path, &options).unwrap();

    let (spec, samples) = read_wav(&path);
    assert_eq!(spec.sample_rate, 44_100);
    assert_eq!(spec.channels, 2);
    assert_eq!(spec.bits_per_sample, 16);
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    let frames = samples.len() as f64 / 2.0;
    let expected = score.duration_seconds() + options.tail_seconds;
    assert!(score.duration_seconds() > 10.0);
    assert!(
        (frames / 44_100.0 - expected).abs() <= 1.0 / 44_100.0,
        "{} s of audio for {} s expected",
        frames / 44_100.0,
        expected
    );
    assert_eq!(summary.frames as f64, frames);

    let (peak, rms) = peak_rms(&samples);
    assert!(peak <= 1.0);
    assert!((peak - TARGET).abs() < 1e-3, "peak {peak}");
    assert!(rms > 0.03, "rms {rms} is near silence");
    assert_eq!(summary.clipped_samples, 0);
    assert!((summary.peak as f64 - peak).abs() < 1e-6);
    assert!((summary.rms as f64 - rms).abs() < 1e-4);

    // Sound where the notes are: the first second after the first onset is not silent.
    let map = score.tempo_map();
    let first = score
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter())
        .map(|n| n.onset)
        .min()
        .unwrap();
    let at = (map.seconds_at(first) * 44_100.0) as usize * 2;
    let (_, rms_start) = peak_rms(&samples[at..at + 88_200]);
    assert!(rms_start > 0.01, "rms {rms_start} after the first onset");

    // The file is in place with no temporary files beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("clip.wav")]);
}

#[test]
fn same_input_gives_byte_identical_files() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    let options = RenderOptions {
        channels: 1,
        ..RenderOptions::default()
    };
    render_to_wav(&score, &a, &options).unwrap();
    render_to_wav(&score, &b, &options).unwrap();
    let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(x.len() > 44 + 2 * 44_100);
    assert!(x == y, "two renders of the same score differ");
}

#[test]
fn mono_output_at_another_rate() {
    let score = score_of(
        0,
        false,
        &[(0, 960, 60, 100), (0, 960, 64, 90), (960, 480, 67, 110)],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wav");
    let options = RenderOptions {
        sample_rate: 22_050,
        channels: 1,
        tail_seconds: 0.5,
        ..RenderOptions::default()
    };
    let summary = render_to_wav(&score, &path, &options).unwrap();
    let (spec, samples) = read_wav(&path);
    assert_eq!((spec.sample_rate, spec.channels), (22_050, 1));
    // 1.5 s of notes at 120 BPM plus 0.5 s of tail.
    assert_eq!(samples.len(), 44_100);
    assert!((summary.seconds - 2.0).abs() < 1e-9);
    let (peak, _) = peak_rms(&samples);
    assert!((peak - TARGET).abs() < 1e-3);
}

#[test]
fn drum_track_produces_sound_at_each_hit() {
    // Kick, snare, closed hat, crash, a beat (0.5 s) apart.
    let hits = [
        (0, 120, 36, 110),
        (480, 120, 38, 110),
        (960, 120, 42, 110),
        (1440, 120, 49, 110),
    ];
    let score = score_of(0, true, &hits);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drums.wav");
    let options = RenderOptions {
        channels: 1,
        ..RenderOptions::default()
    };
    render_to_wav(&score, &path, &options).unwrap();
    let (_, samples) = read_wav(&path);
    for (i, _) in hits.iter().enumerate() {
        let at = i * 22_050;
        let (peak, _) = peak_rms(&samples[at..at + 4410]);
        assert!(peak > 0.05, "hit {i}: peak {peak}");
    }
    // The kick is lower than the hat: far fewer sign changes in its first 50 ms.
    let crossings = |s: &[i16]| s.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    let kick = crossings(&samples[..2205]);
    let hat = crossings(&samples[44_100..44_100 + 2205]);
    assert!(kick * 5 < hat, "kick {kick} vs hat {hat} crossings");
}

#[test]
fn fixed_gain_is_a_single_pass_that_counts_clipping() {
    let score = score_of(
        0,
        false,
        &[(0, 960, 60, 127), (0, 960, 64, 127), (0, 960, 67, 127)],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loud.wav");
    let options = RenderOptions {
        normalize_dbfs: None,
        gain: 20.0,
        ..RenderOptions::default()
    };
    let summary = render_to_wav(&score, &path, &options).unwrap();
    assert!(summary.clipped_samples > 0);
    assert_eq!(summary.gain, 20.0);
    let (_, samples) = read_wav(&path);
    assert_eq!(samples.iter().map(|s| s.unsigned_abs()).max(), Some(32767));
}

#[test]
fn empty_score_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.wav");
    let mut score = Score::new(480);
    score.tracks.push(euterpe_music::Track::new("empty", 0));
    let err = render_to_wav(&score, &path, &RenderOptions::default()).unwrap_err();
    assert!(matches!(err, RenderError::EmptyScore), "{err}");
    assert!(!path.exists());
}

#[test]
fn bad_options_are_errors() {
    let score = score_of(0, false, &[(0, 480, 60, 100)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    for options in [
        RenderOptions {
            channels: 3,
            ..RenderOptions::default()
        },
        RenderOptions {
            sample_rate: 100,
            ..RenderOptions::default()
        },
        RenderOptions {
            normalize_dbfs: Some(3.0),
            ..RenderOptions::default()
        },
        RenderOptions {
            block_frames: 0,
            ..RenderOptions::default()
        },
        RenderOptions {
            tail_seconds: f64::NAN,
            ..RenderOptions::default()
        },
    ] {
        let err = render_to_wav(&score, &path, &options).unwrap_err();
        assert!(matches!(err, RenderError::InvalidOptions(_)), "{err}");
    }
    // A SoundFont needs at least 16 kHz.
    let sf2 = dir.path().join("t.sf2");
    std::fs::write(&sf2, common::tiny_sf2()).unwrap();
    let options = RenderOptions {
        sample_rate: 8_000,
        soundfont: Some(sf2),
        ..RenderOptions::default()
    };
    let err = render_to_wav(&score, &path, &options).unwrap_err();
    assert!(matches!(err, RenderError::InvalidOptions(_)), "{err}");
    assert!(!path.exists());
}

#[test]
fn unwritable_destination_names_the_file() {
    let score = score_of(0, false, &[(0, 480, 60, 100)]);
    // A folder cannot be made inside a regular file, whoever runs the test.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let path = file.join("out.wav");
    let err = render_to_wav(&score, &path, &RenderOptions::default()).unwrap_err();
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    assert!(!path.exists());
}
