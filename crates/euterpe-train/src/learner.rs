//! What the training loop needs of a kind of model, and the learner of the likelihood kinds.
//!
//! The loop ([`crate::trainer`]) owns epochs, batching, the learning-rate schedule, early
//! stopping, checkpoint commits, metrics and the model card. A [`Learner`] owns the networks and
//! their optimisers: one of each for a likelihood model, two of each for a GAN's generator and
//! critic. Adding a training objective is one new `Learner`; the loop stays as it is.

use std::path::Path;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ElementConversion;
use euterpe_base::{read_file, write_atomically};
use euterpe_models::Model;

use crate::average::WeightAverage;
use crate::config::OptimConfig;
use crate::objective::Likelihood;
use crate::optim::Optim;
use crate::TrainError;

/// What one training step measured.
#[derive(Debug, Clone, Copy)]
pub struct StepLoss {
    /// The summed loss of the batch (NLL in nats for the likelihood kinds).
    pub sum: f64,
    /// The units it was summed over (tokens, frames, examples).
    pub count: usize,
}

/// What a kind reports of an epoch beyond its losses.
#[derive(Debug, Clone, Default)]
pub struct EpochExtras {
    /// Named figures, written to `metrics.jsonl`.
    pub values: std::collections::BTreeMap<String, f64>,
    /// Warnings for the user.
    pub notes: Vec<String>,
}

/// Totals of an evaluation pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalTotals {
    /// Summed NLL, nats.
    pub nll: f64,
    /// Scored units.
    pub count: usize,
    /// Correct argmax predictions (token models).
    pub correct: Option<f64>,
}

impl EvalTotals {
    /// Mean NLL per unit: what early stopping minimises.
    pub fn mean(&self) -> f64 {
        self.nll / self.count.max(1) as f64
    }

    /// Share of correct predictions, where counted.
    pub fn accuracy(&self) -> Option<f64> {
        self.correct.map(|c| c / self.count.max(1) as f64)
    }
}

/// One kind's side of training: its networks, their optimisers, and how a batch trains them.
pub trait Learner<B: AutodiffBackend>: Sized {
    /// The batches it trains and validates on.
    type Batch;

    /// The unit its losses are counted in ("token", "frame", …).
    fn unit(&self) -> &'static str;

    /// What its loss is ("NLL (nats)", "MSE (standardised)"), for reports and plots.
    fn loss_name(&self) -> &'static str {
        "NLL (nats)"
    }

    /// What its validation figure is, for reports and cards (by default its loss).
    fn valid_name(&self) -> &'static str {
        self.loss_name()
    }

    /// Called after each epoch's validation with the model directory: the kind's own figures
    /// of the epoch, for `metrics.jsonl`, and warnings for the user; it may write files there
    /// (a GAN's grid of sampled bars). By default nothing.
    fn epoch_end(
        &mut self,
        _out: &Path,
        _valid: &[Self::Batch],
        _device: &B::Device,
    ) -> Result<EpochExtras, TrainError> {
        Ok(EpochExtras::default())
    }

    /// Trainable parameters of every network.
    fn parameters(&self) -> usize;

    /// One optimisation step on `batch` at learning rate `lr` (several for kinds that alternate
    /// networks). A non-finite loss is returned without updating anything: the loop stops.
    /// (By value, as burn's optimisers take modules: a module held once can be updated in place.)
    fn train_step(self, batch: &Self::Batch, lr: f64, device: &B::Device) -> (Self, StepLoss);

    /// The validation figures on held-out batches, without gradients or dropout.
    fn validate(&self, batches: &[Self::Batch], device: &B::Device) -> EvalTotals;

    /// Writes the weights a model directory ships (what generation and evaluation load): the
    /// record of a [`Model`].
    fn save_weights(&self, path: &Path) -> Result<(), TrainError>;

    /// Writes the whole training state into `dir` as files named `NAME-{epoch}.bin`.
    fn save_checkpoint(&self, dir: &Path, epoch: usize) -> Result<(), TrainError>;

    /// Sets which parameters train from now on: those whose layer group (of `groups`, see
    /// [`crate::finetune`]) `trains` accepts. Returns the learner and its trainable values.
    fn set_trainable(self, groups: usize, trains: &dyn Fn(usize) -> bool) -> (Self, usize);

    /// The learner with the state [`save_checkpoint`](Learner::save_checkpoint) wrote.
    fn load_checkpoint(
        self,
        dir: &Path,
        epoch: usize,
        device: &B::Device,
    ) -> Result<Self, TrainError>;
}

/// Scores batches without gradients.
pub fn evaluate_batches<B: Backend, M: Likelihood<B>>(
    model: &M,
    batches: &[M::Batch],
    device: &B::Device,
) -> EvalTotals {
    let mut t = EvalTotals::default();
    for batch in batches {
        let loss = model.batch_loss(batch, device);
        t.nll += loss.sum.into_scalar().elem::<f64>();
        t.count += loss.count;
        if let Some(c) = loss.correct {
            *t.correct.get_or_insert(0.0) += c.into_scalar().elem::<f64>();
        }
    }
    t
}

/// The path of a checkpoint file.
pub fn checkpoint_file(dir: &Path, name: &str, epoch: usize) -> std::path::PathBuf {
    dir.join(format!("{name}-{epoch}.bin"))
}

/// Maximum likelihood with one network and one optimiser: the token and frame models.
pub struct LikelihoodLearner<B: AutodiffBackend, M: AutodiffModule<B>> {
    model: M,
    optim: Optim<B, M>,
    /// The running average of the weights (`optim.ema`), which is validated and saved.
    average: Option<WeightAverage<B::InnerBackend, M::InnerModule>>,
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> LikelihoodLearner<B, M> {
    /// A learner for `model` with a fresh optimiser.
    pub fn new(model: M, optim: &OptimConfig) -> Self {
        LikelihoodLearner {
            average: (optim.ema > 0.0).then(|| WeightAverage::new(model.valid(), optim.ema)),
            model,
            optim: Optim::new(optim),
        }
    }

    /// The weights that are validated and saved: the average where one is kept.
    fn evaluated(&self) -> M::InnerModule {
        match &self.average {
            Some(average) => average.module().clone(),
            None => self.model.valid(),
        }
    }
}

impl<B, M> Learner<B> for LikelihoodLearner<B, M>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + Likelihood<B>,
    M::InnerModule: Likelihood<B::InnerBackend, Batch = M::Batch> + Into<Model<B::InnerBackend>>,
{
    type Batch = M::Batch;

    fn unit(&self) -> &'static str {
        M::UNIT
    }

    fn loss_name(&self) -> &'static str {
        M::LOSS
    }

    fn parameters(&self) -> usize {
        self.model.num_params()
    }

    fn train_step(self, batch: &M::Batch, lr: f64, device: &B::Device) -> (Self, StepLoss) {
        let LikelihoodLearner {
            model,
            mut optim,
            mut average,
        } = self;
        let loss = model.batch_loss(batch, device);
        let sum = loss.sum.clone().into_scalar().elem::<f64>();
        let step = StepLoss {
            sum,
            count: loss.count,
        };
        if !sum.is_finite() {
            return (
                LikelihoodLearner {
                    model,
                    optim,
                    average,
                },
                step,
            );
        }
        let mean = loss.sum.div_scalar(loss.count.max(1) as f64);
        let grads = GradientsParams::from_grads(mean.backward(), &model);
        let model = optim.step(lr, model, grads);
        if let Some(average) = average.as_mut() {
            average.update(&model.valid());
        }
        (
            LikelihoodLearner {
                model,
                optim,
                average,
            },
            step,
        )
    }

    fn validate(&self, batches: &[M::Batch], device: &B::Device) -> EvalTotals {
        evaluate_batches(&self.evaluated(), batches, device)
    }

    fn set_trainable(self, groups: usize, trains: &dyn Fn(usize) -> bool) -> (Self, usize) {
        let (model, trainable) = crate::finetune::apply_freezing(self.model, groups, trains);
        (
            LikelihoodLearner {
                model,
                optim: self.optim,
                average: self.average,
            },
            trainable,
        )
    }

    fn save_weights(&self, path: &Path) -> Result<(), TrainError> {
        let model: Model<B::InnerBackend> = self.evaluated().into();
        Ok(euterpe_store::weights::save::<B::InnerBackend, _>(
            model, path,
        )?)
    }

    fn save_checkpoint(&self, dir: &Path, epoch: usize) -> Result<(), TrainError> {
        euterpe_store::weights::save::<B, _>(
            self.model.clone(),
            &checkpoint_file(dir, "model", epoch),
        )?;
        let bytes = self.optim.to_bytes()?;
        write_atomically(&checkpoint_file(dir, "optim", epoch), |w| {
            w.write_all(&bytes)
        })?;
        if let Some(average) = &self.average {
            euterpe_store::weights::save::<B::InnerBackend, _>(
                average.module().clone(),
                &checkpoint_file(dir, "average", epoch),
            )?;
            let updates = (average.updates() as u64).to_le_bytes();
            write_atomically(&checkpoint_file(dir, "average-updates", epoch), |w| {
                w.write_all(&updates)
            })?;
        }
        Ok(())
    }

    fn load_checkpoint(
        self,
        dir: &Path,
        epoch: usize,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let model_path = checkpoint_file(dir, "model", epoch);
        let model = euterpe_store::weights::load_bytes(
            self.model,
            read_file(&model_path)?,
            &model_path,
            device,
        )?;
        let optim_path = checkpoint_file(dir, "optim", epoch);
        let optim = self
            .optim
            .load_bytes(read_file(&optim_path)?, &optim_path, device)?;
        let average = match self.average {
            Some(average) => Some(load_average(average, dir, epoch, device)?),
            None => None,
        };
        Ok(LikelihoodLearner {
            model,
            optim,
            average,
        })
    }
}

/// The weight average of a checkpoint, with its update count.
fn load_average<B: Backend, M: burn::module::Module<B>>(
    average: WeightAverage<B, M>,
    dir: &Path,
    epoch: usize,
    device: &B::Device,
) -> Result<WeightAverage<B, M>, TrainError> {
    let decay = average.decay();
    let path = checkpoint_file(dir, "average", epoch);
    if !path.exists() {
        // The run was started without `optim.ema`: there is no average to continue from.
        return Err(TrainError::dir(
            &path,
            "missing: the checkpoint holds no weight average, because the run was started \
             without `optim.ema`; resume with the run's own setting (`optim.ema = 0`) or start \
             a new run",
        ));
    }
    let module = euterpe_store::weights::load_bytes(
        average.module().clone(),
        read_file(&path)?,
        &path,
        device,
    )?;
    let count_path = checkpoint_file(dir, "average-updates", epoch);
    let bytes: [u8; 8] = read_file(&count_path)?
        .try_into()
        .map_err(|_| TrainError::dir(&count_path, "not an 8-byte update count"))?;
    let updates = usize::try_from(u64::from_le_bytes(bytes))
        .map_err(|_| TrainError::dir(&count_path, "update count out of range"))?;
    Ok(WeightAverage::resumed(module, decay, updates))
}
