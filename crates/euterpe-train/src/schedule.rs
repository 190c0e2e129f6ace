//! Learning-rate schedules.

use crate::config::{ScheduleConfig, ScheduleKind};

/// The learning rate at optimiser step `step` (0-based) of `total_steps`, with `steps_per_epoch`
/// steps per epoch (for the exponential schedule).
pub fn learning_rate(
    peak: f64,
    schedule: &ScheduleConfig,
    step: usize,
    total_steps: usize,
    steps_per_epoch: usize,
) -> f64 {
    if step < schedule.warmup_steps {
        return peak * (step + 1) as f64 / schedule.warmup_steps as f64;
    }
    let after = (step - schedule.warmup_steps) as f64;
    let span = total_steps.saturating_sub(schedule.warmup_steps).max(1) as f64;
    let progress = (after / span).min(1.0);
    let floor = schedule.min_lr;
    match schedule.kind {
        ScheduleKind::Constant => peak,
        ScheduleKind::Linear => peak + (floor - peak) * progress,
        ScheduleKind::Cosine => {
            floor + 0.5 * (peak - floor) * (1.0 + (std::f64::consts::PI * progress).cos())
        }
        ScheduleKind::Exponential => {
            peak * schedule.gamma.powf(after / steps_per_epoch.max(1) as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(kind: ScheduleKind, warmup: usize) -> ScheduleConfig {
        ScheduleConfig {
            kind,
            warmup_steps: warmup,
            min_lr: 1e-4,
            gamma: 0.5,
        }
    }

    #[test]
    fn schedules_have_their_shapes() {
        let lr = |k, w, s| learning_rate(1e-2, &sched(k, w), s, 100, 10);
        assert_eq!(lr(ScheduleKind::Constant, 0, 57), 1e-2);
        assert!(
            (lr(ScheduleKind::Constant, 10, 0) - 1e-3).abs() < 1e-12,
            "warm-up starts low"
        );
        assert!((lr(ScheduleKind::Linear, 0, 100) - 1e-4).abs() < 1e-12);
        assert!((lr(ScheduleKind::Linear, 0, 50) - 0.00505).abs() < 1e-9);
        assert!((lr(ScheduleKind::Cosine, 0, 0) - 1e-2).abs() < 1e-12);
        assert!((lr(ScheduleKind::Cosine, 0, 100) - 1e-4).abs() < 1e-12);
        assert!((lr(ScheduleKind::Exponential, 0, 20) - 2.5e-3).abs() < 1e-12);
        let mut prev = f64::INFINITY;
        for s in 0..100 {
            let x = lr(ScheduleKind::Cosine, 0, s);
            assert!(x <= prev);
            prev = x;
        }
    }
}
