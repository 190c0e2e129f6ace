//! Set-level statistics: mean, standard deviation, minimum and maximum of each metric.

use serde::{Deserialize, Serialize};

use crate::{Metric, PieceMetrics};

/// The defined values of one metric over a set of pieces, in the order of the pieces (pieces for
/// which the metric is undefined are left out).
pub fn metric_values(pieces: &[PieceMetrics], metric: Metric) -> Vec<f64> {
    pieces.iter().filter_map(|p| p.get(metric)).collect()
}

/// Summary statistics of one metric over a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Which metric.
    pub metric: Metric,
    /// Number of pieces for which the metric is defined (the statistics are over these).
    pub count: usize,
    /// Arithmetic mean; `None` when `count` is 0.
    pub mean: Option<f64>,
    /// Population standard deviation (divided by `count`, as NumPy's `np.std` and mgeval);
    /// `None` when `count` is 0.
    pub std: Option<f64>,
    /// Smallest value; `None` when `count` is 0.
    pub min: Option<f64>,
    /// Largest value; `None` when `count` is 0.
    pub max: Option<f64>,
}

impl MetricSummary {
    /// Summarises the values of one metric (non-finite values are ignored).
    pub fn from_values(metric: Metric, values: &[f64]) -> MetricSummary {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let count = finite.len();
        if count == 0 {
            return MetricSummary {
                metric,
                count,
                mean: None,
                std: None,
                min: None,
                max: None,
            };
        }
        let mean = finite.iter().sum::<f64>() / count as f64;
        let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / count as f64;
        MetricSummary {
            metric,
            count,
            mean: Some(mean),
            std: Some(var.sqrt()),
            min: finite.iter().copied().reduce(f64::min),
            max: finite.iter().copied().reduce(f64::max),
        }
    }
}

/// Summary statistics of every metric over a set of pieces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetSummary {
    /// Number of pieces in the set.
    pub pieces: usize,
    /// One summary per metric, in the order of [`Metric::ALL`].
    pub metrics: Vec<MetricSummary>,
}

impl SetSummary {
    /// Summarises a set of pieces.
    pub fn from_pieces(pieces: &[PieceMetrics]) -> SetSummary {
        SetSummary {
            pieces: pieces.len(),
            metrics: Metric::ALL
                .iter()
                .map(|&m| MetricSummary::from_values(m, &metric_values(pieces, m)))
                .collect(),
        }
    }

    /// The summary of one metric.
    pub fn get(&self, metric: Metric) -> Option<&MetricSummary> {
        self.metrics.iter().find(|s| s.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_statistics() {
        let s = MetricSummary::from_values(Metric::Polyphony, &[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(s.count, 4);
        assert_eq!(s.mean, Some(2.5));
        assert!((s.std.unwrap_or(0.0) - 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (Some(1.0), Some(4.0)));
        let empty = MetricSummary::from_values(Metric::Polyphony, &[]);
        assert_eq!((empty.count, empty.mean, empty.std), (0, None, None));
    }
}
