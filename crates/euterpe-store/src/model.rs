//! A model directory (on disk or built in) back into a model, ready to evaluate or generate.

use std::path::{Path, PathBuf};

use euterpe_base::read_file;
use euterpe_data::DataConfig;
use euterpe_models::{
    AudioClassifier, Model, ModelBackend, ModelConfig, SequenceClassifier, TokenLm,
};
use euterpe_music::tokens::{Tokenizer, Vocabulary};

use crate::{files, weights, StoreError, StoredConfig};

/// A loaded model with everything needed to use it.
pub struct LoadedModel<B: burn::tensor::backend::Backend> {
    /// The directory, or `<built-in model NAME>`.
    pub name: String,
    /// The architecture.
    pub config: ModelConfig,
    /// How its training data became sequences.
    pub data: DataConfig,
    /// The tokenizer of its vocabulary (token models).
    pub tokenizer: Option<Tokenizer>,
    /// The model.
    pub model: Model<B>,
    /// Its model card, if it has one.
    pub card: Option<String>,
}

impl<B: ModelBackend> LoadedModel<B> {
    /// The token language model and its tokenizer, or an error naming the model's kind when it
    /// is not one; `task` says what it was wanted for ("generate").
    pub fn into_token_lm(self, task: &'static str) -> Result<(TokenLm<B>, Tokenizer), StoreError> {
        match (self.model, self.tokenizer) {
            (Model::TokenLm(model), _) if !model.is_causal() => Err(StoreError::WrongKind {
                model: self.name,
                kind: "bidirectional token_lm (model.core.causal = false)",
                task,
                wanted: "causal token_lm",
            }),
            (Model::TokenLm(model), Some(tokenizer)) => Ok((model, tokenizer)),
            (model, _) => Err(StoreError::WrongKind {
                model: self.name,
                kind: model.kind_name(),
                task,
                wanted: "token_lm",
            }),
        }
    }
}

/// A loaded sequence classifier: the model, its tokenizer, its class names and how pieces are
/// read for it.
pub struct LoadedClassifier<B: burn::tensor::backend::Backend> {
    /// The classifier.
    pub model: SequenceClassifier<B>,
    /// The tokenizer of its vocabulary.
    pub tokenizer: Tokenizer,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// How its training data was read (view, window length).
    pub data: DataConfig,
}

/// A loaded audio classifier: the model, its class names and how recordings are cut and
/// analysed for it (`data.audio`).
pub struct LoadedAudioClassifier<B: burn::tensor::backend::Backend> {
    /// The classifier.
    pub model: AudioClassifier<B>,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// How its training data was read.
    pub data: DataConfig,
}

/// A classifier of either input: pieces of music (tokens) or recordings (audio).
// One value per loaded classifier: boxing the larger variant would only add an indirection.
#[allow(clippy::large_enum_variant)]
pub enum AnyClassifier<B: burn::tensor::backend::Backend> {
    /// A classifier of token sequences.
    Tokens(LoadedClassifier<B>),
    /// A classifier of audio clips.
    Audio(LoadedAudioClassifier<B>),
}

impl<B: ModelBackend> LoadedModel<B> {
    /// The classifier with its tokenizer and class names, or an error naming the model's kind
    /// when it is not one; `task` says what it was wanted for ("classify").
    pub fn into_classifier(self, task: &'static str) -> Result<LoadedClassifier<B>, StoreError> {
        let name = self.name.clone();
        match self.into_any_classifier(task)? {
            AnyClassifier::Tokens(c) => Ok(c),
            AnyClassifier::Audio(_) => Err(StoreError::WrongKind {
                model: name,
                kind: "audio_classifier",
                task,
                wanted: "classifier of music",
            }),
        }
    }

    /// The classifier of tokens or of audio, or an error naming the model's kind when it is
    /// neither; `task` says what it was wanted for ("classify").
    pub fn into_any_classifier(self, task: &'static str) -> Result<AnyClassifier<B>, StoreError> {
        match (self.model, self.tokenizer, self.config) {
            (Model::Classifier(model), Some(tokenizer), ModelConfig::Classifier(c)) => {
                Ok(AnyClassifier::Tokens(LoadedClassifier {
                    model,
                    tokenizer,
                    classes: c.classes,
                    data: self.data,
                }))
            }
            (Model::AudioClassifier(model), _, ModelConfig::AudioClassifier(c)) => {
                Ok(AnyClassifier::Audio(LoadedAudioClassifier {
                    model,
                    classes: c.classes,
                    data: self.data,
                }))
            }
            (model, _, _) => Err(StoreError::WrongKind {
                model: self.name,
                kind: model.kind_name(),
                task,
                wanted: "classifier",
            }),
        }
    }
}

/// The files of a model directory, wherever they come from (disk, the binary, an upload).
pub struct ModelFiles<'a> {
    /// Names the source in errors: the directory, or `<built-in model NAME>`.
    pub source: PathBuf,
    /// `config.toml`.
    pub config: &'a str,
    /// `vocab.json`, for token models.
    pub vocab: Option<&'a str>,
    /// `weights.bin`.
    pub weights: Vec<u8>,
    /// `card.md`, if any.
    pub card: Option<String>,
}

impl ModelFiles<'_> {
    /// Builds the model the files describe and loads its weights; every inconsistency is an
    /// error naming the file.
    pub fn load<B: ModelBackend>(self, device: &B::Device) -> Result<LoadedModel<B>, StoreError> {
        let source = &self.source;
        let config = StoredConfig::parse(self.config, &source.join(files::CONFIG))?;
        let tokenizer = match (config.model.vocab_size(), self.vocab) {
            (Some(size), Some(text)) => {
                let vocab = Vocabulary::from_json(text).map_err(|reason| {
                    StoreError::dir(
                        source.join(files::VOCAB),
                        format!("bad vocabulary: {reason}"),
                    )
                })?;
                if vocab.len() != size {
                    return Err(StoreError::dir(
                        source,
                        format!(
                            "{} has {} tokens but the model was built for {size}",
                            files::VOCAB,
                            vocab.len(),
                        ),
                    ));
                }
                Some(Tokenizer::from_vocabulary(vocab)?)
            }
            (Some(_), None) => {
                return Err(StoreError::dir(
                    source,
                    format!(
                        "missing {} (a {} model reads tokens)",
                        files::VOCAB,
                        config.model.kind_name()
                    ),
                ))
            }
            (None, _) => None,
        };
        let fresh = config.model.init::<B>(device);
        let model = weights::load_bytes(fresh, self.weights, &source.join(files::WEIGHTS), device)?;
        Ok(LoadedModel {
            name: source.display().to_string(),
            config: config.model,
            data: config.data,
            tokenizer,
            model,
            card: self.card,
        })
    }
}

/// Loads the model of a directory written by `euterpe train`.
pub fn load_dir<B: ModelBackend>(
    dir: &Path,
    device: &B::Device,
) -> Result<LoadedModel<B>, StoreError> {
    if !dir.is_dir() {
        return Err(StoreError::dir(dir, "not a model directory"));
    }
    let need = |name: &str| {
        let path = dir.join(name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(StoreError::dir(dir, format!("missing {name}")))
        }
    };
    let config = text_of(&need(files::CONFIG)?)?;
    let weights = read_file(&need(files::WEIGHTS)?)?;
    let vocab_path = dir.join(files::VOCAB);
    let vocab = vocab_path
        .is_file()
        .then(|| text_of(&vocab_path))
        .transpose()?;
    let card = std::fs::read_to_string(dir.join(files::CARD)).ok();
    ModelFiles {
        source: dir.to_path_buf(),
        config: &config,
        vocab: vocab.as_deref(),
        weights,
        card,
    }
    .load(device)
}

fn text_of(path: &Path) -> Result<String, StoreError> {
    String::from_utf8(read_file(path)?)
        .map_err(|e| StoreError::dir(path, format!("not UTF-8 text: {e}")))
}
