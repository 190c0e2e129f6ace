//! Choosing the next token from a model's distribution: temperature, top-k and nucleus (top-p)
//! sampling over the tokens the grammar allows.

use euterpe_base::SplitMix64;
use euterpe_music::tokens::{Grammar, Token, Vocabulary};

/// How hard a register pulls: a note an octave from it is e^-2 ≈ 1/7 as likely as the model
/// had it, two octaves e^-8.
pub const REGISTER_PULL: f32 = 2.0;

/// Log-probability added to each token of `vocab` so that notes come about `density` times as
/// often and, with a `register` (a MIDI pitch), gather around it. Density acts on the tokens that
/// add a note where the grammar lets a sequence either add one or move on: `Pitch` and `NoteOn`
/// (another note), `Position` (another onset before the bar line); the register subtracts
/// [`REGISTER_PULL`] times the squared distance in octaves from each `Pitch`/`NoteOn`. Other
/// tokens get 0.
pub fn note_bias(vocab: &Vocabulary, density: f32, register: Option<f32>) -> Vec<f32> {
    let density = density.ln();
    let register = |p: u8| {
        register.map_or(0.0, |centre| {
            let octaves = (p as f32 - centre) / 12.0;
            -REGISTER_PULL * octaves * octaves
        })
    };
    vocab
        .tokens()
        .iter()
        .map(|&t| match t {
            Token::Pitch(p) | Token::NoteOn(p) => density + register(p),
            Token::Position(_) => density,
            _ => 0.0,
        })
        .collect()
}

/// Adds to `scores` the density's pull on time: each beat that a token lets pass before the next
/// note (a later `Position`, a `Bar` closing the bar, a `TimeShift`) costs `ln(density)`, so a
/// density above 1 favours close onsets and one below 1 distant ones.
pub fn time_bias(grammar: &Grammar, vocab: &Vocabulary, density: f32, scores: &mut [f32]) {
    let per_step = density.ln() / vocab.config().quantize.positions_per_beat as f32;
    for (score, &token) in scores.iter_mut().zip(vocab.tokens()) {
        if let Some(steps) = grammar.steps_ahead(token) {
            *score -= per_step * steps as f32;
        }
    }
}

/// Checks a density factor and a register, naming the bad one.
pub(crate) fn validate_pitch_shaping(density: f32, register: Option<f32>) -> Result<(), String> {
    if !(density.is_finite() && (0.25..=4.0).contains(&density)) {
        return Err(format!("density must be in [0.25, 4], got {density}"));
    }
    if let Some(r) = register {
        if !(r.is_finite() && (21.0..=108.0).contains(&r)) {
            return Err(format!(
                "register must be a MIDI pitch in [21, 108], got {r}"
            ));
        }
    }
    Ok(())
}

/// How to sample from a next-token distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingConfig {
    /// Divides the log-probabilities: below 1 sharpens, above 1 flattens (must be > 0).
    pub temperature: f64,
    /// Keep only the `k` most likely allowed tokens (`None`: all).
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely allowed tokens whose probability reaches `p`
    /// (`None` or 1.0: all).
    pub top_p: Option<f64>,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            temperature: 1.0,
            top_k: None,
            top_p: None,
        }
    }
}

impl SamplingConfig {
    /// Checks the ranges, describing the first bad value.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(format!(
                "temperature must be a positive number, got {}",
                self.temperature
            ));
        }
        if self.top_k == Some(0) {
            return Err("top-k must be at least 1".into());
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                return Err(format!("top-p must be in (0, 1], got {p}"));
            }
        }
        Ok(())
    }
}

/// Samples one id from `log_probs` restricted to the ids where `allowed` is true.
///
/// Returns `None` when nothing is allowed. The candidates are sorted by probability (ties by id)
/// before the random draw, so the result depends only on the distribution and the generator.
pub fn sample(
    log_probs: &[f32],
    allowed: &[bool],
    config: &SamplingConfig,
    rng: &mut SplitMix64,
) -> Option<u32> {
    let mut candidates: Vec<(u32, f64)> = log_probs
        .iter()
        .zip(allowed)
        .enumerate()
        .filter(|(_, (lp, &ok))| ok && lp.is_finite())
        .map(|(id, (&lp, _))| (id as u32, lp as f64 / config.temperature))
        .collect();
    if candidates.is_empty() {
        // Every allowed token has zero probability: fall back to uniform over the allowed ones.
        candidates = (0..allowed.len())
            .filter(|&i| allowed[i])
            .map(|i| (i as u32, 0.0))
            .collect();
    }
    if candidates.is_empty() {
        return None;
    }
    sort_most_likely_first(&mut candidates);
    if let Some(k) = config.top_k {
        candidates.truncate(k.max(1));
    }
    // Softmax over the survivors, stable against large magnitudes; each candidate's score
    // becomes its probability.
    let max = candidates[0].1;
    candidates.iter_mut().for_each(|c| c.1 = (c.1 - max).exp());
    normalise(&mut candidates);
    if let Some(p) = config.top_p.filter(|&p| p < 1.0) {
        let mut mass = 0.0;
        let keep = candidates
            .iter()
            .position(|c| {
                mass += c.1;
                mass >= p
            })
            .map_or(candidates.len(), |i| i + 1);
        candidates.truncate(keep);
        normalise(&mut candidates);
    }
    let mut draw = rng.unit();
    for &(id, w) in &candidates {
        if draw < w {
            return Some(id);
        }
        draw -= w;
    }
    candidates.last().map(|&(id, _)| id)
}

/// Divides the candidates' weights by their sum (taken in their order).
fn normalise(candidates: &mut [(u32, f64)]) {
    let total: f64 = candidates.iter().map(|c| c.1).sum();
    candidates.iter_mut().for_each(|c| c.1 /= total);
}

/// Sorts `(id, score)` candidates by descending score, ties by ascending id: the order of
/// `b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))`, exactly.
///
/// Each candidate is packed into one integer key (the score's total-order bits, inverted, above
/// the id), and the keys are sorted as plain integers. The key is total, so the unstable sort
/// gives the one possible order. Why: the sort runs once per generated token, and with a
/// comparator on pairs it was a tenth of a small model's whole step. When every score is an `f32`
/// value (log-probabilities at temperature 1) the key fits 64 bits: `f32` → `f64` keeps the total
/// order and equality, so the order is the same, and 64-bit keys sort faster than 128-bit ones.
fn sort_most_likely_first(candidates: &mut [(u32, f64)]) {
    if candidates.iter().all(|&(_, s)| f64::from(s as f32) == s) {
        sort_by_packed_keys(
            candidates,
            |id, score| (u64::from(descending_bits_f32(score as f32)) << 32) | u64::from(id),
            |key| (key as u32, f64::from(score_of_f32((key >> 32) as u32))),
        );
    } else {
        sort_by_packed_keys(
            candidates,
            |id, score| (u128::from(descending_bits(score)) << 32) | u128::from(id),
            |key| (key as u32, score_of((key >> 32) as u64)),
        );
    }
}

/// Sorts `candidates` by their `pack`ed integer keys, writing them back with `unpack`.
fn sort_by_packed_keys<K: Ord + Copy>(
    candidates: &mut [(u32, f64)],
    pack: impl Fn(u32, f64) -> K,
    unpack: impl Fn(K) -> (u32, f64),
) {
    let mut keys: Vec<K> = candidates.iter().map(|&(id, s)| pack(id, s)).collect();
    keys.sort_unstable();
    for (candidate, key) in candidates.iter_mut().zip(keys) {
        *candidate = unpack(key);
    }
}

/// [`descending_bits`] for an `f32`.
fn descending_bits_f32(x: f32) -> u32 {
    let bits = x.to_bits() as i32;
    let ordered = bits ^ ((((bits >> 31) as u32) >> 1) as i32);
    !((ordered as u32) ^ (1 << 31))
}

/// The inverse of [`descending_bits_f32`].
fn score_of_f32(key: u32) -> f32 {
    let ordered = ((!key) ^ (1 << 31)) as i32;
    f32::from_bits((ordered ^ ((((ordered >> 31) as u32) >> 1) as i32)) as u32)
}

/// Bits of `x` that order as integers the way `f64::total_cmp` orders the values, reversed
/// (the largest value gets the smallest key).
fn descending_bits(x: f64) -> u64 {
    // As `total_cmp`: flip the magnitude bits of negative numbers, so that the signed integers
    // order as the values; then move the sign to unsigned order and reverse.
    let bits = x.to_bits() as i64;
    let ordered = bits ^ ((((bits >> 63) as u64) >> 1) as i64);
    !((ordered as u64) ^ (1 << 63))
}

/// The inverse of [`descending_bits`].
fn score_of(key: u64) -> f64 {
    let ordered = ((!key) ^ (1 << 63)) as i64;
    f64::from_bits((ordered ^ ((((ordered >> 63) as u64) >> 1) as i64)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_sort_as_the_comparator_does() {
        let mut rng = SplitMix64::new(3);
        let specials = [0.0, -0.0, 1e-310, -1e-310, f64::MAX, f64::MIN, -1.5, 2.5];
        // Scores that are all f32 values take the 64-bit keys: f32 subnormals and extremes.
        let specials_f32: [f64; 8] = [0.0, -0.0, 1e-40, -1e-40, 3.4e38, -3.4e38, -1.5, 2.5];
        for round in 0..100 {
            let as_f32 = round % 2 == 1;
            let (specials, narrow) = if as_f32 {
                (
                    &specials_f32,
                    (|x: f64| f64::from(x as f32)) as fn(f64) -> f64,
                )
            } else {
                (&specials, (|x: f64| x) as fn(f64) -> f64)
            };
            let n = 1 + round * 5;
            let candidates: Vec<(u32, f64)> = (0..n as u32)
                .map(|id| {
                    let score = match rng.below(4) {
                        0 => specials[rng.below(specials.len())],
                        // Few distinct values, so that ties by id are common.
                        1 => rng.below(3) as f64 - 1.0,
                        _ => (rng.unit() - 0.5) * 40.0,
                    };
                    (id, narrow(score))
                })
                .collect();
            let mut expected = candidates.clone();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut got = candidates;
            got.reverse();
            sort_most_likely_first(&mut got);
            let bits = |v: &[(u32, f64)]| -> Vec<(u32, u64)> {
                v.iter().map(|&(id, s)| (id, s.to_bits())).collect()
            };
            assert_eq!(bits(&got), bits(&expected), "round {round}");
        }
    }

    fn frequencies(log_probs: &[f32], allowed: &[bool], config: SamplingConfig) -> Vec<f64> {
        let mut rng = SplitMix64::new(7);
        let mut counts = vec![0usize; log_probs.len()];
        let n = 20_000;
        for _ in 0..n {
            counts[sample(log_probs, allowed, &config, &mut rng).unwrap() as usize] += 1;
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    fn logs(p: &[f64]) -> Vec<f32> {
        p.iter().map(|x| x.ln() as f32).collect()
    }

    #[test]
    fn samples_follow_the_distribution_and_the_mask() {
        let lp = logs(&[0.1, 0.2, 0.3, 0.4]);
        let f = frequencies(&lp, &[true; 4], SamplingConfig::default());
        for (got, want) in f.iter().zip([0.1, 0.2, 0.3, 0.4]) {
            assert!((got - want).abs() < 0.015, "{f:?}");
        }
        let f = frequencies(&lp, &[true, false, true, false], SamplingConfig::default());
        assert_eq!(f[1] + f[3], 0.0);
        assert!(
            (f[0] - 0.25).abs() < 0.015,
            "renormalised over the allowed: {f:?}"
        );
    }

    #[test]
    fn top_k_top_p_and_temperature_narrow_the_choice() {
        let lp = logs(&[0.1, 0.2, 0.3, 0.4]);
        let all = [true; 4];
        let k2 = SamplingConfig {
            top_k: Some(2),
            ..Default::default()
        };
        let f = frequencies(&lp, &all, k2);
        assert_eq!(f[0] + f[1], 0.0);
        assert!((f[3] - 4.0 / 7.0).abs() < 0.015);
        let p = SamplingConfig {
            top_p: Some(0.65),
            ..Default::default()
        };
        let f = frequencies(&lp, &all, p);
        assert_eq!(f[0] + f[1], 0.0, "0.4 + 0.3 reaches 0.65");
        let cold = SamplingConfig {
            temperature: 0.05,
            ..Default::default()
        };
        assert!(frequencies(&lp, &all, cold)[3] > 0.99);
    }

    #[test]
    fn nothing_allowed_is_none_and_bad_settings_are_named() {
        let mut rng = SplitMix64::new(1);
        let none = sample(&[0.0, 0.0], &[false, false], &Default::default(), &mut rng);
        assert_eq!(none, None);
        let bad = SamplingConfig {
            temperature: 0.0,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("temperature"));
        let bad = SamplingConfig {
            top_p: Some(1.5),
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("top-p"));
    }
}
