//! The part of a model directory's `config.toml` that loading needs: the architecture and the
//! data settings. The training sections (`[optim]`, `[schedule]`, `[train]`) belong to the
//! trainer and are left alone here.

use std::path::Path;

use euterpe_data::DataConfig;
use euterpe_models::ModelConfig;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The `[model]` and `[data]` sections of `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredConfig {
    /// The architecture, with the vocabulary size the model was built for.
    pub model: ModelConfig,
    /// How the training data became sequences (evaluation reads new data the same way).
    #[serde(default)]
    pub data: DataConfig,
}

impl StoredConfig {
    /// Parses `config.toml` text; `path` names it in errors. Both sections are read strictly
    /// (unknown fields are errors); other sections are ignored.
    pub fn parse(text: &str, path: &Path) -> Result<Self, StoreError> {
        let bad = |reason: String| StoreError::Config {
            path: path.to_path_buf(),
            reason: euterpe_base::one_line(&reason),
        };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let section = |table: &mut toml::Table, name: &str| table.remove(name);
        let model = section(&mut table, "model")
            .ok_or_else(|| bad("no [model] section".into()))?
            .try_into::<ModelConfig>()
            .map_err(|e| bad(format!("[model]: {e}")))?;
        let data = match section(&mut table, "data") {
            Some(d) => d
                .try_into::<DataConfig>()
                .map_err(|e| bad(format!("[data]: {e}")))?,
            None => DataConfig::default(),
        };
        model.validate().map_err(&bad)?;
        data.validate().map_err(&bad)?;
        Ok(StoredConfig { model, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_and_data_sections_are_read_and_the_rest_left_to_the_trainer() {
        let text = "[model]\nkind = \"frame_lm\"\n[model.core]\ncell = \"gru\"\nhidden = 8\n\
                    [data]\nframe_window = 16\n[optim]\nlr = 0.1\n";
        let c = StoredConfig::parse(text, Path::new("m/config.toml")).unwrap();
        assert_eq!(c.model.kind_name(), "frame_lm");
        assert_eq!(c.data.frame_window, 16);
        let e = StoredConfig::parse("[data]\n", Path::new("m/config.toml")).unwrap_err();
        assert!(e.to_string().contains("m/config.toml: no [model]"), "{e}");
        let e = StoredConfig::parse(
            "[model]\nkind = \"token_lm\"\nembeding = 3\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("embeding"), "{e}");
    }
}
