//! The chroma filterbank of `librosa.filters.chroma`: each FFT bin spread over the 12 pitch
//! classes by a Gaussian in pitch, weighted by a Gaussian over octaves centred on C5 ± 2
//! octaves, columns L2-normalised, rows starting at C.

/// A dense `[n_chroma, n_bins]` filterbank.
#[derive(Debug, Clone, PartialEq)]
pub struct ChromaFilterbank {
    n_chroma: usize,
    n_bins: usize,
    weights: Vec<f32>,
}

impl ChromaFilterbank {
    /// `librosa.filters.chroma(sr=sample_rate, n_fft=n_fft, tuning=tuning, n_chroma=n_chroma)`
    /// with its defaults `ctroct=5`, `octwidth=2`, `norm=2`, `base_c=True`. `tuning` is in
    /// fractions of a chroma bin (0 for A = 440 Hz).
    pub fn new(sample_rate: u32, n_fft: usize, n_chroma: usize, tuning: f64) -> Self {
        let nc = n_chroma as f64;
        let sr = f64::from(sample_rate);
        let a440 = 440.0 * 2f64.powf(tuning / nc);
        // np.linspace(0, sr, n_fft, endpoint=False)[1:], in octaves relative to A440/16, in bins.
        let mut frqbins: Vec<f64> = (1..n_fft)
            .map(|k| {
                let f = k as f64 * (sr / n_fft as f64);
                nc * (f / (a440 / 16.0)).log2()
            })
            .collect();
        frqbins.insert(0, frqbins[0] - 1.5 * nc);
        let mut binwidth: Vec<f64> = frqbins.windows(2).map(|w| (w[1] - w[0]).max(1.0)).collect();
        binwidth.push(1.0);
        let half = (nc / 2.0).round();
        let mut wts = vec![0.0f64; n_chroma * n_fft];
        for c in 0..n_chroma {
            for (k, (&fb, &bw)) in frqbins.iter().zip(&binwidth).enumerate() {
                let d = (fb - c as f64 + half + 10.0 * nc).rem_euclid(nc) - half;
                wts[c * n_fft + k] = (-0.5 * (2.0 * d / bw).powi(2)).exp();
            }
        }
        for k in 0..n_fft {
            let norm = (0..n_chroma)
                .map(|c| wts[c * n_fft + k].powi(2))
                .sum::<f64>()
                .sqrt();
            let octave = (-0.5 * ((frqbins[k] / nc - 5.0) / 2.0).powi(2)).exp();
            for c in 0..n_chroma {
                let w = &mut wts[c * n_fft + k];
                if norm > f64::MIN_POSITIVE {
                    *w /= norm;
                }
                *w *= octave;
            }
        }
        // base_c: roll the rows so that the first is C (A is row 0 before).
        let shift = 3 * (n_chroma / 12);
        let n_bins = n_fft / 2 + 1;
        let mut weights = vec![0.0f32; n_chroma * n_bins];
        for c in 0..n_chroma {
            let source = (c + shift) % n_chroma;
            for k in 0..n_bins {
                weights[c * n_bins + k] = wts[source * n_fft + k] as f32;
            }
        }
        ChromaFilterbank {
            n_chroma,
            n_bins,
            weights,
        }
    }

    /// Pitch classes.
    pub fn n_chroma(&self) -> usize {
        self.n_chroma
    }

    /// Chroma energies of one power-spectrum frame, normalised to a maximum of 1 (librosa's
    /// `norm=np.inf`; a silent frame stays zero).
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        for (o, row) in out.iter_mut().zip(self.weights.chunks_exact(self.n_bins)) {
            *o = row.iter().zip(spectrum).map(|(w, s)| w * s).sum();
        }
        let peak = out.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if peak >= f32::MIN_POSITIVE {
            for o in out.iter_mut() {
                *o /= peak;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_a440_bin_lights_up_pitch_class_a() {
        let sr = 22_050;
        let n_fft = 4096;
        let bank = ChromaFilterbank::new(sr, n_fft, 12, 0.0);
        let mut spectrum = vec![0.0f32; n_fft / 2 + 1];
        let bin = (440.0 * n_fft as f64 / f64::from(sr)).round() as usize;
        spectrum[bin] = 1.0;
        let mut out = vec![0.0; 12];
        bank.apply(&spectrum, &mut out);
        let best = (0..12).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap();
        assert_eq!(best, 9, "{out:?}");
        assert_eq!(out[9], 1.0);
    }
}
