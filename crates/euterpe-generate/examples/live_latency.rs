//! Per-step latency of live generation with the built-in models, the figure behind
//! `docs/benchmarks.md`'s live section (a live stream must keep up with the music: each token
//! step, model and sampling, should stay well under 10 ms at the 99th percentile on one core).
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p euterpe-generate --example live_latency -- --bars 64
//! ```
//!
//! Prints one JSON line per stream: model, controls, bars, token steps, p50 / p99 / max step in
//! milliseconds, and how many times faster than real time the stream was written at 120 BPM.

use std::time::Instant;

use euterpe_generate::{EmotionRequest, LiveSettings, LoadedGenerator};
use euterpe_models::backend::Cpu;
use euterpe_music::tokens::Emotion;
use euterpe_store::ModelSource;
use euterpe_testkit::arg;

fn percentile(sorted: &[f32], q: f64) -> f32 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bars: usize = arg(&args, "--bars", 64);
    let seed: u64 = arg(&args, "--seed", 1);
    let happy = LiveSettings {
        emotion: Some(EmotionRequest::Quadrant(Emotion::Happy)),
        guidance: 3.0,
        ..LiveSettings::default()
    };
    let streams = [
        ("folk", "none", LiveSettings::default()),
        ("piano", "none", LiveSettings::default()),
        ("piano", "emotion happy, guidance 3", happy),
    ];
    for (name, controls, settings) in streams {
        let source = ModelSource::resolve(Some(name)).expect("a built-in model");
        let generator = LoadedGenerator::<Cpu>::load(&source, Default::default()).expect("loads");
        let started = Instant::now();
        let mut session = generator.live(settings, seed).expect("a live session");
        let mut beats = 0.0;
        for _ in 0..bars {
            beats += session.next_bar().expect("a bar").beats;
        }
        let wall = started.elapsed().as_secs_f64();
        let mut ms: Vec<f32> = session.step_seconds().iter().map(|s| s * 1e3).collect();
        ms.sort_by(f32::total_cmp);
        let line = serde_json::json!({
            "model": name,
            "controls": controls,
            "bars": bars,
            "steps": ms.len(),
            "step_ms_p50": percentile(&ms, 0.5),
            "step_ms_p99": percentile(&ms, 0.99),
            "step_ms_max": ms.last(),
            "wall_seconds": wall,
            "realtime_factor_120bpm": beats * 0.5 / wall,
        });
        println!("{line}");
    }
}
