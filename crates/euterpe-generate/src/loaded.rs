//! A token model from the store, ready to generate: what the CLI and a server hold.

use burn::tensor::backend::Backend;
use euterpe_data::Condition;
use euterpe_models::{ModelBackend, TokenLm};
use euterpe_music::tokens::Tokenizer;
use euterpe_store::{builtin_models, ModelSource};

use crate::controls::ControlLayout;
use crate::{GenerateError, GenerateOptions, Generated, Generator};

/// A loaded token model and its tokenizer on a device.
pub struct LoadedGenerator<B: Backend> {
    /// How reports name the model.
    pub name: String,
    model: TokenLm<B>,
    tokenizer: Tokenizer,
    /// The control tokens it was trained to follow.
    layout: ControlLayout,
    device: B::Device,
}

impl<B: ModelBackend> LoadedGenerator<B> {
    /// Loads the model of `source` on `device`, its weights in the form generation reads fastest
    /// ([`TokenLm::with_inference_weights`]). A model that is not a token model is an error that
    /// names its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        let name = source.name();
        let layout = ControlLayout::from_data(&loaded.data);
        let (model, tokenizer) = loaded.into_token_lm("generate")?;
        Ok(LoadedGenerator {
            name,
            model: model.with_inference_weights(),
            tokenizer,
            layout,
            device,
        })
    }

    /// A generator over the loaded model.
    pub(crate) fn generator(&self) -> Generator<'_, B> {
        Generator::new(&self.model, &self.tokenizer, self.device.clone())
            .with_layout(self.layout.clone())
    }

    /// The control tokens the model follows (its conditions, its style names).
    pub fn layout(&self) -> &ControlLayout {
        &self.layout
    }

    /// Writes `options.num_outputs` pieces. Asking for an emotion or a style from a model that
    /// was not trained to follow one is an error that names the built-in models that were.
    pub fn generate(&self, options: &GenerateOptions) -> Result<Vec<Generated>, GenerateError> {
        self.check_controls(options.emotion.is_some(), options.style.is_some())?;
        self.generator().generate(options)
    }

    /// An error naming the models that can, when an emotion or style is asked of a model that
    /// does not follow it.
    pub(crate) fn check_controls(&self, emotion: bool, style: bool) -> Result<(), GenerateError> {
        for (asked, condition) in [(emotion, Condition::Emotion), (style, Condition::Style)] {
            if asked && !self.layout.follows(condition) {
                return Err(self.not_conditioned(condition));
            }
        }
        Ok(())
    }

    fn not_conditioned(&self, condition: Condition) -> GenerateError {
        let name = condition.name();
        let able = match builtin_models() {
            Ok(models) => models
                .into_iter()
                .filter(|m| m.conditions.iter().any(|c| c == name))
                .map(|m| m.name)
                .collect::<Vec<_>>(),
            Err(e) => return e.into(),
        };
        GenerateError::Unsupported(format!(
            "{} was not trained with {name} conditioning ([data] conditions = [\"{name}\"]); models that can: {}",
            self.name,
            if able.is_empty() {
                "none built in yet; train one with such a config".to_string()
            } else {
                able.join(", ")
            }
        ))
    }
}
