//! A token model from the store, ready to generate: what the CLI and a server hold.

use burn::tensor::backend::Backend;
use euterpe_models::{ModelBackend, TokenLm};
use euterpe_music::tokens::Tokenizer;
use euterpe_store::ModelSource;

use crate::{GenerateError, GenerateOptions, Generated, Generator};

/// A loaded token model and its tokenizer on a device.
pub struct LoadedGenerator<B: Backend> {
    /// How reports name the model.
    pub name: String,
    model: TokenLm<B>,
    tokenizer: Tokenizer,
    device: B::Device,
}

impl<B: ModelBackend> LoadedGenerator<B> {
    /// Loads the model of `source` on `device`, its weights in the form generation reads fastest
    /// ([`TokenLm::with_inference_weights`]). A model that is not a token model is an error that
    /// names its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        let name = source.name();
        let (model, tokenizer) = loaded.into_token_lm("generate")?;
        Ok(LoadedGenerator {
            name,
            model: model.with_inference_weights(),
            tokenizer,
            device,
        })
    }

    /// Writes `options.num_outputs` pieces.
    pub fn generate(&self, options: &GenerateOptions) -> Result<Vec<Generated>, GenerateError> {
        Generator::new(&self.model, &self.tokenizer, self.device.clone()).generate(options)
    }
}
