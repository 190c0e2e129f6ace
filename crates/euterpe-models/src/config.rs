//! Architecture configuration, as written in a training config file and a model directory.
//!
//! One tagged enum, [`ModelConfig`], names every kind of model euterpe can build; each variant
//! holds that kind's own config, which builds the model with `init(&device)` as burn-nn's configs
//! do. The sequence core inside a language model is itself a tagged enum, [`CoreConfig`]. In TOML:
//!
//! ```toml
//! [model]
//! kind = "token_lm"        # token_lm | frame_lm | classifier | audio_classifier | audio_lm
//!                          # | audio_autoencoder | melody_gan | musegan
//!                          # | cyclegan | text_head
//! embedding = 64
//!
//! [model.core]
//! cell = "lstm"            # rnn | lstm | gru | transformer
//! hidden = 256
//! layers = 2
//! dropout = 0.1
//! ```
//!
//! Each struct rejects fields it does not know (a misspelt `hiden` is an error, not a silent
//! default) and fills the ones left out with documented defaults. That is why the configs
//! implement burn's [`Config`] trait by hand rather than with its derive, whose generated serde
//! code requires every field and ignores unknown ones.

use burn::config::Config;
use serde::{Deserialize, Serialize};

pub use crate::classifier::Pooling;

/// Largest size of any layer, head count or length: a guard against typos such as `hidden =
/// 2560000`, not a limit of the models.
const MAX_SIZE: usize = 1 << 16;

/// Every kind of model euterpe builds, tagged by `kind`.
///
/// A new kind is one new variant here, its config module, and its model module; see
/// `docs/architecture.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelConfig {
    /// Next-token language model over event tokens ([`crate::TokenLm`]).
    TokenLm(TokenLmConfig),
    /// Next-frame model over 88-key piano-roll frames ([`crate::FrameLm`]).
    FrameLm(FrameLmConfig),
    /// Classifier of token sequences: emotion, style
    /// ([`SequenceClassifier`](crate::classifier::SequenceClassifier)).
    Classifier(ClassifierConfig),
    /// Classifier of audio clips from their log-mel or MFCC frames
    /// ([`AudioClassifier`](crate::audio_classifier::AudioClassifier)).
    AudioClassifier(crate::audio_classifier::AudioClassifierConfig),
    /// Next-frame model of audio features, the seed's audio LSTM
    /// ([`AudioLm`](crate::audio_lm::AudioLm)).
    AudioLm(crate::audio_lm::AudioLmConfig),
    /// Convolutional encoder-decoder of log-mel clips
    /// ([`AudioAutoencoder`](crate::audio_autoencoder::AudioAutoencoder)).
    AudioAutoencoder(crate::audio_autoencoder::AudioAutoencoderConfig),
    /// Generator of melody bars over chords, trained against a critic
    /// ([`MelodyGenerator`](crate::melody_gan::MelodyGenerator)).
    MelodyGan(crate::melody_gan::MelodyGanConfig),
    /// Generator of multi-track phrases, trained against a critic
    /// ([`MultiTrackGenerator`](crate::musegan::MultiTrackGenerator)).
    #[serde(rename = "musegan")]
    MuseGan(crate::musegan::MuseGanConfig),
    /// Two generators that rewrite phrases of one style in the other, trained against two
    /// critics with cycle-consistency ([`StyleTransferPair`](crate::cyclegan::StyleTransferPair)).
    #[serde(rename = "cyclegan")]
    CycleGan(crate::cyclegan::CycleGanConfig),
    /// Classifier of pooled text features: the learned layer of prompts
    /// ([`TextHead`](crate::text_head::TextHead)).
    TextHead(crate::text_head::TextHeadConfig),
}

impl Config for ModelConfig {}

impl ModelConfig {
    /// The name of the kind as written in `kind = "…"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ModelConfig::TokenLm(_) => "token_lm",
            ModelConfig::FrameLm(_) => "frame_lm",
            ModelConfig::Classifier(_) => "classifier",
            ModelConfig::AudioClassifier(_) => "audio_classifier",
            ModelConfig::AudioLm(_) => "audio_lm",
            ModelConfig::AudioAutoencoder(_) => "audio_autoencoder",
            ModelConfig::MelodyGan(_) => "melody_gan",
            ModelConfig::MuseGan(_) => "musegan",
            ModelConfig::CycleGan(_) => "cyclegan",
            ModelConfig::TextHead(_) => "text_head",
        }
    }

    /// The size of the token vocabulary it reads, for the kinds that read tokens.
    pub fn vocab_size(&self) -> Option<usize> {
        match self {
            ModelConfig::TokenLm(c) => Some(c.vocab),
            ModelConfig::Classifier(c) => Some(c.vocab),
            ModelConfig::FrameLm(_)
            | ModelConfig::AudioClassifier(_)
            | ModelConfig::AudioLm(_)
            | ModelConfig::AudioAutoencoder(_)
            | ModelConfig::MelodyGan(_)
            | ModelConfig::MuseGan(_)
            | ModelConfig::CycleGan(_)
            | ModelConfig::TextHead(_) => None,
        }
    }

    /// One line on what the kind is, for reports and model cards.
    pub fn describe(&self) -> String {
        match self {
            ModelConfig::TokenLm(c) => format!("token language model ({})", c.core.describe()),
            ModelConfig::FrameLm(c) => format!(
                "piano-roll frame model ({}, {} output)",
                c.core.describe(),
                c.head.name()
            ),
            ModelConfig::Classifier(c) => format!(
                "classifier of {} classes ({}, {} pooling)",
                c.classes.len(),
                c.core.describe(),
                match c.pooling {
                    Pooling::Attention => "attention",
                    Pooling::Mean => "mean",
                }
            ),
            ModelConfig::AudioClassifier(c) => format!(
                "audio classifier of {} classes (1-D CNN, {} blocks of {} channels)",
                c.classes.len(),
                c.layers,
                c.channels
            ),
            ModelConfig::AudioLm(c) => format!(
                "next-frame audio model ({}, {})",
                c.core.describe(),
                if c.conditioned() {
                    format!("conditioned on {}", c.classes.join("/"))
                } else {
                    "unconditioned".to_string()
                }
            ),
            ModelConfig::AudioAutoencoder(c) => format!(
                "convolutional encoder-decoder of spectrograms ({} halvings, code {}× smaller)",
                c.channels.len(),
                c.compression()
            ),
            ModelConfig::MelodyGan(c) => format!(
                "melody GAN (convolutional generator and spectrally normalised critic, {} channels)",
                c.channels
            ),
            ModelConfig::MuseGan(c) => format!(
                "multi-track GAN (MuseGAN hybrid: shared and per-track codes, {} tracks, {} channels)",
                c.tracks.len(),
                c.channels
            ),
            ModelConfig::CycleGan(c) => format!(
                "style-transfer GAN (CycleGAN: {} ↔ {}, {} residual blocks of {} channels)",
                c.styles.first().map_or("A", String::as_str),
                c.styles.get(1).map_or("B", String::as_str),
                c.blocks,
                c.channels
            ),
            ModelConfig::TextHead(c) => format!(
                "text head of {} classes ({} hidden layer(s) of {} over pooled word vectors)",
                c.classes.len(),
                c.layers,
                c.hidden
            ),
        }
    }

    /// The sequence core, for the kinds that have one.
    pub fn core(&self) -> Option<&CoreConfig> {
        match self {
            ModelConfig::TokenLm(c) => Some(&c.core),
            ModelConfig::FrameLm(c) => Some(&c.core),
            ModelConfig::Classifier(c) => Some(&c.core),
            ModelConfig::AudioClassifier(_) => None,
            ModelConfig::AudioLm(c) => Some(&c.core),
            ModelConfig::AudioAutoencoder(_)
            | ModelConfig::MelodyGan(_)
            | ModelConfig::MuseGan(_)
            | ModelConfig::CycleGan(_)
            | ModelConfig::TextHead(_) => None,
        }
    }

    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            ModelConfig::TokenLm(c) => c.validate(),
            ModelConfig::FrameLm(c) => c.validate(),
            ModelConfig::Classifier(c) => c.validate(),
            ModelConfig::AudioClassifier(c) => c.validate(),
            ModelConfig::AudioLm(c) => c.validate(),
            ModelConfig::AudioAutoencoder(c) => c.validate(),
            ModelConfig::MelodyGan(c) => c.validate(),
            ModelConfig::MuseGan(c) => c.validate(),
            ModelConfig::CycleGan(c) => c.validate(),
            ModelConfig::TextHead(c) => c.validate(),
        }
    }
}

/// The recurrent stack or the Transformer at the heart of a sequence model, tagged by `cell`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cell", rename_all = "lowercase")]
pub enum CoreConfig {
    /// Elman RNN with tanh.
    Rnn(RecurrentConfig),
    /// Long short-term memory.
    Lstm(RecurrentConfig),
    /// Gated recurrent unit.
    Gru(RecurrentConfig),
    /// Pre-norm Transformer with learned positions: a causal decoder, or a bidirectional
    /// encoder (`causal = false`).
    Transformer(TransformerConfig),
}

impl Config for CoreConfig {}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig::Lstm(RecurrentConfig::default())
    }
}

/// The cells by name, as `cell = "…"` and `--cell` take them.
pub const CELLS: [&str; 4] = ["rnn", "lstm", "gru", "transformer"];

impl CoreConfig {
    /// The width of the vectors this core reads: the Transformer's model width, or `embedding`
    /// for a recurrent stack (which projects any width).
    pub fn input_width(&self, embedding: usize) -> usize {
        match self {
            CoreConfig::Transformer(t) => t.hidden,
            _ => embedding,
        }
    }

    /// A core of the named cell (one of [`CELLS`]) with `hidden` units in each of `layers`
    /// layers and `dropout`, every other setting at its default; `None` for an unknown name.
    pub fn of_cell(cell: &str, hidden: usize, layers: usize, dropout: f64) -> Option<CoreConfig> {
        let recurrent = RecurrentConfig {
            hidden,
            layers,
            dropout,
        };
        Some(match cell {
            "rnn" => CoreConfig::Rnn(recurrent),
            "lstm" => CoreConfig::Lstm(recurrent),
            "gru" => CoreConfig::Gru(recurrent),
            "transformer" => CoreConfig::Transformer(TransformerConfig {
                hidden,
                layers,
                dropout,
                ..TransformerConfig::default()
            }),
            _ => return None,
        })
    }

    /// The Transformer's settings, to adjust them (`None` for recurrent cores).
    pub fn transformer_mut(&mut self) -> Option<&mut TransformerConfig> {
        match self {
            CoreConfig::Transformer(t) => Some(t),
            _ => None,
        }
    }

    /// The cell's name as written in `cell = "…"`.
    pub fn cell_name(&self) -> &'static str {
        match self {
            CoreConfig::Rnn(_) => "rnn",
            CoreConfig::Lstm(_) => "lstm",
            CoreConfig::Gru(_) => "gru",
            CoreConfig::Transformer(_) => "transformer",
        }
    }

    /// "LSTM, 2 × 256", "TRANSFORMER encoder, 4 × 128" and the like.
    pub fn describe(&self) -> String {
        format!(
            "{}{}, {} × {}",
            self.cell_name().to_uppercase(),
            if self.is_causal() { "" } else { " encoder" },
            self.layers(),
            self.hidden()
        )
    }

    /// Width of the core's output (hidden size, or the Transformer's model width).
    pub fn hidden(&self) -> usize {
        match self {
            CoreConfig::Rnn(c) | CoreConfig::Lstm(c) | CoreConfig::Gru(c) => c.hidden,
            CoreConfig::Transformer(c) => c.hidden,
        }
    }

    /// Stacked layers.
    pub fn layers(&self) -> usize {
        match self {
            CoreConfig::Rnn(c) | CoreConfig::Lstm(c) | CoreConfig::Gru(c) => c.layers,
            CoreConfig::Transformer(c) => c.layers,
        }
    }

    /// Dropout between layers (and, in the models, before their output).
    pub fn dropout(&self) -> f64 {
        match self {
            CoreConfig::Rnn(c) | CoreConfig::Lstm(c) | CoreConfig::Gru(c) => c.dropout,
            CoreConfig::Transformer(c) => c.dropout,
        }
    }

    /// Whether every position sees the past only (true of all but a bidirectional Transformer):
    /// what generation and next-token training need.
    pub fn is_causal(&self) -> bool {
        !matches!(
            self,
            CoreConfig::Transformer(TransformerConfig { causal: false, .. })
        )
    }

    /// Longest sequence one forward pass accepts (`None`: unlimited, the recurrent cells).
    pub fn max_len(&self) -> Option<usize> {
        match self {
            CoreConfig::Transformer(c) => Some(c.max_len),
            _ => None,
        }
    }

    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            CoreConfig::Rnn(c) | CoreConfig::Lstm(c) | CoreConfig::Gru(c) => c.validate(),
            CoreConfig::Transformer(c) => c.validate(),
        }
    }
}

/// A stack of recurrent layers (the cell comes from [`CoreConfig`]'s tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecurrentConfig {
    /// Hidden size of each layer (default 256).
    pub hidden: usize,
    /// Stacked layers (default 2).
    pub layers: usize,
    /// Dropout between layers and before the model's output (default 0.1).
    pub dropout: f64,
}

impl Config for RecurrentConfig {}

impl Default for RecurrentConfig {
    fn default() -> Self {
        RecurrentConfig {
            hidden: 256,
            layers: 2,
            dropout: 0.1,
        }
    }
}

impl RecurrentConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        positive(&[
            ("model.core.hidden", self.hidden),
            ("model.core.layers", self.layers),
        ])?;
        probability("model.core.dropout", self.dropout)
    }
}

/// A pre-norm Transformer with learned positions: a causal decoder unless `causal = false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerConfig {
    /// Model width (default 256).
    pub hidden: usize,
    /// Blocks (default 2).
    pub layers: usize,
    /// Dropout in the blocks and before the model's output (default 0.1).
    pub dropout: f64,
    /// Attention heads; must divide `hidden` (default 4).
    pub heads: usize,
    /// Feed-forward width; 0 means 4 × hidden (default 0).
    pub feedforward: usize,
    /// Longest sequence the learned positions cover (default 1024).
    pub max_len: usize,
    /// Dropout of the attention weights (default: `dropout`). 0 keeps training on the fused
    /// attention, several times faster than the tensor operations that attention dropout needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention_dropout: Option<f64>,
    /// Whether each position attends to the past only, as a generator must (default true).
    /// `false` makes a bidirectional encoder: a token model of it learns masked tokens
    /// (`[data] mask_chance`) to start classifiers, and cannot generate.
    pub causal: bool,
}

impl Config for TransformerConfig {}

impl Default for TransformerConfig {
    fn default() -> Self {
        TransformerConfig {
            hidden: 256,
            layers: 2,
            dropout: 0.1,
            heads: 4,
            feedforward: 0,
            max_len: 1024,
            attention_dropout: None,
            causal: true,
        }
    }
}

impl TransformerConfig {
    /// The feed-forward width.
    pub fn feedforward_width(&self) -> usize {
        if self.feedforward == 0 {
            4 * self.hidden
        } else {
            self.feedforward
        }
    }

    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        positive(&[
            ("model.core.hidden", self.hidden),
            ("model.core.layers", self.layers),
            ("model.core.heads", self.heads),
            ("model.core.max_len", self.max_len),
        ])?;
        if self.feedforward > MAX_SIZE {
            return Err(format!(
                "model.core.feedforward = {} is unreasonably large",
                self.feedforward
            ));
        }
        probability("model.core.dropout", self.dropout)?;
        if let Some(p) = self.attention_dropout {
            probability("model.core.attention_dropout", p)?;
        }
        if !self.hidden.is_multiple_of(self.heads) {
            return Err(format!(
                "model.core.hidden ({}) must be a multiple of model.core.heads ({})",
                self.hidden, self.heads
            ));
        }
        Ok(())
    }
}

/// A next-token model: embedding → core → logits over the vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenLmConfig {
    /// Vocabulary size. Left at 0 in a training config, it is taken from the data's vocabulary;
    /// a model directory records the real size (default 0).
    pub vocab: usize,
    /// Token embedding size of recurrent cores; a Transformer embeds at its model width
    /// (default 64).
    pub embedding: usize,
    /// The sequence core.
    pub core: CoreConfig,
}

impl Config for TokenLmConfig {}

impl Default for TokenLmConfig {
    fn default() -> Self {
        TokenLmConfig {
            vocab: 0,
            embedding: 64,
            core: CoreConfig::default(),
        }
    }
}

impl TokenLmConfig {
    /// The width tokens are embedded at: `embedding`, or the Transformer's model width.
    pub fn embedding_width(&self) -> usize {
        self.core.input_width(self.embedding)
    }

    /// Checks every value; the message names the field. A vocabulary of 0 (not yet known) passes.
    pub fn validate(&self) -> Result<(), String> {
        positive(&[("model.embedding", self.embedding)])?;
        if self.vocab > 1 << 24 {
            return Err(format!(
                "model.vocab = {} is unreasonably large",
                self.vocab
            ));
        }
        self.core.validate()
    }
}

/// A next-frame model over 88-key piano-roll frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrameLmConfig {
    /// How the 88 keys of the next frame are predicted.
    pub head: FrameHeadConfig,
    /// The sequence core.
    pub core: CoreConfig,
}

impl Config for FrameLmConfig {}

impl Default for FrameLmConfig {
    fn default() -> Self {
        FrameLmConfig {
            head: FrameHeadConfig::Bernoulli,
            core: CoreConfig::default(),
        }
    }
}

impl FrameLmConfig {
    /// Checks every value; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if let FrameHeadConfig::Nade(n) = &self.head {
            positive(&[("model.head.hidden", n.hidden)])?;
        }
        self.core.validate()
    }
}

/// A classifier of token sequences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierConfig {
    /// Vocabulary size; left at 0 in a training config, it is taken from the data (default 0).
    pub vocab: usize,
    /// The class names, in output order; left empty in a training config, they are taken from
    /// the data's labels (default empty).
    pub classes: Vec<String>,
    /// Token embedding size of recurrent cores (default 64).
    pub embedding: usize,
    /// The sequence core.
    pub core: CoreConfig,
    /// How positions are pooled into one vector (default "attention").
    pub pooling: Pooling,
}

impl Config for ClassifierConfig {}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            vocab: 0,
            classes: Vec::new(),
            embedding: 64,
            core: CoreConfig::default(),
            pooling: Pooling::default(),
        }
    }
}

impl ClassifierConfig {
    /// The width tokens are embedded at: `embedding`, or the Transformer's model width.
    pub fn embedding_width(&self) -> usize {
        self.core.input_width(self.embedding)
    }

    /// Checks every value; the message names the field. Vocabulary and classes not yet known
    /// (0, empty) pass.
    pub fn validate(&self) -> Result<(), String> {
        positive(&[("model.embedding", self.embedding)])?;
        if self.vocab > 1 << 24 || self.classes.len() > 1 << 16 {
            return Err("model.vocab or model.classes is unreasonably large".into());
        }
        if self.classes.len() == 1 {
            return Err("model.classes: a classifier needs at least two classes".into());
        }
        let mut sorted: Vec<&String> = self.classes.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("model.classes names {:?} twice", w[0]));
        }
        self.core.validate()
    }
}

/// The output of a frame model, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FrameHeadConfig {
    /// Each key independently (a sigmoid per key).
    Bernoulli,
    /// The keys jointly, low to high, with a NADE whose biases the sequence model sets
    /// (RNN-NADE, Boulanger-Lewandowski et al. 2012).
    Nade(NadeConfig),
}

impl Config for FrameHeadConfig {}

impl FrameHeadConfig {
    /// "bernoulli" or "nade".
    pub fn name(&self) -> &'static str {
        match self {
            FrameHeadConfig::Bernoulli => "bernoulli",
            FrameHeadConfig::Nade(_) => "nade",
        }
    }
}

/// The NADE output of a frame model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NadeConfig {
    /// Hidden units of the NADE (default 150).
    pub hidden: usize,
}

impl Config for NadeConfig {}

impl Default for NadeConfig {
    fn default() -> Self {
        NadeConfig { hidden: 150 }
    }
}

fn positive(fields: &[(&str, usize)]) -> Result<(), String> {
    for &(name, value) in fields {
        if value == 0 {
            return Err(format!("{name} must be at least 1"));
        }
        if value > MAX_SIZE {
            return Err(format!("{name} = {value} is unreasonably large"));
        }
    }
    Ok(())
}

fn probability(name: &str, value: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name} must be in [0, 1), got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ModelConfig, String> {
        let c: ModelConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn kinds_and_cells_parse_with_defaults() {
        let c = parse("kind = \"token_lm\"\n[core]\ncell = \"gru\"\nhidden = 32\n").unwrap();
        let ModelConfig::TokenLm(t) = &c else {
            panic!("{c:?}")
        };
        assert_eq!(t.embedding, 64);
        assert_eq!(
            t.core,
            CoreConfig::Gru(RecurrentConfig {
                hidden: 32,
                ..RecurrentConfig::default()
            })
        );
        let c = parse("kind = \"frame_lm\"\nhead = { kind = \"nade\" }\n").unwrap();
        assert_eq!(
            c.describe(),
            "piano-roll frame model (LSTM, 2 × 256, nade output)"
        );
        assert_eq!(
            c.core().and_then(CoreConfig::max_len),
            None,
            "recurrent cores take any length"
        );
        // The written form reads back the same.
        assert_eq!(parse(&toml::to_string(&c).unwrap()).unwrap(), c);
    }

    #[test]
    fn unknown_and_misplaced_fields_are_errors_that_name_them() {
        let e = parse("kind = \"token_lm\"\n[core]\ncell = \"lstm\"\nhiden = 3\n").unwrap_err();
        assert!(e.contains("hiden"), "{e}");
        // Heads belong to the Transformer only.
        let e = parse("kind = \"token_lm\"\n[core]\ncell = \"lstm\"\nheads = 3\n").unwrap_err();
        assert!(e.contains("heads"), "{e}");
        let e = parse("kind = \"gan\"\n").unwrap_err();
        assert!(e.contains("gan"), "{e}");
        let e =
            parse("kind = \"token_lm\"\n[core]\ncell = \"transformer\"\nheads = 3\n").unwrap_err();
        assert!(e.contains("model.core.heads"), "{e}");
        let e = parse("kind = \"frame_lm\"\n[core]\ncell = \"rnn\"\ndropout = 1.5\n").unwrap_err();
        assert!(e.contains("model.core.dropout"), "{e}");
    }
}
