//! The model card a training run leaves in its directory: data, command, seed, metrics, time.

use euterpe_base::write_atomically;
use euterpe_data::{Split, TaskData};
use euterpe_store::files;

use crate::metrics::EpochMetrics;
use crate::trainer::{TrainOptions, TrainSummary};
use crate::{TrainConfig, TrainError};

/// Writes `card.md` into the model directory.
pub(crate) fn write_card(
    config: &TrainConfig,
    options: &TrainOptions,
    data: &TaskData,
    summary: &TrainSummary,
    history: &[EpochMetrics],
) -> Result<(), TrainError> {
    let best = history.iter().find(|m| m.epoch == summary.best_epoch);
    let mut card = format!(
        "# Model card\n\n\
         {article} {kind}, {params} parameters, trained by euterpe.\n\n\
         * Data: `{data}` — {train} training and {valid} validation {units}\n\
         * Command: `{command}`\n\
         * Seed: {seed}\n\
         * Device: {device}\n\
         * Epochs: {epochs} (best: {best_epoch}){early}\n\
         * Training time: {secs:.1} s\n\
         * Best validation {loss}: {nll:.4} per {unit}\n",
        article = if config
            .model
            .describe()
            .starts_with(['a', 'e', 'i', 'o', 'u'])
        {
            "An"
        } else {
            "A"
        },
        kind = config.model.describe(),
        units = match data {
            TaskData::Audio(_) => "clips",
            TaskData::Text(_) => "texts",
            _ => "sequences",
        },
        params = summary.parameters,
        data = options.data_path.display(),
        train = data.len(Split::Train),
        valid = data.len(Split::Valid),
        command = options.command,
        seed = config.train.seed,
        device = summary.device,
        epochs = summary.epochs,
        best_epoch = summary.best_epoch,
        early = if summary.stopped_early {
            ", stopped early"
        } else {
            ""
        },
        secs = summary.seconds,
        nll = summary.best_valid_nll,
        loss = summary.valid,
        unit = summary.unit,
    );
    if let Some(m) = best {
        match (m.valid_perplexity, m.valid_accuracy) {
            (Some(p), Some(a)) => card.push_str(&format!(
                "* Validation perplexity: {p:.3}; next-{} accuracy: {:.1} %\n",
                summary.unit,
                a * 100.0
            )),
            (None, Some(a)) => card.push_str(&format!(
                "* Validation accuracy per {}: {:.1} % (per piece: `euterpe eval`)\n",
                summary.unit,
                a * 100.0
            )),
            _ => {}
        }
    }
    card.push_str("\nThe full configuration is in `config.toml`; per-epoch figures in `metrics.jsonl` and `curves.svg`.\n");
    write_atomically(&options.out.join(files::CARD), |w| {
        w.write_all(card.as_bytes())
    })?;
    Ok(())
}
