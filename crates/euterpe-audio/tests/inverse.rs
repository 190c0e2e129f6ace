//! Back from features to sound, on a real recording: the inverse STFT reconstructs the signal,
//! Griffin-Lim recovers a signal with the given magnitudes, NNLS inverts the mel projection, and
//! MFCCs invert to the log-mel they came from.

use euterpe_audio::inverse::{
    griffin_lim, istft, mel_to_stft, mfcc_to_mel, spectral_convergence, GriffinLimOptions,
    Spectrogram,
};
use euterpe_audio::mel::{MelConfig, MelFilterbank};
use euterpe_audio::stft::StftConfig;
use euterpe_audio::{decode, features, FeatureConfig, FeatureKind, Matrix};

fn ambi_piano() -> Vec<f32> {
    let path = euterpe_testkit::shared_data().join("audio/sonicpi_ambi_piano_22k_mono.wav");
    decode(&path).unwrap().audio.samples
}

fn magnitudes(samples: &[f32]) -> Matrix {
    features::compute(samples, 22_050, &FeatureConfig::new(FeatureKind::Stft)).unwrap()
}

#[test]
fn the_inverse_stft_gives_the_signal_back() {
    let x = ambi_piano();
    let config = StftConfig::default();
    let spectrogram = Spectrogram::of(&x, config).unwrap();
    let y = istft(&spectrogram, config, Some(x.len())).unwrap();
    assert_eq!(y.len(), x.len());
    let worst = x
        .iter()
        .zip(&y)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst < 1e-5, "reconstruction error {worst}");
}

#[test]
fn griffin_lim_recovers_a_signal_with_the_magnitudes_asked_for() {
    let x = ambi_piano();
    let target = magnitudes(&x);
    let config = StftConfig::default();
    let convergence = |iterations: usize| {
        let options = GriffinLimOptions {
            iterations,
            length: Some(x.len()),
            ..GriffinLimOptions::default()
        };
        let y = griffin_lim(&target, config, &options).unwrap();
        assert_eq!(y.len(), x.len());
        spectral_convergence(&target, &magnitudes(&y))
    };
    let random_phase = convergence(0);
    let fast_griffin_lim = convergence(32);
    eprintln!(
        "spectral convergence: random phase {random_phase:.3}, 32 iterations {fast_griffin_lim:.3}"
    );
    assert!(fast_griffin_lim < 0.25, "{fast_griffin_lim}");
    assert!(
        fast_griffin_lim < random_phase / 2.0,
        "{random_phase} → {fast_griffin_lim}"
    );
}

#[test]
fn nnls_inverts_the_mel_projection() {
    let x = ambi_piano();
    let mel = features::compute(&x, 22_050, &FeatureConfig::new(FeatureKind::Mel)).unwrap();
    let bank = MelFilterbank::new(22_050, 2048, &MelConfig::default()).unwrap();
    let linear = mel_to_stft(&mel, &bank, 2.0).unwrap();
    assert_eq!((linear.rows, linear.cols), (1025, mel.cols));
    assert!(linear.data.iter().all(|v| *v >= 0.0));
    // Project the recovered power back onto the mels: it matches the mel spectrogram.
    let mut reprojected = Matrix::zeros(mel.rows, mel.cols);
    let mut power = vec![0.0f32; 1025];
    let mut column = vec![0.0f32; mel.rows];
    for t in 0..mel.cols {
        for (b, p) in power.iter_mut().enumerate() {
            *p = linear.get(b, t).powi(2);
        }
        bank.apply(&power, &mut column);
        for (m, v) in column.iter().enumerate() {
            reprojected.data[m * mel.cols + t] = *v;
        }
    }
    let error = spectral_convergence(&mel, &reprojected);
    eprintln!("mel reprojection error {error:.2e}");
    assert!(error < 0.02, "{error}");
}

#[test]
fn mfccs_invert_to_the_log_mel_they_came_from() {
    let x = ambi_piano();
    let mut config = FeatureConfig::new(FeatureKind::Mfcc);
    config.n_mfcc = 128;
    let mfcc = features::compute(&x, 22_050, &config).unwrap();
    let mel = mfcc_to_mel(&mfcc, 128).unwrap();
    let mut db = FeatureConfig::new(FeatureKind::Mel);
    db.top_db = Some(80.0);
    let original = features::compute(&x, 22_050, &db).unwrap();
    // Exact where the original is above the 80 dB floor that the MFCCs were computed with.
    let max = original.data.iter().fold(0.0f32, |m, v| m.max(*v));
    let floor = max * 1e-8;
    for (a, b) in original.data.iter().zip(&mel.data) {
        if *a > floor {
            assert!((a - b).abs() <= 1e-3 * a, "{a} vs {b}");
        }
    }
}
