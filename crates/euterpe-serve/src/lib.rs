//! euterpe's HTTP service: `euterpe serve`.
//!
//! * `POST /generate_music` — a piece from an emotion, a style or blend, a length, a tempo, a
//!   temperature, a seed, a primer… as JSON or as form fields (`curl -F emotion=happy`); answers
//!   JSON with links to the MIDI, WAV and piano-roll PNG, or the bytes themselves when the
//!   `Accept` header asks for `audio/midi`, `audio/wav` or `image/png`;
//! * `GET /pieces/{id}.{mid,wav,png}`, `GET /models`, `GET /health`, `POST /classify`,
//!   `GET /openapi.json`, the web page at `/`, and live generation over a WebSocket at `/live`.
//!
//! Start at [`Server::bind`] and [`Server::run`]; [`ServeConfig`] holds the limits. Generation
//! runs on a bounded pool of worker threads ([`pool`]) behind a bounded queue: a full queue is a
//! 503 with `Retry-After`, never an unbounded wait. Every field is checked ([`request`]) and a bad
//! one is a 4xx JSON error naming it ([`ApiError`]). Pieces live in a size-capped folder
//! ([`pieces`]). This crate is a layer over the libraries: it never links the trainer.

pub mod body;
pub mod catalog;
mod config;
mod error;
pub mod live;
pub mod openapi;
pub mod pieces;
pub mod pool;
pub mod request;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use euterpe_render::{find_system_soundfont, RenderOptions};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use catalog::Catalog;
pub use config::ServeConfig;
pub use error::{ApiError, ServeError};

use pieces::PieceStore;
use pool::Pool;

/// What every handler shares.
pub struct AppState {
    /// The settings.
    pub config: ServeConfig,
    /// The models on offer.
    pub catalog: Catalog,
    /// The generation workers.
    pub pool: Pool,
    /// The pieces written.
    pub store: Arc<PieceStore>,
    /// Permits for live sessions.
    pub live: Arc<Semaphore>,
}

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
    /// The temporary piece folder when no `store` was given; removed when `run` ends.
    temp_store: Option<tempfile::TempDir>,
}

impl Server {
    /// Checks the settings, opens the piece store, starts the workers and binds the address.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        config.validate()?;
        let catalog = Catalog::with_dirs(&config.models)?;
        let (store, temp_store) = PieceStore::open(config.store.as_deref(), config.store_bytes)?;
        let store = Arc::new(store);
        let render = RenderOptions {
            soundfont: config.soundfont.clone().or_else(find_system_soundfont),
            // Requests already run side by side on the workers.
            threads: 1,
            ..RenderOptions::default()
        };
        let sources = catalog
            .models
            .iter()
            .map(|m| (m.info.name.clone(), m.source.clone()))
            .collect();
        let pool = Pool::start(
            config.workers,
            config.queue,
            Arc::clone(&store),
            render,
            sources,
        );
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServeError::Io {
                context: format!("listening on {}", config.addr),
                source,
            })?;
        let state = Arc::new(AppState {
            live: Arc::new(Semaphore::new(config.live_sessions)),
            config,
            catalog,
            pool,
            store,
        });
        Ok(Server {
            listener,
            state,
            temp_store,
        })
    }

    /// The address the server listens on (the real port when it was bound to port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(|source| ServeError::Io {
            context: "reading the bound address".into(),
            source,
        })
    }

    /// Where the pieces are written.
    pub fn store_dir(&self) -> &std::path::Path {
        self.state.store.dir()
    }

    /// Serves until `shutdown` completes, then stops taking connections and finishes the requests
    /// in flight; a temporary piece folder is removed on the way out.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        // Dropped when serving ends, which removes a temporary piece folder.
        let _temp_store = self.temp_store;
        let app = router(Arc::clone(&self.state));
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| ServeError::Io {
                context: "serving".into(),
                source,
            })
    }
}

/// Every route, with the body limit, the token check, CORS when asked and request logs.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new()
        .route("/", get(routes::index))
        .route("/app.js", get(routes::app_js))
        .route("/style.css", get(routes::style_css))
        .route("/health", get(routes::health))
        .route("/models", get(routes::models))
        .route("/openapi.json", get(routes::openapi))
        .route("/generate_music", post(routes::generate_music))
        .route("/pieces/{file}", get(routes::piece))
        .route("/classify", post(routes::classify))
        .route("/live", get(live::upgrade))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            require_token,
        ));
    if let Some(origin) = &state.config.cors {
        app = app.layer(cors(origin));
    }
    app.layer(middleware::from_fn(log_request))
        .with_state(state)
}

fn cors(origin: &str) -> CorsLayer {
    let allow = if origin == "*" {
        AllowOrigin::any()
    } else {
        match HeaderValue::from_str(origin) {
            Ok(v) => AllowOrigin::exact(v),
            Err(_) => AllowOrigin::list([]),
        }
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
}

/// Paths open without a token: the health check, and the static page (it holds no data; it asks
/// the user for the token and sends it with every call).
const OPEN_PATHS: [&str; 4] = ["/health", "/", "/app.js", "/style.css"];

/// With a token configured, every other route needs `Authorization: Bearer TOKEN` (or, for the
/// WebSocket, which browsers cannot give headers, `?token=TOKEN`), compared in constant time.
async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = &state.config.token else {
        return next.run(request).await;
    };
    if OPEN_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let from_header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let from_query = (request.uri().path() == "/live")
        .then(|| live::query_token(request.uri().query()))
        .flatten();
    let given = from_header.map(str::to_string).or(from_query);
    let ok = given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(expected.as_bytes())));
    if ok {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "a valid bearer token is required (Authorization: Bearer TOKEN)",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// One log line per request: method, path, status, milliseconds.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    response
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM: the shutdown signal for [`Server::run`].
pub async fn shutdown_signal() {
    let interrupt = async {
        // Without a signal handler the server runs until killed, which is still a shutdown.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Runs a server on its own tokio runtime until SIGINT or SIGTERM; `ready` is told the bound
/// address and the piece folder once it listens. For callers without a runtime (the CLI).
pub fn serve_blocking(
    config: ServeConfig,
    ready: impl FnOnce(SocketAddr, &std::path::Path),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("euterpe-http")
        .build()
        .map_err(|source| ServeError::Io {
            context: "starting the async runtime".into(),
            source,
        })?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        ready(server.local_addr()?, server.store_dir());
        server.run(shutdown_signal()).await
    })
}
