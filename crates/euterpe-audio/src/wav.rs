//! Mono signals written as 32-bit float WAV, atomically.

use std::io::Cursor;
use std::path::Path;

use euterpe_base::{write_atomically, FileError};

use crate::AudioError;

/// Writes a mono float WAV file (readable by librosa, soundfile, every DAW).
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), AudioError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut bytes = Cursor::new(Vec::with_capacity(samples.len() * 4 + 64));
    let encode = |bytes: &mut Cursor<Vec<u8>>| -> Result<(), hound::Error> {
        let mut writer = hound::WavWriter::new(bytes, spec)?;
        for &s in samples {
            writer.write_sample(s)?;
        }
        writer.finalize()
    };
    encode(&mut bytes).map_err(|e| FileError::new(path, std::io::Error::other(e.to_string())))?;
    write_atomically(path, |w| w.write_all(bytes.get_ref()))?;
    Ok(())
}
