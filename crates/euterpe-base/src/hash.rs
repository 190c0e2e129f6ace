//! FNV-1a and the seeded unit hash: stable across machines, runs and Rust versions (unlike
//! `std`'s hashers), which is what splits and cache names need.

use crate::rng::mix64;

/// The 64-bit FNV-1a hasher, fed in pieces.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }

    /// The hash of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    Fnv1a::default().write(bytes).finish()
}

/// A uniform number in `[0, 1)` that depends only on `id` and `seed`: FNV-1a over the seed's
/// little-endian bytes and the id, finished with SplitMix64's mixer so that similar ids land far
/// apart. A piece's data split is this number against the split ratios.
pub fn unit_hash(id: &str, seed: u64) -> f64 {
    let h = mix64(
        Fnv1a::default()
            .write(&seed.to_le_bytes())
            .write(id.as_bytes())
            .finish(),
    );
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        let mut pieces = Fnv1a::default();
        pieces.write(b"foo").write(b"bar");
        assert_eq!(pieces.finish(), fnv1a(b"foobar"));
    }

    #[test]
    fn unit_hash_is_uniform_and_seeded() {
        let n = 20_000;
        let below_half = (0..n)
            .filter(|i| unit_hash(&format!("piece_{i}"), 7) < 0.5)
            .count();
        assert!((9_600..10_400).contains(&below_half), "{below_half}");
        assert_eq!(unit_hash("x", 1), unit_hash("x", 1));
        assert_ne!(unit_hash("x", 1), unit_hash("x", 2));
    }
}
