//! A valence lexicon: word → mean rated valence, as VADER's (−4 to +4).

use std::collections::HashMap;

use crate::TextError;

/// Mean valence ratings of words.
#[derive(Debug, Clone, Default)]
pub struct ValenceLexicon {
    ratings: HashMap<String, f32>,
}

impl ValenceLexicon {
    /// Reads `word<TAB>valence` lines; `file` names the source in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, TextError> {
        let mut ratings = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (word, value) = line
                .split_once('\t')
                .ok_or_else(|| TextError::invalid(file, format!("line {}: no tab", i + 1)))?;
            let value: f32 = value.trim().parse().map_err(|_| {
                TextError::invalid(file, format!("line {}: {value:?} is not a number", i + 1))
            })?;
            ratings.insert(word.to_string(), value);
        }
        Ok(ValenceLexicon { ratings })
    }

    /// The mean rated valence of `word` (−4 to +4), if rated.
    pub fn valence(&self, word: &str) -> Option<f32> {
        self.ratings.get(word).copied()
    }

    /// Words rated.
    pub fn len(&self) -> usize {
        self.ratings.len()
    }

    /// Whether no word is rated.
    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_read_and_bad_lines_are_named() {
        let l = ValenceLexicon::parse("v", "sad\t-2.10\nhappy\t2.70\n").unwrap();
        assert_eq!(l.valence("sad"), Some(-2.1));
        assert_eq!(l.valence("table"), None);
        let e = ValenceLexicon::parse("v", "sad\t-2.1\nhappy 2.7\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
