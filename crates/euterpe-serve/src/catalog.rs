//! The models the server offers: the built-in ones and any model directories it was given, with
//! what each follows and what its training measured (the best epoch of its metrics).

use std::path::PathBuf;

use euterpe_builtin_models::BUILTIN;
use euterpe_store::{builtin_models, dir_model_info, ModelInfo, ModelSource};
use serde::Serialize;

use crate::ServeError;

/// One model as `GET /models` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ServedModel {
    /// Name, description, kind, architecture, conditions and styles.
    #[serde(flatten)]
    pub info: ModelInfo,
    /// Whether `POST /generate_music` can use it (token models); the others are classifiers.
    pub generates: bool,
    /// The best epoch of its training run (valid NLL or accuracy, epoch, seconds), from the
    /// metrics its card reports.
    pub metrics: Option<serde_json::Value>,
    /// `built-in`, or `directory` for a model directory given with `--models`.
    pub origin: &'static str,
    /// Where it loads from.
    #[serde(skip)]
    pub source: ModelSource,
}

/// Every model, generators first in the built-in order.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// The models.
    pub models: Vec<ServedModel>,
    /// The model used when a request names none and asks for no control.
    pub default_model: String,
}

impl Catalog {
    /// The built-in models.
    pub fn builtin() -> Result<Catalog, ServeError> {
        Catalog::with_dirs(&[])
    }

    /// The built-in models, then the model directories written by `euterpe train` in `dirs`,
    /// each named by its folder (a name taken already is an error).
    pub fn with_dirs(dirs: &[PathBuf]) -> Result<Catalog, ServeError> {
        let mut models: Vec<ServedModel> = builtin_models()?
            .into_iter()
            .filter_map(|info| {
                let builtin = BUILTIN.iter().find(|m| m.name == info.name)?;
                Some(ServedModel {
                    generates: info.kind == "token_lm",
                    metrics: best_epoch(builtin.metrics),
                    origin: "built-in",
                    source: ModelSource::Builtin(builtin),
                    info,
                })
            })
            .collect();
        for dir in dirs {
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    ServeError::Config(format!("--models {}: no folder name", dir.display()))
                })?
                .to_string();
            if models.iter().any(|m| m.info.name == name) {
                return Err(ServeError::Config(format!(
                    "--models {}: a model called {name:?} is served already",
                    dir.display()
                )));
            }
            let info = dir_model_info(&name, dir)?;
            let metrics = std::fs::read_to_string(dir.join(euterpe_store::files::METRICS))
                .ok()
                .and_then(|text| best_epoch(&text));
            models.push(ServedModel {
                generates: info.kind == "token_lm",
                metrics,
                origin: "directory",
                source: ModelSource::Dir(dir.clone()),
                info,
            });
        }
        let default_model = euterpe_builtin_models::default_model().name.to_string();
        Ok(Catalog {
            models,
            default_model,
        })
    }

    /// The model called `name`.
    pub fn get(&self, name: &str) -> Option<&ServedModel> {
        self.models.iter().find(|m| m.info.name == name)
    }

    /// Names of the models that generate.
    pub fn generator_names(&self) -> Vec<String> {
        self.generators().map(|m| m.info.name.clone()).collect()
    }

    /// The models that generate.
    pub fn generators(&self) -> impl Iterator<Item = &ServedModel> {
        self.models.iter().filter(|m| m.generates)
    }

    /// The model for a request without `model`: the default, or the first generator that follows
    /// every control asked for.
    pub fn choose(&self, conditions: &[&str]) -> Option<&ServedModel> {
        if conditions.is_empty() {
            return self.get(&self.default_model);
        }
        self.generators().find(|m| {
            conditions
                .iter()
                .all(|c| m.info.conditions.iter().any(|have| have == c))
        })
    }
}

/// The last epoch marked best in a `metrics.jsonl`.
fn best_epoch(jsonl: &str) -> Option<serde_json::Value> {
    jsonl
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v.get("best").and_then(|b| b.as_bool()) == Some(true))
}
