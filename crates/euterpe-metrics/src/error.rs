//! The error type of the metrics crate.

/// What can go wrong when naming metrics or keys, or reading a set of files. Computing metrics
/// never fails: values that are undefined for a piece (no notes, fewer than two bars) are `None`
/// instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// A metric name that is not in [`Metric::ALL`](crate::Metric::ALL).
    #[error("unknown metric `{name}` (known: {known})")]
    UnknownMetric {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A key name that is not `"<tonic> major"` or `"<tonic> minor"`.
    #[error("invalid key `{name}`: {reason}")]
    InvalidKey {
        /// The name given.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A set of files could not be measured; the message names the path and the reason.
    #[error("{0}")]
    Set(String),
}
