//! Fuzzes SoundFont loading (`LoadedSoundFont::from_bytes`, behind `open`: euterpe's chunk and index
//! checks, then rustysynth's `SoundFont::new`) and playback of what loads.
//!
//! A font that loads must play a short score (a low and a high note on a melodic track with a
//! program the font may lack, and a drum hit) at 16 kHz mono with no tail, so that an execution
//! stays cheap; synthesis may fail only with an error (`Renderer::failure`).
//!
//! libFuzzer's panic hook aborts on every panic before it unwinds. euterpe catches the panics that
//! rustysynth raises on malformed fonts (`catch_unwind` around the parser and around every
//! synthesiser call), so the hook installed here lets a panic whose location is in rustysynth's
//! sources unwind to those guards, and prints each such location once (a parser panic is then worth
//! a check at load time); any other panic still aborts and is reported as a crash.
#![no_main]

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;

use euterpe_music::{Note, Score, Track};
use euterpe_render::{LoadedSoundFont, RenderOptions, Renderer, Synth};

fn score() -> &'static Score {
    static SCORE: OnceLock<Score> = OnceLock::new();
    SCORE.get_or_init(|| {
        let note = |onset, pitch| Note {
            onset,
            duration: 24,
            pitch,
            velocity: 100,
        };
        let mut s = Score::new(480);
        let mut melodic = Track::new("melodic", 5);
        melodic.notes = vec![note(0, 21), note(24, 108)];
        let mut drums = Track::new("drums", 0);
        drums.is_drum = true;
        drums.notes = vec![note(12, 38)];
        s.tracks = vec![melodic, drums];
        s
    })
}

fuzz_target!(
    init: {
        let abort = std::panic::take_hook();
        let seen = Mutex::new(HashSet::new());
        std::panic::set_hook(Box::new(move |info| match info.location() {
            Some(at) if at.file().contains("/rustysynth-") => {
                if seen.lock().is_ok_and(|mut s| s.insert(at.to_string())) {
                    eprintln!("rustysynth panicked (caught by euterpe): {info}");
                }
            }
            _ => abort(info),
        }));
    },
    |data: &[u8]| {
        let Ok(font) = LoadedSoundFont::from_bytes(data, "fuzz.sf2") else {
            return;
        };
        let options = RenderOptions {
            sample_rate: 16_000,
            channels: 1,
            tail_seconds: 0.0,
            block_frames: 256,
            ..RenderOptions::default()
        };
        let mut renderer = Renderer::with_synth(score(), &Synth::SoundFont(font), &options)
            .unwrap_or_else(|e| panic!("a loaded SoundFont cannot render: {e}"));
        let total = renderer.total_frames();
        let frames: u64 = (&mut renderer).map(|b| b.frames() as u64).sum();
        assert_eq!(frames, total, "the renderer stopped early");
    }
);
