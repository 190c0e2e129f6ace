//! Where the shared datasets are.

use std::path::PathBuf;

/// `../shared/data` beside the project root, or `$EUTERPE_SHARED_DATA`.
pub fn shared_data() -> PathBuf {
    if let Some(p) = std::env::var_os("EUTERPE_SHARED_DATA") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        root.join("README.md").is_file(),
        "the shared datasets are missing: expected them at {} (or set EUTERPE_SHARED_DATA)",
        root.display()
    );
    root
}
