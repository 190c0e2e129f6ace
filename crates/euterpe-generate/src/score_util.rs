//! Finishing touches on generated scores: resolution, tempo, instrument; and primers from pitches.

use euterpe_music::score::{Note, Score, TempoChange, TimeSignature, Track};

/// Ticks per quarter note of generated MIDI files (the grid of the tokens is much coarser; DAWs
/// expect a finer resolution).
pub const OUTPUT_TICKS_PER_BEAT: u32 = 480;

/// The tempo of a piece when neither the user nor the model chose one.
pub const DEFAULT_BPM: f64 = 120.0;

/// Rescales every tick of `score` to `ticks_per_beat`, which must be a multiple of the score's.
pub fn rescale(score: &mut Score, ticks_per_beat: u32) {
    let factor = (ticks_per_beat / score.ticks_per_beat.max(1)).max(1) as u64;
    score.ticks_per_beat = ticks_per_beat;
    for t in &mut score.tracks {
        for n in &mut t.notes {
            n.onset *= factor;
            n.duration *= factor;
        }
    }
    for t in &mut score.tempos {
        t.tick *= factor;
    }
    for t in &mut score.time_signatures {
        t.tick *= factor;
    }
    for k in &mut score.key_signatures {
        k.tick *= factor;
    }
}

/// Sets the tempo (replacing any), or adds the default when the score has none.
pub fn apply_tempo(score: &mut Score, bpm: Option<f64>) {
    match bpm {
        Some(bpm) => score.tempos = vec![TempoChange::from_bpm(0, bpm)],
        None if score.tempos.is_empty() => {
            score.tempos = vec![TempoChange::from_bpm(0, DEFAULT_BPM)]
        }
        None => {}
    }
}

/// Sets the General MIDI program of every melodic track and names the tracks.
pub fn apply_program(score: &mut Score, program: Option<u8>) {
    for (i, t) in score.tracks.iter_mut().enumerate() {
        if let (Some(p), false) = (program, t.is_drum) {
            t.program = p;
        }
        t.name = format!("euterpe {}", i + 1);
    }
}

/// A primer of quarter notes at the given pitches, in 4/4 at [`DEFAULT_BPM`].
pub fn primer_from_pitches(pitches: &[u8]) -> Score {
    let tpb = OUTPUT_TICKS_PER_BEAT;
    let mut score = Score::new(tpb);
    score.tempos = vec![TempoChange::from_bpm(0, DEFAULT_BPM)];
    score.time_signatures = vec![TimeSignature {
        tick: 0,
        numerator: 4,
        denominator: 4,
    }];
    let mut track = Track::new("primer", 0);
    track.notes = pitches
        .iter()
        .enumerate()
        .map(|(i, &pitch)| Note {
            onset: i as u64 * tpb as u64,
            duration: tpb as u64,
            pitch,
            velocity: 80,
        })
        .collect();
    score.tracks.push(track);
    score
}

/// Parses a primer melody such as `"60 62 64"` (MIDI pitches separated by spaces or commas).
pub fn parse_pitches(text: &str) -> Result<Vec<u8>, String> {
    let pitches: Vec<u8> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, s)| match s.parse::<u8>() {
            Ok(p) if p < 128 => Ok(p),
            _ => Err(format!("note {} ({s:?}) is not a MIDI pitch 0–127", i + 1)),
        })
        .collect::<Result<_, _>>()?;
    if pitches.is_empty() {
        return Err("no pitches given".into());
    }
    Ok(pitches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pitches_parse_and_bad_ones_are_named() {
        assert_eq!(parse_pitches("60 62,64").unwrap(), vec![60, 62, 64]);
        assert!(parse_pitches("60 x").unwrap_err().contains("note 2"));
        assert!(parse_pitches("60 128").unwrap_err().contains("\"128\""));
        assert!(parse_pitches(" ").is_err());
    }

    #[test]
    fn rescaling_keeps_times_in_beats() {
        let mut s = primer_from_pitches(&[60, 62]);
        s.ticks_per_beat = 4;
        for (i, n) in s.tracks[0].notes.iter_mut().enumerate() {
            n.onset = i as u64 * 4;
            n.duration = 4;
        }
        rescale(&mut s, 480);
        assert_eq!(s.tracks[0].notes[1].onset, 480);
        assert_eq!(s.tracks[0].notes[1].duration, 480);
    }
}
