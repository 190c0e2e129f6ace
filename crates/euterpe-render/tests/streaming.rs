//! The streaming renderer: fixed-size blocks, bounded memory, block-size independence.

mod common;

use common::{emopia_clip, score_of};
use euterpe_music::midi::read_midi_file;
use euterpe_render::{RenderOptions, Renderer, Synth};

#[test]
fn blocks_have_the_fixed_size_and_cover_the_piece() {
    let score = read_midi_file(&emopia_clip()).unwrap();
    let options = RenderOptions {
        block_frames: 1024,
        ..RenderOptions::default()
    };
    let renderer = Renderer::new(&score, &options).unwrap();
    let total = renderer.total_frames();
    let expected = ((score.duration_seconds() + 1.5) * 44_100.0).ceil() as u64;
    assert_eq!(total, expected);
    let blocks: Vec<_> = renderer.collect();
    let (last, full) = blocks.split_last().unwrap();
    assert!(full.len() > 100);
    let mut start = 0;
    for b in full {
        assert_eq!(b.start_frame, start);
        assert_eq!(b.channels, 2);
        assert_eq!(b.frames(), 1024);
        // One block's worth of samples, no more: nothing accumulates.
        assert!(b.samples.capacity() <= 2048);
        start += 1024;
    }
    assert!(last.frames() >= 1 && last.frames() <= 1024);
    assert_eq!(start + last.frames() as u64, total);
    assert!(blocks
        .iter()
        .any(|b| b.samples.iter().any(|s| s.abs() > 0.01)));
}

#[test]
fn output_does_not_depend_on_the_block_size() {
    let score = score_of(
        25,
        false,
        &[
            (0, 300, 52, 90),
            (240, 500, 59, 100),
            (480, 240, 64, 70),
            (600, 900, 40, 120),
        ],
    );
    let render = |block_frames, fill: usize, threads| {
        let options = RenderOptions {
            block_frames,
            threads,
            ..RenderOptions::default()
        };
        let mut r = Renderer::with_synth(&score, &Synth::Builtin, &options).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0.0; fill * 2];
        loop {
            let n = r.fill(&mut buf);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n * 2]);
        }
        assert_eq!(r.position(), r.total_frames());
        out
    };
    let a = render(4096, 4096, 1);
    assert!(a.iter().any(|s| s.abs() > 0.01));
    // Voices decide when they fall silent on a grid of their own life, not at block ends, and
    // the notes' split into lanes does not depend on the threads: the samples are the same.
    assert_eq!(a, render(333, 1000, 1), "another block size");
    assert_eq!(a, render(4096, 4096, 2), "two threads");
    assert_eq!(a, render(100, 77, 3), "three threads, small blocks");
}

#[test]
fn release_tails_ring_past_the_last_note_off() {
    // An organ chord for one beat: sound continues briefly after 0.5 s, then silence.
    let score = score_of(19, false, &[(0, 480, 60, 100), (0, 480, 67, 100)]);
    let options = RenderOptions {
        channels: 1,
        ..RenderOptions::default()
    };
    let x: Vec<f32> = Renderer::new(&score, &options)
        .unwrap()
        .flat_map(|b| b.samples)
        .collect();
    let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak(&x[22_050..22_050 + 441]) > 0.01, "no release tail");
    assert!(
        peak(&x[44_100..]) < 1e-3,
        "the organ must stop within 0.5 s of release"
    );
}

#[test]
fn louder_velocities_are_louder() {
    let rms_of = |velocity| {
        let score = score_of(0, false, &[(0, 480, 60, velocity)]);
        let x: Vec<f32> = Renderer::new(&score, &RenderOptions::default())
            .unwrap()
            .flat_map(|b| b.samples)
            .collect();
        (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
    };
    let (soft, loud) = (rms_of(40), rms_of(120));
    assert!(soft > 0.0);
    assert!(
        loud > 3.0 * soft,
        "velocity 120: {loud}, velocity 40: {soft}"
    );
}

#[test]
fn every_program_family_and_the_drums_render_finite_bounded_audio() {
    let mut score = euterpe_music::Score::new(480);
    for family in 0..16u8 {
        let mut t = score_of(family * 8, false, &[]).tracks.remove(0);
        for (i, pitch) in [28u8, 48, 60, 72, 96, 108].into_iter().enumerate() {
            t.notes.push(euterpe_music::Note {
                onset: i as u64 * 240,
                duration: 600,
                pitch,
                velocity: 127,
            });
        }
        score.tracks.push(t);
    }
    let drums = score_of(
        0,
        true,
        &(27..=87)
            .map(|k| ((k - 27) as u64 * 30, 30, k, 127))
            .collect::<Vec<_>>(),
    );
    score.tracks.extend(drums.tracks);
    let options = RenderOptions {
        tail_seconds: 3.0,
        ..RenderOptions::default()
    };
    let mut peak = 0.0f32;
    for block in Renderer::new(&score, &options).unwrap() {
        for s in block.samples {
            assert!(s.is_finite());
            peak = peak.max(s.abs());
        }
    }
    // 17 loud tracks at once: loud, but no runaway filter or string.
    assert!(peak > 0.1 && peak < 8.0, "peak {peak}");
}
