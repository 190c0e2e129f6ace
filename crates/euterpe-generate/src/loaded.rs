//! A token model from the store, ready to generate: what the CLI and a server hold.

use burn::tensor::backend::Backend;
use euterpe_data::Condition;
use euterpe_models::{ModelBackend, TokenLm};
use euterpe_music::tokens::Tokenizer;
use euterpe_store::{builtin_models, ModelSource};

use crate::{GenerateError, GenerateOptions, Generated, Generator};

/// A loaded token model and its tokenizer on a device.
pub struct LoadedGenerator<B: Backend> {
    /// How reports name the model.
    pub name: String,
    model: TokenLm<B>,
    tokenizer: Tokenizer,
    /// Whether it was trained to follow emotion control tokens.
    follows_emotion: bool,
    device: B::Device,
}

impl<B: ModelBackend> LoadedGenerator<B> {
    /// Loads the model of `source` on `device`, its weights in the form generation reads fastest
    /// ([`TokenLm::with_inference_weights`]). A model that is not a token model is an error that
    /// names its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        let name = source.name();
        let follows_emotion = loaded.data.conditions_on(Condition::Emotion);
        let (model, tokenizer) = loaded.into_token_lm("generate")?;
        Ok(LoadedGenerator {
            name,
            model: model.with_inference_weights(),
            tokenizer,
            follows_emotion,
            device,
        })
    }

    /// Writes `options.num_outputs` pieces. Asking for an emotion from a model that was not
    /// trained to follow one is an error that names the built-in models that were.
    pub fn generate(&self, options: &GenerateOptions) -> Result<Vec<Generated>, GenerateError> {
        if options.emotion.is_some() && !self.follows_emotion {
            let able: Vec<String> = builtin_models()?
                .into_iter()
                .filter(|m| m.conditions.iter().any(|c| c == "emotion"))
                .map(|m| m.name)
                .collect();
            return Err(GenerateError::Unsupported(format!(
                "{} was not trained with emotion conditioning ([data] conditions = [\"emotion\"]); models that can: {}",
                self.name,
                if able.is_empty() {
                    "none built in yet; train one with such a config".to_string()
                } else {
                    able.join(", ")
                }
            )));
        }
        Generator::new(&self.model, &self.tokenizer, self.device.clone()).generate(options)
    }
}
