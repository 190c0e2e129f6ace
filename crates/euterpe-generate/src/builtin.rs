//! Default models compiled into the binary, so that generation works with nothing installed.
//!
//! Each is a model directory under `models/` at the root of the repository, trained by
//! `euterpe train` with a committed config; its `card.md` says how.

use euterpe_models::{ModelBackend, TokenLm};
use euterpe_music::tokens::{Tokenizer, Vocabulary};
use euterpe_train::model_dir::load_weights_bytes;
use euterpe_train::TrainConfig;

use crate::GenerateError;

/// A model whose files are part of the binary.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinModel {
    /// The name users pass to `--model`.
    pub name: &'static str,
    /// One line on what it plays.
    pub description: &'static str,
    /// `config.toml`.
    pub config: &'static str,
    /// `vocab.json`.
    pub vocab: &'static str,
    /// `weights.bin`.
    pub weights: &'static [u8],
    /// `card.md`.
    pub card: &'static str,
}

/// The built-in models; the first is the default.
pub const BUILTIN: &[BuiltinModel] = &[BuiltinModel {
    name: "folk",
    description: "melodies in the style of the Essen folk-song collection (REMI LSTM, 2x256)",
    config: include_str!("../../../models/folk-lstm/config.toml"),
    vocab: include_str!("../../../models/folk-lstm/vocab.json"),
    weights: include_bytes!("../../../models/folk-lstm/weights.bin"),
    card: include_str!("../../../models/folk-lstm/card.md"),
}];

/// The default model.
pub fn default_model() -> &'static BuiltinModel {
    &BUILTIN[0]
}

/// The built-in model called `name`.
pub fn find(name: &str) -> Option<&'static BuiltinModel> {
    BUILTIN.iter().find(|m| m.name == name)
}

impl BuiltinModel {
    /// Builds the model and its tokenizer on `device`.
    pub fn load<B: ModelBackend>(
        &self,
        device: &B::Device,
    ) -> Result<(TokenLm<B>, Tokenizer), GenerateError> {
        let source = std::path::PathBuf::from(format!("<built-in model {}>", self.name));
        let config = TrainConfig::parse(self.config, &[]).map_err(|reason| {
            GenerateError::Unsupported(format!("{}: config: {reason}", source.display()))
        })?;
        let vocab = Vocabulary::from_json(self.vocab).map_err(|reason| {
            GenerateError::Unsupported(format!("{}: vocabulary: {reason}", source.display()))
        })?;
        let fresh = TokenLm::new(&config.model, vocab.len(), device);
        let model = load_weights_bytes(fresh, self.weights.to_vec(), &source, device)?;
        Ok((model, Tokenizer::from_vocabulary(vocab)?))
    }
}
