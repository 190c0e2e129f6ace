//! Event-token vocabularies: REMI and MIDI-like (Performance RNN), with encode and decode.
//!
//! Both vocabularies share one layout that never changes with the data: the special tokens
//! (`PAD`, `BOS`, `EOS`, `MASK`), then the reserved control tokens (four emotion quadrants and
//! `style_tokens` style slots), then the scheme's musical tokens. Conditioning added later therefore
//! never moves a musical token's id.
//!
//! A sequence starts with `BOS`, optional control tokens, and a header that declares each track:
//! `Track_i Program_p` (`Program_drums` for percussion). The body follows:
//!
//! * **REMI** (Huang & Yang 2020, with REMI+'s tracks and time signatures): `Bar [TimeSig]`, then for
//!   each occupied grid position `Position_p [Tempo_t]` and its notes as
//!   `[Track_i] Pitch_p Velocity_v Duration_d…` (a `Track` token only when the track changes).
//! * **MIDI-like** (Oore et al. 2018): `TimeShift_s` (grid steps), `[Track_i] [Velocity_v] NoteOn_p`,
//!   `[Track_i] NoteOff_p` and `Tempo_t`; a velocity token only when the velocity bin changes.
//!
//! Durations and time shifts longer than the largest token are written as several tokens that add
//! up, so every quantised note round-trips exactly: `decode(encode(s))` gives the notes of
//! `s.quantized(..)` with velocities reduced to their bins.

mod bins;
mod grammar;
mod midi_like;
mod remi;
mod vocab;

use serde::{Deserialize, Serialize};

use crate::quantize::QuantizeConfig;
use crate::score::{Note, Score};
use crate::MusicError;

pub use bins::{bin_to_bpm, bin_to_velocity, bpm_to_bin, velocity_to_bin};
pub use grammar::{Grammar, GrammarOptions};
pub use vocab::{Token, Vocabulary};

/// Which event vocabulary to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// Bar / position / pitch / velocity / duration tokens.
    Remi,
    /// Note-on / note-off / time-shift / velocity tokens.
    MidiLike,
}

impl std::str::FromStr for Scheme {
    type Err = MusicError;
    fn from_str(s: &str) -> Result<Self, MusicError> {
        match s {
            "remi" => Ok(Scheme::Remi),
            "midi-like" | "midilike" => Ok(Scheme::MidiLike),
            other => Err(MusicError::InvalidConfig(format!(
                "unknown token scheme {other:?} (expected \"remi\" or \"midi-like\")"
            ))),
        }
    }
}

/// The four emotion quadrants of Russell's valence/arousal plane, as EMOPIA labels them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Emotion {
    /// Q1: high valence, high arousal.
    Happy = 1,
    /// Q2: low valence, high arousal.
    Tense = 2,
    /// Q3: low valence, low arousal.
    Sad = 3,
    /// Q4: high valence, low arousal.
    Calm = 4,
}

impl Emotion {
    /// The emotion of quadrant 1–4.
    pub fn from_quadrant(q: u8) -> Option<Emotion> {
        match q {
            1 => Some(Emotion::Happy),
            2 => Some(Emotion::Tense),
            3 => Some(Emotion::Sad),
            4 => Some(Emotion::Calm),
            _ => None,
        }
    }

    /// The emotion of a valence/arousal pair (positive is high).
    pub fn from_valence_arousal(valence: f64, arousal: f64) -> Emotion {
        match (valence >= 0.0, arousal >= 0.0) {
            (true, true) => Emotion::Happy,
            (false, true) => Emotion::Tense,
            (false, false) => Emotion::Sad,
            (true, false) => Emotion::Calm,
        }
    }

    /// The quadrant number, 1–4.
    pub fn quadrant(self) -> u8 {
        self as u8
    }

    /// The words [`from_name`](Self::from_name) knows for each quadrant, the anchor first.
    pub const NAMES: [(Emotion, &'static [&'static str]); 4] = [
        (
            Emotion::Happy,
            &["happy", "q1", "excited", "joyful", "cheerful", "exuberant"],
        ),
        (
            Emotion::Tense,
            &["tense", "q2", "angry", "anxious", "agitated", "fearful"],
        ),
        (
            Emotion::Sad,
            &[
                "sad",
                "q3",
                "melancholic",
                "depressed",
                "gloomy",
                "sorrowful",
            ],
        ),
        (
            Emotion::Calm,
            &["calm", "q4", "relaxed", "peaceful", "serene", "tender"],
        ),
    ];

    /// The emotion a word names (`happy`, `Q3`, `melancholic`, …; case does not matter); an
    /// unknown word is an error that lists the known ones.
    pub fn from_name(name: &str) -> Result<Emotion, MusicError> {
        let word = name.trim().to_lowercase();
        Emotion::NAMES
            .iter()
            .find(|(_, words)| words.contains(&word.as_str()))
            .map(|(e, _)| *e)
            .ok_or_else(|| {
                let known: Vec<String> = Emotion::NAMES
                    .iter()
                    .map(|(e, words)| format!("Q{}: {}", e.quadrant(), words.join(", ")))
                    .collect();
                MusicError::InvalidConfig(format!(
                    "unknown emotion {name:?}; known: {}",
                    known.join("; ")
                ))
            })
    }
}

impl std::str::FromStr for Emotion {
    type Err = MusicError;
    fn from_str(s: &str) -> Result<Self, MusicError> {
        Emotion::from_name(s)
    }
}

/// Every setting of a tokenizer. Saved with the vocabulary, so a model directory can rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenizerConfig {
    /// The event vocabulary.
    pub scheme: Scheme,
    /// The beat grid (default 4 positions per quarter note).
    pub quantize: QuantizeConfig,
    /// Number of velocity bins (default 32, as MidiTok).
    pub velocity_bins: u8,
    /// Longest supported bar, in quarter notes (default 32, enough for the 26/4 bars of some folk
    /// songs); sets the number of `Position` tokens.
    pub max_bar_beats: u32,
    /// Longest single `Duration`/`TimeShift` token, in quarter notes (default 8); longer values use
    /// several tokens.
    pub max_duration_beats: u32,
    /// Number of tempo bins, spaced geometrically between `min_bpm` and `max_bpm` (default 32).
    pub tempo_bins: u8,
    /// Slowest tempo bin, BPM (default 40).
    pub min_bpm: f64,
    /// Fastest tempo bin, BPM (default 250).
    pub max_bpm: f64,
    /// Most tracks a piece may have (default 16).
    pub max_tracks: u8,
    /// Reserved style-control tokens (default 16).
    pub style_tokens: u16,
    /// What of a score is encoded (default: everything; `notes` for classifiers that must not
    /// see tracks, programs, velocities or tempo). Not written when it is the default, so
    /// vocabularies saved before it existed read back equal.
    #[serde(skip_serializing_if = "View::is_full")]
    pub view: View,
    /// Transpose every piece so that its estimated key's tonic is C ([`Score::in_c`]): the mode
    /// then shows in the pitches (E or E♭) whatever key the piece is in (default false; not
    /// written when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub transpose_to_c: bool,
}

/// What of a score a tokenizer encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// Every track, program, velocity and tempo change.
    #[default]
    Full,
    /// [`Score::notes_only`]: one merged track of pitches, onsets and durations.
    Notes,
    /// [`Score::melody_only`]: the track named `MELODY`, else the highest, in bars of four
    /// beats, for melody models trained on multi-track files (the melody GAN's reading).
    Melody,
}

impl TokenizerConfig {
    /// The score as the encoder reads it: its view, moved to C if asked.
    pub fn prepare<'a>(&self, score: &'a Score) -> std::borrow::Cow<'a, Score> {
        let seen = self.view.apply(score);
        if self.transpose_to_c {
            std::borrow::Cow::Owned(seen.in_c())
        } else {
            seen
        }
    }

    /// How many semitones [`prepare`](Self::prepare) moves the score (0 unless the pieces are
    /// read in C): what a continuation must be moved back by to sound in its primer's key.
    pub fn semitones_moved(&self, score: &Score) -> i32 {
        if self.transpose_to_c {
            self.view.apply(score).semitones_to_c()
        } else {
            0
        }
    }
}

impl View {
    /// Whether this is the full view (the default).
    pub fn is_full(&self) -> bool {
        *self == View::Full
    }

    /// The score as this view sees it (see [`TokenizerConfig::prepare`] for the whole reading).
    pub fn apply<'a>(&self, score: &'a Score) -> std::borrow::Cow<'a, Score> {
        match self {
            View::Full => std::borrow::Cow::Borrowed(score),
            View::Notes => std::borrow::Cow::Owned(score.notes_only()),
            View::Melody => std::borrow::Cow::Owned(score.melody_only()),
        }
    }
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            scheme: Scheme::Remi,
            quantize: QuantizeConfig::default(),
            velocity_bins: 32,
            max_bar_beats: 32,
            max_duration_beats: 8,
            tempo_bins: 32,
            min_bpm: 40.0,
            max_bpm: 250.0,
            max_tracks: 16,
            style_tokens: 16,
            view: View::Full,
            transpose_to_c: false,
        }
    }
}

impl TokenizerConfig {
    /// The default settings for a scheme.
    pub fn for_scheme(scheme: Scheme) -> Self {
        TokenizerConfig {
            scheme,
            ..TokenizerConfig::default()
        }
    }

    /// Checks every value.
    pub fn validate(&self) -> Result<(), MusicError> {
        self.quantize.validate()?;
        let bad = |m: String| Err(MusicError::InvalidConfig(m));
        if !(1..=128).contains(&self.velocity_bins) {
            return bad(format!(
                "velocity_bins must be 1–128, got {}",
                self.velocity_bins
            ));
        }
        if !(1..=64).contains(&self.max_bar_beats) {
            return bad(format!(
                "max_bar_beats must be 1–64, got {}",
                self.max_bar_beats
            ));
        }
        if !(1..=64).contains(&self.max_duration_beats) {
            return bad(format!(
                "max_duration_beats must be 1–64, got {}",
                self.max_duration_beats
            ));
        }
        if self.tempo_bins < 2 {
            return bad(format!(
                "tempo_bins must be at least 2, got {}",
                self.tempo_bins
            ));
        }
        if !(self.min_bpm > 0.0 && self.max_bpm > self.min_bpm && self.max_bpm.is_finite()) {
            return bad(format!(
                "need 0 < min_bpm < max_bpm, got {} and {}",
                self.min_bpm, self.max_bpm
            ));
        }
        if self.max_tracks == 0 || self.max_tracks > 64 {
            return bad(format!("max_tracks must be 1–64, got {}", self.max_tracks));
        }
        if self.style_tokens > 1024 {
            return bad(format!(
                "style_tokens must be at most 1024, got {}",
                self.style_tokens
            ));
        }
        Ok(())
    }

    /// Grid steps in the longest bar.
    pub fn max_bar_steps(&self) -> u32 {
        self.max_bar_beats * self.quantize.positions_per_beat
    }

    /// Grid steps of the longest `Duration`/`TimeShift` token.
    pub fn max_duration_steps(&self) -> u32 {
        self.max_duration_beats * self.quantize.positions_per_beat
    }
}

/// A note as the round trip sees it: quantised, with its velocity bin and its track's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CanonicalNote {
    /// Index among the score's non-empty tracks.
    pub track: usize,
    /// Onset in grid steps.
    pub onset: u64,
    /// MIDI pitch.
    pub pitch: u8,
    /// Duration in grid steps.
    pub duration: u64,
    /// Velocity bin.
    pub velocity_bin: u8,
}

/// Encodes scores to token ids and decodes them back.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    config: TokenizerConfig,
    vocab: Vocabulary,
}

impl Tokenizer {
    /// A tokenizer for a validated configuration.
    pub fn new(config: TokenizerConfig) -> Result<Self, MusicError> {
        config.validate()?;
        let vocab = Vocabulary::build(&config);
        Ok(Tokenizer { config, vocab })
    }

    /// Rebuilds the tokenizer a vocabulary was saved from.
    pub fn from_vocabulary(vocab: Vocabulary) -> Result<Self, MusicError> {
        let config = vocab.config().clone();
        config.validate()?;
        Ok(Tokenizer { config, vocab })
    }

    /// The settings.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// The vocabulary (id ↔ token).
    pub fn vocab(&self) -> &Vocabulary {
        &self.vocab
    }

    /// Encodes a score (it is quantised first) as token ids: `BOS`, header, body, `EOS`.
    pub fn encode(&self, score: &Score) -> Result<Vec<u32>, MusicError> {
        let q = self
            .config
            .prepare(score)
            .quantized(&self.config.quantize)?;
        let tracks = self.indexed_tracks(&q)?;
        let tokens = match self.config.scheme {
            Scheme::Remi => remi::encode(&self.config, &q, &tracks)?,
            Scheme::MidiLike => midi_like::encode(&self.config, &q, &tracks)?,
        };
        tokens.into_iter().map(|t| self.vocab.id_of(t)).collect()
    }

    /// Decodes token ids to a score on the grid (`ticks_per_beat == positions_per_beat`).
    /// Padding is skipped and decoding stops at `EOS`; a token the grammar does not allow at its
    /// place is an error naming its index.
    pub fn decode(&self, ids: &[u32]) -> Result<Score, MusicError> {
        let tokens = ids
            .iter()
            .enumerate()
            .map(|(index, &id)| {
                // `ok_or_else`: the message is formatted only for a bad id, not for every token.
                self.vocab
                    .token(id)
                    .ok_or_else(|| MusicError::InvalidTokens {
                        index,
                        reason: format!(
                            "id {id} is outside the vocabulary of {}",
                            self.vocab.len()
                        ),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        match self.config.scheme {
            Scheme::Remi => remi::decode(&self.config, &tokens),
            Scheme::MidiLike => midi_like::decode(&self.config, &tokens),
        }
    }

    /// The notes that a round trip must preserve: the quantised notes of the non-empty tracks with
    /// velocities reduced to bins, sorted.
    pub fn canonical_notes(&self, score: &Score) -> Result<Vec<CanonicalNote>, MusicError> {
        let q = self
            .config
            .prepare(score)
            .quantized(&self.config.quantize)?;
        let mut out = Vec::with_capacity(q.note_count());
        for (track, t) in q.tracks.iter().filter(|t| !t.notes.is_empty()).enumerate() {
            out.extend(t.notes.iter().map(|n| self.canonical(track, n)));
        }
        out.sort_unstable();
        Ok(out)
    }

    fn canonical(&self, track: usize, n: &Note) -> CanonicalNote {
        CanonicalNote {
            track,
            onset: n.onset,
            pitch: n.pitch,
            duration: n.duration,
            velocity_bin: velocity_to_bin(n.velocity, self.config.velocity_bins),
        }
    }

    /// The non-empty tracks with their indices, checked against `max_tracks`.
    fn indexed_tracks<'s>(&self, q: &'s Score) -> Result<Vec<&'s crate::Track>, MusicError> {
        let tracks: Vec<_> = q.tracks.iter().filter(|t| !t.notes.is_empty()).collect();
        if tracks.len() > self.config.max_tracks as usize {
            return Err(MusicError::Unencodable(format!(
                "{} tracks with notes; the vocabulary allows {} (max_tracks)",
                tracks.len(),
                self.config.max_tracks
            )));
        }
        Ok(tracks)
    }
}

/// The header shared by both schemes: `BOS`, then `Track_i Program_p` for each track.
fn header(tracks: &[&crate::Track]) -> Vec<Token> {
    let mut out = vec![Token::Bos];
    for (i, t) in tracks.iter().enumerate() {
        out.push(Token::Track(i as u8));
        out.push(Token::Program(if t.is_drum {
            vocab::DRUMS
        } else {
            t.program
        }));
    }
    out
}

/// Appends tokens of at most `max` each that add up to `total`, or fails, before appending any, when
/// they would take the sequence past its budget.
fn push_split(
    out: &mut Vec<Token>,
    budget: &Budget,
    mut total: u64,
    max: u32,
    make: impl Fn(u32) -> Token,
) -> Result<(), MusicError> {
    let max = max.max(1);
    budget.check(out.len() as u64 + total.div_ceil(max as u64))?;
    while total > 0 {
        let step = total.min(max as u64) as u32;
        out.push(make(step));
        total -= step as u64;
    }
    Ok(())
}

/// Tokens a sequence may always use, whatever its number of notes (65,536).
const BASE_TOKENS: u64 = 1 << 16;
/// Further tokens a sequence may use per note or tempo change (64).
const TOKENS_PER_EVENT: u64 = 64;

/// The most tokens the encoding of a piece may have: [`TOKENS_PER_EVENT`] per note or tempo change
/// plus [`BASE_TOKENS`].
///
/// A note or a tempo change costs a handful of tokens of its own (at most `Track Position Tempo Pitch
/// Velocity Duration` in REMI, `Track Velocity NoteOn … Track NoteOff` and two `TimeShift`s in
/// MIDI-like). Everything else grows with the *time* a piece spans rather than with what it holds: a
/// `Bar` per bar, however empty, and one more `Duration`/`TimeShift` per `max_duration_beats` of a
/// long note or silence. Without a bound proportional to the content, a MIDI file of a few dozen bytes
/// (a note at grid step 2^24 in 1/16 time, or notes held for 2^24 steps) made millions of tokens
/// (hundreds of megabytes, seconds of work). Real music stays far below the bound: over the 9,659
/// files of the shared corpora (EMOPIA, VGMIDI, POP909, Essen) no piece needs more than 5.6 tokens per
/// note and the longest sequence has 16,000 tokens, while a piece of a single note may still start
/// after 60,000 empty bars of 4/4 or last 100,000 bars.
struct Budget {
    /// Notes and tempo changes of the piece.
    events: u64,
    /// The most tokens allowed.
    limit: u64,
}

impl Budget {
    fn new(notes: usize, tempos: usize) -> Self {
        let events = (notes + tempos) as u64;
        Budget {
            events,
            limit: BASE_TOKENS.saturating_add(events.saturating_mul(TOKENS_PER_EVENT)),
        }
    }

    /// Fails when a sequence of `len` tokens would exceed the budget.
    fn check(&self, len: u64) -> Result<(), MusicError> {
        if len <= self.limit {
            return Ok(());
        }
        Err(MusicError::Unencodable(format!(
            "the piece needs more than {} tokens, the limit for its {} notes and tempo changes \
             ({TOKENS_PER_EVENT} per note or tempo change, plus {BASE_TOKENS}): its silences or held \
             notes are too long for what it contains",
            self.limit, self.events
        )))
    }
}

#[cfg(test)]
mod tests;

/// Furthest grid step a piece may reach (16.7 M steps: over a million bars at the default grid);
/// guards against files whose huge delta times would make sequences of billions of tokens.
const MAX_STEPS: u64 = 1 << 24;

fn check_length(q: &Score) -> Result<(), MusicError> {
    let end = q.end_tick();
    if end > MAX_STEPS {
        return Err(MusicError::Unencodable(format!(
            "the piece ends at grid step {end}, past the limit of {MAX_STEPS} steps"
        )));
    }
    Ok(())
}

/// Decoding state shared by both schemes: the header, the tracks and the score being built.
struct DecodeBase {
    score: Score,
    /// Seen BOS or a header/body token.
    started: bool,
    /// The body has begun; header tokens are no longer allowed.
    in_body: bool,
    /// A header `Track` waiting for its `Program`.
    pending_track: Option<u8>,
    /// The track that body notes belong to.
    current_track: u8,
}

/// What the shared part of a decoder did with a token.
enum Shared {
    /// The token was consumed.
    Done,
    /// The sequence ends here.
    End,
    /// The token belongs to the scheme's body.
    Body(Token),
}

impl DecodeBase {
    fn new(config: &TokenizerConfig) -> Self {
        DecodeBase {
            score: Score::new(config.quantize.positions_per_beat),
            started: false,
            in_body: false,
            pending_track: None,
            current_track: 0,
        }
    }

    fn error(index: usize, reason: impl Into<String>) -> MusicError {
        MusicError::InvalidTokens {
            index,
            reason: reason.into(),
        }
    }

    /// Adds a decoded note to `track` (created if needed), with the velocity of its bin.
    fn push_note(
        &mut self,
        cfg: &TokenizerConfig,
        track: u8,
        onset: u64,
        duration: u64,
        pitch: u8,
        bin: u8,
    ) {
        self.ensure_track(track);
        self.score.tracks[track as usize].notes.push(Note {
            onset,
            duration,
            pitch,
            velocity: bin_to_velocity(bin, cfg.velocity_bins),
        });
    }

    fn ensure_track(&mut self, track: u8) {
        while self.score.tracks.len() <= track as usize {
            let n = self.score.tracks.len();
            self.score
                .tracks
                .push(crate::Track::new(format!("Track {n}"), 0));
        }
    }

    /// Handles the tokens that mean the same in both schemes.
    fn step(&mut self, index: usize, token: Token) -> Result<Shared, MusicError> {
        if let Some(track) = self.pending_track {
            let Token::Program(p) = token else {
                return Err(Self::error(
                    index,
                    format!("expected a Program after Track_{track}, found {token}"),
                ));
            };
            let t = &mut self.score.tracks[track as usize];
            t.is_drum = p == vocab::DRUMS;
            t.program = if t.is_drum { 0 } else { p };
            self.pending_track = None;
            return Ok(Shared::Done);
        }
        match token {
            Token::Pad => Ok(Shared::Done),
            Token::Bos if !self.started => {
                self.started = true;
                Ok(Shared::Done)
            }
            Token::Bos => Err(Self::error(index, "BOS after the start of the sequence")),
            Token::Eos => Ok(Shared::End),
            Token::Emotion(_) | Token::Style(_) if !self.in_body => {
                self.started = true;
                Ok(Shared::Done)
            }
            Token::Emotion(_) | Token::Style(_) => Err(Self::error(
                index,
                format!("control token {token} after the header"),
            )),
            // A header declares each track once; naming a declared track again starts the body (a
            // MIDI-like body may begin with a Track token).
            Token::Track(t) if !self.in_body && (t as usize) >= self.score.tracks.len() => {
                self.started = true;
                self.ensure_track(t);
                self.pending_track = Some(t);
                Ok(Shared::Done)
            }
            Token::Track(t) => {
                self.started = true;
                self.in_body = true;
                self.ensure_track(t);
                self.current_track = t;
                Ok(Shared::Done)
            }
            Token::Program(_) => Err(Self::error(
                index,
                "Program outside a header track declaration",
            )),
            Token::Mask => Err(Self::error(index, "MASK cannot be decoded")),
            other => {
                self.started = true;
                self.in_body = true;
                Ok(Shared::Body(other))
            }
        }
    }

    /// Finishes the score: drops trailing empty tracks' order issues and sorts notes.
    fn finish(mut self, index: usize) -> Result<Score, MusicError> {
        if let Some(t) = self.pending_track {
            return Err(Self::error(
                index,
                format!("sequence ends before the Program of Track_{t}"),
            ));
        }
        for t in &mut self.score.tracks {
            t.sort_notes();
        }
        Ok(self.score)
    }
}
