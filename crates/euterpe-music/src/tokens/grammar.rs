//! The grammar of a vocabulary as an incremental state machine: which tokens may come next.
//!
//! Generation masks every token that [`Grammar::allows`] rejects, so a sampled sequence always
//! decodes. The grammar accepts every sequence the encoder writes (so a primer can be fed through
//! it); the generation-only constraints of [`GrammarOptions`] apply to [`Grammar::allows`] and
//! [`Grammar::allowed_mask`], not to [`Grammar::push`].

use super::{Scheme, Token, TokenizerConfig, Vocabulary};
use crate::MusicError;

/// Extra constraints for generated sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrammarOptions {
    /// Every bar must hold at least one note before the next bar (or the end) may begin.
    pub require_notes_in_bar: bool,
    /// Whether `Tempo` tokens may be generated (off when the user fixes the tempo).
    pub allow_tempo: bool,
    /// Whether `TimeSig` tokens may be generated.
    pub allow_time_signature: bool,
    /// Most notes that may sound at once in MIDI-like sequences (bounds runaway note-ons).
    pub max_open_notes: usize,
    /// REMI: the meter `(numerator, denominator)` every bar keeps. The first bar must declare it
    /// (the encoder writes a `TimeSig` after the first `Bar`, so the model has seen pieces open
    /// this way) and no later `TimeSig` may change it, so every bar has its length.
    pub time_signature: Option<(u8, u8)>,
}

impl Default for GrammarOptions {
    fn default() -> Self {
        GrammarOptions {
            require_notes_in_bar: true,
            allow_tempo: true,
            allow_time_signature: true,
            max_open_notes: 16,
            time_signature: None,
        }
    }
}

/// Where a sequence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing yet: only `BOS`.
    Start,
    /// In the header: controls, track declarations or the first body token.
    Header,
    /// A header `Track` waits for its `Program`.
    PendingProgram,
    /// REMI: just after `Bar`.
    AfterBar,
    /// REMI: just after `TimeSig`.
    AfterTimeSig,
    /// REMI: just after `Position`.
    AfterPosition,
    /// REMI: just after a `Tempo` at a position.
    AfterTempo,
    /// REMI: just after a body `Track`.
    AfterTrack,
    /// REMI: a note's `Pitch` waits for its `Velocity`.
    AfterPitch,
    /// REMI: a note's `Velocity` waits for its `Duration`.
    AfterVelocity,
    /// REMI: after a note's `Duration` token of this many steps.
    AfterDuration(u32),
    /// MIDI-like: in the body.
    Body,
    /// After `EOS`.
    Ended,
}

/// The incremental grammar of one vocabulary.
#[derive(Debug, Clone)]
pub struct Grammar {
    config: TokenizerConfig,
    options: GrammarOptions,
    phase: Phase,
    /// Tracks declared in the header.
    tracks: u8,
    /// The body track that notes belong to.
    track: u8,
    /// Bars begun (REMI `Bar` tokens, or MIDI-like bars of four beats reached).
    bars: usize,
    /// Steps in the current bar (REMI).
    bar_steps: u64,
    /// Grid step where the current bar starts.
    bar_start: u64,
    /// Current position within the bar (REMI), once a `Position` was given.
    position: Option<u32>,
    /// Current time in grid steps (MIDI-like).
    now: u64,
    /// Notes started in the current bar.
    notes_in_bar: usize,
    /// Notes started in all.
    notes: usize,
    /// Sounding (track, pitch) pairs, MIDI-like.
    open: Vec<(u8, u8)>,
}

impl Grammar {
    /// The grammar of `vocab` with the given generation constraints.
    pub fn new(vocab: &Vocabulary, options: GrammarOptions) -> Self {
        let config = vocab.config().clone();
        let bar_steps = 4 * config.quantize.positions_per_beat as u64;
        Grammar {
            config,
            options,
            phase: Phase::Start,
            tracks: 0,
            track: 0,
            bars: 0,
            bar_steps,
            bar_start: 0,
            position: None,
            now: 0,
            notes_in_bar: 0,
            notes: 0,
            open: Vec::new(),
        }
    }

    /// Grid steps from the current onset (REMI: the last `Position`, or the bar's start) to
    /// where `token` would put the next one: a later `Position`, a `Bar` (the rest of the bar),
    /// a MIDI-like `TimeShift`; `None` for tokens that do not move time.
    pub fn steps_ahead(&self, token: Token) -> Option<u64> {
        let now = u64::from(self.position.unwrap_or(0));
        match token {
            Token::Position(p) => Some(u64::from(p).saturating_sub(now)),
            Token::Bar if self.bars > 0 => Some(self.bar_steps.saturating_sub(now)),
            Token::TimeShift(s) => Some(u64::from(s)),
            _ => None,
        }
    }

    /// Bars begun so far.
    pub fn bars(&self) -> usize {
        self.bars
    }

    /// Notes started so far.
    pub fn notes(&self) -> usize {
        self.notes
    }

    /// Notes started in the current bar.
    pub fn notes_in_bar(&self) -> usize {
        self.notes_in_bar
    }

    /// Tracks declared in the header.
    pub fn tracks(&self) -> u8 {
        self.tracks
    }

    /// Whether the sequence has reached `EOS`.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Ended
    }

    /// Whether a note is half-written (REMI), so the sequence cannot stop here.
    pub fn inside_note(&self) -> bool {
        matches!(
            self.phase,
            Phase::PendingProgram | Phase::AfterPitch | Phase::AfterVelocity | Phase::AfterTrack
        )
    }

    /// Whether the next token would be the start of a new bar if it were `Bar` (REMI) or a time
    /// shift across a bar line (MIDI-like) — the natural place to stop a piece of whole bars.
    pub fn at_bar_boundary_candidate(&self) -> bool {
        !self.inside_note() && self.phase != Phase::Start && self.phase != Phase::Ended
    }

    /// Whether `token` may come next in a generated sequence: the structure, plus the options.
    pub fn allows(&self, token: Token) -> bool {
        self.structurally_allows(token) && self.options_allow(token)
    }

    /// Fills `mask[id]` with [`allows`](Self::allows) for every id of `vocab`.
    pub fn allowed_mask(&self, vocab: &Vocabulary, mask: &mut Vec<bool>) {
        mask.clear();
        mask.extend(vocab.tokens().iter().map(|&t| self.allows(t)));
    }

    /// Advances past `token`, or explains why the grammar does not accept it here. Generation-only
    /// constraints are not checked, so any sequence the encoder writes is accepted.
    pub fn push(&mut self, token: Token) -> Result<(), MusicError> {
        if token == Token::Pad {
            return Ok(());
        }
        if !self.structurally_allows(token) {
            return Err(MusicError::InvalidTokens {
                index: 0,
                reason: format!("{token} is not allowed after {:?}", self.phase),
            });
        }
        self.advance(token);
        Ok(())
    }

    fn remi(&self) -> bool {
        self.config.scheme == Scheme::Remi
    }

    fn options_allow(&self, token: Token) -> bool {
        let o = &self.options;
        if let Some((n, d)) = o.time_signature {
            // The first bar declares the meter before anything else.
            if self.phase == Phase::AfterBar && self.bars == 1 {
                return token == Token::TimeSig(n, d);
            }
        }
        match token {
            Token::Tempo(_) => o.allow_tempo,
            Token::TimeSig(..) if o.time_signature.is_some() => false,
            Token::TimeSig(..) => o.allow_time_signature,
            // Header controls are set by the caller, never sampled.
            Token::Emotion(_) | Token::Style(_) | Token::Pad | Token::Mask | Token::Bos => false,
            // The first bar ends the header; every later one needs a note before it.
            Token::Bar if o.require_notes_in_bar => self.bars == 0 || self.notes_in_bar > 0,
            Token::Eos => self.notes > 0 && (!o.require_notes_in_bar || self.notes_in_bar > 0),
            // An empty bar may not be left behind.
            Token::TimeShift(s) if o.require_notes_in_bar && self.notes_in_bar == 0 => {
                self.now + (s as u64) < self.bar_start + self.bar_steps
            }
            Token::NoteOn(_) => self.open.len() < o.max_open_notes,
            _ => true,
        }
    }

    fn structurally_allows(&self, token: Token) -> bool {
        use Phase::*;
        let declared = |t: u8| t < self.tracks;
        match (self.phase, token) {
            (_, Token::Pad) => true,
            (Start, t) => matches!(t, Token::Bos),
            (Ended, _) => false,
            (PendingProgram, t) => matches!(t, Token::Program(_)),
            (Header, Token::Emotion(_) | Token::Style(_)) => self.tracks == 0,
            (Header, Token::Track(t)) if t == self.tracks && t < self.config.max_tracks => true,
            (Header, t) if self.remi() => matches!(t, Token::Bar),
            (Header, t) | (Body, t) => self.midi_like_allows(t),
            (AfterBar, Token::TimeSig(n, d)) => {
                crate::score::TimeSignature {
                    tick: 0,
                    numerator: n,
                    denominator: d,
                }
                .bar_ticks(self.config.quantize.positions_per_beat)
                    <= self.config.max_bar_steps() as u64
            }
            (AfterBar | AfterTimeSig, t) => self.position_allowed(t) || self.can_close_bar(t),
            (AfterPosition, t) => {
                matches!(t, Token::Tempo(_) | Token::Pitch(_))
                    || matches!(t, Token::Track(x) if declared(x))
            }
            (AfterTempo, t) => {
                matches!(t, Token::Pitch(_))
                    || matches!(t, Token::Track(x) if declared(x))
                    || self.position_allowed(t)
                    || self.can_close_bar(t)
            }
            (AfterTrack, t) => matches!(t, Token::Pitch(_)),
            (AfterPitch, t) => matches!(t, Token::Velocity(_)),
            (AfterVelocity, t) => matches!(t, Token::Duration(_)),
            (AfterDuration(last), t) => match t {
                Token::Duration(_) => last == self.config.max_duration_steps(),
                Token::Pitch(_) => true,
                Token::Track(x) => declared(x),
                t => self.position_allowed(t) || self.can_close_bar(t),
            },
        }
    }

    /// A `Position` later than the current one, inside the bar.
    fn position_allowed(&self, token: Token) -> bool {
        match token {
            Token::Position(p) => {
                (p as u64) < self.bar_steps && self.position.is_none_or(|cur| p > cur)
            }
            _ => false,
        }
    }

    fn can_close_bar(&self, token: Token) -> bool {
        matches!(token, Token::Bar | Token::Eos)
    }

    fn midi_like_allows(&self, token: Token) -> bool {
        match token {
            Token::TimeShift(_) | Token::Velocity(_) | Token::Tempo(_) => true,
            // The encoder closes a note before it restarts its pitch.
            Token::NoteOn(p) => !self.open.contains(&(self.track, p)),
            Token::Eos => true,
            Token::Track(t) => t < self.tracks,
            Token::NoteOff(p) => self.open.contains(&(self.track, p)),
            _ => false,
        }
    }

    fn advance(&mut self, token: Token) {
        use Phase::*;
        if token == Token::Eos {
            self.phase = Ended;
            return;
        }
        match (self.phase, token) {
            (Start, _) => self.phase = Header,
            (Header, Token::Emotion(_) | Token::Style(_)) => {}
            (Header, Token::Track(t)) if t == self.tracks => self.phase = PendingProgram,
            (PendingProgram, _) => {
                self.tracks += 1;
                self.phase = Header;
            }
            (_, Token::Bar) => {
                self.bar_start += if self.bars == 0 { 0 } else { self.bar_steps };
                self.bars += 1;
                self.position = None;
                self.notes_in_bar = 0;
                self.phase = AfterBar;
            }
            (_, Token::TimeSig(n, d)) => {
                self.bar_steps = crate::score::TimeSignature {
                    tick: 0,
                    numerator: n,
                    denominator: d,
                }
                .bar_ticks(self.config.quantize.positions_per_beat);
                self.phase = AfterTimeSig;
            }
            (_, Token::Position(p)) => {
                self.position = Some(p);
                self.phase = AfterPosition;
            }
            (AfterPosition, Token::Tempo(_)) => self.phase = AfterTempo,
            (_, Token::Track(t)) if self.remi() => {
                self.track = t;
                self.phase = AfterTrack;
            }
            (_, Token::Pitch(_)) => {
                self.notes += 1;
                self.notes_in_bar += 1;
                self.phase = AfterPitch;
            }
            (_, Token::Velocity(_)) if self.remi() => self.phase = AfterVelocity,
            (_, Token::Duration(d)) => self.phase = AfterDuration(d),
            (_, t) => self.advance_midi_like(t),
        }
    }

    fn advance_midi_like(&mut self, token: Token) {
        self.phase = Phase::Body;
        if self.bars == 0 {
            self.bars = 1;
        }
        match token {
            Token::TimeShift(s) => {
                self.now += s as u64;
                while self.now >= self.bar_start + self.bar_steps {
                    self.bar_start += self.bar_steps;
                    self.bars += 1;
                    self.notes_in_bar = 0;
                }
            }
            Token::Track(t) => self.track = t,
            Token::NoteOn(p) => {
                self.notes += 1;
                self.notes_in_bar += 1;
                if !self.open.contains(&(self.track, p)) {
                    self.open.push((self.track, p));
                }
            }
            Token::NoteOff(p) => self.open.retain(|&x| x != (self.track, p)),
            _ => {}
        }
    }
}
