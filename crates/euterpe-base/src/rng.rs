//! A small, fast, reproducible random number generator.

/// SplitMix64 (Steele, Lea and Flood 2014): 64 bits of state, passes BigCrush, and gives the same
/// stream for the same seed everywhere. Used for shuffling, splitting and sampling; not for
/// anything that needs to be unpredictable.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

/// The golden-ratio increment of SplitMix64, also a good constant to spread seeds apart.
pub const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix64(self.0)
    }

    /// A uniform number in `[0, n)` (`n > 0`), by Lemire's multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal number (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        // 1 − unit() lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// A Gamma(`shape`, 1) number, `shape > 0` (Marsaglia and Tsang 2000; below 1 by their
    /// boost `Gamma(a + 1) · U^(1/a)`).
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = 1.0 - self.unit();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = 1.0 - self.unit();
            if u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A symmetric Beta(`a`, `a`) number in `[0, 1]`, `a > 0` (mixup's mixing share).
    pub fn beta(&mut self, a: f64) -> f64 {
        let (x, y) = (self.gamma(a), self.gamma(a));
        if x + y > 0.0 {
            x / (x + y)
        } else {
            0.5
        }
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A new seed for a run that was given none: six decimal digits (short enough to read back and
/// type in), different from call to call and process to process. Reproducible runs pass their
/// own seed; this is for the rest, which report the seed they used.
pub fn fresh_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let entropy =
        nanos ^ u64::from(std::process::id()).rotate_left(32) ^ call.wrapping_mul(GOLDEN_GAMMA);
    mix64(entropy) % 1_000_000
}

/// SplitMix64's output function: a bijective mixer of 64 bits.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_seeds_are_short_and_differ() {
        let seeds: std::collections::HashSet<u64> = (0..100).map(|_| fresh_seed()).collect();
        assert!(seeds.iter().all(|s| *s < 1_000_000));
        assert!(seeds.len() > 95, "{} distinct of 100", seeds.len());
    }

    #[test]
    fn the_stream_is_splitmix64() {
        // The reference values of SplitMix64 seeded with 1234567 (from the algorithm's C code).
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn below_unit_and_shuffle_stay_in_range_and_are_seeded() {
        let mut r = SplitMix64::new(9);
        let mut counts = [0usize; 5];
        for _ in 0..10_000 {
            counts[r.below(5)] += 1;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(
            counts.iter().all(|&c| (1_800..2_200).contains(&c)),
            "{counts:?}"
        );
        let mut a: Vec<u32> = (0..50).collect();
        let mut b = a.clone();
        SplitMix64::new(3).shuffle(&mut a);
        SplitMix64::new(3).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn normal_gamma_and_beta_have_their_moments() {
        let mut r = SplitMix64::new(5);
        let n = 40_000;
        let normals: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = normals.iter().sum::<f64>() / n as f64;
        let var = normals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.03,
            "{mean} {var}"
        );
        for shape in [0.3, 1.0, 4.5] {
            let mean = (0..n).map(|_| r.gamma(shape)).sum::<f64>() / n as f64;
            assert!(
                (mean - shape).abs() < 0.03 * shape.max(1.0),
                "{shape}: {mean}"
            );
        }
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)); a small a puts most draws near 0 or 1.
        for a in [0.2, 2.0] {
            let draws: Vec<f64> = (0..n).map(|_| r.beta(a)).collect();
            assert!(draws.iter().all(|x| (0.0..=1.0).contains(x)));
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let expected = 1.0 / (4.0 * (2.0 * a + 1.0));
            assert!((mean - 0.5).abs() < 0.01, "{a}: {mean}");
            assert!(
                (var - expected).abs() < 0.05 * expected,
                "{a}: {var} vs {expected}"
            );
        }
    }
}
