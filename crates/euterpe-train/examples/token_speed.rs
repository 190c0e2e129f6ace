//! Training throughput of a token language model: tokens per second and per CPU-second of full
//! training steps (forward, backward, Adam), on seeded random tokens. Used by `bench/speed.sh`
//! side by side with the same model in PyTorch, and on an NVIDIA GPU by `bench/gpu.sh`.
//!
//! ```text
//! cargo run --release -p euterpe-train --example token_speed -- --cell lstm --steps 20
//! # on a GPU (a build with the `cuda` feature):
//! cargo run --release -p euterpe-train --features cuda --example token_speed -- --device cuda
//! ```
//!
//! Each step ends by waiting for the device (`Backend::sync`), so that wall-clock times on a GPU
//! count the work queued by the step, not only its launch.

use std::process::ExitCode;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_models::backend::{run_training, DeviceSpec, TrainingJob};
use euterpe_models::{CoreConfig, TokenLm, TokenLmConfig, TrainingBackend};
use euterpe_testkit::{arg, cpu_seconds};

/// One measurement: the model and the shape of its batches.
struct Measure {
    cell: String,
    config: TokenLmConfig,
    batch: usize,
    seq: usize,
    steps: usize,
    warmup: usize,
    device: DeviceSpec,
}

fn main() -> ExitCode {
    euterpe_models::backend::tune_allocator_for_tensors();
    let args: Vec<String> = std::env::args().collect();
    let cell = arg(&args, "--cell", "lstm".to_string());
    let transformer = cell == "transformer";
    let vocab: usize = arg(&args, "--vocab", 130);
    let seq: usize = arg(&args, "--seq", if transformer { 256 } else { 128 });
    let mut core = CoreConfig::of_cell(
        &cell,
        arg(&args, "--hidden", 256),
        arg(&args, "--layers", if transformer { 4 } else { 2 }),
        0.0,
    )
    .expect("--cell is one of rnn, lstm, gru, transformer");
    if let Some(t) = core.transformer_mut() {
        t.heads = arg(&args, "--heads", 4);
        t.max_len = seq.max(16);
    }
    let config = TokenLmConfig {
        vocab,
        embedding: arg(&args, "--embedding", 64),
        core,
    };
    let device: DeviceSpec = match arg(&args, "--device", "cpu".to_string()).parse() {
        Ok(device) => device,
        Err(e) => {
            eprintln!("token_speed: --device: {e}");
            return ExitCode::FAILURE;
        }
    };
    let job = Measure {
        cell,
        config,
        batch: arg(&args, "--batch", 32),
        seq,
        steps: arg(&args, "--steps", 10),
        warmup: arg(&args, "--warmup", 2),
        device,
    };
    match run_training(device, job) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("token_speed: {e}");
            ExitCode::FAILURE
        }
    }
}

impl TrainingJob for Measure {
    type Output = serde_json::Value;

    fn run<B: TrainingBackend>(self, device: B::Device) -> serde_json::Value {
        let Measure {
            cell,
            config,
            batch,
            seq,
            steps,
            warmup,
            device: spec,
        } = self;
        let vocab = config.vocab;
        B::seed(&device, 1);
        let mut model: TokenLm<B> = config.init(&device);
        let mut optim = AdamConfig::new().init::<B, TokenLm<B>>();
        let mut rng = SplitMix64::new(7);
        let mut make = |n: usize| -> Vec<i64> { (0..n).map(|_| rng.below(vocab) as i64).collect() };
        let (mut wall, mut cpu, mut loss_sum) = (0.0, 0.0, 0.0);
        for step in 0..warmup + steps {
            let ids = Tensor::<B, 2, Int>::from_data(
                TensorData::new(make(batch * seq), [batch, seq]),
                &device,
            );
            let targets = Tensor::<B, 2, Int>::from_data(
                TensorData::new(make(batch * seq), [batch, seq]),
                &device,
            );
            let mask = Tensor::<B, 2>::ones([batch, seq], &device);
            B::sync(&device).expect("the device finishes its work");
            let (t0, c0) = (Instant::now(), cpu_seconds());
            let (nll, _) = model.nll(ids, targets, mask);
            let loss = nll.div_scalar((batch * seq) as f64);
            let value = loss.clone().into_scalar().elem::<f64>();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
            B::sync(&device).expect("the device finishes its work");
            if step >= warmup {
                wall += t0.elapsed().as_secs_f64();
                cpu += cpu_seconds() - c0;
                loss_sum += value;
            }
        }
        let tokens = (steps * batch * seq) as f64;
        let _ = model.valid();
        serde_json::json!({
            "tool": "euterpe",
            "cell": cell,
            "device": spec.to_string(),
            "batch": batch, "seq": seq, "steps": steps,
            "parameters": burn::module::Module::num_params(&model),
            "tokens": tokens,
            "wall_s": wall, "cpu_s": cpu,
            "tokens_per_s": tokens / wall, "tokens_per_cpu_s": tokens / cpu,
            "mean_loss": loss_sum / steps as f64,
        })
    }
}
