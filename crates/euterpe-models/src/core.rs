//! One sequence core over a recurrent stack or a Transformer, with state for step-by-step use.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::{CellKind, ModelConfig};
use crate::ops::ModelBackend;
use crate::recurrent::{LayerState, RecurrentStack};
use crate::step::Stepwise;
use crate::transformer::{CausalTransformer, KvCache};

/// The carried state of step-by-step inference.
pub enum CoreState<B: Backend> {
    /// Hidden (and cell) states of each recurrent layer: O(1) work per new step.
    Recurrent(Vec<LayerState<B>>),
    /// The keys and values of every attention layer so far: O(length) work per new step.
    Transformer(KvCache<B>),
}

/// A recurrent stack or a causal Transformer over `[batch, time, input]` → `[batch, time, hidden]`.
#[derive(Module, Debug)]
pub struct SequenceCore<B: Backend> {
    recurrent: Option<RecurrentStack<B>>,
    /// Input to model width, Transformer only.
    project: Option<Linear<B>>,
    transformer: Option<CausalTransformer<B>>,
}

impl<B: ModelBackend> SequenceCore<B> {
    /// A core for inputs of size `input`.
    pub fn new(config: &ModelConfig, input: usize, device: &B::Device) -> Self {
        match config.cell {
            CellKind::Transformer => SequenceCore {
                recurrent: None,
                project: Some(LinearConfig::new(input, config.hidden).init(device)),
                transformer: Some(CausalTransformer::new(config, device)),
            },
            cell => SequenceCore {
                recurrent: Some(RecurrentStack::new(
                    cell,
                    input,
                    config.hidden,
                    config.layers,
                    config.dropout,
                    device,
                )),
                project: None,
                transformer: None,
            },
        }
    }

    /// The core with its recurrent weights in their inference form (see
    /// [`ModelBackend::inference_weight`]); a Transformer core is kept as it is.
    pub fn with_inference_weights(mut self) -> Self {
        self.recurrent = self.recurrent.map(RecurrentStack::with_inference_weights);
        self
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        self.transformer.as_ref().map(CausalTransformer::max_len)
    }

    /// Runs over a whole sequence `[batch, time, input]` from the zero state (training and
    /// evaluation).
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        if let Some(stack) = &self.recurrent {
            return stack.forward(x);
        }
        let project = self
            .project
            .as_ref()
            .expect("a Transformer core has a projection");
        let transformer = self
            .transformer
            .as_ref()
            .expect("a core is recurrent or a Transformer");
        transformer.forward(project.forward(x))
    }

    /// Whether the core is recurrent (rather than a Transformer).
    pub fn is_recurrent(&self) -> bool {
        self.recurrent.is_some()
    }
}

impl<B: ModelBackend> Stepwise<B> for SequenceCore<B> {
    type Input = Tensor<B, 2>;
    type Output = Tensor<B, 2>;

    /// The state before the first step.
    fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        match (&self.recurrent, &self.transformer) {
            (Some(stack), _) => CoreState::Recurrent(stack.zero_state(batch, device)),
            (_, Some(t)) => CoreState::Transformer(t.new_cache()),
            _ => unreachable!("a core is recurrent or a Transformer"),
        }
    }

    /// Keeps the batch rows `indices` of a state (in that order, repeats allowed): how beam
    /// search follows its surviving hypotheses.
    fn select_state(&self, state: CoreState<B>, indices: Tensor<B, 1, Int>) -> CoreState<B> {
        match state {
            CoreState::Recurrent(layers) => CoreState::Recurrent(
                layers
                    .into_iter()
                    .map(|l| LayerState {
                        hidden: l.hidden.select(0, indices.clone()),
                        cell: l.cell.map(|c| c.select(0, indices.clone())),
                    })
                    .collect(),
            ),
            CoreState::Transformer(cache) => CoreState::Transformer(cache.select(indices)),
        }
    }

    /// One step: `[batch, input]` → `[batch, hidden]`, updating the state.
    fn step(&self, x: Tensor<B, 2>, state: CoreState<B>) -> (Tensor<B, 2>, CoreState<B>) {
        match state {
            CoreState::Recurrent(states) => {
                let stack = self
                    .recurrent
                    .as_ref()
                    .expect("recurrent state for a recurrent core");
                let (y, states) = stack.step(x, states);
                (y, CoreState::Recurrent(states))
            }
            CoreState::Transformer(mut cache) => {
                let project = self
                    .project
                    .as_ref()
                    .expect("a Transformer core has a projection");
                let transformer = self
                    .transformer
                    .as_ref()
                    .expect("Transformer state for a Transformer core");
                let y = transformer.step(project.forward(x), &mut cache);
                (y, CoreState::Transformer(cache))
            }
        }
    }
}
