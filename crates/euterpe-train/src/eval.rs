//! Evaluation of a model directory on any data file of the right kind.

use std::path::Path;

use euterpe_data::Split;
use euterpe_models::ModelBackend;
use serde::Serialize;

use crate::data::TaskData;
use crate::model_dir::{load_model, LoadedModel};
use crate::trainer::evaluate_batches;
use crate::TrainError;

/// The figures of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The split evaluated.
    pub split: String,
    /// Mean NLL in nats per token, or per frame (summed over the 88 keys).
    pub nll: f64,
    /// Scored frames (piano-roll models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames: Option<usize>,
    /// Scored tokens (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<usize>,
    /// Per-token perplexity (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perplexity: Option<f64>,
    /// Next-token accuracy (token models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Sequences in the split.
    pub sequences: usize,
}

/// Evaluates the model in `dir` on a split of `data_path`.
///
/// For piano-roll data this is the standard benchmark figure: each frame's loss is the Bernoulli
/// NLL summed over the 88 keys, the first frame of each sequence is not scored, and the total is
/// divided by the number of scored frames.
pub fn evaluate<B: ModelBackend>(
    dir: &Path,
    data_path: &Path,
    split: Split,
    device: &B::Device,
) -> Result<EvalReport, TrainError> {
    let (config, loaded) = load_model::<B>(dir, device)?;
    let data = TaskData::load(data_path, &config.data)?;
    if data.is_empty(split) {
        return Err(TrainError::Unusable(format!(
            "{}: the {split} split is empty",
            data_path.display()
        )));
    }
    let limit = (config.model.cell == euterpe_models::CellKind::Transformer)
        .then(|| config.model.max_len - 1);
    let bs = config.train.eval_batch_size;
    let sequences = data.len(split);
    match (&loaded, &data) {
        (LoadedModel::Tokens { model, tokenizer }, TaskData::Tokens { vocab, .. }) => {
            if vocab.to_json() != tokenizer.vocab().to_json() {
                return Err(TrainError::Unusable(format!(
                    "{}: its vocabulary differs from the model's",
                    data_path.display()
                )));
            }
            let batches = data.windows(split, Some(config.data.seq_len)).batches(bs, None);
            let t = evaluate_batches(model, &batches, device);
            Ok(EvalReport {
                split: split.to_string(),
                nll: t.mean(),
                frames: None,
                tokens: Some(t.count),
                perplexity: Some(t.mean().exp()),
                accuracy: t.correct.map(|c| c / t.count.max(1) as f64),
                sequences,
            })
        }
        (LoadedModel::Frames { model }, TaskData::Frames { .. }) => {
            let batches = data.windows(split, limit).batches(bs, None);
            let t = evaluate_batches(model, &batches, device);
            Ok(EvalReport {
                split: split.to_string(),
                nll: t.mean(),
                frames: Some(t.count),
                tokens: None,
                perplexity: None,
                accuracy: None,
                sequences,
            })
        }
        _ => Err(TrainError::Unusable(format!(
            "{} is not the kind of data the model in {} was trained on (tokens vs piano-roll frames)",
            data_path.display(),
            dir.display()
        ))),
    }
}
