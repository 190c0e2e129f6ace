//! The generation loop: a token model stepped one token at a time with its carried state, every
//! step masked by the vocabulary's grammar so the output always decodes.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use euterpe_base::rng::GOLDEN_GAMMA;
use euterpe_base::SplitMix64;
use euterpe_data::Condition;
use euterpe_models::{ModelBackend, Stepwise, TokenLm};
use euterpe_music::score::Score;
use euterpe_music::tokens::{Grammar, GrammarOptions, Token, Tokenizer};

use crate::controls::{ControlLayout, EmotionRequest, KeyTarget, StyleBlend};

use crate::sampling::{note_bias, sample, time_bias, validate_pitch_shaping, SamplingConfig};
use crate::score_util::{apply_program, apply_tempo, rescale, DEFAULT_BPM, OUTPUT_TICKS_PER_BEAT};
use crate::GenerateError;

/// How much music to write after the primer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    /// Whole bars.
    Bars(usize),
    /// Seconds, rounded up to whole bars (of 4/4, or of the meter asked for) at the piece's
    /// tempo.
    Seconds(f64),
}

/// Every setting of one generation request.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Length of the new music (after the primer).
    pub length: Length,
    /// Temperature, top-k and top-p.
    pub sampling: SamplingConfig,
    /// Beam search with this many beams instead of sampling (`None`: sample).
    pub beam: Option<usize>,
    /// Seed of the sampler: the same seed gives the same output.
    pub seed: u64,
    /// How many pieces to write (sampled together as one batch).
    pub num_outputs: usize,
    /// Music to continue; the output starts with it.
    pub primer: Option<Score>,
    /// Fixed tempo in BPM (the model's tempo tokens are then masked).
    pub tempo: Option<f64>,
    /// General MIDI program for every melodic track.
    pub program: Option<u8>,
    /// Most new tokens per piece (`None`: 256 per bar).
    pub max_tokens: Option<usize>,
    /// The emotion to play in, for models trained with emotion conditioning: its control token
    /// (or mix of them) follows `BOS`.
    pub emotion: Option<EmotionRequest>,
    /// The style or blend of styles, for models trained with style conditioning.
    pub style: Option<StyleBlend>,
    /// Classifier-free guidance of the controls: each step samples from
    /// `uncond + guidance × (cond − uncond)` in log-probabilities, where `uncond` is the model
    /// without the controls asked for (a style the model chose for an emotion asked without
    /// one stays); 1 = off (default), above 1 follows the controls more
    /// strongly. Sampling only (not with beam search).
    pub guidance: f32,
    /// Give up at this instant with [`GenerateError::TimedOut`] (a server's request timeout), so
    /// that no work goes on for a client that stopped waiting.
    pub deadline: Option<std::time::Instant>,
    /// The key to write in: each piece is moved (at most six semitones) so that its estimated
    /// key is this one, or its relative major or minor when the model wrote the other mode.
    /// Not with a primer (the user's music keeps its key).
    pub key: Option<KeyTarget>,
    /// The meter `(numerator, denominator)` to write in: the first bar declares it and every
    /// bar keeps it (REMI models, whose vocabulary holds the time signature). Not with a primer.
    pub meter: Option<(u8, u8)>,
    /// Notes this many times as often as the model would write them (a factor on every
    /// `Pitch` token's probability; 1 = as the model plays, range [0.25, 4]). Sampling only.
    pub density: f32,
    /// A MIDI pitch the notes gather around (their log-probability falls with the squared
    /// distance in octaves); `None`: the model's own register. Sampling only.
    pub register: Option<f32>,
    /// With an emotion and no key: keep, of [`MODE_CANDIDATES`] sampled pieces, the first
    /// written in the mode of the emotion's valence (major pleasant, minor unpleasant). On by
    /// default; sampling only.
    pub emotion_mode: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            length: Length::Bars(16),
            sampling: SamplingConfig::default(),
            beam: None,
            seed: 0,
            num_outputs: 1,
            primer: None,
            tempo: None,
            program: None,
            max_tokens: None,
            emotion: None,
            style: None,
            guidance: 1.0,
            deadline: None,
            key: None,
            meter: None,
            density: 1.0,
            register: None,
            emotion_mode: true,
        }
    }
}

impl GenerateOptions {
    /// Checks the ranges, naming the first bad option.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::InvalidOptions(m));
        match self.length {
            Length::Bars(0) => return bad("--bars must be at least 1".into()),
            Length::Bars(n) if n > 10_000 => return bad(format!("--bars {n} is over 10000")),
            Length::Seconds(s) if !(s.is_finite() && s > 0.0 && s <= 36_000.0) => {
                return bad(format!("--seconds must be in (0, 36000], got {s}"))
            }
            _ => {}
        }
        self.sampling
            .validate()
            .map_err(GenerateError::InvalidOptions)?;
        if self.beam == Some(0) {
            return bad("--beam must be at least 1".into());
        }
        if !(1..=256).contains(&self.num_outputs) {
            return bad(format!(
                "--num-outputs must be 1–256, got {}",
                self.num_outputs
            ));
        }
        if let Some(b) = self.beam {
            if self.num_outputs > b {
                return bad(format!(
                    "--num-outputs {} is more than the {b} beams",
                    self.num_outputs
                ));
            }
        }
        if let Some(t) = self.tempo {
            if !(t.is_finite() && (10.0..=1000.0).contains(&t)) {
                return bad(format!("--tempo must be 10–1000 BPM, got {t}"));
            }
        }
        if self.program.is_some_and(|p| p > 127) {
            return bad("--program must be 0–127".into());
        }
        if let Some(e) = &self.emotion {
            e.validate()?;
        }
        if !(self.guidance.is_finite() && (1.0..=10.0).contains(&self.guidance)) {
            return bad(format!(
                "--guidance must be in [1, 10], got {}",
                self.guidance
            ));
        }
        if self.guidance > 1.0 && self.emotion.is_none() && self.style.is_none() {
            return bad(
                "--guidance needs --emotion, --valence/--arousal or --style to follow".into(),
            );
        }
        if let Some(k) = self.key {
            if k.tonic > 11 {
                return bad(format!(
                    "--key: tonic {} is not a pitch class 0–11",
                    k.tonic
                ));
            }
            if self.primer.is_some() {
                return bad("--key cannot move a primer's music; leave one of them out".into());
            }
        }
        if let Some((n, d)) = self.meter {
            if !(1..=32).contains(&n) || !matches!(d, 1 | 2 | 4 | 8 | 16 | 32) {
                return bad(format!(
                    "--meter {n}/{d}: the numerator must be 1–32 and the denominator 1, 2, 4, 8, 16 or 32"
                ));
            }
            if self.primer.is_some() {
                return bad("--meter cannot change a primer's bars; leave one of them out".into());
            }
        }
        validate_pitch_shaping(self.density, self.register)
            .map_err(|m| GenerateError::InvalidOptions(format!("--{m}")))?;
        if self.beam.is_some() && (self.density != 1.0 || self.register.is_some()) {
            return bad("--density and --register shape sampling, not --beam".into());
        }
        if self.guidance > 1.0 && self.beam.is_some() {
            return bad("--guidance works with sampling, not with --beam".into());
        }
        Ok(())
    }

    /// The density sampled with: the one asked, else (with `emotion_mode`) the emotion's
    /// arousal as `2^(AROUSAL_DENSITY × arousal)` — energetic music has more notes.
    pub fn effective_density(&self) -> f32 {
        match self.emotion {
            Some(e) if self.density == 1.0 && self.emotion_mode && self.beam.is_none() => {
                let (_, arousal) = e.valence_arousal();
                2f32.powf(AROUSAL_DENSITY * arousal as f32)
            }
            _ => self.density,
        }
    }

    /// The mode the pieces should be in: the key's, else the emotion's (with `emotion_mode`).
    fn wanted_mode(&self) -> Option<bool> {
        match self.key {
            Some(k) => k.minor,
            None if self.emotion_mode => self.emotion.and_then(|e| e.mode_minor()),
            None => None,
        }
    }

    /// Bars to generate after the primer.
    fn bars(&self) -> usize {
        match self.length {
            Length::Bars(n) => n,
            Length::Seconds(s) => {
                let beats = s * self.tempo.unwrap_or(DEFAULT_BPM) / 60.0;
                // Quarter-note beats per bar: 4 in common time, else the meter's.
                let bar = self
                    .meter
                    .map_or(4.0, |(n, d)| f64::from(n) * 4.0 / f64::from(d));
                (beats / bar).ceil().max(1.0) as usize
            }
        }
    }
}

/// How strongly an emotion's arousal sets the note density (see
/// [`GenerateOptions::effective_density`]).
pub const AROUSAL_DENSITY: f32 = 0.3;

/// Pieces sampled per output when a mode is asked for (a key's, or an emotion's): the one that
/// sounds most clearly in that mode is kept (the model chooses the mode; moving a piece only
/// reaches the tonic).
pub const MODE_CANDIDATES: usize = 8;

/// One generated piece.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The whole token sequence: the prefix (BOS, header, primer), the new tokens, then EOS.
    pub ids: Vec<u32>,
    /// How many of `ids` the model wrote.
    pub new_tokens: usize,
    /// The summed log-probability of the new tokens under the model (before temperature).
    pub log_prob: f64,
    /// The piece, at [`OUTPUT_TICKS_PER_BEAT`], with the tempo and program applied.
    pub score: Score,
    /// The style the model chose for an emotion asked without one (see
    /// [`Generator::generate`]); `None` when a style was asked or the model follows none.
    pub chosen_style: Option<String>,
}

/// The carried state of a token model between steps.
pub(crate) type ModelState<B> = <TokenLm<B> as Stepwise<B>>::State;

/// Generates music with a token model.
pub struct Generator<'m, B: Backend> {
    pub(crate) model: &'m TokenLm<B>,
    pub(crate) tokenizer: &'m Tokenizer,
    layout: ControlLayout,
    device: B::Device,
}

/// The tokens fed before the first new one: `BOS`, the control positions, the primer. A soft
/// control position (a blend) is fed as its mix of embeddings; `ids` records its heaviest token.
pub(crate) struct Prefix {
    pub(crate) ids: Vec<u32>,
    pub(crate) soft: Vec<Option<Vec<(u32, f32)>>>,
    /// Positions of the control tokens.
    pub(crate) controls: Vec<usize>,
    /// Styles the model chose, one per piece: row `r` reads `ids[r % ids.len()]` at `at`.
    pub(crate) chosen: Option<ChosenStyles>,
}

/// The styles a model chose for the pieces of one request (see [`Generator::chosen_styles`]).
#[derive(Clone)]
pub(crate) struct ChosenStyles {
    /// The style's position in the prefix.
    at: usize,
    /// The style token of each piece.
    ids: Vec<u32>,
    /// The style of each piece.
    names: Vec<String>,
}

impl ChosenStyles {
    /// The style of row `row` (candidates of one piece share it).
    fn name(&self, row: usize) -> &str {
        &self.names[row % self.names.len()]
    }
}

impl Prefix {
    /// The prefix without the controls asked for: what guidance contrasts with. A style the
    /// model chose stays in both branches, so that guidance strengthens what was asked and
    /// not the model's own choice.
    pub(crate) fn without_controls(&self) -> Prefix {
        let chosen_at = self.chosen.as_ref().map(|c| c.at);
        let kept: Vec<usize> = (0..self.ids.len())
            .filter(|i| !self.controls.contains(i) || Some(*i) == chosen_at)
            .collect();
        let chosen = self.chosen.as_ref().and_then(|c| {
            Some(ChosenStyles {
                at: kept.iter().position(|&i| i == c.at)?,
                ids: c.ids.clone(),
                names: c.names.clone(),
            })
        });
        Prefix {
            ids: kept.iter().map(|&i| self.ids[i]).collect(),
            soft: kept.iter().map(|&i| self.soft[i].clone()).collect(),
            controls: Vec::new(),
            chosen,
        }
    }

    /// The id row `row` reads at position `i`.
    fn id(&self, i: usize, row: usize) -> u32 {
        match &self.chosen {
            Some(c) if c.at == i => c.ids[row % c.ids.len()],
            _ => self.ids[i],
        }
    }

    /// The whole prefix of row `row`.
    fn row_ids(&self, row: usize) -> Vec<u32> {
        (0..self.ids.len()).map(|i| self.id(i, row)).collect()
    }
}

/// One row of the batch being written.
#[derive(Clone)]
struct Row {
    grammar: Grammar,
    new: Vec<u32>,
    log_prob: f64,
    done: bool,
}

impl<'m, B: ModelBackend> Generator<'m, B> {
    /// A generator over a model and the tokenizer of its vocabulary, for a model without
    /// control tokens (see [`with_layout`](Self::with_layout)).
    pub fn new(model: &'m TokenLm<B>, tokenizer: &'m Tokenizer, device: B::Device) -> Self {
        Generator {
            model,
            tokenizer,
            layout: ControlLayout::default(),
            device,
        }
    }

    /// The generator for a model that reads control tokens as `layout` says.
    pub fn with_layout(mut self, layout: ControlLayout) -> Self {
        self.layout = layout;
        self
    }

    /// Writes `options.num_outputs` pieces.
    pub fn generate(&self, options: &GenerateOptions) -> Result<Vec<Generated>, GenerateError> {
        options.validate()?;
        if self.tokenizer.vocab().len() != self.model.vocab() {
            return Err(GenerateError::Unsupported(format!(
                "the model has {} outputs but its vocabulary {} tokens",
                self.model.vocab(),
                self.tokenizer.vocab().len()
            )));
        }
        let prefix = self.prefix(options)?;
        let grammar = self.prefix_grammar(&prefix.ids, options)?;
        let budget = self.token_budget(options, prefix.ids.len())?;
        let target_bars = grammar.bars() + options.bars();
        let n = options.num_outputs;
        let wanted = options.wanted_mode();
        let candidates = match (wanted, options.beam) {
            (Some(_), None) => MODE_CANDIDATES.min(256 / n).max(1),
            _ => 1,
        };
        let rows = match options.beam {
            Some(width) => self.beam_search(&prefix, grammar, width, target_bars, budget, options),
            None => {
                let widened = GenerateOptions {
                    num_outputs: n * candidates,
                    ..options.clone()
                };
                self.sample_rows(&prefix, grammar, target_bars, budget, &widened)
            }
        };
        if past(options.deadline) {
            return Err(GenerateError::TimedOut);
        }
        // A model that reads its pieces in C read the primer moved there: its continuation
        // goes back to the primer's key.
        let back = options
            .primer
            .as_ref()
            .map_or(0, |p| -self.tokenizer.config().semitones_moved(p));
        let mut pieces: Vec<Generated> = rows
            .into_iter()
            .enumerate()
            .map(|(r, row)| {
                let mut piece = self.finish(&prefix.row_ids(r), row, back, options)?;
                piece.chosen_style = prefix.chosen.as_ref().map(|c| c.name(r).to_string());
                Ok(piece)
            })
            .collect::<Result<_, GenerateError>>()?;
        if candidates == 1 {
            return Ok(pieces);
        }
        // Piece j's candidates are rows j, j + n, j + 2n, …; the one that sounds most clearly
        // in the mode asked is kept (row j, what one row would have given, on a tie).
        let sign = if wanted == Some(true) { 1.0 } else { -1.0 };
        let clarity = |i: usize| {
            pieces[i]
                .score
                .minor_margin()
                .map_or(f64::MIN, |m| sign * m)
        };
        let picks: Vec<usize> = (0..n)
            .map(|j| {
                (0..candidates).map(|c| j + c * n).fold(j, |best, i| {
                    if clarity(i) > clarity(best) {
                        i
                    } else {
                        best
                    }
                })
            })
            .collect();
        let mut slots: Vec<Option<Generated>> = pieces.drain(..).map(Some).collect();
        Ok(picks.into_iter().filter_map(|i| slots[i].take()).collect())
    }

    /// BOS, the control positions of the emotion and style asked for (or chosen, see
    /// [`chosen_styles`](Self::chosen_styles)), then the primer's tokens without their EOS.
    pub(crate) fn prefix(&self, options: &GenerateOptions) -> Result<Prefix, GenerateError> {
        let Some(chosen) = self.chosen_styles(options)? else {
            return self.prefix_with(options, options.style.as_ref());
        };
        let first = StyleBlend::new(vec![(chosen.names[0].clone(), 1.0)])?;
        let mut prefix = self.prefix_with(options, Some(&first))?;
        prefix.chosen = Some(chosen);
        Ok(prefix)
    }

    /// The styles the model chooses for an emotion asked without one, one per piece, sampled
    /// (seeded by the request's seed) from its own next-token distribution over its styles
    /// after the emotion. A model trained with both controls saw a style after almost every
    /// emotion (every one without `data.condition_dropout`), so the music it learnt best
    /// follows both; guidance then strengthens the emotion alone (see
    /// [`Prefix::without_controls`]). `None` when a style was
    /// asked, no emotion was, or the model follows no style.
    fn chosen_styles(
        &self,
        options: &GenerateOptions,
    ) -> Result<Option<ChosenStyles>, GenerateError> {
        if options.style.is_some()
            || options.emotion.is_none()
            || !self.layout.follows(Condition::Style)
        {
            return Ok(None);
        }
        let asked = self.prefix_with(options, None)?;
        // The style's position: after BOS and the asked controls that come before it.
        let before = self
            .layout
            .conditions
            .iter()
            .take_while(|c| **c != Condition::Style)
            .count();
        let upto = (1 + before).min(asked.ids.len());
        let head = Prefix {
            ids: asked.ids[..upto].to_vec(),
            soft: asked.soft[..upto].to_vec(),
            controls: Vec::new(),
            chosen: None,
        };
        let (log_probs, _) = self.feed_prefix(&head, 1);
        let lp: Vec<f32> = log_probs.into_data().to_vec().unwrap_or_default();
        let vocab = self.tokenizer.vocab();
        let style_ids = (0..self.layout.styles.len())
            .map(|slot| vocab.id_of(Token::Style(slot as u16)))
            .collect::<Result<Vec<u32>, _>>()?;
        // The model's own distribution over its styles: temperature 1, whatever the request
        // samples the music with.
        let scores: Vec<f32> = style_ids
            .iter()
            .map(|&id| lp.get(id as usize).copied().unwrap_or(f32::NEG_INFINITY))
            .collect();
        let every = vec![true; scores.len()];
        let mut rng = SplitMix64::new(options.seed ^ STYLE_CHOICE_STREAM);
        let slots: Option<Vec<usize>> = (0..options.num_outputs.max(1))
            .map(|_| sample(&scores, &every, &SamplingConfig::default(), &mut rng))
            .map(|slot| slot.map(|s| s as usize))
            .collect();
        let Some(slots) = slots else {
            return Ok(None);
        };
        Ok(Some(ChosenStyles {
            at: upto,
            ids: slots.iter().map(|&slot| style_ids[slot]).collect(),
            names: slots
                .iter()
                .map(|&slot| self.layout.styles[slot].clone())
                .collect(),
        }))
    }

    /// [`prefix`](Self::prefix) with `style` in place of the options' style.
    fn prefix_with(
        &self,
        options: &GenerateOptions,
        style: Option<&StyleBlend>,
    ) -> Result<Prefix, GenerateError> {
        let vocab = self.tokenizer.vocab();
        let mut ids = self.primer_prefix(options)?;
        let mut soft = vec![None; ids.len()];
        let mixes = self.layout.mixes(options.emotion.as_ref(), style)?;
        for (i, mix) in mixes.iter().enumerate() {
            let at = (1 + i).min(ids.len());
            ids.insert(at, vocab.id_of(mix.main_token())?);
            let weights = if mix.is_plain() {
                None
            } else {
                Some(
                    mix.0
                        .iter()
                        .map(|&(t, w)| Ok((vocab.id_of(t)?, w)))
                        .collect::<Result<Vec<_>, GenerateError>>()?,
                )
            };
            soft.insert(at, weights);
        }
        let controls = (1..=mixes.len()).filter(|&i| i < ids.len()).collect();
        Ok(Prefix {
            ids,
            soft,
            controls,
            chosen: None,
        })
    }

    /// BOS, or the primer's tokens without their EOS.
    fn primer_prefix(&self, options: &GenerateOptions) -> Result<Vec<u32>, GenerateError> {
        let vocab = self.tokenizer.vocab();
        let eos = vocab.id_of(Token::Eos)?;
        match &options.primer {
            None => Ok(vec![vocab.id_of(Token::Bos)?]),
            Some(primer) => {
                if primer.note_count() == 0 {
                    return Err(GenerateError::Primer("the primer has no notes".into()));
                }
                let mut ids = self
                    .tokenizer
                    .encode(primer)
                    .map_err(|e| GenerateError::Primer(e.to_string()))?;
                if ids.last() == Some(&eos) {
                    ids.pop();
                }
                Ok(ids)
            }
        }
    }

    fn prefix_grammar(
        &self,
        prefix: &[u32],
        options: &GenerateOptions,
    ) -> Result<Grammar, GenerateError> {
        let vocab = self.tokenizer.vocab();
        if let Some((n, d)) = options.meter {
            if vocab.id_of(Token::TimeSig(n, d)).is_err() {
                return Err(GenerateError::InvalidOptions(format!(
                    "this model cannot write in {n}/{d}: its vocabulary has no TimeSig_{n}/{d} \
                     (REMI models with time signatures can)"
                )));
            }
        }
        let mut grammar = Grammar::new(
            vocab,
            GrammarOptions {
                allow_tempo: options.tempo.is_none(),
                time_signature: options.meter,
                ..GrammarOptions::default()
            },
        );
        for (i, &id) in prefix.iter().enumerate() {
            let token = vocab.token(id).ok_or_else(|| {
                GenerateError::Primer(format!("token {i}: id {id} outside the vocabulary"))
            })?;
            grammar
                .push(token)
                .map_err(|e| GenerateError::Primer(format!("token {i}: {e}")))?;
        }
        Ok(grammar)
    }

    /// Most new tokens per piece, within the model's context.
    fn token_budget(
        &self,
        options: &GenerateOptions,
        prefix: usize,
    ) -> Result<usize, GenerateError> {
        let wanted = options
            .max_tokens
            .unwrap_or_else(|| options.bars().saturating_mul(256));
        let Some(context) = self.model.max_len() else {
            return Ok(wanted);
        };
        // Leave room to finish a note.
        let room = context.saturating_sub(prefix + 8);
        if room == 0 {
            return Err(GenerateError::Primer(format!(
                "the primer's {prefix} tokens fill the model's context of {context}"
            )));
        }
        Ok(wanted.min(room))
    }

    /// Runs the prefix through the model for `batch` rows; returns the next-token log-probs.
    pub(crate) fn feed_prefix(
        &self,
        prefix: &Prefix,
        batch: usize,
    ) -> (Tensor<B, 2>, ModelState<B>) {
        let mut state = self.model.initial_state(batch, &self.device);
        let mut log_probs = None;
        for (i, soft) in prefix.soft.iter().enumerate() {
            let (lp, s) = match soft {
                Some(mix) => self.model.step_mix(mix, batch, state),
                None => {
                    let ids: Vec<u32> = (0..batch).map(|row| prefix.id(i, row)).collect();
                    self.model.step(self.ids(&ids), state)
                }
            };
            state = s;
            log_probs = Some(lp);
        }
        (log_probs.expect("a prefix has at least BOS"), state)
    }

    pub(crate) fn ids(&self, ids: &[u32]) -> Tensor<B, 1, Int> {
        let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        Tensor::from_data(TensorData::new(data, [ids.len()]), &self.device)
    }

    /// The allowed next tokens of a row: the grammar's mask without EOS (length decides the end).
    fn mask(&self, grammar: &Grammar, eos: usize, mask: &mut Vec<bool>) {
        grammar.allowed_mask(self.tokenizer.vocab(), mask);
        mask[eos] = false;
    }

    /// Applies `id` to a row's grammar; `false` when the token would start a bar past the target,
    /// so the piece ends before it.
    fn accept(&self, grammar: &mut Grammar, id: u32, target_bars: usize) -> bool {
        let token = self
            .tokenizer
            .vocab()
            .token(id)
            .expect("sampled ids come from the vocabulary");
        let mut next = grammar.clone();
        next.push(token)
            .expect("the mask only allows grammatical tokens");
        if next.bars() > target_bars {
            return false;
        }
        *grammar = next;
        true
    }

    fn sample_rows(
        &self,
        prefix: &Prefix,
        grammar: Grammar,
        target_bars: usize,
        budget: usize,
        options: &GenerateOptions,
    ) -> Vec<Row> {
        let n = options.num_outputs;
        let vocab = self.tokenizer.vocab().len();
        let eos = self.tokenizer.vocab().id_of(Token::Eos).unwrap_or(2) as usize;
        let pad = self.tokenizer.vocab().id_of(Token::Pad).unwrap_or(0);
        let mut rngs: Vec<SplitMix64> = (0..n)
            .map(|i| SplitMix64::new(options.seed ^ (i as u64).wrapping_mul(GOLDEN_GAMMA)))
            .collect();
        let mut rows = vec![
            Row {
                grammar,
                new: Vec::new(),
                log_prob: 0.0,
                done: false,
            };
            n
        ];
        let (mut log_probs, mut state) = self.feed_prefix(prefix, n);
        // Guidance: the same rows without their controls, stepped with the same tokens.
        let mut unconditioned = (options.guidance > 1.0 && !prefix.controls.is_empty())
            .then(|| self.feed_prefix(&prefix.without_controls(), n));
        let mut mask = Vec::with_capacity(vocab);
        let mut guided = vec![0f32; vocab];
        let mut shaped = vec![0f32; vocab];
        let vocab_ref = self.tokenizer.vocab();
        let density = options.effective_density();
        let bias = (density != 1.0 || options.register.is_some())
            .then(|| note_bias(self.tokenizer.vocab(), density, options.register));
        loop {
            if past(options.deadline) {
                return rows;
            }
            let lp: Vec<f32> = log_probs.into_data().to_vec().unwrap_or_default();
            let lp_free: Option<Vec<f32>> = unconditioned
                .as_ref()
                .map(|(l, _)| l.clone().into_data().to_vec().unwrap_or_default());
            let mut next = vec![pad; n];
            for (i, row) in rows.iter_mut().enumerate().filter(|(_, r)| !r.done) {
                let lp = &lp[i * vocab..(i + 1) * vocab];
                if row.new.len() >= budget && may_end(&row.grammar) {
                    row.done = true;
                    continue;
                }
                self.mask(&row.grammar, eos, &mut mask);
                let scores = match &lp_free {
                    Some(free) => {
                        let w = options.guidance;
                        for ((g, &c), &u) in guided
                            .iter_mut()
                            .zip(lp)
                            .zip(&free[i * vocab..(i + 1) * vocab])
                        {
                            *g = u + w * (c - u);
                        }
                        &guided[..]
                    }
                    None => lp,
                };
                let scores = match &bias {
                    Some(bias) => {
                        for ((out, &s), &b) in shaped.iter_mut().zip(scores).zip(bias) {
                            *out = s + b;
                        }
                        if density != 1.0 {
                            time_bias(&row.grammar, vocab_ref, density, &mut shaped);
                        }
                        &shaped[..]
                    }
                    None => scores,
                };
                let Some(id) = sample(scores, &mask, &options.sampling, &mut rngs[i]) else {
                    row.done = true;
                    continue;
                };
                if !self.accept(&mut row.grammar, id, target_bars) {
                    row.done = true;
                    continue;
                }
                row.log_prob += lp[id as usize] as f64;
                row.new.push(id);
                next[i] = id;
            }
            if rows.iter().all(|r| r.done) {
                return rows;
            }
            if let Some((_, free_state)) = unconditioned.take() {
                unconditioned = Some(self.model.step(self.ids(&next), free_state));
            }
            let (lp, s) = self.model.step(self.ids(&next), state);
            log_probs = lp;
            state = s;
        }
    }

    fn beam_search(
        &self,
        prefix: &Prefix,
        grammar: Grammar,
        width: usize,
        target_bars: usize,
        budget: usize,
        options: &GenerateOptions,
    ) -> Vec<Row> {
        let vocab = self.tokenizer.vocab().len();
        let eos = self.tokenizer.vocab().id_of(Token::Eos).unwrap_or(2) as usize;
        let mut alive = vec![Row {
            grammar,
            new: Vec::new(),
            log_prob: 0.0,
            done: false,
        }];
        let mut finished: Vec<Row> = Vec::new();
        let (mut log_probs, mut state) = self.feed_prefix(prefix, 1);
        let mut mask = Vec::with_capacity(vocab);
        // Mean log-probability per token: whole-bar pieces differ in length by their note count.
        let rank = |r: &Row| r.log_prob / r.new.len().max(1) as f64;
        while !alive.is_empty() && finished.len() < width && !past(options.deadline) {
            let lp: Vec<f32> = log_probs.into_data().to_vec().unwrap_or_default();
            let mut candidates: Vec<(f64, usize, u32)> = Vec::new();
            for (i, row) in alive.iter().enumerate() {
                if row.new.len() >= budget && may_end(&row.grammar) {
                    finished.push(Row {
                        done: true,
                        ..row.clone()
                    });
                    continue;
                }
                self.mask(&row.grammar, eos, &mut mask);
                let lp = &lp[i * vocab..(i + 1) * vocab];
                candidates.extend(
                    (0..vocab)
                        .filter(|&t| mask[t] && lp[t].is_finite())
                        .map(|t| (row.log_prob + lp[t] as f64, i, t as u32)),
                );
            }
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
            let mut next_alive = Vec::with_capacity(width);
            let mut parents = Vec::with_capacity(width);
            let mut tokens = Vec::with_capacity(width);
            for (score, parent, id) in candidates {
                if next_alive.len() + finished.len() >= width {
                    break;
                }
                let mut row = alive[parent].clone();
                if !self.accept(&mut row.grammar, id, target_bars) {
                    // Ending the piece here: the bar-line's probability is part of its score.
                    row.log_prob = score;
                    row.done = true;
                    finished.push(row);
                    continue;
                }
                row.log_prob = score;
                row.new.push(id);
                next_alive.push(row);
                parents.push(parent as i64);
                tokens.push(id);
            }
            if next_alive.is_empty() {
                break;
            }
            let parents = Tensor::from_data(
                TensorData::new(parents.clone(), [parents.len()]),
                &self.device,
            );
            state = self.model.select_state(state, parents);
            let (lp, s) = self.model.step(self.ids(&tokens), state);
            log_probs = lp;
            state = s;
            alive = next_alive;
        }
        finished.extend(alive);
        finished.sort_by(|a, b| rank(b).total_cmp(&rank(a)));
        finished.truncate(options.num_outputs);
        finished
    }

    /// Decodes a row into a piece, moved by `semitones`, with the options' tempo, program and key.
    fn finish(
        &self,
        prefix: &[u32],
        row: Row,
        semitones: i32,
        options: &GenerateOptions,
    ) -> Result<Generated, GenerateError> {
        let vocab = self.tokenizer.vocab();
        let mut ids = prefix.to_vec();
        ids.extend(&row.new);
        ids.push(vocab.id_of(Token::Eos)?);
        let mut score = self.tokenizer.decode(&ids)?;
        if semitones != 0 {
            score = score.transposed(semitones);
        }
        rescale(&mut score, OUTPUT_TICKS_PER_BEAT);
        apply_tempo(&mut score, options.tempo);
        apply_program(&mut score, options.program);
        if let Some(key) = options.key {
            score = key.apply(&score);
        }
        Ok(Generated {
            ids,
            new_tokens: row.new.len(),
            log_prob: row.log_prob,
            score,
            chosen_style: None,
        })
    }
}

/// Mixed into the seed of a request for the random stream that chooses its style, apart from
/// the rows' streams.
const STYLE_CHOICE_STREAM: u64 = 0x5354_594c_4543_484f;

/// Whether a deadline has passed.
fn past(deadline: Option<std::time::Instant>) -> bool {
    deadline.is_some_and(|d| std::time::Instant::now() >= d)
}

/// Whether a piece may stop here when its token budget is spent: no note is half-written and the
/// current bar is not empty (the grammar would allow EOS), so no trailing silent bar is left.
fn may_end(grammar: &Grammar) -> bool {
    grammar.allows(Token::Eos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_contrasts_the_asked_controls_and_keeps_a_chosen_style() {
        // BOS, an asked emotion, a style slot, two primer tokens.
        let mut prefix = Prefix {
            ids: vec![1, 5, 9, 20, 21],
            soft: vec![None; 5],
            controls: vec![1, 2],
            chosen: None,
        };
        // Both controls asked: guidance contrasts with neither.
        assert_eq!(prefix.without_controls().row_ids(0), [1, 20, 21]);
        // The style chosen by the model (one per piece) stays in the contrasted branch.
        prefix.chosen = Some(ChosenStyles {
            at: 2,
            ids: vec![9, 10],
            names: vec!["pop".into(), "folk".into()],
        });
        let free = prefix.without_controls();
        assert!(free.controls.is_empty());
        assert_eq!(free.row_ids(0), [1, 9, 20, 21]);
        assert_eq!(free.row_ids(1), [1, 10, 20, 21]);
        assert_eq!(prefix.row_ids(1), [1, 5, 10, 20, 21]);
    }
}
