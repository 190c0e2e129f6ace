//! Generation throughput at batch 1, the euterpe side of `bench/generate.sh`.
//!
//! ```text
//! # raw model stepping and sampling (random weights, no grammar), as the PyTorch reference does:
//! cargo run --release -p euterpe-generate --example gen_speed -- --cell lstm --tokens 2000
//! # the whole generator (grammar masks, decoding) with the built-in model, 32 bars:
//! cargo run --release -p euterpe-generate --example gen_speed -- --builtin folk --bars 32
//! ```
//!
//! Prints one JSON line: tokens, wall and CPU seconds, tokens per second.

use std::time::Instant;

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_generate::sampling::sample;
use euterpe_generate::{GenerateOptions, Generator, Length, SamplingConfig};
use euterpe_models::backend::Cpu;
use euterpe_models::{CoreConfig, Stepwise, TokenLm, TokenLmConfig};
use euterpe_store::ModelSource;
use euterpe_testkit::{arg, cpu_seconds};

/// Steps a random-weight model `warmup + tokens` times for `--batch` rows (default 1), sampling
/// each row's next token; `tokens` counts steps, the rates count tokens of every row.
fn raw(args: &[String]) -> serde_json::Value {
    let cell = arg(args, "--cell", "lstm".to_string());
    let tokens: usize = arg(args, "--tokens", 2000);
    let warmup: usize = arg(args, "--warmup", 20);
    let vocab: usize = arg(args, "--vocab", 130);
    let batch: usize = arg(args, "--batch", 1);
    let transformer = cell == "transformer";
    let mut core = CoreConfig::of_cell(
        &cell,
        arg(args, "--hidden", 256),
        arg(args, "--layers", if transformer { 4 } else { 2 }),
        0.0,
    )
    .expect("--cell is one of rnn, lstm, gru, transformer");
    if let Some(t) = core.transformer_mut() {
        t.heads = arg(args, "--heads", 4);
        t.max_len = warmup + tokens + 1;
    }
    let config = TokenLmConfig {
        vocab,
        embedding: arg(args, "--embedding", 64),
        core,
    };
    let device = Default::default();
    Cpu::seed(&device, 1);
    // Weights as generation uses them (`euterpe generate` does the same).
    let model: TokenLm<Cpu> = config.init::<Cpu>(&device).with_inference_weights();
    let mut rng = SplitMix64::new(7);
    let allowed = vec![true; vocab];
    let sampling = SamplingConfig::default();
    let mut state = model.initial_state(batch, &device);
    let mut ids = vec![1u32; batch];
    let (mut t0, mut c0) = (Instant::now(), cpu_seconds());
    for step in 0..warmup + tokens {
        if step == warmup {
            (t0, c0) = (Instant::now(), cpu_seconds());
        }
        let input: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        let input = Tensor::<Cpu, 1, Int>::from_data(TensorData::new(input, [batch]), &device);
        let (log_probs, next) = model.step(input, state);
        state = next;
        let lp: Vec<f32> = log_probs.into_data().to_vec().unwrap_or_default();
        for (id, row) in ids.iter_mut().zip(lp.chunks_exact(vocab)) {
            *id = sample(row, &allowed, &sampling, &mut rng).unwrap_or(0);
        }
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let tokens = tokens * batch;
    serde_json::json!({
        "tool": "euterpe", "mode": "sample", "cell": cell, "batch": batch,
        "tokens": tokens, "wall_s": wall, "cpu_s": cpu,
        "tokens_per_s": tokens as f64 / wall, "tokens_per_cpu_s": tokens as f64 / cpu,
        "parameters": burn::module::Module::num_params(&model),
    })
}

/// The whole generator on a built-in model: `--bars` bars from BOS, one piece.
fn whole(args: &[String], name: &str) -> serde_json::Value {
    let bars: usize = arg(args, "--bars", 32);
    let seed: u64 = arg(args, "--seed", 1);
    let device = Default::default();
    let source = ModelSource::resolve(Some(name)).expect("a built-in model");
    let (lm, tokenizer) = source
        .load::<Cpu>(&device)
        .and_then(|m| m.into_token_lm("gen_speed"))
        .expect("the built-in model loads");
    let lm = lm.with_inference_weights();
    let generator = Generator::new(&lm, &tokenizer, device);
    let options = GenerateOptions {
        length: Length::Bars(bars),
        seed,
        ..GenerateOptions::default()
    };
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let pieces = generator.generate(&options).expect("generation succeeds");
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let tokens = pieces[0].new_tokens;
    serde_json::json!({
        "tool": "euterpe", "mode": "generate", "model": name, "bars": bars,
        "tokens": tokens, "notes": pieces[0].score.note_count(),
        "wall_s": wall, "cpu_s": cpu,
        "tokens_per_s": tokens as f64 / wall, "tokens_per_cpu_s": tokens as f64 / cpu,
    })
}

fn main() {
    euterpe_models::backend::tune_allocator_for_tensors();
    let args: Vec<String> = std::env::args().collect();
    let report = match args.iter().position(|a| a == "--builtin") {
        Some(i) => whole(&args, args.get(i + 1).map_or("folk", String::as_str)),
        None => raw(&args),
    };
    println!("{report}");
}
