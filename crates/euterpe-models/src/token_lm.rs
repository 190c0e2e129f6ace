//! Language models over event tokens: embedding → sequence core → logits over the vocabulary.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use crate::config::TokenLmConfig;
use crate::core::{CoreState, SequenceCore};
use crate::ops::{affine, inference_weight, unwrap, wrap, ModelBackend};
use crate::step::Stepwise;

/// A next-token model.
#[derive(Module, Debug)]
pub struct TokenLm<B: Backend> {
    embedding: Embedding<B>,
    core: SequenceCore<B>,
    dropout: Dropout,
    head: Linear<B>,
    vocab: usize,
}

impl TokenLmConfig {
    /// A freshly initialised model for a vocabulary of `self.vocab` tokens (which must be set:
    /// the trainer takes it from the data).
    pub fn init<B: Backend>(&self, device: &B::Device) -> TokenLm<B> {
        let embed = self.embedding_width();
        let vocab = self.vocab;
        TokenLm {
            embedding: EmbeddingConfig::new(vocab, embed).init(device),
            core: self.core.init(embed, device),
            dropout: DropoutConfig::new(self.core.dropout()).init(),
            head: LinearConfig::new(self.core.hidden(), vocab).init(device),
            vocab,
        }
    }
}

impl<B: ModelBackend> TokenLm<B> {
    /// The model prepared for generation: its weight matrices in the form that inference steps
    /// read fastest (half precision on the CPU backend, where a batch-1 step is bound by the
    /// bytes of weights it streams; unchanged elsewhere, see
    /// [`ModelBackend::inference_weight`]). Full passes (`forward`, `nll`) still work, with the
    /// weights widened per call; training such a model is not supported.
    pub fn with_inference_weights(mut self) -> Self {
        self.head.weight = self.head.weight.map(inference_weight);
        self.core = self.core.with_inference_weights();
        self
    }

    /// Whether each position sees the past only: a next-token model that can generate (false:
    /// a bidirectional encoder trained on masked tokens).
    pub fn is_causal(&self) -> bool {
        self.core.is_causal()
    }

    /// Vocabulary size.
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.core.max_len()
    }

    /// Logits `[batch, time, vocab]` for ids `[batch, time]`.
    pub fn forward(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [batch, steps] = ids.dims();
        self.logits_2d(ids).reshape([batch, steps, self.vocab])
    }

    /// Logits `[batch × time, vocab]`: the head runs on a two-dimensional tensor, where the CPU
    /// backend's broadcast of the bias is a fast row loop.
    fn logits_2d(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 2> {
        let [batch, steps] = ids.dims();
        let h = match &self.core {
            // Fewer vocabulary entries than positions: the first layer's input projection per
            // entry, gathered (see `RecurrentStack::forward_ids`).
            SequenceCore::Recurrent(stack) if 2 * self.vocab <= batch * steps => {
                stack.forward_ids(ids, self.embedding.weight.val())
            }
            core => core.forward(self.embedding.forward(ids)),
        };
        self.head_2d(h)
    }

    /// The head over hidden states `[batch, time, hidden]`: logits `[batch × time, vocab]`.
    fn head_2d(&self, h: Tensor<B, 3>) -> Tensor<B, 2> {
        let [batch, steps, width] = h.dims();
        // The head as `affine`, which accepts inference weights too; the same product as
        // `Linear::forward`.
        affine(
            self.dropout.forward(h).reshape([batch * steps, width]),
            self.head.weight.val(),
            self.head.bias.as_ref().map(|b| b.val()),
        )
    }

    /// Summed negative log-likelihood (nats) of `targets` where `mask` is 1, and the number of
    /// correct argmax predictions there.
    pub fn nll(
        &self,
        ids: Tensor<B, 2, Int>,
        targets: Tensor<B, 2, Int>,
        mask: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let [batch, steps] = ids.dims();
        let logits = self.logits_2d(ids);
        masked_cross_entropy(
            logits,
            targets.reshape([batch * steps]),
            mask.reshape([batch * steps]),
        )
    }
}

impl<B: ModelBackend> Stepwise<B> for TokenLm<B> {
    /// Token ids `[batch]`.
    type Input = Tensor<B, 1, Int>;
    /// Log-probabilities of the next token `[batch, vocab]`.
    type Output = Tensor<B, 2>;

    /// The core's state.
    type State = CoreState<B>;

    /// The state before the first token.
    fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        self.core.initial_state(batch, device)
    }

    /// Keeps the batch rows `indices` of a state, in that order (see
    /// [`Stepwise::select_state`]).
    fn select_state(&self, state: CoreState<B>, indices: Tensor<B, 1, Int>) -> CoreState<B> {
        self.core.select_state(state, indices)
    }

    /// Log-probabilities of the next token `[batch, vocab]` after feeding `ids` `[batch]`.
    fn step(&self, ids: Tensor<B, 1, Int>, state: CoreState<B>) -> (Tensor<B, 2>, CoreState<B>) {
        // The embedding rows themselves, `[batch, embedding]` (what `Embedding::forward` gathers,
        // without its reshapes).
        let x = self.embedding.weight.val().select(0, ids);
        self.step_embedded(x, state)
    }
}

impl<B: ModelBackend> TokenLm<B> {
    /// [`Stepwise::step`] with, for each of `batch` rows, the weighted mix of the embeddings of
    /// `mix`'s `(token id, weight)` pairs as input: a soft control token (a blend of styles, a
    /// point between emotions). One token of weight 1 is the same as stepping that token.
    pub fn step_mix(
        &self,
        mix: &[(u32, f32)],
        batch: usize,
        state: CoreState<B>,
    ) -> (Tensor<B, 2>, CoreState<B>) {
        let device = self.embedding.weight.device();
        let ids: Vec<i64> = mix.iter().map(|&(id, _)| id as i64).collect();
        let weights: Vec<f32> = mix.iter().map(|&(_, w)| w).collect();
        let ids = Tensor::<B, 1, Int>::from_data(TensorData::new(ids, [mix.len()]), &device);
        let weights = Tensor::<B, 2>::from_data(TensorData::new(weights, [mix.len(), 1]), &device);
        let x = (self.embedding.weight.val().select(0, ids) * weights)
            .sum_dim(0)
            .repeat_dim(0, batch);
        self.step_embedded(x, state)
    }

    /// One step from an input embedding `[batch, embedding]`.
    fn step_embedded(&self, x: Tensor<B, 2>, state: CoreState<B>) -> (Tensor<B, 2>, CoreState<B>) {
        let (h, state) = self.core.step(x, state);
        let logits = affine(
            h,
            self.head.weight.val(),
            self.head.bias.as_ref().map(|b| b.val()),
        );
        (wrap(B::log_softmax_rows(unwrap(logits))), state)
    }
}

/// Summed masked cross-entropy over `[n, classes]` logits with targets and mask `[n]`, and the
/// count of correct argmax predictions under the mask.
pub fn masked_cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    targets: Tensor<B, 1, Int>,
    mask: Tensor<B, 1>,
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    let logp = log_softmax(logits, 1);
    let picked = logp
        .clone()
        .gather(1, targets.clone().unsqueeze_dim::<2>(1))
        .squeeze_dim::<1>(1);
    let nll = (picked * mask.clone()).sum().neg();
    let predicted = logp.argmax(1).squeeze_dim::<1>(1);
    let correct = (predicted.equal(targets).float() * mask).sum();
    (nll, correct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use crate::config::{CoreConfig, RecurrentConfig, TransformerConfig};
    use burn::tensor::TensorData;

    /// Two-layer models of `hidden` units of every cell, without dropout, for sequences up to
    /// 32, over a vocabulary of `vocab`.
    fn tiny(hidden: usize, vocab: usize) -> Vec<TokenLmConfig> {
        let recurrent = RecurrentConfig {
            hidden,
            layers: 2,
            dropout: 0.0,
        };
        let transformer = TransformerConfig {
            hidden,
            layers: 2,
            heads: 2,
            dropout: 0.0,
            max_len: 32,
            ..TransformerConfig::default()
        };
        [
            CoreConfig::Rnn(recurrent.clone()),
            CoreConfig::Lstm(recurrent.clone()),
            CoreConfig::Gru(recurrent),
            CoreConfig::Transformer(transformer),
        ]
        .into_iter()
        .map(|core| TokenLmConfig {
            vocab,
            embedding: 8,
            core,
        })
        .collect()
    }

    /// Step-by-step inference with carried state gives the same distributions as one pass over the
    /// whole sequence, for every kind of core.
    #[test]
    fn stepping_matches_the_full_forward_pass() {
        let device = Default::default();
        for config in tiny(16, 20) {
            let cell = config.core.cell_name();
            let model: TokenLm<Cpu> = config.init(&device);
            // Longer than the key/value cache's first capacity (16), so that it grows.
            let (batch, steps) = (2, 21);
            let ids: Vec<i64> = (0..batch * steps).map(|i| (i * 7 % 20) as i64).collect();
            let full = log_softmax(
                model.forward(Tensor::from_data(
                    TensorData::new(ids.clone(), [batch, steps]),
                    &device,
                )),
                2,
            );
            let mut state = model.initial_state(batch, &device);
            for t in 0..steps {
                let column: Vec<i64> = (0..batch).map(|b| ids[b * steps + t]).collect();
                let (logp, next) = model.step(
                    Tensor::from_data(TensorData::new(column, [batch]), &device),
                    state,
                );
                state = next;
                let expected = full.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
                let diff: f32 = (logp - expected).abs().max().into_scalar();
                assert!(diff < 1e-4, "{cell} step {t}: difference {diff}");
            }
        }
    }

    /// Over more positions than vocabulary entries a recurrent model projects each entry once
    /// and gathers: the logits and every parameter's gradient are those of embedding first.
    #[test]
    fn projecting_the_vocabulary_once_changes_neither_logits_nor_gradients() {
        use crate::backend::CpuAutodiff;
        let device = Default::default();
        for config in tiny(12, 9).into_iter().take(3) {
            let cell = config.core.cell_name();
            let model: TokenLm<CpuAutodiff> = config.init(&device);
            let (batch, steps) = (3, 10);
            assert!(2 * model.vocab <= batch * steps, "the table path is taken");
            let ids: Vec<i64> = (0..batch * steps).map(|i| (i * 4 % 9) as i64).collect();
            let ids = Tensor::<CpuAutodiff, 2, Int>::from_data(
                TensorData::new(ids, [batch, steps]),
                &device,
            );
            let weights = Tensor::<CpuAutodiff, 3>::random(
                [batch, steps, 9],
                burn::tensor::Distribution::Normal(0.0, 1.0),
                &device,
            );
            let gathered = model.forward(ids.clone());
            let embedded = model
                .head_2d(model.core.forward(model.embedding.forward(ids)))
                .reshape([batch, steps, 9]);
            let diff: f32 = (gathered.clone() - embedded.clone())
                .abs()
                .max()
                .into_scalar();
            assert!(diff < 1e-5, "{cell}: logits differ by {diff}");
            let grads_of = |logits: Tensor<CpuAutodiff, 3>| {
                let grads = (logits * weights.clone()).sum().backward();
                let SequenceCore::Recurrent(stack) = &model.core else {
                    unreachable!("recurrent cells only")
                };
                [
                    model.embedding.weight.grad(&grads),
                    stack.first_input_weight().grad(&grads),
                    model.head.weight.grad(&grads),
                ]
                .map(|g| g.expect("a gradient"))
            };
            for (a, b) in grads_of(gathered).into_iter().zip(grads_of(embedded)) {
                let diff: f32 = (a - b).abs().max().into_scalar();
                assert!(diff < 1e-4, "{cell}: gradients differ by {diff}");
            }
        }
    }

    /// A model with inference weights (half precision on the CPU) gives the distributions of the
    /// full-precision model within half precision's rounding, stepping at batch 1 and 3 and in
    /// full passes (where the weights are widened).
    #[test]
    fn inference_weights_track_the_full_precision_model() {
        let device = Default::default();
        for config in tiny(20, 23) {
            let cell = config.core.cell_name();
            let model: TokenLm<Cpu> = config.init(&device);
            // A full pass first: it initialises the lazily initialised parameters, which a clone
            // would otherwise initialise anew, with other values.
            let probe = Tensor::from_data(TensorData::new(vec![1i64, 2], [1, 2]), &device);
            let _ = model.forward(probe);
            let fast = model.clone().with_inference_weights();
            assert_eq!(
                fast.head.weight.val().dtype(),
                burn::tensor::DType::F16,
                "{cell}"
            );
            for batch in [1, 3] {
                // More steps than a Transformer's first cache holds (16), so that it grows.
                let steps = 20;
                let ids: Vec<i64> = (0..batch * steps).map(|i| (i * 5 % 23) as i64).collect();
                let ids_of = |t: usize| {
                    let column: Vec<i64> = (0..batch).map(|b| ids[b * steps + t]).collect();
                    Tensor::from_data(TensorData::new(column, [batch]), &device)
                };
                let (mut exact, mut half) = (
                    model.initial_state(batch, &device),
                    fast.initial_state(batch, &device),
                );
                for t in 0..steps {
                    let (want, next) = model.step(ids_of(t), exact);
                    exact = next;
                    let (got, next) = fast.step(ids_of(t), half);
                    half = next;
                    let diff: f32 = (got - want).abs().max().into_scalar();
                    assert!(diff < 1e-2, "{cell} batch {batch} step {t}: {diff}");
                }
                // Beams keep, drop and repeat rows of the state (a half-precision cache too).
                let rows: Vec<i64> = (0..batch as i64).rev().chain([0]).collect();
                let picked = Tensor::<Cpu, 1, Int>::from_data(
                    TensorData::new(rows.clone(), [rows.len()]),
                    &device,
                );
                let exact = model.select_state(exact, picked.clone());
                let half = fast.select_state(half, picked);
                let next = Tensor::from_data(
                    TensorData::new(vec![3i64; rows.len()], [rows.len()]),
                    &device,
                );
                let (want, _) = model.step(next.clone(), exact);
                let (got, _) = fast.step(next, half);
                let diff: f32 = (got - want).abs().max().into_scalar();
                assert!(
                    diff < 1e-2,
                    "{cell} batch {batch} after selecting rows: {diff}"
                );
                let all =
                    || Tensor::from_data(TensorData::new(ids.clone(), [batch, steps]), &device);
                let diff: f32 = (fast.forward(all()) - model.forward(all()))
                    .abs()
                    .max()
                    .into_scalar();
                assert!(diff < 1e-2, "{cell} batch {batch} full pass: {diff}");
            }
        }
    }
}
