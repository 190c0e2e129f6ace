//! MIDI parsing on top of midly's lazy, allocation-free event iterators.

use std::collections::VecDeque;
use std::path::Path;

use midly::{MetaMessage, MidiMessage, Timing, TrackEventKind};

use crate::score::{KeySignature, Note, Score, TempoChange, TimeSignature, Track, DRUM_CHANNEL};
use crate::{fsutil, MusicError};

/// Reads and parses a MIDI file; errors name the file.
pub fn read_midi_file(path: &Path) -> Result<Score, MusicError> {
    let bytes = fsutil::read_file(path)?;
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
        let mut reader = TrackReader::new(track_index, &mut open);
        for (event_index, event) in events.enumerate() {
            let event = event
                .map_err(|e| invalid(format!("track {track_index}, event {event_index}: {e}")))?;
            reader.tick += event.delta.as_int() as u64;
            reader.handle(event.kind, &mut score, fixed_tempo.is_some());
        }
        reader.finish(&mut score);
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

/// Walks the chunk structure so that truncated and malformed files are reported with byte offsets
/// (midly's lenient mode would otherwise accept a truncated last track).
fn check_chunks(bytes: &[u8]) -> Result<(), MusicError> {
    if bytes.is_empty() {
        return Err(invalid("empty file"));
    }
    if bytes.starts_with(b"RIFF") {
        return Ok(()); // RMID wrapper: midly unwraps it and checks the inner chunks.
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

/// Open (sounding) notes per channel and pitch, matched first-in, first-out.
struct OpenNotes {
    slots: Vec<VecDeque<(u64, u8, usize)>>,
    used: Vec<usize>,
}

impl OpenNotes {
    fn new() -> Self {
        OpenNotes {
            slots: (0..16 * 128).map(|_| VecDeque::new()).collect(),
            used: Vec::new(),
        }
    }
}

/// State while reading one MIDI track.
struct TrackReader<'o> {
    track_index: usize,
    tick: u64,
    name: String,
    programs: [u8; 16],
    /// Score track index per (channel, program), created on the first note.
    outputs: Vec<((u8, u8), usize)>,
    open: &'o mut OpenNotes,
}

impl<'o> TrackReader<'o> {
    fn new(track_index: usize, open: &'o mut OpenNotes) -> Self {
        TrackReader {
            track_index,
            tick: 0,
            name: String::new(),
            programs: [0; 16],
            outputs: Vec::new(),
            open,
        }
    }

    fn handle(&mut self, kind: TrackEventKind<'_>, score: &mut Score, fixed_tempo: bool) {
        match kind {
            TrackEventKind::Midi { channel, message } => {
                let ch = channel.as_int();
                match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        let out = self.output_for(ch, score);
                        let slot = ch as usize * 128 + key.as_int() as usize;
                        if self.open.slots[slot].is_empty() {
                            self.open.used.push(slot);
                        }
                        self.open.slots[slot].push_back((self.tick, vel.as_int(), out));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        let slot = ch as usize * 128 + key.as_int() as usize;
                        if let Some((onset, velocity, out)) = self.open.slots[slot].pop_front() {
                            score.tracks[out].notes.push(Note {
                                onset,
                                duration: self.tick - onset,
                                pitch: key.as_int(),
                                velocity,
                            });
                        }
                    }
                    MidiMessage::ProgramChange { program } => {
                        self.programs[ch as usize] = program.as_int();
                    }
                    _ => {}
                }
            }
            TrackEventKind::Meta(meta) => self.handle_meta(meta, score, fixed_tempo),
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
        let _ = self.track_index;
        for slot in self.open.used.drain(..) {
            let pitch = (slot % 128) as u8;
            for (onset, velocity, out) in self.open.slots[slot].drain(..) {
                score.tracks[out].notes.push(Note {
                    onset,
                    duration: self.tick.saturating_sub(onset),
                    pitch,
                    velocity,
                });
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
