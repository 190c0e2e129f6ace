//! What the command-line tests share: running the binary and reading what it printed.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `euterpe` binary with `args`.
pub fn euterpe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_euterpe"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the `euterpe` binary with `args` in the folder `dir`.
pub fn euterpe_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_euterpe"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The standard output of a run that must have succeeded (else its standard error, in the
/// failure).
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
