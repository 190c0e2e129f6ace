//! Language models over event tokens: embedding → sequence core → logits over the vocabulary.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::{CellKind, ModelConfig};
use crate::core::{CoreState, SequenceCore};

/// A next-token model.
#[derive(Module, Debug)]
pub struct TokenLm<B: Backend> {
    embedding: Embedding<B>,
    core: SequenceCore<B>,
    dropout: Dropout,
    head: Linear<B>,
    vocab: usize,
}

impl<B: Backend> TokenLm<B> {
    /// A freshly initialised model for a vocabulary of `vocab` tokens.
    pub fn new(config: &ModelConfig, vocab: usize, device: &B::Device) -> Self {
        let embed = if config.cell == CellKind::Transformer {
            config.hidden
        } else {
            config.embedding
        };
        TokenLm {
            embedding: EmbeddingConfig::new(vocab, embed).init(device),
            core: SequenceCore::new(config, embed, device),
            dropout: DropoutConfig::new(config.dropout).init(),
            head: LinearConfig::new(config.hidden, vocab).init(device),
            vocab,
        }
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
        let h = self.core.forward(self.embedding.forward(ids));
        self.head.forward(self.dropout.forward(h))
    }

    /// Summed negative log-likelihood (nats) of `targets` where `mask` is 1, and the number of
    /// correct argmax predictions there.
    pub fn nll(
        &self,
        ids: Tensor<B, 2, Int>,
        targets: Tensor<B, 2, Int>,
        mask: Tensor<B, 2>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let logits = self.forward(ids);
        masked_cross_entropy(logits, targets, mask)
    }

    /// The state before the first token.
    pub fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        self.core.initial_state(batch, device)
    }

    /// Log-probabilities of the next token `[batch, vocab]` after feeding `ids` `[batch]`.
    pub fn step(
        &self,
        ids: Tensor<B, 1, Int>,
        state: CoreState<B>,
    ) -> (Tensor<B, 2>, CoreState<B>) {
        let x = self
            .embedding
            .forward(ids.unsqueeze_dim::<2>(1))
            .squeeze_dim::<2>(1);
        let (h, state) = self.core.step(x, state);
        (log_softmax(self.head.forward(h), 1), state)
    }
}

/// Summed masked cross-entropy over `[batch, time, classes]` logits, and the count of correct
/// argmax predictions under the mask.
pub fn masked_cross_entropy<B: Backend>(
    logits: Tensor<B, 3>,
    targets: Tensor<B, 2, Int>,
    mask: Tensor<B, 2>,
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    let logp = log_softmax(logits, 2);
    let picked = logp
        .clone()
        .gather(2, targets.clone().unsqueeze_dim::<3>(2))
        .squeeze_dim::<2>(2);
    let nll = (picked * mask.clone()).sum().neg();
    let predicted = logp.argmax(2).squeeze_dim::<2>(2);
    let correct = (predicted.equal(targets).float() * mask).sum();
    (nll, correct)
}
