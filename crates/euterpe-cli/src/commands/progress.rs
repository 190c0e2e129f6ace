//! Progress bars on a terminal: within each training epoch, and over the files of folder-wide
//! `data` and `metrics` runs. Nothing is drawn when stderr is not a terminal (pipes, logs, tests).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use euterpe_data::{Progress, ProgressEvent};
use euterpe_train::metrics::EpochMetrics;
use euterpe_train::trainer::TrainObserver;
use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars can be drawn.
fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("a valid progress template")
        .progress_chars("=> ")
}

/// A bar over the files of a corpus, or `None` off a terminal.
pub fn files() -> Option<Progress> {
    if !stderr_is_terminal() {
        return None;
    }
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    Some(Progress::new(move |event| {
        let Ok(mut bar) = bar.lock() else {
            return;
        };
        match event {
            ProgressEvent::Start { total, what } => {
                let b = ProgressBar::new(total as u64);
                b.set_style(style(&format!(
                    "{{bar:30}} {{pos}}/{{len}} {what} {{per_sec}} eta {{eta}}"
                )));
                *bar = Some(b);
            }
            ProgressEvent::Advance => {
                if let Some(b) = bar.as_ref() {
                    b.inc(1);
                }
            }
            ProgressEvent::Finish => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    }))
}

/// Draws an epoch bar with the loss, the learning rate, units (tokens, frames) per second and the
/// time left, and prints a line per epoch.
pub struct TrainProgress {
    bar: Option<ProgressBar>,
    recent: f64,
    unit: String,
    units: usize,
    started: Instant,
}

impl TrainProgress {
    /// An observer that draws on stderr (bars only on a terminal; epoch lines always).
    pub fn new() -> Self {
        TrainProgress {
            bar: None,
            recent: 0.0,
            unit: String::new(),
            units: 0,
            started: Instant::now(),
        }
    }
}

impl TrainObserver for TrainProgress {
    fn epoch_started(&mut self, epoch: usize, epochs: usize, batches: usize, unit: &str) {
        self.unit = unit.to_string();
        self.units = 0;
        self.started = Instant::now();
        if !stderr_is_terminal() {
            return;
        }
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(style(
            "epoch {prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}",
        ));
        bar.set_prefix(format!("{epoch}/{epochs}"));
        self.bar = Some(bar);
    }

    fn batch_done(&mut self, loss: f64, lr: f64, units: usize) {
        self.recent = if self.recent == 0.0 {
            loss
        } else {
            0.9 * self.recent + 0.1 * loss
        };
        self.units += units;
        if let Some(bar) = &self.bar {
            let rate = self.units as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "loss {:.4} lr {lr:.2e} {rate:.0} {}s/s",
                self.recent, self.unit
            ));
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, m: &EpochMetrics) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let extra = match (m.valid_perplexity, m.valid_accuracy) {
            (Some(p), Some(a)) => format!(" ppl {p:.3} acc {:.1}%", a * 100.0),
            (None, Some(a)) => format!(" acc {:.1}%", a * 100.0),
            _ => String::new(),
        };
        let rate = self.units as f64 / m.seconds.max(1e-9);
        eprintln!(
            "epoch {:>3}  train {:.4}  valid {:.4}{extra}  {:.1}s ({rate:.0} {}s/s){}",
            m.epoch,
            m.train_nll,
            m.valid_nll,
            m.seconds,
            self.unit,
            if m.best { "  *best" } else { "" }
        );
    }

    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}
