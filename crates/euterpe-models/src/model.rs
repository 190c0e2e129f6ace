//! [`Model`]: one enum module over every kind, what a model directory loads into.

use burn::module::Module;
use burn::tensor::backend::Backend;

use crate::classifier::SequenceClassifier;
use crate::config::ModelConfig;
use crate::frame_lm::FrameLm;
use crate::token_lm::TokenLm;

/// A built model of any kind (burn derives [`Module`] for the enum, so it saves, loads and moves
/// between devices like any module). Each variant matches the [`ModelConfig`] variant of the same
/// name. A model directory's `weights.bin` is the record of this enum, so one loader reads every
/// kind.
// One value per loaded model: boxing the larger variant would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model<B: Backend> {
    /// A next-token language model.
    TokenLm(TokenLm<B>),
    /// A next-frame piano-roll model.
    FrameLm(FrameLm<B>),
    /// A classifier of token sequences.
    Classifier(SequenceClassifier<B>),
    /// A classifier of audio clips.
    AudioClassifier(crate::audio_classifier::AudioClassifier<B>),
    /// A next-frame model of audio features.
    AudioLm(crate::audio_lm::AudioLm<B>),
    /// A convolutional encoder-decoder of spectrograms.
    AudioAutoencoder(crate::audio_autoencoder::AudioAutoencoder<B>),
    /// The generator of a melody GAN (its critic is needed only for training).
    MelodyGan(crate::melody_gan::MelodyGenerator<B>),
    /// The generator of a multi-track GAN.
    MuseGan(crate::musegan::MultiTrackGenerator<B>),
    /// Both generators of a style-transfer GAN.
    CycleGan(crate::cyclegan::StyleTransferPair<B>),
    /// A classifier of pooled text features.
    TextHead(crate::text_head::TextHead<B>),
}

impl ModelConfig {
    /// A freshly initialised model of this kind. A token model's vocabulary size must be set.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Model<B> {
        match self {
            ModelConfig::TokenLm(c) => Model::TokenLm(c.init(device)),
            ModelConfig::FrameLm(c) => Model::FrameLm(c.init(device)),
            ModelConfig::Classifier(c) => Model::Classifier(c.init(device)),
            ModelConfig::AudioClassifier(c) => Model::AudioClassifier(c.init(device)),
            ModelConfig::AudioLm(c) => Model::AudioLm(c.init(device)),
            ModelConfig::AudioAutoencoder(c) => Model::AudioAutoencoder(c.init(device)),
            ModelConfig::MelodyGan(c) => Model::MelodyGan(c.init(device)),
            ModelConfig::MuseGan(c) => Model::MuseGan(c.init(device)),
            ModelConfig::CycleGan(c) => Model::CycleGan(c.init(device)),
            ModelConfig::TextHead(c) => Model::TextHead(c.init(device)),
        }
    }
}

impl<B: Backend> Model<B> {
    /// The name of the kind, as in `kind = "…"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Model::TokenLm(_) => "token_lm",
            Model::FrameLm(_) => "frame_lm",
            Model::Classifier(_) => "classifier",
            Model::AudioClassifier(_) => "audio_classifier",
            Model::AudioLm(_) => "audio_lm",
            Model::AudioAutoencoder(_) => "audio_autoencoder",
            Model::MelodyGan(_) => "melody_gan",
            Model::MuseGan(_) => "musegan",
            Model::CycleGan(_) => "cyclegan",
            Model::TextHead(_) => "text_head",
        }
    }
}

impl<B: Backend> From<TokenLm<B>> for Model<B> {
    fn from(m: TokenLm<B>) -> Self {
        Model::TokenLm(m)
    }
}

impl<B: Backend> From<FrameLm<B>> for Model<B> {
    fn from(m: FrameLm<B>) -> Self {
        Model::FrameLm(m)
    }
}

impl<B: Backend> From<SequenceClassifier<B>> for Model<B> {
    fn from(m: SequenceClassifier<B>) -> Self {
        Model::Classifier(m)
    }
}

impl<B: Backend> From<crate::audio_classifier::AudioClassifier<B>> for Model<B> {
    fn from(m: crate::audio_classifier::AudioClassifier<B>) -> Self {
        Model::AudioClassifier(m)
    }
}

impl<B: Backend> From<crate::audio_lm::AudioLm<B>> for Model<B> {
    fn from(m: crate::audio_lm::AudioLm<B>) -> Self {
        Model::AudioLm(m)
    }
}

impl<B: Backend> From<crate::audio_autoencoder::AudioAutoencoder<B>> for Model<B> {
    fn from(m: crate::audio_autoencoder::AudioAutoencoder<B>) -> Self {
        Model::AudioAutoencoder(m)
    }
}

impl<B: Backend> From<crate::melody_gan::MelodyGenerator<B>> for Model<B> {
    fn from(m: crate::melody_gan::MelodyGenerator<B>) -> Self {
        Model::MelodyGan(m)
    }
}

impl<B: Backend> From<crate::musegan::MultiTrackGenerator<B>> for Model<B> {
    fn from(m: crate::musegan::MultiTrackGenerator<B>) -> Self {
        Model::MuseGan(m)
    }
}

impl<B: Backend> From<crate::cyclegan::StyleTransferPair<B>> for Model<B> {
    fn from(m: crate::cyclegan::StyleTransferPair<B>) -> Self {
        Model::CycleGan(m)
    }
}

impl<B: Backend> From<crate::text_head::TextHead<B>> for Model<B> {
    fn from(m: crate::text_head::TextHead<B>) -> Self {
        Model::TextHead(m)
    }
}
