//! SoundFont (SF2) rendering through `rustysynth`, and finding a SoundFont on the system.
//!
//! Loading checks the chunk structure against the file's length before handing the bytes to
//! `rustysynth`, walking it exactly as rustysynth will (which trusts every size and index it reads),
//! so a truncated file gives an error that says which chunk is cut short and the parser never sees a
//! size larger than the data. It also checks the indices rustysynth follows without bounds checks
//! (preset and instrument zones, their generators) and the sample headers' positions. The parse
//! itself still runs under `catch_unwind`: a malformed file that trips an assertion inside the
//! third-party parser becomes an [`RenderError::InvalidSoundFont`], not a crash.

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
        let lists = check_riff(bytes).map_err(invalid)?;
        check_hydra(bytes, &lists).map_err(invalid)?;
        let parsed = euterpe_base::guarded(|| {
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

/// The three lists of an SF2 file, in the order rustysynth reads them.
const LISTS: [&[u8; 4]; 3] = [b"INFO", b"sdta", b"pdta"];

/// The byte range of each list's sub-chunks (after the list type), as [`check_riff`] found them.
#[derive(Debug)]
struct Lists {
    /// `INFO`, `sdta` and `pdta`, in that order.
    bodies: [std::ops::Range<usize>; 3],
}

/// Checks the chunk structure that rustysynth will read, exactly as it will read it: after the
/// `RIFF sfbk` header, the lists `INFO`, `sdta` and `pdta` one after the other, each filled exactly
/// by its sub-chunks, every size fitting its list and the file, and the version sub-chunks (`ifil`,
/// `iver`) 4 bytes long.
///
/// rustysynth trusts every size it reads and reads sub-chunks back to back (without RIFF's pad
/// bytes, which SF2's even-sized chunks never need), allocating a buffer of each size first. A list
/// whose sub-chunks do not fill it, a pad byte, or a version chunk of another size put it out of step
/// with the file, and the "size" it then read from the middle of some data asked for up to 4 GiB.
fn check_riff(bytes: &[u8]) -> Result<Lists, String> {
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
    if riff_end < 12 {
        return Err(format!(
            "the RIFF header claims {} bytes, too few to hold its 'sfbk' type",
            riff_end - 8
        ));
    }
    let mut pos = 12;
    let mut bodies = [0..0, 0..0, 0..0];
    for (kind, body) in LISTS.iter().zip(&mut bodies) {
        let kind = String::from_utf8_lossy(&kind[..]);
        if pos + 12 > riff_end {
            return Err(format!(
                "truncated: no room for the LIST '{kind}' at byte {pos} ({} bytes remain)",
                riff_end - pos
            ));
        }
        let (id, size, list) = (
            fourcc(bytes, pos),
            le_u32(bytes, pos + 4).unwrap_or(0) as usize,
            fourcc(bytes, pos + 8),
        );
        if id != "LIST" || list != kind {
            return Err(format!(
                "expected LIST '{kind}' at byte {pos}, found '{id}' '{list}'"
            ));
        }
        let end = pos + 8 + size;
        if size < 4 || end > riff_end {
            return Err(format!(
                "truncated: LIST '{kind}' at byte {pos} claims {size} bytes, {} remain",
                riff_end - pos - 8
            ));
        }
        let mut sub = pos + 12;
        while sub < end {
            if sub + 8 > end {
                let n = end - sub;
                let s = if n == 1 { "" } else { "s" };
                return Err(format!(
                    "LIST '{kind}' at byte {pos}: {n} stray byte{s} after its last sub-chunk"
                ));
            }
            let sid = fourcc(bytes, sub);
            let ssize = le_u32(bytes, sub + 4).unwrap_or(0) as usize;
            if sub + 8 + ssize > end {
                return Err(format!(
                    "truncated: sub-chunk '{sid}' of LIST '{kind}' at byte {sub} claims {ssize} bytes, only {} remain",
                    end - sub - 8
                ));
            }
            if (sid == "ifil" || sid == "iver") && ssize != 4 {
                return Err(format!(
                    "sub-chunk '{sid}' at byte {sub} is {ssize} bytes, a version is 4"
                ));
            }
            sub += 8 + ssize;
        }
        *body = pos + 12..end;
        pos = end;
    }
    Ok(Lists { bodies })
}

/// The last sub-chunk called `id` in `range` (rustysynth keeps the last of several), as a byte
/// range of its data and its offset.
fn sub_chunk(bytes: &[u8], range: &std::ops::Range<usize>, id: &[u8; 4]) -> Option<(usize, usize)> {
    let mut pos = range.start;
    let mut found = None;
    while pos + 8 <= range.end {
        let size = le_u32(bytes, pos + 4)? as usize;
        if &bytes[pos..pos + 4] == id {
            found = Some((pos, size));
        }
        pos += 8 + size;
    }
    found
}

/// The `u16` at byte `field` of each `record`-byte record of a sub-chunk.
fn u16_fields(bytes: &[u8], at: usize, size: usize, record: usize, field: usize) -> Vec<usize> {
    (0..size / record)
        .map(|i| {
            let o = at + 8 + i * record + field;
            u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize
        })
        .collect()
}

/// Checks the indices that rustysynth follows without bounds checks (the "hydra" of `pdta`) and the
/// sample headers whose offsets it adds in `i32`.
///
/// Each preset (`phdr`) and instrument (`inst`) owns the zones (`pbag`, `ibag`) from its index to the
/// next record's, and each zone the generators (`pgen`, `igen`) from its index to the next zone's;
/// rustysynth slices those ranges as given, so an index past the end of the list it points into
/// panicked. Sample start, end and loop points beyond the sample data overflowed `i32` once a zone's
/// address offsets were added. Lists with a size that is not a whole number of records, or missing,
/// are left to rustysynth, which reports them.
fn check_hydra(bytes: &[u8], lists: &Lists) -> Result<(), String> {
    let [_, sdta, pdta] = &lists.bodies;
    let samples = sub_chunk(bytes, sdta, b"smpl").map_or(0, |(_, size)| size / 2);
    if samples > 1 << 30 {
        // Offsets of up to ±2^30 samples are added to sample positions in i32.
        return Err(format!(
            "{samples} samples: more than rustysynth can address"
        ));
    }
    let list = |id: &[u8; 4], record: usize| {
        sub_chunk(bytes, pdta, id).filter(|&(_, size)| size > 0 && size % record == 0)
    };
    // (owner list, its record size, the index field, the list it indexes, that list's record size)
    for (owner, record, field, owned, owned_record) in [
        (b"phdr", 38, 24, b"pbag", 4),
        (b"pbag", 4, 0, b"pgen", 4),
        (b"inst", 22, 20, b"ibag", 4),
        (b"ibag", 4, 0, b"igen", 4),
    ] {
        let (Some((at, size)), Some((_, owned_size))) =
            (list(owner, record), list(owned, owned_record))
        else {
            continue;
        };
        // rustysynth keeps all but the terminal record of the owned list.
        let available = owned_size / owned_record - 1;
        let indices = u16_fields(bytes, at, size, record, field);
        for (i, pair) in indices.windows(2).enumerate() {
            if pair[1] > pair[0] && pair[1] > available {
                return Err(format!(
                    "'{}' record {i} at byte {}: its {} run to index {} but '{}' holds {available}",
                    String::from_utf8_lossy(owner),
                    at + 8 + i * record,
                    String::from_utf8_lossy(owned),
                    pair[1],
                    String::from_utf8_lossy(owned),
                ));
            }
        }
    }
    if let Some((at, size)) = list(b"shdr", 46) {
        for i in 0..size / 46 - 1 {
            let o = at + 8 + i * 46;
            for (name, field) in [
                ("start", 20),
                ("end", 24),
                ("loop start", 28),
                ("loop end", 32),
            ] {
                let v = le_u32(bytes, o + field).unwrap_or(0) as usize;
                if v > samples {
                    return Err(format!(
                        "sample header {i} at byte {o}: {name} {v} lies beyond the {samples} samples of 'smpl'"
                    ));
                }
            }
        }
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

/// The (channel, program, is_drum) of every track of `score`, as [`SoundFontEngine`] plays them.
fn track_channels(score: &Score) -> Vec<(u8, u8, bool)> {
    let mut k = 0;
    score
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
        .collect()
}

/// `rustysynth` driven by score events: track i plays on a channel of its own (the i-th melodic
/// channel, skipping 9; drum tracks on 9). With more than 15 melodic tracks channels are shared, and
/// a program change is sent before a note whenever the channel's program differs.
pub(crate) struct SoundFontEngine {
    synth: Synthesizer,
    /// (channel, program, is_drum) per track.
    tracks: Vec<(u8, u8, bool)>,
    channel_program: [i16; 16],
    /// The font's file, named by a failure.
    path: PathBuf,
    /// Frames rendered so far.
    frames: u64,
    /// Why synthesis stopped, once rustysynth has panicked; the engine is silent from then on.
    failed: Option<String>,
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
        let synth = euterpe_base::guarded(|| Synthesizer::new(&font.font, &settings))
            .map_err(|p| RenderError::InvalidSoundFont {
                path: font.path.clone(),
                reason: format!("the synthesiser failed on it: {p}"),
            })?
            .map_err(|e| RenderError::InvalidOptions(e.to_string()))?;
        Ok(SoundFontEngine {
            synth,
            tracks: track_channels(score),
            channel_program: [-1; 16],
            path: font.path.clone(),
            frames: 0,
            failed: None,
        })
    }

    /// Runs `f` on the synthesiser unless it has failed; a panic inside rustysynth marks it failed.
    ///
    /// rustysynth 1.3.8 panics while playing some malformed fonts that load: its oscillator wraps a
    /// looping sample at most once per output frame, so a loop shorter than the distance a note
    /// moves through the sample per frame (a few samples long, or played many octaves above its
    /// root key) reads past the sample data. Which notes and modulations get there cannot be told
    /// from the font alone, so the synthesiser is guarded here instead: rendering stops with an
    /// error rather than aborting the program. The synthesiser is never used after a panic.
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Synthesizer)) -> bool {
        if self.failed.is_some() {
            return false;
        }
        let synth = &mut self.synth;
        match euterpe_base::guarded(|| f(synth)) {
            Ok(()) => true,
            Err(p) => {
                self.failed = Some(format!(
                    "the synthesiser failed {what} at frame {}: {p}",
                    self.frames,
                ));
                false
            }
        }
    }
}

impl Engine for SoundFontEngine {
    fn apply(&mut self, event: &Event) {
        let Some(&(ch, program, drum)) = self.tracks.get(event.track) else {
            return;
        };
        let change = !drum && self.channel_program[ch as usize] != program as i16;
        let (ch, pitch) = (ch as i32, event.pitch as i32);
        let played = match event.kind {
            EventKind::On { velocity } => self.guarded("starting a note", |synth| {
                if change {
                    synth.process_midi_message(ch, 0xC0, program as i32, 0);
                }
                synth.note_on(ch, pitch, velocity as i32);
            }),
            EventKind::Off => self.guarded("ending a note", |synth| synth.note_off(ch, pitch)),
        };
        if played && change && matches!(event.kind, EventKind::On { .. }) {
            self.channel_program[ch as usize] = program as i16;
        }
    }

    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        if !self.guarded("rendering", |synth| synth.render(left, right)) {
            left.fill(0.0);
            right.fill(0.0);
        }
        self.frames += left.len() as u64;
    }

    fn failure(&self) -> Option<RenderError> {
        self.failed
            .as_ref()
            .map(|reason| RenderError::InvalidSoundFont {
                path: self.path.clone(),
                reason: reason.clone(),
            })
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
        // Found by fuzz/ (soundfont), minimised: a RIFF size of 2 put the end of the file before
        // the first list, and the error message's "bytes remain" underflowed.
        let err = check_riff(b"RIFF\x02\0\0\0sfbk").unwrap_err();
        assert!(err.contains("claims 2 bytes, too few"), "{err}");
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

    /// A minimal SoundFont, sub-chunk by sub-chunk, to corrupt one field at a time: one preset with
    /// one zone, one instrument with one zone, one sample of 8 frames (plus the 46 zero frames).
    struct Font {
        info: Vec<(&'static [u8; 4], Vec<u8>)>,
        smpl: Vec<u8>,
        pdta: Vec<(&'static [u8; 4], Vec<u8>)>,
    }

    fn u16s(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn name20(name: &str) -> Vec<u8> {
        let mut b = name.as_bytes().to_vec();
        b.resize(20, 0);
        b
    }

    impl Font {
        fn new() -> Self {
            let mut phdr = name20("P");
            phdr.extend(u16s(&[0, 0, 0]));
            phdr.extend([0; 12]);
            phdr.extend(name20("EOP"));
            phdr.extend(u16s(&[0, 0, 1]));
            phdr.extend([0; 12]);
            let mut inst = name20("I");
            inst.extend(u16s(&[0]));
            inst.extend(name20("EOI"));
            inst.extend(u16s(&[1]));
            let mut shdr = name20("S");
            for v in [0u32, 8, 2, 6, 22_050] {
                shdr.extend(v.to_le_bytes());
            }
            shdr.extend([60, 0, 0, 0, 1, 0]);
            shdr.extend(name20("EOS"));
            shdr.extend([0; 26]);
            Font {
                info: vec![(b"ifil", u16s(&[2, 1])), (b"INAM", b"font\0\0".to_vec())],
                smpl: (0..54i16).flat_map(|i| (i * 100).to_le_bytes()).collect(),
                pdta: vec![
                    (b"phdr", phdr),
                    (b"pbag", u16s(&[0, 0, 1, 0])),
                    (b"pmod", vec![0; 10]),
                    (b"pgen", u16s(&[41, 0, 0, 0])),
                    (b"inst", inst),
                    (b"ibag", u16s(&[0, 0, 1, 0])),
                    (b"imod", vec![0; 10]),
                    (b"igen", u16s(&[53, 0, 0, 0])),
                    (b"shdr", shdr),
                ],
            }
        }

        /// The data of a `pdta` sub-chunk, to change.
        fn pdta(&mut self, id: &[u8; 4]) -> &mut Vec<u8> {
            &mut self.pdta.iter_mut().find(|(i, _)| *i == id).unwrap().1
        }

        fn bytes(&self) -> Vec<u8> {
            fn chunk(id: &[u8], data: &[u8]) -> Vec<u8> {
                let mut out = id.to_vec();
                out.extend((data.len() as u32).to_le_bytes());
                out.extend(data);
                out
            }
            let list = |kind: &[u8; 4], subs: &[(&[u8; 4], Vec<u8>)]| {
                let mut body = kind.to_vec();
                for (id, data) in subs {
                    body.extend(chunk(&id[..], data));
                }
                chunk(b"LIST", &body)
            };
            let mut body = b"sfbk".to_vec();
            body.extend(list(b"INFO", &self.info));
            body.extend(list(b"sdta", &[(b"smpl", self.smpl.clone())]));
            body.extend(list(b"pdta", &self.pdta));
            chunk(b"RIFF", &body)
        }
    }

    fn load_error(font: &Font) -> String {
        match LoadedSoundFont::from_bytes(&font.bytes(), "t.sf2") {
            Ok(_) => panic!("the font loads"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_test_font_loads() {
        let font = LoadedSoundFont::from_bytes(&Font::new().bytes(), "t.sf2").unwrap();
        assert_eq!(font.preset_count(), 1);
    }

    #[test]
    fn zones_and_generators_past_the_end_of_their_list_are_errors_not_panics() {
        // Found by fuzz/ (soundfont), minimised: the terminal preset record ("EOP") of a TimGM6mb
        // excerpt had a zone index of 21,844 where pbag held 2 records, and rustysynth sliced its
        // zone list with it ("range end index 21844 out of range for slice of length 2").
        // The other three lists are indexed the same way.
        for (list, at, expected) in [
            ("phdr", 38 + 24, "'phdr' record 0"),
            ("pbag", 4, "'pbag' record 0"),
            ("inst", 22 + 20, "'inst' record 0"),
            ("ibag", 4, "'ibag' record 0"),
        ] {
            let mut font = Font::new();
            let id: &[u8; 4] = list.as_bytes().try_into().unwrap();
            font.pdta(id)[at..at + 2].copy_from_slice(&21_844u16.to_le_bytes());
            let err = load_error(&font);
            assert!(
                err.starts_with("t.sf2: invalid SoundFont") && err.contains(expected),
                "{list}: {err}"
            );
        }
    }

    #[test]
    fn sample_points_beyond_the_sample_data_are_an_error_not_an_overflow() {
        // A sample starting at 2^31 - 16 with a zone adding a start offset (generator 0) of 100:
        // rustysynth added them in i32 (an overflow panic in debug builds, a wrapped start in
        // release ones).
        let mut font = Font::new();
        font.pdta(b"shdr")[20..24].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        *font.pdta(b"igen") = u16s(&[0, 100, 53, 0, 0, 0]);
        *font.pdta(b"ibag") = u16s(&[0, 0, 2, 0]);
        let err = load_error(&font);
        assert!(
            err.contains("sample header 0") && err.contains("start"),
            "{err}"
        );
    }

    #[test]
    fn lists_are_walked_as_rustysynth_reads_them() {
        // rustysynth reads sub-chunks back to back and allocates each size it reads before reading
        // the data. Four stray bytes "ICMT" at the end of INFO made it read the next header's "LIST"
        // as a size, 1.4 GB; a pad byte after an odd-sized chunk, or an 'ifil' of another size than
        // 4, put it out of step the same way.
        let mut stray = Font::new().bytes();
        let at = stray.windows(4).position(|w| w == b"sdta").unwrap() - 8;
        stray.splice(at..at, *b"ICMT");
        let info_size = u32::from_le_bytes(stray[16..20].try_into().unwrap()) + 4;
        stray[16..20].copy_from_slice(&info_size.to_le_bytes());
        let riff_size = stray.len() as u32 - 8;
        stray[4..8].copy_from_slice(&riff_size.to_le_bytes());
        let err = LoadedSoundFont::from_bytes(&stray, "t.sf2")
            .unwrap_err()
            .to_string();
        assert!(err.contains("4 stray bytes"), "{err}");

        let mut padded = Font::new();
        padded.info[1].1 = b"odd\0\0".to_vec(); // 5 bytes; a RIFF writer adds a pad byte
        let mut bytes = padded.bytes();
        let at = bytes.windows(4).position(|w| w == b"INAM").unwrap() + 8 + 5;
        bytes.insert(at, 0);
        for field in [4, 16] {
            let size = u32::from_le_bytes(bytes[field..field + 4].try_into().unwrap()) + 1;
            bytes[field..field + 4].copy_from_slice(&size.to_le_bytes());
        }
        let err = LoadedSoundFont::from_bytes(&bytes, "t.sf2")
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 stray byte "), "{err}");

        let mut version = Font::new();
        version.info[0].1 = u16s(&[2, 1, 0]);
        let err = load_error(&version);
        assert!(err.contains("'ifil' at byte 24 is 6 bytes"), "{err}");
    }

    #[test]
    fn a_font_that_makes_the_synthesiser_panic_is_an_error_not_a_crash() {
        // Found by fuzz/ (soundfont), minimised: a looped sample whose header gives a sample rate of
        // 1,610,656,736 Hz. At 16 kHz a note moves 100,000 samples per frame through its loop (4
        // samples here, 400 in the fuzzer's input); rustysynth wraps once per frame and reads past
        // its sample data: an index-out-of-bounds panic while rendering, which aborted the program.
        let fast = || {
            let mut font = Font::new();
            font.pdta(b"shdr")[36..40].copy_from_slice(&1_610_656_736u32.to_le_bytes());
            *font.pdta(b"igen") = u16s(&[54, 1, 53, 0, 0, 0]); // sampleModes = loop, sampleID = 0
            *font.pdta(b"ibag") = u16s(&[0, 0, 2, 0]);
            font.bytes()
        };
        let font = LoadedSoundFont::from_bytes(&fast(), "fast.sf2").unwrap();
        let mut score = Score::new(480);
        let mut track = euterpe_music::Track::new("", 0);
        track.notes.push(euterpe_music::Note {
            onset: 0,
            duration: 480,
            pitch: 60,
            velocity: 100,
        });
        score.tracks.push(track);
        let options = crate::RenderOptions {
            sample_rate: 16_000,
            ..crate::RenderOptions::default()
        };
        let synth = crate::Synth::SoundFont(font);
        let mut renderer = crate::Renderer::with_synth(&score, &synth, &options).unwrap();
        let total = renderer.total_frames();
        let frames: u64 = (&mut renderer).map(|b| b.frames() as u64).sum();
        assert_eq!(frames, total, "the renderer goes on, silent, to the end");
        let err = renderer
            .failure()
            .expect("the failure is reported")
            .to_string();
        assert!(
            err.starts_with(
                "fast.sf2: invalid SoundFont: the synthesiser failed rendering at frame"
            ),
            "{err}"
        );

        // render_to_wav returns the error and leaves no file.
        let dir = tempfile::tempdir().unwrap();
        let sf2 = dir.path().join("fast.sf2");
        std::fs::write(&sf2, fast()).unwrap();
        let out = dir.path().join("out.wav");
        for normalize_dbfs in [Some(-1.0), None] {
            let options = crate::RenderOptions {
                soundfont: Some(sf2.clone()),
                normalize_dbfs,
                ..options.clone()
            };
            let err = crate::render_to_wav(&score, &out, &options).unwrap_err();
            assert!(matches!(err, RenderError::InvalidSoundFont { .. }), "{err}");
            assert!(!out.exists());
        }
    }
}
