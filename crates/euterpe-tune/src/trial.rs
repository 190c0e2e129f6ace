//! Trials as a study records them.

use serde::{Deserialize, Serialize};

use crate::space::Params;

/// Where a trial stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialState {
    /// Training now (or its worker died: see [`crate::store`]).
    Running,
    /// Trained to the end (or early stopping).
    Complete,
    /// Stopped by the pruner: hopeless against the trials before it.
    Pruned,
    /// Crashed, diverged, or its worker was lost; the message says which.
    Failed,
}

impl TrialState {
    /// The name stored and printed.
    pub fn name(self) -> &'static str {
        match self {
            TrialState::Running => "running",
            TrialState::Complete => "complete",
            TrialState::Pruned => "pruned",
            TrialState::Failed => "failed",
        }
    }

    /// The state of a stored name.
    pub fn from_name(name: &str) -> Option<TrialState> {
        [
            TrialState::Running,
            TrialState::Complete,
            TrialState::Pruned,
            TrialState::Failed,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// Whether the objective is minimised (a loss) or maximised (an accuracy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Lower is better.
    Minimize,
    /// Higher is better.
    Maximize,
}

impl Direction {
    /// Whether `a` is better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Minimize => a < b,
            Direction::Maximize => a > b,
        }
    }

    /// The value as a loss (lower is better), what the samplers rank by.
    pub fn as_loss(self, v: f64) -> f64 {
        match self {
            Direction::Minimize => v,
            Direction::Maximize => -v,
        }
    }

    /// The name stored and printed.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Minimize => "minimize",
            Direction::Maximize => "maximize",
        }
    }
}

/// One trial of a study.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trial {
    /// Its number in the study, from 0; its model directory is `trial-NNN`.
    pub number: usize,
    /// Where it stands.
    pub state: TrialState,
    /// The values it was given.
    pub params: Params,
    /// Its objective: the best validation value over its epochs.
    pub value: Option<f64>,
    /// The validation value after each epoch (epoch from 1).
    pub curve: Vec<(usize, f64)>,
    /// Seconds it trained.
    pub seconds: f64,
    /// Why it failed or was pruned.
    pub message: Option<String>,
    /// The worker that ran it (`host:pid`).
    pub worker: String,
}

impl Trial {
    /// The validation value at `epoch`, if it got there.
    pub fn value_at(&self, epoch: usize) -> Option<f64> {
        self.curve
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, v)| *v)
    }
}
