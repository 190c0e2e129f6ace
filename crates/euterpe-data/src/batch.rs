//! Batching of token sequences and piano-roll frames into flat, padded arrays.
//!
//! The arrays are plain `Vec`s with their shapes, so this crate does not depend on a tensor library;
//! the training crate turns them into tensors. Shuffling is seeded and reproducible.

use euterpe_base::SplitMix64;
use euterpe_music::pianoroll::{PitchSequence, PIANO_KEYS, PIANO_LOWEST};
use euterpe_music::tokens::{Token, Vocabulary};

/// Sequences of any item (token ids, piano-roll frames) cut into windows for next-step
/// prediction: windows of at most `steps + 1` items that overlap by one, so that every transition
/// (item t → t + 1) lies in exactly one window; sequences shorter than two add nothing.
#[derive(Debug, Clone)]
pub struct Windows<T> {
    windows: Vec<Vec<T>>,
}

impl<T: Clone> Windows<T> {
    /// Windows of every sequence, `steps` transitions long at most (`None`: whole sequences).
    pub fn new<S: AsRef<[T]>>(
        sequences: impl IntoIterator<Item = S>,
        steps: Option<usize>,
    ) -> Self {
        let steps = steps.unwrap_or(usize::MAX / 2).max(1);
        let mut windows = Vec::new();
        for seq in sequences {
            let seq = seq.as_ref();
            let mut start = 0;
            while start + 1 < seq.len() {
                let end = seq.len().min(start.saturating_add(steps).saturating_add(1));
                windows.push(seq[start..end].to_vec());
                if end == seq.len() {
                    break;
                }
                start += steps;
            }
        }
        Windows { windows }
    }
}

impl<T> Windows<T> {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether there are no windows.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Number of predicted items (transitions) over all windows.
    pub fn target_count(&self) -> usize {
        self.windows.iter().map(|w| w.len() - 1).sum()
    }

    /// Window `i`.
    pub fn get(&self, i: usize) -> &[T] {
        &self.windows[i]
    }

    /// The windows of one pass, grouped into batches of indices: shuffled with a seed; without
    /// one, sorted by length so that evaluation wastes little on padding.
    pub fn batch_indices(&self, batch_size: usize, shuffle_seed: Option<u64>) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.windows.len()).collect();
        match shuffle_seed {
            Some(seed) => SplitMix64::new(seed).shuffle(&mut order),
            None => order.sort_by_key(|&i| self.windows[i].len()),
        }
        order
            .chunks(batch_size.max(1))
            .map(<[usize]>::to_vec)
            .collect()
    }

    /// Transitions in the longest of the windows `indices`: the steps of their batch.
    fn steps_of(&self, indices: &[usize]) -> usize {
        indices
            .iter()
            .map(|&i| self.windows[i].len() - 1)
            .max()
            .unwrap_or(0)
    }
}

/// A batch of next-token prediction examples: `inputs[b][t]` predicts `targets[b][t]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBatch {
    /// Number of sequences.
    pub batch: usize,
    /// Steps per sequence.
    pub steps: usize,
    /// Input ids, `batch * steps`, row-major.
    pub inputs: Vec<u32>,
    /// Target ids (the next token), `batch * steps`; padding positions hold `pad_id`.
    pub targets: Vec<u32>,
    /// 1.0 where the target is real, 0.0 where it is padding.
    pub mask: Vec<f32>,
}

impl TokenBatch {
    /// `batch` rows of `steps` padding positions, nothing scored.
    fn padded(batch: usize, steps: usize, pad_id: u32) -> Self {
        let n = batch * steps;
        TokenBatch {
            batch,
            steps,
            inputs: vec![pad_id; n],
            targets: vec![pad_id; n],
            mask: vec![0.0; n],
        }
    }
}

/// The masked-token objective (BERT's) of a bidirectional encoder: which tokens a pass hides
/// and what it puts in their place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Masking {
    /// The chance that a token is chosen to be predicted.
    pub chance: f64,
    /// The id of `MASK`, the input of 80 % of the chosen tokens.
    pub mask_id: u32,
    /// The vocabulary size: 10 % of the chosen tokens get a random id below it as input (and
    /// the last 10 % keep their own).
    pub vocab: u32,
}

/// Token sequences cut into windows (see [`Windows`]) and grouped into padded batches.
#[derive(Debug, Clone)]
pub struct TokenWindows {
    windows: Windows<u32>,
    /// Per window: how many leading inputs are context only (their targets are not scored).
    context: Vec<usize>,
    /// Per window: how many control tokens follow its first token (`BOS`).
    controls: Vec<usize>,
    /// Per window: the chance that a shuffled pass leaves out each of its control tokens
    /// (empty: never).
    drop_chances: Vec<Vec<f64>>,
    /// Batches of the masked-token objective instead of next-token prediction.
    masking: Option<Masking>,
    pad_id: u32,
}

impl TokenWindows {
    /// Windows of `steps` transitions of all `sequences` (`None`: whole sequences).
    pub fn new<'a>(
        sequences: impl IntoIterator<Item = &'a [u32]>,
        steps: Option<usize>,
        pad_id: u32,
    ) -> Self {
        let windows = Windows::new(sequences, steps);
        TokenWindows {
            context: vec![0; windows.len()],
            controls: vec![0; windows.len()],
            drop_chances: Vec::new(),
            masking: None,
            windows,
            pad_id,
        }
    }

    /// Windows of `(prefix, sequence)` pairs, where `prefix` is the start of `sequence` (its
    /// control tokens): every window after a sequence's first starts with the prefix as
    /// context, whose transitions (into the prefix and from it into the window) are not scored,
    /// so that every transition of the sequence is still scored exactly once.
    pub fn with_prefixes<'a>(
        sequences: impl IntoIterator<Item = (&'a [u32], &'a [u32])>,
        steps: Option<usize>,
        pad_id: u32,
    ) -> Self {
        let mut windows = Vec::new();
        let mut context = Vec::new();
        let mut controls = Vec::new();
        for (prefix, seq) in sequences {
            let cut = Windows::new([seq], steps);
            for (i, w) in cut.windows.into_iter().enumerate() {
                // The prefix is BOS and the controls; the first window starts with it too.
                controls.push(
                    prefix
                        .len()
                        .saturating_sub(1)
                        .min(w.len().saturating_sub(1)),
                );
                if i == 0 || prefix.is_empty() {
                    windows.push(w);
                    context.push(0);
                } else {
                    let mut with = prefix.to_vec();
                    with.extend(w);
                    windows.push(with);
                    context.push(prefix.len());
                }
            }
        }
        TokenWindows {
            windows: Windows { windows },
            controls,
            context,
            drop_chances: Vec::new(),
            masking: None,
            pad_id,
        }
    }

    /// Every shuffled pass leaves out each control token of a window with the chance
    /// `chance(token id)` (condition dropout), so that the model also learns to play with fewer
    /// controls, which is what classifier-free guidance contrasts with; passes without a seed
    /// keep them all.
    pub fn with_condition_dropout(mut self, chance: impl Fn(u32) -> f64) -> Self {
        self.drop_chances = (0..self.windows.len())
            .map(|i| {
                let w = self.windows.get(i);
                w[1..=self.controls[i]]
                    .iter()
                    .map(|&id| chance(id))
                    .collect()
            })
            .collect();
        if self.drop_chances.iter().flatten().all(|&p| p <= 0.0) {
            self.drop_chances.clear();
        }
        self
    }

    /// Batches of the masked-token objective: every position of a window (all its tokens, the
    /// first included) is an input, and the targets are the window's own tokens at the positions
    /// `masking` chose, whose inputs it hid. A pass without a seed (validation) chooses the same
    /// positions every time.
    pub fn with_masking(mut self, masking: Masking) -> Self {
        self.masking = Some(masking);
        self
    }

    /// The windows.
    pub fn windows(&self) -> &Windows<u32> {
        &self.windows
    }

    /// The batches of one pass; with a seed the windows are shuffled first.
    pub fn batches(&self, batch_size: usize, shuffle_seed: Option<u64>) -> Vec<TokenBatch> {
        let dropped = self.dropped_controls(shuffle_seed);
        let indices = self.windows.batch_indices(batch_size, shuffle_seed);
        match self.masking {
            None => indices
                .iter()
                .map(|chunk| self.batch(chunk, &dropped))
                .collect(),
            Some(masking) => {
                // Its own stream: the shuffle and the dropped controls stay as without masking.
                let seed = shuffle_seed.unwrap_or(MASK_SEED_OF_FIXED_PASSES) ^ MASK_STREAM;
                let mut rng = SplitMix64::new(seed);
                indices
                    .iter()
                    .map(|chunk| self.masked_batch(chunk, &dropped, masking, &mut rng))
                    .collect()
            }
        }
    }

    /// Per window, a bit for each of its control tokens this pass leaves out.
    fn dropped_controls(&self, shuffle_seed: Option<u64>) -> Vec<u64> {
        let mut dropped = vec![0u64; self.windows.len()];
        let Some(seed) = shuffle_seed.filter(|_| !self.drop_chances.is_empty()) else {
            return dropped;
        };
        // Another stream than the shuffle's, so that the order does not change with it.
        let mut rng = SplitMix64::new(seed ^ 0x636f_6e64_6472_6f70);
        for (bits, chances) in dropped.iter_mut().zip(&self.drop_chances) {
            for (c, &p) in chances.iter().enumerate().take(64) {
                if rng.unit() < p {
                    *bits |= 1 << c;
                }
            }
        }
        dropped
    }

    /// Window `i` without the control tokens of `dropped`, and its count of context inputs.
    fn row(&self, i: usize, dropped: u64) -> (std::borrow::Cow<'_, [u32]>, usize) {
        let w = self.windows.get(i);
        if dropped == 0 {
            return (w.into(), self.context[i]);
        }
        let kept: Vec<u32> = w
            .iter()
            .enumerate()
            .filter(|&(t, _)| !(1..=64).contains(&t) || dropped & (1 << (t - 1)) == 0)
            .map(|(_, &id)| id)
            .collect();
        // A later window's context is its prefix: it shrinks by the controls left out.
        let context = match self.context[i] {
            0 => 0,
            c => c - dropped.count_ones() as usize,
        };
        (kept.into(), context)
    }

    fn batch(&self, indices: &[usize], dropped: &[u64]) -> TokenBatch {
        let rows: Vec<_> = indices.iter().map(|&i| self.row(i, dropped[i])).collect();
        // Trim the batch to its longest window: short batches cost less.
        let steps = rows
            .iter()
            .map(|(w, _)| w.len().saturating_sub(1))
            .max()
            .unwrap_or(0);
        let mut b = TokenBatch::padded(indices.len(), steps, self.pad_id);
        for (row, (w, context)) in rows.iter().enumerate() {
            for t in 0..w.len().saturating_sub(1) {
                b.inputs[row * steps + t] = w[t];
                b.targets[row * steps + t] = w[t + 1];
                if t >= *context {
                    b.mask[row * steps + t] = 1.0;
                }
            }
        }
        b
    }
}

/// The seed of masked passes without a shuffle seed (validation): the same tokens every epoch.
const MASK_SEED_OF_FIXED_PASSES: u64 = 0x5eed;
/// Mixed into the seed of the masking stream ("mask").
const MASK_STREAM: u64 = 0x6d61_736b;

impl TokenWindows {
    /// A batch of the masked-token objective (see [`Self::with_masking`]).
    fn masked_batch(
        &self,
        indices: &[usize],
        dropped: &[u64],
        masking: Masking,
        rng: &mut SplitMix64,
    ) -> TokenBatch {
        let rows: Vec<_> = indices.iter().map(|&i| self.row(i, dropped[i])).collect();
        let steps = rows.iter().map(|(w, _)| w.len()).max().unwrap_or(0);
        let mut b = TokenBatch::padded(indices.len(), steps, self.pad_id);
        for (row, (w, context)) in rows.iter().enumerate() {
            for (t, &id) in w.iter().enumerate() {
                let at = row * steps + t;
                b.inputs[at] = id;
                b.targets[at] = id;
                if t < *context || rng.unit() >= masking.chance {
                    continue;
                }
                b.mask[at] = 1.0;
                let how = rng.unit();
                if how < 0.8 {
                    b.inputs[at] = masking.mask_id;
                } else if how < 0.9 {
                    b.inputs[at] = rng.below(masking.vocab as usize) as u32;
                }
            }
        }
        b
    }
}

/// A batch of next-frame prediction examples over 88-key piano-rolls.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameBatch {
    /// Number of sequences.
    pub batch: usize,
    /// Steps per sequence.
    pub steps: usize,
    /// Keys per frame (88).
    pub keys: usize,
    /// Input frames, `batch * steps * keys`, 0.0 or 1.0.
    pub inputs: Vec<f32>,
    /// Target frames (the next frame), same shape.
    pub targets: Vec<f32>,
    /// 1.0 where the target frame is real, `batch * steps`.
    pub mask: Vec<f32>,
}

/// One piano-roll frame: which of the 88 keys sound.
pub type Frame = [bool; PIANO_KEYS];

/// Piano-roll sequences prepared for next-frame prediction.
///
/// Frame `t` predicts frame `t + 1`; the first frame of a sequence is never a target, which is the
/// standard scoring of the polyphonic benchmarks. Long sequences are cut into windows of
/// `steps + 1` frames for training (truncated back-propagation); evaluation uses whole sequences.
#[derive(Debug, Clone)]
pub struct FrameWindows {
    windows: Windows<Frame>,
    /// Most semitones a window is shifted by in a shuffled pass (0: never).
    transpose: u8,
}

impl FrameWindows {
    /// Windows of at most `steps + 1` frames (`None`: whole sequences).
    pub fn new(sequences: &[PitchSequence], steps: Option<usize>) -> Self {
        let frames = sequences.iter().map(|seq| {
            seq.iter()
                .map(|f| {
                    let mut row = [false; PIANO_KEYS];
                    for &p in f {
                        if let Some(k) = (p as usize)
                            .checked_sub(PIANO_LOWEST as usize)
                            .filter(|&k| k < PIANO_KEYS)
                        {
                            row[k] = true;
                        }
                    }
                    row
                })
                .collect::<Vec<Frame>>()
        });
        FrameWindows {
            windows: Windows::new(frames, steps),
            transpose: 0,
        }
    }

    /// These windows, each shifted by a random number of semitones (up to `max` either way,
    /// within the 88 keys) in every shuffled pass; never in a pass without a seed (evaluation).
    pub fn with_transposition(mut self, max: u8) -> Self {
        self.transpose = max;
        self
    }

    /// A random shift of window `i` that keeps all its notes on the keyboard.
    fn random_shift(&self, i: usize, rng: &mut SplitMix64) -> i32 {
        let max = self.transpose as i32;
        let w = self.windows.get(i);
        let keys = w
            .iter()
            .flat_map(|f| f.iter().enumerate().filter(|(_, &on)| on));
        let (lo, hi) = keys.fold((PIANO_KEYS as i32, -1), |(lo, hi), (k, _)| {
            (lo.min(k as i32), hi.max(k as i32))
        });
        if hi < 0 {
            return 0;
        }
        let (down, up) = ((-max).max(-lo), max.min(PIANO_KEYS as i32 - 1 - hi));
        down + rng.below((up - down + 1) as usize) as i32
    }

    /// The windows.
    pub fn windows(&self) -> &Windows<Frame> {
        &self.windows
    }

    /// The batches of one pass; with a seed the windows are shuffled first, without one they are
    /// sorted by length.
    pub fn batches(&self, batch_size: usize, shuffle_seed: Option<u64>) -> Vec<FrameBatch> {
        let mut shifts = vec![0i32; self.windows.len()];
        if let (Some(seed), true) = (shuffle_seed, self.transpose > 0) {
            // Another stream than the shuffle's, so that the order does not change with it.
            let mut rng = SplitMix64::new(seed ^ 0x7472_616e_7370_6f73);
            for (i, s) in shifts.iter_mut().enumerate() {
                *s = self.random_shift(i, &mut rng);
            }
        }
        self.windows
            .batch_indices(batch_size, shuffle_seed)
            .iter()
            .map(|c| self.batch(c, &shifts))
            .collect()
    }

    fn batch(&self, indices: &[usize], shifts: &[i32]) -> FrameBatch {
        let steps = self.windows.steps_of(indices);
        let k = PIANO_KEYS;
        let mut b = FrameBatch {
            batch: indices.len(),
            steps,
            keys: k,
            inputs: vec![0.0; indices.len() * steps * k],
            targets: vec![0.0; indices.len() * steps * k],
            mask: vec![0.0; indices.len() * steps],
        };
        for (row, &i) in indices.iter().enumerate() {
            let w = self.windows.get(i);
            // Keys are moved by the shift, which keeps every sounding key on the keyboard.
            let shift = shifts[i];
            for t in 0..w.len() - 1 {
                let at = (row * steps + t) * k;
                for (key, (&now, &next)) in w[t].iter().zip(&w[t + 1]).enumerate() {
                    if !(now || next) {
                        continue;
                    }
                    let to = at + (key as i32 + shift) as usize;
                    b.inputs[to] = now as u8 as f32;
                    b.targets[to] = next as u8 as f32;
                }
                b.mask[row * steps + t] = 1.0;
            }
        }
        b
    }
}

/// A batch of classification examples: windows of tokens, each with its piece's class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassBatch {
    /// Number of windows.
    pub batch: usize,
    /// Tokens per window (padded).
    pub steps: usize,
    /// Token ids, `batch * steps`, row-major; padding holds PAD.
    pub inputs: Vec<u32>,
    /// 1.0 at real tokens, 0.0 at padding, `batch * steps`.
    pub mask: Vec<f32>,
    /// The class of each window.
    pub labels: Vec<u32>,
    /// The piece (index within its split) each window comes from.
    pub pieces: Vec<usize>,
}

/// Labelled token sequences cut into consecutive windows of at most `steps` tokens, every window
/// carrying its piece's class: the examples of a sequence classifier. A classification of a whole
/// piece combines its windows.
#[derive(Debug, Clone)]
pub struct ClassWindows {
    windows: Vec<(Vec<u32>, u32, usize)>,
    pad_id: u32,
    transpose: Option<Transposition>,
    /// Windows of each class per shuffled pass (`None`: every window once).
    per_class: Option<usize>,
}

/// Random transposition of training windows: every window of a shuffled pass is shifted by a
/// whole number of semitones in `-max..=max`, drawn from the pass's seed. Emotion and style do
/// not change with the key a piece is played in, so this shows the model every piece in other
/// keys without new data. Pitch tokens that would leave the vocabulary keep their pitch.
#[derive(Debug, Clone)]
pub struct Transposition {
    max: i32,
    /// `maps[s + max][id]`: the id after a shift of `s` semitones.
    maps: Vec<Vec<u32>>,
}

impl Transposition {
    /// Shifts of up to `max` semitones either way over the pitch tokens of `vocab` (`Pitch`,
    /// `NoteOn`, `NoteOff`).
    pub fn new(vocab: &Vocabulary, max: u8) -> Self {
        let max = max as i32;
        let maps = (-max..=max)
            .map(|shift| {
                (0..vocab.len() as u32)
                    .map(|id| {
                        let shifted =
                            |p: u8| u8::try_from(p as i32 + shift).ok().filter(|&q| q < 128);
                        let moved = match vocab.token(id) {
                            Some(Token::Pitch(p)) => shifted(p).map(Token::Pitch),
                            Some(Token::NoteOn(p)) => shifted(p).map(Token::NoteOn),
                            Some(Token::NoteOff(p)) => shifted(p).map(Token::NoteOff),
                            _ => None,
                        };
                        moved.and_then(|t| vocab.try_id(t)).unwrap_or(id)
                    })
                    .collect()
            })
            .collect();
        Transposition { max, maps }
    }

    /// The ids of `tokens` shifted by `shift` semitones (`|shift| <= max`).
    pub fn apply(&self, tokens: &[u32], shift: i32) -> Vec<u32> {
        let map = &self.maps[(shift.clamp(-self.max, self.max) + self.max) as usize];
        tokens
            .iter()
            .map(|&id| map.get(id as usize).copied().unwrap_or(id))
            .collect()
    }
}

/// Windows shorter than this are dropped when the piece has longer ones: a few tokens at the end
/// of a piece say little about it.
const MIN_CLASS_WINDOW: usize = 16;

impl ClassWindows {
    /// Windows of `(piece, tokens, class)` items.
    pub fn new<'a>(
        pieces: impl IntoIterator<Item = (usize, &'a [u32], u32)>,
        steps: usize,
        pad_id: u32,
    ) -> Self {
        let steps = steps.max(1);
        let mut windows = Vec::new();
        for (piece, tokens, class) in pieces {
            let chunks: Vec<&[u32]> = tokens.chunks(steps).collect();
            let keep_short = chunks.len() == 1;
            for chunk in chunks {
                if keep_short || chunk.len() >= MIN_CLASS_WINDOW {
                    windows.push((chunk.to_vec(), class, piece));
                }
            }
        }
        ClassWindows {
            windows,
            pad_id,
            transpose: None,
            per_class: None,
        }
    }

    /// These windows, `n` of each class in every shuffled pass: drawn without replacement while a
    /// class has windows left, its windows reshuffled when it runs out (a pass without a seed
    /// still sees every window once, so evaluation is unchanged).
    pub fn with_per_class(mut self, n: usize) -> Self {
        self.per_class = Some(n.max(1));
        self
    }

    /// The window indices of one balanced pass: `n` per class, shuffled together.
    fn balanced_order(&self, n: usize, rng: &mut SplitMix64) -> Vec<usize> {
        let mut by_class: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for (i, w) in self.windows.iter().enumerate() {
            by_class.entry(w.1).or_default().push(i);
        }
        let mut order = Vec::with_capacity(n * by_class.len());
        for mut pool in by_class.into_values() {
            let mut drawn = 0;
            while drawn < n {
                rng.shuffle(&mut pool);
                let take = (n - drawn).min(pool.len());
                order.extend_from_slice(&pool[..take]);
                drawn += take;
            }
        }
        rng.shuffle(&mut order);
        order
    }

    /// These windows, transposed at random in every shuffled pass (never in a pass without a
    /// seed, so evaluation sees the pieces as they are).
    pub fn with_transposition(mut self, transposition: Transposition) -> Self {
        self.transpose = Some(transposition);
        self
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether there are no windows.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The batches of one pass; with a seed the windows are shuffled first, without one they keep
    /// the order of the pieces.
    pub fn batches(&self, batch_size: usize, shuffle_seed: Option<u64>) -> Vec<ClassBatch> {
        let mut order: Vec<usize> = (0..self.windows.len()).collect();
        let mut shifts = vec![0i32; self.windows.len()];
        if let Some(seed) = shuffle_seed {
            let mut rng = SplitMix64::new(seed);
            match self.per_class {
                Some(n) => order = self.balanced_order(n, &mut rng),
                None => rng.shuffle(&mut order),
            }
            if let Some(t) = &self.transpose {
                for s in &mut shifts {
                    *s = rng.below(2 * t.max as usize + 1) as i32 - t.max;
                }
            }
        }
        order
            .chunks(batch_size.max(1))
            .map(|c| self.batch(c, &shifts))
            .collect()
    }

    fn batch(&self, indices: &[usize], shifts: &[i32]) -> ClassBatch {
        let steps = indices
            .iter()
            .map(|&i| self.windows[i].0.len())
            .max()
            .unwrap_or(0);
        let n = indices.len() * steps;
        let mut b = ClassBatch {
            batch: indices.len(),
            steps,
            inputs: vec![self.pad_id; n],
            mask: vec![0.0; n],
            labels: Vec::with_capacity(indices.len()),
            pieces: Vec::with_capacity(indices.len()),
        };
        for (row, &i) in indices.iter().enumerate() {
            let (tokens, class, piece) = &self.windows[i];
            let shifted;
            let tokens = match &self.transpose {
                Some(t) if shifts[i] != 0 => {
                    shifted = t.apply(tokens, shifts[i]);
                    &shifted
                }
                _ => tokens,
            };
            for (t, &id) in tokens.iter().enumerate() {
                b.inputs[row * steps + t] = id;
                b.mask[row * steps + t] = 1.0;
            }
            b.labels.push(*class);
            b.pieces.push(*piece);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_windows_predict_every_transition_once() {
        let a: Vec<u32> = (10..20).collect();
        let b: Vec<u32> = vec![5, 6, 7];
        let w = TokenWindows::new([a.as_slice(), b.as_slice()], Some(4), 0);
        assert_eq!(w.windows().target_count(), 9 + 2);
        let batches = w.batches(16, None);
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        assert_eq!(batch.steps, 4);
        let mut pairs = Vec::new();
        for i in 0..batch.batch * batch.steps {
            if batch.mask[i] > 0.0 {
                pairs.push((batch.inputs[i], batch.targets[i]));
            }
        }
        pairs.sort();
        let mut expected: Vec<(u32, u32)> = (10..19).map(|x| (x, x + 1)).collect();
        expected.extend([(5, 6), (6, 7)]);
        expected.sort();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn shuffling_is_seeded() {
        let seqs: Vec<Vec<u32>> = (0..50).map(|i| vec![i, i + 1, i + 2]).collect();
        let w = TokenWindows::new(seqs.iter().map(|s| s.as_slice()), Some(8), 0);
        assert_eq!(w.batches(4, Some(3)), w.batches(4, Some(3)));
        assert_ne!(w.batches(4, Some(3)), w.batches(4, Some(4)));
    }

    #[test]
    fn class_windows_cover_every_piece_and_carry_its_class() {
        let long: Vec<u32> = (0..100).collect();
        let short: Vec<u32> = vec![7, 8, 9];
        let w = ClassWindows::new([(0, long.as_slice(), 2), (1, short.as_slice(), 0)], 40, 0);
        // 100 tokens: 40 + 40 + 20; the 3-token piece keeps its only window.
        assert_eq!(w.len(), 4);
        let b = &w.batches(8, None)[0];
        assert_eq!((b.batch, b.steps), (4, 40));
        assert_eq!(b.labels, vec![2, 2, 2, 0]);
        assert_eq!(b.pieces, vec![0, 0, 0, 1]);
        assert_eq!(b.mask.iter().sum::<f32>(), 103.0);
        assert_eq!(&b.inputs[120..124], &[7, 8, 9, 0]);
        // A 5-token tail after a full window is dropped.
        let tail: Vec<u32> = (0..45).collect();
        assert_eq!(ClassWindows::new([(0, tail.as_slice(), 1)], 40, 0).len(), 1);
    }

    #[test]
    fn transposition_moves_pitches_only_and_only_in_shuffled_passes() {
        use euterpe_music::tokens::{Tokenizer, TokenizerConfig};
        let vocab = Tokenizer::new(TokenizerConfig::default())
            .unwrap()
            .vocab()
            .clone();
        let id = |t| vocab.id_of(t).unwrap();
        let piece = vec![
            id(Token::Bos),
            id(Token::Bar),
            id(Token::Pitch(60)),
            id(Token::Velocity(10)),
            id(Token::Duration(4)),
            id(Token::Pitch(127)),
        ];
        let t = Transposition::new(&vocab, 3);
        let up = t.apply(&piece, 2);
        assert_eq!(up[2], id(Token::Pitch(62)));
        assert_eq!(up[5], piece[5], "a pitch that would leave 0-127 stays");
        assert_eq!(
            (up[0], up[1], up[3], up[4]),
            (piece[0], piece[1], piece[3], piece[4])
        );
        assert_eq!(t.apply(&piece, -3)[2], id(Token::Pitch(57)));

        let windows = ClassWindows::new((0..40).map(|i| (i, piece.as_slice(), 0)), 16, 0)
            .with_transposition(t);
        let pitches = |b: &[ClassBatch]| -> Vec<u32> {
            b.iter()
                .flat_map(|b| b.inputs.chunks(b.steps).map(|r| r[2]))
                .collect()
        };
        assert!(pitches(&windows.batches(8, None))
            .iter()
            .all(|&p| p == piece[2]));
        let shuffled = pitches(&windows.batches(8, Some(1)));
        let moved = shuffled.iter().filter(|&&p| p != piece[2]).count();
        assert!(moved > 20, "{moved} of 40 windows moved");
        assert!(shuffled
            .iter()
            .all(|&p| p >= id(Token::Pitch(57)) && p <= id(Token::Pitch(63))));
    }

    #[test]
    fn frame_windows_skip_the_first_frame_of_each_sequence() {
        let seqs: Vec<PitchSequence> = vec![
            vec![vec![60], vec![62], vec![64, 67]],
            vec![vec![21], vec![108]],
        ];
        let w = FrameWindows::new(&seqs, None);
        assert_eq!(w.windows().target_count(), 3);
        let b = &w.batches(8, None)[0];
        assert_eq!((b.batch, b.steps, b.keys), (2, 2, 88));
        assert_eq!(b.mask.iter().sum::<f32>(), 3.0);
        // The short sequence sorts first: its target is pitch 108 (key 87).
        assert_eq!(b.targets[87], 1.0);
        assert_eq!(b.inputs[0], 1.0);
        // Windowed: a 3-frame sequence with steps = 1 gives two windows.
        assert_eq!(FrameWindows::new(&seqs, Some(1)).windows().len(), 3);
    }

    #[test]
    fn piano_roll_transposition_moves_whole_windows_and_keeps_them_on_the_keyboard() {
        // A chord low on the keyboard, a melody high on it, and one in the middle.
        let seqs: Vec<PitchSequence> = vec![
            vec![vec![21, 25, 28], vec![21, 24], vec![23]],
            vec![vec![100], vec![105], vec![108]],
            vec![vec![60, 64], vec![62], vec![67], vec![65]],
        ];
        let keys = |b: &FrameBatch, row: usize, t: usize, of: &[f32]| -> Vec<usize> {
            let at = (row * b.steps + t) * b.keys;
            (0..b.keys).filter(|&k| of[at + k] == 1.0).collect()
        };
        let plain = FrameWindows::new(&seqs, None).batches(1, Some(3));
        let w = FrameWindows::new(&seqs, None).with_transposition(5);
        // Without a seed (evaluation) nothing moves.
        assert_eq!(
            w.batches(8, None),
            FrameWindows::new(&seqs, None).batches(8, None)
        );
        let mut moved = 0;
        for seed in 0..40 {
            let shifted = w.batches(1, Some(seed));
            let plain = FrameWindows::new(&seqs, None).batches(1, Some(seed));
            for (a, b) in shifted.iter().zip(&plain) {
                assert_eq!(a.mask, b.mask, "same windows in the same order");
                let (ka, kb) = (keys(a, 0, 0, &a.inputs), keys(b, 0, 0, &b.inputs));
                let shift = ka[0] as i32 - kb[0] as i32;
                assert!(shift.abs() <= 5);
                moved += (shift != 0) as usize;
                // Every frame, input and target, moves by the same shift.
                for t in 0..b.steps {
                    for of in [
                        |x: &FrameBatch| x.inputs.clone(),
                        |x: &FrameBatch| x.targets.clone(),
                    ] {
                        let (fa, fb) = (of(a), of(b));
                        let want: Vec<usize> = keys(b, 0, t, &fb)
                            .iter()
                            .map(|&k| (k as i32 + shift) as usize)
                            .collect();
                        assert_eq!(keys(a, 0, t, &fa), want);
                    }
                }
            }
        }
        assert!(moved > 60, "{moved} of 120 windows moved");
        assert_eq!(plain.len(), 3);
    }

    #[test]
    fn later_windows_carry_the_control_prefix_as_unscored_context() {
        // BOS=1, two controls (7, 8), then music 10..20.
        let mut seq = vec![1, 7, 8];
        seq.extend(10..20);
        let plain = TokenWindows::new([seq.as_slice()], Some(5), 0);
        let with = TokenWindows::with_prefixes([(&seq[..3], seq.as_slice())], Some(5), 0);
        assert_eq!(with.windows().len(), plain.windows().len());
        let scored = |w: &TokenWindows| -> Vec<(u32, u32)> {
            let mut pairs = Vec::new();
            for b in w.batches(8, None) {
                for i in 0..b.batch * b.steps {
                    if b.mask[i] > 0.0 {
                        pairs.push((b.inputs[i], b.targets[i]));
                    }
                }
            }
            pairs.sort();
            pairs
        };
        // The same transitions are scored, each once.
        assert_eq!(scored(&with), scored(&plain));
        // Every window but the first starts with BOS and the controls.
        let starts: Vec<&[u32]> = (0..with.windows().len())
            .map(|i| &with.windows().get(i)[..3])
            .collect();
        assert!(starts.iter().all(|s| *s == [1, 7, 8]), "{starts:?}");
    }

    #[test]
    fn condition_dropout_leaves_out_controls_in_shuffled_passes_only() {
        // 200 pieces: BOS=1, two controls (7, 8), then music 10..20, in windows of 5.
        let mut seq = vec![1, 7, 8];
        seq.extend(10..20);
        let seqs = vec![seq.clone(); 200];
        let windows = || {
            TokenWindows::with_prefixes(seqs.iter().map(|s| (&s[..3], s.as_slice())), Some(5), 0)
        };
        let plain = windows();
        let dropping = windows().with_condition_dropout(|_| 0.3);
        let music = |w: &TokenWindows, seed| -> (Vec<(u32, u32)>, [usize; 2], usize) {
            let (mut pairs, mut kept, mut rows) = (Vec::new(), [0, 0], 0);
            for b in w.batches(16, seed) {
                for r in 0..b.batch {
                    let row = &b.inputs[r * b.steps..(r + 1) * b.steps];
                    rows += 1;
                    kept[0] += usize::from(row.contains(&7));
                    kept[1] += usize::from(row.contains(&8));
                    // Whatever was left out, the row still starts with BOS.
                    assert_eq!(row[0], 1);
                }
                for i in 0..b.batch * b.steps {
                    if b.mask[i] > 0.0 && b.targets[i] >= 10 {
                        pairs.push((b.inputs[i], b.targets[i]));
                    }
                }
            }
            pairs.sort();
            (pairs, kept, rows)
        };
        let (all, kept_all, rows) = music(&plain, Some(3));
        assert_eq!(kept_all, [rows, rows]);
        // Without a seed (validation) nothing is left out.
        assert_eq!(music(&dropping, None).1, [rows, rows]);
        let (dropped, kept, _) = music(&dropping, Some(3));
        for k in kept {
            let share = 1.0 - k as f64 / rows as f64;
            assert!((0.2..0.4).contains(&share), "{share} of a control left out");
        }
        // Every transition into the music is still scored once, whatever was left out (the one
        // from a left-out control to the music is scored from the control before it).
        assert_eq!(dropped.len(), all.len());
        let targets = |p: &[(u32, u32)]| p.iter().map(|x| x.1).collect::<Vec<_>>();
        let (mut a, mut b) = (targets(&all), targets(&dropped));
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // The same seed leaves out the same controls.
        assert_eq!(music(&dropping, Some(3)), music(&dropping, Some(3)));
        // A chance per control: only the first (id 7) is ever left out.
        let first_only = windows().with_condition_dropout(|id| if id == 7 { 0.3 } else { 0.0 });
        let (_, kept, _) = music(&first_only, Some(3));
        assert!(kept[0] < rows * 4 / 5, "{kept:?} of {rows}");
        assert_eq!(kept[1], rows);
    }

    #[test]
    fn masked_batches_hide_a_share_of_the_tokens_and_ask_for_them() {
        // 100 pieces of tokens 10..50 (a vocabulary of 60, MASK = 3), windows of 16 tokens.
        let seqs: Vec<Vec<u32>> = (0..100).map(|_| (10..50).collect()).collect();
        let masking = Masking {
            chance: 0.15,
            mask_id: 3,
            vocab: 60,
        };
        let windows =
            TokenWindows::new(seqs.iter().map(Vec::as_slice), Some(15), 0).with_masking(masking);
        let (mut positions, mut chosen, mut masked, mut random, mut kept) = (0, 0, 0, 0, 0);
        for b in windows.batches(8, Some(5)) {
            for i in 0..b.batch * b.steps {
                if b.targets[i] == 0 {
                    // Padding is never asked for.
                    assert_eq!(b.mask[i], 0.0);
                    continue;
                }
                positions += 1;
                if b.mask[i] == 0.0 {
                    // An unchosen position reads its own token.
                    assert_eq!(b.inputs[i], b.targets[i]);
                    continue;
                }
                chosen += 1;
                match b.inputs[i] {
                    3 => masked += 1,
                    x if x == b.targets[i] => kept += 1,
                    x => {
                        assert!(x < 60);
                        random += 1;
                    }
                }
            }
        }
        // Every token of every window is a position, whole windows, no shift: 40 tokens a piece,
        // of which 2 start a window and end the one before (16 + 16 + 10).
        assert_eq!(positions, 100 * 42);
        let share = |n: usize, of: usize| n as f64 / of as f64;
        assert!(
            (0.12..0.18).contains(&share(chosen, positions)),
            "{chosen} of {positions}"
        );
        assert!(
            (0.74..0.86).contains(&share(masked, chosen)),
            "{masked} of {chosen} masked"
        );
        // A random id may happen to be the token itself: "kept" holds a little more than 10 %.
        assert!(
            (0.05..0.16).contains(&share(random, chosen)),
            "{random} of {chosen} random"
        );
        assert!(
            (0.05..0.16).contains(&share(kept, chosen)),
            "{kept} of {chosen} kept"
        );
        // The same seed hides the same tokens; passes without a seed (validation) hide the same
        // tokens every time, and other ones than a shuffled pass.
        assert_eq!(windows.batches(8, Some(5)), windows.batches(8, Some(5)));
        assert_ne!(windows.batches(8, Some(5)), windows.batches(8, Some(6)));
        assert_eq!(windows.batches(8, None), windows.batches(8, None));
        // Without masking the same windows give next-token batches: one position fewer each.
        let plain = TokenWindows::new(seqs.iter().map(Vec::as_slice), Some(15), 0);
        let steps = |w: &TokenWindows| w.batches(8, None)[0].steps;
        assert_eq!(steps(&plain) + 1, steps(&windows));
    }

    #[test]
    fn balanced_passes_draw_the_same_number_of_windows_per_class() {
        let long: Vec<u32> = (0..400).collect();
        let short: Vec<u32> = (0..40).collect();
        // Class 0: one long piece (10 windows of 40); class 1: one short piece (1 window).
        let w = ClassWindows::new([(0, long.as_slice(), 0), (1, short.as_slice(), 1)], 40, 0)
            .with_per_class(6);
        assert_eq!(w.len(), 11);
        let labels: Vec<u32> = w
            .batches(4, Some(3))
            .iter()
            .flat_map(|b| b.labels.clone())
            .collect();
        assert_eq!(labels.len(), 12);
        assert_eq!(labels.iter().filter(|&&l| l == 1).count(), 6);
        // Without a seed (evaluation) every window is seen once.
        let all: usize = w.batches(4, None).iter().map(|b| b.batch).sum();
        assert_eq!(all, 11);
    }
}
