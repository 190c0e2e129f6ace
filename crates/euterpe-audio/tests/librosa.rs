//! Features of a real recording against librosa 0.11's own output, produced by
//! `tests/data/make_reference.py` (see its header for how to run it).

use std::path::{Path, PathBuf};

use euterpe_audio::npy::read_npy;
use euterpe_audio::{decode, features, FeatureConfig, FeatureKind, Matrix};

fn reference(name: &str) -> Matrix {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    read_npy(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn ambi_piano() -> PathBuf {
    euterpe_testkit::shared_data().join("audio/sonicpi_ambi_piano_22k_mono.wav")
}

/// max |a − b| / max |b|, the measure the issue sets (≤ 1e-4).
fn relative_error(ours: &Matrix, theirs: &Matrix) -> f64 {
    assert_eq!(
        (ours.rows, ours.cols),
        (theirs.rows, theirs.cols),
        "shapes differ"
    );
    let scale = theirs
        .data
        .iter()
        .fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    let worst = ours
        .data
        .iter()
        .zip(&theirs.data)
        .fold(0.0f64, |m, (a, b)| m.max(f64::from((a - b).abs())));
    let e = worst / scale;
    eprintln!("max |difference| {worst:e}, relative error {e:e}");
    e
}

fn features_of(path: &Path, kind: FeatureKind) -> Matrix {
    let audio = decode(path).unwrap().audio;
    assert_eq!(audio.sample_rate, 22_050);
    features::compute(&audio.samples, audio.sample_rate, &FeatureConfig::new(kind)).unwrap()
}

#[test]
fn decoding_matches_librosa_load() {
    let audio = decode(&ambi_piano()).unwrap().audio;
    // reference.json: 61,999 samples, int16 / 32768, peak 0.86932373046875.
    assert_eq!(audio.samples.len(), 61_999);
    assert_eq!(audio.samples[1], -1.0 / 32_768.0);
    let peak = audio.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert_eq!(peak, 0.869_323_73);
}

#[test]
fn mfcc_matches_librosa() {
    let ours = features_of(&ambi_piano(), FeatureKind::Mfcc);
    let theirs = reference("ambi_piano_mfcc.npy");
    assert_eq!((ours.rows, ours.cols), (20, 122));
    let e = relative_error(&ours, &theirs);
    assert!(e <= 1e-4, "MFCC relative error {e:e}");
}

#[test]
fn mel_spectrogram_matches_librosa() {
    let ours = features_of(&ambi_piano(), FeatureKind::Mel);
    let e = relative_error(&ours, &reference("ambi_piano_mel.npy"));
    assert!(e <= 1e-4, "mel relative error {e:e}");
}

#[test]
fn stft_magnitude_matches_librosa() {
    let ours = features_of(&ambi_piano(), FeatureKind::Stft);
    let e = relative_error(&ours, &reference("ambi_piano_stft_mag.npy"));
    assert!(e <= 1e-4, "STFT relative error {e:e}");
}

#[test]
fn chroma_matches_librosa() {
    let ours = features_of(&ambi_piano(), FeatureKind::Chroma);
    let e = relative_error(&ours, &reference("ambi_piano_chroma.npy"));
    assert!(e <= 1e-4, "chroma relative error {e:e}");
}
