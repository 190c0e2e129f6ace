//! Static word vectors: a word list in frequency order and one half-precision row per word.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::TextError;

/// Word vectors, looked up by lower-case word. Rows stay in half precision (2 bytes a value) and
/// are widened on lookup.
#[derive(Debug, Clone)]
pub struct WordVectors {
    index: HashMap<String, u32>,
    dim: usize,
    /// `words × dim` little-endian IEEE half floats.
    rows: Cow<'static, [u8]>,
    /// Words of the full vocabulary the ranks count in (GloVe 6B: 400,000), for word frequencies.
    vocabulary: usize,
}

impl WordVectors {
    /// Vectors from a word list (one word per line, most frequent first) and `words × dim` half
    /// floats; `vocabulary` is the size of the full list the words were cut from. `file` names
    /// the source in errors.
    pub fn from_parts(
        file: &str,
        words: &str,
        rows: Cow<'static, [u8]>,
        dim: usize,
        vocabulary: usize,
    ) -> Result<Self, TextError> {
        if dim == 0 {
            return Err(TextError::invalid(file, "the vectors have no dimensions"));
        }
        let mut index = HashMap::new();
        for (i, word) in words.lines().enumerate() {
            let word = word.trim_end_matches('\r');
            if word.is_empty() {
                return Err(TextError::invalid(
                    file,
                    format!("line {}: an empty word", i + 1),
                ));
            }
            index.entry(word.to_string()).or_insert(i as u32);
        }
        let count = words.lines().count();
        if rows.len() != count * dim * 2 {
            return Err(TextError::invalid(
                file,
                format!(
                    "{} bytes of vectors for {count} words of {dim} half floats (want {})",
                    rows.len(),
                    count * dim * 2
                ),
            ));
        }
        Ok(WordVectors {
            index,
            dim,
            rows,
            vocabulary: vocabulary.max(count),
        })
    }

    /// Values per vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Words it knows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether it knows no word.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The frequency rank of `word` (0: the most frequent), if known.
    pub fn rank(&self, word: &str) -> Option<usize> {
        self.index.get(word).map(|&i| i as usize)
    }

    /// The vector of `word`, if known.
    pub fn get(&self, word: &str) -> Option<Vec<f32>> {
        let row = self.rank(word)?;
        let bytes = &self.rows[row * self.dim * 2..(row + 1) * self.dim * 2];
        Some(
            bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        )
    }

    /// A word's estimated probability in running text, from its rank by Zipf's law
    /// (p ∝ 1 / rank over the full vocabulary): what the frequency weighting needs, without
    /// shipping counts.
    pub fn probability(&self, rank: usize) -> f64 {
        // The harmonic number of the vocabulary: ln n + Euler–Mascheroni.
        let harmonic = (self.vocabulary as f64).ln() + 0.577_215_664_9;
        1.0 / ((rank + 1) as f64 * harmonic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn halves(values: &[f32]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect()
    }

    #[test]
    fn rows_are_found_by_word_and_rank() {
        let v = WordVectors::from_parts(
            "test",
            "the\nsad\n",
            Cow::Owned(halves(&[1.0, 2.0, -0.5, 0.25])),
            2,
            10,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v.get("sad"), Some(vec![-0.5, 0.25]));
        assert_eq!(v.rank("the"), Some(0));
        assert_eq!(v.get("happy"), None);
        assert!(v.probability(0) > v.probability(1));
    }

    #[test]
    fn a_size_mismatch_is_named() {
        let e = WordVectors::from_parts("w", "a\nb\n", Cow::Owned(vec![0; 6]), 2, 2).unwrap_err();
        assert!(e.to_string().contains("6 bytes"), "{e}");
    }
}
