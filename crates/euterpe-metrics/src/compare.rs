//! Comparing a generated set with a reference set, metric by metric.

use serde::{Deserialize, Serialize};

use crate::kde::{overlap, DistributionOverlap};
use crate::summary::{metric_values, MetricSummary, SetSummary};
use crate::{Metric, PieceMetrics};

/// How the generated and the reference set compare on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    /// Which metric.
    pub metric: Metric,
    /// Its statistics over the generated set.
    pub generated: MetricSummary,
    /// Its statistics over the reference set.
    pub reference: MetricSummary,
    /// Overlap area and KL divergence of the two sets' KDEs; `None` when the metric is undefined
    /// for every piece of either set.
    pub overlap: Option<DistributionOverlap>,
}

impl MetricComparison {
    /// The overlap area, if both sets have values.
    pub fn overlap_area(&self) -> Option<f64> {
        self.overlap.as_ref().map(|o| o.area)
    }

    /// `D(reference ‖ generated)` in nats, if both sets have values.
    pub fn kl_divergence(&self) -> Option<f64> {
        self.overlap.as_ref().map(|o| o.kl_divergence)
    }
}

/// A generated set against a reference set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Number of pieces in the generated set.
    pub generated_pieces: usize,
    /// Number of pieces in the reference set.
    pub reference_pieces: usize,
    /// One comparison per metric, in the order of [`Metric::ALL`].
    pub metrics: Vec<MetricComparison>,
}

impl Comparison {
    /// The statistics of the generated set (as [`SetSummary::from_pieces`] gives them).
    pub fn generated_summary(&self) -> SetSummary {
        SetSummary {
            pieces: self.generated_pieces,
            metrics: self.metrics.iter().map(|m| m.generated.clone()).collect(),
        }
    }

    /// The statistics of the reference set (as [`SetSummary::from_pieces`] gives them).
    pub fn reference_summary(&self) -> SetSummary {
        SetSummary {
            pieces: self.reference_pieces,
            metrics: self.metrics.iter().map(|m| m.reference.clone()).collect(),
        }
    }

    /// The comparison on one metric.
    pub fn get(&self, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|c| c.metric == metric)
    }

    /// Mean overlap area over the metrics where it is defined (all metrics count equally, the
    /// counts and lengths included); `None` when it is defined for none.
    pub fn mean_overlap_area(&self) -> Option<f64> {
        let areas: Vec<f64> = self
            .metrics
            .iter()
            .filter_map(MetricComparison::overlap_area)
            .collect();
        (!areas.is_empty()).then(|| areas.iter().sum::<f64>() / areas.len() as f64)
    }
}

/// Compares the per-piece metrics of a generated set with those of a reference set: statistics of
/// both and, for each metric, the overlap area and KL divergence of the KDEs of the two sets'
/// per-piece values (see [`crate::kde`]).
pub fn compare(generated: &[PieceMetrics], reference: &[PieceMetrics]) -> Comparison {
    let metrics = Metric::ALL
        .iter()
        .map(|&metric| {
            let gen = metric_values(generated, metric);
            let refs = metric_values(reference, metric);
            MetricComparison {
                metric,
                generated: MetricSummary::from_values(metric, &gen),
                reference: MetricSummary::from_values(metric, &refs),
                overlap: overlap(&gen, &refs),
            }
        })
        .collect();
    Comparison {
        generated_pieces: generated.len(),
        reference_pieces: reference.len(),
        metrics,
    }
}
