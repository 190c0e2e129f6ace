//! The streaming renderer: a score in, fixed-size blocks of samples out.
//!
//! Memory is bounded by the score (its event list) and the block size, never by the length of the
//! audio: a [`Renderer`] holds one block of scratch samples and the synthesiser's voices.

use std::path::PathBuf;

use euterpe_music::Score;

use crate::events::{score_events, Event};
use crate::soundfont::{LoadedSoundFont, SoundFontEngine};
use crate::synth::BuiltinSynth;
use crate::RenderError;

/// A synthesiser driven by score events.
pub(crate) trait Engine: Send {
    /// Applies one event at the current position.
    fn apply(&mut self, event: &Event);
    /// Renders the next `left.len()` frames (both slices have the same length), overwriting them.
    fn render(&mut self, left: &mut [f32], right: &mut [f32]);
    /// Why the engine stopped making sound, if it failed (it renders silence from then on).
    fn failure(&self) -> Option<RenderError> {
        None
    }
}

/// How a score is rendered to audio.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Samples per second (default 44,100; 8,000–192,000, and at least 16,000 with a SoundFont).
    pub sample_rate: u32,
    /// 1 (mono, the two synthesiser channels averaged) or 2 (stereo, the default).
    pub channels: u16,
    /// A SoundFont (SF2) to play the score with; `None` uses the built-in synthesiser.
    pub soundfont: Option<PathBuf>,
    /// Normalise so that the loudest sample reaches this level in dBFS (default `Some(-1.0)`);
    /// `None` writes the synthesiser's output times [`gain`](Self::gain) in one pass, clipping
    /// whatever exceeds full scale.
    pub normalize_dbfs: Option<f32>,
    /// Linear gain applied when [`normalize_dbfs`](Self::normalize_dbfs) is `None` (default 1.0).
    pub gain: f32,
    /// Seconds rendered after the end of the last note, for release tails and reverb (default 1.5).
    pub tail_seconds: f64,
    /// Frames per block (default 2,048).
    pub block_frames: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            sample_rate: 44_100,
            channels: 2,
            soundfont: None,
            normalize_dbfs: Some(-1.0),
            gain: 1.0,
            tail_seconds: 1.5,
            block_frames: 2048,
        }
    }
}

impl RenderOptions {
    /// Checks that every value is in range.
    pub fn validate(&self) -> Result<(), RenderError> {
        let bad = |m: String| Err(RenderError::InvalidOptions(m));
        if !(8_000..=192_000).contains(&self.sample_rate) {
            return bad(format!(
                "sample rate {} is outside 8000–192000",
                self.sample_rate
            ));
        }
        if !(1..=2).contains(&self.channels) {
            return bad(format!("channels must be 1 or 2, not {}", self.channels));
        }
        if let Some(db) = self.normalize_dbfs {
            if !(-60.0..=0.0).contains(&db) {
                return bad(format!("normalisation target {db} dBFS is outside -60–0"));
            }
        }
        if !(self.gain.is_finite() && self.gain > 0.0) {
            return bad(format!("gain {} must be finite and positive", self.gain));
        }
        if !(self.tail_seconds.is_finite() && (0.0..=60.0).contains(&self.tail_seconds)) {
            return bad(format!("tail of {} s is outside 0–60", self.tail_seconds));
        }
        if !(1..=65_536).contains(&self.block_frames) {
            return bad(format!(
                "block of {} frames is outside 1–65536",
                self.block_frames
            ));
        }
        Ok(())
    }
}

/// Which synthesiser plays the score.
#[derive(Debug, Clone)]
pub enum Synth {
    /// The built-in synthesiser (no files).
    Builtin,
    /// A SoundFont, already loaded (load once, render many times).
    SoundFont(LoadedSoundFont),
}

impl Synth {
    /// The synthesiser that `options` ask for, loading its SoundFont if any.
    pub fn from_options(options: &RenderOptions) -> Result<Synth, RenderError> {
        match &options.soundfont {
            None => Ok(Synth::Builtin),
            Some(path) => Ok(Synth::SoundFont(LoadedSoundFont::open(path)?)),
        }
    }
}

/// One block of audio.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBlock {
    /// Frame (sample per channel) of the piece at which the block starts.
    pub start_frame: u64,
    /// Channels per frame (1 or 2).
    pub channels: u16,
    /// Interleaved samples, nominally in −1..1 (not normalised: may exceed it).
    pub samples: Vec<f32>,
}

impl AudioBlock {
    /// Frames in the block.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }
}

/// Renders a score block by block: as an iterator of [`AudioBlock`]s of
/// [`block_frames`](Self::block_frames) frames (the last one may be shorter), or into a caller's
/// buffer with [`fill`](Self::fill).
///
/// The output is deterministic: a fresh renderer for the same score and options gives the same
/// samples, whatever the block size.
pub struct Renderer {
    engine: Box<dyn Engine>,
    events: Vec<Event>,
    next_event: usize,
    frame: u64,
    total_frames: u64,
    sample_rate: u32,
    channels: u16,
    block_frames: usize,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("frame", &self.frame)
            .field("total_frames", &self.total_frames)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("block_frames", &self.block_frames)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// A renderer for `score` with the synthesiser that `options` name (loading the SoundFont).
    ///
    /// A score without notes is an error ([`RenderError::EmptyScore`]).
    pub fn new(score: &Score, options: &RenderOptions) -> Result<Self, RenderError> {
        options.validate()?;
        let synth = Synth::from_options(options)?;
        Self::with_synth(score, &synth, options)
    }

    /// A renderer for `score` played by `synth` (`options.soundfont` is ignored).
    pub fn with_synth(
        score: &Score,
        synth: &Synth,
        options: &RenderOptions,
    ) -> Result<Self, RenderError> {
        options.validate()?;
        let events = score_events(score, options.sample_rate);
        if events.is_empty() {
            return Err(RenderError::EmptyScore);
        }
        let engine: Box<dyn Engine> = match synth {
            Synth::Builtin => Box::new(BuiltinSynth::new(score, options.sample_rate)),
            Synth::SoundFont(font) => {
                Box::new(SoundFontEngine::new(font, score, options.sample_rate)?)
            }
        };
        let seconds = score.duration_seconds() + options.tail_seconds;
        let total_frames = (seconds * options.sample_rate as f64).ceil() as u64;
        Ok(Renderer {
            engine,
            events,
            next_event: 0,
            frame: 0,
            total_frames,
            sample_rate: options.sample_rate,
            channels: options.channels,
            block_frames: options.block_frames,
            left: vec![0.0; options.block_frames],
            right: vec![0.0; options.block_frames],
        })
    }

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels per frame.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Frames per block of the iterator.
    pub fn block_frames(&self) -> usize {
        self.block_frames
    }

    /// Frames of the whole piece: its duration plus the tail.
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Frames rendered so far.
    pub fn position(&self) -> u64 {
        self.frame
    }

    /// Why synthesis failed, if it did: the SoundFont synthesiser (rustysynth) panics on some
    /// malformed fonts that load, while playing them. The renderer then continues with silence to
    /// the end of the piece, and [`render_to_wav`](crate::render_to_wav) returns this error instead
    /// of writing the file. Always `None` with the built-in synthesiser.
    pub fn failure(&self) -> Option<RenderError> {
        self.engine.failure()
    }

    /// Renders the next frames into `out` (interleaved, `channels` samples per frame) and returns
    /// how many frames it wrote: `out.len() / channels`, fewer at the end of the piece, 0 after it
    /// (or when `out` holds less than one frame).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let ch = self.channels as usize;
        let want = (out.len() / ch).min((self.total_frames - self.frame) as usize);
        let mut done = 0;
        while done < want {
            while let Some(e) = self.events.get(self.next_event) {
                if e.frame > self.frame {
                    break;
                }
                self.engine.apply(e);
                self.next_event += 1;
            }
            let until_event = self
                .events
                .get(self.next_event)
                .map_or(u64::MAX, |e| e.frame - self.frame);
            let n = (want - done)
                .min(self.left.len())
                .min(until_event.min(usize::MAX as u64) as usize);
            let (l, r) = (&mut self.left[..n], &mut self.right[..n]);
            self.engine.render(l, r);
            let dst = &mut out[done * ch..(done + n) * ch];
            if ch == 2 {
                for (i, frame) in dst.chunks_exact_mut(2).enumerate() {
                    frame[0] = l[i];
                    frame[1] = r[i];
                }
            } else {
                for (i, s) in dst.iter_mut().enumerate() {
                    *s = 0.5 * (l[i] + r[i]);
                }
            }
            done += n;
            self.frame += n as u64;
        }
        want
    }
}

impl Iterator for Renderer {
    type Item = AudioBlock;

    fn next(&mut self) -> Option<AudioBlock> {
        let start_frame = self.frame;
        let mut samples = vec![0.0; self.block_frames * self.channels as usize];
        let frames = self.fill(&mut samples);
        if frames == 0 {
            return None;
        }
        samples.truncate(frames * self.channels as usize);
        Some(AudioBlock {
            start_frame,
            channels: self.channels,
            samples,
        })
    }
}
