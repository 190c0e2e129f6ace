//! Lead sheets: the melody of each piece as bars of sixteen steps over their chords, for the
//! melody GAN (MidiNet-style: a bar is written from its chord and the bar before it).
//!
//! A piece's melody is its track named `data.lead_sheet.track` (POP909's `MELODY`), or else its
//! highest track on average. Bars start at the downbeats of a `beat_midi.txt` beside the file
//! (POP909's beat annotation: seconds, beat, downbeat), or else every four beats from tick 0. A bar's chord is the one sounding longest in it, from a
//! `chord_midi.txt` beside the file (POP909's chord annotation: start and end seconds, symbol),
//! or else estimated from the other tracks' notes by matching the 24 major and minor triads.

use std::path::Path;

use euterpe_base::SplitMix64;
use euterpe_music::melody::{melody_bars, MelodyBar, HOLD, STEPS_PER_BAR};
use euterpe_music::{Chord, MusicError, Note, Score, TempoMap};
use serde::{Deserialize, Serialize};

use crate::corpus::{Corpus, CorpusOptions, Failure};
use crate::{DataError, Progress, Split};

/// How MIDI files become lead sheets (`[data.lead_sheet]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeadSheetConfig {
    /// The name of the melody track, matched without regard to case (default "MELODY").
    pub track: String,
    /// Training bars are transposed at random by up to this many semitones either way, chords
    /// with them (default 5).
    pub transpose: u8,
}

impl Default for LeadSheetConfig {
    fn default() -> Self {
        LeadSheetConfig {
            track: euterpe_music::MELODY_TRACK.into(),
            transpose: 5,
        }
    }
}

/// The bars of one piece.
#[derive(Debug, Clone)]
pub struct LeadSheet {
    /// The piece's id (its path under the corpus root).
    pub id: String,
    /// Its bars in order.
    pub bars: Vec<MelodyBar>,
}

/// Lead sheets split three ways.
#[derive(Debug, Clone)]
pub struct LeadSheetData {
    /// Train, valid and test pieces.
    pub splits: [Vec<LeadSheet>; 3],
    /// The random transposition of training bars, in semitones either way.
    pub transpose: u8,
}

impl LeadSheetData {
    /// Reads every MIDI file under `path` (a folder or one file) with its annotations; files
    /// that cannot be read, or have no melody, are skipped and returned.
    pub fn load(
        path: &Path,
        config: &LeadSheetConfig,
        options: CorpusOptions,
        progress: Option<Progress>,
    ) -> Result<(LeadSheetData, Vec<Failure>), DataError> {
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
        let (sheets, failures) = corpus.map_scores(|entry, score| {
            let bars = lead_sheet_bars(&score, &entry.path, &config.track)?;
            Ok((
                entry.split,
                LeadSheet {
                    id: entry.id.clone(),
                    bars,
                },
            ))
        });
        let mut data = LeadSheetData {
            splits: Default::default(),
            transpose: config.transpose,
        };
        for (_, (split, sheet)) in sheets {
            data.splits[split.index()].push(sheet);
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

    /// The (previous bar, bar) pairs of a split whose bar is not silent; training pairs are
    /// transposed at random each pass.
    pub fn pairs(&self, split: Split) -> BarPairs {
        let mut pairs = Vec::new();
        for sheet in &self.splits[split.index()] {
            for (i, bar) in sheet.bars.iter().enumerate() {
                if bar.steps.iter().all(|&s| s == euterpe_music::melody::REST) {
                    continue;
                }
                let prev = if i == 0 {
                    MelodyBar::rest(None)
                } else {
                    sheet.bars[i - 1].clone()
                };
                pairs.push((prev, bar.clone()));
            }
        }
        BarPairs {
            pairs,
            transpose: if split == Split::Train {
                self.transpose
            } else {
                0
            },
        }
    }
}

/// (Previous bar, bar) pairs, served in batches.
#[derive(Debug, Clone)]
pub struct BarPairs {
    /// The pairs.
    pub pairs: Vec<(MelodyBar, MelodyBar)>,
    transpose: u8,
}

/// A batch of bars with the bar before each and its chord.
#[derive(Debug, Clone, PartialEq)]
pub struct BarBatch {
    /// The step classes of each bar.
    pub bars: Vec<[u8; STEPS_PER_BAR]>,
    /// The step classes of the bar before each (all rests for a first bar).
    pub previous: Vec<[u8; STEPS_PER_BAR]>,
    /// The chord of each bar.
    pub chords: Vec<Option<Chord>>,
}

impl BarBatch {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

impl BarPairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Batches of `batch_size` pairs, shuffled and (for training) transposed with `seed`, or in
    /// order with `None`.
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> Vec<BarBatch> {
        let mut order: Vec<usize> = (0..self.pairs.len()).collect();
        let mut rng = SplitMix64::new(seed.unwrap_or(0));
        if seed.is_some() {
            rng.shuffle(&mut order);
        }
        order
            .chunks(batch_size.max(1))
            .map(|chunk| {
                let mut batch = BarBatch {
                    bars: Vec::with_capacity(chunk.len()),
                    previous: Vec::with_capacity(chunk.len()),
                    chords: Vec::with_capacity(chunk.len()),
                };
                for &i in chunk {
                    let (prev, bar) = &self.pairs[i];
                    let shift = if seed.is_some() && self.transpose > 0 {
                        let t = self.transpose as usize;
                        rng.below(2 * t + 1) as i32 - t as i32
                    } else {
                        0
                    };
                    let (prev, bar) = (prev.transposed(shift), bar.transposed(shift));
                    batch.bars.push(bar.steps);
                    batch.previous.push(prev.steps);
                    batch.chords.push(bar.chord);
                }
                batch
            })
            .collect()
    }
}

/// The chord progression of a song, one chord per bar (`None` where there is none), from the
/// first bar of its melody to its end: its annotations beside `file` (POP909's
/// `chord_midi.txt` and `beat_midi.txt`), else chords estimated from its other tracks, as
/// [`lead_sheet_bars`] reads them. For writing a new melody over a song's chords.
pub fn song_progression(
    score: &Score,
    file: &Path,
    track: &str,
) -> Result<Vec<Option<Chord>>, MusicError> {
    let bars = lead_sheet_bars(score, file, track)?;
    let first = bars
        .iter()
        .position(|b| b.steps.iter().any(|&s| s > HOLD))
        .unwrap_or(0);
    Ok(bars[first..].iter().map(|b| b.chord).collect())
}

/// The melody bars of a score read from `file` (annotations are looked for beside it).
pub fn lead_sheet_bars(
    score: &Score,
    file: &Path,
    track: &str,
) -> Result<Vec<MelodyBar>, MusicError> {
    let melody = score.melody_track(track).ok_or_else(|| {
        MusicError::Unencodable(format!("no track named {track:?} and no track with notes"))
    })?;
    let tempo = score.tempo_map();
    let dir = file.parent().unwrap_or(Path::new("."));
    let end = score.end_tick();
    let starts = match read_downbeats(&dir.join("beat_midi.txt"), &tempo)? {
        Some(d) if !d.is_empty() => d,
        _ => meter_downbeats(score, end),
    };
    let notes = &score.tracks[melody].notes;
    let bars = match read_chords(&dir.join("chord_midi.txt"), &tempo)? {
        Some(chords) => melody_bars(notes, &starts, end, |s, e| longest_chord(&chords, s, e)),
        None => {
            let others: Vec<&Note> = score
                .tracks
                .iter()
                .enumerate()
                .filter(|(i, t)| *i != melody && !t.is_drum)
                .flat_map(|(_, t)| t.notes.iter())
                .collect();
            melody_bars(notes, &starts, end, |s, e| estimate_chord(&others, s, e))
        }
    };
    Ok(bars)
}

/// Bar starts every four beats from tick 0 to `end` (the model's bars are sixteen sixteenths,
/// whatever the file's time signature says: POP909's files say 2/4 for music annotated in 4/4).
pub(crate) fn meter_downbeats(score: &Score, end: u64) -> Vec<u64> {
    let bar = (4 * score.ticks_per_beat as u64).max(1);
    (0..=end / bar).map(|i| i * bar).collect()
}

fn bad_line(path: &Path, line: usize, reason: impl std::fmt::Display) -> MusicError {
    MusicError::InvalidFile {
        path: path.to_path_buf(),
        reason: format!("line {line}: {reason}"),
    }
}

/// Numbered lines of a text file, each split into its fields.
type Lines = Vec<(usize, Vec<String>)>;

/// A chord annotation: start and end ticks and the chord.
type ChordSpan = (u64, u64, Option<Chord>);

/// The lines of an annotation file split into fields, `None` if there is no such file.
fn annotation_lines(path: &Path) -> Result<Option<Lines>, MusicError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(MusicError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Ok(Some(
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l.split_whitespace().map(str::to_string).collect()))
            .collect(),
    ))
}

fn seconds(path: &Path, line: usize, field: &str) -> Result<f64, MusicError> {
    field
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| bad_line(path, line, format!("{field:?} is not a time in seconds")))
}

/// Downbeat ticks from POP909's `beat_midi.txt` (seconds, beat flag, downbeat flag).
pub(crate) fn read_downbeats(
    path: &Path,
    tempo: &TempoMap,
) -> Result<Option<Vec<u64>>, MusicError> {
    let Some(lines) = annotation_lines(path)? else {
        return Ok(None);
    };
    let mut starts = Vec::new();
    for (line, fields) in lines {
        if fields.len() < 3 {
            return Err(bad_line(
                path,
                line,
                "expected three columns: seconds, beat, downbeat",
            ));
        }
        let time = seconds(path, line, &fields[0])?;
        if fields[2]
            .parse::<f64>()
            .map_err(|_| bad_line(path, line, "the downbeat flag is not a number"))?
            > 0.5
        {
            let tick = tempo.tick_at(time);
            if starts.last().is_none_or(|&last| tick > last) {
                starts.push(tick);
            }
        }
    }
    Ok(Some(starts))
}

/// Chords with their spans in ticks from POP909's `chord_midi.txt` (start, end, symbol).
fn read_chords(path: &Path, tempo: &TempoMap) -> Result<Option<Vec<ChordSpan>>, MusicError> {
    let Some(lines) = annotation_lines(path)? else {
        return Ok(None);
    };
    let mut chords = Vec::with_capacity(lines.len());
    for (line, fields) in lines {
        if fields.len() < 3 {
            return Err(bad_line(
                path,
                line,
                "expected three columns: start, end, chord",
            ));
        }
        let start = tempo.tick_at(seconds(path, line, &fields[0])?);
        let end = tempo.tick_at(seconds(path, line, &fields[1])?);
        let chord = Chord::parse(&fields[2]).map_err(|e| bad_line(path, line, e))?;
        chords.push((start, end, chord));
    }
    Ok(Some(chords))
}

/// The chord sounding longest within `[start, end)`.
fn longest_chord(chords: &[ChordSpan], start: u64, end: u64) -> Option<Chord> {
    chords
        .iter()
        .map(|&(s, e, c)| (e.min(end).saturating_sub(s.max(start)), c))
        .filter(|(overlap, _)| *overlap > 0)
        .max_by_key(|(overlap, _)| *overlap)
        .and_then(|(_, c)| c)
}

/// The major or minor triad that best explains the notes sounding in `[start, end)` (weighted
/// by how long each sounds there): triad tones count for, other pitch classes against.
fn estimate_chord(notes: &[&Note], start: u64, end: u64) -> Option<Chord> {
    let mut weight = [0f64; 12];
    for n in notes {
        let overlap = n.offset().min(end).saturating_sub(n.onset.max(start));
        weight[(n.pitch % 12) as usize] += overlap as f64;
    }
    let total: f64 = weight.iter().sum();
    if total <= 0.0 {
        return None;
    }
    (0..24u8)
        .map(|i| Chord::new(i % 12, i >= 12))
        .map(|c| {
            let inside: f64 = c.triad().iter().map(|&pc| weight[pc as usize]).sum();
            (c, 2.0 * inside - total + 0.1 * weight[c.root as usize])
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u64, pitch: u8) -> Note {
        Note {
            onset,
            duration: 480,
            pitch,
            velocity: 80,
        }
    }

    #[test]
    fn chords_are_estimated_from_accompaniment() {
        let am = [note(0, 57), note(0, 60), note(0, 64), note(480, 69)];
        let refs: Vec<&Note> = am.iter().collect();
        assert_eq!(estimate_chord(&refs, 0, 1920), Some(Chord::new(9, true)));
        let g = [note(0, 55), note(0, 59), note(480, 62), note(960, 67)];
        let refs: Vec<&Note> = g.iter().collect();
        assert_eq!(estimate_chord(&refs, 0, 1920), Some(Chord::new(7, false)));
        assert_eq!(estimate_chord(&[], 0, 1920), None);
    }

    #[test]
    fn the_longest_chord_of_a_bar_wins() {
        let c = Some(Chord::new(0, false));
        let g = Some(Chord::new(7, false));
        let chords = [(0, 500, c), (500, 1920, g), (1920, 3840, None)];
        assert_eq!(longest_chord(&chords, 0, 1920), g);
        assert_eq!(longest_chord(&chords, 1920, 3840), None);
        assert_eq!(longest_chord(&chords, 5000, 6000), None);
    }
}
