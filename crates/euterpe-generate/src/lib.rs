//! Music generation with euterpe's token models.
//!
//! A [`Generator`] steps a [`TokenLm`](euterpe_models::TokenLm) one token at a time with its
//! carried state (O(1) model work per token for recurrent models, a key/value cache for the
//! Transformer). At every step the vocabulary's [`Grammar`](euterpe_music::tokens::Grammar) masks
//! the tokens that cannot come next, so every output decodes to a well-formed score. Sampling
//! takes temperature, top-k and top-p ([`SamplingConfig`]); beam search is the deterministic
//! alternative. A primer is fed through the model first, and the output starts with it.
//!
//! A model trained with control tokens follows an emotion and a style ([`controls`]: quadrants,
//! valence and arousal, blends of styles).
//!
//! [`audio`] rolls a next-frame audio model (the seed's audio LSTM) forward and turns its
//! frames back into sound.
//!
//! [`melody`] writes melodies over a chord progression with a melody GAN, bar after bar.
//!
//! [`LoadedGenerator`] loads a model from `euterpe-store` (a trained directory or a built-in
//! model) on any device; this crate never links the trainer.

pub mod arrange;
pub mod audio;
pub mod controls;
mod error;
pub mod generator;
pub mod live;
mod loaded;
pub mod melody;
pub mod report;
pub mod sampling;
pub mod score_util;
pub mod transfer;

pub use arrange::{
    accompany_from, Accompaniment, ArrangeOptions, Arranged, ArrangementWriter, LatentSearch,
};
pub use audio::{AudioGenerator, AudioOptions, GeneratedAudio};
pub use controls::{ControlLayout, EmotionRequest, KeyTarget, StyleBlend, DEFAULT_GUIDANCE};
pub use error::GenerateError;
pub use generator::{GenerateOptions, Generated, Generator, Length};
pub use live::{LiveBar, LiveEvent, LiveNote, LiveSession, LiveSettings};
pub use loaded::LoadedGenerator;
pub use melody::{MelodyOptions, MelodyWriter};
pub use report::{GenerateReport, PieceReport};
pub use sampling::SamplingConfig;
pub use transfer::{transfer_strength, Judgement, Notation, StyleTransfer, Transferred};
