//! Audio files to mono `f32` samples: WAV, FLAC, MP3 and Ogg Vorbis through symphonia.
//!
//! Samples are scaled as librosa (through libsndfile) scales them: a 16-bit sample `s` becomes
//! `s / 32768`. Several channels are averaged to one, as `librosa.to_mono` does. Encoder delay
//! and padding are trimmed where the file records them (gapless MP3), as mpg123 does for librosa.

use std::fs::File;
use std::path::{Path, PathBuf};

use euterpe_base::FileError;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::AudioError;

/// The lowest sample rate accepted: below it a file is damaged, not audio.
pub const MIN_SAMPLE_RATE: u32 = 1_000;
/// The highest sample rate accepted (the highest that studio formats use).
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// The largest sample magnitude accepted. Full scale is 1; some tools write float files in the
/// integer range (±32,768 or ±8,388,608), which passes; beyond 1e9 the spectrum's power would
/// overflow `f32`, and such numbers are damage, not sound. (Found by fuzzing.)
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1e9;
/// Undecodable packets tolerated (and skipped) per file before it is called damaged: real MP3s
/// sometimes carry a broken frame or two.
const MAX_SKIPPED_PACKETS: usize = 8;

/// A mono signal and its sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples in [-1, 1] (a clipped float file may exceed it).
    pub samples: Vec<f32>,
    /// Samples per second.
    pub sample_rate: u32,
}

impl Audio {
    /// The length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// What the file held before mixing and resampling.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// The codec's short name (`pcm_s16le`, `mp3`, `flac`, `vorbis`).
    pub codec: String,
    /// Channels in the file.
    pub channels: usize,
    /// The file's sample rate.
    pub sample_rate: u32,
    /// Undecodable packets that were skipped.
    pub skipped_packets: usize,
}

/// A decoded file: its mono signal at the file's own rate, and what it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The mono signal at the file's sample rate.
    pub audio: Audio,
    /// The file's codec, channels and rate.
    pub info: SourceInfo,
}

/// How [`load`] prepares a signal.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Resample to this rate; `None` keeps the file's rate (librosa's `sr=None`).
    pub sample_rate: Option<u32>,
}

impl Default for LoadOptions {
    /// 22,050 Hz, librosa's default.
    fn default() -> Self {
        LoadOptions {
            sample_rate: Some(22_050),
        }
    }
}

/// Decodes a file to mono and resamples it as `options` say: `librosa.load(path, sr=…)`.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Audio, AudioError> {
    let decoded = decode(path)?;
    match options.sample_rate {
        Some(rate) if rate != decoded.audio.sample_rate => Ok(Audio {
            samples: crate::resample::resample(
                &decoded.audio.samples,
                decoded.audio.sample_rate,
                rate,
            )?,
            sample_rate: rate,
        }),
        _ => Ok(decoded.audio),
    }
}

/// Decodes the first audio track of a file to mono at its own sample rate.
pub fn decode(path: &Path) -> Result<Decoded, AudioError> {
    let file = File::open(path).map_err(|e| FileError::new(path, e))?;
    decode_guarded(Box::new(file), path)
}

/// Decodes audio held in memory (an upload); `name` is used in messages and its extension
/// as a hint to the format.
pub fn decode_bytes(bytes: Vec<u8>, name: &Path) -> Result<Decoded, AudioError> {
    decode_guarded(Box::new(std::io::Cursor::new(bytes)), name)
}

fn decode_guarded(source: Box<dyn MediaSource>, path: &Path) -> Result<Decoded, AudioError> {
    // symphonia panics on some malformed headers (a 0 Hz rate divides by zero): a user's file
    // gets an error, not a crash.
    euterpe_base::guarded(|| decode_source(source, path)).unwrap_or_else(|panic| {
        Err(AudioError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("the decoder failed: {panic}"),
        })
    })
}

fn decode_source(mut source: Box<dyn MediaSource>, path: &Path) -> Result<Decoded, AudioError> {
    crate::precheck::check_comments(&mut source).map_err(|reason| AudioError::Damaged {
        path: path.to_path_buf(),
        seconds: 0.0,
        reason,
    })?;
    let stream = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format_options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &format_options, &MetadataOptions::default())
        .map_err(|e| unsupported(path, e))?;
    let mut reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::Unsupported {
            path: path.to_path_buf(),
            reason: "no audio track".into(),
        })?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let rate = params.sample_rate.unwrap_or(0);
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        return Err(AudioError::SampleRate {
            path: path.to_path_buf(),
            rate,
        });
    }
    let codecs = symphonia::default::get_codecs();
    let codec = codecs
        .get_codec(params.codec)
        .map_or_else(|| "unknown".to_string(), |d| d.short_name.to_string());
    let mut decoder = codecs
        .make(&params, &DecoderOptions::default())
        .map_err(|e| unsupported(path, e))?;

    let mut mono = MonoMixer::new(path, rate);
    let mut skipped = 0usize;
    loop {
        let packet = match reader.next_packet() {
            Ok(packet) => packet,
            // The end of the stream (symphonia reports it as an unexpected end of file).
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break
            }
            Err(e) => return Err(mono.damaged(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => mono.push(buffer),
            Err(SymphoniaError::DecodeError(reason)) => {
                skipped += 1;
                tracing::debug!("{}: skipped a packet: {reason}", path.display());
                if skipped > MAX_SKIPPED_PACKETS {
                    return Err(mono.damaged(SymphoniaError::DecodeError(reason)));
                }
            }
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break
            }
            Err(e) => return Err(mono.damaged(e)),
        }
    }
    let channels = mono.channels.max(params.channels.map_or(0, |c| c.count()));
    let samples = mono.finish()?;
    if let Some(expected) = params.n_frames {
        check_length(path, expected, samples.len() as u64, rate, &params)?;
    }
    Ok(Decoded {
        audio: Audio {
            samples,
            sample_rate: rate,
        },
        info: SourceInfo {
            codec,
            channels,
            sample_rate: rate,
            skipped_packets: skipped,
        },
    })
}

/// A file whose header announces more frames than its data holds is truncated. Lossy codecs
/// may differ from the header by a few packets (delay, padding), which is tolerated.
fn check_length(
    path: &Path,
    expected: u64,
    decoded: u64,
    rate: u32,
    params: &symphonia::core::codecs::CodecParameters,
) -> Result<(), AudioError> {
    let per_packet = u64::from(params.max_frames_per_packet.unwrap_or(4_608) as u32);
    let tolerance = 4 * per_packet + expected / 200;
    if decoded + tolerance < expected {
        return Err(AudioError::Truncated {
            path: path.to_path_buf(),
            expected_seconds: expected as f64 / f64::from(rate),
            decoded_seconds: decoded as f64 / f64::from(rate),
        });
    }
    Ok(())
}

fn unsupported(path: &Path, e: SymphoniaError) -> AudioError {
    AudioError::Unsupported {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Collects decoded buffers as one mono signal.
struct MonoMixer {
    path: PathBuf,
    rate: u32,
    channels: usize,
    interleaved: Option<SampleBuffer<f32>>,
    samples: Vec<f32>,
}

impl MonoMixer {
    fn new(path: &Path, rate: u32) -> Self {
        MonoMixer {
            path: path.to_path_buf(),
            rate,
            channels: 0,
            interleaved: None,
            samples: Vec::new(),
        }
    }

    fn push(&mut self, buffer: symphonia::core::audio::AudioBufferRef<'_>) {
        let spec = *buffer.spec();
        let frames = buffer.frames();
        if frames == 0 {
            return;
        }
        let needed = frames * spec.channels.count();
        let interleaved = match &mut self.interleaved {
            Some(b) if b.capacity() >= needed => b,
            slot => slot.insert(SampleBuffer::new(frames as u64, spec)),
        };
        interleaved.copy_interleaved_ref(buffer);
        let channels = spec.channels.count().max(1);
        self.channels = self.channels.max(channels);
        let data = interleaved.samples();
        if channels == 1 {
            self.samples.extend_from_slice(data);
        } else {
            // The mean of the channels, as librosa.to_mono.
            let scale = 1.0 / channels as f32;
            self.samples.extend(
                data.chunks_exact(channels)
                    .map(|frame| frame.iter().sum::<f32>() * scale),
            );
        }
    }

    fn damaged(&self, e: SymphoniaError) -> AudioError {
        AudioError::Damaged {
            path: self.path.clone(),
            seconds: self.samples.len() as f64 / f64::from(self.rate),
            reason: e.to_string(),
        }
    }

    fn finish(self) -> Result<Vec<f32>, AudioError> {
        if self.samples.is_empty() {
            return Err(AudioError::Empty { path: self.path });
        }
        // A float file may hold NaN or infinity; librosa refuses such a buffer too.
        if let Some(i) = self.samples.iter().position(|s| !s.is_finite()) {
            return Err(AudioError::Damaged {
                path: self.path,
                seconds: i as f64 / f64::from(self.rate),
                reason: "a sample is not a finite number (NaN or infinity)".into(),
            });
        }
        if let Some(i) = self
            .samples
            .iter()
            .position(|s| s.abs() > MAX_SAMPLE_MAGNITUDE)
        {
            return Err(AudioError::Damaged {
                path: self.path,
                seconds: i as f64 / f64::from(self.rate),
                reason: format!(
                    "a sample of magnitude {:.3e} is far beyond full scale (1): not audio",
                    self.samples[i].abs()
                ),
            });
        }
        Ok(self.samples)
    }
}
