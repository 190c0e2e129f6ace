//! Fuzzes the polyphonic benchmark reader (`PolyphonicDataset::from_json`, behind `load`).
//!
//! Every sequence of an accepted file must convert to a piano-roll and back to the same frames
//! (pitches sorted, duplicates merged), and through a score to the same roll (trailing silence aside).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

use euterpe_music::pianoroll::{
    roll_to_sequence, sequence_to_roll, PianoRoll, PolyphonicDataset, PIANO_KEYS, PIANO_LOWEST,
};
use euterpe_music::QuantizeConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(dataset) = PolyphonicDataset::from_json(data, Path::new("fuzz.json")) else {
        return;
    };
    for (name, split) in dataset.splits() {
        for (s, seq) in split.iter().enumerate() {
            let roll = sequence_to_roll(seq);
            let mut expected = seq.clone();
            for frame in &mut expected {
                frame.sort_unstable();
                frame.dedup();
            }
            assert_eq!(roll_to_sequence(&roll), expected, "{name} sequence {s}");

            // One grid step per frame.
            let score = roll.to_score(4, 1, 80);
            let back =
                PianoRoll::from_score(&score, &QuantizeConfig::default(), PIANO_LOWEST, PIANO_KEYS)
                    .unwrap_or_else(|e| panic!("{name} sequence {s}: {e}"));
            let mut frames = roll_to_sequence(&back);
            frames.resize(expected.len(), Vec::new());
            let mut trimmed = expected.clone();
            while trimmed.last().is_some_and(Vec::is_empty) {
                trimmed.pop();
            }
            assert_eq!(back.frames(), trimmed.len(), "{name} sequence {s}");
            assert_eq!(frames, expected, "{name} sequence {s}");
        }
    }
});
