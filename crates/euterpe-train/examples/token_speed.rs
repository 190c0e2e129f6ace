//! Training throughput of a token language model: tokens per second and per CPU-second of full
//! training steps (forward, backward, Adam), on seeded random tokens. Used by `bench/speed.sh`
//! side by side with the same model in PyTorch.
//!
//! ```text
//! cargo run --release -p euterpe-train --example token_speed -- --cell lstm --steps 20
//! ```

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};
use euterpe_base::SplitMix64;
use euterpe_models::backend::CpuAutodiff;
use euterpe_models::{CoreConfig, TokenLm, TokenLmConfig};
use euterpe_testkit::{arg, cpu_seconds};

fn main() {
    euterpe_models::backend::tune_allocator_for_tensors();
    let args: Vec<String> = std::env::args().collect();
    let cell = arg(&args, "--cell", "lstm".to_string());
    let transformer = cell == "transformer";
    let vocab: usize = arg(&args, "--vocab", 130);
    let seq: usize = arg(&args, "--seq", if transformer { 256 } else { 128 });
    let batch: usize = arg(&args, "--batch", 32);
    let steps: usize = arg(&args, "--steps", 10);
    let warmup: usize = arg(&args, "--warmup", 2);
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
    type B = CpuAutodiff;
    let device = Default::default();
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
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let (nll, _) = model.nll(ids, targets, mask);
        let loss = nll.div_scalar((batch * seq) as f64);
        let value = loss.clone().into_scalar().elem::<f64>();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
        if step >= warmup {
            wall += t0.elapsed().as_secs_f64();
            cpu += cpu_seconds() - c0;
            loss_sum += value;
        }
    }
    let tokens = (steps * batch * seq) as f64;
    let _ = model.valid();
    println!(
        "{}",
        serde_json::json!({
            "tool": "euterpe",
            "cell": cell,
            "batch": batch, "seq": seq, "steps": steps,
            "parameters": burn::module::Module::num_params(&model),
            "tokens": tokens,
            "wall_s": wall, "cpu_s": cpu,
            "tokens_per_s": tokens / wall, "tokens_per_cpu_s": tokens / cpu,
            "mean_loss": loss_sum / steps as f64,
        })
    );
}
