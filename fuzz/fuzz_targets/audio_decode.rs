//! Fuzzes audio decoding (`decode_bytes`: symphonia's probe, WAV/FLAC/MP3/Ogg Vorbis decoders,
//! euterpe's rate, length and finiteness checks) and the features of what decodes.
//!
//! Any bytes give a mono signal or an error; a signal gives finite MFCC and chroma (its first
//! two seconds, so that an execution stays cheap).
#![no_main]

use std::path::Path;

use euterpe_audio::{decode_bytes, features, FeatureConfig, FeatureKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // No extension: the format is found from the bytes alone.
    let Ok(decoded) = decode_bytes(data.to_vec(), Path::new("fuzz-input")) else {
        return;
    };
    let audio = decoded.audio;
    assert!(!audio.samples.is_empty());
    let n = audio.samples.len().min(2 * audio.sample_rate as usize);
    for kind in [FeatureKind::Mfcc, FeatureKind::Chroma] {
        let m = features::compute(&audio.samples[..n], audio.sample_rate, &FeatureConfig::new(kind))
            .expect("default features are valid at every accepted rate");
        assert!(m.data.iter().all(|v| v.is_finite()), "features must be finite");
    }
});
