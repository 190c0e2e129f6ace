//! Chord symbols reduced to what a melody model is conditioned on: a root and whether the triad is
//! major or minor (MidiNet's 13-dimensional chord condition), read from lead-sheet symbols
//! ("Am", "F#maj7", "Bb7") or from POP909's annotations ("A:min7", "Gb:maj/5", "N").

use std::fmt;

/// A chord as a melody model sees it: a root pitch class and a major or minor triad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    /// Pitch class of the root, 0 = C … 11 = B.
    pub root: u8,
    /// A minor triad (minor, diminished and half-diminished chords); otherwise major.
    pub minor: bool,
}

const NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// Qualities read as minor triads; every other known quality is read as major.
const MINOR_QUALITIES: [&str; 15] = [
    "m", "min", "min7", "m7", "min6", "m6", "min9", "m9", "minmaj7", "dim", "dim7", "o", "hdim7",
    "m7b5", "min11",
];

/// Known qualities read as major triads (suspended and augmented chords included, as MidiNet
/// keeps only the two triad types).
const MAJOR_QUALITIES: [&str; 21] = [
    "", "maj", "M", "maj7", "M7", "7", "maj6", "6", "9", "maj9", "add9", "11", "13", "7sus4",
    "sus2", "sus4", "sus", "aug", "+", "5", "69",
];

impl Chord {
    /// The chord on `root` (taken modulo 12).
    pub fn new(root: u8, minor: bool) -> Self {
        Chord {
            root: root % 12,
            minor,
        }
    }

    /// The pitch classes of its triad.
    pub fn triad(&self) -> [u8; 3] {
        let third = if self.minor { 3 } else { 4 };
        [self.root, (self.root + third) % 12, (self.root + 7) % 12]
    }

    /// Whether pitch class `pc` belongs to its triad.
    pub fn contains(&self, pc: u8) -> bool {
        self.triad().contains(&(pc % 12))
    }

    /// The chord moved by `semitones`.
    pub fn transposed(&self, semitones: i32) -> Chord {
        Chord::new(
            (self.root as i32 + semitones).rem_euclid(12) as u8,
            self.minor,
        )
    }

    /// Parses a chord symbol: a root letter, an optional `#` or `b`, then a quality, optionally
    /// after a colon (`Am`, `C#m7`, `Bb`, `G7`, `F:maj7`, `A:min/b3`); a bass after `/` and
    /// extensions in brackets are ignored. `N` (no chord) gives `None`. An error names what could
    /// not be read.
    pub fn parse(symbol: &str) -> Result<Option<Chord>, String> {
        let s = symbol.trim();
        if s == "N" || s == "N.C." || s == "NC" {
            return Ok(None);
        }
        let s = s.split('/').next().unwrap_or("");
        let s = s.split('(').next().unwrap_or("");
        let mut chars = s.chars();
        let letter = chars
            .next()
            .ok_or_else(|| format!("an empty chord symbol in {symbol:?}"))?;
        let natural = match letter {
            'C' => 0,
            'D' => 2,
            'E' => 4,
            'F' => 5,
            'G' => 7,
            'A' => 9,
            'B' => 11,
            _ => {
                return Err(format!(
                    "{symbol:?} is not a chord: it must start with a note letter A–G"
                ))
            }
        };
        let rest = chars.as_str();
        let (shift, quality) = match rest.chars().next() {
            Some('#') => (1, &rest[1..]),
            Some('b') => (11, &rest[1..]),
            _ => (0, rest),
        };
        let quality = quality.strip_prefix(':').unwrap_or(quality);
        let minor = if MINOR_QUALITIES.contains(&quality) {
            true
        } else if MAJOR_QUALITIES.contains(&quality) {
            false
        } else {
            return Err(format!(
                "{symbol:?}: unknown chord quality {quality:?} (known: {})",
                MAJOR_QUALITIES
                    .iter()
                    .chain(MINOR_QUALITIES.iter())
                    .filter(|q| !q.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        Ok(Some(Chord::new((natural + shift) % 12, minor)))
    }

    /// Parses a progression separated by spaces, commas or bars (`"C G Am F"`, `"C | G | Am"`).
    pub fn parse_progression(text: &str) -> Result<Vec<Option<Chord>>, String> {
        let symbols: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == '|')
            .filter(|s| !s.is_empty())
            .collect();
        if symbols.is_empty() {
            return Err("the chord progression is empty".into());
        }
        symbols
            .iter()
            .enumerate()
            .map(|(i, s)| Chord::parse(s).map_err(|e| format!("chord {}: {e}", i + 1)))
            .collect()
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            NAMES[self.root as usize],
            if self.minor { "m" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_sheet_and_pop909_symbols_reduce_to_triads() {
        let c = |s: &str| Chord::parse(s).unwrap();
        assert_eq!(c("C"), Some(Chord::new(0, false)));
        assert_eq!(c("Am"), Some(Chord::new(9, true)));
        assert_eq!(c("F#m7"), Some(Chord::new(6, true)));
        assert_eq!(c("Bb7"), Some(Chord::new(10, false)));
        assert_eq!(c("Gb:maj/5"), Some(Chord::new(6, false)));
        assert_eq!(c("A:min7"), Some(Chord::new(9, true)));
        assert_eq!(c("B:hdim7"), Some(Chord::new(11, true)));
        assert_eq!(c("E:sus4(b7)"), Some(Chord::new(4, false)));
        assert_eq!(c("N"), None);
        assert_eq!(c("Ab:dim7"), Some(Chord::new(8, true)));
        assert_eq!(c("Am").unwrap().triad(), [9, 0, 4]);
        assert_eq!(c("Am").unwrap().to_string(), "Am");
        assert_eq!(c("Bm").unwrap().transposed(2).to_string(), "C#m");
    }

    #[test]
    fn bad_symbols_say_what_is_wrong() {
        assert!(Chord::parse("H7").unwrap_err().contains("note letter"));
        assert!(Chord::parse("Cxyz").unwrap_err().contains("xyz"));
        let e = Chord::parse_progression("C G Qm F").unwrap_err();
        assert!(e.starts_with("chord 3"), "{e}");
        assert!(Chord::parse_progression(" , ").is_err());
        assert_eq!(Chord::parse_progression("C | G, Am F").unwrap().len(), 4);
    }
}
