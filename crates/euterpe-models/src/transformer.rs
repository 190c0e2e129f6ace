//! A causal, pre-norm Transformer decoder with learned positions.

use burn::module::Module;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderAutoregressiveCache, TransformerEncoderConfig,
    TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::ModelConfig;

/// Self-attention layers over `[batch, time, hidden]` with a causal mask.
#[derive(Module, Debug)]
pub struct CausalTransformer<B: Backend> {
    positions: Embedding<B>,
    encoder: TransformerEncoder<B>,
    norm: LayerNorm<B>,
    max_len: usize,
}

impl<B: Backend> CausalTransformer<B> {
    /// A new decoder of `config.layers` pre-norm blocks of width `config.hidden`.
    pub fn new(config: &ModelConfig, device: &B::Device) -> Self {
        CausalTransformer {
            positions: EmbeddingConfig::new(config.max_len, config.hidden).init(device),
            encoder: TransformerEncoderConfig::new(
                config.hidden,
                config.feedforward_width(),
                config.heads,
                config.layers,
            )
            .with_dropout(config.dropout)
            .with_norm_first(true)
            .init(device),
            norm: LayerNormConfig::new(config.hidden).init(device),
            max_len: config.max_len,
        }
    }

    /// Longest sequence the learned positions cover.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    fn add_positions(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, steps, _] = x.dims();
        let device = x.device();
        let idx = Tensor::<B, 1, Int>::arange(0..steps as i64, &device)
            .reshape([1, steps])
            .repeat_dim(0, batch);
        x + self.positions.forward(idx)
    }

    /// Runs over `[batch, time, hidden]` (time ≤ `max_len`), each position attending to itself and
    /// the past only.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, steps, _] = x.dims();
        let mask = generate_autoregressive_mask::<B>(batch, steps, &x.device());
        let x = self.add_positions(x);
        let y = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_attn(mask));
        self.norm.forward(y)
    }

    /// A fresh key/value cache for step-by-step inference.
    pub fn new_cache(&self) -> TransformerEncoderAutoregressiveCache<B> {
        self.encoder.new_autoregressive_cache()
    }

    /// Inference over the whole prefix `[batch, time, hidden]` using the cache, so that only the new
    /// last position is computed; returns the last position's output `[batch, hidden]`.
    pub fn forward_cached(
        &self,
        x: Tensor<B, 3>,
        cache: &mut TransformerEncoderAutoregressiveCache<B>,
    ) -> Tensor<B, 2> {
        let [batch, steps, _] = x.dims();
        let mask = generate_autoregressive_mask::<B>(batch, steps, &x.device());
        let x = self.add_positions(x);
        let y = self.encoder.forward_autoregressive_inference(
            TransformerEncoderInput::new(x).mask_attn(mask),
            cache,
        );
        self.norm
            .forward(y.narrow(1, steps - 1, 1))
            .squeeze_dim::<2>(1)
    }
}
