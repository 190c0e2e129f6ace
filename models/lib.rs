//! The default models that ship inside euterpe, so that generation works with nothing installed.
//!
//! Each folder here is a model directory written by `euterpe train` from a committed config; its
//! `card.md` says which data, command, seed and time made it, and what it measures. This crate
//! only embeds their files as bytes: `euterpe-store` reads them like any model directory.
//!
//! A new built-in model is a new folder here and one entry in [`BUILTIN`].

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

/// The built-in models; the first is the default.
pub const BUILTIN: &[BuiltinModel] = &[BuiltinModel {
    name: "folk",
    description: "melodies in the style of the Essen folk-song collection (REMI LSTM, 2 × 256)",
    folder: "folk-lstm",
    config: include_str!("folk-lstm/config.toml"),
    vocab: Some(include_str!("folk-lstm/vocab.json")),
    weights: include_bytes!("folk-lstm/weights.bin"),
    card: include_str!("folk-lstm/card.md"),
    metrics: include_str!("folk-lstm/metrics.jsonl"),
}, BuiltinModel {
    name: "piano",
    description: "multi-voice piano (REMI LSTM, 2 × 256) that follows --emotion and --style (pop, pop-piano, game, folk, or a blend)",
    folder: "piano-lstm",
    config: include_str!("piano-lstm/config.toml"),
    vocab: Some(include_str!("piano-lstm/vocab.json")),
    weights: include_bytes!("piano-lstm/weights.bin"),
    card: include_str!("piano-lstm/card.md"),
    metrics: include_str!("piano-lstm/metrics.jsonl"),
}, BuiltinModel {
    name: "emotion",
    description: "the emotion quadrant (Q1 happy, Q2 tense, Q3 sad, Q4 calm) of piano music (REMI LSTM classifier, EMOPIA)",
    folder: "emotion-lstm",
    config: include_str!("emotion-lstm/config.toml"),
    vocab: Some(include_str!("emotion-lstm/vocab.json")),
    weights: include_bytes!("emotion-lstm/weights.bin"),
    card: include_str!("emotion-lstm/card.md"),
    metrics: include_str!("emotion-lstm/metrics.jsonl"),
}, BuiltinModel {
    name: "style",
    description: "the style of a piece from its notes alone: pop, pop-piano, game or folk (REMI LSTM classifier, POP909/EMOPIA/VGMIDI/Essen)",
    folder: "style-lstm",
    config: include_str!("style-lstm/config.toml"),
    vocab: Some(include_str!("style-lstm/vocab.json")),
    weights: include_bytes!("style-lstm/weights.bin"),
    card: include_str!("style-lstm/card.md"),
    metrics: include_str!("style-lstm/metrics.jsonl"),
}, BuiltinModel {
    name: "melody-gan",
    description: "melodies over a chord progression, bar after bar, for `generate --chords` (MidiNet-style GAN, POP909)",
    folder: "melody-gan",
    config: include_str!("melody-gan/config.toml"),
    vocab: None,
    weights: include_bytes!("melody-gan/weights.bin"),
    card: include_str!("melody-gan/card.md"),
    metrics: include_str!("melody-gan/metrics.jsonl"),
}, BuiltinModel {
    name: "musegan",
    description: "three-track POP909 phrases (MELODY, BRIDGE, PIANO) for `generate` and `arrange` (MuseGAN-style hybrid GAN)",
    folder: "musegan",
    config: include_str!("musegan/config.toml"),
    vocab: None,
    weights: include_bytes!("musegan/weights.bin"),
    card: include_str!("musegan/card.md"),
    metrics: include_str!("musegan/metrics.jsonl"),
}, BuiltinModel {
    name: "audio-emotion",
    description: "the emotion quadrant (Q1 happy, Q2 tense, Q3 sad, Q4 calm) of a recording, from 5-second clips of its log-mel spectrogram (1-D CNN classifier, mer4q)",
    folder: "audio-emotion",
    config: include_str!("audio-emotion/config.toml"),
    vocab: None,
    weights: include_bytes!("audio-emotion/weights.bin"),
    card: include_str!("audio-emotion/card.md"),
    metrics: include_str!("audio-emotion/metrics.jsonl"),
}, BuiltinModel {
    name: "folk2pop",
    description: "style transfer: a folk tune (or any piece) rewritten as POP909-style pop, bars and length kept; for `transfer` (CycleGAN-style, Essen ↔ POP909)",
    folder: "folk2pop",
    config: include_str!("folk2pop/config.toml"),
    vocab: None,
    weights: include_bytes!("folk2pop/weights.bin"),
    card: include_str!("folk2pop/card.md"),
    metrics: include_str!("folk2pop/metrics.jsonl"),
}, BuiltinModel {
    name: "pop2folk",
    description: "style transfer the other way: a pop song reduced to an Essen-style folk melody; for `transfer` (the same CycleGAN as folk2pop)",
    folder: "folk2pop",
    config: include_str!("folk2pop/config.toml"),
    vocab: None,
    weights: include_bytes!("folk2pop/weights.bin"),
    card: include_str!("folk2pop/card.md"),
    metrics: include_str!("folk2pop/metrics.jsonl"),
}, BuiltinModel {
    name: "audio-lstm",
    description: "sound (20 MFCCs per 23 ms frame) rolled forward frame by frame, optionally of an emotion or continuing a recording; for `generate-audio` (the seed's audio LSTM, 2 × 256, mer4q)",
    folder: "audio-lstm",
    config: include_str!("audio-lstm/config.toml"),
    vocab: None,
    weights: include_bytes!("audio-lstm/weights.bin"),
    card: include_str!("audio-lstm/card.md"),
    metrics: include_str!("audio-lstm/metrics.jsonl"),
}];

/// The default model (the first of [`BUILTIN`]).
pub fn default_model() -> &'static BuiltinModel {
    &BUILTIN[0]
}

/// The built-in model called `name`.
pub fn find(name: &str) -> Option<&'static BuiltinModel> {
    BUILTIN.iter().find(|m| m.name == name)
}
