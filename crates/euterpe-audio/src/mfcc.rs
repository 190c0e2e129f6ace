//! Mel-frequency cepstral coefficients: the orthonormal DCT-II of a log-mel frame
//! (`scipy.fft.dct(S, type=2, norm="ortho")`, the first `n_mfcc` rows), as `librosa.feature.mfcc`.

/// The first `n_out` rows of the orthonormal DCT-II of size `n_in`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Dct {
    n_in: usize,
    n_out: usize,
    basis: Vec<f64>,
}

impl Dct {
    /// The basis `sqrt(2/N) · s_k · cos(π k (2n + 1) / 2N)`, `s_0 = 1/√2`, else 1.
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let n = n_in as f64;
        let mut basis = Vec::with_capacity(n_in * n_out);
        for k in 0..n_out {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for i in 0..n_in {
                let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
                basis.push(scale * angle.cos());
            }
        }
        Dct { n_in, n_out, basis }
    }

    /// The basis weight of input `n` in coefficient `k`.
    pub fn weight(&self, k: usize, n: usize) -> f64 {
        self.basis[k * self.n_in + n]
    }

    /// Coefficients out.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Transforms one frame of `n_in` values into `n_out` coefficients.
    pub fn apply(&self, frame: &[f32], out: &mut [f32]) {
        debug_assert_eq!(frame.len(), self.n_in);
        for (o, row) in out.iter_mut().zip(self.basis.chunks_exact(self.n_in)) {
            *o = row
                .iter()
                .zip(frame)
                .map(|(b, &x)| b * f64::from(x))
                .sum::<f64>() as f32;
        }
    }

    /// The transpose: `n_out` coefficients back to `n_in` values (the inverse DCT when the
    /// coefficients past `n_out` are zero).
    pub fn apply_transposed(&self, coefficients: &[f32], out: &mut [f32]) {
        debug_assert_eq!(out.len(), self.n_in);
        let mut sums = vec![0.0f64; self.n_in];
        for (row, &c) in self.basis.chunks_exact(self.n_in).zip(coefficients) {
            for (s, b) in sums.iter_mut().zip(row) {
                *s += b * f64::from(c);
            }
        }
        for (o, s) in out.iter_mut().zip(sums) {
            *o = s as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_transform_is_orthonormal() {
        let dct = Dct::new(8, 8);
        for a in 0..8 {
            for b in 0..8 {
                let dot: f64 = (0..8)
                    .map(|i| dct.basis[a * 8 + i] * dct.basis[b * 8 + i])
                    .sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-12, "rows {a} {b}: {dot}");
            }
        }
    }

    #[test]
    fn a_constant_frame_has_only_a_dc_coefficient() {
        let dct = Dct::new(128, 20);
        let mut out = vec![0.0; 20];
        dct.apply(&[2.0; 128], &mut out);
        assert!((out[0] - 2.0 * 128f32.sqrt()).abs() < 1e-4);
        assert!(out[1..].iter().all(|c| c.abs() < 1e-4));
    }
}
