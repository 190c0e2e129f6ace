//! The streaming renderer: a score in, fixed-size blocks of samples out.
//!
//! Memory is bounded by the score (its event list) and the block size, never by the length of the
//! audio: a [`Renderer`] holds one block of scratch samples and the synthesiser's voices.

use std::path::PathBuf;

use euterpe_music::Score;

use crate::events::{score_events, Event};
use crate::lanes::{partition, Lane, Lanes, MAX_BUILTIN_LANES};
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
    /// Threads to render on (default 0: as many as the machine has, up to the score's lanes).
    /// With the built-in synthesiser a score's notes are split into four lanes that render side by
    /// side; the split depends on the score alone, so the samples are the same whatever this is.
    /// A SoundFont renders in one lane.
    pub threads: usize,
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
            threads: 0,
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
        if self.threads > 1024 {
            return bad(format!("{} threads is more than 1024", self.threads));
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

    /// A fresh engine for `score` (every lane gets one, knowing all the tracks).
    fn engine(&self, score: &Score, sample_rate: u32) -> Result<Box<dyn Engine>, RenderError> {
        Ok(match self {
            Synth::Builtin => Box::new(BuiltinSynth::new(score, sample_rate)),
            Synth::SoundFont(font) => Box::new(SoundFontEngine::new(font, score, sample_rate)?),
        })
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
/// samples, whatever the block size and the number of threads.
pub struct Renderer {
    lanes: Lanes,
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
            .field("lanes", &self.lanes.count())
            .field("threads", &self.lanes.threads())
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
        Self::with_lanes(score, synth, options, MAX_BUILTIN_LANES)
    }

    /// As [`with_synth`](Self::with_synth), splitting the built-in synthesiser's notes into at most
    /// `max_lanes` lanes.
    fn with_lanes(
        score: &Score,
        synth: &Synth,
        options: &RenderOptions,
        max_lanes: usize,
    ) -> Result<Self, RenderError> {
        options.validate()?;
        let events = score_events(score, options.sample_rate);
        if events.is_empty() {
            return Err(RenderError::EmptyScore);
        }
        let seconds = score.duration_seconds() + options.tail_seconds;
        let total_frames = (seconds * options.sample_rate as f64).ceil() as u64;
        let lanes = Self::build_lanes(score, synth, options, events, total_frames, max_lanes)?;
        Ok(Renderer {
            lanes,
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
        self.lanes.failure()
    }

    /// Renders the next frames into `out` (interleaved, `channels` samples per frame) and returns
    /// how many frames it wrote: `out.len() / channels`, fewer at the end of the piece, 0 after it
    /// (or when `out` holds less than one frame).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        let ch = self.channels as usize;
        let want = (out.len() / ch).min((self.total_frames - self.frame) as usize);
        let mut done = 0;
        while done < want {
            let n = (want - done).min(self.left.len());
            let (l, r) = (&mut self.left[..n], &mut self.right[..n]);
            self.lanes.render(l, r);
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

    /// Lanes rendered (1 unless the score's notes were split: see [`RenderOptions::threads`]).
    pub fn lanes(&self) -> usize {
        self.lanes.count()
    }

    /// The score's events split into lanes, each with an engine of its own, on their threads.
    fn build_lanes(
        score: &Score,
        synth: &Synth,
        options: &RenderOptions,
        events: Vec<Event>,
        total_frames: u64,
        max_lanes: usize,
    ) -> Result<Lanes, RenderError> {
        // The built-in synthesiser's notes are independent voices: lanes take every k-th note.
        // A SoundFont's notes interact within a channel, and each lane would run its own effects.
        let split = match synth {
            Synth::Builtin => partition(events, |e| e.note_id as usize, max_lanes),
            Synth::SoundFont(_) => vec![events],
        };
        let lanes = split
            .into_iter()
            .map(|events| Ok(Lane::new(synth.engine(score, options.sample_rate)?, events)))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Ok(Lanes::new(lanes, threads, total_frames))
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

#[cfg(test)]
mod tests {
    use super::*;
    use euterpe_music::midi::read_midi_file;

    fn render_all(mut renderer: Renderer) -> Vec<f32> {
        let mut out = vec![0.0; renderer.total_frames() as usize * 2];
        assert_eq!(renderer.fill(&mut out) as u64, renderer.total_frames());
        out
    }

    #[test]
    fn lanes_add_up_to_one_synthesiser_playing_every_note() {
        // A real three-track pop song, cut to its first notes.
        let path = euterpe_testkit::shared_data().join("pop909/001/001.mid");
        let mut score = read_midi_file(&path).unwrap();
        for t in &mut score.tracks {
            t.notes.truncate(60);
        }
        let options = RenderOptions::default();
        let one = Renderer::with_lanes(&score, &Synth::Builtin, &options, 1).unwrap();
        assert_eq!(one.lanes(), 1);
        let four = Renderer::with_synth(&score, &Synth::Builtin, &options).unwrap();
        assert_eq!(four.lanes(), MAX_BUILTIN_LANES);
        let (a, b) = (render_all(one), render_all(four));
        let peak = a.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.05, "peak {peak}");
        // Only the order of the additions differs.
        let diff = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(diff < 1e-5 * peak, "max difference {diff} at peak {peak}");
    }
}
