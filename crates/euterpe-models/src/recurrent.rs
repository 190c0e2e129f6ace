//! Recurrent layers: Elman RNN, LSTM and GRU, each computing all its gates with one input and one
//! hidden matrix product per step.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::config::CellKind;

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

fn gates_of(cell: CellKind) -> usize {
    match cell {
        CellKind::Rnn | CellKind::Transformer => 1,
        CellKind::Lstm => 4,
        CellKind::Gru => 3,
    }
}

impl<B: Backend> RecurrentLayer<B> {
    /// A new layer with PyTorch-like uniform initialisation.
    pub fn new(cell: CellKind, input: usize, hidden: usize, device: &B::Device) -> Self {
        let gates = gates_of(cell);
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
                .with_bias(cell == CellKind::Gru)
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

    /// Runs the layer over a sequence of steps `[batch, input]`, returning each step's hidden
    /// state `[batch, hidden]` and the state after the last step.
    ///
    /// Steps are separate tensors on purpose: slicing one `[batch, time, …]` tensor that needs a
    /// gradient costs a full-size zero tensor per slice in burn's backward pass, which makes
    /// back-propagation through time quadratic in the sequence length.
    pub fn forward(
        &self,
        inputs: Vec<Tensor<B, 2>>,
        state: LayerState<B>,
    ) -> (Vec<Tensor<B, 2>>, LayerState<B>) {
        let mut state = state;
        let mut outputs = Vec::with_capacity(inputs.len());
        for x in inputs {
            state = self.step(self.input.forward(x), state);
            outputs.push(state.hidden.clone());
        }
        (outputs, state)
    }

    /// One time step from the already projected input `[batch, gates × hidden]`.
    pub fn step(&self, xt: Tensor<B, 2>, state: LayerState<B>) -> LayerState<B> {
        let hp = self.recurrent.forward(state.hidden.clone());
        match self.gates {
            1 => LayerState {
                hidden: tanh(xt + hp),
                cell: None,
            },
            4 => {
                let g = (xt + hp).chunk(4, 1);
                let (i, f, c_new, o) = (
                    sigmoid(g[0].clone()),
                    sigmoid(g[1].clone()),
                    tanh(g[2].clone()),
                    sigmoid(g[3].clone()),
                );
                let c_prev = state.cell.expect("an LSTM state has a cell");
                let cell = f * c_prev + i * c_new;
                LayerState {
                    hidden: o * tanh(cell.clone()),
                    cell: Some(cell),
                }
            }
            _ => {
                let xg = xt.chunk(3, 1);
                let hg = hp.chunk(3, 1);
                let r = sigmoid(xg[0].clone() + hg[0].clone());
                let z = sigmoid(xg[1].clone() + hg[1].clone());
                let n = tanh(xg[2].clone() + r * hg[2].clone());
                let hidden = (z.clone().neg() + 1.0) * n + z * state.hidden;
                LayerState { hidden, cell: None }
            }
        }
    }

    /// Projects one step's input `[batch, input]` to the gates.
    pub fn project(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.input.forward(x)
    }
}

/// Stacked recurrent layers with dropout between them.
#[derive(Module, Debug)]
pub struct RecurrentStack<B: Backend> {
    layers: Vec<RecurrentLayer<B>>,
    dropout: Dropout,
}

impl<B: Backend> RecurrentStack<B> {
    /// `layers` layers of `hidden` units over inputs of size `input`.
    pub fn new(
        cell: CellKind,
        input: usize,
        hidden: usize,
        layers: usize,
        dropout: f64,
        device: &B::Device,
    ) -> Self {
        RecurrentStack {
            layers: (0..layers)
                .map(|i| {
                    RecurrentLayer::new(cell, if i == 0 { input } else { hidden }, hidden, device)
                })
                .collect(),
            dropout: DropoutConfig::new(dropout).init(),
        }
    }

    /// Zero states for every layer.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> Vec<LayerState<B>> {
        self.layers
            .iter()
            .map(|l| l.zero_state(batch, device))
            .collect()
    }

    /// Runs all layers over a sequence of steps `[batch, input]`.
    pub fn forward(
        &self,
        inputs: Vec<Tensor<B, 2>>,
        states: Vec<LayerState<B>>,
    ) -> (Vec<Tensor<B, 2>>, Vec<LayerState<B>>) {
        let mut xs = inputs;
        let mut out_states = Vec::with_capacity(self.layers.len());
        for (i, (layer, state)) in self.layers.iter().zip(states).enumerate() {
            if i > 0 {
                xs = xs.into_iter().map(|x| self.dropout.forward(x)).collect();
            }
            let (ys, s) = layer.forward(xs, state);
            xs = ys;
            out_states.push(s);
        }
        (xs, out_states)
    }

    /// One step of all layers: `[batch, input]` → `[batch, hidden]` (inference; no dropout).
    pub fn step(
        &self,
        x: Tensor<B, 2>,
        states: Vec<LayerState<B>>,
    ) -> (Tensor<B, 2>, Vec<LayerState<B>>) {
        let mut x = x;
        let mut out_states = Vec::with_capacity(self.layers.len());
        for (layer, state) in self.layers.iter().zip(states) {
            let s = layer.step(layer.project(x), state);
            x = s.hidden.clone();
            out_states.push(s);
        }
        (x, out_states)
    }
}
