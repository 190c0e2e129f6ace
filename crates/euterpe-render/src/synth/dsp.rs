//! Small signal-processing building blocks: envelopes, oscillators, filters and noise.
//!
//! Everything is deterministic: no global state, no system randomness; the sine table is built
//! from `f64::sin` once and shared.

use std::f32::consts::PI;
use std::sync::OnceLock;

const SINE_BITS: u32 = 12;
const SINE_SIZE: usize = 1 << SINE_BITS;

fn sine_table() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=SINE_SIZE)
            .map(|i| (i as f64 / SINE_SIZE as f64 * std::f64::consts::TAU).sin() as f32)
            .collect()
    })
}

/// A sine oscillator with a 32-bit fixed-point phase and a linearly interpolated table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sine {
    phase: u32,
    step: u32,
}

impl Sine {
    /// A sine of `freq` Hz at `sample_rate`.
    pub fn new(freq: f32, sample_rate: f32) -> Self {
        let mut s = Sine { phase: 0, step: 0 };
        s.set_freq(freq, sample_rate);
        s
    }

    /// Changes the frequency, keeping the phase.
    pub fn set_freq(&mut self, freq: f32, sample_rate: f32) {
        let cycles = (freq / sample_rate).clamp(0.0, 0.5) as f64;
        self.step = (cycles * 4_294_967_296.0) as u32;
    }

    /// The next sample, in −1..1.
    #[inline]
    pub fn next(&mut self, table: &[f32]) -> f32 {
        let idx = (self.phase >> (32 - SINE_BITS)) as usize;
        let frac =
            (self.phase & ((1 << (32 - SINE_BITS)) - 1)) as f32 / (1u32 << (32 - SINE_BITS)) as f32;
        self.phase = self.phase.wrapping_add(self.step);
        let a = table[idx];
        a + (table[idx + 1] - a) * frac
    }
}

/// The shared sine table, for [`Sine::next`].
pub(crate) fn table() -> &'static [f32] {
    sine_table()
}

/// A band-limited (polyBLEP) sawtooth or square oscillator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blep {
    phase: f32,
}

#[inline]
fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

impl Blep {
    /// An oscillator starting at `phase` (0–1).
    pub fn new(phase: f32) -> Self {
        Blep {
            phase: phase.rem_euclid(1.0),
        }
    }

    /// The next sawtooth sample for a frequency of `dt` cycles per sample.
    #[inline]
    pub fn saw(&mut self, dt: f32) -> f32 {
        let t = self.phase;
        self.phase += dt;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        2.0 * t - 1.0 - poly_blep(t, dt)
    }

    /// The next square sample for a frequency of `dt` cycles per sample.
    #[inline]
    pub fn square(&mut self, dt: f32) -> f32 {
        let t = self.phase;
        self.phase += dt;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        let naive = if t < 0.5 { 1.0 } else { -1.0 };
        let t2 = (t + 0.5).fract();
        naive + poly_blep(t, dt) - poly_blep(t2, dt)
    }
}

/// A state-variable low-pass filter (topology-preserving transform, stable under modulation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LowPass {
    ic1: f32,
    ic2: f32,
    a1: f32,
    a2: f32,
    a3: f32,
}

impl LowPass {
    /// A filter with `cutoff` Hz and resonance `q` (0.707 is flat).
    pub fn new(cutoff: f32, q: f32, sample_rate: f32) -> Self {
        let mut f = LowPass {
            ic1: 0.0,
            ic2: 0.0,
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
        };
        f.set(cutoff, q, sample_rate);
        f
    }

    /// Changes cutoff and resonance, keeping the state.
    pub fn set(&mut self, cutoff: f32, q: f32, sample_rate: f32) {
        let fc = cutoff.clamp(20.0, 0.45 * sample_rate);
        let g = (PI * fc / sample_rate).tan();
        let k = 1.0 / q.max(0.1);
        self.a1 = 1.0 / (1.0 + g * (g + k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        v2
    }
}

/// A one-pole high-pass filter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HighPass {
    a: f32,
    x1: f32,
    y1: f32,
}

impl HighPass {
    /// A high-pass at `cutoff` Hz.
    pub fn new(cutoff: f32, sample_rate: f32) -> Self {
        let rc = 1.0 / (2.0 * PI * cutoff);
        let dt = 1.0 / sample_rate;
        HighPass {
            a: rc / (rc + dt),
            x1: 0.0,
            y1: 0.0,
        }
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.a * (self.y1 + x - self.x1);
        self.x1 = x;
        self.y1 = y;
        y
    }
}

/// White noise from a xorshift generator: the same seed gives the same noise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Noise(u32);

impl Noise {
    /// A generator from a seed (any value; 0 is remapped).
    pub fn new(seed: u32) -> Self {
        // SplitMix-style scramble so that consecutive seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9);
        z = (z ^ (z >> 16)).wrapping_mul(0x85EB_CA6B);
        z = (z ^ (z >> 13)).wrapping_mul(0xC2B2_AE35);
        z ^= z >> 16;
        Noise(if z == 0 { 0x1234_5678 } else { z })
    }

    /// The next sample, uniform in −1..1.
    #[inline]
    pub fn next(&mut self) -> f32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        (x as f32 / u32::MAX as f32) * 2.0 - 1.0
    }
}

/// Attack–decay–sustain–release envelope: linear attack, exponential decay and release.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adsr {
    level: f32,
    stage: Stage,
    attack_step: f32,
    decay_coef: f32,
    sustain: f32,
    release_coef: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Attack,
    Decay,
    Release,
    Done,
}

/// The level below which a released sound counts as silent (−80 dB).
pub(crate) const SILENT: f32 = 1e-4;

/// Per-sample coefficient of an exponential decay with time constant `tau` seconds.
pub(crate) fn decay_coef(tau: f32, sample_rate: f32) -> f32 {
    (-1.0 / (tau.max(1e-4) * sample_rate)).exp()
}

impl Adsr {
    /// An envelope: attack time (s), decay time constant (s), sustain level (0–1), release time
    /// constant (s).
    pub fn new(attack: f32, decay: f32, sustain: f32, release: f32, sample_rate: f32) -> Self {
        Adsr {
            level: 0.0,
            stage: Stage::Attack,
            attack_step: 1.0 / (attack.max(1e-4) * sample_rate),
            decay_coef: decay_coef(decay, sample_rate),
            sustain: sustain.clamp(0.0, 1.0),
            release_coef: decay_coef(release, sample_rate),
        }
    }

    /// Starts the release from the current level.
    pub fn release(&mut self) {
        if self.stage != Stage::Done {
            self.stage = Stage::Release;
        }
    }

    /// Whether the envelope has died away.
    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The next level.
    #[inline]
    pub fn next(&mut self) -> f32 {
        match self.stage {
            Stage::Attack => {
                self.level += self.attack_step;
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.stage = Stage::Decay;
                }
            }
            Stage::Decay => {
                self.level = self.sustain + (self.level - self.sustain) * self.decay_coef;
                if self.sustain < SILENT && self.level < SILENT {
                    self.stage = Stage::Done;
                }
            }
            Stage::Release => {
                self.level *= self.release_coef;
                if self.level < SILENT {
                    self.stage = Stage::Done;
                }
            }
            Stage::Done => self.level = 0.0,
        }
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_has_the_right_frequency() {
        let sr = 44_100.0;
        let mut s = Sine::new(441.0, sr);
        let t = table();
        let samples: Vec<f32> = (0..44_100).map(|_| s.next(t)).collect();
        let crossings = samples
            .windows(2)
            .filter(|w| w[0] <= 0.0 && w[1] > 0.0)
            .count();
        assert!((440..=442).contains(&crossings), "{crossings}");
    }

    #[test]
    fn envelope_releases_to_silence() {
        let mut env = Adsr::new(0.01, 0.1, 0.5, 0.05, 1000.0);
        for _ in 0..1000 {
            env.next();
        }
        assert!((env.next() - 0.5).abs() < 0.05);
        env.release();
        for _ in 0..2000 {
            env.next();
        }
        assert!(env.done());
    }

    #[test]
    fn noise_is_seeded() {
        let a: Vec<f32> = {
            let mut n = Noise::new(7);
            (0..10).map(|_| n.next()).collect()
        };
        let mut n = Noise::new(7);
        assert!(a.iter().all(|&x| x == n.next()));
        let mut m = Noise::new(8);
        assert!(a.iter().any(|&x| x != m.next()));
    }
}
