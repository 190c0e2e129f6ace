//! Quantisation of velocities and tempi into token bins.

/// The bin (0-based) of a MIDI velocity among `bins` equal-width bins over 0–127.
pub fn velocity_to_bin(velocity: u8, bins: u8) -> u8 {
    ((velocity.min(127) as u32 * bins as u32) / 128) as u8
}

/// The velocity in the middle of a bin (at least 1, so a decoded note is never silent).
pub fn bin_to_velocity(bin: u8, bins: u8) -> u8 {
    let bins = bins.max(1) as u32;
    // Bin b holds the velocities v with floor(v * bins / 128) == b.
    let lowest = (bin as u32 * 128).div_ceil(bins);
    let highest = ((bin as u32 + 1) * 128).div_ceil(bins) - 1;
    ((lowest + highest) / 2).clamp(1, 127) as u8
}

/// The bin of a tempo among `bins` bins spaced geometrically from `min_bpm` to `max_bpm`.
pub fn bpm_to_bin(bpm: f64, bins: u8, min_bpm: f64, max_bpm: f64) -> u8 {
    let x = (bpm.clamp(min_bpm, max_bpm) / min_bpm).ln() / (max_bpm / min_bpm).ln();
    (x * (bins as f64 - 1.0))
        .round()
        .clamp(0.0, bins as f64 - 1.0) as u8
}

/// The tempo of a bin.
pub fn bin_to_bpm(bin: u8, bins: u8, min_bpm: f64, max_bpm: f64) -> f64 {
    let x = bin as f64 / (bins.max(2) as f64 - 1.0);
    min_bpm * (max_bpm / min_bpm).powf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_bins_are_stable_under_a_round_trip() {
        for bins in 1..=128u8 {
            for v in 1..=127u8 {
                let b = velocity_to_bin(v, bins);
                assert!(b < bins);
                assert_eq!(
                    velocity_to_bin(bin_to_velocity(b, bins), bins),
                    b,
                    "bins {bins} v {v}"
                );
            }
        }
    }

    #[test]
    fn tempo_bins_cover_the_range_monotonically() {
        assert_eq!(bpm_to_bin(40.0, 32, 40.0, 250.0), 0);
        assert_eq!(bpm_to_bin(250.0, 32, 40.0, 250.0), 31);
        assert_eq!(bpm_to_bin(1000.0, 32, 40.0, 250.0), 31);
        let mut last = 0;
        for bpm in 40..=250 {
            let b = bpm_to_bin(bpm as f64, 32, 40.0, 250.0);
            assert!(b >= last);
            last = b;
        }
        for b in 0..32 {
            assert_eq!(
                bpm_to_bin(bin_to_bpm(b, 32, 40.0, 250.0), 32, 40.0, 250.0),
                b
            );
        }
    }
}
