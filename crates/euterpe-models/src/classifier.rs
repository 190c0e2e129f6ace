//! Sequence classifiers: embedding → sequence core → pooling over time → class logits. What
//! recognises the emotion or the style of a piece from its tokens.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::config::ClassifierConfig;
use crate::core::SequenceCore;
use crate::ops::ModelBackend;
use crate::token_lm::masked_cross_entropy;

/// How the core's outputs over time become one vector per sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// A learned attention over the positions (the EMOPIA paper's LSTM with attention).
    #[default]
    Attention,
    /// The mean over the positions.
    Mean,
}

/// A classifier of token sequences.
#[derive(Module, Debug)]
pub struct SequenceClassifier<B: Backend> {
    embedding: Embedding<B>,
    core: SequenceCore<B>,
    /// Hidden state to an attention score (used by attention pooling).
    attention: Linear<B>,
    dropout: Dropout,
    head: Linear<B>,
    pooling: Pooling,
    classes: usize,
}

impl ClassifierConfig {
    /// A freshly initialised classifier for `self.vocab` tokens and `self.classes` (both set from
    /// the data by the trainer).
    pub fn init<B: Backend>(&self, device: &B::Device) -> SequenceClassifier<B> {
        let embed = self.embedding_width();
        let hidden = self.core.hidden();
        SequenceClassifier {
            embedding: EmbeddingConfig::new(self.vocab, embed).init(device),
            core: self.core.init(embed, device),
            attention: LinearConfig::new(hidden, 1).init(device),
            dropout: DropoutConfig::new(self.core.dropout()).init(),
            head: LinearConfig::new(hidden, self.classes.len()).init(device),
            pooling: self.pooling,
            classes: self.classes.len(),
        }
    }
}

impl<B: ModelBackend> SequenceClassifier<B> {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.core.max_len()
    }

    /// Class logits `[batch, classes]` of token ids `[batch, time]`, where `mask` `[batch, time]`
    /// is 1 at real tokens and 0 at padding (padding never influences the result).
    pub fn forward(&self, ids: Tensor<B, 2, Int>, mask: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, steps] = ids.dims();
        let h = self
            .core
            .forward_padded(self.embedding.forward(ids), mask.clone());
        let width = h.dims()[2];
        let weights = match self.pooling {
            Pooling::Mean => {
                let count = mask.clone().sum_dim(1).clamp_min(1.0);
                mask / count
            }
            Pooling::Attention => {
                let scores = self
                    .attention
                    .forward(h.clone().reshape([batch * steps, width]))
                    .reshape([batch, steps]);
                // Padding gets a large negative score: no weight after the softmax.
                let scores = scores + (mask - 1.0) * 1.0e9;
                softmax(scores, 1)
            }
        };
        let pooled = (h * weights.unsqueeze_dim::<3>(2))
            .sum_dim(1)
            .reshape([batch, width]);
        self.head.forward(self.dropout.forward(pooled))
    }

    /// Summed cross-entropy (nats) of `labels` `[batch]` and the number of correct argmax
    /// predictions, for ids and mask as in [`forward`](Self::forward).
    pub fn nll(
        &self,
        ids: Tensor<B, 2, Int>,
        mask: Tensor<B, 2>,
        labels: Tensor<B, 1, Int>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let logits = self.forward(ids, mask);
        let [batch, _] = logits.dims();
        let ones = Tensor::ones([batch], &logits.device());
        masked_cross_entropy(logits, labels, ones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use crate::config::CoreConfig;
    use burn::tensor::TensorData;

    /// A tiny classifier of the named cell (`"encoder"`: a bidirectional Transformer).
    fn config(cell: &str, pooling: Pooling) -> ClassifierConfig {
        let name = if cell == "encoder" {
            "transformer"
        } else {
            cell
        };
        let mut core = CoreConfig::of_cell(name, 12, 2, 0.0).unwrap();
        if let Some(t) = core.transformer_mut() {
            t.heads = 2;
            t.max_len = 16;
            t.causal = cell != "encoder";
        }
        ClassifierConfig {
            vocab: 10,
            classes: vec!["a".into(), "b".into(), "c".into()],
            embedding: 6,
            core,
            pooling,
        }
    }

    /// Padding after a sequence changes nothing: a batch of a short and a long sequence gives the
    /// short one the logits it has alone.
    #[test]
    fn padding_never_changes_the_result() {
        let device = Default::default();
        for cell in crate::config::CELLS.into_iter().chain(["encoder"]) {
            for pooling in [Pooling::Attention, Pooling::Mean] {
                let model: SequenceClassifier<Cpu> = config(cell, pooling).init(&device);
                let alone = model.forward(
                    Tensor::from_data(TensorData::new(vec![1i64, 4, 2], [1, 3]), &device),
                    Tensor::ones([1, 3], &device),
                );
                let ids = vec![1i64, 4, 2, 0, 0, 3, 5, 7, 8, 9];
                let mask = vec![1f32, 1., 1., 0., 0., 1., 1., 1., 1., 1.];
                let both = model.forward(
                    Tensor::from_data(TensorData::new(ids, [2, 5]), &device),
                    Tensor::from_data(TensorData::new(mask, [2, 5]), &device),
                );
                assert_eq!(both.dims(), [2, 3]);
                let diff: f32 = (both.narrow(0, 0, 1) - alone).abs().max().into_scalar();
                // Causal cores: later padding cannot reach earlier positions; an encoder's
                // attention skips it; pooling skips it.
                assert!(diff < 1e-5, "{cell} {pooling:?}: {diff}");
            }
        }
    }

    /// An encoder reads both ways: changing the last token changes the first position's state,
    /// which a causal core's first state never sees.
    #[test]
    fn an_encoder_sees_the_whole_window() {
        let device = Default::default();
        for (cell, sees_ahead) in [("encoder", true), ("transformer", false)] {
            let model: SequenceClassifier<Cpu> = config(cell, Pooling::Mean).init(&device);
            let first_state = |last: i64| {
                let ids = Tensor::from_data(TensorData::new(vec![1i64, 4, last], [1, 3]), &device);
                let h = model.core.forward(model.embedding.forward(ids));
                h.narrow(1, 0, 1)
            };
            let diff: f32 = (first_state(2) - first_state(7)).abs().max().into_scalar();
            assert_eq!(diff > 1e-6, sees_ahead, "{cell}: {diff}");
        }
    }
}
