//! Key estimation (the Krumhansl–Schmuckler algorithm): the major or minor key whose
//! Krumhansl–Kessler probe-tone profile correlates best with a piece's pitch-class weights.

use crate::score::Score;

/// Krumhansl and Kessler's (1982) major-key probe-tone profile, from the tonic upwards.
pub const KK_MAJOR: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
/// Krumhansl and Kessler's (1982) minor-key probe-tone profile, from the tonic upwards.
pub const KK_MINOR: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// The best key for pitch-class `weights` (index 0 is C) as `(tonic, minor)`, tonic 0–11.
/// Keys are tried in the order C major … B major, C minor … B minor, and the first of equal
/// scores wins; `None` when every weight is 0.
pub fn best_key(weights: &[u64; 12]) -> Option<(u8, bool)> {
    if weights.iter().all(|&w| w == 0) {
        return None;
    }
    let mut best: Option<(f64, (u8, bool))> = None;
    for minor in [false, true] {
        let profile = if minor { &KK_MINOR } else { &KK_MAJOR };
        for tonic in 0..12u8 {
            // Summed in the same order relative to the tonic for every key, so that transposing
            // a piece permutes the scores exactly.
            let rotated: [f64; 12] =
                std::array::from_fn(|i| weights[(tonic as usize + i) % 12] as f64);
            let score = correlation(&rotated, profile);
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, (tonic, minor)));
            }
        }
    }
    best.map(|(_, k)| k)
}

/// How much more the pitch-class `weights` look minor than major: the best minor key's
/// Krumhansl–Schmuckler correlation less the best major key's (positive: minor); `None` when
/// every weight is 0.
pub fn minor_margin(weights: &[u64; 12]) -> Option<f64> {
    if weights.iter().all(|&w| w == 0) {
        return None;
    }
    let best = |profile: &[f64; 12]| {
        (0..12)
            .map(|tonic| {
                let rotated: [f64; 12] = std::array::from_fn(|i| weights[(tonic + i) % 12] as f64);
                correlation(&rotated, profile)
            })
            .fold(f64::NEG_INFINITY, f64::max)
    };
    Some(best(&KK_MINOR) - best(&KK_MAJOR))
}

/// Pearson correlation of two 12-vectors; 0 when either is constant.
fn correlation(x: &[f64; 12], y: &[f64; 12]) -> f64 {
    let mx = x.iter().sum::<f64>() / 12.0;
    let my = y.iter().sum::<f64>() / 12.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

impl Score {
    /// Ticks of sounding per pitch class over the pitched (non-drum) notes.
    pub fn pitch_class_ticks(&self) -> [u64; 12] {
        let mut w = [0u64; 12];
        for n in self
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| &t.notes)
        {
            let c = n.pitch as usize % 12;
            w[c] = w[c].saturating_add(n.duration);
        }
        w
    }

    /// The estimated key as `(tonic, minor)`, from the duration-weighted pitch classes (note
    /// counts when every note has zero length); `None` without pitched notes.
    pub fn estimated_key(&self) -> Option<(u8, bool)> {
        let ticks = self.pitch_class_ticks();
        if ticks.iter().any(|&t| t > 0) {
            return best_key(&ticks);
        }
        let mut counts = [0u64; 12];
        for n in self
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| &t.notes)
        {
            counts[n.pitch as usize % 12] += 1;
        }
        best_key(&counts)
    }

    /// How much more minor than major the piece sounds ([`minor_margin`] of its duration-
    /// weighted pitch classes); `None` without pitched notes.
    pub fn minor_margin(&self) -> Option<f64> {
        minor_margin(&self.pitch_class_ticks())
    }

    /// The score moved by `semitones` (pitched tracks only; drum notes name instruments). Notes
    /// that would leave 0–127 move an octave less.
    pub fn transposed(&self, semitones: i32) -> Score {
        let mut s = self.clone();
        for n in s
            .tracks
            .iter_mut()
            .filter(|t| !t.is_drum)
            .flat_map(|t| t.notes.iter_mut())
        {
            let mut p = n.pitch as i32 + semitones;
            while p > 127 {
                p -= 12;
            }
            while p < 0 {
                p += 12;
            }
            n.pitch = p as u8;
        }
        for t in &mut s.tracks {
            t.sort_notes();
        }
        s
    }

    /// The score moved the shortest way (−5 to +6 semitones) so that its estimated key's tonic
    /// is C: C major or C minor. A score without pitched notes is returned unchanged.
    pub fn in_c(&self) -> Score {
        match self.semitones_to_c() {
            0 => self.clone(),
            up => self.transposed(up),
        }
    }

    /// How far [`in_c`](Self::in_c) moves the score: −5 to +6 semitones, 0 without pitched
    /// notes. A model that reads its pieces in C moves a primer by this and its continuation
    /// back by the opposite.
    pub fn semitones_to_c(&self) -> i32 {
        match self.estimated_key() {
            Some((tonic, _)) => {
                let up = (12 - tonic as i32) % 12;
                if up > 6 {
                    up - 12
                } else {
                    up
                }
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Note, Track};

    fn scale(tonic: u8, minor: bool) -> Score {
        let steps: [u8; 7] = if minor {
            [0, 2, 3, 5, 7, 8, 10]
        } else {
            [0, 2, 4, 5, 7, 9, 11]
        };
        let mut t = Track::new("", 0);
        // Tonic triad held longest, then the scale.
        for (i, s) in [0u8, 0, 0, if minor { 3 } else { 4 }, 7, 7]
            .iter()
            .chain(&steps)
            .enumerate()
        {
            t.notes.push(Note {
                onset: i as u64 * 4,
                duration: 4,
                pitch: 60 + tonic + s,
                velocity: 80,
            });
        }
        let mut score = Score::new(4);
        score.tracks.push(t);
        score
    }

    #[test]
    fn keys_of_scales_and_their_transposition_to_c() {
        for tonic in 0..12 {
            for minor in [false, true] {
                let s = scale(tonic, minor);
                assert_eq!(s.estimated_key(), Some((tonic, minor)), "{tonic} {minor}");
                assert_eq!(s.in_c().estimated_key(), Some((0, minor)));
            }
        }
        assert_eq!(Score::new(4).estimated_key(), None);
    }
}
