//! Melodic timbres of the built-in synthesiser, chosen by General MIDI program family.

use super::dsp::{self, decay_coef, Adsr, Blep, LowPass, Noise, Sine, SILENT};

/// A sound of the built-in synthesiser; every General MIDI program maps to one
/// ([`Timbre::for_program`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timbre {
    /// Decaying additive tone with slightly stretched partials and a hammer knock (programs 0–7).
    Piano,
    /// Bar partials (1, 3.9, 9.5 × f) that ring and die (chromatic percussion 8–15, percussive
    /// 112–119).
    Mallet,
    /// Sustained drawbar harmonics (organs 16–23).
    Organ,
    /// Karplus–Strong plucked string (guitars 24–31, harp 46, ethnic 104–111).
    Pluck,
    /// Karplus–Strong with a darker, longer-ringing excitation (basses 32–39).
    Bass,
    /// Two detuned sawtooths, low-passed, with vibrato and a bowed attack (strings and ensembles
    /// 40–55 except the harp).
    Strings,
    /// Slow, soft detuned sawtooths (synth pads and effects 88–103, sound effects 120–127).
    Pad,
    /// Sawtooth through a low-pass whose cutoff follows its own envelope (brass 56–63).
    Brass,
    /// Filtered square wave (reeds 64–71).
    Reed,
    /// Near-sine tone with a little breath noise (pipes 72–79).
    Flute,
    /// Bright sawtooth plus square (synth leads 80–87).
    Lead,
}

impl Timbre {
    /// The timbre for a General MIDI program (0–127; larger values wrap).
    pub fn for_program(program: u8) -> Timbre {
        match program & 0x7F {
            0..=7 => Timbre::Piano,
            8..=15 | 112..=119 => Timbre::Mallet,
            16..=23 => Timbre::Organ,
            24..=31 | 46 | 104..=111 => Timbre::Pluck,
            32..=39 => Timbre::Bass,
            40..=55 => Timbre::Strings,
            56..=63 => Timbre::Brass,
            64..=71 => Timbre::Reed,
            72..=79 => Timbre::Flute,
            80..=87 => Timbre::Lead,
            _ => Timbre::Pad,
        }
    }
}

/// The frequency of a MIDI pitch in Hz (A4 = 69 = 440 Hz).
pub(crate) fn pitch_hz(pitch: u8) -> f32 {
    440.0 * ((pitch as f32 - 69.0) / 12.0).exp2()
}

/// How loud a velocity sounds, 0–1.
pub(crate) fn velocity_gain(velocity: u8) -> f32 {
    (velocity.min(127) as f32 / 127.0).powf(1.5)
}

/// One sounding melodic note.
#[derive(Debug, Clone)]
pub(crate) struct MelodicVoice {
    env: Adsr,
    gain: f32,
    kind: Kind,
    /// Frames rendered since the note started.
    age: u64,
}

/// A voice decides whether it still sounds (and drops silent partials) every this many frames of
/// its life: on a grid of its own, so its samples do not depend on how rendering is cut into calls.
const CHECK_FRAMES: u64 = 64;

#[derive(Debug, Clone)]
enum Kind {
    Additive(Additive),
    Pluck(Pluck),
    Subtractive(Subtractive),
}

/// A decaying sinusoid.
#[derive(Debug, Clone, Copy)]
struct Partial {
    osc: Sine,
    amp: f32,
    /// Per-sample multiplier of `amp` (1.0 for a sustained partial).
    coef: f32,
}

#[derive(Debug, Clone)]
struct Additive {
    partials: Vec<Partial>,
    /// A burst of filtered noise at the start (hammer, breath), and a steady breath level.
    noise: Noise,
    noise_filter: LowPass,
    noise_amp: f32,
    noise_coef: f32,
    breath: f32,
}

#[derive(Debug, Clone)]
struct Pluck {
    line: Vec<f32>,
    pos: usize,
    prev: f32,
    /// First-order all-pass for the fractional part of the loop delay.
    ap_c: f32,
    ap_x1: f32,
    ap_y1: f32,
    rho: f32,
    /// Running level, to end the voice once the string is silent.
    level: f32,
}

#[derive(Debug, Clone)]
struct Subtractive {
    oscs: [Blep; 2],
    dts: [f32; 2],
    wave: Wave,
    filter: LowPass,
    /// Cutoff = freq × (base + depth × filter envelope) + velocity_hz.
    cutoff_base: f32,
    cutoff_depth: f32,
    cutoff_extra_hz: f32,
    q: f32,
    freq: f32,
    sample_rate: f32,
    filter_env: Option<Adsr>,
    vibrato: Option<(Sine, f32)>,
    vibrato_delay: u32,
    age: u32,
}

#[derive(Debug, Clone, Copy)]
enum Wave {
    Saw,
    Square,
    SawSquare,
}

impl MelodicVoice {
    /// Starts a note of `timbre`; `seed` makes its noise deterministic.
    pub fn new(timbre: Timbre, pitch: u8, velocity: u8, sample_rate: f32, seed: u32) -> Self {
        let sr = sample_rate;
        let f = pitch_hz(pitch);
        let v = velocity.min(127) as f32 / 127.0;
        // Time scale: lower notes ring longer.
        let ring = ((60.0 - pitch as f32) / 24.0).exp2();
        let vg = velocity_gain(velocity);
        let (env, level, kind) = match timbre {
            Timbre::Piano => {
                let t1 = (2.0 * ring).clamp(0.3, 6.0);
                let amps = [1.0, 0.55, 0.32, 0.22, 0.14, 0.09, 0.06, 0.04, 0.03, 0.02];
                let b = 0.0004 * ((pitch as f32 - 60.0) / 24.0).exp2();
                let tilt = 0.6 + 0.4 * v;
                let partials = (1..=amps.len())
                    .map(|n| {
                        let nf = n as f32;
                        let fn_ = f * nf * (1.0 + b * nf * nf).sqrt();
                        let amp = amps[n - 1] * tilt.powi(n as i32 - 1);
                        (fn_, amp, t1 / (1.0 + 0.6 * (nf - 1.0)))
                    })
                    .filter(|(fn_, _, _)| *fn_ < 0.45 * sr)
                    .map(|(fn_, amp, tau)| Partial {
                        osc: Sine::new(fn_, sr),
                        amp,
                        coef: decay_coef(tau, sr),
                    })
                    .collect();
                (
                    Adsr::new(0.003, 0.35, 0.55, 0.1, sr),
                    0.32,
                    Kind::Additive(Additive {
                        partials,
                        noise: Noise::new(seed),
                        noise_filter: LowPass::new(1500.0 + 2500.0 * v, 0.7, sr),
                        noise_amp: 0.25 * v,
                        noise_coef: decay_coef(0.004, sr),
                        breath: 0.0,
                    }),
                )
            }
            Timbre::Mallet => {
                let t = (0.9 * ring).clamp(0.15, 3.0);
                let spec = [(1.0, 1.0, t), (3.93, 0.25, t / 3.5), (9.54, 0.08, t / 9.0)];
                (
                    Adsr::new(0.001, 1.0, 1.0, 0.15, sr),
                    0.45,
                    Kind::Additive(additive(&spec, f, sr, seed, 0.15 * v, 0.002, 0.0)),
                )
            }
            Timbre::Organ => {
                let spec = [
                    (1.0, 1.0, 0.0),
                    (2.0, 0.7, 0.0),
                    (3.0, 0.45, 0.0),
                    (4.0, 0.3, 0.0),
                    (6.0, 0.2, 0.0),
                    (8.0, 0.12, 0.0),
                ];
                (
                    Adsr::new(0.008, 0.1, 1.0, 0.05, sr),
                    0.2,
                    Kind::Additive(additive(&spec, f, sr, seed, 0.05, 0.003, 0.0)),
                )
            }
            Timbre::Flute => {
                let spec = [(1.0, 1.0, 0.0), (2.0, 0.2, 0.0), (3.0, 0.06, 0.0)];
                (
                    Adsr::new(0.06, 0.15, 0.85, 0.08, sr),
                    0.4,
                    Kind::Additive(additive(&spec, f, sr, seed, 0.2, 0.03, 0.04)),
                )
            }
            Timbre::Pluck | Timbre::Bass => {
                let bass = timbre == Timbre::Bass;
                let t60 = if bass { 3.5 } else { 2.5 * ring.sqrt() }.clamp(0.4, 6.0);
                let bright = if bass {
                    300.0 + 1500.0 * v
                } else {
                    1200.0 + 6000.0 * v
                };
                (
                    Adsr::new(0.001, 1.0, 1.0, 0.08, sr),
                    if bass { 0.7 } else { 0.5 },
                    Kind::Pluck(Pluck::new(f, t60, bright, sr, seed)),
                )
            }
            Timbre::Strings => (
                Adsr::new(0.09, 0.3, 0.85, 0.25, sr),
                0.35,
                Kind::Subtractive(Subtractive::new(
                    f,
                    0.004,
                    Wave::Saw,
                    (3.0, 0.0, 1500.0 * v, 0.7),
                    None,
                    Some((5.5, 0.004, 0.25)),
                    sr,
                )),
            ),
            Timbre::Pad => (
                Adsr::new(0.35, 0.5, 0.85, 0.6, sr),
                0.3,
                Kind::Subtractive(Subtractive::new(
                    f,
                    0.007,
                    Wave::Saw,
                    (2.0, 0.0, 700.0 * v, 0.8),
                    None,
                    None,
                    sr,
                )),
            ),
            Timbre::Brass => (
                Adsr::new(0.025, 0.2, 0.85, 0.1, sr),
                0.4,
                Kind::Subtractive(Subtractive::new(
                    f,
                    0.002,
                    Wave::Saw,
                    (1.2, 3.0 + 5.0 * v, 0.0, 1.0),
                    Some(Adsr::new(0.05, 0.25, 0.4, 0.2, sr)),
                    Some((5.0, 0.003, 0.4)),
                    sr,
                )),
            ),
            Timbre::Reed => (
                Adsr::new(0.03, 0.2, 0.9, 0.08, sr),
                0.35,
                Kind::Subtractive(Subtractive::new(
                    f,
                    0.0,
                    Wave::Square,
                    (2.5, 0.0, 1000.0 * v, 0.9),
                    None,
                    Some((5.0, 0.003, 0.3)),
                    sr,
                )),
            ),
            Timbre::Lead => (
                Adsr::new(0.01, 0.2, 0.8, 0.1, sr),
                0.25,
                Kind::Subtractive(Subtractive::new(
                    f,
                    0.003,
                    Wave::SawSquare,
                    (6.0, 0.0, 3000.0 * v, 1.1),
                    None,
                    Some((5.5, 0.004, 0.3)),
                    sr,
                )),
            ),
        };
        MelodicVoice {
            env,
            gain: level * vg,
            kind,
            age: 0,
        }
    }

    /// Starts the release (the key was let go).
    pub fn release(&mut self) {
        self.env.release();
        if let Kind::Subtractive(s) = &mut self.kind {
            if let Some(fe) = &mut s.filter_env {
                fe.release();
            }
        }
    }

    /// Writes the next `out.len()` samples into `out`; returns whether the voice still sounds.
    ///
    /// Once it falls silent (checked every [`CHECK_FRAMES`] of its life) the rest of `out` is zero.
    pub fn render(&mut self, out: &mut [f32]) -> bool {
        let mut done = 0;
        while done < out.len() {
            let to_check = (CHECK_FRAMES - self.age % CHECK_FRAMES) as usize;
            let n = to_check.min(out.len() - done);
            self.render_run(&mut out[done..done + n]);
            self.age += n as u64;
            done += n;
            if self.age.is_multiple_of(CHECK_FRAMES) && !self.still_sounds() {
                out[done..].fill(0.0);
                return false;
            }
        }
        true
    }

    /// Writes the next `out.len()` samples, checking nothing.
    fn render_run(&mut self, out: &mut [f32]) {
        let sr_table = dsp::table();
        match &mut self.kind {
            Kind::Additive(a) => {
                for o in out.iter_mut() {
                    let mut s = 0.0;
                    for p in a.partials.iter_mut() {
                        s += p.osc.next(sr_table) * p.amp;
                        p.amp *= p.coef;
                    }
                    if a.noise_amp + a.breath > 0.0 {
                        let n = a.noise_filter.process(a.noise.next());
                        s += n * (a.noise_amp + a.breath);
                        // Stop the burst at −120 dB: decaying further would reach denormal
                        // floats, which are very slow.
                        a.noise_amp = if a.noise_amp > 1e-6 {
                            a.noise_amp * a.noise_coef
                        } else {
                            0.0
                        };
                    }
                    *o = s * self.env.next() * self.gain;
                }
            }
            Kind::Pluck(p) => {
                for o in out.iter_mut() {
                    *o = p.next() * self.env.next() * self.gain;
                }
            }
            Kind::Subtractive(s) => {
                for o in out.iter_mut() {
                    *o = s.next(sr_table) * self.env.next() * self.gain;
                }
            }
        }
    }

    /// Whether the voice still sounds; drops the partials that have died away.
    fn still_sounds(&mut self) -> bool {
        match &mut self.kind {
            Kind::Additive(a) => {
                // Partials that have died away (−100 dB) cost time and add nothing: drop them.
                a.partials.retain(|p| p.amp > 1e-5);
                let remaining: f32 = a.partials.iter().map(|p| p.amp).sum::<f32>() + a.breath;
                !(self.env.done() || remaining < SILENT)
            }
            Kind::Pluck(p) => !(self.env.done() || p.level < SILENT),
            Kind::Subtractive(_) => !self.env.done(),
        }
    }
}

fn additive(
    spec: &[(f32, f32, f32)],
    f: f32,
    sr: f32,
    seed: u32,
    burst: f32,
    burst_tau: f32,
    breath: f32,
) -> Additive {
    let partials = spec
        .iter()
        .filter(|(ratio, _, _)| ratio * f < 0.45 * sr)
        .map(|&(ratio, amp, tau)| Partial {
            osc: Sine::new(ratio * f, sr),
            amp,
            coef: if tau > 0.0 { decay_coef(tau, sr) } else { 1.0 },
        })
        .collect();
    Additive {
        partials,
        noise: Noise::new(seed),
        noise_filter: LowPass::new((f * 4.0).max(800.0), 0.7, sr),
        noise_amp: burst,
        noise_coef: decay_coef(burst_tau, sr),
        breath,
    }
}

impl Pluck {
    fn new(f: f32, t60: f32, brightness_hz: f32, sr: f32, seed: u32) -> Self {
        // Loop delay N = sr / f samples: an integer line, half a sample from the averaging filter,
        // and an all-pass for the rest (kept in 0.1..1.1 where a first-order all-pass is accurate).
        let n = (sr / f).max(4.0);
        let len = ((n - 0.5 - 0.1).floor() as usize).max(2);
        let d = n - 0.5 - len as f32;
        let ap_c = (1.0 - d) / (1.0 + d);
        let mut noise = Noise::new(seed);
        let mut lp = LowPass::new(brightness_hz, 0.7, sr);
        let mut line: Vec<f32> = (0..len).map(|_| lp.process(noise.next())).collect();
        let mean = line.iter().sum::<f32>() / len as f32;
        let peak = line
            .iter()
            .map(|x| (x - mean).abs())
            .fold(0.0f32, f32::max)
            .max(1e-6);
        for x in &mut line {
            *x = (*x - mean) / peak;
        }
        // Loop gain per period so that the fundamental falls by 60 dB in t60 seconds.
        let rho = 10f32.powf(-3.0 / (f * t60)).min(0.99999);
        Pluck {
            line,
            pos: 0,
            prev: 0.0,
            ap_c,
            ap_x1: 0.0,
            ap_y1: 0.0,
            rho,
            level: 1.0,
        }
    }

    #[inline]
    fn next(&mut self) -> f32 {
        let out = self.line[self.pos];
        let avg = self.rho * 0.5 * (out + self.prev);
        self.prev = out;
        let y = self.ap_c * avg + self.ap_x1 - self.ap_c * self.ap_y1;
        self.ap_x1 = avg;
        self.ap_y1 = y;
        self.line[self.pos] = y;
        self.pos += 1;
        if self.pos == self.line.len() {
            self.pos = 0;
        }
        // A slow peak follower (about 50 ms) for the end-of-voice test.
        self.level = (self.level * 0.9995).max(out.abs());
        out
    }
}

impl Subtractive {
    fn new(
        f: f32,
        detune: f32,
        wave: Wave,
        (cutoff_base, cutoff_depth, cutoff_extra_hz, q): (f32, f32, f32, f32),
        filter_env: Option<Adsr>,
        vibrato: Option<(f32, f32, f32)>,
        sr: f32,
    ) -> Self {
        let cutoff = f * cutoff_base + cutoff_extra_hz;
        Subtractive {
            oscs: [Blep::new(0.0), Blep::new(0.37)],
            dts: [f * (1.0 - detune) / sr, f * (1.0 + detune) / sr],
            wave,
            filter: LowPass::new(cutoff, q, sr),
            cutoff_base,
            cutoff_depth,
            cutoff_extra_hz,
            q,
            freq: f,
            sample_rate: sr,
            filter_env,
            vibrato: vibrato.map(|(rate, depth, _)| (Sine::new(rate, sr), depth)),
            vibrato_delay: vibrato.map_or(0, |(_, _, delay)| (delay * sr) as u32),
            age: 0,
        }
    }

    #[inline]
    fn next(&mut self, table: &[f32]) -> f32 {
        let mut bend = 1.0;
        if let Some((lfo, depth)) = &mut self.vibrato {
            let l = lfo.next(table);
            if self.age >= self.vibrato_delay {
                bend += *depth * l;
            }
        }
        if let Some(fe) = &mut self.filter_env {
            let e = fe.next();
            if self.age.is_multiple_of(32) {
                let cutoff =
                    self.freq * (self.cutoff_base + self.cutoff_depth * e) + self.cutoff_extra_hz;
                self.filter.set(cutoff, self.q, self.sample_rate);
            }
        }
        self.age = self.age.wrapping_add(1);
        let (d0, d1) = (self.dts[0] * bend, self.dts[1] * bend);
        let raw = match self.wave {
            Wave::Saw => 0.5 * (self.oscs[0].saw(d0) + self.oscs[1].saw(d1)),
            Wave::Square => 0.5 * (self.oscs[0].square(d0) + self.oscs[1].square(d1)),
            Wave::SawSquare => 0.5 * (self.oscs[0].saw(d0) + 0.7 * self.oscs[1].square(d1)),
        };
        self.filter.process(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_note(timbre: Timbre, pitch: u8, seconds: f32) -> Vec<f32> {
        let sr = 44_100.0;
        let mut v = MelodicVoice::new(timbre, pitch, 100, sr, 1);
        let mut out = vec![0.0; (seconds * sr) as usize];
        v.render(&mut out);
        out
    }

    /// Fundamental estimated as the lag of the highest normalised autocorrelation in 50–1000 Hz.
    fn autocorrelation_pitch(x: &[f32], sr: f32) -> f32 {
        let x = &x[..8192.min(x.len())];
        let (lo, hi) = ((sr / 1000.0) as usize, (sr / 50.0) as usize);
        let score = |lag: usize| {
            let n = x.len() - lag;
            let dot: f32 = (0..n).map(|i| x[i] * x[i + lag]).sum();
            let e: f32 = (0..n).map(|i| x[i] * x[i] + x[i + lag] * x[i + lag]).sum();
            2.0 * dot / e.max(1e-12)
        };
        let (mut lag, best) = (lo..hi)
            .map(|l| (l, score(l)))
            .fold((lo, f32::MIN), |b, c| if c.1 > b.1 { c } else { b });
        // A strong peak at half the lag means the best one is a multiple of the period.
        while lag / 2 >= lo && score(lag / 2).max(score(lag / 2 + 1)) > 0.9 * best {
            lag = if score(lag / 2) > score(lag / 2 + 1) {
                lag / 2
            } else {
                lag / 2 + 1
            };
        }
        sr / lag as f32
    }

    #[test]
    fn every_program_has_a_timbre_and_families_differ() {
        assert_eq!(Timbre::for_program(0), Timbre::Piano);
        assert_eq!(Timbre::for_program(25), Timbre::Pluck);
        assert_eq!(Timbre::for_program(33), Timbre::Bass);
        assert_eq!(Timbre::for_program(48), Timbre::Strings);
        assert_eq!(Timbre::for_program(61), Timbre::Brass);
        assert_eq!(Timbre::for_program(19), Timbre::Organ);
        assert_eq!(Timbre::for_program(89), Timbre::Pad);
        assert_eq!(Timbre::for_program(255), Timbre::Pad);
    }

    #[test]
    fn timbres_sound_at_the_right_pitch() {
        // A3 = 220 Hz; low-passed tones cross zero once per period.
        for timbre in [
            Timbre::Piano,
            Timbre::Mallet,
            Timbre::Brass,
            Timbre::Lead,
            Timbre::Pluck,
            Timbre::Bass,
            Timbre::Organ,
            Timbre::Flute,
            Timbre::Strings,
            Timbre::Pad,
            Timbre::Reed,
        ] {
            let x = render_note(timbre, 57, 1.0);
            let tail = &x[22_050..];
            let rms = (tail.iter().map(|s| s * s).sum::<f32>() / tail.len() as f32).sqrt();
            assert!(rms > 1e-3, "{timbre:?} is silent");
            let hz = autocorrelation_pitch(tail, 44_100.0);
            assert!((hz - 220.0).abs() < 3.0, "{timbre:?}: {hz} Hz");
        }
    }

    #[test]
    fn piano_decays_and_release_ends_the_voice() {
        let sr = 44_100.0;
        let mut v = MelodicVoice::new(Timbre::Piano, 72, 100, sr, 3);
        let mut early = vec![0.0; 4410];
        v.render(&mut early);
        let mut late = vec![0.0; 4410];
        for _ in 0..10 {
            v.render(&mut late);
        }
        let peak = |x: &[f32]| x.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(peak(&late) < 0.7 * peak(&early));
        v.release();
        let mut rest = vec![0.0; 44_100];
        assert!(
            !v.render(&mut rest),
            "voice should end within 1 s of release"
        );
    }
}
