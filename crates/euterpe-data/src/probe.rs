//! One answer to "what does this path hold?", for every command that takes data.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::corpus::is_midi_path;
use crate::DataError;

/// What a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// One Standard MIDI File (or an RMID file).
    MidiFile,
    /// A folder, searched recursively for MIDI files.
    MidiFolder,
    /// A polyphonic piano-roll dataset: JSON with train/valid/test lists of frames of pitches
    /// (the Boulanger-Lewandowski benchmarks).
    PolyphonicJson,
    /// A binary token file written by `euterpe data tokenize` (magic `EUTOKENS`).
    TokenFile,
    /// A token file in JSON (`{"vocab": …, "pieces": …}`).
    TokenJson,
    /// An audio recording (WAV, FLAC, MP3, Ogg Vorbis).
    AudioFile,
    /// A folder of recordings (and no MIDI files).
    AudioFolder,
}

impl DataKind {
    /// A few words for messages: "a MIDI folder", "a polyphonic piano-roll JSON file".
    pub fn describe(self) -> &'static str {
        match self {
            DataKind::MidiFile => "a MIDI file",
            DataKind::MidiFolder => "a folder of MIDI files",
            DataKind::PolyphonicJson => "a polyphonic piano-roll JSON file",
            DataKind::TokenFile => "a token file",
            DataKind::TokenJson => "a JSON token file",
            DataKind::AudioFile => "an audio recording",
            DataKind::AudioFolder => "a folder of audio recordings",
        }
    }
}

/// Bytes read from the start of a file to tell its kind.
const HEAD: usize = 256;

/// Tells what `path` holds, from what it is (folder or file), its first bytes and its name.
///
/// Content wins over the name: a `.json` file whose first key is `"vocab"` is a token file, any
/// other JSON object a polyphonic dataset; a file starting with `MThd` (or `RIFF…RMID`) is MIDI
/// whatever its name. A `.mid`/`.midi` file that is none of these is still taken as MIDI, so that
/// reading it reports what is wrong with it.
pub fn probe(path: &Path) -> Result<DataKind, DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.is_dir() {
        return Ok(folder_kind(path));
    }
    let mut head = Vec::with_capacity(HEAD);
    std::fs::File::open(path)
        .and_then(|f| f.take(HEAD as u64).read_to_end(&mut head))
        .map_err(|e| DataError::io(path, e))?;
    if let Some(kind) = kind_of_bytes(&head) {
        return Ok(kind);
    }
    if is_midi_path(path) {
        return Ok(DataKind::MidiFile);
    }
    if euterpe_audio::files::is_audio(path) {
        return Ok(DataKind::AudioFile);
    }
    Err(DataError::UnsupportedPath {
        path: path.to_path_buf(),
        reason: "not a MIDI file, a folder of them, a polyphonic piano-roll JSON file, a token file or an audio recording"
            .into(),
    })
}

/// The kind of a file from its first bytes, if they tell.
/// A folder holds audio when it (or a subfolder) has audio files and no MIDI file; every other
/// folder is taken as MIDI, whose reader reports what it finds.
fn folder_kind(path: &Path) -> DataKind {
    let mut pending = vec![(path.to_path_buf(), 0usize)];
    let mut audio = false;
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                if depth < 8 {
                    pending.push((p, depth + 1));
                }
            } else if is_midi_path(&p) {
                return DataKind::MidiFolder;
            } else if euterpe_audio::files::is_audio(&p) {
                audio = true;
            }
        }
    }
    if audio {
        DataKind::AudioFolder
    } else {
        DataKind::MidiFolder
    }
}

fn kind_of_bytes(head: &[u8]) -> Option<DataKind> {
    if head.starts_with(b"MThd") || (head.starts_with(b"RIFF") && head.get(8..12) == Some(b"RMID"))
    {
        return Some(DataKind::MidiFile);
    }
    if head.starts_with(b"EUTOKENS") {
        return Some(DataKind::TokenFile);
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = text.iter().position(|b| !b.is_ascii_whitespace())?;
    if text[first] != b'{' {
        return None;
    }
    // The first key of the object: token files start with "vocab", polyphonic ones with a split.
    let rest = &text[first + 1..];
    let key_start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest[key_start..].starts_with(b"\"vocab\"") {
        Some(DataKind::TokenJson)
    } else {
        Some(DataKind::PolyphonicJson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_content_then_name() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let cases = [
            (write("a.mid", b"MThd\0\0\0\x06"), DataKind::MidiFile),
            (write("renamed.bin", b"MThd\0\0\0\x06"), DataKind::MidiFile),
            (write("r.rmi", b"RIFF\0\0\0\0RMIDdata"), DataKind::MidiFile),
            (write("broken.mid", b"garbage"), DataKind::MidiFile),
            (write("t.etok", b"EUTOKENS\x01\0\0\0"), DataKind::TokenFile),
            (write("t.json", b" {\n \"vocab\": {}}"), DataKind::TokenJson),
            (
                write("jsb.json", b"{\"test\": [[[60]]]}"),
                DataKind::PolyphonicJson,
            ),
            (
                write("p.txt", b"\xef\xbb\xbf{\"train\": []}"),
                DataKind::PolyphonicJson,
            ),
        ];
        for (path, kind) in cases {
            assert_eq!(probe(&path).unwrap(), kind, "{}", path.display());
        }
        assert_eq!(probe(dir.path()).unwrap(), DataKind::MidiFolder);
        let e = probe(&write("notes.txt", b"hello")).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        let e = probe(&dir.path().join("missing.mid")).unwrap_err();
        assert!(e.to_string().contains("missing.mid"), "{e}");
    }
}
