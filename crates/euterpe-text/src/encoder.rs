//! One feature vector per text: frequency-weighted mean word vector plus lexicon valence.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::{TextError, ValenceLexicon, WordVectors};

/// Smooth-inverse-frequency constant a: a word weighs a / (a + p(word)) (Arora et al. 2017).
const SIF_A: f64 = 1e-4;

/// VADER's factor for a rated word after a negation ("not happy").
const NEGATION: f32 = -0.74;

/// Words that negate what follows within [`NEGATION_REACH`] words, as VADER reads them.
const NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "without",
    "nothing",
    "nobody",
    "none",
    "neither",
    "nor",
    "hardly",
    "barely",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "don't",
    "doesn't",
    "didn't",
    "can't",
    "cannot",
    "won't",
    "shouldn't",
    "wouldn't",
    "nowhere",
    "rarely",
    "seldom",
];

/// Words that frame a request for music and say nothing of its character: skipped, so that
/// "a gloomy piece of music, please" pools like "gloomy" ("like" is also a VADER word, but in a
/// prompt it compares).
const FRAMING: &[&str] = &[
    "music",
    "musical",
    "piece",
    "pieces",
    "song",
    "songs",
    "tune",
    "tunes",
    "track",
    "tracks",
    "melody",
    "melodies",
    "composition",
    "sound",
    "sounds",
    "sounding",
    "play",
    "played",
    "playing",
    "plays",
    "write",
    "compose",
    "make",
    "create",
    "generate",
    "give",
    "want",
    "wanted",
    "like",
    "something",
    "me",
    "please",
    "bit",
    "kind",
    "sort",
    "style",
    "feel",
    "feeling",
    "feels",
    "mood",
    "vibe",
    "vibes",
    "with",
    "some",
    "that",
    "which",
    "would",
    "could",
    "i'd",
    "i'm",
    "let's",
];

/// How many words after a negator it reaches.
const NEGATION_REACH: usize = 3;

/// Full vocabulary of GloVe 6B, which the built-in word list was cut from (by frequency).
const GLOVE_6B_WORDS: usize = 400_000;

/// The pooled features of a text and which words counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// [`TextEncoder::width`] values: the weighted mean word vector, the mean lexicon valence
    /// (÷ 4, negations flipped; 0 when no word is rated), and the share of weight on rated words.
    pub features: Vec<f32>,
    /// Words found in the vectors or the lexicon, in order (negators and words that only frame
    /// the request, "piece", "please", are in neither list).
    pub known: Vec<String>,
    /// Words found in neither.
    pub unknown: Vec<String>,
}

impl Encoded {
    /// Whether any word counted.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// Word vectors and a valence lexicon, pooled the same way for training data and prompts.
#[derive(Debug, Clone)]
pub struct TextEncoder {
    vectors: WordVectors,
    lexicon: ValenceLexicon,
}

/// The words of a text: lower case, split at anything but letters, digits, apostrophes and
/// hyphens.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('’', "'").to_lowercase())
        .collect()
}

impl TextEncoder {
    /// An encoder over these vectors and lexicon.
    pub fn new(vectors: WordVectors, lexicon: ValenceLexicon) -> Self {
        TextEncoder { vectors, lexicon }
    }

    /// The encoder built into euterpe (`models/text-encoder/`): 52,161 GloVe 6B words in 50
    /// dimensions and 7,217 VADER words. Read once, on first use.
    pub fn builtin() -> &'static TextEncoder {
        static BUILTIN: OnceLock<TextEncoder> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The files are fixed at build time and checked by a test: they cannot be bad here.
            Self::load_builtin().expect("the built-in text encoder's files are consistent")
        })
    }

    fn load_builtin() -> Result<TextEncoder, TextError> {
        use euterpe_builtin_models::text_encoder as files;
        let vectors = WordVectors::from_parts(
            "models/text-encoder/vectors.f16",
            files::WORDS,
            Cow::Borrowed(files::VECTORS),
            files::DIM,
            GLOVE_6B_WORDS,
        )?;
        let lexicon = ValenceLexicon::parse("models/text-encoder/vader.tsv", files::VADER)?;
        Ok(TextEncoder::new(vectors, lexicon))
    }

    /// Values per encoded text.
    pub fn width(&self) -> usize {
        self.vectors.dim() + 2
    }

    /// The word vectors.
    pub fn vectors(&self) -> &WordVectors {
        &self.vectors
    }

    /// The valence lexicon.
    pub fn lexicon(&self) -> &ValenceLexicon {
        &self.lexicon
    }

    /// The features of a text.
    pub fn encode(&self, text: &str) -> Encoded {
        self.encode_words(&words(text))
    }

    /// The features of words already split (see [`words`]).
    pub fn encode_words<S: AsRef<str>>(&self, words: &[S]) -> Encoded {
        let dim = self.vectors.dim();
        let mut sum = vec![0.0f64; dim];
        let (mut weight, mut rated_weight, mut valence) = (0.0f64, 0.0f64, 0.0f64);
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        let mut since_negator = usize::MAX;
        for word in words {
            let word = word.as_ref();
            if NEGATORS.contains(&word) || word.ends_with("n't") {
                since_negator = 0;
                continue;
            }
            if FRAMING.contains(&word) {
                continue;
            }
            since_negator = since_negator.saturating_add(1);
            let negated = since_negator <= NEGATION_REACH;
            let mut found = false;
            for part in self.parts(word) {
                let w = self.weight(part);
                if let Some(v) = self.vectors.get(part) {
                    for (s, x) in sum.iter_mut().zip(v) {
                        *s += w * f64::from(x);
                    }
                    weight += w;
                    found = true;
                }
                if let Some(r) = self.lexicon.valence(part) {
                    let r = if negated { r * NEGATION } else { r };
                    valence += w * f64::from(r);
                    rated_weight += w;
                    found = true;
                }
            }
            if found {
                known.push(word.to_string());
            } else {
                unknown.push(word.to_string());
            }
        }
        let mut features: Vec<f32> = if weight > 0.0 {
            sum.iter().map(|s| (s / weight) as f32).collect()
        } else {
            vec![0.0; dim]
        };
        let mean_valence = if rated_weight > 0.0 {
            valence / rated_weight / 4.0
        } else {
            0.0
        };
        features.push(mean_valence as f32);
        features.push((rated_weight / weight.max(rated_weight).max(1e-12)) as f32);
        Encoded {
            features,
            known,
            unknown,
        }
    }

    /// The word itself if known, else its hyphenated parts ("video-game"), else itself.
    fn parts<'w>(&self, word: &'w str) -> Vec<&'w str> {
        let known = |w: &str| self.vectors.rank(w).is_some() || self.lexicon.valence(w).is_some();
        if known(word) || !word.contains('-') {
            let stem = word.strip_suffix("'s").unwrap_or(word);
            return vec![if known(word) { word } else { stem }];
        }
        word.split('-').filter(|p| !p.is_empty()).collect()
    }

    /// How much a word weighs: a / (a + p), by its frequency rank (an unranked word counts as
    /// rare).
    fn weight(&self, word: &str) -> f64 {
        match self.vectors.rank(word) {
            Some(rank) => SIF_A / (SIF_A + self.vectors.probability(rank)),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (norm(a) * norm(b))
    }

    #[test]
    fn words_are_lower_case_and_split_at_punctuation() {
        assert_eq!(
            words("A slow, SAD piece — like a video-game boss fight! Don't stop."),
            [
                "a",
                "slow",
                "sad",
                "piece",
                "like",
                "a",
                "video-game",
                "boss",
                "fight",
                "don't",
                "stop"
            ]
        );
    }

    #[test]
    fn the_builtin_encoder_reads_and_knows_common_and_mood_words() {
        let e = TextEncoder::builtin();
        assert_eq!(e.width(), 52);
        assert!(e.vectors().len() > 50_000);
        for w in ["the", "sad", "dreamy", "melancholic", "boss", "piano"] {
            assert!(e.vectors().get(w).is_some(), "{w}");
        }
        assert!(e.lexicon().valence("happy").unwrap() > 2.0);
        assert!(e.lexicon().valence("sad").unwrap() < -1.5);
    }

    #[test]
    fn frequent_words_weigh_little_so_framing_barely_moves_the_features() {
        let e = TextEncoder::builtin();
        let bare = e.encode("gloomy");
        let framed = e.encode("I'd like a gloomy piece of music, please");
        let other = e.encode("cheerful");
        let close = cosine(&bare.features[..50], &framed.features[..50]);
        let far = cosine(&bare.features[..50], &other.features[..50]);
        assert!(close > 0.8, "framed {close}");
        assert!(close > far, "framed {close} vs another mood {far}");
    }

    #[test]
    fn lexicon_valence_has_its_sign_and_negation_flips_it() {
        let e = TextEncoder::builtin();
        let v = |t: &str| e.encode(t).features[50];
        assert!(v("a happy song") > 0.3);
        assert!(v("a sad song") < -0.3);
        assert!(v("not happy at all") < 0.0);
        assert_eq!(v("a table"), 0.0);
    }

    #[test]
    fn unknown_words_are_listed_and_nothing_known_gives_zeros() {
        let e = TextEncoder::builtin();
        let x = e.encode("zxqv blorptastic");
        assert!(x.is_empty());
        assert_eq!(x.unknown, ["zxqv", "blorptastic"]);
        assert!(x.features.iter().all(|&f| f == 0.0));
        let y = e.encode("dreamy zxqv");
        assert_eq!(y.known, ["dreamy"]);
        assert_eq!(y.unknown, ["zxqv"]);
        let z = e.encode("video-game");
        assert_eq!(z.known, ["video-game"]);
    }
}
