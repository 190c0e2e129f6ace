//! Percussion of the built-in synthesiser: one-shot sounds chosen by General MIDI drum key.

use super::dsp::{self, decay_coef, HighPass, LowPass, Noise, Sine, SILENT};
use super::timbre::velocity_gain;

/// The kind of drum sound a General MIDI key (35–81) plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DrumKind {
    /// Bass drum: a sine sweeping down from about 160 Hz, with a click.
    Kick,
    /// Snare: a short tone and a longer burst of high-passed noise.
    Snare,
    /// Side stick, claves, wood blocks: a very short pitched click.
    Click {
        /// Pitch of the click.
        hz: f32,
    },
    /// Hand clap: three quick noise bursts and a tail.
    Clap,
    /// Hi-hats, cymbals, shakers: high-passed noise with a given decay.
    Metal {
        /// Decay time constant in seconds.
        tau: f32,
        /// High-pass cutoff in Hz.
        cutoff: f32,
    },
    /// Toms, congas, bongos, timbales: a pitched thump with a slight downward sweep.
    Tom {
        /// Resting pitch.
        hz: f32,
    },
}

impl DrumKind {
    /// The sound of a General MIDI percussion key; keys outside the GM map get a thump pitched by
    /// the key.
    pub fn for_key(key: u8) -> DrumKind {
        match key {
            35 | 36 => DrumKind::Kick,
            38 | 40 => DrumKind::Snare,
            37 => DrumKind::Click { hz: 900.0 },
            39 => DrumKind::Clap,
            42 => DrumKind::Metal {
                tau: 0.03,
                cutoff: 7000.0,
            },
            44 => DrumKind::Metal {
                tau: 0.02,
                cutoff: 6000.0,
            },
            46 => DrumKind::Metal {
                tau: 0.25,
                cutoff: 6000.0,
            },
            49 | 52 | 55 | 57 => DrumKind::Metal {
                tau: 0.7,
                cutoff: 4000.0,
            },
            51 | 53 | 59 => DrumKind::Metal {
                tau: 0.45,
                cutoff: 5500.0,
            },
            54 | 69 | 70 | 82 => DrumKind::Metal {
                tau: 0.06,
                cutoff: 5000.0,
            },
            41 | 43 | 45 | 47 | 48 | 50 => DrumKind::Tom {
                hz: 70.0 * ((key as f32 - 41.0) / 12.0).exp2() * 1.25,
            },
            56 => DrumKind::Click { hz: 560.0 },
            75..=77 => DrumKind::Click {
                hz: 1200.0 + 200.0 * (key as f32 - 75.0),
            },
            _ => DrumKind::Tom {
                hz: 200.0 * ((key as f32 - 60.0) / 12.0).exp2(),
            },
        }
    }
}

/// One sounding drum hit. Drums are one-shots: a note-off does not shorten them.
#[derive(Debug, Clone)]
pub(crate) struct DrumVoice {
    kind: DrumKind,
    gain: f32,
    sample_rate: f32,
    t: u32,
    tone: Sine,
    tone_amp: f32,
    tone_coef: f32,
    noise: Noise,
    noise_amp: f32,
    noise_coef: f32,
    hp: HighPass,
    hp2: HighPass,
    lp: LowPass,
    sweep_from: f32,
    sweep_to: f32,
    sweep_coef: f32,
    sweep: f32,
}

impl DrumVoice {
    /// Starts a hit of General MIDI key `key`; `seed` makes its noise deterministic.
    pub fn new(key: u8, velocity: u8, sample_rate: f32, seed: u32) -> Self {
        let sr = sample_rate;
        let kind = DrumKind::for_key(key);
        // (tone Hz, tone level, tone tau, noise level, noise tau, high-pass, low-pass, sweep)
        let (hz, tone_amp, tone_tau, noise_amp, noise_tau, hp, lp, sweep) = match kind {
            DrumKind::Kick => (50.0, 1.0, 0.28, 0.25, 0.004, 20.0, 4000.0, 110.0),
            DrumKind::Snare => (185.0, 0.5, 0.06, 0.8, 0.13, 1200.0, 9000.0, 40.0),
            DrumKind::Click { hz } => (hz, 0.6, 0.02, 0.3, 0.01, 600.0, 8000.0, 0.0),
            DrumKind::Clap => (0.0, 0.0, 0.01, 0.9, 0.12, 900.0, 3500.0, 0.0),
            DrumKind::Metal { tau, cutoff } => (0.0, 0.0, 0.01, 0.6, tau, cutoff, 16_000.0, 0.0),
            DrumKind::Tom { hz } => (hz, 0.9, 0.3, 0.12, 0.03, 200.0, 5000.0, hz * 0.6),
        };
        DrumVoice {
            kind,
            gain: 0.55 * velocity_gain(velocity),
            sample_rate: sr,
            t: 0,
            tone: Sine::new(hz + sweep, sr),
            tone_amp,
            tone_coef: decay_coef(tone_tau, sr),
            noise: Noise::new(seed),
            noise_amp,
            noise_coef: decay_coef(noise_tau, sr),
            hp: HighPass::new(hp, sr),
            hp2: HighPass::new(hp, sr),
            lp: LowPass::new(lp, 0.7, sr),
            sweep_from: sweep,
            sweep_to: hz,
            sweep_coef: decay_coef(0.03, sr),
            sweep: 1.0,
        }
    }

    /// Writes the next `out.len()` samples into `out`; returns whether the hit still sounds.
    pub fn render(&mut self, out: &mut [f32]) -> bool {
        let table = dsp::table();
        let sr = self.sample_rate;
        for o in out.iter_mut() {
            let mut s = 0.0;
            if self.tone_amp > SILENT {
                if self.sweep_from > 0.0 {
                    self.sweep *= self.sweep_coef;
                    if self.t.is_multiple_of(16) {
                        self.tone
                            .set_freq(self.sweep_to + self.sweep_from * self.sweep, sr);
                    }
                }
                s += self.tone.next(table) * self.tone_amp;
                self.tone_amp *= self.tone_coef;
            }
            if self.noise_amp > SILENT {
                let n = self.hp2.process(self.hp.process(self.noise.next()));
                let mut a = self.noise_amp;
                if self.kind == DrumKind::Clap {
                    // Bursts at 0, 11 and 22 ms, each cut short, before the tail.
                    let ms = self.t as f32 * 1000.0 / sr;
                    if ms < 30.0 {
                        a *= if ms % 11.0 < 4.0 { 1.0 } else { 0.15 };
                    }
                }
                s += self.lp.process(n) * a;
                self.noise_amp *= self.noise_coef;
            }
            self.t = self.t.wrapping_add(1);
            *o = s * self.gain;
        }
        self.tone_amp > SILENT || self.noise_amp > SILENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drum_keys_map_to_kinds() {
        assert_eq!(DrumKind::for_key(36), DrumKind::Kick);
        assert_eq!(DrumKind::for_key(38), DrumKind::Snare);
        assert!(matches!(DrumKind::for_key(42), DrumKind::Metal { .. }));
        assert!(matches!(DrumKind::for_key(45), DrumKind::Tom { .. }));
    }

    #[test]
    fn hits_sound_then_end() {
        for key in [35u8, 36, 37, 38, 39, 42, 46, 49, 51, 56, 60, 76] {
            let mut v = DrumVoice::new(key, 100, 44_100.0, 9);
            let mut first = vec![0.0; 2048];
            assert!(v.render(&mut first));
            let peak = first.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(peak > 0.02, "key {key}: peak {peak}");
            let mut rest = vec![0.0; 44_100 * 8];
            assert!(!v.render(&mut rest), "key {key} rings for more than 8 s");
        }
    }

    #[test]
    fn kick_is_lower_than_hat() {
        // The hat's energy is mostly in sample-to-sample differences, the kick's is not.
        let ratio = |key| {
            let mut v = DrumVoice::new(key, 100, 44_100.0, 1);
            let mut x = vec![0.0; 4096];
            v.render(&mut x);
            let e: f32 = x.iter().map(|s| s * s).sum();
            let d: f32 = x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
            d / e.max(1e-12)
        };
        assert!(ratio(36) * 10.0 < ratio(42));
    }
}
