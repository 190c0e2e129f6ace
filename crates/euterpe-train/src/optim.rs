//! Adam and AdamW behind one type, so that a learner holds "its optimiser" whatever the config
//! chose, and saves and restores its state for `--resume`.

use std::path::Path;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{Adam, AdamConfig, AdamW, AdamWConfig, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;

use crate::config::{OptimConfig, OptimizerKind};
use crate::TrainError;

type Rec = BinBytesRecorder<FullPrecisionSettings>;

/// The optimiser of one network `M`.
pub enum Optim<B: AutodiffBackend, M: AutodiffModule<B>> {
    /// Adam, with L2 weight decay added to the gradient.
    Adam(OptimizerAdaptor<Adam, M, B>),
    /// AdamW, with decoupled weight decay.
    AdamW(OptimizerAdaptor<AdamW, M, B>),
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> Optim<B, M> {
    /// A fresh optimiser as `config` says.
    pub fn new(config: &OptimConfig) -> Self {
        let o = config;
        let clip = (o.clip_norm > 0.0).then_some(GradientClippingConfig::Norm(o.clip_norm as f32));
        match o.optimizer {
            OptimizerKind::Adam => Optim::Adam(
                AdamConfig::new()
                    .with_beta_1(o.beta1 as f32)
                    .with_beta_2(o.beta2 as f32)
                    .with_weight_decay(
                        (o.weight_decay > 0.0)
                            .then(|| WeightDecayConfig::new(o.weight_decay as f32)),
                    )
                    .with_grad_clipping(clip)
                    .init(),
            ),
            OptimizerKind::Adamw => Optim::AdamW(
                AdamWConfig::new()
                    .with_beta_1(o.beta1 as f32)
                    .with_beta_2(o.beta2 as f32)
                    .with_weight_decay(o.weight_decay as f32)
                    .with_grad_clipping(clip)
                    .init(),
            ),
        }
    }

    /// One update of `module` with `grads` at learning rate `lr`.
    pub fn step(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        match self {
            Optim::Adam(o) => o.step(lr, module, grads),
            Optim::AdamW(o) => o.step(lr, module, grads),
        }
    }

    /// The optimiser's state (moments, step counts) as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrainError> {
        let bytes = match self {
            Optim::Adam(o) => Rec::default().record(o.to_record(), ()),
            Optim::AdamW(o) => Rec::default().record(o.to_record(), ()),
        };
        bytes
            .map_err(|e| TrainError::Unusable(format!("cannot serialise the optimiser state: {e}")))
    }

    /// The optimiser with the state of `bytes`; `path` names their file in errors.
    pub fn load_bytes(
        self,
        bytes: Vec<u8>,
        path: &Path,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let bad = |e: burn::record::RecorderError| {
            TrainError::dir(path, format!("unreadable optimiser state: {e}"))
        };
        Ok(match self {
            Optim::Adam(o) => {
                Optim::Adam(o.load_record(Rec::default().load(bytes, device).map_err(bad)?))
            }
            Optim::AdamW(o) => {
                Optim::AdamW(o.load_record(Rec::default().load(bytes, device).map_err(bad)?))
            }
        })
    }
}
