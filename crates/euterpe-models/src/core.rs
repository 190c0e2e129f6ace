//! The sequence core of the language models: a recurrent stack or a causal Transformer, as one
//! enum module, with the state of step-by-step inference.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::config::CoreConfig;
use crate::ops::ModelBackend;
use crate::recurrence::Cell;
use crate::recurrent::{LayerState, RecurrentStack};
use crate::step::Stepwise;
use crate::transformer::{CausalTransformer, KvCache};

/// A recurrent stack or a causal Transformer over `[batch, time, input]` → `[batch, time, hidden]`.
// One core per model, never in collections: boxing the larger variant would only add an
// indirection to every call.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum SequenceCore<B: Backend> {
    /// RNN, LSTM or GRU layers.
    Recurrent(RecurrentStack<B>),
    /// A causal Transformer decoder.
    Transformer(CausalTransformer<B>),
}

/// The carried state of a [`SequenceCore`] stepping one position at a time. Only the core makes
/// one ([`Stepwise::initial_state`]), so a state always matches the core that made it.
pub struct CoreState<B: Backend>(State<B>);

enum State<B: Backend> {
    Recurrent(Vec<LayerState<B>>),
    Transformer(KvCache<B>),
}

impl CoreConfig {
    /// A core for inputs of size `input`.
    pub fn init<B: Backend>(&self, input: usize, device: &B::Device) -> SequenceCore<B> {
        let recurrent = |c: &crate::config::RecurrentConfig, cell| {
            SequenceCore::Recurrent(c.init(cell, input, device))
        };
        match self {
            CoreConfig::Rnn(c) => recurrent(c, Cell::Rnn),
            CoreConfig::Lstm(c) => recurrent(c, Cell::Lstm),
            CoreConfig::Gru(c) => recurrent(c, Cell::Gru),
            CoreConfig::Transformer(c) => SequenceCore::Transformer(c.init(input, device)),
        }
    }
}

impl<B: ModelBackend> SequenceCore<B> {
    /// The core with its weight matrices in their inference form (see
    /// [`ModelBackend::inference_weight`]).
    pub fn with_inference_weights(self) -> Self {
        match self {
            SequenceCore::Recurrent(stack) => {
                SequenceCore::Recurrent(stack.with_inference_weights())
            }
            SequenceCore::Transformer(t) => SequenceCore::Transformer(t.with_inference_weights()),
        }
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited).
    pub fn max_len(&self) -> Option<usize> {
        match self {
            SequenceCore::Recurrent(_) => None,
            SequenceCore::Transformer(t) => Some(t.max_len()),
        }
    }

    /// Runs over a whole sequence `[batch, time, input]` from the zero state (training and
    /// evaluation).
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        match self {
            SequenceCore::Recurrent(stack) => stack.forward(x),
            SequenceCore::Transformer(t) => t.forward(x),
        }
    }

    /// [`Self::forward`] where `padding` `[batch, time]` is 1 at real positions and 0 at
    /// padding: a bidirectional encoder attends to real positions only; a causal core ignores it
    /// (padding comes after the real positions, which never see it).
    pub fn forward_padded(&self, x: Tensor<B, 3>, padding: Tensor<B, 2>) -> Tensor<B, 3> {
        match self {
            SequenceCore::Transformer(t) if !t.is_causal() => t.forward_padded(x, Some(padding)),
            _ => self.forward(x),
        }
    }

    /// Whether every position sees the past only (false for a bidirectional encoder, which
    /// cannot step).
    pub fn is_causal(&self) -> bool {
        match self {
            SequenceCore::Recurrent(_) => true,
            SequenceCore::Transformer(t) => t.is_causal(),
        }
    }

    /// Whether the core is recurrent (rather than a Transformer).
    pub fn is_recurrent(&self) -> bool {
        matches!(self, SequenceCore::Recurrent(_))
    }
}

impl<B: ModelBackend> Stepwise<B> for SequenceCore<B> {
    /// `[batch, input]`.
    type Input = Tensor<B, 2>;
    /// `[batch, hidden]`.
    type Output = Tensor<B, 2>;
    /// Layer states of a recurrent core, or the key/value cache of a Transformer.
    type State = CoreState<B>;

    fn initial_state(&self, batch: usize, device: &B::Device) -> CoreState<B> {
        CoreState(match self {
            SequenceCore::Recurrent(stack) => State::Recurrent(stack.initial_state(batch, device)),
            SequenceCore::Transformer(t) => State::Transformer(t.initial_state(batch, device)),
        })
    }

    fn select_state(&self, state: CoreState<B>, indices: Tensor<B, 1, Int>) -> CoreState<B> {
        CoreState(match (self, state.0) {
            (SequenceCore::Recurrent(s), State::Recurrent(st)) => {
                State::Recurrent(s.select_state(st, indices))
            }
            (SequenceCore::Transformer(t), State::Transformer(c)) => {
                State::Transformer(t.select_state(c, indices))
            }
            _ => mismatched_state(),
        })
    }

    /// One step: `[batch, input]` → `[batch, hidden]`, updating the state.
    fn step(&self, x: Tensor<B, 2>, state: CoreState<B>) -> (Tensor<B, 2>, CoreState<B>) {
        match (self, state.0) {
            (SequenceCore::Recurrent(s), State::Recurrent(st)) => {
                let (y, st) = s.step(x, st);
                (y, CoreState(State::Recurrent(st)))
            }
            (SequenceCore::Transformer(t), State::Transformer(c)) => {
                let (y, c) = t.step(x, c);
                (y, CoreState(State::Transformer(c)))
            }
            _ => mismatched_state(),
        }
    }
}

/// A state given to another kind of core than the one that made it. `CoreState`'s contents are
/// private and only `initial_state` makes one, so only a state carried over from one model to
/// another can get here: a bug in the caller, not a user error.
fn mismatched_state() -> ! {
    panic!("a SequenceCore was given the step state of a different kind of core")
}
