//! MIDI parsing: midly reads the header, chunks and meta events; channel messages are decoded in
//! the loop ([`super::events`]).

use std::path::Path;

use midly::{MetaMessage, Timing, TrackEventKind};

use super::events::{visit_events, EventVisitor};

use crate::score::{KeySignature, Note, Score, TempoChange, TimeSignature, Track, DRUM_CHANNEL};
use crate::MusicError;
use euterpe_base::read_file;

/// Reads and parses a MIDI file; errors name the file.
pub fn read_midi_file(path: &Path) -> Result<Score, MusicError> {
    let bytes = read_file(path)?;
    parse_midi(&bytes).map_err(|e| e.with_path(path))
}

fn invalid(reason: impl Into<String>) -> MusicError {
    MusicError::InvalidMidi {
        path: None,
        reason: reason.into(),
    }
}

/// Parses the bytes of a Standard MIDI File into a [`Score`].
pub fn parse_midi(bytes: &[u8]) -> Result<Score, MusicError> {
    let bytes = unwrap_rmid(bytes)?;
    check_chunks(bytes)?;
    let (header, tracks) = midly::parse(bytes).map_err(|e| invalid(e.to_string()))?;
    let (ticks_per_beat, fixed_tempo) = match header.timing {
        Timing::Metrical(tpb) if tpb.as_int() > 0 => (tpb.as_int() as u32, None),
        Timing::Metrical(_) => return Err(invalid("header: resolution of 0 ticks per beat")),
        // SMPTE: one "beat" is one second, divided into frames × subframes ticks.
        Timing::Timecode(fps, sub) => {
            let tps = fps.as_int() as u32 * sub.max(1) as u32;
            (tps.max(1), Some(1_000_000u32))
        }
    };
    let mut score = Score::new(ticks_per_beat);
    let mut open = OpenNotes::new();
    for (track_index, events) in tracks.enumerate() {
        let events = events.map_err(|e| invalid(format!("track {track_index}: {e}")))?;
        let mut builder = ScoreBuilder {
            reader: TrackReader::new(&mut open),
            score: &mut score,
            fixed_tempo: fixed_tempo.is_some(),
        };
        visit_events(events.unread(), &mut builder);
        builder.reader.finish(&mut score);
    }
    if let Some(micros) = fixed_tempo {
        score.tempos = vec![TempoChange {
            tick: 0,
            micros_per_beat: micros,
        }];
    }
    normalize_meta(&mut score);
    Ok(score)
}

/// The Standard MIDI File inside an RMID (RIFF) wrapper, or `bytes` itself when there is none.
///
/// Unwrapping here rather than in midly lets [`check_chunks`] check the inner file too. RIFF chunks
/// are read as midly reads them: little-endian lengths, odd lengths padded to even, and a chunk longer
/// than what remains takes the rest (the inner file's own chunks are checked strictly).
fn unwrap_rmid(bytes: &[u8]) -> Result<&[u8], MusicError> {
    if !bytes.starts_with(b"RIFF") {
        return Ok(bytes);
    }
    let mut rest = bytes;
    let riff = match next_riff_chunk(&mut rest) {
        Some((_, riff)) if riff.starts_with(b"RMID") => riff,
        _ => return Err(invalid("RIFF file without an 'RMID' form type")),
    };
    let mut rest = &riff[4..];
    while let Some((id, data)) = next_riff_chunk(&mut rest) {
        if id == b"data" {
            return Ok(data);
        }
    }
    Err(invalid("RMID file without a 'data' chunk"))
}

/// Splits the next RIFF chunk (id, data) off the front of `rest`.
fn next_riff_chunk<'a>(rest: &mut &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
    if rest.len() < 8 {
        return None;
    }
    let (head, tail) = rest.split_at(8);
    let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let (data, after) = tail.split_at(len.min(tail.len()));
    *rest = match after {
        [_pad, after @ ..] if len % 2 == 1 => after,
        _ => after,
    };
    Some((&head[..4], data))
}

/// Walks the chunk structure so that truncated and malformed files are reported with byte offsets
/// (midly's lenient mode would otherwise accept a truncated last track).
fn check_chunks(bytes: &[u8]) -> Result<(), MusicError> {
    if bytes.is_empty() {
        return Err(invalid("empty file"));
    }
    if !bytes.starts_with(b"MThd") {
        let head: String = bytes
            .iter()
            .take(4)
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        return Err(invalid(format!(
            "not a MIDI file: byte 0 should start an 'MThd' header, found {head:?}"
        )));
    }
    if bytes.len() < 14 {
        return Err(invalid(format!(
            "truncated header: {} bytes, need at least 14",
            bytes.len()
        )));
    }
    let header_len = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if header_len < 6 {
        return Err(invalid(format!(
            "header: chunk of {header_len} bytes, need at least 6"
        )));
    }
    // SMPTE timing stores minus the frame rate in the high byte of the division. midly negates that
    // byte as an i8, which overflows (a panic in builds with overflow checks) for 0x80; only 24, 25,
    // 29 (drop-frame 30) and 30 frames per second exist.
    if bytes[12] & 0x80 != 0 {
        let fps = (bytes[12] as i8).unsigned_abs();
        if !matches!(fps, 24 | 25 | 29 | 30) {
            return Err(invalid(format!(
                "header: SMPTE timing at {fps} frames per second (need 24, 25, 29 or 30)"
            )));
        }
    }
    let declared_tracks = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    let mut offset = 0usize;
    let mut track_chunks = 0usize;
    let mut chunk_index = 0usize;
    while offset + 8 <= bytes.len() {
        let id = &bytes[offset..offset + 4];
        let len = u32::from_be_bytes([
            bytes[offset + 4],
            bytes[offset + 5],
            bytes[offset + 6],
            bytes[offset + 7],
        ]) as usize;
        let remaining = bytes.len() - offset - 8;
        if len > remaining {
            if id == b"MTrk" || chunk_index == 0 {
                return Err(invalid(format!(
                    "truncated: chunk {chunk_index} ('{}') at byte {offset} declares {len} bytes but only {remaining} remain",
                    String::from_utf8_lossy(id)
                )));
            }
            break; // trailing junk after the tracks is ignored, as other readers do
        }
        if id == b"MTrk" {
            track_chunks += 1;
        }
        offset += 8 + len;
        chunk_index += 1;
        if track_chunks == declared_tracks {
            break;
        }
    }
    if track_chunks < declared_tracks {
        return Err(invalid(format!(
            "truncated: header declares {declared_tracks} tracks but the file holds {track_chunks}"
        )));
    }
    Ok(())
}

/// Marks an empty list in [`OpenNotes`].
const NONE: u32 = u32::MAX;

/// Open (sounding) notes per channel and pitch, matched first-in, first-out.
///
/// A note enters its track's note list at its note-on, with duration 0, so that every track's notes
/// come out in onset order and the final sort has little to do; the note-off only fills in the
/// duration. The open notes
/// of one (channel, pitch) slot form a singly linked FIFO list through `pool`; closed entries go to a
/// free list and are reused. Nothing is allocated per slot: the whole state is one 16 KiB table per
/// file plus a pool as large as the most notes open at once.
struct OpenNotes {
    /// The list of each `channel * 128 + pitch` slot.
    slots: Box<[Slot; 16 * 128]>,
    pool: Vec<OpenNote>,
    /// First reusable entry of `pool`, or [`NONE`].
    free: u32,
    /// Number of notes open now.
    count: usize,
}

/// The open notes of one (channel, pitch), as indices into [`OpenNotes::pool`].
#[derive(Clone, Copy)]
struct Slot {
    /// Oldest open note, or [`NONE`] when the slot is empty.
    head: u32,
    /// Newest open note; meaningful only while `head` is not [`NONE`].
    tail: u32,
}

/// One sounding note: where it is in the score, and the next open note of its slot.
#[derive(Clone, Copy)]
struct OpenNote {
    /// Score track index.
    out: usize,
    /// Index of the note in that track's notes.
    index: usize,
    /// Next (newer) open note of the same slot, or, for a free entry, the next free entry.
    next: u32,
}

impl OpenNotes {
    fn new() -> Self {
        OpenNotes {
            slots: Box::new(
                [Slot {
                    head: NONE,
                    tail: NONE,
                }; 16 * 128],
            ),
            pool: Vec::new(),
            free: NONE,
            count: 0,
        }
    }

    /// Appends a note to the end of a slot's list.
    fn push(&mut self, slot: usize, out: usize, index: usize) {
        let entry = OpenNote {
            out,
            index,
            next: NONE,
        };
        let id = if self.free != NONE {
            let id = self.free;
            self.free = self.pool[id as usize].next;
            self.pool[id as usize] = entry;
            id
        } else {
            self.pool.push(entry);
            u32::try_from(self.pool.len() - 1).expect("fewer than 2^32 notes open at once")
        };
        let slot = &mut self.slots[slot];
        if slot.head == NONE {
            slot.head = id;
        } else {
            self.pool[slot.tail as usize].next = id;
        }
        slot.tail = id;
        self.count += 1;
    }

    /// Removes and returns the oldest open note of a slot.
    fn pop(&mut self, slot: usize) -> Option<OpenNote> {
        let id = self.slots[slot].head;
        if id == NONE {
            return None;
        }
        let entry = self.pool[id as usize];
        self.slots[slot].head = entry.next;
        self.pool[id as usize].next = self.free;
        self.free = id;
        self.count -= 1;
        Some(entry)
    }
}

/// Builds a score from the events of one track.
struct ScoreBuilder<'r, 'o> {
    reader: TrackReader<'o>,
    score: &'r mut Score,
    /// SMPTE timing: tempo events are ignored.
    fixed_tempo: bool,
}

impl<'a> EventVisitor<'a> for ScoreBuilder<'_, '_> {
    #[inline]
    fn channel(&mut self, delta: u32, status: u8, data: [u8; 2]) {
        self.reader.tick += u64::from(delta);
        self.reader.handle_channel(status, data, self.score);
    }

    fn other(&mut self, delta: u32, kind: TrackEventKind<'a>) {
        self.reader.tick += u64::from(delta);
        if let TrackEventKind::Meta(meta) = kind {
            self.reader.handle_meta(meta, self.score, self.fixed_tempo);
        }
    }
}

/// State while reading one MIDI track.
struct TrackReader<'o> {
    tick: u64,
    name: String,
    programs: [u8; 16],
    /// Score track index per (channel, program), created on the first note.
    outputs: Vec<((u8, u8), usize)>,
    open: &'o mut OpenNotes,
}

impl<'o> TrackReader<'o> {
    fn new(open: &'o mut OpenNotes) -> Self {
        TrackReader {
            tick: 0,
            name: String::new(),
            programs: [0; 16],
            outputs: Vec::new(),
            open,
        }
    }

    /// A channel message: notes open and close, program changes pick the output track.
    #[inline]
    fn handle_channel(&mut self, status: u8, [key, vel]: [u8; 2], score: &mut Score) {
        let ch = status & 0x0f;
        let slot = ch as usize * 128 + key as usize;
        match status >> 4 {
            0x9 if vel > 0 => {
                let out = self.output_for(ch, score);
                let notes = &mut score.tracks[out].notes;
                notes.push(Note {
                    onset: self.tick,
                    duration: 0,
                    pitch: key,
                    velocity: vel,
                });
                self.open.push(slot, out, notes.len() - 1);
            }
            0x8 | 0x9 => {
                if let Some(open) = self.open.pop(slot) {
                    let note = &mut score.tracks[open.out].notes[open.index];
                    note.duration = self.tick - note.onset;
                }
            }
            0xc => self.programs[ch as usize] = key,
            _ => {}
        }
    }

    fn handle_meta(&mut self, meta: MetaMessage<'_>, score: &mut Score, fixed_tempo: bool) {
        let tick = self.tick;
        match meta {
            MetaMessage::TrackName(name) if self.name.is_empty() => {
                self.name = String::from_utf8_lossy(name).trim().to_string();
                for &(_, out) in &self.outputs {
                    score.tracks[out].name.clone_from(&self.name);
                }
            }
            MetaMessage::Tempo(micros) if !fixed_tempo && micros.as_int() > 0 => {
                score.tempos.push(TempoChange {
                    tick,
                    micros_per_beat: micros.as_int(),
                });
            }
            MetaMessage::TimeSignature(num, den_pow, _, _) if num > 0 && den_pow < 8 => {
                score.time_signatures.push(TimeSignature {
                    tick,
                    numerator: num,
                    denominator: 1u8 << den_pow,
                });
            }
            MetaMessage::KeySignature(sharps, minor) => {
                score.key_signatures.push(KeySignature {
                    tick,
                    sharps: sharps.clamp(-7, 7),
                    minor,
                });
            }
            _ => {}
        }
    }

    fn output_for(&mut self, channel: u8, score: &mut Score) -> usize {
        let key = (channel, self.programs[channel as usize]);
        if let Some(&(_, idx)) = self.outputs.iter().find(|(k, _)| *k == key) {
            return idx;
        }
        let is_drum = channel == DRUM_CHANNEL;
        score.tracks.push(Track {
            name: self.name.clone(),
            program: if is_drum { 0 } else { key.1 },
            is_drum,
            notes: Vec::new(),
        });
        let idx = score.tracks.len() - 1;
        self.outputs.push((key, idx));
        idx
    }

    /// Closes notes still sounding at the end of the track and sorts the track's notes.
    fn finish(self, score: &mut Score) {
        if self.open.count > 0 {
            for slot in 0..self.open.slots.len() {
                while let Some(open) = self.open.pop(slot) {
                    let note = &mut score.tracks[open.out].notes[open.index];
                    note.duration = self.tick.saturating_sub(note.onset);
                }
            }
        }
        for &(_, out) in &self.outputs {
            score.tracks[out].sort_notes();
        }
    }
}

/// Sorts meta events by tick and keeps the last of several at the same tick.
fn normalize_meta(score: &mut Score) {
    fn last_per_tick<T: Copy>(items: &mut Vec<T>, tick: impl Fn(&T) -> u64) {
        items.sort_by_key(&tick); // stable: file order within a tick
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            match out.last_mut() {
                Some(last) if tick(last) == tick(&item) => *last = item,
                _ => out.push(item),
            }
        }
        *items = out;
    }
    last_per_tick(&mut score.tempos, |t| t.tick);
    last_per_tick(&mut score.time_signatures, |t| t.tick);
    last_per_tick(&mut score.key_signatures, |t| t.tick);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format-0 file at 480 ticks per beat with the given track events.
    fn smf(events: &[u8]) -> Vec<u8> {
        let mut bytes = b"MThd\0\0\0\x06\0\0\0\x01\x01\xe0MTrk".to_vec();
        bytes.extend_from_slice(&(events.len() as u32).to_be_bytes());
        bytes.extend_from_slice(events);
        bytes
    }

    /// `smf` in an RMID (RIFF) wrapper.
    fn rmid(smf: &[u8]) -> Vec<u8> {
        let mut data = b"RMIDdata".to_vec();
        data.extend_from_slice(&(smf.len() as u32).to_le_bytes());
        data.extend_from_slice(smf);
        if smf.len() % 2 == 1 {
            data.push(0);
        }
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&data);
        bytes
    }

    fn note(onset: u64, duration: u64, pitch: u8, velocity: u8) -> Note {
        Note {
            onset,
            duration,
            pitch,
            velocity,
        }
    }

    #[test]
    fn overlapping_and_unclosed_notes_are_paired_first_in_first_out() {
        #[rustfmt::skip]
        let bytes = smf(&[
            0x00, 0x90, 60, 64, // tick 0: note-on 60
            0x0a, 0x90, 60, 80, // tick 10: note-on 60 again, overlapping
            0x0a, 62, 64,       // tick 20: note-on 62 (running status), never closed
            0x0a, 0x80, 60, 0,  // tick 30: note-off 60 ends the first 60
            0x0a, 0x90, 60, 0,  // tick 40: note-on with velocity 0 ends the second 60
            0x00, 0xc1, 5,      // program 5 on channel 1
            0x00, 0x91, 64, 64, // tick 40: note-on 64 on channel 1
            0x14, 0x81, 64, 0,  // tick 60: note-off 64
            0x00, 0xff, 0x2f, 0x00,
        ]);
        let score = parse_midi(&bytes).unwrap();
        assert_eq!(score.tracks.len(), 2);
        assert_eq!(
            score.tracks[0].notes,
            [
                note(0, 30, 60, 64),
                note(10, 30, 60, 80),
                note(20, 40, 62, 64)
            ]
        );
        assert_eq!(score.tracks[1].program, 5);
        assert_eq!(score.tracks[1].notes, [note(40, 20, 64, 64)]);
    }

    #[test]
    fn closed_slots_are_reused_and_notes_come_out_sorted() {
        // A chord written from the top down, played three times: every note is closed and its open
        // entry reused; the track's notes are sorted by onset, then pitch.
        let mut events = Vec::new();
        for _ in 0..3 {
            for pitch in [67, 64, 60] {
                events.extend_from_slice(&[0x00, 0x90, pitch, 100]);
            }
            events.extend_from_slice(&[0x60, 0x80, 60, 0, 0x00, 0x80, 67, 0, 0x00, 0x80, 64, 0]);
        }
        events.extend_from_slice(&[0x00, 0xff, 0x2f, 0x00]);
        let score = parse_midi(&smf(&events)).unwrap();
        let expected: Vec<Note> = (0..3)
            .flat_map(|i| [60, 64, 67].map(|p| note(i * 0x60, 0x60, p, 100)))
            .collect();
        assert_eq!(score.tracks[0].notes, expected);
    }

    #[test]
    fn smpte_timing_at_an_impossible_frame_rate_is_an_error_not_a_panic() {
        // Found by fuzz/ (parse_midi), minimised: division 0x8072 made midly negate -128 as an i8,
        // which panics in builds with overflow checks, both bare and inside an RMID wrapper.
        let bytes = b"MThd\0\0\0\x06\0\x01\0\x01\x80\x72MTrk\0\0\0\x01\xff";
        for bytes in [bytes.to_vec(), rmid(bytes)] {
            let err = parse_midi(&bytes).unwrap_err().to_string();
            assert!(err.contains("128 frames per second"), "{err}");
        }
    }

    #[test]
    fn smpte_timing_and_rmid_files_are_read() {
        // 25 fps × 40 subframes: 1000 ticks per second, read as 1000 ticks per beat at 60 BPM.
        let mut bytes = smf(&[
            0x00, 0x90, 60, 64, 0x87, 0x68, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00,
        ]);
        bytes[12..14].copy_from_slice(&[0xe7, 40]);
        for bytes in [bytes.clone(), rmid(&bytes)] {
            let score = parse_midi(&bytes).unwrap();
            assert_eq!(score.ticks_per_beat, 1000);
            assert_eq!(score.tempos[0].micros_per_beat, 1_000_000);
            assert_eq!(score.tracks[0].notes, [note(0, 1000, 60, 64)]);
        }
        let err = parse_midi(b"RIFF\x04\0\0\0WAVE").unwrap_err().to_string();
        assert!(err.contains("RMID"), "{err}");
    }

    #[test]
    fn a_header_chunk_shorter_than_six_bytes_is_an_error() {
        let err = parse_midi(b"MThd\0\0\0\x04\0\0\0\0\x01\xe0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("need at least 6"), "{err}");
    }
}
