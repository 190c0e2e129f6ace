//! Pruning of hopeless trials on their per-epoch validation curve: Optuna's median pruner. After
//! `warmup_epochs`, a trial stops when its best value so far is worse than the median of the
//! complete trials' values at the same epoch, once `startup_trials` trials are complete.

use crate::trial::{Direction, Trial, TrialState};

/// The median pruner's settings (Optuna's defaults: 5 start-up trials, no warm-up).
#[derive(Debug, Clone, Copy)]
pub struct MedianPruner {
    /// Complete trials needed before anything is pruned.
    pub startup_trials: usize,
    /// Epochs every trial runs before it can be pruned.
    pub warmup_epochs: usize,
}

impl Default for MedianPruner {
    fn default() -> Self {
        MedianPruner {
            startup_trials: 5,
            warmup_epochs: 0,
        }
    }
}

impl MedianPruner {
    /// Whether a trial whose curve so far is `curve` (epoch, value) should stop after `epoch`,
    /// against the trials of the study.
    pub fn should_prune(
        &self,
        direction: Direction,
        history: &[Trial],
        curve: &[(usize, f64)],
        epoch: usize,
    ) -> bool {
        if epoch <= self.warmup_epochs {
            return false;
        }
        let others: Vec<f64> = history
            .iter()
            .filter(|t| t.state == TrialState::Complete)
            .filter_map(|t| t.value_at(epoch))
            .filter(|v| v.is_finite())
            .collect();
        if others.len() < self.startup_trials.max(1) {
            return false;
        }
        let best = curve
            .iter()
            .map(|(_, v)| direction.as_loss(*v))
            .fold(f64::INFINITY, f64::min);
        if best.is_nan() {
            return true;
        }
        let mut losses: Vec<f64> = others.iter().map(|v| direction.as_loss(*v)).collect();
        losses.sort_by(f64::total_cmp);
        let m = losses.len();
        let median = if m % 2 == 1 {
            losses[m / 2]
        } else {
            0.5 * (losses[m / 2 - 1] + losses[m / 2])
        };
        best > median
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(number: usize, curve: &[f64]) -> Trial {
        Trial {
            number,
            state: TrialState::Complete,
            params: Default::default(),
            value: curve.iter().copied().reduce(f64::min),
            curve: curve.iter().enumerate().map(|(i, v)| (i + 1, *v)).collect(),
            seconds: 1.0,
            message: None,
            worker: String::new(),
        }
    }

    #[test]
    fn a_trial_worse_than_the_median_at_its_epoch_is_pruned() {
        let history: Vec<Trial> = (0..5)
            .map(|i| trial(i, &[3.0 + i as f64 * 0.1, 2.0 + i as f64 * 0.1]))
            .collect();
        let pruner = MedianPruner::default();
        // Epoch 2: others 2.0..2.4, median 2.2.
        assert!(pruner.should_prune(Direction::Minimize, &history, &[(1, 9.0), (2, 2.5)], 2));
        assert!(!pruner.should_prune(Direction::Minimize, &history, &[(1, 9.0), (2, 2.1)], 2));
        // Too few complete trials: never.
        assert!(!pruner.should_prune(Direction::Minimize, &history[..4], &[(1, 9.0), (2, 9.0)], 2));
        // For accuracies, lower is worse.
        assert!(pruner.should_prune(Direction::Maximize, &history, &[(1, 1.0), (2, 1.5)], 2));
        let warm = MedianPruner {
            warmup_epochs: 2,
            ..pruner
        };
        assert!(!warm.should_prune(Direction::Minimize, &history, &[(1, 9.0), (2, 9.0)], 2));
    }
}
