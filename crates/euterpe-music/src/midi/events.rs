//! The events of one MIDI track chunk, with channel messages decoded inline.
//!
//! Channel messages (note-on, note-off, controllers: nearly every event of a piece) are decoded here,
//! in the parser's own loop; meta events and system-exclusive data go to midly. The reason is speed:
//! midly's event reader is out of line and returns its event enum through memory, and reading that
//! result back was a third of the whole parse (`perf`, the four shared corpora); decoding the
//! three-byte messages in place makes parsing plus note extraction about 1.6× faster.
//!
//! The events and where a track stops are exactly midly's (non-strict mode, as this crate builds it):
//! a malformed event ends its track without an error, as it does in midly, and the bytes are checked
//! against midly's own iterator on every shared MIDI file and on thousands of mutated ones (tests).

use midly::{EventIter, TrackEventKind};

/// What a track's events are handed to, one call per event with its delta time in ticks.
pub(crate) trait EventVisitor<'a> {
    /// A channel voice message: the status byte (kind in the high nibble, channel in the low one)
    /// and its data bytes; the second is 0 for the one-byte messages (program change, channel
    /// pressure).
    fn channel(&mut self, delta: u32, status: u8, data: [u8; 2]);
    /// A meta, system-exclusive or escape event, as midly reads it.
    fn other(&mut self, delta: u32, kind: TrackEventKind<'a>);
}

/// Hands every event of the raw bytes of a track chunk (after its 8-byte chunk header) to `visitor`,
/// up to the chunk's end or its first malformed event; see the module docs.
///
/// A visitor with scalar arguments rather than an iterator or a closure over an event enum: the
/// enum went through memory between the decoder and the parser's match, and reading it back
/// stalled on every event.
#[inline]
pub(crate) fn visit_events<'a>(mut raw: &'a [u8], visitor: &mut impl EventVisitor<'a>) {
    let mut running_status: Option<u8> = None;
    while !raw.is_empty() {
        let (delta, rest) = read_delta(raw);
        let Some(&first) = rest.first() else {
            return; // no status byte after the delta time
        };
        let (status, data) = if first < 0x80 {
            match running_status {
                Some(status) => (status, rest),
                None => return, // a data byte with no running status
            }
        } else if first < 0xf0 {
            (first, &rest[1..])
        } else {
            match read_with_midly(raw, running_status) {
                Some((delta, kind, rest, status)) => {
                    visitor.other(delta, kind);
                    (raw, running_status) = (rest, status);
                    continue;
                }
                None => return,
            }
        };
        running_status = Some(status);
        let len = data_len(status);
        let Some(bytes) = data.get(..len) else {
            return; // a truncated message
        };
        if bytes.iter().any(|&b| b >= 0x80) {
            return; // a data byte with its top bit set
        }
        raw = &data[len..];
        let data = [bytes[0], if len == 2 { bytes[1] } else { 0 }];
        visitor.channel(delta, status, data);
    }
}

/// The meta, system-exclusive or escape event starting at `start` (its delta time included), read
/// by midly: its delta time, the event, the bytes after it and the running status after it; `None`
/// where midly stops the track.
#[cold]
fn read_with_midly(
    start: &[u8],
    running_status: Option<u8>,
) -> Option<(u32, TrackEventKind<'_>, &[u8], Option<u8>)> {
    let mut events = EventIter::new(start);
    *events.running_status_mut() = running_status;
    match events.next() {
        Some(Ok(event)) => Some((
            event.delta.as_int(),
            event.kind,
            events.unread(),
            events.running_status(),
        )),
        _ => None,
    }
}

/// Number of data bytes after a channel status byte (midly's table).
fn data_len(status: u8) -> usize {
    match status >> 4 {
        0xC | 0xD => 1,
        _ => 2,
    }
}

/// A variable-length delta time as midly reads it: at most four bytes (a fourth byte with its top
/// bit set still ends it), and the end of the track ends it too. Returns the value and the rest.
#[inline]
fn read_delta(raw: &[u8]) -> (u32, &[u8]) {
    let mut value = 0u32;
    for (read, &byte) in raw.iter().take(4).enumerate() {
        value = (value << 7) | u32::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (value, &raw[read + 1..]);
        }
    }
    (value, &raw[raw.len().min(4)..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use midly::{MidiMessage, TrackEventKind};

    /// One event as the tests compare them.
    #[derive(Debug, PartialEq)]
    enum Event<'a> {
        Channel { status: u8, data: [u8; 2] },
        Other(TrackEventKind<'a>),
    }

    /// Collects what [`visit_events`] hands over.
    struct Collect<'a>(Vec<(u32, Event<'a>)>);

    impl<'a> EventVisitor<'a> for Collect<'a> {
        fn channel(&mut self, delta: u32, status: u8, data: [u8; 2]) {
            self.0.push((delta, Event::Channel { status, data }));
        }
        fn other(&mut self, delta: u32, kind: TrackEventKind<'a>) {
            self.0.push((delta, Event::Other(kind)));
        }
    }

    fn our_events(raw: &[u8]) -> Vec<(u32, Event<'_>)> {
        let mut events = Collect(Vec::new());
        visit_events(raw, &mut events);
        events.0
    }

    /// midly's reading of the same bytes, in this module's terms.
    fn midly_events(raw: &[u8]) -> Vec<(u32, Event<'_>)> {
        EventIter::new(raw)
            .map(|event| {
                let event = event.expect("non-strict midly stops instead of failing");
                let kind = match event.kind {
                    TrackEventKind::Midi { channel, message } => {
                        let (nibble, data) = message_bytes(message);
                        Event::Channel {
                            status: nibble << 4 | channel.as_int(),
                            data,
                        }
                    }
                    other => Event::Other(other),
                };
                (event.delta.as_int(), kind)
            })
            .collect()
    }

    /// The status nibble and data bytes of a message midly decoded.
    fn message_bytes(message: MidiMessage) -> (u8, [u8; 2]) {
        match message {
            MidiMessage::NoteOff { key, vel } => (0x8, [key.as_int(), vel.as_int()]),
            MidiMessage::NoteOn { key, vel } => (0x9, [key.as_int(), vel.as_int()]),
            MidiMessage::Aftertouch { key, vel } => (0xa, [key.as_int(), vel.as_int()]),
            MidiMessage::Controller { controller, value } => {
                (0xb, [controller.as_int(), value.as_int()])
            }
            MidiMessage::ProgramChange { program } => (0xc, [program.as_int(), 0]),
            MidiMessage::ChannelAftertouch { vel } => (0xd, [vel.as_int(), 0]),
            MidiMessage::PitchBend { bend } => {
                let bend = bend.0.as_int();
                (0xe, [(bend & 0x7f) as u8, (bend >> 7) as u8])
            }
        }
    }

    fn assert_same_as_midly(raw: &[u8], what: &str) {
        assert_eq!(our_events(raw), midly_events(raw), "{what}");
    }

    /// The raw bytes of every track chunk of a file.
    fn track_chunks(bytes: &[u8]) -> Vec<&[u8]> {
        let (_, tracks) = midly::parse(bytes).expect("a shared MIDI file parses");
        tracks
            .map(|track| track.expect("track chunk").unread())
            .collect()
    }

    /// xorshift64: a reproducible stream of mutations without a dependency.
    fn next_random(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn hand_made_edge_cases_read_as_midly_reads_them() {
        #[rustfmt::skip]
        let cases: &[&[u8]] = &[
            &[0x00, 0x90, 60, 64, 0x10, 61, 0],             // running status
            &[0x00, 60, 64],                                   // data byte, no running status
            &[0x00, 0x90, 60],                                 // truncated message
            &[0x00, 0x90, 60, 0x80, 0x00, 0x80, 60, 0],        // data byte with its top bit set
            &[0x81, 0x80, 0x80, 0x80, 0x90, 60, 64],           // four-byte delta, fourth byte continued
            &[0x81, 0x80],                                     // delta cut by the end of the track
            &[0x00, 0xc3, 5, 0x00, 0xd3, 9, 0x00, 7],          // one-byte messages, running status
            &[0x00, 0xff, 0x51, 0x03, 7, 0xa1, 0x20, 0x00, 60, 64], // meta cancels running status
            &[0x00, 0x90, 60, 64, 0x00, 0xf0, 0x02, 1, 0xf7, 0x00, 0x80, 60, 0],
            &[0x00, 0xf3, 1],                                  // system common: ends the track
            &[0x00, 0xf8],                                     // system realtime: ends the track
            &[0x00, 0xff, 0x2f],                               // truncated meta
        ];
        for (i, case) in cases.iter().enumerate() {
            assert_same_as_midly(case, &format!("case {i}"));
        }
    }

    #[test]
    fn every_shared_midi_file_and_mutations_of_them_read_as_midly_reads_them() {
        let data = euterpe_testkit::shared_data();
        let mut paths = Vec::new();
        for dir in ["emopia/midi", "vgmidi/midi", "pop909", "essen/midi"] {
            collect_midi_files(&data.join(dir), &mut paths);
        }
        assert!(
            paths.len() > 1000,
            "shared MIDI corpora not found under {data:?}"
        );
        paths.sort();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (mut events, mut mutants) = (0usize, 0usize);
        for (index, path) in paths.iter().enumerate() {
            let bytes = std::fs::read(path).expect("readable shared file");
            for raw in track_chunks(&bytes) {
                events += our_events(raw).len();
                assert_same_as_midly(raw, &path.display().to_string());
                if !index.is_multiple_of(8) || raw.is_empty() {
                    continue;
                }
                // Mutants: bytes overwritten with statuses, data bytes and random values.
                for _ in 0..4 {
                    let mut mutant = raw.to_vec();
                    for _ in 0..1 + next_random(&mut state) % 8 {
                        let at = (next_random(&mut state) % mutant.len() as u64) as usize;
                        const SPECIAL: [u8; 10] =
                            [0x80, 0x90, 0xc0, 0xff, 0xf0, 0xf7, 0xf3, 0x7f, 0x2f, 0x00];
                        let pick = next_random(&mut state);
                        mutant[at] = if pick.is_multiple_of(2) {
                            SPECIAL[(pick >> 8) as usize % SPECIAL.len()]
                        } else {
                            (pick >> 8) as u8
                        };
                    }
                    let cut = (next_random(&mut state) % (mutant.len() as u64 + 1)) as usize;
                    assert_same_as_midly(&mutant, &format!("mutant of {}", path.display()));
                    assert_same_as_midly(
                        &mutant[..cut],
                        &format!("cut mutant of {}", path.display()),
                    );
                    mutants += 1;
                }
            }
        }
        assert!(events > 2_000_000, "{events} events");
        assert!(mutants > 1000, "{mutants} mutants");
    }

    fn collect_midi_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_midi_files(&path, out);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
            {
                out.push(path);
            }
        }
    }
}
