//! Pretraining → fine-tuning: a new model's weights taken from a trained model directory
//! (`train.init_from`), and which of its layer groups train in each epoch (`train.strategy`).
//!
//! Parameters are matched by their path in the module tree (`core.layers.0.input.weight`), so a
//! token language model can start a fine-tuned token model or a classifier (embedding and core;
//! the classifier's head is new). The layer groups, bottom up, are: the embedding (with a
//! Transformer's input projection and positions), each core layer, and everything above the core
//! (heads, attention pooling, a Transformer's final norm).

use std::collections::HashMap;
use std::path::Path;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use euterpe_data::TaskData;
use euterpe_models::{Model, ModelBackend, ModelConfig};
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// Which layer groups train, epoch by epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Strategy {
    /// Every parameter trains (`full`, the default).
    #[default]
    Full,
    /// The N lowest layer groups stay frozen (`freeze-lower:N`; N = 1 is the embedding alone,
    /// N = 2 the embedding and the first core layer, …).
    FreezeLower(usize),
    /// Gradual unfreezing from the top (`gradual`, as ULMFiT): epoch 1 trains the top group,
    /// each later epoch one group more, until all train.
    Gradual,
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Strategy::Full => write!(f, "full"),
            Strategy::FreezeLower(n) => write!(f, "freeze-lower:{n}"),
            Strategy::Gradual => write!(f, "gradual"),
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("train.strategy {s:?} is not full, freeze-lower:N (N at least 1) or gradual")
        };
        match s.trim() {
            "full" => Ok(Strategy::Full),
            "gradual" => Ok(Strategy::Gradual),
            other => other
                .strip_prefix("freeze-lower:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n >= 1)
                .map(Strategy::FreezeLower)
                .ok_or_else(bad),
        }
    }
}

impl TryFrom<String> for Strategy {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Strategy> for String {
    fn from(s: Strategy) -> String {
        s.to_string()
    }
}

impl Strategy {
    /// Whether layer group `group` (0 = the embedding, `groups - 1` = the top) trains in
    /// `epoch` (1-based).
    pub fn trains(self, group: usize, groups: usize, epoch: usize) -> bool {
        match self {
            Strategy::Full => true,
            Strategy::FreezeLower(n) => group >= n,
            Strategy::Gradual => group + epoch >= groups,
        }
    }

    /// Checks the strategy against a model with `groups` layer groups.
    pub fn validate(self, groups: usize) -> Result<(), String> {
        match self {
            Strategy::FreezeLower(n) if n >= groups => Err(format!(
                "train.strategy = {self} would freeze every layer group: the model has {groups} (embedding, {} core layers, top)",
                groups.saturating_sub(2)
            )),
            _ => Ok(()),
        }
    }
}

/// Number of layer groups of a model: the embedding, each core layer, the top.
pub fn layer_groups(config: &ModelConfig) -> usize {
    config.core().map_or(0, |c| c.layers()) + 2
}

/// The layer group of a parameter path (see the module docs).
pub fn layer_group(path: &[String], groups: usize) -> usize {
    if let Some(i) = path.iter().position(|p| p == "layers") {
        if let Some(layer) = path.get(i + 1).and_then(|p| p.parse::<usize>().ok()) {
            return (layer + 1).min(groups - 1);
        }
    }
    let bottom = ["embedding", "input", "positions"];
    if path.iter().any(|p| bottom.contains(&p.as_str())) {
        0
    } else {
        groups - 1
    }
}

/// The path of the parameter being visited, without the model-kind enum's variant (so that
/// the same layer of two kinds has the same path).
#[derive(Default)]
struct PathTracker {
    names: Vec<Option<String>>,
}

impl PathTracker {
    fn enter(&mut self, name: &str, container: &str) {
        self.names
            .push((container != "Enum:Model").then(|| name.to_string()));
    }
    fn exit(&mut self) {
        self.names.pop();
    }
    fn parts(&self) -> Vec<String> {
        self.names.iter().flatten().cloned().collect()
    }
    fn key(&self) -> String {
        self.parts().join(".")
    }
}

/// Collects every float parameter's values by path.
struct Collect {
    path: PathTracker,
    tensors: HashMap<String, TensorData>,
}

impl<B: Backend> ModuleVisitor<B> for Collect {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.enter(name, container_type);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.tensors
            .insert(self.path.key(), param.val().into_data());
    }
}

/// Every float parameter of a module by its path (`core.layers.0.input.weight`), as plain data.
pub fn parameters_by_path<B: Backend, M: Module<B>>(module: &M) -> HashMap<String, TensorData> {
    let mut collect = Collect {
        path: PathTracker::default(),
        tensors: HashMap::new(),
    };
    module.visit(&mut collect);
    collect.tensors
}

/// What [`init_from`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferReport {
    /// Parameter tensors copied from the pretrained model.
    pub copied: usize,
    /// Their values.
    pub copied_values: usize,
    /// Parameter tensors left as initialised (new in this model, or a head of another shape).
    pub fresh: Vec<String>,
}

/// Replaces parameters by the collected values of the same path and shape.
struct Transfer<'a, B: Backend> {
    path: PathTracker,
    source: &'a HashMap<String, TensorData>,
    groups: usize,
    device: B::Device,
    report: TransferReport,
    mismatch: Option<String>,
}

impl<B: Backend> ModuleMapper<B> for Transfer<'_, B> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.enter(name, container_type);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let key = self.path.key();
        let want = param.dims().to_vec();
        let Some(data) = self.source.get(&key) else {
            self.report.fresh.push(key);
            return param;
        };
        if data.shape.to_vec() != want {
            // A head over other classes or outputs starts afresh; anything lower must match.
            if layer_group(&self.path.parts(), self.groups) + 1 < self.groups {
                self.mismatch.get_or_insert_with(|| {
                    format!(
                        "{key} has shape {:?} there but {want:?} here: the architectures differ",
                        data.shape.to_vec()
                    )
                });
            }
            self.report.fresh.push(key);
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let value = Tensor::<B, D>::from_data(data.clone(), &self.device)
            .set_require_grad(tensor.is_require_grad());
        self.report.copied += 1;
        self.report.copied_values += want.iter().product::<usize>();
        Param::from_mapped_value(id, value, mapper)
    }
}

/// `model` with every parameter that the model directory `dir` has at the same path and shape
/// copied from it. The pretrained model must read the same vocabulary as `data` (token ids mean
/// the same tokens); a lower layer of another shape is an error naming it.
pub fn init_from<B: ModelBackend>(
    model: Model<B>,
    config: &ModelConfig,
    dir: &Path,
    data: &TaskData,
    device: &B::Device,
) -> Result<(Model<B>, TransferReport), TrainError> {
    let source = euterpe_store::load_dir::<B>(dir, device)?;
    if let (Some(theirs), TaskData::Tokens(ours)) = (&source.tokenizer, data) {
        if theirs.vocab().tokens() != ours.vocab.tokens() {
            return Err(TrainError::dir(
                dir,
                format!(
                    "train.init_from: its vocabulary ({} tokens) is not the data's ({} tokens); pretrain with the same [data] scheme and grid",
                    theirs.vocab().len(),
                    ours.vocab.len()
                ),
            ));
        }
    }
    let tensors = parameters_by_path(&source.model);
    let mut transfer = Transfer::<B> {
        path: PathTracker::default(),
        source: &tensors,
        groups: layer_groups(config),
        device: device.clone(),
        report: TransferReport::default(),
        mismatch: None,
    };
    let model = model.map(&mut transfer);
    if let Some(reason) = transfer.mismatch {
        return Err(TrainError::dir(dir, format!("train.init_from: {reason}")));
    }
    if transfer.report.copied == 0 {
        return Err(TrainError::dir(
            dir,
            "train.init_from: no parameter of this model has the same path and shape there",
        ));
    }
    Ok((model, transfer.report))
}

/// Sets which parameters train: those of the groups `trains` accepts. Returns the module and
/// its number of trainable values.
pub fn apply_freezing<B: Backend, M: Module<B>>(
    module: M,
    groups: usize,
    trains: &dyn Fn(usize) -> bool,
) -> (M, usize) {
    let mut freeze = Freeze {
        path: PathTracker::default(),
        groups,
        trains,
        trainable: 0,
    };
    let module = module.map(&mut freeze);
    (module, freeze.trainable)
}

struct Freeze<'a> {
    path: PathTracker,
    groups: usize,
    trains: &'a dyn Fn(usize) -> bool,
    trainable: usize,
}

impl<B: Backend> ModuleMapper<B> for Freeze<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.enter(name, container_type);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let on = (self.trains)(layer_group(&self.path.parts(), self.groups));
        if on {
            self.trainable += param.shape().num_elements();
        }
        let (id, tensor, mapper) = param.consume();
        Param::from_mapped_value(id, tensor.set_require_grad(on), mapper)
    }
}
