//! Architecture configuration, as written in a training config file and a model directory.

use serde::{Deserialize, Serialize};

/// The recurrent cell or the Transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    /// Elman RNN with tanh.
    Rnn,
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit.
    Gru,
    /// Causal Transformer decoder.
    Transformer,
}

/// How a frame model predicts the 88 keys of the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameHead {
    /// Each key independently (a sigmoid per key).
    Bernoulli,
    /// The keys jointly, low to high, with a NADE whose biases the sequence model sets
    /// (RNN-NADE, Boulanger-Lewandowski et al. 2012).
    Nade,
}

/// Every architecture setting. Unused fields (e.g. `heads` for an LSTM) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// The sequence core (default "lstm").
    pub cell: CellKind,
    /// Token embedding size, token models only (default 64).
    pub embedding: usize,
    /// Hidden size of each layer; the Transformer's model width (default 256).
    pub hidden: usize,
    /// Number of stacked layers (default 2).
    pub layers: usize,
    /// Dropout between layers and before the output (default 0.1).
    pub dropout: f64,
    /// Attention heads, Transformer only (default 4).
    pub heads: usize,
    /// Feed-forward width, Transformer only (default 4 × hidden when 0).
    pub feedforward: usize,
    /// Longest sequence the Transformer's learned positions cover (default 1024).
    pub max_len: usize,
    /// Output of frame models (default "bernoulli").
    pub frame_head: FrameHead,
    /// Hidden units of the NADE output (default 150).
    pub nade_hidden: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            cell: CellKind::Lstm,
            embedding: 64,
            hidden: 256,
            layers: 2,
            dropout: 0.1,
            heads: 4,
            feedforward: 0,
            max_len: 1024,
            frame_head: FrameHead::Bernoulli,
            nade_hidden: 150,
        }
    }
}

impl ModelConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("embedding", self.embedding),
            ("hidden", self.hidden),
            ("layers", self.layers),
            ("heads", self.heads),
            ("max_len", self.max_len),
            ("nade_hidden", self.nade_hidden),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("model.{name} must be at least 1"));
            }
            if value > 1 << 16 {
                return Err(format!("model.{name} = {value} is unreasonably large"));
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "model.dropout must be in [0, 1), got {}",
                self.dropout
            ));
        }
        if self.cell == CellKind::Transformer && self.hidden % self.heads != 0 {
            return Err(format!(
                "model.hidden ({}) must be a multiple of model.heads ({})",
                self.hidden, self.heads
            ));
        }
        Ok(())
    }

    /// The Transformer's feed-forward width.
    pub fn feedforward_width(&self) -> usize {
        if self.feedforward == 0 {
            4 * self.hidden
        } else {
            self.feedforward
        }
    }
}
