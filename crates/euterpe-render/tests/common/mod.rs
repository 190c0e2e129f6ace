//! Helpers shared by the integration tests: a tiny SoundFont built in memory, test scores, WAV
//! reading through `hound` (an independent reader of what we write).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use euterpe_music::{Note, Score, Track};

/// An EMOPIA clip (a real pop-piano MIDI file of about 30 seconds).
pub fn emopia_clip() -> PathBuf {
    euterpe_testkit::shared_data().join("emopia/midi/Q1_0vLPYiPN7qY_0.mid")
}

/// A POP909 song: three tracks named MELODY, BRIDGE and PIANO, about 140 bars.
pub fn pop909_song() -> PathBuf {
    euterpe_testkit::shared_data().join("pop909/001/001.mid")
}

/// Reads a WAV file with hound: its spec and all samples.
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).expect("hound reads the WAV");
    let spec = reader.spec();
    let samples = reader
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .expect("samples decode");
    (spec, samples)
}

/// Peak and RMS of 16-bit samples, as fractions of full scale.
pub fn peak_rms(samples: &[i16]) -> (f64, f64) {
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0) as f64 / 32767.0;
    let ms = samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len().max(1) as f64;
    (peak, ms.sqrt() / 32767.0)
}

/// A score of one track with the given notes (onset, duration, pitch, velocity) at 480 ticks per
/// beat, 120 BPM.
pub fn score_of(program: u8, is_drum: bool, notes: &[(u64, u64, u8, u8)]) -> Score {
    let mut score = Score::new(480);
    let mut track = Track::new("t", program);
    track.is_drum = is_drum;
    track.notes = notes
        .iter()
        .map(|&(onset, duration, pitch, velocity)| Note {
            onset,
            duration,
            pitch,
            velocity,
        })
        .collect();
    score.tracks.push(track);
    score
}

/// The lag (in samples) of the highest normalised autocorrelation between `lo` and `hi`, as a
/// frequency.
pub fn dominant_hz(x: &[f32], sample_rate: f32, lo_hz: f32, hi_hz: f32) -> f32 {
    let (lo, hi) = (
        (sample_rate / hi_hz) as usize,
        (sample_rate / lo_hz) as usize,
    );
    let score = |lag: usize| {
        let n = x.len() - lag;
        let dot: f32 = (0..n).map(|i| x[i] * x[i + lag]).sum();
        let e: f32 = (0..n).map(|i| x[i] * x[i] + x[i + lag] * x[i + lag]).sum();
        2.0 * dot / e.max(1e-12)
    };
    let best = (lo..=hi)
        .map(|l| (l, score(l)))
        .fold((lo, f32::MIN), |b, c| if c.1 > b.1 { c } else { b });
    sample_rate / best.0 as f32
}

fn chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend((data.len() as u32).to_le_bytes());
    out.extend(data);
    out
}

fn list(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for c in chunks {
        body.extend(c);
    }
    chunk(b"LIST", &body)
}

fn name20(name: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.resize(20, 0);
    b
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Sample rate of the tiny SoundFont's one sample: 100 samples per period of A4 (440 Hz).
pub const TINY_SF2_SAMPLE_RATE: u32 = 44_000;

/// A minimal but complete SoundFont 2: one preset (bank 0, program 0) whose one instrument plays a
/// looped sine recorded at A4 (key 69) over the whole keyboard. About 4.5 kB.
pub fn tiny_sf2() -> Vec<u8> {
    let frames = 2000usize;
    let mut smpl = Vec::with_capacity((frames + 46) * 2);
    for i in 0..frames + 46 {
        let v = if i < frames {
            (16_000.0 * (i as f64 / 100.0 * std::f64::consts::TAU).sin()).round() as i16
        } else {
            0 // the 46 zero samples the format asks for after each sample
        };
        smpl.extend(v.to_le_bytes());
    }
    let info = list(
        b"INFO",
        &[
            chunk(b"ifil", &u16s(&[2, 1])),
            chunk(b"isng", b"EMU8000\0"),
            chunk(b"INAM", b"tiny sine\0\0\0"),
        ],
    );
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);

    let mut phdr = name20("Sine");
    phdr.extend(u16s(&[0, 0, 0])); // program, bank, first bag
    phdr.extend([0u8; 12]); // library, genre, morphology
    phdr.extend(name20("EOP"));
    phdr.extend(u16s(&[0, 0, 1]));
    phdr.extend([0u8; 12]);
    let pbag = u16s(&[0, 0, 1, 0]);
    let pgen = u16s(&[41, 0, 0, 0]); // instrument 0; terminal
    let mut inst = name20("SineInst");
    inst.extend(u16s(&[0]));
    inst.extend(name20("EOI"));
    inst.extend(u16s(&[1]));
    let ibag = u16s(&[0, 0, 2, 0]);
    let igen = u16s(&[54, 1, 53, 0, 0, 0]); // sampleModes = loop, sampleID = 0; terminal
    let mut shdr = name20("sine");
    for v in [0u32, frames as u32, 100, 1900, TINY_SF2_SAMPLE_RATE] {
        shdr.extend(v.to_le_bytes());
    }
    shdr.extend([69u8, 0]); // original pitch, correction
    shdr.extend(u16s(&[0, 1])); // link, mono sample
    shdr.extend(name20("EOS"));
    shdr.extend([0u8; 26]);
    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdr),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &[0u8; 10]),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &inst),
            chunk(b"ibag", &ibag),
            chunk(b"imod", &[0u8; 10]),
            chunk(b"igen", &igen),
            chunk(b"shdr", &shdr),
        ],
    );
    let mut body = b"sfbk".to_vec();
    body.extend(info);
    body.extend(sdta);
    body.extend(pdta);
    chunk(b"RIFF", &body)
}
