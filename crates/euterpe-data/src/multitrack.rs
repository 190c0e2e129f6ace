//! Multi-track phrases for the MuseGAN-style arranger: several named tracks of a piece (POP909's
//! `MELODY`, `BRIDGE` and `PIANO`) as binary piano-rolls of four bars, sixteen steps a bar and
//! 84 pitches (C1 to B7), as in MuseGAN (Dong et al. 2018).
//!
//! Bars start at the downbeats of a `beat_midi.txt` beside the file (POP909's beat annotation),
//! or else every four beats. A track missing from a piece is silent; a piece with none of the
//! named tracks is skipped and reported. Rolls are kept as one 128-bit pitch mask per track and
//! step, so that a corpus of thousands of songs fits in tens of MiB.

use std::path::Path;

use euterpe_base::SplitMix64;
use euterpe_music::melody::STEPS_PER_BAR;
use euterpe_music::{MusicError, Note, Score, Track};
use serde::{Deserialize, Serialize};

use crate::corpus::{Corpus, CorpusOptions, Failure};
use crate::{DataError, Progress, Split};

/// Bars of a phrase.
pub const PHRASE_BARS: usize = 4;
/// Steps of a phrase.
pub const PHRASE_STEPS: usize = PHRASE_BARS * STEPS_PER_BAR;
/// The lowest pitch of a roll (C1); lower notes are raised by octaves into the range.
pub const ROLL_LOWEST: u8 = 24;
/// Pitches of a roll (seven octaves); higher notes are lowered by octaves into the range.
pub const ROLL_PITCHES: usize = 84;

/// How MIDI files become multi-track phrases (`[data.multitrack]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MultiTrackConfig {
    /// The tracks, by name (matched without regard to case), in the order the model writes
    /// them (default `["MELODY", "BRIDGE", "PIANO"]`, POP909's).
    pub tracks: Vec<String>,
    /// Training phrases are transposed at random by up to this many semitones either way
    /// (default 5).
    pub transpose: u8,
}

impl Default for MultiTrackConfig {
    fn default() -> Self {
        MultiTrackConfig {
            tracks: vec!["MELODY".into(), "BRIDGE".into(), "PIANO".into()],
            transpose: 5,
        }
    }
}

/// One step of one track: bit `p` set when pitch `ROLL_LOWEST + p` sounds.
pub type StepMask = u128;

/// The rolls of one piece: `rolls[track][step]`.
#[derive(Debug, Clone)]
pub struct PieceRolls {
    /// The piece's id (its path under the corpus root).
    pub id: String,
    /// One mask per step for each track, all of the same length (whole bars).
    pub rolls: Vec<Vec<StepMask>>,
}

impl PieceRolls {
    /// Number of whole bars.
    pub fn bars(&self) -> usize {
        self.rolls.first().map_or(0, |r| r.len() / STEPS_PER_BAR)
    }
}

/// Multi-track pieces split three ways.
#[derive(Debug, Clone)]
pub struct MultiTrackData {
    /// The track names, in order.
    pub tracks: Vec<String>,
    /// Train, valid and test pieces.
    pub splits: [Vec<PieceRolls>; 3],
    /// The random transposition of training phrases, in semitones either way.
    pub transpose: u8,
}

impl MultiTrackData {
    /// Reads every MIDI file under `path` (a folder or one file); files that cannot be read or
    /// hold none of the named tracks are skipped and returned.
    pub fn load(
        path: &Path,
        config: &MultiTrackConfig,
        options: CorpusOptions,
        progress: Option<Progress>,
    ) -> Result<(MultiTrackData, Vec<Failure>), DataError> {
        if config.tracks.is_empty() || config.tracks.len() > 16 {
            return Err(DataError::UnsupportedPath {
                path: path.to_path_buf(),
                reason: format!(
                    "data.multitrack.tracks names {} tracks; give 1 to 16",
                    config.tracks.len()
                ),
            });
        }
        let corpus = Corpus::open(
            path,
            &CorpusOptions {
                progress,
                ..options
            },
        )?;
        if corpus.is_empty() {
            return Err(DataError::UnsupportedPath {
                path: path.to_path_buf(),
                reason: "no MIDI files (.mid, .midi) found".into(),
            });
        }
        let (pieces, failures) = corpus.map_scores(|entry, score| {
            let rolls = piece_rolls(&score, &entry.path, &config.tracks)?;
            Ok((
                entry.split,
                PieceRolls {
                    id: entry.id.clone(),
                    rolls,
                },
            ))
        });
        let mut data = MultiTrackData {
            tracks: config.tracks.clone(),
            splits: Default::default(),
            transpose: config.transpose,
        };
        for (_, (split, piece)) in pieces {
            data.splits[split.index()].push(piece);
        }
        Ok((data, failures))
    }

    /// Number of pieces in a split.
    pub fn len(&self, split: Split) -> usize {
        self.splits[split.index()].len()
    }

    /// Whether a split has no piece.
    pub fn is_empty(&self, split: Split) -> bool {
        self.len(split) == 0
    }

    /// The phrases of a split that are not silent: every bar starts one in training (with a
    /// random transposition each pass), every fourth bar elsewhere (phrases do not overlap).
    pub fn phrases(&self, split: Split) -> Phrases {
        let train = split == Split::Train;
        let hop = if train { 1 } else { PHRASE_BARS };
        let mut starts = Vec::new();
        for (p, piece) in self.splits[split.index()].iter().enumerate() {
            let bars = piece.bars();
            let mut bar = 0;
            while bar + PHRASE_BARS <= bars {
                let range = bar * STEPS_PER_BAR..(bar + PHRASE_BARS) * STEPS_PER_BAR;
                if piece
                    .rolls
                    .iter()
                    .any(|r| r[range.clone()].iter().any(|&m| m != 0))
                {
                    starts.push((p, bar * STEPS_PER_BAR));
                }
                bar += hop;
            }
        }
        Phrases {
            phrases: starts
                .into_iter()
                .map(|(p, s)| {
                    let piece = &self.splits[split.index()][p];
                    piece
                        .rolls
                        .iter()
                        .flat_map(|r| r[s..s + PHRASE_STEPS].iter().copied())
                        .collect()
                })
                .collect(),
            tracks: self.tracks.len(),
            transpose: if train { self.transpose } else { 0 },
        }
    }
}

/// Phrases of several tracks, served in batches.
#[derive(Debug, Clone)]
pub struct Phrases {
    /// Each phrase's masks, track after track (`tracks × PHRASE_STEPS`).
    pub phrases: Vec<Vec<StepMask>>,
    /// Tracks per phrase.
    pub tracks: usize,
    transpose: u8,
}

/// A batch of phrases: `tracks × PHRASE_STEPS` masks each.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseBatch {
    /// Tracks per phrase.
    pub tracks: usize,
    /// The masks of every phrase, phrase after phrase, track after track, step after step.
    pub masks: Vec<StepMask>,
}

impl PhraseBatch {
    /// Number of phrases.
    pub fn len(&self) -> usize {
        self.masks.len() / (self.tracks * PHRASE_STEPS).max(1)
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.masks.is_empty()
    }

    /// The rolls as 0/1 values `[n, tracks, PHRASE_STEPS, ROLL_PITCHES]`, flattened.
    pub fn values(&self) -> Vec<f32> {
        let mut v = vec![0f32; self.masks.len() * ROLL_PITCHES];
        for (i, &m) in self.masks.iter().enumerate() {
            if m == 0 {
                continue;
            }
            for p in 0..ROLL_PITCHES {
                if m >> p & 1 == 1 {
                    v[i * ROLL_PITCHES + p] = 1.0;
                }
            }
        }
        v
    }
}

impl Phrases {
    /// Number of phrases.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Batches of `batch_size` phrases, shuffled and (for training) transposed with `seed`, or
    /// in order with `None`.
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<PhraseBatch> {
        let mut order: Vec<usize> = (0..self.phrases.len()).collect();
        let mut rng = SplitMix64::new(seed.unwrap_or(0));
        if seed.is_some() {
            rng.shuffle(&mut order);
        }
        order
            .chunks(batch_size.max(1))
            .map(|chunk| {
                let mut masks = Vec::with_capacity(chunk.len() * self.tracks * PHRASE_STEPS);
                for &i in chunk {
                    let shift = if seed.is_some() && self.transpose > 0 {
                        let t = self.transpose as usize;
                        rng.below(2 * t + 1) as i32 - t as i32
                    } else {
                        0
                    };
                    masks.extend(self.phrases[i].iter().map(|&m| shift_mask(m, shift)));
                }
                PhraseBatch {
                    tracks: self.tracks,
                    masks,
                }
            })
            .collect()
    }
}

/// `mask` moved by `shift` semitones; pitches pushed out of the roll are dropped.
pub fn shift_mask(mask: StepMask, shift: i32) -> StepMask {
    let full: StepMask = (1 << ROLL_PITCHES) - 1;
    let moved = if shift >= 0 {
        mask << shift
    } else {
        mask >> (-shift)
    };
    moved & full
}

/// The roll row of `pitch`, moved by octaves into the roll's range.
fn roll_row(pitch: u8) -> usize {
    let mut p = pitch as i32 - ROLL_LOWEST as i32;
    while p < 0 {
        p += 12;
    }
    while p >= ROLL_PITCHES as i32 {
        p -= 12;
    }
    p as usize
}

/// The rolls of `tracks` (by name) of a score read from `file`, over the bars of the
/// `beat_midi.txt` beside it or of four beats each.
pub fn piece_rolls(
    score: &Score,
    file: &Path,
    tracks: &[String],
) -> Result<Vec<Vec<StepMask>>, MusicError> {
    let found: Vec<Option<&Track>> = tracks
        .iter()
        .map(|name| {
            score
                .tracks
                .iter()
                .find(|t| t.name.trim().eq_ignore_ascii_case(name.trim()))
        })
        .collect();
    if found.iter().all(Option::is_none) {
        return Err(MusicError::Unencodable(format!(
            "none of the tracks {} (its tracks: {})",
            tracks.join(", "),
            score
                .tracks
                .iter()
                .map(|t| format!("{:?}", t.name))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let grid = piece_grid(score, file)?;
    Ok(found
        .iter()
        .map(|t| grid.roll(t.map_or(&[][..], |t| &t.notes)))
        .collect())
}

/// The bars of a score read from `file`: the downbeats of a `beat_midi.txt` beside it, or else
/// the bars of its time signatures (four beats without one).
pub fn piece_grid(score: &Score, file: &Path) -> Result<StepGrid, MusicError> {
    let end = score.end_tick();
    let dir = file.parent().unwrap_or(Path::new("."));
    let tempo = score.tempo_map();
    let starts = match crate::lead_sheet::read_downbeats(&dir.join("beat_midi.txt"), &tempo)? {
        Some(d) if !d.is_empty() => d,
        _ => crate::lead_sheet::meter_downbeats(score, end),
    };
    Ok(StepGrid::new(&starts, end))
}

/// The roll of a lead track to arrange around, from a score read from `file`: the track named
/// `name` (matched without regard to case), or else the highest non-drum track with notes.
/// Returns the masks (whole bars) and the name of the track taken.
pub fn lead_roll(
    score: &Score,
    file: &Path,
    name: &str,
) -> Result<(Vec<StepMask>, String), MusicError> {
    let index = score
        .melody_track(name)
        .ok_or_else(|| MusicError::Unencodable("no track with notes to arrange around".into()))?;
    let track = &score.tracks[index];
    let grid = piece_grid(score, file)?;
    Ok((grid.roll(&track.notes), track.name.clone()))
}

/// The steps of a piece: bar bounds in ticks, sixteen even steps in each.
#[derive(Debug, Clone)]
pub struct StepGrid {
    bounds: Vec<(u64, u64)>,
}

impl StepGrid {
    /// Number of whole bars.
    pub fn bars(&self) -> usize {
        self.bounds.len()
    }

    /// Each bar's first tick and the first tick after it.
    pub fn bar_bounds(&self) -> &[(u64, u64)] {
        &self.bounds
    }

    /// The tick at which global step `step` starts (steps past the last bar go on at the last
    /// bar's pace).
    pub fn tick_of(&self, step: usize) -> u64 {
        let Some(&(last_start, last_end)) = self.bounds.last() else {
            return 0;
        };
        let bar = step / STEPS_PER_BAR;
        let within = (step % STEPS_PER_BAR) as f64;
        let (s, e) = self.bounds.get(bar).copied().unwrap_or_else(|| {
            let len = last_end - last_start;
            let extra = (bar + 1 - self.bounds.len()) as u64 * len;
            (last_start + extra, last_end + extra)
        });
        s + ((e - s) as f64 * within / STEPS_PER_BAR as f64).round() as u64
    }

    /// A roll over this grid's steps as notes at the grid's ticks (each run of sounding steps of
    /// a pitch one note), so that a roll read from a piece goes back onto the piece's own bars,
    /// meters and tempo.
    pub fn notes(&self, roll: &[StepMask], velocity: u8) -> Vec<Note> {
        let mut notes: Vec<Note> = pitch_runs(roll)
            .map(|(row, s0, s1)| {
                let onset = self.tick_of(s0);
                Note {
                    onset,
                    duration: self.tick_of(s1).saturating_sub(onset).max(1),
                    pitch: ROLL_LOWEST + row as u8,
                    velocity,
                }
            })
            .collect();
        notes.sort_by_key(|n| (n.onset, n.pitch));
        notes
    }

    /// All the pitched notes of a score (every track but drums) as one roll over its steps.
    pub fn merged_roll(&self, score: &Score) -> Vec<StepMask> {
        let notes: Vec<Note> = score
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .flat_map(|t| t.notes.iter().copied())
            .collect();
        self.roll(&notes)
    }

    fn new(starts: &[u64], end: u64) -> Self {
        StepGrid {
            bounds: starts
                .iter()
                .enumerate()
                .map(|(i, &s)| (s, starts.get(i + 1).copied().unwrap_or(end)))
                .filter(|(s, e)| e > s)
                .collect(),
        }
    }

    /// The global step nearest to `tick`.
    fn step_of(&self, tick: u64) -> usize {
        let bar = self
            .bounds
            .partition_point(|b| b.0 <= tick)
            .saturating_sub(1)
            .min(self.bounds.len().saturating_sub(1));
        let (s, e) = self.bounds[bar];
        let within = (tick as f64 - s as f64) / ((e - s) as f64 / STEPS_PER_BAR as f64);
        (bar as f64 * STEPS_PER_BAR as f64 + within.round()).max(0.0) as usize
    }

    /// A track's notes as masks over every step (a note sounds at least one step). A note
    /// that starts where another of the same pitch ends leaves the last step of the earlier
    /// one silent, so that repeated notes stay apart in a binary roll.
    pub fn roll(&self, notes: &[Note]) -> Vec<StepMask> {
        let total = self.bounds.len() * STEPS_PER_BAR;
        let mut roll = vec![0 as StepMask; total];
        if total == 0 {
            return roll;
        }
        let mut spans: Vec<(usize, usize, usize)> = notes
            .iter()
            .map(|n| {
                let s0 = self.step_of(n.onset);
                let s1 = self.step_of(n.offset()).max(s0 + 1);
                (roll_row(n.pitch), s0, s1.min(total))
            })
            .filter(|&(_, s0, _)| s0 < total)
            .collect();
        spans.sort_unstable();
        for (i, &(row, s0, mut s1)) in spans.iter().enumerate() {
            if let Some(&(next_row, next_s0, _)) = spans.get(i + 1) {
                if next_row == row && next_s0 < s1 + 1 && next_s0 > s0 {
                    s1 = next_s0.saturating_sub(1).max(s0 + 1);
                }
            }
            for mask in &mut roll[s0..s1] {
                *mask |= 1 << row;
            }
        }
        roll
    }
}

/// The runs of sounding steps of a roll, pitch row by pitch row: `(row, first step, step after
/// the last)`, each one note.
fn pitch_runs(roll: &[StepMask]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    (0..ROLL_PITCHES).flat_map(move |p| {
        let mut start: Option<usize> = None;
        // One step past the end closes a run that reaches it.
        let sounding = roll.iter().map(move |m| m >> p & 1 == 1).chain([false]);
        sounding
            .enumerate()
            .filter_map(move |(s, on)| match (on, start) {
                (true, None) => {
                    start = Some(s);
                    None
                }
                (false, Some(s0)) => {
                    start = None;
                    Some((p, s0, s))
                }
                _ => None,
            })
    })
}

/// Phrases written as a score: one track per name, notes from the runs of sounding steps of each
/// pitch, a sixteenth note per step at `ticks_per_beat / 4` ticks. `masks` holds
/// `tracks.len() × steps` masks, track after track.
pub fn rolls_to_score(
    masks: &[StepMask],
    tracks: &[String],
    programs: &[u8],
    ticks_per_beat: u32,
    bpm: f64,
) -> Score {
    let mut score = Score::new(ticks_per_beat);
    score
        .tempos
        .push(euterpe_music::TempoChange::from_bpm(0, bpm));
    let steps = masks.len() / tracks.len().max(1);
    let tick = (ticks_per_beat as u64 / 4).max(1);
    for (k, name) in tracks.iter().enumerate() {
        let roll = &masks[k * steps..(k + 1) * steps];
        let mut track = Track::new(name.clone(), programs.get(k).copied().unwrap_or(0));
        track.notes = pitch_runs(roll)
            .map(|(row, s0, s1)| Note {
                onset: s0 as u64 * tick,
                duration: (s1 - s0) as u64 * tick,
                pitch: ROLL_LOWEST + row as u8,
                velocity: 80,
            })
            .collect();
        track.notes.sort_by_key(|n| (n.onset, n.pitch));
        score.tracks.push(track);
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u64, duration: u64, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch,
            velocity: 80,
        }
    }

    #[test]
    fn notes_become_steps_and_back() {
        // Four beats of 480 ticks a bar: a sixteenth is 120 ticks.
        let grid = StepGrid::new(&[0, 1920], 3840);
        let notes = [
            note(0, 480, 60),
            note(480, 480, 60),
            note(960, 240, 64),
            note(0, 1920, 12),
        ];
        let roll = grid.roll(&notes);
        assert_eq!(roll.len(), 32);
        let c = 1u128 << (60 - ROLL_LOWEST);
        assert_eq!(roll[0] & c, c);
        assert_eq!(roll[3] & c, 0, "a repeated note leaves a gap before it");
        assert_eq!(roll[4] & c, c);
        assert_eq!(roll[8] & (1 << (64 - ROLL_LOWEST)), 1 << (64 - ROLL_LOWEST));
        assert_eq!(
            roll[15] & 1,
            1,
            "pitch 12 is raised an octave to the roll's C1"
        );
        let names = vec!["A".to_string()];
        let score = rolls_to_score(&roll, &names, &[0], 480, 120.0);
        let pitches: Vec<(u64, u8)> = score.tracks[0]
            .notes
            .iter()
            .map(|n| (n.onset, n.pitch))
            .collect();
        assert!(pitches.contains(&(0, 60)) && pitches.contains(&(480, 60)));
        assert!(pitches.contains(&(960, 64)) && pitches.contains(&(0, 24)));
    }

    #[test]
    fn a_roll_goes_back_onto_bars_of_three_beats() {
        // Bars of three beats of 480 ticks: a step is 90 ticks.
        let grid = StepGrid::new(&[0, 1440], 2880);
        let notes = [note(0, 480, 60), note(480, 480, 60), note(1440, 960, 67)];
        let roll = grid.roll(&notes);
        let back = grid.notes(&roll, 80);
        let onsets: Vec<(u64, u8)> = back.iter().map(|n| (n.onset, n.pitch)).collect();
        assert_eq!(onsets, vec![(0, 60), (450, 60), (1440, 67)]);
        assert_eq!(
            grid.tick_of(32),
            2880,
            "a step past the end goes on at the last pace"
        );
        assert!(
            back[2].offset().abs_diff(1440 + 960) <= 90,
            "ends within a step"
        );
    }

    #[test]
    fn transposition_drops_what_leaves_the_roll() {
        let top = 1u128 << (ROLL_PITCHES - 1);
        assert_eq!(shift_mask(top | 1, 1), 2);
        assert_eq!(shift_mask(top | 1, -1), top >> 1);
        assert_eq!(shift_mask(5, 0), 5);
    }
}
