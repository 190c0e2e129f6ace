//! The neural sequence models of euterpe, written against burn's `Backend` so that the same code
//! runs on the CPU (the default `flex` backend) and on NVIDIA GPUs (the `cuda` feature).
//!
//! * [`config`] — [`ModelConfig`], one tagged enum of every model kind and its architecture
//!   (what a training config and a model directory record); each config builds its model with
//!   `init(&device)`;
//! * [`model`] — [`Model`], one enum module over every kind;
//! * [`recurrent`] — vanilla RNN (tanh), LSTM and GRU layers, stacked with dropout;
//! * [`ops`] — [`ModelBackend`], the backend extension every model is generic over: fused
//!   operations with hand-derived backward passes ([`recurrence`], [`nade`]);
//! * [`recurrence`] — the RNN, LSTM and GRU recurrences as single operations;
//! * [`nade`] — the NADE output of frame models as a single operation;
//! * [`transformer`] — a causal pre-norm Transformer decoder with learned positions;
//! * [`core`] — the sequence core, a recurrent stack or a Transformer as one enum module, with
//!   carried state for step-by-step inference;
//! * [`step`] — [`Stepwise`], the one trait for step-by-step inference of every model;
//! * [`token_lm`] — language models over event tokens;
//! * [`classifier`] — classifiers of token sequences (emotion, style), with attention or mean
//!   pooling;
//! * [`audio_classifier`] — classifiers of audio clips (log-mel or MFCC frames): a 1-D
//!   convolutional network over time;
//! * [`audio_autoencoder`] — a convolutional encoder-decoder of log-mel clips (to a compact
//!   code and back);
//! * [`audio_lm`] — next-frame models of audio features (the seed's audio LSTM), trained by
//!   mean squared error, optionally conditioned on emotion;
//! * [`frame_lm`] — models of 88-key piano-roll frames with an independent-Bernoulli or a NADE
//!   output (the keys of a frame modelled jointly, as in RNN-NADE);
//! * [`text_head`] — the learned layer of text prompts: a small perceptron from pooled word
//!   vectors to classes (the emotion of mood words);
//! * [`standardise`] — per-band standardisation of audio frames, shared by the audio models;
//! * [`backend`] — the concrete backends, [`DeviceSpec`](backend::DeviceSpec) (`cpu`, `cuda:N`)
//!   and running generic code on the device a user chose.
//!
//! Start with [`ModelConfig`] and [`Model`]; a new kind of model is one module, one variant of
//! each (see `docs/architecture.md`).

pub mod affine;
pub mod attention;
pub mod audio_autoencoder;
pub mod audio_classifier;
pub mod audio_lm;
pub mod backend;
pub mod causal_attention;
pub mod classifier;
pub mod config;
pub mod core;
mod cpu;
pub mod cyclegan;
pub mod frame_lm;
pub mod gelu;
pub mod layer_norm;
pub mod melody_gan;
pub mod model;
pub mod musegan;
pub mod nade;
pub mod ops;
pub mod recurrence;
pub mod recurrent;
pub mod standardise;
pub mod step;
pub mod text_head;
pub mod token_lm;
pub mod transformer;

pub use audio_autoencoder::{AudioAutoencoder, AudioAutoencoderConfig};
pub use audio_classifier::{AudioClassifier, AudioClassifierConfig};
pub use audio_lm::{AudioLm, AudioLmConfig};
pub use burn;
pub use classifier::SequenceClassifier;
pub use config::{
    ClassifierConfig, CoreConfig, FrameHeadConfig, FrameLmConfig, ModelConfig, TokenLmConfig,
};
pub use frame_lm::FrameLm;
pub use melody_gan::{MelodyCritic, MelodyGanConfig, MelodyGenerator};
pub use model::Model;
pub use ops::{ModelBackend, TrainingBackend};
pub use step::Stepwise;
pub use text_head::{TextHead, TextHeadConfig};
pub use token_lm::TokenLm;
