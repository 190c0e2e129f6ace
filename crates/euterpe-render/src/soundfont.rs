//! SoundFont (SF2) rendering through `rustysynth`, and finding a SoundFont on the system.
//!
//! Loading checks the RIFF chunk structure against the file's length before handing the bytes to
//! `rustysynth`, so a truncated file gives an error that says which chunk is cut short (and the
//! parser never sees a chunk size larger than the data). The parse itself also runs under
//! `catch_unwind`: a malformed file that trips an assertion inside the third-party parser becomes
//! an [`RenderError::InvalidSoundFont`], not a crash.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use euterpe_music::score::DRUM_CHANNEL;
use euterpe_music::Score;
use rustysynth::{SoundFontError, Synthesizer, SynthesizerSettings};

use crate::events::{Event, EventKind};
use crate::renderer::Engine;
use crate::RenderError;

/// The environment variable that names a SoundFont to prefer over the system's.
pub const SOUNDFONT_ENV: &str = "EUTERPE_SOUNDFONT";

/// A parsed SoundFont, cheap to clone (the samples are shared).
#[derive(Clone)]
pub struct LoadedSoundFont {
    path: PathBuf,
    font: Arc<rustysynth::SoundFont>,
}

impl std::fmt::Debug for LoadedSoundFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedSoundFont")
            .field("path", &self.path)
            .field("presets", &self.preset_count())
            .finish()
    }
}

impl LoadedSoundFont {
    /// Reads and parses an SF2 file.
    pub fn open(path: &Path) -> Result<Self, RenderError> {
        let bytes = std::fs::read(path).map_err(|source| RenderError::SoundFontIo {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses SF2 bytes; `name` is the file name that errors will carry.
    pub fn from_bytes(bytes: &[u8], name: impl Into<PathBuf>) -> Result<Self, RenderError> {
        let path = name.into();
        let invalid = |reason: String| RenderError::InvalidSoundFont {
            path: path.clone(),
            reason,
        };
        check_riff(bytes).map_err(invalid)?;
        let parsed = std::panic::catch_unwind(|| {
            let mut cursor = Cursor::new(bytes);
            rustysynth::SoundFont::new(&mut cursor)
        })
        .map_err(|_| invalid("the SoundFont parser failed on malformed data".to_string()))?;
        let font = parsed.map_err(|e| invalid(describe(&e)))?;
        Ok(LoadedSoundFont {
            path,
            font: Arc::new(font),
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of presets (instruments addressable by bank and program).
    pub fn preset_count(&self) -> usize {
        self.font.get_presets().len()
    }
}

fn describe(e: &SoundFontError) -> String {
    match e {
        SoundFontError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: unexpected end of data".to_string()
        }
        other => other.to_string(),
    }
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn fourcc(bytes: &[u8], at: usize) -> String {
    bytes
        .get(at..at + 4)
        .map(|b| b.iter().map(|&c| c as char).collect())
        .unwrap_or_default()
}

/// Checks that every chunk of the RIFF tree fits inside its parent and the file.
fn check_riff(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 12 {
        return Err(format!(
            "truncated: {} bytes, too short for a RIFF header",
            bytes.len()
        ));
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"sfbk" {
        return Err("not a SoundFont 2 file (no RIFF 'sfbk' header)".to_string());
    }
    let riff_end = 8 + le_u32(bytes, 4).unwrap_or(0) as usize;
    if riff_end > bytes.len() {
        return Err(format!(
            "truncated: the RIFF header claims {} bytes, the file has {}",
            riff_end,
            bytes.len()
        ));
    }
    let mut pos = 12;
    while pos + 8 <= riff_end {
        let id = fourcc(bytes, pos);
        let size = le_u32(bytes, pos + 4).unwrap_or(0) as usize;
        let end = pos + 8 + size;
        if end > riff_end {
            return Err(format!(
                "truncated: chunk '{id}' at byte {pos} claims {size} bytes, only {} remain",
                riff_end - pos - 8
            ));
        }
        if id == "LIST" {
            let list = fourcc(bytes, pos + 8);
            let mut sub = pos + 12;
            while sub + 8 <= end {
                let sid = fourcc(bytes, sub);
                let ssize = le_u32(bytes, sub + 4).unwrap_or(0) as usize;
                if sub + 8 + ssize > end {
                    return Err(format!(
                        "truncated: sub-chunk '{sid}' of LIST '{list}' at byte {sub} claims {ssize} bytes, only {} remain",
                        end - sub - 8
                    ));
                }
                sub += 8 + ssize + (ssize & 1);
            }
        }
        pos = end + (size & 1);
    }
    Ok(())
}

/// The first SoundFont found: `$EUTERPE_SOUNDFONT` if it names a file, then the `.sf2` files of
/// `/usr/share/sounds/sf2` and `/usr/share/soundfonts` (Debian, Fedora, Arch), preferring a file
/// whose name contains "GM" and otherwise taking the first in name order.
pub fn find_system_soundfont() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(SOUNDFONT_ENV).map(PathBuf::from) {
        if p.is_file() {
            return Some(p);
        }
    }
    find_soundfont_in(&[
        Path::new("/usr/share/sounds/sf2"),
        Path::new("/usr/share/soundfonts"),
        Path::new("/usr/local/share/soundfonts"),
    ])
}

/// The SoundFont [`find_system_soundfont`] would pick among these folders (no environment
/// variable).
pub fn find_soundfont_in(dirs: &[&Path]) -> Option<PathBuf> {
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sf2")) && p.is_file())
            .collect();
        files.sort();
        let gm = files.iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().to_ascii_uppercase().contains("GM"))
        });
        if let Some(p) = gm.or(files.first()) {
            return Some(p.clone());
        }
    }
    None
}

/// The melodic MIDI channels in the order tracks get them (channel 9 is for drums).
const MELODIC_CHANNELS: [u8; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15];

/// `rustysynth` driven by score events: track i plays on a channel of its own (the i-th melodic
/// channel, skipping 9; drum tracks on 9). With more than 15 melodic tracks channels are shared, and
/// a program change is sent before a note whenever the channel's program differs.
pub(crate) struct SoundFontEngine {
    synth: Synthesizer,
    /// (channel, program, is_drum) per track.
    tracks: Vec<(u8, u8, bool)>,
    channel_program: [i16; 16],
}

impl SoundFontEngine {
    /// A synthesiser for `score` at `sample_rate`.
    pub fn new(
        font: &LoadedSoundFont,
        score: &Score,
        sample_rate: u32,
    ) -> Result<Self, RenderError> {
        let mut settings = SynthesizerSettings::new(sample_rate as i32);
        settings.maximum_polyphony = 256;
        let synth = Synthesizer::new(&font.font, &settings)
            .map_err(|e| RenderError::InvalidOptions(e.to_string()))?;
        let mut k = 0;
        let tracks = score
            .tracks
            .iter()
            .map(|t| {
                if t.is_drum {
                    (DRUM_CHANNEL, 0, true)
                } else {
                    let ch = MELODIC_CHANNELS[k % MELODIC_CHANNELS.len()];
                    k += 1;
                    (ch, t.program & 0x7F, false)
                }
            })
            .collect();
        Ok(SoundFontEngine {
            synth,
            tracks,
            channel_program: [-1; 16],
        })
    }
}

impl Engine for SoundFontEngine {
    fn apply(&mut self, event: &Event) {
        let Some(&(ch, program, drum)) = self.tracks.get(event.track) else {
            return;
        };
        match event.kind {
            EventKind::On { velocity } => {
                if !drum && self.channel_program[ch as usize] != program as i16 {
                    self.synth
                        .process_midi_message(ch as i32, 0xC0, program as i32, 0);
                    self.channel_program[ch as usize] = program as i16;
                }
                self.synth
                    .note_on(ch as i32, event.pitch as i32, velocity as i32);
            }
            EventKind::Off => self.synth.note_off(ch as i32, event.pitch as i32),
        }
    }

    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.synth.render(left, right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riff_check_names_the_cut_chunk() {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend(100u32.to_le_bytes());
        bytes.extend(b"sfbk");
        let err = check_riff(&bytes).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        bytes.truncate(4);
        assert!(check_riff(&bytes).unwrap_err().contains("too short"));
        assert!(check_riff(b"MThd\0\0\0\x06\0\x01\0\x02")
            .unwrap_err()
            .contains("not a SoundFont"));
    }

    #[test]
    fn finds_a_gm_font_first() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_soundfont_in(&[dir.path()]), None);
        std::fs::write(dir.path().join("a.sf2"), b"x").unwrap();
        std::fs::write(dir.path().join("b_GM.sf2"), b"x").unwrap();
        std::fs::write(dir.path().join("c.txt"), b"x").unwrap();
        assert_eq!(
            find_soundfont_in(&[Path::new("/nonexistent"), dir.path()]),
            Some(dir.path().join("b_GM.sf2"))
        );
    }
}
