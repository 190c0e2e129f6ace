//! A real server on a loopback port for each test, and a blocking HTTP client for it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use euterpe_serve::{ServeConfig, Server};
use serde_json::Value;

/// A server running on its own runtime and thread; stopped (gracefully) on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub store: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// A server with `config` (its address replaced by a free loopback port).
    pub fn start(config: ServeConfig) -> TestServer {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let config = ServeConfig {
                    addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                    ..config
                };
                let server = Server::bind(config).await.expect("the server binds");
                let addr = server.local_addr().expect("address");
                ready_tx
                    .send((addr, server.store_dir().to_path_buf()))
                    .expect("the test waits");
                server
                    .run(async {
                        let _ = shutdown_rx.await;
                    })
                    .await
                    .expect("the server runs");
            });
        });
        let (addr, store) = ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server starts");
        TestServer {
            addr,
            store,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// A server with the default settings (two workers).
    pub fn default_config() -> ServeConfig {
        ServeConfig {
            workers: 2,
            // Test builds run the generator unoptimised on shared cores; the timeout test sets
            // its own limit.
            timeout: std::time::Duration::from_secs(300),
            ..ServeConfig::default()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops taking connections and waits until the requests in flight are answered.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Sends the shutdown signal without waiting.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A client that returns 4xx and 5xx responses instead of errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// A response's status, headers we look at, and body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub seed: Option<String>,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(400)])
            )
        })
    }
}

fn reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    let seed = header("x-seed");
    let bytes = response
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .expect("the body reads");
    Reply {
        status: response.status().as_u16(),
        content_type,
        retry_after,
        seed,
        bytes,
    }
}

/// POSTs `body` with a content type and optional extra headers.
pub fn post(url: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().post(url).header("content-type", content_type);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    reply(request.send(body).expect("the request is answered"))
}

/// POSTs a JSON value.
pub fn post_json(url: &str, body: &Value) -> Reply {
    post(url, "application/json", body.to_string().as_bytes(), &[])
}

/// GETs a URL with optional extra headers.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    reply(request.call().expect("the request is answered"))
}

/// A multipart/form-data body of text fields and one optional file, as `curl -F` writes it.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "------------------------euterpetestboundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((name, bytes)) = file {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"upload.mid\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
