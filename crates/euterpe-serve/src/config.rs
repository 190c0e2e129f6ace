//! The server's settings, as `euterpe serve` takes them, with their limits checked once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::ServeError;

/// Everything `euterpe serve` can be told.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen (default 127.0.0.1:8080; port 0 picks a free one).
    pub addr: SocketAddr,
    /// A bearer token every route but `/health` (and the static page) requires.
    pub token: Option<String>,
    /// Generation workers: requests generated at the same time.
    pub workers: usize,
    /// Requests that may wait for a worker; one more gets 503 with `Retry-After`.
    pub queue: usize,
    /// Simultaneous live (WebSocket) sessions.
    pub live_sessions: usize,
    /// Where pieces are kept (default: a temporary folder removed at exit).
    pub store: Option<PathBuf>,
    /// Most bytes of pieces kept; the oldest pieces are removed past it.
    pub store_bytes: u64,
    /// Largest request body in bytes.
    pub max_body: usize,
    /// Longest a generation request may take, queue included.
    pub timeout: Duration,
    /// Most bars one request may ask for.
    pub max_bars: usize,
    /// Origin allowed by CORS (`*` for any); `None`: CORS off.
    pub cors: Option<String>,
    /// Model directories written by `euterpe train`, served beside the built-in models under
    /// their folder names.
    pub models: Vec<PathBuf>,
    /// A General MIDI SoundFont for the WAVs (default: a system one if found, else the built-in
    /// synthesiser).
    pub soundfont: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue: 64,
            live_sessions: 8,
            store: None,
            store_bytes: 512 << 20,
            max_body: 2 << 20,
            timeout: Duration::from_secs(60),
            max_bars: 64,
            cors: None,
            models: Vec::new(),
            soundfont: None,
        }
    }
}

impl ServeConfig {
    /// Checks the settings, naming the first bad one.
    pub fn validate(&self) -> Result<(), ServeError> {
        let bad = |m: String| Err(ServeError::Config(m));
        if !(1..=256).contains(&self.workers) {
            return bad(format!("--workers must be 1–256, got {}", self.workers));
        }
        if self.queue > 100_000 {
            return bad(format!(
                "--queue must be at most 100000, got {}",
                self.queue
            ));
        }
        if !(1..=1024).contains(&self.live_sessions) {
            return bad(format!(
                "--live-sessions must be 1–1024, got {}",
                self.live_sessions
            ));
        }
        if let Some(token) = &self.token {
            if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return bad("the token must be non-empty, without spaces".into());
            }
        }
        if self.store_bytes < 1 << 20 {
            return bad("--store-mb must be at least 1".into());
        }
        if self.max_body < 1024 {
            return bad("the body limit must be at least 1 KiB".into());
        }
        if self.timeout.is_zero() {
            return bad("--timeout must be above 0 s".into());
        }
        if !(1..=10_000).contains(&self.max_bars) {
            return bad(format!("--max-bars must be 1–10000, got {}", self.max_bars));
        }
        Ok(())
    }
}
