//! Progress of batch jobs over many files, for front ends to draw (the library never prints).

use std::fmt;
use std::sync::Arc;

/// What a batch job tells as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressEvent {
    /// `total` items are about to be processed; `what` names them ("files").
    Start {
        /// Items in all.
        total: usize,
        /// What the items are.
        what: &'static str,
    },
    /// One more item is done.
    Advance,
    /// The job is over.
    Finish,
}

/// A receiver of [`ProgressEvent`]s, shared by the threads of a parallel job.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(ProgressEvent) + Send + Sync>);

impl Progress {
    /// Progress that calls `f` with every event (from any thread).
    pub fn new(f: impl Fn(ProgressEvent) + Send + Sync + 'static) -> Self {
        Progress(Arc::new(f))
    }

    /// Tells an event.
    pub fn tell(&self, event: ProgressEvent) {
        (self.0)(event)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}
