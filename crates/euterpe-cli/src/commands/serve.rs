//! `euterpe serve`: the HTTP service (`POST /generate_music`, the web page, live generation).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use euterpe_serve::{serve_blocking, ServeConfig};

/// Arguments of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Require `Authorization: Bearer TOKEN` on every route but /health and the page.
    #[arg(long, env = "EUTERPE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Generation workers (default: one per CPU core).
    #[arg(long)]
    workers: Option<usize>,
    /// Requests that may wait for a worker; more get 503 with Retry-After.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Simultaneous live (WebSocket) streams.
    #[arg(long, default_value_t = 8)]
    live_sessions: usize,
    /// Folder for generated pieces (default: a temporary folder removed at exit).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Most MiB of pieces kept; the oldest are removed past it.
    #[arg(long, default_value_t = 512)]
    store_mb: u64,
    /// Longest a generation request may take, queue included, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Most bars one request may ask for.
    #[arg(long, default_value_t = 64)]
    max_bars: usize,
    /// Largest request body in KiB.
    #[arg(long, default_value_t = 2048)]
    max_body_kb: usize,
    /// Allow cross-origin requests from this origin (`*` for any); off by default.
    #[arg(long)]
    cors: Option<String>,
    /// A General MIDI SoundFont for the WAVs (default: a system one if found, else the built-in
    /// synthesiser).
    #[arg(long)]
    soundfont: Option<PathBuf>,
    /// A model directory written by `euterpe train` to serve beside the built-in models, under
    /// its folder's name (repeat for several).
    #[arg(long = "models", value_name = "DIR")]
    models: Vec<PathBuf>,
}

/// Runs `serve` until SIGINT or SIGTERM.
pub fn run(a: &ServeArgs) -> Result<()> {
    let defaults = ServeConfig::default();
    let config = ServeConfig {
        addr: a.addr,
        token: a.token.clone(),
        workers: a.workers.unwrap_or(defaults.workers),
        queue: a.queue,
        live_sessions: a.live_sessions,
        store: a.store.clone(),
        store_bytes: a.store_mb.saturating_mul(1 << 20),
        max_body: a.max_body_kb.saturating_mul(1024),
        timeout: Duration::from_secs(a.timeout),
        max_bars: a.max_bars,
        cors: a.cors.clone(),
        models: a.models.clone(),
        soundfont: a.soundfont.clone(),
    };
    let auth = if config.token.is_some() {
        ", bearer token required"
    } else {
        ""
    };
    let workers = config.workers;
    serve_blocking(config, |addr, store| {
        eprintln!(
            "euterpe serving on http://{addr}/ ({workers} workers{auth}; pieces in {})",
            store.display()
        );
    })?;
    Ok(())
}
