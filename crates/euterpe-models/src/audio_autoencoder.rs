//! A convolutional encoder-decoder over log-mel spectrograms (the seed's §4.2.2): strided 2-D
//! convolutions over (mel band, frame) shrink a clip to a compact code, transposed convolutions
//! grow it back to mel; Griffin-Lim then turns the reconstruction into sound.
//!
//! Frames are standardised per band as in [`crate::audio_lm`] (statistics kept in the config);
//! the loss is the MSE per value of the standardised spectrogram.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::standardise::{validate_statistics, BandStandardiser};

/// The architecture of an [`AudioAutoencoder`], with the standardisation of its frames.
///
/// ```toml
/// [model]
/// kind = "audio_autoencoder"
/// channels = [16, 32, 64]   # one strided convolution per entry, each halving both axes
/// code = 8                  # channels of the code
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioAutoencoderConfig {
    /// Mel bands per frame; left at 0 in a training config, it is taken from the data.
    pub features: usize,
    /// Per-band mean of the training frames; left empty, it is measured on the training split.
    pub mean: Vec<f32>,
    /// Per-band standard deviation of the training frames; measured like `mean`.
    pub std: Vec<f32>,
    /// Output channels of each stride-2 convolution of the encoder (default [16, 32, 64]); the
    /// decoder mirrors them.
    pub channels: Vec<usize>,
    /// Channels of the code (default 8): with three halvings, a clip of `bands × frames` values
    /// becomes `code × bands/8 × frames/8`, an eighth as many.
    pub code: usize,
}

impl Config for AudioAutoencoderConfig {}

impl Default for AudioAutoencoderConfig {
    fn default() -> Self {
        AudioAutoencoderConfig {
            features: 0,
            mean: Vec::new(),
            std: Vec::new(),
            channels: vec![16, 32, 64],
            code: 8,
        }
    }
}

impl AudioAutoencoderConfig {
    /// Checks every value; the message names the field. Values the data fills in pass while
    /// unset.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels.is_empty() || self.channels.len() > 6 {
            return Err(format!(
                "model.channels has {} entries; give 1 to 6",
                self.channels.len()
            ));
        }
        for (name, value) in self
            .channels
            .iter()
            .map(|&c| ("model.channels", c))
            .chain([("model.code", self.code)])
        {
            if value == 0 || value > 1024 {
                return Err(format!("{name}: {value}; give 1 to 1024"));
            }
        }
        if self.features > 4096 {
            return Err(format!(
                "model.features = {} is unreasonably large",
                self.features
            ));
        }
        validate_statistics(self.features, &self.mean, &self.std)?;
        Ok(())
    }

    /// How many values of the input each code value stands for.
    pub fn compression(&self) -> f64 {
        (1usize << (2 * self.channels.len())) as f64 / self.code as f64
    }

    /// A freshly initialised model (features must be set).
    pub fn init<B: Backend>(&self, device: &B::Device) -> AudioAutoencoder<B> {
        let width = self.features.max(1);
        let mut encoder = Vec::new();
        let mut channels_in = 1;
        for &c in &self.channels {
            encoder.push(
                Conv2dConfig::new([channels_in, c], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device),
            );
            channels_in = c;
        }
        let last = *self.channels.last().unwrap_or(&1);
        let to_code = Conv2dConfig::new([last, self.code], [1, 1]).init(device);
        let from_code = Conv2dConfig::new([self.code, last], [1, 1]).init(device);
        let mut decoder = Vec::new();
        for (i, &c) in self.channels.iter().enumerate().rev() {
            let out = if i == 0 { 1 } else { self.channels[i - 1] };
            decoder.push(
                ConvTranspose2dConfig::new([c, out], [3, 3])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_padding_out([1, 1])
                    .init(device),
            );
        }
        AudioAutoencoder {
            bands: BandStandardiser::new(width, &self.mean, &self.std, device),
            encoder,
            to_code,
            from_code,
            decoder,
            width,
        }
    }
}

/// An encoder-decoder of spectrogram clips `[batch, frames, bands]`.
#[derive(Module, Debug)]
pub struct AudioAutoencoder<B: Backend> {
    bands: BandStandardiser<B>,
    encoder: Vec<Conv2d<B>>,
    to_code: Conv2d<B>,
    from_code: Conv2d<B>,
    decoder: Vec<ConvTranspose2d<B>>,
    width: usize,
}

impl<B: Backend> AudioAutoencoder<B> {
    /// Bands per frame.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The multiple both axes are padded to (2 to the number of halvings).
    fn multiple(&self) -> usize {
        1 << self.encoder.len()
    }

    /// Clips `[batch, frames, bands]` in standardised units.
    pub fn standardise(&self, raw: Tensor<B, 3>) -> Tensor<B, 3> {
        self.bands.standardise(raw)
    }

    /// Standardised clips back in the features' own units.
    pub fn destandardise(&self, z: Tensor<B, 3>) -> Tensor<B, 3> {
        self.bands.destandardise(z)
    }

    /// The code `[batch, code, bands/2^L, frames/2^L]` of standardised clips
    /// `[batch, frames, bands]` (both axes padded with the mean to a multiple of 2^L).
    pub fn encode(&self, z: Tensor<B, 3>) -> Tensor<B, 4> {
        let [batch, frames, bands] = z.dims();
        let m = self.multiple();
        let (pf, pb) = (frames.div_ceil(m) * m, bands.div_ceil(m) * m);
        let mut x = z.swap_dims(1, 2).reshape([batch, 1, bands, frames]);
        if (pf, pb) != (frames, bands) {
            x = x.pad((0, pf - frames, 0, pb - bands), 0.0);
        }
        for conv in &self.encoder {
            x = leaky_relu(conv.forward(x), 0.1);
        }
        self.to_code.forward(x)
    }

    /// Standardised clips `[batch, frames, bands]` decoded from a code.
    pub fn decode(&self, code: Tensor<B, 4>, frames: usize, bands: usize) -> Tensor<B, 3> {
        let mut x = self.from_code.forward(code);
        let last = self.decoder.len().saturating_sub(1);
        for (i, deconv) in self.decoder.iter().enumerate() {
            x = deconv.forward(leaky_relu(x, 0.1));
            if i == last {
                break;
            }
        }
        let [batch, _, pb, pf] = x.dims();
        x.slice([0..batch, 0..1, 0..bands.min(pb), 0..frames.min(pf)])
            .reshape([batch, bands, frames])
            .swap_dims(1, 2)
    }

    /// Standardised clips `[batch, frames, bands]` through the code and back.
    pub fn forward(&self, z: Tensor<B, 3>) -> Tensor<B, 3> {
        let [_, frames, bands] = z.dims();
        self.decode(self.encode(z), frames, bands)
    }

    /// Clips in the features' own units, reconstructed in the same units.
    pub fn reconstruct(&self, raw: Tensor<B, 3>) -> Tensor<B, 3> {
        self.destandardise(self.forward(self.standardise(raw)))
    }

    /// The summed squared error of reconstructing each clip of `raw` (`[batch, frames, bands]`,
    /// in the features' units), averaged over its values, in standardised units; shape `[1]`.
    pub fn squared_error(&self, raw: Tensor<B, 3>) -> Tensor<B, 1> {
        let [_, frames, bands] = raw.dims();
        let z = self.standardise(raw);
        let error = self.forward(z.clone()) - z;
        (error.clone() * error)
            .sum()
            .div_scalar((frames * bands) as f64)
            .reshape([1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;

    fn config(features: usize) -> AudioAutoencoderConfig {
        AudioAutoencoderConfig {
            features,
            channels: vec![4, 8],
            code: 2,
            ..AudioAutoencoderConfig::default()
        }
    }

    #[test]
    fn any_clip_size_comes_back_in_its_own_shape() {
        let device = Default::default();
        for (frames, bands) in [(16, 8), (21, 10), (5, 3)] {
            let model: AudioAutoencoder<Cpu> = config(bands).init(&device);
            let x = Tensor::<Cpu, 3>::ones([2, frames, bands], &device);
            assert_eq!(model.forward(x.clone()).dims(), [2, frames, bands]);
            let m = 4;
            assert_eq!(
                model.encode(x).dims(),
                [2, 2, bands.div_ceil(m), frames.div_ceil(m)]
            );
        }
    }

    #[test]
    fn the_code_is_smaller_by_the_stated_factor() {
        let c = AudioAutoencoderConfig::default();
        assert_eq!(c.compression(), 8.0);
        let mut bad = config(8);
        bad.channels.clear();
        assert!(bad.validate().is_err());
    }
}
