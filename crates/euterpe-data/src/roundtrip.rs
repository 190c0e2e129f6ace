//! Checking that tokenisation loses nothing: score → tokens → score gives the same quantised notes.

use serde::Serialize;

use euterpe_music::tokens::Tokenizer;

use crate::{Corpus, Failure};

/// Totals of a round-trip check over a corpus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoundTripReport {
    /// Files checked (parsed and encoded).
    pub files: usize,
    /// Quantised notes in those files.
    pub notes: usize,
    /// Tokens produced.
    pub tokens: usize,
    /// Files whose decoded notes differ from the quantised originals.
    pub mismatched_files: Vec<String>,
    /// Notes missing or extra, summed over mismatched files.
    pub mismatched_notes: usize,
    /// Files that could not be parsed or encoded.
    pub failures: Vec<Failure>,
}

/// Encodes and decodes every file of `corpus` and compares the canonical notes.
pub fn check_round_trip(corpus: &Corpus, tokenizer: &Tokenizer) -> RoundTripReport {
    let (results, failures) = corpus.map_scores(|entry, score| {
        let expected = tokenizer.canonical_notes(&score)?;
        let ids = tokenizer.encode(&score)?;
        let decoded = tokenizer.decode(&ids)?;
        let got = tokenizer.canonical_notes(&decoded)?;
        let differing = if got == expected {
            0
        } else {
            count_differences(&expected, &got)
        };
        Ok((entry.id.clone(), expected.len(), ids.len(), differing))
    });
    let mut report = RoundTripReport {
        failures,
        ..Default::default()
    };
    for (_, (id, notes, tokens, differing)) in results {
        report.files += 1;
        report.notes += notes;
        report.tokens += tokens;
        if differing > 0 {
            report.mismatched_files.push(id);
            report.mismatched_notes += differing;
        }
    }
    report
}

/// Size of the symmetric difference of two sorted lists.
fn count_differences<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut diff) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => {
                diff += 1;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                diff += 1;
                j += 1;
            }
        }
    }
    diff + (a.len() - i) + (b.len() - j)
}
