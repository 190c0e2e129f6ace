//! Fuzzes the loading of a model directory's `weights.bin`: arbitrary bytes against a small frame
//! model's architecture (a one-layer LSTM of 8 units and a NADE head of 4, the kinds of
//! parameters every model has). Any bytes must give the model or an error naming the file, never
//! an abort. burn panics on some malformed records (e.g. a shape whose element count overflows);
//! euterpe's loader catches those panics around burn's calls and reports the file, so the hook
//! of `let_panics_unwind_to_guards` lets them reach that guard.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;

use euterpe_models::backend::Cpu;
use euterpe_store::ModelFiles;

/// The architecture the bytes are loaded into.
pub const CONFIG: &str = "[model]\nkind = \"frame_lm\"\nhead = { kind = \"nade\", hidden = 4 }\n\n[model.core]\ncell = \"lstm\"\nhidden = 8\nlayers = 1\n";

fuzz_target!(
    init: {
        euterpe_fuzz::let_panics_unwind_to_guards();
    },
    |data: &[u8]| {
    let files = ModelFiles {
        source: PathBuf::from("fuzz"),
        config: CONFIG,
        vocab: None,
        weights: data.to_vec(),
        card: None,
    };
    if let Err(e) = files.load::<Cpu>(&Default::default()) {
        assert!(e.to_string().contains("weights.bin"), "{e}");
    }
    }
);
