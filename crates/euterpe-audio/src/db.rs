//! Power to decibels, as `librosa.power_to_db`.

/// `librosa.power_to_db(S, ref=reference, amin=amin, top_db=top_db)` in place:
/// `10 · log10(max(amin, S)) − 10 · log10(max(amin, ref))`, then floored at `top_db` below the
/// maximum of the whole array (librosa's defaults: `ref` 1, `amin` 1e-10, `top_db` 80).
pub fn power_to_db(values: &mut [f32], reference: f32, amin: f32, top_db: Option<f32>) {
    let offset = 10.0 * reference.max(amin).log10();
    let mut max = f32::NEG_INFINITY;
    for v in values.iter_mut() {
        *v = 10.0 * v.max(amin).log10() - offset;
        max = max.max(*v);
    }
    if let Some(top) = top_db {
        let floor = max - top;
        for v in values.iter_mut() {
            *v = v.max(floor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decibels_are_floored_below_the_maximum() {
        let mut x = vec![1.0, 0.1, 1e-12, 100.0];
        power_to_db(&mut x, 1.0, 1e-10, Some(80.0));
        assert_eq!(x[0], 0.0);
        assert!((x[1] + 10.0).abs() < 1e-5);
        assert_eq!(x[3], 20.0);
        // 1e-12 is clamped to amin (−100 dB), then floored at 20 − 80 = −60 dB.
        assert_eq!(x[2], -60.0);
        let mut y = vec![1e-12];
        power_to_db(&mut y, 1.0, 1e-10, None);
        assert!((y[0] + 100.0).abs() < 1e-4);
    }
}
