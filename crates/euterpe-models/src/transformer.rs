//! A pre-norm Transformer with learned positions: causal (a decoder, the default) or
//! bidirectional (an encoder for masked-token pretraining and classifiers).

use std::sync::Arc;

use burn::module::Module;
use burn::nn::activation::Activation;
use burn::nn::transformer::{
    PositionWiseFeedForward, TransformerEncoder, TransformerEncoderConfig, TransformerEncoderLayer,
};
use burn::nn::{
    DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig,
};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Int, Tensor, TensorData};

use crate::causal_attention::{causal_self_attention, HeadLayout};
use crate::config::TransformerConfig;
use crate::gelu::gelu;
use crate::layer_norm::layer_norm;
use crate::ops::{affine, inference_weight, unwrap, wrap, ModelBackend};
use crate::step::Stepwise;

/// Self-attention layers over `[batch, time, input]`, with a causal mask unless configured as
/// a bidirectional encoder: the input is projected to the model width, learned positions are
/// added, then pre-norm blocks.
#[derive(Module, Debug)]
pub struct CausalTransformer<B: Backend> {
    /// Input to model width.
    input: Linear<B>,
    positions: Embedding<B>,
    encoder: TransformerEncoder<B>,
    norm: LayerNorm<B>,
    max_len: usize,
    /// Whether a position attends to the past only (false: to the whole window).
    causal: bool,
}

impl TransformerConfig {
    /// A new decoder of `layers` pre-norm blocks of width `hidden` over inputs of size `input`.
    pub fn init<B: Backend>(&self, input: usize, device: &B::Device) -> CausalTransformer<B> {
        let config = self;
        let mut encoder = TransformerEncoderConfig::new(
            config.hidden,
            config.feedforward_width(),
            config.heads,
            config.layers,
        )
        .with_dropout(config.dropout)
        .with_norm_first(true)
        .init(device);
        if let Some(p) = config.attention_dropout {
            for layer in &mut encoder.layers {
                layer.mha.dropout = DropoutConfig::new(p).init();
            }
        }
        CausalTransformer {
            input: LinearConfig::new(input, config.hidden).init(device),
            positions: EmbeddingConfig::new(config.max_len, config.hidden).init(device),
            encoder,
            norm: LayerNormConfig::new(config.hidden).init(device),
            max_len: config.max_len,
            causal: config.causal,
        }
    }
}

impl<B: ModelBackend> CausalTransformer<B> {
    /// The model with the weight matrices of its projections in their inference form (half
    /// precision on the CPU backend, see [`ModelBackend::inference_weight`]): every step of
    /// generation reads all of them, and half the bytes stay in the cache. Layer norms, biases
    /// and the position table stay in `f32`.
    pub fn with_inference_weights(mut self) -> Self {
        self.input = with_inference_weight(self.input);
        self.encoder.layers = self
            .encoder
            .layers
            .into_iter()
            .map(|mut layer| {
                let mha = &mut layer.mha;
                mha.query = with_inference_weight(mha.query.clone());
                mha.key = with_inference_weight(mha.key.clone());
                mha.value = with_inference_weight(mha.value.clone());
                mha.output = with_inference_weight(mha.output.clone());
                layer.pwff.linear_inner = with_inference_weight(layer.pwff.linear_inner.clone());
                layer.pwff.linear_outer = with_inference_weight(layer.pwff.linear_outer.clone());
                layer
            })
            .collect();
        self
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

    /// Whether each position attends to itself and the past only (a decoder that can generate),
    /// rather than to the whole window.
    pub fn is_causal(&self) -> bool {
        self.causal
    }

    /// Runs over `[batch, time, input]` (time ≤ `max_len`), each position attending to itself and
    /// the past only (or, in an encoder, to every position); returns `[batch, time, hidden]`.
    ///
    /// The blocks are burn's `TransformerEncoderLayer`s (pre-norm), computed here on
    /// two-dimensional `[batch × time, hidden]` tensors and with an additive causal mask, which
    /// is what burn's encoder computes: the CPU backend broadcasts in two dimensions with a fast
    /// row loop but in three or four dimensions element by element.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.forward_padded(x, None)
    }

    /// [`Self::forward`] where `padding` `[batch, time]` is 1 at the real positions of each
    /// sequence, which come first, and 0 at the padding after them: an encoder's positions
    /// attend to real positions only (a causal decoder's real positions never see the padding
    /// after them, so it ignores `padding`).
    pub fn forward_padded(&self, x: Tensor<B, 3>, padding: Option<Tensor<B, 2>>) -> Tensor<B, 3> {
        let [batch, steps, width] = x.dims();
        let x = linear(&self.input, x.reshape([batch * steps, width]));
        let hidden = x.dims()[1];
        let x = x.reshape([batch, steps, hidden]);
        let mut x = self.add_positions(x).reshape([batch * steps, hidden]);
        // A causal decoder's real positions never see the padding after them.
        let padding = padding
            .filter(|_| !self.causal)
            .and_then(|p| Padding::of(p));
        for layer in &self.encoder.layers {
            let normed = norm(&layer.norm_2, x.clone());
            let attended = self.attention(layer, normed, batch, padding.as_ref());
            x = x + layer.dropout.forward(attended);
            let ff = feed_forward(&layer.pwff, norm(&layer.norm_1, x.clone()));
            x = x + layer.dropout.forward(ff);
        }
        norm(&self.norm, x).reshape([batch, steps, hidden])
    }

    /// Multi-head self-attention over `[batch × time, hidden]` rows (causal unless an encoder,
    /// whose keys stop at each sequence's `padding`): one fused operation
    /// ([`causal_self_attention`]) unless attention dropout is active (training with a dropout
    /// probability above 0), which the fused operation does not do.
    fn attention(
        &self,
        layer: &TransformerEncoderLayer<B>,
        x: Tensor<B, 2>,
        batch: usize,
        padding: Option<&Padding<B>>,
    ) -> Tensor<B, 2> {
        let mha = &layer.mha;
        let steps = x.dims()[0] / batch;
        let dropout_active = mha.dropout.prob > 0.0 && B::ad_enabled(&x.device());
        if dropout_active {
            let mask = match padding {
                Some(p) => self.key_mask(p.mask.clone(), batch, steps),
                None if self.causal => causal_mask::<B>(steps, &x.device()),
                None => Tensor::zeros([1, steps * steps], &x.device()),
            };
            return self.attention_unfused(layer, x, batch, mask);
        }
        let layout = HeadLayout {
            batch,
            steps,
            heads: mha.n_heads,
            causal: self.causal,
            lengths: padding.map(|p| p.lengths.clone()),
        };
        let q = linear(&mha.query, x.clone());
        let k = linear(&mha.key, x.clone());
        let v = linear(&mha.value, x);
        linear(&mha.output, causal_self_attention(q, k, v, layout))
    }

    /// The additive mask of an encoder's attention scores `[batch × heads, time × time]` for
    /// `padding` `[batch, time]` (1 at real positions): a large negative number at padded keys.
    fn key_mask(&self, padding: Tensor<B, 2>, batch: usize, steps: usize) -> Tensor<B, 2> {
        let heads = self.encoder.layers.first().map_or(1, |l| l.mha.n_heads);
        ((padding - 1.0) * 1.0e9)
            .reshape([batch, 1, steps])
            .repeat_dim(1, heads * steps)
            .reshape([batch * heads, steps * steps])
    }

    /// Multi-head self-attention in burn's tensor operations with an additive `mask` `[1 or
    /// batch × heads, time × time]`, and dropout on the scores as burn's attention does, which
    /// the fused operation does not do.
    fn attention_unfused(
        &self,
        layer: &TransformerEncoderLayer<B>,
        x: Tensor<B, 2>,
        batch: usize,
        mask: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let mha = &layer.mha;
        let [rows, hidden] = x.dims();
        let steps = rows / batch;
        let (heads, d_k) = (mha.n_heads, mha.d_k);
        // [batch × time, hidden] → [batch × heads, time, d_k]
        let split = |t: Tensor<B, 2>| {
            t.reshape([batch, steps, heads, d_k])
                .swap_dims(1, 2)
                .reshape([batch * heads, steps, d_k])
        };
        let q = split(linear(&mha.query, x.clone()));
        let k = split(linear(&mha.key, x.clone()));
        let v = split(linear(&mha.value, x));
        let scores = q
            .matmul(k.swap_dims(1, 2))
            .div_scalar((d_k as f64).sqrt())
            .reshape([batch * heads, steps * steps]);
        // Dropout before the mask, as burn's attention does: a dropped masked score would be 0,
        // and the position would see the future.
        let scores = mha.dropout.forward(scores) + mask;
        let weights = softmax(scores.reshape([batch * heads * steps, steps]), 1);
        let context = weights
            .reshape([batch * heads, steps, steps])
            .matmul(v)
            .reshape([batch, heads, steps, d_k])
            .swap_dims(1, 2)
            .reshape([rows, hidden]);
        linear(&mha.output, context)
    }

    /// A fresh key/value cache for step-by-step inference of `batch` sequences.
    pub fn new_cache(&self) -> KvCache<B> {
        KvCache {
            layers: (0..self.encoder.layers.len()).map(|_| None).collect(),
            len: 0,
        }
    }

    /// One new position `[batch, input]` after the `cache.len()` positions in the cache:
    /// computes its queries, keys and values only, attends to the cached keys, and appends its
    /// own. O(length) work per step, where recomputing the prefix would be O(length²).
    ///
    /// Computes exactly what [`CausalTransformer::forward`] computes at that position (dropout
    /// off): the same pre-norm blocks, read from burn's encoder layers.
    ///
    /// An encoder (not causal) has no step: every position depends on the whole window.
    /// Callers check [`Self::is_causal`] first (the model store refuses such a model for
    /// generation), so a call on one is a bug.
    pub fn step_in_place(&self, x: Tensor<B, 2>, cache: &mut KvCache<B>) -> Tensor<B, 2>
    where
        B: ModelBackend,
    {
        assert!(self.causal, "a bidirectional encoder cannot step");
        let x = linear(&self.input, x);
        let [batch, hidden] = x.dims();
        let device = x.device();
        let position = Tensor::<B, 1, Int>::from_data([cache.len as i64], &device);
        let pos = self
            .positions
            .forward(position.reshape([1, 1]))
            .reshape([1, hidden]);
        // Two-dimensional rows `[batch, hidden]` throughout, and the streaming product for every
        // projection: at batch 1 the cost is reading the weights.
        let mut x = x + pos;
        for (layer, slot) in self.encoder.layers.iter().zip(&mut cache.layers) {
            let mha = &layer.mha;
            let (heads, d_k) = (mha.n_heads, mha.d_k);
            let normed = norm(&layer.norm_2, x.clone());
            let split = |t: Tensor<B, 2>| t.reshape([batch, heads, 1, d_k]);
            let q = split(linear(&mha.query, normed.clone()));
            let k = split(linear(&mha.key, normed.clone()));
            let v = split(linear(&mha.value, normed));
            // The cache keeps the precision of the key projection's weights: half precision
            // beside inference weights (see `ModelBackend::inference_weight`), which halves the
            // bytes that every step reads from it.
            let cache_dtype = mha.key.weight.val().dtype();
            let (keys, values) = slot.append(k, v, cache.len, cache_dtype);
            let context = wrap(B::attend_one(
                unwrap(q),
                unwrap(keys),
                unwrap(values),
                cache.len + 1,
            ));
            x = x + linear(&mha.output, context);
            let normed = norm(&layer.norm_1, x.clone());
            x = x + feed_forward(&layer.pwff, normed);
        }
        cache.len += 1;
        norm(&self.norm, x)
    }
}

impl<B: ModelBackend> Stepwise<B> for CausalTransformer<B> {
    /// `[batch, input]`.
    type Input = Tensor<B, 2>;
    /// The new position's output `[batch, hidden]`.
    type Output = Tensor<B, 2>;
    /// The keys and values of every attention layer so far: O(length) work per new step.
    type State = KvCache<B>;

    fn initial_state(&self, _batch: usize, _device: &B::Device) -> KvCache<B> {
        self.new_cache()
    }

    fn step(&self, x: Tensor<B, 2>, mut cache: KvCache<B>) -> (Tensor<B, 2>, KvCache<B>) {
        let y = self.step_in_place(x, &mut cache);
        (y, cache)
    }

    fn select_state(&self, cache: KvCache<B>, indices: Tensor<B, 1, Int>) -> KvCache<B> {
        cache.select(indices)
    }
}

/// The padding of an encoder's batch: its mask and each sequence's real length.
struct Padding<B: Backend> {
    /// `[batch, time]`: 1 at real positions, 0 at padding.
    mask: Tensor<B, 2>,
    /// Real positions per sequence.
    lengths: Arc<[usize]>,
}

impl<B: Backend> Padding<B> {
    /// The padding of `mask` (1 at real positions, which come first), `None` when it has none.
    fn of(mask: Tensor<B, 2>) -> Option<Self> {
        let [_, steps] = mask.dims();
        let lengths: Arc<[usize]> = mask
            .clone()
            .sum_dim(1)
            .into_data()
            .iter::<f32>()
            .map(|n| n.round() as usize)
            .collect();
        lengths
            .iter()
            .any(|&n| n < steps)
            .then_some(Padding { mask, lengths })
    }
}

/// `x · w + b` of a linear layer for two-dimensional `x` `[rows, in]`, as [`affine`]: the same
/// product as `Linear::forward`, and one that also reads inference (half-precision) weights.
fn linear<B: ModelBackend>(l: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    affine(x, l.weight.val(), l.bias.as_ref().map(|b| b.val()))
}

/// A layer's position-wise feed-forward block, as `PositionWiseFeedForward::forward` computes
/// it (inner projection, activation, dropout, outer projection), with [`linear`] products.
fn feed_forward<B: ModelBackend>(ff: &PositionWiseFeedForward<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let inner = linear(&ff.linear_inner, x);
    let inner = match &ff.activation {
        Activation::Gelu(_) => gelu(inner),
        other => other.forward(inner),
    };
    linear(&ff.linear_outer, ff.dropout.forward(inner))
}

/// The epsilon of burn's `LayerNorm` as the Transformer's layers are configured (the default of
/// both `LayerNormConfig` and `TransformerEncoderConfig`; the module keeps its own private).
const LAYER_NORM_EPSILON: f32 = 1e-5;

/// `l` applied to `[rows, width]` rows as one fused operation ([`layer_norm`]); a norm without
/// a shift takes burn's module.
fn norm<B: ModelBackend>(l: &LayerNorm<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    match &l.beta {
        Some(beta) => layer_norm(x, l.gamma.val(), beta.val(), LAYER_NORM_EPSILON),
        None => l.forward(x),
    }
}

/// `l` with its weight matrix in inference form (see [`inference_weight`]).
fn with_inference_weight<B: ModelBackend>(mut l: Linear<B>) -> Linear<B> {
    l.weight = l.weight.map(inference_weight);
    l
}

/// The additive causal mask `[1, time × time]`: 0 where position i may attend to j (j ≤ i), a
/// large negative number elsewhere (finite, so that no row of the softmax is ever NaN).
fn causal_mask<B: Backend>(steps: usize, device: &B::Device) -> Tensor<B, 2> {
    let values: Vec<f32> = (0..steps * steps)
        .map(|ij| if ij % steps > ij / steps { -1.0e9 } else { 0.0 })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, steps * steps]), device)
}

/// The keys and values of one attention layer, `[batch, heads, capacity, d_k]`, valid up to the
/// cache's length. Capacity doubles when full, so appending is amortised O(1) copies instead of a
/// full copy per step.
#[derive(Debug, Clone)]
pub struct LayerKv<B: Backend> {
    keys: Tensor<B, 4>,
    values: Tensor<B, 4>,
}

/// The key/value cache of every layer for step-by-step inference.
#[derive(Debug, Clone)]
pub struct KvCache<B: Backend> {
    layers: Vec<Option<LayerKv<B>>>,
    len: usize,
}

impl<B: Backend> KvCache<B> {
    /// Positions cached so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the batch rows `indices`, in that order (repeats allowed): beam search.
    pub fn select(self, indices: Tensor<B, 1, Int>) -> Self {
        KvCache {
            layers: self
                .layers
                .into_iter()
                .map(|l| {
                    l.map(|kv| LayerKv {
                        keys: kv.keys.select(0, indices.clone()),
                        values: kv.values.select(0, indices.clone()),
                    })
                })
                .collect(),
            len: self.len,
        }
    }
}

trait AppendKv<B: Backend> {
    /// Writes the new key and value `[batch, heads, 1, d_k]` at position `len`; returns the
    /// whole key and value caches `[batch, heads, capacity, d_k]`, whose positions `0..=len` are
    /// written (the caller reads only those, and drops the returned handles before the next
    /// write, which then stays in place). A new cache is made in `dtype`.
    fn append(
        &mut self,
        k: Tensor<B, 4>,
        v: Tensor<B, 4>,
        len: usize,
        dtype: DType,
    ) -> (Tensor<B, 4>, Tensor<B, 4>);
}

impl<B: ModelBackend> AppendKv<B> for Option<LayerKv<B>> {
    fn append(
        &mut self,
        k: Tensor<B, 4>,
        v: Tensor<B, 4>,
        len: usize,
        dtype: DType,
    ) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let [batch, heads, _, d_k] = k.dims();
        let device = k.device();
        let mut kv = self.take().unwrap_or_else(|| LayerKv {
            keys: Tensor::zeros([batch, heads, 16, d_k], (&device, dtype)),
            values: Tensor::zeros([batch, heads, 16, d_k], (&device, dtype)),
        });
        let capacity = kv.keys.dims()[2];
        if len >= capacity {
            let grow = |t: Tensor<B, 4>| {
                let more = Tensor::zeros([batch, heads, capacity, d_k], (&device, t.dtype()));
                Tensor::cat(vec![t, more], 2)
            };
            kv = LayerKv {
                keys: grow(kv.keys),
                values: grow(kv.values),
            };
        }
        let write = |cache: Tensor<B, 4>, value: Tensor<B, 4>| {
            wrap(B::cache_write(unwrap(cache), len, unwrap(value)))
        };
        kv.keys = write(kv.keys, k);
        kv.values = write(kv.values, v);
        let out = (kv.keys.clone(), kv.values.clone());
        *self = Some(kv);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::nn::attention::generate_autoregressive_mask;
    use burn::nn::transformer::TransformerEncoderInput;
    use burn::tensor::Distribution;

    /// The two-dimensional forward pass computes what burn's own encoder computes with its
    /// boolean causal mask.
    #[test]
    fn forward_matches_burns_encoder() {
        let device = Default::default();
        let config = TransformerConfig {
            hidden: 16,
            heads: 4,
            layers: 2,
            dropout: 0.0,
            max_len: 32,
            ..TransformerConfig::default()
        };
        let model: CausalTransformer<Cpu> = config.init(5, &device);
        let (batch, steps) = (3, 11);
        let x = Tensor::random([batch, steps, 5], Distribution::Default, &device);
        let ours = model.forward(x.clone());
        let x = model.input.forward(x);
        let mask = generate_autoregressive_mask::<Cpu>(batch, steps, &device);
        let input = TransformerEncoderInput::new(model.add_positions(x)).mask_attn(mask);
        let theirs = model.norm.forward(model.encoder.forward(input));
        let diff: f32 = (ours - theirs).abs().max().into_scalar();
        assert!(diff < 1e-4, "difference {diff}");
    }

    /// The fused norms compute what burn's modules compute, on rows whose variance is close to
    /// the epsilon (where a different epsilon would show).
    #[test]
    fn the_fused_norms_match_burns_modules() {
        let config = TransformerConfig {
            hidden: 16,
            layers: 2,
            ..TransformerConfig::default()
        };
        let model: CausalTransformer<Cpu> = config.init(5, &Default::default());
        let norms = model.encoder.layers.iter();
        let norms = norms
            .flat_map(|l| [&l.norm_1, &l.norm_2])
            .chain([&model.norm]);
        for l in norms {
            let x = Tensor::random(
                [6, 16],
                Distribution::Uniform(-3e-3, 3e-3),
                &Default::default(),
            );
            let want = l.forward(x.clone());
            let diff: f32 = (norm(l, x) - want.clone()).abs().max().into_scalar();
            assert!(
                diff < 1e-4 * want.abs().max().into_scalar(),
                "difference {diff}"
            );
        }
    }
}
