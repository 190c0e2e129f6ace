//! What a model directory holds.
//!
//! * `config.toml` — the full training configuration (its `[model]` and `[data]` sections are
//!   what loading needs);
//! * `vocab.json` — the token vocabulary (token models only);
//! * `weights.bin` — the best epoch's weights (burn's binary record, full precision);
//! * `metrics.jsonl`, `curves.svg` — per-epoch metrics and their plot;
//! * `card.md` — data, command, seed, metrics, time;
//! * `checkpoint/` — the last epoch's weights, optimiser state and loop state, for `--resume`.

/// The training configuration.
pub const CONFIG: &str = "config.toml";
/// The vocabulary.
pub const VOCAB: &str = "vocab.json";
/// The best weights.
pub const WEIGHTS: &str = "weights.bin";
/// Per-epoch metrics.
pub const METRICS: &str = "metrics.jsonl";
/// The curve plot.
pub const CURVES: &str = "curves.svg";
/// The model card.
pub const CARD: &str = "card.md";
/// The checkpoint folder.
pub const CHECKPOINT: &str = "checkpoint";
