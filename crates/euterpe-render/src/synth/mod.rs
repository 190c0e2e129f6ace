//! The built-in synthesiser: no files needed, deterministic, pleasant enough to judge a melody.
//!
//! Each track gets a [`Timbre`] from its General MIDI program (drum tracks get percussion by key)
//! and a fixed place in the stereo field. Each note is a voice with its own envelope; released
//! voices ring out their tails and are dropped once silent. Noise is seeded by the note's rank in
//! the score, so the same score always gives the same samples.

mod drums;
mod dsp;
mod timbre;

pub use timbre::Timbre;

use euterpe_music::Score;

use crate::events::{Event, EventKind};
use crate::renderer::Engine;
use drums::DrumVoice;
use timbre::MelodicVoice;

/// The most voices that sound at once; the oldest is dropped beyond this.
const MAX_VOICES: usize = 256;

/// Overall level of the unnormalised output: a dense piano piece stays below full scale.
const MASTER: f32 = 0.5;

#[derive(Debug, Clone, Copy)]
struct TrackSetup {
    /// `None` for a drum track.
    timbre: Option<Timbre>,
    left: f32,
    right: f32,
}

#[derive(Debug, Clone)]
enum VoiceKind {
    Melodic(MelodicVoice),
    Drum(DrumVoice),
}

#[derive(Debug, Clone)]
struct Voice {
    track: usize,
    note_id: u32,
    kind: VoiceKind,
}

/// The built-in synthesiser as a rendering engine.
#[derive(Debug)]
pub(crate) struct BuiltinSynth {
    sample_rate: f32,
    tracks: Vec<TrackSetup>,
    voices: Vec<Voice>,
    scratch: Vec<f32>,
}

/// Equal-power pan gains for a position in −1 (left) … 1 (right).
fn pan_gains(pos: f32) -> (f32, f32) {
    let angle = (pos.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    (angle.cos(), angle.sin())
}

impl BuiltinSynth {
    /// A synthesiser set up for the tracks of `score`.
    pub fn new(score: &Score, sample_rate: u32) -> Self {
        let melodic = score.tracks.iter().filter(|t| !t.is_drum).count();
        let mut k = 0usize;
        let tracks = score
            .tracks
            .iter()
            .map(|t| {
                let (timbre, pos) = if t.is_drum {
                    (None, 0.0)
                } else {
                    // Spread melodic tracks evenly over −0.4 … 0.4; a single track sits centre.
                    let pos = if melodic > 1 {
                        -0.4 + 0.8 * k as f32 / (melodic - 1) as f32
                    } else {
                        0.0
                    };
                    k += 1;
                    (Some(Timbre::for_program(t.program)), pos)
                };
                let (left, right) = pan_gains(pos);
                TrackSetup {
                    timbre,
                    left,
                    right,
                }
            })
            .collect();
        BuiltinSynth {
            sample_rate: sample_rate as f32,
            tracks,
            voices: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl Engine for BuiltinSynth {
    fn apply(&mut self, event: &Event) {
        match event.kind {
            EventKind::On { velocity } => {
                let Some(setup) = self.tracks.get(event.track) else {
                    return;
                };
                let kind = match setup.timbre {
                    Some(t) => VoiceKind::Melodic(MelodicVoice::new(
                        t,
                        event.pitch,
                        velocity,
                        self.sample_rate,
                        event.note_id,
                    )),
                    None => VoiceKind::Drum(DrumVoice::new(
                        event.pitch,
                        velocity,
                        self.sample_rate,
                        event.note_id,
                    )),
                };
                if self.voices.len() >= MAX_VOICES {
                    self.voices.remove(0);
                }
                self.voices.push(Voice {
                    track: event.track,
                    note_id: event.note_id,
                    kind,
                });
            }
            EventKind::Off => {
                for v in &mut self.voices {
                    if v.note_id == event.note_id && v.track == event.track {
                        if let VoiceKind::Melodic(m) = &mut v.kind {
                            m.release();
                        }
                    }
                }
            }
        }
    }

    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        left.fill(0.0);
        right.fill(0.0);
        let n = left.len().min(right.len());
        if self.scratch.len() < n {
            self.scratch.resize(n, 0.0);
        }
        let scratch = &mut self.scratch[..n];
        let tracks = &self.tracks;
        self.voices.retain_mut(|v| {
            let alive = match &mut v.kind {
                VoiceKind::Melodic(m) => m.render(scratch),
                VoiceKind::Drum(d) => d.render(scratch),
            };
            let setup = tracks[v.track];
            let (gl, gr) = (setup.left * MASTER, setup.right * MASTER);
            for ((l, r), s) in left.iter_mut().zip(right.iter_mut()).zip(scratch.iter()) {
                *l += s * gl;
                *r += s * gr;
            }
            alive
        });
    }
}
