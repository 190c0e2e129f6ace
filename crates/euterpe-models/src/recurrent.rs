//! Recurrent layers: Elman RNN, LSTM and GRU. Training runs each layer as one input projection over
//! all steps and one fused recurrence ([`crate::recurrence`]); inference steps carry the state.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use burn::tensor::Int;

use crate::config::RecurrentConfig;
use crate::ops::{affine, inference_weight, ModelBackend};
use crate::recurrence::{recurrence, unwrap, wrap, Cell, Initial, RecurrenceParams};
use crate::step::Stepwise;

/// The carried state of one recurrent layer.
#[derive(Debug, Clone)]
pub struct LayerState<B: Backend> {
    /// Hidden state, `[batch, hidden]`.
    pub hidden: Tensor<B, 2>,
    /// Cell state (LSTM only), `[batch, hidden]`.
    pub cell: Option<Tensor<B, 2>>,
}

/// One recurrent layer.
#[derive(Module, Debug)]
pub struct RecurrentLayer<B: Backend> {
    /// Input to gates, all gates at once: `[input, gates × hidden]`.
    input: Linear<B>,
    /// Hidden to gates: `[hidden, gates × hidden]`.
    recurrent: Linear<B>,
    gates: usize,
    hidden: usize,
}

impl<B: Backend> RecurrentLayer<B> {
    /// A new layer with PyTorch-like uniform initialisation.
    pub fn new(cell: Cell, input: usize, hidden: usize, device: &B::Device) -> Self {
        let gates = cell.gates();
        let init = burn::nn::Initializer::Uniform {
            min: -1.0 / (hidden as f64).sqrt(),
            max: 1.0 / (hidden as f64).sqrt(),
        };
        RecurrentLayer {
            input: LinearConfig::new(input, gates * hidden)
                .with_initializer(init.clone())
                .init(device),
            // The GRU needs its own hidden bias (inside the reset gate); the others share one.
            recurrent: LinearConfig::new(hidden, gates * hidden)
                .with_bias(cell == Cell::Gru)
                .with_initializer(init)
                .init(device),
            gates,
            hidden,
        }
    }

    /// A zero state for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> LayerState<B> {
        LayerState {
            hidden: Tensor::zeros([batch, self.hidden], device),
            cell: (self.gates == 4).then(|| Tensor::zeros([batch, self.hidden], device)),
        }
    }

    fn cell(&self) -> Cell {
        match self.gates {
            1 => Cell::Rnn,
            4 => Cell::Lstm,
            _ => Cell::Gru,
        }
    }

    /// The parameters of the recurrence.
    fn params(&self) -> RecurrenceParams<B> {
        let gates = self.gates * self.hidden;
        RecurrenceParams {
            input_bias: self.input.bias.as_ref().map_or_else(
                || Tensor::zeros([gates], &self.input.weight.device()),
                |b| b.val(),
            ),
            w: self.recurrent.weight.val(),
            hidden_bias: self.recurrent.bias.as_ref().map(|b| b.val()),
        }
    }
}

impl<B: ModelBackend> RecurrentLayer<B> {
    /// The input projections `x · w_ih` of every step, `[batch, time, gates × hidden]`, as one
    /// two-dimensional matrix product; the recurrence adds the input bias.
    fn project(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, time, width] = x.dims();
        let w = self.input.weight.val();
        let out = w.dims()[1];
        affine(x.reshape([batch * time, width]), w, None).reshape([batch, time, out])
    }

    /// The layer with its weight matrices in their inference form (see
    /// [`ModelBackend::inference_weight`]): for generation, not for training.
    pub fn with_inference_weights(mut self) -> Self {
        self.input.weight = self.input.weight.map(inference_weight);
        self.recurrent.weight = self.recurrent.weight.map(inference_weight);
        self
    }

    /// Runs the layer over a whole sequence `[batch, time, input]` from the zero state (training
    /// and evaluation): one matrix product for the input projections of every step, then the
    /// fused recurrence, one autodiff node (see [`crate::recurrence`]).
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.forward_projected(self.project(x))
    }

    /// [`Self::forward`] from the input projections `[batch, time, gates × hidden]` themselves.
    fn forward_projected(&self, xp: Tensor<B, 3>) -> Tensor<B, 3> {
        recurrence(self.cell(), xp, self.params())
    }

    /// One inference step from a carried state: inputs `[batch, input]`, the new state (see
    /// [`ModelBackend::recurrent_step`]).
    pub fn step(&self, x: Tensor<B, 2>, state: LayerState<B>) -> LayerState<B> {
        let initial = Initial {
            hidden: unwrap(state.hidden),
            cell: state.cell.map(unwrap),
        };
        let next = B::recurrent_step(
            self.cell(),
            unwrap(x),
            unwrap(self.input.weight.val()),
            self.params().into_primitives(),
            initial,
        );
        LayerState {
            hidden: wrap(next.hidden),
            cell: next.cell.map(wrap),
        }
    }
}

/// Stacked recurrent layers with dropout between them.
#[derive(Module, Debug)]
pub struct RecurrentStack<B: Backend> {
    layers: Vec<RecurrentLayer<B>>,
    dropout: Dropout,
}

impl RecurrentConfig {
    /// A stack of `cell` layers over inputs of size `input`.
    pub fn init<B: Backend>(
        &self,
        cell: Cell,
        input: usize,
        device: &B::Device,
    ) -> RecurrentStack<B> {
        let hidden = self.hidden;
        RecurrentStack {
            layers: (0..self.layers)
                .map(|i| {
                    RecurrentLayer::new(cell, if i == 0 { input } else { hidden }, hidden, device)
                })
                .collect(),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl<B: Backend> RecurrentStack<B> {
    /// Zero states for every layer.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> Vec<LayerState<B>> {
        self.layers
            .iter()
            .map(|l| l.zero_state(batch, device))
            .collect()
    }
}

impl<B: ModelBackend> RecurrentStack<B> {
    /// The stack with every layer's weights in their inference form (see
    /// [`RecurrentLayer::with_inference_weights`]).
    pub fn with_inference_weights(mut self) -> Self {
        self.layers = self
            .layers
            .into_iter()
            .map(RecurrentLayer::with_inference_weights)
            .collect();
        self
    }

    /// Runs all layers over a whole sequence `[batch, time, input]` from the zero state.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let Some((first, rest)) = self.layers.split_first() else {
            return x;
        };
        self.forward_rest(first.forward(x), rest)
    }

    /// [`Self::forward`] over the embeddings of `ids` `[batch, time]`, rows of `table`
    /// `[vocabulary, input]`, with the first layer's input projection computed once per
    /// vocabulary entry and gathered per position: `table · w_ih` rows are the same products as
    /// those of the embedded sequence, and when the vocabulary is smaller than the batch's
    /// positions the forward and backward passes do that many times fewer of them.
    pub fn forward_ids(&self, ids: Tensor<B, 2, Int>, table: Tensor<B, 2>) -> Tensor<B, 3> {
        let [batch, time] = ids.dims();
        let Some((first, rest)) = self.layers.split_first() else {
            let width = table.dims()[1];
            return table
                .select(0, ids.reshape([batch * time]))
                .reshape([batch, time, width]);
        };
        let projected = first.project(table.unsqueeze_dim::<3>(0));
        let [_, rows, gates] = projected.dims();
        let xp = projected
            .reshape([rows, gates])
            .select(0, ids.reshape([batch * time]))
            .reshape([batch, time, gates]);
        self.forward_rest(first.forward_projected(xp), rest)
    }

    /// The first layer's input weight `[input, gates × hidden]` (tests of the gathered
    /// projection compare its gradient).
    #[cfg(test)]
    pub(crate) fn first_input_weight(&self) -> &burn::module::Param<Tensor<B, 2>> {
        &self.layers[0].input.weight
    }

    /// The layers after the first over its output, with dropout between every two.
    fn forward_rest(&self, x: Tensor<B, 3>, rest: &[RecurrentLayer<B>]) -> Tensor<B, 3> {
        rest.iter()
            .fold(x, |x, layer| layer.forward(self.dropout.forward(x)))
    }
}

impl<B: ModelBackend> Stepwise<B> for RecurrentStack<B> {
    /// `[batch, input]`.
    type Input = Tensor<B, 2>;
    /// The last layer's hidden state `[batch, hidden]`.
    type Output = Tensor<B, 2>;
    /// Hidden (and cell) states of every layer: O(1) work per new step.
    type State = Vec<LayerState<B>>;

    fn initial_state(&self, batch: usize, device: &B::Device) -> Self::State {
        self.zero_state(batch, device)
    }

    /// One step of all layers: `[batch, input]` → `[batch, hidden]` (inference; no dropout).
    fn step(&self, x: Tensor<B, 2>, states: Self::State) -> (Tensor<B, 2>, Self::State) {
        let mut x = x;
        let mut out_states = Vec::with_capacity(self.layers.len());
        for (layer, state) in self.layers.iter().zip(states) {
            let next = layer.step(x, state);
            x = next.hidden.clone();
            out_states.push(next);
        }
        (x, out_states)
    }

    fn select_state(&self, states: Self::State, indices: Tensor<B, 1, Int>) -> Self::State {
        states
            .into_iter()
            .map(|l| LayerState {
                hidden: l.hidden.select(0, indices.clone()),
                cell: l.cell.map(|c| c.select(0, indices.clone())),
            })
            .collect()
    }
}
