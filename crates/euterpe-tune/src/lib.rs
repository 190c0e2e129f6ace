//! Hyperparameter search for euterpe's models, the way Optuna users expect it: a search space
//! over any training-config key, grid, random and TPE samplers, a median pruner on the
//! per-epoch validation curve, and a study stored in a database that several workers share and
//! that survives a crash. Every trial is a real training run into its own model directory.
//!
//! * [`space`] — [`SearchSpace`](space::SearchSpace): the TOML search space;
//! * [`sampler`] — grid, random and the method dispatch; [`tpe`] — the Parzen estimators;
//! * [`pruner`] — the median pruner;
//! * [`store`] — studies and trials in SQLite or PostgreSQL;
//! * [`study`] — [`run_study`](study::run_study): workers claim, train and record trials;
//! * [`report`] — the best trial, every trial, parameter importance and plots.
//!
//! Start with [`study::run_study`] and [`report::report`].

mod db;
mod error;
pub mod pruner;
pub mod report;
pub mod sampler;
pub mod space;
pub mod store;
pub mod study;
pub mod tpe;
pub mod trial;

pub use error::TuneError;
