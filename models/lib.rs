//! The default models that ship inside euterpe, so that generation works with nothing installed.
//!
//! Each folder here is a model directory written by `euterpe train` from a committed config; its
//! `card.md` says which data, command, seed and time made it, and what it measures. This crate
//! only embeds their files as bytes: `euterpe-store` reads them like any model directory.
//!
//! A new built-in model is a new folder here and one `builtin!` line in [`BUILTIN`].

/// The files of one model directory, compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinModel {
    /// The name users pass to `--model`.
    pub name: &'static str,
    /// One line on what it plays.
    pub description: &'static str,
    /// The folder's name under `models/`.
    pub folder: &'static str,
    /// `config.toml`.
    pub config: &'static str,
    /// `vocab.json` (token models).
    pub vocab: Option<&'static str>,
    /// `weights.bin`.
    pub weights: &'static [u8],
    /// `card.md`.
    pub card: &'static str,
    /// `metrics.jsonl`: one JSON object per epoch of the training run.
    pub metrics: &'static str,
}

/// One [`BuiltinModel`] from its folder: `tokens` for a token model (with `vocab.json`), `none`
/// for the others.
macro_rules! builtin {
    ($name:literal, $folder:literal, tokens, $description:literal) => {
        builtin!(@ $name, $folder, Some(include_str!(concat!($folder, "/vocab.json"))), $description)
    };
    ($name:literal, $folder:literal, none, $description:literal) => {
        builtin!(@ $name, $folder, None, $description)
    };
    (@ $name:literal, $folder:literal, $vocab:expr, $description:literal) => {
        BuiltinModel {
            name: $name,
            description: $description,
            folder: $folder,
            config: include_str!(concat!($folder, "/config.toml")),
            vocab: $vocab,
            weights: include_bytes!(concat!($folder, "/weights.bin")),
            card: include_str!(concat!($folder, "/card.md")),
            metrics: include_str!(concat!($folder, "/metrics.jsonl")),
        }
    };
}

/// The built-in models; the first is the default.
pub const BUILTIN: &[BuiltinModel] = &[
    builtin!("folk", "folk-lstm", tokens, "melodies in the style of the Essen folk-song collection (REMI LSTM, 2 × 256)"),
    builtin!("piano", "piano-lstm", tokens, "multi-voice piano (REMI LSTM, 2 × 256) that follows --emotion and --style (pop, pop-piano, game, folk, or a blend)"),
    builtin!("emotion", "emotion-lstm", tokens, "the emotion quadrant (Q1 happy, Q2 tense, Q3 sad, Q4 calm) of piano music (REMI LSTM classifier, EMOPIA)"),
    builtin!("style", "style-lstm", tokens, "the style of a piece from its notes alone: pop, pop-piano, game or folk (REMI LSTM classifier, POP909/EMOPIA/VGMIDI/Essen)"),
    builtin!("melody-gan", "melody-gan", none, "melodies over a chord progression, bar after bar, for `generate --chords` (MidiNet-style GAN, POP909)"),
    builtin!("musegan", "musegan", none, "three-track POP909 phrases (MELODY, BRIDGE, PIANO) for `generate` and `arrange` (MuseGAN-style hybrid GAN)"),
    builtin!("audio-emotion", "audio-emotion", none, "the emotion quadrant (Q1 happy, Q2 tense, Q3 sad, Q4 calm) of a recording, from 5-second clips of its log-mel spectrogram (1-D CNN classifier, mer4q)"),
    builtin!("folk2pop", "folk2pop", none, "style transfer: a folk tune (or any piece) rewritten as POP909-style pop, bars and length kept; for `transfer` (CycleGAN-style, Essen ↔ POP909)"),
    builtin!("pop2folk", "folk2pop", none, "style transfer the other way: a pop song reduced to an Essen-style folk melody; for `transfer` (the same CycleGAN as folk2pop)"),
    builtin!("audio-lstm", "audio-lstm", none, "sound (20 MFCCs per 23 ms frame) rolled forward frame by frame, optionally of an emotion or continuing a recording; for `generate-audio` (the seed's audio LSTM, 2 × 256, mer4q)"),
    builtin!("text-emotion", "text-emotion", none, "the emotion quadrant of mood words a prompt's lists do not hold (\"dreamy\", \"brooding\"): the learned layer of --prompt (pooled GloVe vectors and VADER valence → perceptron, mer4q mood tags)"),
];

/// The default model (the first of [`BUILTIN`]).
pub fn default_model() -> &'static BuiltinModel {
    &BUILTIN[0]
}

/// The built-in model called `name`.
pub fn find(name: &str) -> Option<&'static BuiltinModel> {
    BUILTIN.iter().find(|m| m.name == name)
}

/// The files of the text encoder (`text-encoder/`, made by `tools/text-encoder/build.py`): GloVe
/// 6B word vectors (PDDL 1.0) cut to the 50,000 most frequent words plus the VADER words, and the
/// VADER valence lexicon (MIT). `euterpe-text` reads them.
pub mod text_encoder {
    /// One word per line, most frequent first.
    pub const WORDS: &str = include_str!("text-encoder/words.txt");
    /// One row of [`DIM`] little-endian IEEE half floats per word of [`WORDS`].
    pub const VECTORS: &[u8] = include_bytes!("text-encoder/vectors.f16");
    /// Values per word vector.
    pub const DIM: usize = 50;
    /// `word<TAB>mean valence (−4 to +4)` per line.
    pub const VADER: &str = include_str!("text-encoder/vader.tsv");
}
