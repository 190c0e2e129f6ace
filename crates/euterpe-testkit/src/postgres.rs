//! A throwaway PostgreSQL server for tests: `initdb` into a fresh folder, `pg_ctl start` on a
//! free loopback port with trust authentication, stopped and removed on drop. As root (CI
//! containers) the server runs as the `postgres` user, which PostgreSQL requires.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server.
pub struct PostgresServer {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// Its URL (`postgres://postgres@127.0.0.1:PORT/postgres`).
    pub url: String,
}

/// The folder of `initdb` and `pg_ctl`: on the PATH, else Debian's versioned folder.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

impl PostgresServer {
    /// Starts a server, or `None` when PostgreSQL is not installed; panics when it is installed
    /// but will not start (a broken setup must not pass as a skip).
    pub fn start() -> Option<PostgresServer> {
        let bin = binaries()?;
        // SAFETY: geteuid has no preconditions.
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("euterpe-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the server");
        let server = PostgresServer {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            as_postgres,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir)
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown of {} failed", server.dir.display());
        }
        let data = server.dir.join("data");
        server.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            server.dir.display()
        );
        server.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-o",
                &options,
                "-l",
                &server.dir.join("log").to_string_lossy(),
                "-w",
                "start",
            ],
        );
        Some(server)
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The server's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data.to_string_lossy(), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
