//! Per-band standardisation of audio feature frames, shared by the audio models that predict
//! frames: `(x − mean) / std` with the training split's statistics, which live in the model's
//! config (so a model directory is self-contained) and become constant tensors of the model.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// Checks statistics against the number of bands; empty ones (not yet measured) pass. The
/// message names the field.
pub fn validate_statistics(features: usize, mean: &[f32], std: &[f32]) -> Result<(), String> {
    for (name, v) in [("model.mean", mean), ("model.std", std)] {
        if !v.is_empty() && v.len() != features {
            return Err(format!(
                "{name} has {} values for {features} features",
                v.len()
            ));
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(format!("{name} holds a value that is not finite"));
        }
    }
    if std.iter().any(|&s| s <= 0.0) {
        return Err("model.std: every deviation must be above 0".into());
    }
    Ok(())
}

/// The per-band mean and deviation of `width` bands, as constants of a model (rebuilt from the
/// config when a model loads, not stored in its weights).
#[derive(Module, Debug)]
// Only the two tensors: a constant field of another type would change the layout of the
// models' weight records.
pub struct BandStandardiser<B: Backend> {
    mean: Tensor<B, 1>,
    std: Tensor<B, 1>,
}

impl<B: Backend> BandStandardiser<B> {
    /// Statistics of `width` bands; unmeasured (empty) ones standardise nothing.
    pub fn new(width: usize, mean: &[f32], std: &[f32], device: &B::Device) -> Self {
        let stat = |v: &[f32], fill: f32| {
            let values = if v.len() == width {
                v.to_vec()
            } else {
                vec![fill; width]
            };
            Tensor::<B, 1>::from_data(TensorData::new(values, [width]), device)
        };
        BandStandardiser {
            mean: stat(mean, 0.0),
            std: stat(std, 1.0),
        }
    }

    /// Bands per frame.
    pub fn width(&self) -> usize {
        self.mean.dims()[0]
    }

    /// Frames `[…, width]` in standardised units.
    pub fn standardise<const D: usize>(&self, raw: Tensor<B, D>) -> Tensor<B, D> {
        let shape = self.broadcast_shape::<D>();
        (raw - self.mean.clone().reshape(shape)) / self.std.clone().reshape(shape)
    }

    /// Standardised frames `[…, width]` back in the features' own units.
    pub fn destandardise<const D: usize>(&self, z: Tensor<B, D>) -> Tensor<B, D> {
        let shape = self.broadcast_shape::<D>();
        z * self.std.clone().reshape(shape) + self.mean.clone().reshape(shape)
    }

    fn broadcast_shape<const D: usize>(&self) -> [usize; D] {
        let mut shape = [1; D];
        shape[D - 1] = self.width();
        shape
    }
}
