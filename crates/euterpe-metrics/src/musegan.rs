//! The multi-track metrics of MuseGAN (Dong et al. 2018), per track of a score and per pair of
//! tracks, on bars of four beats at 24 steps per beat (MuseGAN's 96 steps per bar):
//!
//! | metric | definition |
//! |---|---|
//! | EB | empty bars ÷ bars, per track (bars from the start to the end of the piece) |
//! | UPC | distinct pitch classes sounding in a bar, averaged over the track's non-empty bars |
//! | QN | qualified notes (at least 3 steps, a 32nd note) ÷ notes, per track |
//! | polyphony | mean distinct pitches sounding at the steps where any sound, per track |
//! | TD | tonal distance (Harte et al. 2006): the Euclidean distance between the 6-D tonal centroids of two tracks' normalised chroma, averaged over bars where both sound |
//!
//! A folder's figures ([`GanSetReport`]) pool the bars, notes and steps of every piece per track
//! name (POP909: MELODY, BRIDGE, PIANO), so long pieces weigh more, as in MuseGAN's evaluation
//! over all bars. Drum tracks are left out.

use std::collections::BTreeMap;

use euterpe_music::{Score, Track};
use serde::Serialize;

/// Steps per quarter note.
pub const STEPS_PER_BEAT: u64 = 24;
/// Steps per bar (four beats).
pub const STEPS_PER_BAR: u64 = 4 * STEPS_PER_BEAT;
/// Shortest qualified note, in steps.
pub const QUALIFIED_STEPS: u64 = 3;

/// Sums of one track over the pieces measured.
#[derive(Debug, Clone, Default)]
struct TrackTally {
    bars: usize,
    empty_bars: usize,
    pitch_classes: usize,
    notes: usize,
    qualified: usize,
    sounding_steps: usize,
    pitches_sounding: usize,
}

/// MuseGAN's figures of one track.
#[derive(Debug, Clone, Serialize)]
pub struct TrackMetrics {
    /// The track's name.
    pub track: String,
    /// Bars counted.
    pub bars: usize,
    /// Empty-bar rate, 0 to 1.
    pub empty_bars: f64,
    /// Used pitch classes per non-empty bar.
    pub pitch_classes_per_bar: Option<f64>,
    /// Qualified-note rate, 0 to 1.
    pub qualified_notes: Option<f64>,
    /// Mean distinct pitches at sounding steps.
    pub polyphony: Option<f64>,
}

/// Tonal distance between two tracks.
#[derive(Debug, Clone, Serialize)]
pub struct TonalDistance {
    /// The two tracks' names.
    pub tracks: [String; 2],
    /// Bars where both sound.
    pub bars: usize,
    /// Mean tonal distance over those bars.
    pub distance: Option<f64>,
}

/// MuseGAN's metrics of a set of multi-track pieces.
#[derive(Debug, Clone, Serialize, Default)]
pub struct GanSetReport {
    /// Pieces measured.
    pub pieces: usize,
    /// Per track name, in the order first seen.
    pub tracks: Vec<TrackMetrics>,
    /// Per pair of track names.
    pub tonal_distances: Vec<TonalDistance>,
}

/// Accumulates pieces into a [`GanSetReport`].
#[derive(Debug, Default)]
pub struct GanMetrics {
    pieces: usize,
    order: Vec<String>,
    tracks: BTreeMap<String, TrackTally>,
    pairs: BTreeMap<(String, String), (usize, f64)>,
}

/// A track's bars as sets of sounding pitches per step and of chroma per bar.
struct TrackGrid {
    /// Per bar, the durations (in steps) of each pitch class sounding.
    chroma: Vec<[f64; 12]>,
    /// Per step, how many distinct pitches sound.
    sounding: Vec<u8>,
}

fn grid(track: &Track, ticks_per_beat: u32, bars: usize) -> TrackGrid {
    let tpb = ticks_per_beat.max(1) as f64;
    let step_of = |tick: u64| (tick as f64 * STEPS_PER_BEAT as f64 / tpb).round() as u64;
    let steps = bars * STEPS_PER_BAR as usize;
    let mut chroma = vec![[0.0; 12]; bars];
    let mut pitches = vec![0u128; steps];
    for n in &track.notes {
        let (s0, s1) = (
            step_of(n.onset),
            step_of(n.offset()).max(step_of(n.onset) + 1),
        );
        for s in s0..s1.min(steps as u64) {
            pitches[s as usize] |= 1u128 << (n.pitch & 127);
            chroma[(s / STEPS_PER_BAR) as usize][(n.pitch % 12) as usize] += 1.0;
        }
    }
    TrackGrid {
        chroma,
        sounding: pitches.iter().map(|p| p.count_ones() as u8).collect(),
    }
}

/// The 6-D tonal centroid of a chroma vector (Harte et al. 2006): circles of fifths, minor
/// thirds and major thirds with radii 1, 1 and 0.5; `None` for silence.
pub fn tonal_centroid(chroma: &[f64; 12]) -> Option<[f64; 6]> {
    let total: f64 = chroma.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut c = [0.0; 6];
    for (pc, &w) in chroma.iter().enumerate() {
        let l = pc as f64;
        let angles = [
            l * 7.0 * std::f64::consts::PI / 6.0,
            l * 3.0 * std::f64::consts::PI / 2.0,
            l * 2.0 * std::f64::consts::PI / 3.0,
        ];
        let radii = [1.0, 1.0, 0.5];
        for k in 0..3 {
            c[2 * k] += w / total * radii[k] * angles[k].sin();
            c[2 * k + 1] += w / total * radii[k] * angles[k].cos();
        }
    }
    Some(c)
}

impl GanMetrics {
    /// Adds one piece.
    pub fn add(&mut self, score: &Score) {
        let bars = score
            .end_tick()
            .div_ceil(4 * score.ticks_per_beat.max(1) as u64) as usize;
        self.add_bars(score, bars);
    }

    /// Adds one piece of `bars` bars of four beats (silent bars at its end count too).
    pub fn add_bars(&mut self, score: &Score, bars: usize) {
        self.pieces += 1;
        let tracks: Vec<(&Track, TrackGrid)> = score
            .tracks
            .iter()
            .filter(|t| !t.is_drum)
            .map(|t| (t, grid(t, score.ticks_per_beat, bars)))
            .collect();
        for (track, g) in &tracks {
            let name = track_name(track);
            if !self.order.contains(&name) {
                self.order.push(name.clone());
            }
            let t = self.tracks.entry(name).or_default();
            t.bars += bars;
            for chroma in &g.chroma {
                let used = chroma.iter().filter(|&&w| w > 0.0).count();
                if used == 0 {
                    t.empty_bars += 1;
                }
                t.pitch_classes += used;
            }
            let step_of = |tick: u64| {
                (tick as f64 * STEPS_PER_BEAT as f64 / score.ticks_per_beat.max(1) as f64).round()
                    as u64
            };
            for n in &track.notes {
                t.notes += 1;
                let steps = step_of(n.offset()).saturating_sub(step_of(n.onset));
                t.qualified += (steps >= QUALIFIED_STEPS) as usize;
            }
            for &s in &g.sounding {
                if s > 0 {
                    t.sounding_steps += 1;
                    t.pitches_sounding += s as usize;
                }
            }
        }
        for (i, (a, ga)) in tracks.iter().enumerate() {
            for (b, gb) in &tracks[i + 1..] {
                let key = (track_name(a), track_name(b));
                let entry = self.pairs.entry(key).or_insert((0, 0.0));
                for (ca, cb) in ga.chroma.iter().zip(&gb.chroma) {
                    if let (Some(x), Some(y)) = (tonal_centroid(ca), tonal_centroid(cb)) {
                        entry.0 += 1;
                        entry.1 += x
                            .iter()
                            .zip(&y)
                            .map(|(p, q)| (p - q) * (p - q))
                            .sum::<f64>()
                            .sqrt();
                    }
                }
            }
        }
    }

    /// The figures of every piece added.
    pub fn report(&self) -> GanSetReport {
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        let tracks = self
            .order
            .iter()
            .map(|name| {
                let t = &self.tracks[name];
                TrackMetrics {
                    track: name.clone(),
                    bars: t.bars,
                    empty_bars: ratio(t.empty_bars, t.bars).unwrap_or(1.0),
                    pitch_classes_per_bar: ratio(t.pitch_classes, t.bars - t.empty_bars),
                    qualified_notes: ratio(t.qualified, t.notes),
                    polyphony: ratio(t.pitches_sounding, t.sounding_steps),
                }
            })
            .collect();
        let tonal_distances = self
            .pairs
            .iter()
            .map(|((a, b), &(bars, sum))| TonalDistance {
                tracks: [a.clone(), b.clone()],
                bars,
                distance: (bars > 0).then(|| sum / bars as f64),
            })
            .collect();
        GanSetReport {
            pieces: self.pieces,
            tracks,
            tonal_distances,
        }
    }
}

/// A track's name for pooling: its name, or `program N` when it has none.
fn track_name(track: &Track) -> String {
    let name = track.name.trim();
    if name.is_empty() {
        format!("program {}", track.program)
    } else {
        name.to_string()
    }
}

/// MuseGAN's metrics of a MIDI file or every MIDI file under a folder; files that cannot be
/// read are skipped and returned.
pub fn measure_gan_path(
    path: &std::path::Path,
) -> Result<(GanSetReport, Vec<euterpe_data::Failure>), crate::MetricsError> {
    use euterpe_data::{Corpus, CorpusOptions};
    let corpus = Corpus::open(path, &CorpusOptions::default())
        .map_err(|e| crate::MetricsError::Set(e.to_string()))?;
    if corpus.is_empty() {
        return Err(crate::MetricsError::Set(format!(
            "{}: no MIDI files (.mid, .midi) found",
            path.display()
        )));
    }
    let (scores, failures) = corpus.map_scores(|_, score| Ok(score));
    let mut m = GanMetrics::default();
    for (_, score) in &scores {
        m.add(score);
    }
    Ok((m.report(), failures))
}

/// The plain-text tables of a report.
pub fn format_gan_table(r: &GanSetReport) -> String {
    let mut out = format!(
        "{} piece(s); bars of four beats, 24 steps per beat\n{:<16} {:>7} {:>8} {:>8} {:>8} {:>9}\n",
        r.pieces, "track", "bars", "EB %", "UPC", "QN %", "polyphony"
    );
    let opt = |v: Option<f64>, scale: f64, digits: usize| {
        v.map_or("-".to_string(), |x| format!("{:.*}", digits, x * scale))
    };
    for t in &r.tracks {
        out += &format!(
            "{:<16} {:>7} {:>8.1} {:>8} {:>8} {:>9}\n",
            t.track,
            t.bars,
            t.empty_bars * 100.0,
            opt(t.pitch_classes_per_bar, 1.0, 2),
            opt(t.qualified_notes, 100.0, 1),
            opt(t.polyphony, 1.0, 2)
        );
    }
    if !r.tonal_distances.is_empty() {
        out += "tonal distance (TD)\n";
        for d in &r.tonal_distances {
            out += &format!(
                "{:<33} {:>8} bars {:>8}\n",
                format!("{} – {}", d.tracks[0], d.tracks[1]),
                d.bars,
                opt(d.distance, 1.0, 3)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use euterpe_music::Note;

    fn track(name: &str, notes: &[(u64, u64, u8)]) -> Track {
        let mut t = Track::new(name, 0);
        t.notes = notes
            .iter()
            .map(|&(onset, duration, pitch)| Note {
                onset,
                duration,
                pitch,
                velocity: 80,
            })
            .collect();
        t
    }

    #[test]
    fn muse_gan_metrics_of_a_small_score() {
        // Two bars at 480 ticks per beat. Lead: C E G quarters and a 64th-note C in bar 1,
        // nothing in bar 2. Bass: a C-major triad held over both bars.
        let mut score = Score::new(480);
        let lead = [(0, 480, 72), (480, 480, 76), (960, 480, 79), (1440, 30, 84)];
        score.tracks.push(track("lead", &lead));
        score.tracks.push(track(
            "bass",
            &[(0, 3840, 48), (0, 3840, 52), (0, 3840, 55)],
        ));
        let mut m = GanMetrics::default();
        m.add(&score);
        let r = m.report();
        let lead = &r.tracks[0];
        assert_eq!((lead.track.as_str(), lead.bars), ("lead", 2));
        assert_eq!(lead.empty_bars, 0.5);
        assert_eq!(lead.pitch_classes_per_bar, Some(3.0));
        // The 64th note is 1.5 steps: not qualified.
        assert_eq!(lead.qualified_notes, Some(0.75));
        assert_eq!(lead.polyphony, Some(1.0));
        let bass = &r.tracks[1];
        assert_eq!(bass.empty_bars, 0.0);
        assert_eq!(bass.polyphony, Some(3.0));
        // Nearly the same pitch classes in one bar: a small tonal distance there; the lead is
        // silent in the other.
        let td = &r.tonal_distances[0];
        assert_eq!(td.bars, 1);
        assert!(td.distance.unwrap() < 0.1, "{td:?}");
        assert!(format_gan_table(&r).contains("lead"));
    }

    #[test]
    fn tonal_centroids_separate_distant_keys() {
        let triad = |pcs: [usize; 3]| {
            let mut c = [0.0; 12];
            pcs.iter().for_each(|&p| c[p] = 1.0);
            tonal_centroid(&c).unwrap()
        };
        let d = |a: [f64; 6], b: [f64; 6]| {
            a.iter()
                .zip(&b)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f64>()
                .sqrt()
        };
        let (c, g, fs) = (triad([0, 4, 7]), triad([7, 11, 2]), triad([6, 10, 1]));
        assert!(
            d(c, g) < d(c, fs),
            "a fifth away is closer than a tritone away"
        );
        assert_eq!(tonal_centroid(&[0.0; 12]), None);
    }
}
