//! Style transfer of whole pieces with a style-transfer GAN ([`StyleTransferPair`]): a piece is
//! read as one merged piano-roll over its own bars (sixteen steps a bar, whatever its meter),
//! cut into phrases of four bars (the last one padded with silence), each phrase rewritten by
//! the generator into the target style, and the roll put back onto the piece's bars, so the
//! output keeps the source's bars and length in time. It is written either in common time —
//! one 4/4 bar of sixteenths per source bar, each lasting as long as the source's bar (the way
//! the model read it; a 4/2 or 2/1 folk tune is the same music renotated, a 3/4 one has its
//! beats stretched) — or on the source's own ticks, meters and tempo ([`Notation`]).

use std::path::Path;

use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData};
use euterpe_data::multitrack::{
    piece_grid, rolls_to_score, StepGrid, StepMask, PHRASE_STEPS, ROLL_PITCHES,
};
use euterpe_data::transfer::ContentKept;
use euterpe_models::cyclegan::StyleTransferPair;
use euterpe_models::{Model, ModelBackend, ModelConfig};
use euterpe_music::score::{TempoChange, TimeSignature};
use euterpe_music::{Score, Track};
use euterpe_store::{ModelSource, StoreError};
use serde::Serialize;

use crate::GenerateError;

/// Phrases rewritten at once.
const PHRASES_PER_BATCH: usize = 64;
/// Velocity of the written notes.
const VELOCITY: u8 = 80;

/// How a transferred piece is notated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notation {
    /// One 4/4 bar of sixteen steps per source bar, with tempo changes so that each bar lasts
    /// as long as the source's (the model's own grid).
    #[default]
    Common,
    /// The source's ticks, meters and tempo: the steps put back on its bars.
    Source,
}

/// A loaded style-transfer GAN: both directions.
pub struct StyleTransfer<B: ModelBackend> {
    /// How reports name the model.
    pub name: String,
    /// The two styles, A then B.
    pub styles: [String; 2],
    /// The built-in model's name or the model directory's folder name (`folk2pop`).
    short_name: String,
    pair: StyleTransferPair<B>,
    device: B::Device,
}

/// A piece rewritten in another style.
#[derive(Debug, Clone)]
pub struct Transferred {
    /// The piece in the target style: the source's tempo, meters and bars, one track.
    pub score: Score,
    /// Whole bars of the source (and of the output).
    pub bars: usize,
    /// The source's merged roll.
    pub source: Vec<StepMask>,
    /// The written roll (as long as the source's).
    pub written: Vec<StepMask>,
    /// How much of the source's content the output keeps.
    pub kept: ContentKept,
}

impl<B: ModelBackend> StyleTransfer<B> {
    /// Loads the model of `source`; a model of another kind is an error naming its kind.
    pub fn load(source: &ModelSource, device: B::Device) -> Result<Self, GenerateError> {
        let loaded = source.load::<B>(&device)?;
        let short_name = match source {
            ModelSource::Builtin(m) => m.name.to_string(),
            ModelSource::Dir(dir) => dir
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        };
        let styles = match &loaded.config {
            ModelConfig::CycleGan(c) if c.styles.len() == 2 => {
                [c.styles[0].clone(), c.styles[1].clone()]
            }
            _ => ["A".to_string(), "B".to_string()],
        };
        match loaded.model {
            Model::CycleGan(pair) => Ok(StyleTransfer {
                name: loaded.name,
                styles,
                short_name,
                pair,
                device,
            }),
            model => Err(StoreError::WrongKind {
                model: loaded.name,
                kind: model.kind_name(),
                task: "style transfer",
                wanted: "cyclegan",
            }
            .into()),
        }
    }

    /// The style to write into: `to` by name when given; else the one a model named
    /// `"<from>2<to>"` (as the built-in `folk2pop`) names; else style B.
    pub fn target(&self, to: Option<&str>) -> Result<usize, GenerateError> {
        if let Some(to) = to {
            return self
                .styles
                .iter()
                .position(|s| s.eq_ignore_ascii_case(to.trim()))
                .ok_or_else(|| {
                    GenerateError::InvalidOptions(format!(
                        "--to {to:?}: {} transfers between {:?} and {:?}",
                        self.name, self.styles[0], self.styles[1]
                    ))
                });
        }
        let [a, b] = &self.styles;
        let backwards = format!("{b}2{a}").to_lowercase();
        Ok(usize::from(self.short_name.to_lowercase() != backwards))
    }

    /// Rolls (whole phrases of 64 steps) rewritten into style `to` (0: A, 1: B); each cell
    /// sounds where its probability is at least `threshold`.
    pub fn transfer_roll(
        &self,
        roll: &[StepMask],
        to: usize,
        threshold: f32,
    ) -> Result<Vec<StepMask>, GenerateError> {
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(GenerateError::InvalidOptions(format!(
                "threshold = {threshold}; give a value in (0, 1)"
            )));
        }
        let generator = self.pair.into_style(to.min(1));
        let phrases = roll.len().div_ceil(PHRASE_STEPS);
        let mut padded = roll.to_vec();
        padded.resize(phrases * PHRASE_STEPS, 0);
        let mut out = Vec::with_capacity(padded.len());
        for chunk in padded.chunks(PHRASES_PER_BATCH * PHRASE_STEPS) {
            let n = chunk.len() / PHRASE_STEPS;
            let mut cells = vec![0f32; chunk.len() * ROLL_PITCHES];
            for (i, &m) in chunk.iter().enumerate() {
                for p in 0..ROLL_PITCHES {
                    if m >> p & 1 == 1 {
                        cells[i * ROLL_PITCHES + p] = 1.0;
                    }
                }
            }
            let rolls = Tensor::<B, 4>::from_data(
                TensorData::new(cells, [n, 1, PHRASE_STEPS, ROLL_PITCHES]),
                &self.device,
            );
            let p: Vec<f32> = sigmoid(generator.forward(rolls))
                .into_data()
                .convert::<f32>()
                .to_vec()
                .map_err(|e| GenerateError::Unsupported(format!("{e:?}")))?;
            out.extend(p.chunks(ROLL_PITCHES).map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &v)| v >= threshold)
                    .fold(0 as StepMask, |m, (k, _)| m | 1 << k)
            }));
        }
        out.truncate(roll.len());
        Ok(out)
    }

    /// A piece read from `file` rewritten into style `to`.
    pub fn transfer_score(
        &self,
        score: &Score,
        file: &Path,
        to: usize,
        threshold: f32,
        notation: Notation,
    ) -> Result<Transferred, GenerateError> {
        let grid = piece_grid(score, file)?;
        let source = grid.merged_roll(score);
        if source.iter().all(|&m| m == 0) {
            return Err(GenerateError::InvalidOptions(format!(
                "{}: no pitched note in a whole bar to transfer",
                file.display()
            )));
        }
        let written = self.transfer_roll(&source, to, threshold)?;
        let mut kept = ContentKept::default();
        kept.add(&source, &written);
        Ok(Transferred {
            score: self.written_score(score, &grid, &written, to, notation),
            bars: grid.bars(),
            source,
            written,
            kept,
        })
    }

    /// A transferred piece written back into the style of its source (`to` is where it went),
    /// on the source's bars: the cycle that Brunner et al.'s strength judges.
    pub fn cycle_back(
        &self,
        source: &Score,
        file: &Path,
        transferred: &Transferred,
        to: usize,
        threshold: f32,
        notation: Notation,
    ) -> Result<Score, GenerateError> {
        let grid = piece_grid(source, file)?;
        let back = 1 - to.min(1);
        let cycled = self.transfer_roll(&transferred.written, back, threshold)?;
        Ok(self.written_score(source, &grid, &cycled, back, notation))
    }

    /// `written` on the bars of `source` as `notation` says, one piano track named after the
    /// style.
    fn written_score(
        &self,
        source: &Score,
        grid: &StepGrid,
        written: &[StepMask],
        to: usize,
        notation: Notation,
    ) -> Score {
        let name = self.styles[to.min(1)].clone();
        match notation {
            Notation::Source => {
                let mut score = Score::new(source.ticks_per_beat);
                score.tempos = source.tempos.clone();
                score.time_signatures = source.time_signatures.clone();
                score.key_signatures = source.key_signatures.clone();
                let mut track = Track::new(name, 0);
                track.notes = grid.notes(written, VELOCITY);
                score.tracks.push(track);
                score
            }
            Notation::Common => {
                let mut score = rolls_to_score(written, &[name], &[0], COMMON_TICKS, 120.0);
                score.tempos = common_tempos(source, grid);
                score.time_signatures = vec![TimeSignature {
                    tick: 0,
                    numerator: 4,
                    denominator: 4,
                }];
                score.key_signatures = source.key_signatures.iter().take(1).cloned().collect();
                for key in &mut score.key_signatures {
                    key.tick = 0;
                }
                score
            }
        }
    }
}

/// Ticks per beat of a piece written in common time.
const COMMON_TICKS: u32 = 480;

/// Tempo changes that make each 4/4 bar of a piece in common time last as long as the source's
/// bar: one at every bar whose length differs from the one before.
fn common_tempos(source: &Score, grid: &StepGrid) -> Vec<TempoChange> {
    let map = source.tempo_map();
    let bar_ticks = 4 * COMMON_TICKS as u64;
    let mut tempos: Vec<TempoChange> = Vec::new();
    for (k, &(start, end)) in grid.bar_bounds().iter().enumerate() {
        let seconds = map.seconds_at(end) - map.seconds_at(start);
        if seconds.is_nan() || seconds <= 0.0 {
            continue;
        }
        let bpm = (240.0 / seconds).clamp(10.0, 400.0);
        if tempos.last().is_none_or(|t| (t.bpm() - bpm).abs() > 1e-3) {
            tempos.push(TempoChange::from_bpm(k as u64 * bar_ticks, bpm));
        }
    }
    if tempos.is_empty() {
        tempos.push(TempoChange::from_bpm(0, 120.0));
    }
    tempos
}

/// Brunner et al.'s strength of one transferred piece: with `p_source(x)` the probability a style
/// classifier gives the source's style, ½[p(source) − p(transferred) + p(cycled back) −
/// p(transferred)] — high when the transfer leaves the source style and the cycle comes back to
/// it.
pub fn transfer_strength(source: f64, transferred: f64, cycled: f64) -> f64 {
    0.5 * (source - transferred + cycled - transferred)
}

/// How a style classifier judges one transfer.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Judgement {
    /// Probability of the target style: source, transferred, cycled back.
    pub target: [f64; 3],
    /// Probability of the source style: source, transferred, cycled back.
    pub source: [f64; 3],
    /// Whether the transferred piece is classified as the target style (its most probable
    /// class).
    pub as_target: bool,
    /// [`transfer_strength`] from the source-style probabilities.
    pub strength: f64,
}

impl Judgement {
    /// The judgement from the probabilities a classifier gives the target and the source style
    /// (of the source, the transferred piece and the piece cycled back), and whether the
    /// transferred piece's class is the target.
    pub fn of(target: [f64; 3], source: [f64; 3], as_target: bool) -> Self {
        Judgement {
            target,
            source,
            as_target,
            strength: transfer_strength(source[0], source[1], source[2]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_is_high_when_the_transfer_leaves_and_the_cycle_returns() {
        assert!((transfer_strength(1.0, 0.0, 1.0) - 1.0).abs() < 1e-12);
        assert!(transfer_strength(0.9, 0.9, 0.9).abs() < 1e-12);
        assert!(transfer_strength(0.9, 0.95, 0.9) < 0.0);
    }
}
