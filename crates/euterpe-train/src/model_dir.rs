//! A model directory: everything needed to evaluate or generate.
//!
//! * `config.toml` — the full training configuration;
//! * `vocab.json` — the token vocabulary (token models only);
//! * `weights.bin` — the best epoch's weights (burn's binary record, full precision);
//! * `metrics.jsonl`, `curves.svg` — per-epoch metrics and their plot;
//! * `card.md` — data, command, seed, metrics, time;
//! * `checkpoint/` — the last epoch's weights, optimiser state and loop state, for `--resume`.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use euterpe_models::{FrameLm, ModelBackend, TokenLm};
use euterpe_music::fsutil::{read_file, write_atomically};
use euterpe_music::tokens::{Tokenizer, Vocabulary};

use crate::{TrainConfig, TrainError};

/// File names inside a model directory.
pub mod files {
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
}

/// A loaded model of either kind.
// One value per loaded directory: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum LoadedModel<B: Backend> {
    /// A token language model and its tokenizer.
    Tokens {
        /// The model.
        model: TokenLm<B>,
        /// The tokenizer of its vocabulary.
        tokenizer: Tokenizer,
    },
    /// A piano-roll frame model.
    Frames {
        /// The model.
        model: FrameLm<B>,
    },
}

type Rec = BinBytesRecorder<FullPrecisionSettings>;

/// The bytes of a module's weights.
pub fn weights_to_bytes<B: Backend, M: Module<B>>(module: M) -> Result<Vec<u8>, TrainError> {
    Rec::default()
        .record(module.into_record(), ())
        .map_err(|e| TrainError::Unusable(format!("cannot serialise weights: {e}")))
}

/// Writes a module's weights to a file atomically.
pub fn save_weights<B: Backend, M: Module<B>>(module: M, path: &Path) -> Result<(), TrainError> {
    let bytes = weights_to_bytes(module)?;
    write_atomically(path, |w| w.write_all(&bytes))?;
    Ok(())
}

/// Shapes of every float parameter, in visiting order.
struct Shapes(Vec<Vec<usize>>);

impl<B: Backend> ModuleVisitor<B> for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().dims().to_vec());
    }
}

fn shapes<B: Backend, M: Module<B>>(m: &M) -> Vec<Vec<usize>> {
    let mut s = Shapes(Vec::new());
    m.visit(&mut s);
    s.0
}

/// Loads weights from bytes into a freshly built module, checking that every parameter's shape
/// matches the architecture; `path` names the source in errors.
pub fn load_weights_bytes<B: Backend, M: Module<B>>(
    fresh: M,
    bytes: Vec<u8>,
    path: &Path,
    device: &B::Device,
) -> Result<M, TrainError> {
    let expected = shapes(&fresh);
    let mismatch = |reason: String| TrainError::ModelDir {
        path: path.to_path_buf(),
        reason,
    };
    let record = Rec::default().load(bytes, device).map_err(|e| {
        mismatch(format!(
            "weights do not match the configured architecture: {e}"
        ))
    })?;
    let loaded = fresh.load_record(record);
    let got = shapes(&loaded);
    if got != expected {
        let first = expected
            .iter()
            .zip(&got)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(mismatch(format!(
            "weights do not match the configured architecture: parameter {first} has shape {:?}, the config gives {:?}",
            got.get(first),
            expected.get(first)
        )));
    }
    Ok(loaded)
}

/// Loads weights from a file (see [`load_weights_bytes`]).
pub fn load_weights<B: Backend, M: Module<B>>(
    fresh: M,
    path: &Path,
    device: &B::Device,
) -> Result<M, TrainError> {
    let bytes = read_file(path).map_err(|e| TrainError::ModelDir {
        path: path.to_path_buf(),
        reason: format!("cannot read weights: {e}"),
    })?;
    load_weights_bytes(fresh, bytes, path, device)
}

/// Reads `config.toml` of a model directory.
pub fn load_config(dir: &Path) -> Result<TrainConfig, TrainError> {
    let path = dir.join(files::CONFIG);
    if !dir.is_dir() {
        return Err(TrainError::ModelDir {
            path: dir.to_path_buf(),
            reason: "not a model directory".into(),
        });
    }
    if !path.is_file() {
        return Err(TrainError::ModelDir {
            path: dir.to_path_buf(),
            reason: format!("missing {}", files::CONFIG),
        });
    }
    TrainConfig::load(&path, &[])
}

/// Loads the model of a directory, ready for evaluation or generation.
pub fn load_model<B: ModelBackend>(
    dir: &Path,
    device: &B::Device,
) -> Result<(TrainConfig, LoadedModel<B>), TrainError> {
    let config = load_config(dir)?;
    let weights = dir.join(files::WEIGHTS);
    if !weights.is_file() {
        return Err(TrainError::ModelDir {
            path: dir.to_path_buf(),
            reason: format!("missing {}", files::WEIGHTS),
        });
    }
    let vocab_path = dir.join(files::VOCAB);
    let loaded = if vocab_path.is_file() {
        let vocab = Vocabulary::load(&vocab_path)?;
        let model = TokenLm::new(&config.model, vocab.len(), device);
        let model = load_weights(model, &weights, device)?;
        LoadedModel::Tokens {
            model,
            tokenizer: Tokenizer::from_vocabulary(vocab)?,
        }
    } else {
        let model = load_weights(FrameLm::new(&config.model, device), &weights, device)?;
        LoadedModel::Frames { model }
    };
    Ok((config, loaded))
}

/// The path of a file in a model directory.
pub fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
