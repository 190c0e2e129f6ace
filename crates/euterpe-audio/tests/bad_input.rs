//! Files that are not good audio get an error that names the file and the reason, never a panic.

use std::path::{Path, PathBuf};

use euterpe_audio::{decode, AudioError};

/// A canonical 44-byte WAV header: PCM `format` tag, mono, 16-bit, `rate` Hz, announcing
/// `data_bytes` bytes of data, followed by `actual` bytes of silence.
fn wav(format: u16, rate: u32, data_bytes: u32, actual: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&format.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&rate.wrapping_mul(2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_bytes.to_le_bytes());
    b.extend(std::iter::repeat_n(0u8, actual));
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The error, checked to name the file.
fn error_of(path: &Path) -> AudioError {
    let e = decode(path).expect_err("bad input must be an error");
    let message = e.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
    e
}

#[test]
fn a_text_file_is_not_audio() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "notes.wav", b"these are not samples\n");
    assert!(matches!(error_of(&path), AudioError::Unsupported { .. }));
    let path = write(dir.path(), "empty.mp3", b"");
    assert!(matches!(error_of(&path), AudioError::Unsupported { .. }));
}

#[test]
fn a_zero_length_wav_holds_no_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "zero.wav", &wav(1, 22_050, 0, 0));
    let e = error_of(&path);
    assert!(matches!(e, AudioError::Empty { .. }), "{e}");
}

#[test]
fn impossible_sample_rates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, rate) in [("zero_hz.wav", 0u32), ("ten_mhz.wav", 10_000_000)] {
        let path = write(dir.path(), name, &wav(1, rate, 2_000, 2_000));
        let e = error_of(&path);
        assert!(
            matches!(
                e,
                AudioError::SampleRate { .. } | AudioError::Unsupported { .. }
            ),
            "{name}: {e}"
        );
    }
    let e = error_of(&write(
        dir.path(),
        "ten_mhz.wav",
        &wav(1, 10_000_000, 2_000, 2_000),
    ));
    assert!(e.to_string().contains("10000000 Hz"), "{e}");
}

#[test]
fn an_unsupported_codec_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    // Format tag 0x0161: Windows Media Audio in a WAV container.
    let path = write(dir.path(), "wma.wav", &wav(0x0161, 22_050, 2_000, 2_000));
    let e = error_of(&path);
    assert!(matches!(e, AudioError::Unsupported { .. }), "{e}");
}

#[test]
fn truncated_files_say_how_much_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    // A WAV whose header announces 4 s but holds 1 s.
    let path = write(dir.path(), "cut.wav", &wav(1, 22_050, 4 * 44_100, 44_100));
    let e = error_of(&path);
    assert!(matches!(e, AudioError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("4.000 s"), "{e}");

    // A real MP3 (with a LAME header announcing its length) cut in half.
    let mp3 = euterpe_testkit::shared_data().join("mer4q/audio/MT0000011975.mp3");
    let bytes = std::fs::read(mp3).unwrap();
    let path = write(dir.path(), "half.mp3", &bytes[..bytes.len() / 2]);
    let e = error_of(&path);
    assert!(matches!(e, AudioError::Truncated { .. }), "{e}");
}

#[test]
fn damaged_bytes_inside_an_mp3_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mp3 = euterpe_testkit::shared_data().join("mer4q/audio/MT0000011975.mp3");
    let bytes = std::fs::read(mp3).unwrap();
    // Overwrite stretches of the stream with garbage: the decoder skips or refuses, and the
    // outcome is a signal or an error that names the file, never a panic.
    for (i, start) in [2_000usize, 30_000, 60_000].into_iter().enumerate() {
        let mut damaged = bytes.clone();
        for (j, b) in damaged[start..start + 3_000].iter_mut().enumerate() {
            *b = (j * 131 + i * 7) as u8;
        }
        let path = write(dir.path(), &format!("damaged{i}.mp3"), &damaged);
        match decode(&path) {
            Ok(d) => assert!(d.audio.seconds() > 20.0),
            Err(e) => assert!(e.to_string().contains("damaged"), "{e}"),
        }
    }
}

/// A float WAV holding `bad` at sample 11,025 of 22,050 (0.5 s), 0.1 elsewhere.
fn float_wav(dir: &Path, name: &str, bad: f32) -> PathBuf {
    let path = dir.join(name);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..22_050 {
        w.write_sample(if i == 11_025 { bad } else { 0.1 }).unwrap();
    }
    w.finalize().unwrap();
    path
}

#[test]
fn absurd_float_samples_are_refused_and_integer_scaled_floats_pass() {
    let dir = tempfile::tempdir().unwrap();
    // Found by fuzzing: 6e34 in a float WAV made the spectrum's power overflow to infinity.
    let e = error_of(&float_wav(dir.path(), "huge.wav", 6.2e34));
    assert!(e.to_string().contains("far beyond full scale"), "{e}");
    let scaled = decode(&float_wav(dir.path(), "int-scaled.wav", 32_767.0)).unwrap();
    let mfcc = euterpe_audio::features::compute(
        &scaled.audio.samples,
        22_050,
        &euterpe_audio::FeatureConfig::new(euterpe_audio::FeatureKind::Mfcc),
    )
    .unwrap();
    assert!(mfcc.data.iter().all(|v| v.is_finite()));
}

#[test]
fn non_finite_float_samples_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = error_of(&float_wav(dir.path(), "nan.wav", f32::NAN));
    assert!(e.to_string().contains("at 0.500 s"), "{e}");
}

#[test]
fn bytes_in_memory_decode_as_the_file_does() {
    let path = euterpe_testkit::shared_data().join("audio/sonicpi_ambi_piano_22k_mono.wav");
    let from_file = decode(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let from_memory = euterpe_audio::decode_bytes(bytes, Path::new("upload.wav")).unwrap();
    assert_eq!(from_file, from_memory);
    let e = euterpe_audio::decode_bytes(b"junk".to_vec(), Path::new("upload.mp3")).unwrap_err();
    assert!(e.to_string().contains("upload.mp3"), "{e}");
}
