//! Where a model comes from: a directory or a built-in model, as users name it with `--model`.

use std::path::{Path, PathBuf};

use euterpe_builtin_models::{BuiltinModel, BUILTIN};
use euterpe_models::ModelBackend;
use serde::Serialize;

use crate::model::ModelFiles;
use crate::{LoadedModel, StoreError, StoredConfig};

/// A model to load: a directory written by `euterpe train`, or one compiled into the binary.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// A model directory.
    Dir(PathBuf),
    /// A built-in model.
    Builtin(&'static BuiltinModel),
}

impl ModelSource {
    /// `--model NAME|DIR`: a directory if one exists at that path, else a built-in name; `None`
    /// is the default built-in model.
    pub fn resolve(spec: Option<&str>) -> Result<ModelSource, StoreError> {
        let Some(spec) = spec else {
            return Ok(ModelSource::Builtin(euterpe_builtin_models::default_model()));
        };
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(ModelSource::Dir(path.to_path_buf()));
        }
        euterpe_builtin_models::find(spec)
            .map(ModelSource::Builtin)
            .ok_or_else(|| StoreError::UnknownModel {
                name: spec.to_string(),
                known: BUILTIN
                    .iter()
                    .map(|m| m.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// How reports name it: the directory, or `built-in model NAME`.
    pub fn name(&self) -> String {
        match self {
            ModelSource::Dir(p) => p.display().to_string(),
            ModelSource::Builtin(m) => format!("built-in model {}", m.name),
        }
    }

    /// The model's kind (`token_lm`, `melody_gan`, …), read from its config without loading
    /// weights.
    pub fn kind(&self) -> Result<&'static str, StoreError> {
        let (text, path) = match self {
            ModelSource::Dir(dir) => {
                let path = dir.join(crate::files::CONFIG);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    StoreError::dir(dir, format!("cannot read {}: {e}", crate::files::CONFIG))
                })?;
                (text, path)
            }
            ModelSource::Builtin(m) => (
                m.config.to_string(),
                PathBuf::from(format!("<built-in model {}>/config.toml", m.name)),
            ),
        };
        Ok(StoredConfig::parse(&text, &path)?.model.kind_name())
    }

    /// Loads the model on `device`.
    pub fn load<B: ModelBackend>(&self, device: &B::Device) -> Result<LoadedModel<B>, StoreError> {
        let mut loaded = match self {
            ModelSource::Dir(dir) => crate::load_dir(dir, device)?,
            ModelSource::Builtin(m) => builtin_files(m).load(device)?,
        };
        loaded.name = self.name();
        Ok(loaded)
    }
}

fn builtin_files(m: &'static BuiltinModel) -> ModelFiles<'static> {
    ModelFiles {
        source: PathBuf::from(format!("<built-in model {}>", m.name)),
        config: m.config,
        vocab: m.vocab,
        weights: m.weights.to_vec(),
        card: Some(m.card.to_string()),
    }
}

/// What a listing of models shows.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// The name `--model` takes.
    pub name: String,
    /// One line on what it plays.
    pub description: String,
    /// Its kind (`token_lm`, `frame_lm`, …).
    pub kind: String,
    /// The architecture in a few words.
    pub architecture: String,
    /// The controls it was trained to follow (`emotion`, `style`), empty for none.
    pub conditions: Vec<String>,
    /// The styles it knows, for a model conditioned on style.
    pub styles: Vec<String>,
}

/// The built-in models, the default first.
pub fn builtin_models() -> Result<Vec<ModelInfo>, StoreError> {
    BUILTIN
        .iter()
        .map(|m| {
            let path = PathBuf::from(format!("<built-in model {}>/config.toml", m.name));
            info(m.name, m.description, m.config, &path)
        })
        .collect()
}

/// What a model directory written by `euterpe train` holds, named `name`; its description is
/// the first line of its card's text after the title (or empty).
pub fn dir_model_info(name: &str, dir: &Path) -> Result<ModelInfo, StoreError> {
    let path = dir.join(crate::files::CONFIG);
    let config = std::fs::read_to_string(&path)
        .map_err(|e| StoreError::dir(dir, format!("cannot read {}: {e}", crate::files::CONFIG)))?;
    let card = std::fs::read_to_string(dir.join(crate::files::CARD)).unwrap_or_default();
    let description = card
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
        .to_string();
    info(name, &description, &config, &path)
}

fn info(name: &str, description: &str, config: &str, path: &Path) -> Result<ModelInfo, StoreError> {
    let config = StoredConfig::parse(config, path)?;
    Ok(ModelInfo {
        name: name.to_string(),
        description: description.to_string(),
        kind: config.model.kind_name().to_string(),
        architecture: config.model.describe(),
        conditions: config
            .data
            .conditions
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        styles: if config.data.conditions.is_empty() {
            Vec::new()
        } else {
            config.data.style_names()
        },
    })
}
