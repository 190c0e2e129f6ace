//! Live generation: an endless stream of bars from a REMI token model, whose controls (emotion,
//! style, temperature, note density, register) change between bars without a restart.
//!
//! A [`LiveSession`] samples one token at a time with its carried model state. When a bar is
//! complete it is decoded with the model's own tokenizer (so a live bar is exactly what the
//! offline decoder would make of it) and returned as [`LiveNote`]s in beats. A change of emotion
//! or style rebuilds the model's context from the new control tokens and the last few bars, so
//! the music goes on from where it was; the same happens every [`REPRIME_BARS`] bars, which keeps
//! the context within the window lengths the model was trained on.

use std::time::Instant;

use burn::tensor::Tensor;
use euterpe_base::SplitMix64;
use euterpe_models::{ModelBackend, Stepwise};
use euterpe_music::tokens::{Grammar, GrammarOptions, Scheme, Token};

use crate::generator::{ModelState, Prefix};
use crate::sampling::{note_bias, sample, time_bias, validate_pitch_shaping};
use crate::{
    EmotionRequest, GenerateError, GenerateOptions, Generator, LoadedGenerator, SamplingConfig,
    StyleBlend,
};

/// Bars of history kept as context when the context is rebuilt.
pub const CONTEXT_BARS: usize = 4;
/// The context is rebuilt from the recent bars this often, controls changed or not.
pub const REPRIME_BARS: usize = 16;
/// Most tokens one bar may take before the session gives up on it.
const MAX_BAR_TOKENS: usize = 2048;

/// What a live stream follows; every field may change between bars.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    /// The emotion, for a model that follows one.
    pub emotion: Option<EmotionRequest>,
    /// The style or blend, for a model that follows one.
    pub style: Option<StyleBlend>,
    /// Temperature, top-k, top-p.
    pub sampling: SamplingConfig,
    /// Classifier-free guidance of emotion and style (1 = off).
    pub guidance: f32,
    /// Note density: 1 leaves the model alone, 2 makes a new note about twice as likely wherever
    /// one may start, 0.5 half as likely (0.25–4).
    pub density: f32,
    /// Centre of the register as a MIDI pitch (e.g. 48 low, 72 high): pitches far from it are
    /// made less likely, by one nat per octave squared. `None`: the model's own register.
    pub register: Option<f32>,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            emotion: None,
            style: None,
            sampling: SamplingConfig::default(),
            guidance: 1.0,
            density: 1.0,
            register: None,
        }
    }
}

impl LiveSettings {
    /// Checks the ranges, naming the first bad setting.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let options = GenerateOptions {
            sampling: self.sampling,
            emotion: self.emotion,
            style: self.style.clone(),
            guidance: self.guidance,
            ..GenerateOptions::default()
        };
        options.validate()?;
        validate_pitch_shaping(self.density, self.register).map_err(GenerateError::InvalidOptions)
    }

    /// Whether changing from `self` to `next` needs the model's context rebuilt (the controls
    /// are in the context; the other settings only shape sampling).
    fn needs_reprime(&self, next: &LiveSettings) -> bool {
        self.emotion != next.emotion || self.style != next.style || self.guidance != next.guidance
    }
}

/// One note of a live bar, in beats from the start of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveNote {
    /// Onset in quarter-note beats since the stream began.
    pub start_beats: f64,
    /// Duration in beats.
    pub duration_beats: f64,
    /// MIDI pitch.
    pub pitch: u8,
    /// MIDI velocity.
    pub velocity: u8,
    /// General MIDI program of its track.
    pub program: u8,
    /// Whether it is percussion (channel 10).
    pub drum: bool,
}

/// A finished bar of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveBar {
    /// 0 for the first bar.
    pub index: usize,
    /// Start of the bar in beats since the stream began.
    pub start_beats: f64,
    /// Length of the bar in beats.
    pub beats: f64,
    /// Its notes, by onset.
    pub notes: Vec<LiveNote>,
}

/// The model's state for one branch (with the controls, or without them for guidance).
struct Branch<B: ModelBackend> {
    log_probs: Tensor<B, 2>,
    state: ModelState<B>,
}

/// An endless, steerable stream of bars from a loaded REMI token model.
pub struct LiveSession<'g, B: ModelBackend> {
    generator: Generator<'g, B>,
    settings: LiveSettings,
    rng: SplitMix64,
    /// The branch with the controls; `None` only for the moment a step moves it.
    cond: Option<Branch<B>>,
    uncond: Option<Branch<B>>,
    grammar: Grammar,
    /// The header tokens (track declarations) the model wrote first.
    header: Vec<u32>,
    /// The finished bars' tokens, newest last (at most [`CONTEXT_BARS`]), each from its `Bar`.
    recent: Vec<Vec<u32>>,
    /// The bar being written, from its `Bar` token.
    current: Vec<u32>,
    /// The time signature in force, as its token.
    time_signature: Option<u32>,
    bars_since_prime: usize,
    next_index: usize,
    next_start: f64,
    bias: Vec<f32>,
    step_seconds: Vec<f32>,
}

impl<B: ModelBackend> LoadedGenerator<B> {
    /// A live stream with these settings; `seed` makes it repeatable.
    pub fn live(
        &self,
        settings: LiveSettings,
        seed: u64,
    ) -> Result<LiveSession<'_, B>, GenerateError> {
        settings.validate()?;
        self.check_controls(settings.emotion.is_some(), settings.style.is_some())?;
        let generator = self.generator();
        if generator.tokenizer.config().scheme != Scheme::Remi {
            return Err(GenerateError::Unsupported(
                "live generation needs a REMI model (bars are its unit)".into(),
            ));
        }
        LiveSession::start(generator, settings, seed)
    }
}

impl<'g, B: ModelBackend> LiveSession<'g, B> {
    fn start(
        generator: Generator<'g, B>,
        settings: LiveSettings,
        seed: u64,
    ) -> Result<Self, GenerateError> {
        let prefix = generator.prefix(&live_options(&settings))?;
        let (cond, uncond) = prime(&generator, &prefix, settings.guidance);
        let grammar = replay(&generator, &prefix.ids)?;
        let mut session = LiveSession {
            bias: Vec::new(),
            generator,
            settings,
            rng: SplitMix64::new(seed),
            cond: Some(cond),
            uncond,
            grammar,
            header: Vec::new(),
            recent: Vec::new(),
            current: Vec::new(),
            time_signature: None,
            bars_since_prime: 0,
            next_index: 0,
            next_start: 0.0,
            step_seconds: Vec::new(),
        };
        session.bias = session.note_bias();
        // The header, up to the first bar's `Bar`.
        let bar = session.id(Token::Bar)?;
        loop {
            let id = session.step()?;
            if id == bar {
                session.current.push(id);
                break;
            }
            session.header.push(id);
            if session.header.len() > MAX_BAR_TOKENS {
                return Err(GenerateError::Unsupported("the model writes no bar".into()));
            }
        }
        Ok(session)
    }

    /// The settings in force.
    pub fn settings(&self) -> &LiveSettings {
        &self.settings
    }

    /// Seconds each sampled token took (model step and sampling), since the stream began.
    pub fn step_seconds(&self) -> &[f32] {
        &self.step_seconds
    }

    /// Changes the settings from the next bar on. New controls rebuild the model's context from
    /// them and the last bars, so the music continues rather than starting over.
    pub fn set(&mut self, settings: LiveSettings) -> Result<(), GenerateError> {
        settings.validate()?;
        let reprime = self.settings.needs_reprime(&settings);
        self.settings = settings;
        self.bias = self.note_bias();
        if reprime {
            self.reprime()?;
        }
        Ok(())
    }

    /// Writes the next bar.
    pub fn next_bar(&mut self) -> Result<LiveBar, GenerateError> {
        let bar = self.id(Token::Bar)?;
        loop {
            let id = self.step()?;
            if id == bar {
                break;
            }
            self.current.push(id);
            if self.current.len() > MAX_BAR_TOKENS {
                return Err(GenerateError::Unsupported("a bar that never ends".into()));
            }
        }
        let finished = std::mem::replace(&mut self.current, vec![bar]);
        let live = self.decode_bar(&finished)?;
        self.remember(finished);
        self.bars_since_prime += 1;
        if self.bars_since_prime >= REPRIME_BARS {
            self.reprime()?;
        }
        Ok(live)
    }

    /// Samples one token, feeds it to the model and returns it.
    fn step(&mut self) -> Result<u32, GenerateError> {
        let started = Instant::now();
        let vocab = self.generator.tokenizer.vocab();
        let mut mask = Vec::with_capacity(vocab.len());
        self.grammar.allowed_mask(vocab, &mut mask);
        let eos = self.id(Token::Eos)? as usize;
        mask[eos] = false;
        let cond: Vec<f32> = match &self.cond {
            Some(b) => b.log_probs.clone().into_data().to_vec().unwrap_or_default(),
            None => {
                return Err(GenerateError::Unsupported(
                    "the stream lost its state".into(),
                ))
            }
        };
        let mut scores = match &self.uncond {
            Some(u) => {
                let free: Vec<f32> = u.log_probs.clone().into_data().to_vec().unwrap_or_default();
                let w = self.settings.guidance;
                cond.iter()
                    .zip(&free)
                    .map(|(&c, &u)| u + w * (c - u))
                    .collect()
            }
            None => cond,
        };
        for (s, b) in scores.iter_mut().zip(&self.bias) {
            *s += b;
        }
        if self.settings.density != 1.0 {
            time_bias(&self.grammar, vocab, self.settings.density, &mut scores);
        }
        let id = sample(&scores, &mask, &self.settings.sampling, &mut self.rng)
            .ok_or_else(|| GenerateError::Unsupported("no token may follow".into()))?;
        let token = vocab
            .token(id)
            .ok_or_else(|| GenerateError::Unsupported(format!("id {id} outside the vocabulary")))?;
        self.grammar.push(token)?;
        self.feed(id);
        self.step_seconds.push(started.elapsed().as_secs_f32());
        Ok(id)
    }

    fn feed(&mut self, id: u32) {
        let ids = self.generator.ids(&[id]);
        if let Some(u) = self.uncond.take() {
            let (log_probs, state) = self.generator.model.step(ids.clone(), u.state);
            self.uncond = Some(Branch { log_probs, state });
        }
        if let Some(c) = self.cond.take() {
            let (log_probs, state) = self.generator.model.step(ids, c.state);
            self.cond = Some(Branch { log_probs, state });
        }
    }

    /// Rebuilds the context: `BOS`, the controls, the header, the last bars, the bar begun.
    fn reprime(&mut self) -> Result<(), GenerateError> {
        let mut prefix = self.generator.prefix(&live_options(&self.settings))?;
        let body: Vec<u32> = self
            .header
            .iter()
            .chain(self.recent.iter().flatten())
            .chain(&self.current)
            .copied()
            .collect();
        prefix.soft.extend(body.iter().map(|_| None));
        prefix.ids.extend(body);
        let (cond, uncond) = prime(&self.generator, &prefix, self.settings.guidance);
        self.grammar = replay(&self.generator, &prefix.ids)?;
        self.cond = Some(cond);
        self.uncond = uncond;
        self.bars_since_prime = 0;
        Ok(())
    }

    /// Keeps a finished bar as context, with the time signature it was in.
    fn remember(&mut self, mut bar: Vec<u32>) {
        let vocab = self.generator.tokenizer.vocab();
        match bar.get(1).and_then(|&id| vocab.token(id)) {
            Some(Token::TimeSig(..)) => self.time_signature = Some(bar[1]),
            _ => {
                if let Some(ts) = self.time_signature {
                    bar.insert(1, ts);
                }
            }
        }
        self.recent.push(bar);
        if self.recent.len() > CONTEXT_BARS {
            self.recent.remove(0);
        }
    }

    /// The notes of a finished bar, through the tokenizer's decoder.
    fn decode_bar(&mut self, bar: &[u32]) -> Result<LiveBar, GenerateError> {
        let vocab = self.generator.tokenizer.vocab();
        let mut ids = vec![self.id(Token::Bos)?];
        ids.extend(&self.header);
        ids.push(bar[0]);
        let has_ts = matches!(
            bar.get(1).and_then(|&id| vocab.token(id)),
            Some(Token::TimeSig(..))
        );
        if !has_ts {
            ids.extend(self.time_signature);
        }
        ids.extend(&bar[1..]);
        let score = self.generator.tokenizer.decode(&ids)?;
        let tpb = score.ticks_per_beat as f64;
        let bar_ticks = score
            .time_signatures
            .first()
            .map_or(4 * score.ticks_per_beat as u64, |ts| {
                ts.bar_ticks(score.ticks_per_beat)
            });
        let start = self.next_start;
        let mut notes: Vec<LiveNote> = score
            .tracks
            .iter()
            .flat_map(|t| {
                t.notes.iter().map(move |n| LiveNote {
                    start_beats: start + n.onset as f64 / tpb,
                    duration_beats: n.duration as f64 / tpb,
                    pitch: n.pitch,
                    velocity: n.velocity,
                    program: t.program,
                    drum: t.is_drum,
                })
            })
            .collect();
        notes.sort_by(|a, b| {
            a.start_beats
                .total_cmp(&b.start_beats)
                .then(a.pitch.cmp(&b.pitch))
        });
        let beats = bar_ticks as f64 / tpb;
        let live = LiveBar {
            index: self.next_index,
            start_beats: start,
            beats,
            notes,
        };
        self.next_index += 1;
        self.next_start += beats;
        Ok(live)
    }

    /// Log-probability added to each token: density and register act on note tokens.
    fn note_bias(&self) -> Vec<f32> {
        note_bias(
            self.generator.tokenizer.vocab(),
            self.settings.density,
            self.settings.register,
        )
    }

    fn id(&self, token: Token) -> Result<u32, GenerateError> {
        Ok(self.generator.tokenizer.vocab().id_of(token)?)
    }
}

/// The options whose prefix a live stream starts from: its controls, no primer; the tempo is
/// the listener's, so the model's tempo tokens are masked.
fn live_options(settings: &LiveSettings) -> GenerateOptions {
    GenerateOptions {
        emotion: settings.emotion,
        style: settings.style.clone(),
        guidance: settings.guidance,
        tempo: Some(120.0),
        ..GenerateOptions::default()
    }
}

/// Feeds a prefix: the conditioned branch, and the branch without controls when guided.
fn prime<B: ModelBackend>(
    generator: &Generator<'_, B>,
    prefix: &Prefix,
    guidance: f32,
) -> (Branch<B>, Option<Branch<B>>) {
    let (log_probs, state) = generator.feed_prefix(prefix, 1);
    let uncond = (guidance > 1.0 && !prefix.controls.is_empty()).then(|| {
        let (log_probs, state) = generator.feed_prefix(&prefix.without_controls(), 1);
        Branch { log_probs, state }
    });
    (Branch { log_probs, state }, uncond)
}

/// The grammar after `ids`, with the model's tempo tokens masked.
fn replay<B: ModelBackend>(
    generator: &Generator<'_, B>,
    ids: &[u32],
) -> Result<Grammar, GenerateError> {
    let vocab = generator.tokenizer.vocab();
    let mut grammar = Grammar::new(
        vocab,
        GrammarOptions {
            allow_tempo: false,
            ..GrammarOptions::default()
        },
    );
    for &id in ids {
        let token = vocab
            .token(id)
            .ok_or_else(|| GenerateError::Unsupported(format!("id {id} outside the vocabulary")))?;
        grammar.push(token)?;
    }
    Ok(grammar)
}

/// A MIDI event of a live stream, in beats since the stream began.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveEvent {
    /// When, in beats.
    pub beat: f64,
    /// Note on (`velocity > 0`) or note off (`velocity == 0`).
    pub velocity: u8,
    /// MIDI pitch.
    pub pitch: u8,
    /// MIDI channel: 9 for drums, else 0.
    pub channel: u8,
}

impl LiveBar {
    /// The bar's notes as note-on and note-off events, in time order (at equal times, note-offs
    /// first, so a repeated pitch is released before it is struck again). Note-offs may fall in
    /// a later bar.
    pub fn events(&self) -> Vec<LiveEvent> {
        let mut events: Vec<LiveEvent> = self
            .notes
            .iter()
            .flat_map(|n| {
                let channel = if n.drum { 9 } else { 0 };
                [
                    LiveEvent {
                        beat: n.start_beats,
                        velocity: n.velocity.max(1),
                        pitch: n.pitch,
                        channel,
                    },
                    LiveEvent {
                        beat: n.start_beats + n.duration_beats,
                        velocity: 0,
                        pitch: n.pitch,
                        channel,
                    },
                ]
            })
            .collect();
        events.sort_by(|a, b| {
            a.beat
                .total_cmp(&b.beat)
                .then((a.velocity > 0).cmp(&(b.velocity > 0)))
        });
        events
    }
}
