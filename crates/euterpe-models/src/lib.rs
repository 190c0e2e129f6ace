//! The neural sequence models of euterpe, written against burn's `Backend` so that the same code
//! runs on the CPU (the default `flex` backend) and on NVIDIA GPUs (the `cuda` feature).
//!
//! * [`config`] — the serde configuration of every architecture (what a model directory records);
//! * [`recurrent`] — vanilla RNN (tanh), LSTM and GRU layers, stacked with dropout;
//! * [`ops`] — [`ModelBackend`], the backend extension every model is generic over: fused
//!   operations with hand-derived backward passes ([`recurrence`], [`nade`]);
//! * [`recurrence`] — the RNN, LSTM and GRU recurrences as single operations;
//! * [`nade`] — the NADE output of frame models as a single operation;
//! * [`transformer`] — a causal pre-norm Transformer decoder with learned positions;
//! * [`core`] — one sequence core over either kind, with carried state for step-by-step inference;
//! * [`step`] — [`Stepwise`], the one trait for step-by-step inference of every model;
//! * [`token_lm`] — language models over event tokens;
//! * [`frame_lm`] — models of 88-key piano-roll frames with an independent-Bernoulli or a NADE
//!   output (the keys of a frame modelled jointly, as in RNN-NADE);
//! * [`backend`] — the concrete backends the binary uses.

pub mod backend;
pub mod config;
pub mod core;
mod cpu;
pub mod frame_lm;
pub mod nade;
pub mod ops;
pub mod recurrence;
pub mod recurrent;
pub mod step;
pub mod token_lm;
pub mod transformer;

pub use burn;
pub use config::{CellKind, FrameHead, ModelConfig};
pub use frame_lm::FrameLm;
pub use ops::{ModelBackend, TrainingBackend};
pub use step::Stepwise;
pub use token_lm::TokenLm;
