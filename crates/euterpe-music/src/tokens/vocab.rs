//! The vocabulary: a fixed layout of token kinds and its JSON form.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Scheme, TokenizerConfig};
use crate::MusicError;
use euterpe_base::{read_file, write_atomically};

/// `Program` value that stands for a percussion track.
pub const DRUMS: u8 = 128;

/// Time-signature denominators with a token.
const TS_DENOMINATORS: [u8; 5] = [1, 2, 4, 8, 16];
/// Largest time-signature numerator with a token.
const TS_MAX_NUMERATOR: u8 = 32;

/// One token, as a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// Padding after the end of a sequence.
    Pad,
    /// Start of sequence.
    Bos,
    /// End of sequence.
    Eos,
    /// A masked position (for masked-language-model training).
    Mask,
    /// Emotion control, quadrant 1–4.
    Emotion(u8),
    /// Style control slot.
    Style(u16),
    /// Start of a bar (REMI).
    Bar,
    /// Time signature of the current bar (REMI).
    TimeSig(u8, u8),
    /// Grid position within the bar (REMI).
    Position(u32),
    /// Tempo bin.
    Tempo(u8),
    /// Current track (in the header: declares the track).
    Track(u8),
    /// General MIDI program of the track just declared; `DRUMS` (128) for percussion.
    Program(u8),
    /// Pitch of a note (REMI).
    Pitch(u8),
    /// Velocity bin.
    Velocity(u8),
    /// Duration in grid steps (REMI; several add up).
    Duration(u32),
    /// A note starts (MIDI-like).
    NoteOn(u8),
    /// A note stops (MIDI-like).
    NoteOff(u8),
    /// Time moves forward by grid steps (MIDI-like).
    TimeShift(u32),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Token::Pad => write!(f, "PAD"),
            Token::Bos => write!(f, "BOS"),
            Token::Eos => write!(f, "EOS"),
            Token::Mask => write!(f, "MASK"),
            Token::Emotion(q) => write!(f, "Emotion_Q{q}"),
            Token::Style(s) => write!(f, "Style_{s}"),
            Token::Bar => write!(f, "Bar"),
            Token::TimeSig(n, d) => write!(f, "TimeSig_{n}/{d}"),
            Token::Position(p) => write!(f, "Position_{p}"),
            Token::Tempo(t) => write!(f, "Tempo_{t}"),
            Token::Track(t) => write!(f, "Track_{t}"),
            Token::Program(DRUMS) => write!(f, "Program_drums"),
            Token::Program(p) => write!(f, "Program_{p}"),
            Token::Pitch(p) => write!(f, "Pitch_{p}"),
            Token::Velocity(v) => write!(f, "Velocity_{v}"),
            Token::Duration(d) => write!(f, "Duration_{d}"),
            Token::NoteOn(p) => write!(f, "NoteOn_{p}"),
            Token::NoteOff(p) => write!(f, "NoteOff_{p}"),
            Token::TimeShift(s) => write!(f, "TimeShift_{s}"),
        }
    }
}

/// The ids of a tokenizer: a list of tokens whose index is the id, and the arithmetic to find an id.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    config: TokenizerConfig,
    tokens: Vec<Token>,
    /// Start id of each group, in [`Group`] order.
    starts: [u32; GROUPS],
    time_sigs: Vec<(u8, u8)>,
}

const GROUPS: usize = 15;

/// Token groups, in id order.
#[derive(Clone, Copy)]
enum Group {
    Special = 0,
    Emotion,
    Style,
    Bar,
    TimeSig,
    Position,
    Tempo,
    Track,
    Program,
    Pitch,
    Velocity,
    Duration,
    NoteOn,
    NoteOff,
    TimeShift,
}

/// The JSON file form of a vocabulary.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    format: String,
    version: u32,
    config: TokenizerConfig,
    tokens: Vec<String>,
}

const FORMAT: &str = "euterpe-vocabulary";

impl Vocabulary {
    /// The vocabulary of a (validated) configuration.
    pub fn build(config: &TokenizerConfig) -> Self {
        let time_sigs = supported_time_signatures(config);
        let mut tokens = Vec::new();
        let mut starts = [0u32; GROUPS];
        let mut group = |g: Group, tokens: &mut Vec<Token>, items: Vec<Token>| {
            starts[g as usize] = tokens.len() as u32;
            tokens.extend(items);
        };
        let remi = config.scheme == Scheme::Remi;
        let when = |on: bool, items: Vec<Token>| if on { items } else { Vec::new() };
        group(
            Group::Special,
            &mut tokens,
            vec![Token::Pad, Token::Bos, Token::Eos, Token::Mask],
        );
        group(
            Group::Emotion,
            &mut tokens,
            (1..=4).map(Token::Emotion).collect(),
        );
        group(
            Group::Style,
            &mut tokens,
            (0..config.style_tokens).map(Token::Style).collect(),
        );
        group(Group::Bar, &mut tokens, when(remi, vec![Token::Bar]));
        group(
            Group::TimeSig,
            &mut tokens,
            when(
                remi,
                time_sigs
                    .iter()
                    .map(|&(n, d)| Token::TimeSig(n, d))
                    .collect(),
            ),
        );
        group(
            Group::Position,
            &mut tokens,
            when(
                remi,
                (0..config.max_bar_steps()).map(Token::Position).collect(),
            ),
        );
        group(
            Group::Tempo,
            &mut tokens,
            (0..config.tempo_bins).map(Token::Tempo).collect(),
        );
        group(
            Group::Track,
            &mut tokens,
            (0..config.max_tracks).map(Token::Track).collect(),
        );
        group(
            Group::Program,
            &mut tokens,
            (0..=DRUMS).map(Token::Program).collect(),
        );
        group(
            Group::Pitch,
            &mut tokens,
            when(remi, (0..128).map(Token::Pitch).collect()),
        );
        group(
            Group::Velocity,
            &mut tokens,
            (0..config.velocity_bins).map(Token::Velocity).collect(),
        );
        let durations: Vec<u32> = (1..=config.max_duration_steps()).collect();
        group(
            Group::Duration,
            &mut tokens,
            when(
                remi,
                durations.iter().map(|&d| Token::Duration(d)).collect(),
            ),
        );
        group(
            Group::NoteOn,
            &mut tokens,
            when(!remi, (0..128).map(Token::NoteOn).collect()),
        );
        group(
            Group::NoteOff,
            &mut tokens,
            when(!remi, (0..128).map(Token::NoteOff).collect()),
        );
        group(
            Group::TimeShift,
            &mut tokens,
            when(
                !remi,
                durations.iter().map(|&d| Token::TimeShift(d)).collect(),
            ),
        );
        Vocabulary {
            config: config.clone(),
            tokens,
            starts,
            time_sigs,
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty (never, for a built one).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The configuration the vocabulary was built from.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// The token of an id.
    pub fn token(&self, id: u32) -> Option<Token> {
        self.tokens.get(id as usize).copied()
    }

    /// All tokens in id order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The id of a token, or an error if this vocabulary has no such token.
    pub fn id_of(&self, token: Token) -> Result<u32, MusicError> {
        self.try_id(token)
            .ok_or_else(|| MusicError::Unencodable(format!("the vocabulary has no token {token}")))
    }

    /// The id of a token, if the vocabulary has it.
    pub fn try_id(&self, token: Token) -> Option<u32> {
        let in_group = |g: Group, offset: u32| {
            let start = self.starts[g as usize];
            let end = self
                .starts
                .get(g as usize + 1)
                .copied()
                .unwrap_or(self.tokens.len() as u32);
            (start + offset < end).then_some(start + offset)
        };
        match token {
            Token::Pad => in_group(Group::Special, 0),
            Token::Bos => in_group(Group::Special, 1),
            Token::Eos => in_group(Group::Special, 2),
            Token::Mask => in_group(Group::Special, 3),
            Token::Emotion(q) if (1..=4).contains(&q) => in_group(Group::Emotion, q as u32 - 1),
            Token::Style(s) => in_group(Group::Style, s as u32),
            Token::Bar => in_group(Group::Bar, 0),
            Token::TimeSig(n, d) => {
                let i = self.time_sigs.iter().position(|&ts| ts == (n, d))?;
                in_group(Group::TimeSig, i as u32)
            }
            Token::Position(p) => in_group(Group::Position, p),
            Token::Tempo(t) => in_group(Group::Tempo, t as u32),
            Token::Track(t) => in_group(Group::Track, t as u32),
            Token::Program(p) if p <= DRUMS => in_group(Group::Program, p as u32),
            Token::Pitch(p) if p < 128 => in_group(Group::Pitch, p as u32),
            Token::Velocity(v) => in_group(Group::Velocity, v as u32),
            Token::Duration(d) if d >= 1 => in_group(Group::Duration, d - 1),
            Token::NoteOn(p) if p < 128 => in_group(Group::NoteOn, p as u32),
            Token::NoteOff(p) if p < 128 => in_group(Group::NoteOff, p as u32),
            Token::TimeShift(s) if s >= 1 => in_group(Group::TimeShift, s - 1),
            _ => None,
        }
    }

    /// The vocabulary as JSON: its format, configuration and every token's name in id order.
    pub fn to_json(&self) -> String {
        let file = VocabFile {
            format: FORMAT.to_string(),
            version: 1,
            config: self.config.clone(),
            tokens: self.tokens.iter().map(Token::to_string).collect(),
        };
        serde_json::to_string_pretty(&file).expect("a vocabulary always serialises")
    }

    /// Reads a vocabulary from JSON, checking that its token list matches its configuration.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let file: VocabFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if file.format != FORMAT || file.version != 1 {
            return Err(format!(
                "format {:?} version {} is not {FORMAT:?} version 1",
                file.format, file.version
            ));
        }
        file.config.validate().map_err(|e| e.to_string())?;
        let vocab = Vocabulary::build(&file.config);
        if let Some(i) = (0..vocab.len().max(file.tokens.len())).find(|&i| {
            file.tokens.get(i).map(String::as_str)
                != vocab.tokens.get(i).map(|t| t.to_string()).as_deref()
        }) {
            return Err(format!(
                "token {i} is {:?} but the configuration gives {:?}",
                file.tokens.get(i),
                vocab.tokens.get(i).map(|t| t.to_string())
            ));
        }
        Ok(vocab)
    }

    /// Saves the vocabulary as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), MusicError> {
        let json = self.to_json();
        Ok(write_atomically(path, |w| w.write_all(json.as_bytes()))?)
    }

    /// Loads a vocabulary file, naming the file in errors.
    pub fn load(path: &Path) -> Result<Self, MusicError> {
        let bytes = read_file(path)?;
        let text = String::from_utf8(bytes).map_err(|_| MusicError::InvalidFile {
            path: path.to_path_buf(),
            reason: "not UTF-8 text".into(),
        })?;
        Vocabulary::from_json(&text).map_err(|reason| MusicError::InvalidFile {
            path: path.to_path_buf(),
            reason,
        })
    }
}

/// Time signatures with a token: numerators 1–32 over 1, 2, 4, 8 and 16 whose bar fits `max_bar_beats`.
fn supported_time_signatures(config: &TokenizerConfig) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    for d in TS_DENOMINATORS {
        for n in 1..=TS_MAX_NUMERATOR {
            if n as u32 * 4 <= config.max_bar_beats * d as u32 {
                out.push((n, d));
            }
        }
    }
    out
}
