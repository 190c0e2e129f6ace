//! The text head of the prompt layer: a small perceptron from the pooled features of a text
//! (`euterpe-text`: mean GloVe vector, lexicon valence) to classes, the emotion quadrants of a
//! prompt's mood words. Its input width and classes come from the data.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::token_lm::masked_cross_entropy;

/// The architecture of a [`TextHead`].
///
/// ```toml
/// [model]
/// kind = "text_head"
/// hidden = 64
/// layers = 1
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextHeadConfig {
    /// Features per text; left at 0 in a training config, it is taken from the data (default 0).
    pub inputs: usize,
    /// The class names, in output order; left empty, they are taken from the data.
    pub classes: Vec<String>,
    /// Units of each hidden layer (default 64).
    pub hidden: usize,
    /// Hidden layers, 0 for a linear classifier (default 1).
    pub layers: usize,
    /// Dropout of the input and of each hidden layer's output (default 0.2).
    pub dropout: f64,
}

impl Config for TextHeadConfig {}

impl Default for TextHeadConfig {
    fn default() -> Self {
        TextHeadConfig {
            inputs: 0,
            classes: Vec::new(),
            hidden: 64,
            layers: 1,
            dropout: 0.2,
        }
    }
}

impl TextHeadConfig {
    /// Checks every value; the message names the field. Inputs and classes not yet known (0,
    /// empty) pass.
    pub fn validate(&self) -> Result<(), String> {
        if self.hidden == 0 || self.hidden > 4096 {
            return Err(format!("model.hidden = {}; give 1 to 4096", self.hidden));
        }
        if self.layers > 8 {
            return Err(format!("model.layers = {}; give 0 to 8", self.layers));
        }
        if self.inputs > 4096 {
            return Err(format!(
                "model.inputs = {} is unreasonably large",
                self.inputs
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("model.dropout = {}; give 0 to 1", self.dropout));
        }
        if self.classes.len() == 1 {
            return Err("model.classes: a classifier needs at least two classes".into());
        }
        Ok(())
    }

    /// A freshly initialised head (inputs and classes must be set).
    pub fn init<B: Backend>(&self, device: &B::Device) -> TextHead<B> {
        let mut width = self.inputs.max(1);
        let mut hidden = Vec::with_capacity(self.layers);
        for _ in 0..self.layers {
            hidden.push(LinearConfig::new(width, self.hidden).init(device));
            width = self.hidden;
        }
        TextHead {
            hidden,
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(width, self.classes.len().max(1)).init(device),
            classes: self.classes.len().max(1),
        }
    }
}

/// Class logits of pooled text features.
#[derive(Module, Debug)]
pub struct TextHead<B: Backend> {
    hidden: Vec<Linear<B>>,
    dropout: Dropout,
    output: Linear<B>,
    classes: usize,
}

impl<B: Backend> TextHead<B> {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Class probabilities `[batch, classes]` of features `[batch, inputs]`.
    pub fn probabilities(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        burn::tensor::activation::softmax(self.forward(features), 1)
    }

    /// Class logits `[batch, classes]` of features `[batch, inputs]`.
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let mut x = self.dropout.forward(features);
        for layer in &self.hidden {
            x = self.dropout.forward(relu(layer.forward(x)));
        }
        self.output.forward(x)
    }

    /// Summed cross-entropy (nats) of `labels` `[batch]` and the number of correct argmax
    /// predictions.
    pub fn nll(
        &self,
        features: Tensor<B, 2>,
        labels: Tensor<B, 1, Int>,
    ) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let logits = self.forward(features);
        let [batch, _] = logits.dims();
        let ones = Tensor::ones([batch], &logits.device());
        masked_cross_entropy(logits, labels, ones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use burn::tensor::TensorData;

    #[test]
    fn logits_have_one_row_per_text_and_one_column_per_class() {
        let config = TextHeadConfig {
            inputs: 5,
            classes: vec!["Q1".into(), "Q2".into(), "Q3".into()],
            hidden: 4,
            layers: 2,
            ..TextHeadConfig::default()
        };
        let device = Default::default();
        let head: TextHead<Cpu> = config.init(&device);
        let x = Tensor::<Cpu, 2>::from_data(
            TensorData::new((0..10).map(|i| i as f32 / 10.0).collect::<Vec<_>>(), [2, 5]),
            &device,
        );
        assert_eq!(head.forward(x).dims(), [2, 3]);
    }

    #[test]
    fn bad_sizes_are_refused() {
        let mut c = TextHeadConfig::default();
        assert!(c.validate().is_ok());
        c.hidden = 0;
        assert!(c.validate().unwrap_err().contains("model.hidden"));
        c.hidden = 8;
        c.dropout = 1.5;
        assert!(c.validate().is_err());
    }
}
