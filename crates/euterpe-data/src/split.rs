//! Deterministic train/valid/test splits by a seeded hash of the piece.
//!
//! A piece's split depends only on its id and the seed, not on the other files: adding files to a
//! corpus never moves an existing piece to another split, and every machine agrees.

use serde::{Deserialize, Serialize};

/// Which part of a corpus a piece belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Used to fit the model.
    Train,
    /// Used for early stopping and model selection.
    Valid,
    /// Held out for the final figures.
    Test,
}

impl Split {
    /// Its position in `[train, valid, test]`, for the three-way arrays the datasets keep.
    pub fn index(self) -> usize {
        match self {
            Split::Train => 0,
            Split::Valid => 1,
            Split::Test => 2,
        }
    }

    /// The lowercase name ("train", "valid", "test").
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }

    /// Parses "train", "valid"/"validation" or "test".
    pub fn parse(s: &str) -> Option<Split> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Split::Train),
            "valid" | "validation" | "val" | "dev" => Some(Split::Valid),
            "test" => Some(Split::Test),
            _ => None,
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Fractions of the train and valid splits; the rest is test. Default 70/15/15.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitRatios {
    /// Fraction for training.
    pub train: f64,
    /// Fraction for validation.
    pub valid: f64,
}

impl Default for SplitRatios {
    fn default() -> Self {
        SplitRatios {
            train: 0.70,
            valid: 0.15,
        }
    }
}

impl SplitRatios {
    /// The split of a piece, from a seeded 64-bit hash of its id.
    pub fn assign(&self, piece_id: &str, seed: u64) -> Split {
        let u = euterpe_base::unit_hash(piece_id, seed);
        if u < self.train {
            Split::Train
        } else if u < self.train + self.valid {
            Split::Valid
        } else {
            Split::Test
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_close_to_70_15_15() {
        let r = SplitRatios::default();
        let ids: Vec<String> = (0..20_000).map(|i| format!("piece_{i}")).collect();
        let count = |s: Split, seed| ids.iter().filter(|id| r.assign(id, seed) == s).count();
        let train = count(Split::Train, 7) as f64 / ids.len() as f64;
        let valid = count(Split::Valid, 7) as f64 / ids.len() as f64;
        assert!((train - 0.70).abs() < 0.015, "train {train}");
        assert!((valid - 0.15).abs() < 0.015, "valid {valid}");
        assert_eq!(r.assign("piece_42", 7), r.assign("piece_42", 7));
        // Another seed gives another split.
        let moved = ids
            .iter()
            .filter(|id| r.assign(id, 7) != r.assign(id, 8))
            .count();
        assert!(moved > 5_000, "{moved}");
    }
}
