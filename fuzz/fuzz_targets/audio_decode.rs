//! Fuzzes audio decoding (`decode_bytes`: symphonia's probe, WAV/FLAC/MP3/Ogg Vorbis decoders,
//! euterpe's rate, length and finiteness checks) and the features of what decodes.
//!
//! Any bytes give a mono signal or an error; a signal gives finite MFCC and chroma (its first
//! two seconds, so that an execution stays cheap).
//!
//! libFuzzer's panic hook aborts on every panic before it unwinds. euterpe catches symphonia's
//! panics on malformed streams (`guarded` around the decoder; fuzz builds also turn its integer
//! overflows into panics), so the hook installed here lets a panic located in symphonia's sources
//! unwind to that guard and prints each location once; any other panic still aborts.
#![no_main]

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use euterpe_audio::{decode_bytes, features, FeatureConfig, FeatureKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        let abort = std::panic::take_hook();
        let seen = Mutex::new(HashSet::new());
        std::panic::set_hook(Box::new(move |info| match info.location() {
            Some(at) if at.file().contains("/symphonia-") => {
                if seen.lock().is_ok_and(|mut s| s.insert(at.to_string())) {
                    eprintln!("symphonia panicked (caught by euterpe): {info}");
                }
            }
            _ => abort(info),
        }));
    },
    |data: &[u8]| {
        // No extension: the format is found from the bytes alone.
        let Ok(decoded) = decode_bytes(data.to_vec(), Path::new("fuzz-input")) else {
            return;
        };
        let audio = decoded.audio;
        assert!(!audio.samples.is_empty());
        let n = audio.samples.len().min(2 * audio.sample_rate as usize);
        for kind in [FeatureKind::Mfcc, FeatureKind::Chroma] {
            let config = FeatureConfig::new(kind);
            let m = features::compute(&audio.samples[..n], audio.sample_rate, &config)
                .expect("default features are valid at every accepted rate");
            assert!(m.data.iter().all(|v| v.is_finite()), "features must be finite");
        }
    }
);
