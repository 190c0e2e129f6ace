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
    let render = |block_frames, fill: usize| {
        let options = RenderOptions {
            block_frames,
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
    let a = render(4096, 4096);
    let b = render(333, 1000);
    assert_eq!(a.len(), b.len());
    // Voices are dropped at block ends once below −80 dB, so tails may differ by that much.
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(diff < 1e-3, "max difference {diff}");
    assert_eq!(
        a,
        render(4096, 4096),
        "same settings must give the same samples"
    );
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
