//! Every committed training config parses and validates: a config that rots (a renamed field, a
//! value out of range) fails here, not in a user's hands.

use std::path::PathBuf;

use euterpe_train::TrainConfig;

#[test]
fn every_committed_config_parses_and_validates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = TrainConfig::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            config
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} configs found in {}",
        dir.display()
    );
}
