//! Model directories: everything needed to evaluate or generate with a trained model, saved and
//! loaded in one place that generation, a server and training all use (it never links the
//! trainer).
//!
//! * [`files`] — the names of the files in a model directory;
//! * [`weights`] — module weights to and from bytes (burn's binary record), with shape checks;
//! * [`config`] — [`StoredConfig`], the `[model]` and `[data]` sections of `config.toml`;
//! * [`model`] — [`LoadedModel`] and [`load_dir`]: a directory back into a [`euterpe_models::Model`];
//! * [`source`] — [`ModelSource`]: `--model NAME|DIR` resolved to a directory or a built-in model,
//!   and the list of built-in models.
//!
//! Start with [`ModelSource::resolve`] and [`ModelSource::load`].

pub mod config;
mod error;
pub mod files;
pub mod model;
pub mod source;
pub mod weights;

pub use config::StoredConfig;
pub use error::StoreError;
pub use model::{
    load_dir, AnyClassifier, LoadedAudioClassifier, LoadedClassifier, LoadedModel, ModelFiles,
};
pub use source::{builtin_models, dir_model_info, ModelInfo, ModelSource};
