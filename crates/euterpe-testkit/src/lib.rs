//! Helpers for the tests of the euterpe crates.

use std::path::PathBuf;

/// The shared datasets: `$EUTERPE_SHARED_DATA`, or `shared/data` beside the workspace root.
///
/// Panics with a clear message when they are missing: a test that needs real data must not pass
/// without it.
pub fn shared_data() -> PathBuf {
    let root = std::env::var_os("EUTERPE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    assert!(
        root.join("README.md").is_file(),
        "the shared datasets are missing: expected them at {} (or set EUTERPE_SHARED_DATA)",
        root.display()
    );
    root
}
