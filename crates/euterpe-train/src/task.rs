//! Where a model kind meets its data: the one place that says which kind learns from which data,
//! and fills in what the data decides.

use std::path::Path;

use burn::tensor::backend::Backend;
use euterpe_data::{FrameData, TaskData, TokenData};
use euterpe_models::{FrameLm, Model, ModelConfig, TokenLm};

use crate::TrainError;

/// A model with the data of its kind.
// Made once per run and matched at once: boxing would only add an indirection.
#[allow(clippy::large_enum_variant)]
pub enum Paired<'d, B: Backend> {
    /// A token language model and token sequences.
    Tokens {
        /// The model.
        model: TokenLm<B>,
        /// The data.
        data: &'d TokenData,
    },
    /// A piano-roll frame model and piano-roll sequences.
    Frames {
        /// The model.
        model: FrameLm<B>,
        /// The data.
        data: &'d FrameData,
    },
}

/// The data a kind learns from, in words.
fn wanted(model: &ModelConfig) -> &'static str {
    match model {
        ModelConfig::TokenLm(_) => "event tokens (a MIDI file or folder, or a token file)",
        ModelConfig::FrameLm(_) => "piano-roll frames (a polyphonic JSON file)",
    }
}

fn mismatch(model: &ModelConfig, data: &TaskData, path: &Path) -> TrainError {
    TrainError::Unusable(format!(
        "{}: holds {}, but a {} model (kind = \"{}\") learns from {}",
        path.display(),
        data.describe(),
        model.describe(),
        model.kind_name(),
        wanted(model)
    ))
}

/// `model` with what the data decides filled in (a token model's vocabulary size), or an error
/// when this kind cannot learn from this data. `path` names the data in errors.
pub fn resolve(
    model: &ModelConfig,
    data: &TaskData,
    path: &Path,
) -> Result<ModelConfig, TrainError> {
    match (model, data) {
        (ModelConfig::TokenLm(c), TaskData::Tokens(t)) => {
            let size = t.vocab.len();
            if c.vocab != 0 && c.vocab != size {
                return Err(TrainError::Unusable(format!(
                    "{}: its vocabulary has {size} tokens, but model.vocab = {}",
                    path.display(),
                    c.vocab
                )));
            }
            let mut c = c.clone();
            c.vocab = size;
            Ok(ModelConfig::TokenLm(c))
        }
        (ModelConfig::FrameLm(_), TaskData::Frames(_)) => Ok(model.clone()),
        _ => Err(mismatch(model, data, path)),
    }
}

/// Pairs a built model with data of its kind, or says why they do not go together.
pub fn pair<'d, B: Backend>(
    model: Model<B>,
    config: &ModelConfig,
    data: &'d TaskData,
    path: &Path,
) -> Result<Paired<'d, B>, TrainError> {
    match (model, data) {
        (Model::TokenLm(model), TaskData::Tokens(data)) => Ok(Paired::Tokens { model, data }),
        (Model::FrameLm(model), TaskData::Frames(data)) => Ok(Paired::Frames { model, data }),
        _ => Err(mismatch(config, data, path)),
    }
}
