//! Tokenised corpora: a compact binary file that is both the output of `euterpe data tokenize` and
//! the cache that lets training skip files that have not changed since they were last tokenised.
//!
//! Layout (all integers little-endian): the magic `EUTOKENS`, format version `u32`, the vocabulary
//! as JSON (`u32` length + bytes), the piece count `u32`, then per piece: id (`u32` length + UTF-8),
//! split `u8`, quadrant `u8` (0 = none), valence and arousal `f64` (NaN = none), source size and
//! modification time in nanoseconds `u64`, token count `u32` and the token ids `u32` each.

use std::collections::HashMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use euterpe_base::{read_file, write_atomically};
use euterpe_music::tokens::{Tokenizer, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::labels::Label;
use crate::{Corpus, DataError, Failure, Split};

const MAGIC: &[u8; 8] = b"EUTOKENS";
const VERSION: u32 = 1;
/// Size of a piece with an empty id and no tokens: id length, split, quadrant, valence, arousal,
/// source size and time, token count.
const MIN_PIECE_BYTES: usize = 4 + 1 + 1 + 8 + 8 + 8 + 8 + 4;

/// One tokenised piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizedPiece {
    /// The piece's id (its path relative to the corpus root).
    pub id: String,
    /// Its split.
    pub split: Split,
    /// Its labels (all `None` when unlabelled).
    pub label: Label,
    /// Size of the source file in bytes, for cache validation.
    #[serde(skip, default)]
    pub source_size: u64,
    /// Modification time of the source file (ns since the epoch), for cache validation.
    #[serde(skip, default)]
    pub source_mtime_ns: u64,
    /// The token ids.
    pub tokens: Vec<u32>,
}

/// A tokenised corpus with the vocabulary that produced it.
#[derive(Debug, Clone)]
pub struct TokenizedCorpus {
    /// The vocabulary (and through it the tokenizer settings).
    pub vocab: Vocabulary,
    /// The pieces, in corpus order.
    pub pieces: Vec<TokenizedPiece>,
}

/// What tokenising a corpus did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenizeReport {
    /// Pieces taken unchanged from the cache.
    pub reused: usize,
    /// Pieces parsed and encoded now.
    pub encoded: usize,
    /// Files skipped, with the reason.
    pub failures: Vec<Failure>,
}

/// What `euterpe data tokenize` did: the file written and how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct TokenizeSummary {
    /// The token file written.
    pub out: std::path::PathBuf,
    /// Pieces in it.
    pub pieces: usize,
    /// Tokens in it.
    pub tokens: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Cache use and skipped files.
    #[serde(flatten)]
    pub report: TokenizeReport,
}

/// Tokenises a MIDI file or folder into a token file: JSON if `out` ends in `.json`, binary
/// otherwise; `cache` reuses unchanged files. Unreadable files are skipped and reported; a corpus
/// of which no file can be read is an error.
pub fn tokenize_to_file(
    corpus: &Corpus,
    tokenizer: &Tokenizer,
    out: &Path,
    cache: Option<&Path>,
) -> Result<TokenizeSummary, DataError> {
    if corpus.is_empty() {
        return Err(DataError::UnsupportedPath {
            path: corpus.root.clone(),
            reason: "no MIDI files (.mid, .midi) found".into(),
        });
    }
    let (tokens, report) = TokenizedCorpus::build(corpus, tokenizer, cache)?;
    if tokens.pieces.is_empty() {
        let f = &report.failures[0];
        return Err(DataError::invalid(
            &f.path,
            format!("{} (no file could be tokenised)", f.reason),
        ));
    }
    let json = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        tokens.save_json(out)?;
    } else {
        tokens.save(out)?;
    }
    Ok(TokenizeSummary {
        out: out.to_path_buf(),
        pieces: tokens.pieces.len(),
        tokens: tokens.token_count(),
        vocab_size: tokens.vocab.len(),
        report,
    })
}

fn file_signature(path: &Path) -> (u64, u64) {
    let Ok(meta) = std::fs::metadata(path) else {
        return (0, 0);
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (meta.len(), mtime)
}

impl TokenizedCorpus {
    /// Tokenises every file of a corpus in parallel. With a cache path, pieces whose file size and
    /// modification time match the cache (made with the same vocabulary) are reused, and the cache
    /// is rewritten afterwards. A missing, stale or unreadable cache is simply rebuilt.
    pub fn build(
        corpus: &Corpus,
        tokenizer: &Tokenizer,
        cache: Option<&Path>,
    ) -> Result<(TokenizedCorpus, TokenizeReport), DataError> {
        let vocab_json = tokenizer.vocab().to_json();
        let cached: HashMap<String, TokenizedPiece> = cache
            .filter(|p| p.exists())
            .and_then(|p| TokenizedCorpus::load(p).ok())
            .filter(|c| c.vocab.to_json() == vocab_json)
            .map(|c| c.pieces.into_iter().map(|p| (p.id.clone(), p)).collect())
            .unwrap_or_default();
        let mut report = TokenizeReport::default();
        let mut pieces: Vec<Option<TokenizedPiece>> = vec![None; corpus.len()];
        let mut todo = Vec::new();
        for (i, entry) in corpus.entries.iter().enumerate() {
            let (size, mtime) = file_signature(&entry.path);
            match cached.get(&entry.id) {
                Some(p) if p.source_size == size && p.source_mtime_ns == mtime && mtime != 0 => {
                    let mut p = p.clone();
                    p.split = entry.split;
                    p.label = entry.label.clone().unwrap_or_default();
                    pieces[i] = Some(p);
                    report.reused += 1;
                }
                _ => todo.push(i),
            }
        }
        let subset = Corpus {
            root: corpus.root.clone(),
            labels: corpus.labels.clone(),
            entries: todo.iter().map(|&i| corpus.entries[i].clone()).collect(),
            progress: corpus.progress.clone(),
        };
        let (encoded, failures) = subset.map_scores(|entry, score| {
            let (source_size, source_mtime_ns) = file_signature(&entry.path);
            Ok(TokenizedPiece {
                id: entry.id.clone(),
                split: entry.split,
                label: entry.label.clone().unwrap_or_default(),
                source_size,
                source_mtime_ns,
                tokens: tokenizer.encode(&score)?,
            })
        });
        report.encoded = encoded.len();
        report.failures = failures;
        for (j, piece) in encoded {
            pieces[todo[j]] = Some(piece);
        }
        let out = TokenizedCorpus {
            vocab: tokenizer.vocab().clone(),
            pieces: pieces.into_iter().flatten().collect(),
        };
        if let Some(path) = cache {
            if report.encoded > 0 || report.reused != cached.len() || !path.exists() {
                out.save(path)?;
            }
        }
        Ok((out, report))
    }

    /// Total number of tokens.
    pub fn token_count(&self) -> usize {
        self.pieces.iter().map(|p| p.tokens.len()).sum()
    }

    /// The pieces of one split.
    pub fn split(&self, split: Split) -> impl Iterator<Item = &TokenizedPiece> {
        self.pieces.iter().filter(move |p| p.split == split)
    }

    /// Writes the corpus as JSON (`{"vocab": …, "pieces": [{"id", "split", "label", "tokens"}]}`),
    /// atomically: readable by other tools and by [`TokenizedCorpus::load_any`].
    pub fn save_json(&self, path: &Path) -> Result<(), DataError> {
        let text = self.to_json_bytes();
        write_atomically(path, |w| w.write_all(&text)).map_err(DataError::from)
    }

    /// The JSON form that [`save_json`](Self::save_json) writes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let vocab: serde_json::Value =
            serde_json::from_str(&self.vocab.to_json()).expect("a vocabulary is valid JSON");
        let doc = serde_json::json!({ "vocab": vocab, "pieces": self.pieces });
        serde_json::to_vec(&doc).expect("token files always serialise")
    }

    /// Reads a token file: JSON if the name ends in `.json`, the binary form otherwise.
    pub fn load_any(path: &Path) -> Result<TokenizedCorpus, DataError> {
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if !is_json {
            return TokenizedCorpus::load(path);
        }
        TokenizedCorpus::from_json_bytes(&read_file(path)?, path)
    }

    /// Parses the JSON form of a token file; `path` names the file in errors (it is not read).
    ///
    /// Every token id must lie inside the vocabulary and every quadrant in 1–4.
    pub fn from_json_bytes(bytes: &[u8], path: &Path) -> Result<TokenizedCorpus, DataError> {
        #[derive(Deserialize)]
        struct Doc {
            vocab: serde_json::Value,
            pieces: Vec<TokenizedPiece>,
        }
        let doc: Doc = serde_json::from_slice(bytes)
            .map_err(|e| DataError::invalid(path, format!("not a token file: {e}")))?;
        let vocab = Vocabulary::from_json(&doc.vocab.to_string())
            .map_err(|e| DataError::invalid(path, format!("bad vocabulary: {e}")))?;
        for (n, p) in doc.pieces.iter().enumerate() {
            if let Some(&t) = p.tokens.iter().find(|&&t| t as usize >= vocab.len()) {
                return Err(DataError::invalid(
                    path,
                    format!(
                        "piece {n}: token id {t} outside the vocabulary of {}",
                        vocab.len()
                    ),
                ));
            }
        }
        Ok(TokenizedCorpus {
            vocab,
            pieces: doc.pieces,
        })
    }

    /// The piece `selector` names, by id or 0-based index (`None`: the first); `path` names the
    /// file in errors.
    pub fn piece(&self, selector: Option<&str>, path: &Path) -> Result<&TokenizedPiece, DataError> {
        let index = match selector {
            None => 0,
            Some(sel) => self
                .pieces
                .iter()
                .position(|p| p.id == sel)
                .or_else(|| sel.parse::<usize>().ok().filter(|&i| i < self.pieces.len()))
                .ok_or_else(|| {
                    DataError::invalid(
                        path,
                        format!("no piece {sel:?} among {} pieces", self.pieces.len()),
                    )
                })?,
        };
        self.pieces
            .get(index)
            .ok_or_else(|| DataError::invalid(path, "holds no pieces"))
    }

    /// Decodes the piece `selector` names (see [`piece`](Self::piece)) back to a score.
    pub fn decode_piece(
        &self,
        selector: Option<&str>,
        path: &Path,
    ) -> Result<(String, euterpe_music::Score), DataError> {
        let piece = self.piece(selector, path)?;
        let tokenizer = Tokenizer::from_vocabulary(self.vocab.clone())?;
        let score = tokenizer
            .decode(&piece.tokens)
            .map_err(|e| DataError::invalid(path, format!("piece {:?}: {e}", piece.id)))?;
        Ok((piece.id.clone(), score))
    }

    /// Writes the binary file atomically.
    pub fn save(&self, path: &Path) -> Result<(), DataError> {
        let buf = self.to_bytes();
        write_atomically(path, |w| w.write_all(&buf)).map_err(DataError::from)
    }

    /// The binary form that [`save`](Self::save) writes (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(64 + self.token_count() * 4);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&VERSION.to_le_bytes());
        put_bytes(&mut buf, self.vocab.to_json().as_bytes());
        buf.extend_from_slice(&(self.pieces.len() as u32).to_le_bytes());
        for p in &self.pieces {
            put_bytes(&mut buf, p.id.as_bytes());
            buf.push(match p.split {
                Split::Train => 0,
                Split::Valid => 1,
                Split::Test => 2,
            });
            buf.push(p.label.quadrant.unwrap_or(0));
            buf.extend_from_slice(&p.label.valence.unwrap_or(f64::NAN).to_le_bytes());
            buf.extend_from_slice(&p.label.arousal.unwrap_or(f64::NAN).to_le_bytes());
            buf.extend_from_slice(&p.source_size.to_le_bytes());
            buf.extend_from_slice(&p.source_mtime_ns.to_le_bytes());
            buf.extend_from_slice(&(p.tokens.len() as u32).to_le_bytes());
            for t in &p.tokens {
                buf.extend_from_slice(&t.to_le_bytes());
            }
        }
        buf
    }

    /// Reads a binary file; errors name the file and the byte offset.
    pub fn load(path: &Path) -> Result<TokenizedCorpus, DataError> {
        TokenizedCorpus::from_bytes(&read_file(path)?, path)
    }

    /// Parses the binary form of a token file; `path` names the file in errors (it is not read),
    /// which also give the byte offset.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<TokenizedCorpus, DataError> {
        let mut r = Reader { bytes, pos: 0 };
        let bad = |pos: usize, why: String| DataError::invalid(path, format!("byte {pos}: {why}"));
        if r.take(8).ok() != Some(&MAGIC[..]) {
            return Err(bad(
                0,
                "not a euterpe token file (missing EUTOKENS magic)".into(),
            ));
        }
        let version = r.u32().map_err(|p| bad(p, "truncated".into()))?;
        if version != VERSION {
            return Err(bad(
                8,
                format!("format version {version}, this build reads {VERSION}"),
            ));
        }
        let vocab_at = r.pos;
        let vocab_bytes = r
            .bytes_field()
            .map_err(|p| bad(p, "truncated vocabulary".into()))?;
        let vocab = std::str::from_utf8(vocab_bytes)
            .map_err(|e| e.to_string())
            .and_then(Vocabulary::from_json)
            .map_err(|e| bad(vocab_at, format!("bad vocabulary: {e}")))?;
        let count = r.u32().map_err(|p| bad(p, "truncated".into()))? as usize;
        // Reserve no more pieces than the bytes left can hold: a count of 2^32 - 1 in a file of 30
        // bytes must not reserve hundreds of megabytes before the first piece is found missing.
        let mut pieces =
            Vec::with_capacity(count.min(r.bytes.len().saturating_sub(r.pos) / MIN_PIECE_BYTES));
        for n in 0..count {
            let at = r.pos;
            let piece = r
                .piece(vocab.len())
                .map_err(|(p, why)| bad(p, format!("piece {n} (starting at byte {at}): {why}")))?;
            pieces.push(piece);
        }
        Ok(TokenizedCorpus { vocab, pieces })
    }
}

fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// A bounds-checked little-endian reader; errors carry the byte offset.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], usize> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(self.pos)?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32, usize> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, usize> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn bytes_field(&mut self) -> Result<&'a [u8], usize> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn piece(&mut self, vocab_len: usize) -> Result<TokenizedPiece, (usize, String)> {
        let trunc = |p| (p, "truncated".to_string());
        let id_at = self.pos;
        let id = std::str::from_utf8(self.bytes_field().map_err(trunc)?)
            .map_err(|_| (id_at, "id is not UTF-8".to_string()))?
            .to_string();
        let split_at = self.pos;
        let head = self.take(2).map_err(trunc)?;
        let split = match head[0] {
            0 => Split::Train,
            1 => Split::Valid,
            2 => Split::Test,
            s => return Err((split_at, format!("unknown split code {s}"))),
        };
        let quadrant = (head[1] != 0).then_some(head[1]);
        let float = |x: u64| Some(f64::from_bits(x)).filter(|v| !v.is_nan());
        let valence = float(self.u64().map_err(trunc)?);
        let arousal = float(self.u64().map_err(trunc)?);
        let source_size = self.u64().map_err(trunc)?;
        let source_mtime_ns = self.u64().map_err(trunc)?;
        let n = self.u32().map_err(trunc)? as usize;
        let tokens_at = self.pos;
        let raw = self
            .take(
                n.checked_mul(4)
                    .ok_or((tokens_at, "token count overflows".to_string()))?,
            )
            .map_err(trunc)?;
        let tokens: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        if let Some(i) = tokens.iter().position(|&t| t as usize >= vocab_len) {
            return Err((
                tokens_at + 4 * i,
                format!(
                    "token id {} outside the vocabulary of {vocab_len}",
                    tokens[i]
                ),
            ));
        }
        Ok(TokenizedPiece {
            id,
            split,
            label: Label {
                quadrant,
                valence,
                arousal,
            },
            source_size,
            source_mtime_ns,
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use euterpe_music::tokens::TokenizerConfig;

    fn corpus() -> TokenizedCorpus {
        let tokenizer = Tokenizer::new(TokenizerConfig::default()).unwrap();
        TokenizedCorpus {
            vocab: tokenizer.vocab().clone(),
            pieces: vec![
                TokenizedPiece {
                    id: "a/b.mid".into(),
                    split: Split::Valid,
                    label: Label {
                        quadrant: Some(3),
                        valence: None,
                        arousal: Some(-0.5),
                    },
                    source_size: 1234,
                    source_mtime_ns: 5678,
                    tokens: vec![1, 40, 2],
                },
                TokenizedPiece {
                    id: String::new(),
                    split: Split::Test,
                    label: Label::default(),
                    source_size: 0,
                    source_mtime_ns: 0,
                    tokens: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn both_forms_round_trip_through_bytes() {
        let c = corpus();
        let name = Path::new("x.etok");
        let back = TokenizedCorpus::from_bytes(&c.to_bytes(), name).unwrap();
        assert_eq!(back.pieces, c.pieces);
        assert_eq!(back.vocab.to_json(), c.vocab.to_json());
        let back = TokenizedCorpus::from_json_bytes(&c.to_json_bytes(), name).unwrap();
        assert_eq!(back.pieces[0].tokens, c.pieces[0].tokens);
        assert_eq!(back.pieces[0].label, c.pieces[0].label);
        assert_eq!(
            back.pieces[0].source_size, 0,
            "JSON keeps no source signature"
        );
    }

    #[test]
    fn json_labels_read_back_bit_for_bit() {
        // Found by fuzz/ (token_file): an arousal of -1.0624999999563443 came back from the JSON
        // form as -1.0624999999563445; serde_json's default float parser may be one ulp off.
        let mut c = corpus();
        c.pieces[0].label.arousal = Some(-1.0624999999563443);
        c.pieces[0].label.valence = Some(0.1 + 0.2);
        let back =
            TokenizedCorpus::from_json_bytes(&c.to_json_bytes(), Path::new("x.json")).unwrap();
        assert_eq!(back.pieces[0].label, c.pieces[0].label);
    }

    #[test]
    fn a_huge_piece_count_in_a_short_file_is_a_truncation_error() {
        // The count field claims 2^32 - 1 pieces; the file ends right after it. The reader used to
        // reserve room for 2^20 pieces (over 100 MB) before finding the first one missing.
        let mut bytes = corpus().to_bytes();
        let count_at = 12 + 4 + corpus().vocab.to_json().len();
        bytes.truncate(count_at + 4);
        bytes[count_at..].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = TokenizedCorpus::from_bytes(&bytes, Path::new("short.etok"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("short.etok: byte")
                && err.contains("piece 0")
                && err.contains("truncated"),
            "{err}"
        );
    }
}
