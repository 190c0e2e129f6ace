//! The web page in a real browser: headless Chromium driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`, which `.ci/run` installs). Pick an emotion, click Generate, and the
//! page must show an audio player that loads the WAV, the piano roll and the piece in its list;
//! then Live mode must play bars from the WebSocket. A screenshot is kept in the test's output
//! folder (`target/tmp/browser/`).
//!
//! Without Chromium the test says so and passes, unless `EUTERPE_REQUIRE_BROWSER=1` (set by
//! `.ci/run`) makes its absence a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::TestServer;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut r) = common::agent()
                .get(&format!("{}/status", driver.url))
                .call()
            {
                let status: Value = r.body_mut().read_json().unwrap_or(Value::Null);
                if status["value"]["ready"] == true {
                    return driver;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not become ready");
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let agent = common::agent();
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).call(),
            ("DELETE", _) => agent.delete(&url).call(),
            (_, body) => agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        }
        .expect("chromedriver answers");
        let value: Value = response.body_mut().read_json().expect("WebDriver JSON");
        assert!(
            value["value"].get("error").is_none(),
            "{method} {path}: {value}"
        );
        value["value"].clone()
    }
}

/// One browser session.
struct Browser<'d> {
    driver: &'d Driver,
    session: String,
}

impl Browser<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn element(&self, css: &str) -> String {
        let found = self.driver.call(
            "POST",
            &self.path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.driver
            .call("POST", &self.path(&format!("/element/{id}/click")), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.driver
            .call("POST", &self.path(&format!("/element/{id}/clear")), None);
        self.driver.call(
            "POST",
            &self.path(&format!("/element/{id}/value")),
            Some(json!({"text": text})),
        );
    }

    fn script(&self, source: &str) -> Value {
        self.driver.call(
            "POST",
            &self.path("/execute/sync"),
            Some(json!({"script": source, "args": []})),
        )
    }

    /// Polls `source` until it returns true.
    fn wait_for(&self, what: &str, source: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.script(source) == Value::Bool(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let status = self.script("return document.getElementById('status').textContent");
        panic!("timed out waiting for {what}; the page's status says {status}");
    }

    fn screenshot(&self, path: &Path) {
        let encoded = self.driver.call("GET", &self.path("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64"))
            .expect("a PNG");
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

#[test]
fn the_page_generates_plays_and_draws_a_piece_and_plays_live_in_chromium() {
    let required = std::env::var("EUTERPE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_program(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let chromedriver = find_program("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            !required,
            "EUTERPE_REQUIRE_BROWSER=1 but chromium/chromedriver are missing"
        );
        eprintln!("skipped: no chromium/chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let server = TestServer::start(TestServer::default_config());
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let session = driver.call(
        "POST",
        "/session",
        Some(json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--mute-audio",
                    "--autoplay-policy=no-user-gesture-required", "--window-size=1100,1400",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}})),
    );
    let browser = Browser {
        driver: &driver,
        session: session["sessionId"]
            .as_str()
            .expect("a session")
            .to_string(),
    };
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");

    browser.driver.call(
        "POST",
        &browser.path("/url"),
        Some(json!({"url": server.url("/")})),
    );
    browser.wait_for(
        "the models",
        "return document.querySelectorAll('#model option').length > 2",
        Duration::from_secs(30),
    );
    browser.click("button[data-emotion='sad']");
    browser.type_into("#prompt", "a slow flute piece");
    browser.type_into("#bars", "2");
    browser.type_into("#seed", "42");
    browser.click("#generate");
    browser.wait_for(
        "the piece",
        "const a = document.getElementById('player'), r = document.getElementById('roll');
         return !document.getElementById('result').hidden && r.complete && r.naturalWidth > 0
           && a.readyState >= 1 && a.duration > 0",
        Duration::from_secs(180),
    );
    let shown = browser.script(
        "return {
           audio: document.getElementById('player').src,
           duration: document.getElementById('player').duration,
           roll: document.getElementById('roll').naturalWidth,
           midi: document.getElementById('download-midi').href,
           history: document.querySelectorAll('#history li').length,
           status: document.getElementById('status').textContent,
           title: document.getElementById('result-title').textContent,
           info: document.getElementById('result-info').textContent }",
    );
    assert!(
        shown["audio"].as_str().unwrap().ends_with(".wav"),
        "{shown}"
    );
    assert!(shown["midi"].as_str().unwrap().ends_with(".mid"), "{shown}");
    assert!(shown["duration"].as_f64().unwrap() > 1.0, "{shown}");
    assert!(shown["roll"].as_u64().unwrap() > 100, "{shown}");
    assert_eq!(shown["history"], 1, "{shown}");
    assert!(
        shown["title"].as_str().unwrap().starts_with("sad"),
        "{shown}"
    );
    assert!(
        shown["status"].as_str().unwrap().contains("seed 42"),
        "{shown}"
    );
    browser.screenshot(&shots.join("generate.png"));

    // Live: the stream's bars arrive and the page reports them.
    browser.click("#live-start");
    browser.wait_for(
        "a live bar",
        "return document.getElementById('live-info').textContent.startsWith('bar ')",
        Duration::from_secs(120),
    );
    browser.click("button[data-emotion='happy']");
    browser.wait_for(
        "the control to be applied",
        "return document.getElementById('status').textContent.includes('changed')",
        Duration::from_secs(60),
    );
    browser.screenshot(&shots.join("live.png"));
    browser.click("#live-stop");
    browser.driver.call("DELETE", &browser.path(""), None);
    eprintln!("screenshots in {}", shots.display());
}
