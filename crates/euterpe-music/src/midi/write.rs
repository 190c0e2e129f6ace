//! Writing scores as format-1 Standard MIDI Files.

use std::path::Path;

use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use crate::score::{Score, DRUM_CHANNEL};
use crate::MusicError;
use euterpe_base::write_atomically;

/// Encodes a score as the bytes of a format-1 MIDI file: a conductor track (tempo, time and key
/// signatures) followed by one track per score track.
pub fn encode_midi(score: &Score) -> Result<Vec<u8>, MusicError> {
    let tpb = u16::try_from(score.ticks_per_beat)
        .ok()
        .filter(|&t| t > 0 && t <= 0x7fff)
        .ok_or_else(|| {
            MusicError::Unencodable(format!(
                "resolution {} ticks per beat does not fit a MIDI header (1–32767)",
                score.ticks_per_beat
            ))
        })?;
    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(tpb)),
    ));
    smf.tracks.push(conductor_track(score)?);
    let mut melodic = 0usize;
    for track in &score.tracks {
        let channel = if track.is_drum {
            DRUM_CHANNEL
        } else {
            // Cycle over the 15 melodic channels, skipping the drum channel.
            let c = (melodic % 15) as u8;
            melodic += 1;
            if c >= DRUM_CHANNEL {
                c + 1
            } else {
                c
            }
        };
        smf.tracks.push(note_track(track, channel)?);
    }
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .map_err(|e| MusicError::Unencodable(format!("MIDI writer failed: {e}")))?;
    Ok(bytes)
}

/// Writes a score to `path` atomically (temporary file, then rename).
pub fn write_midi_file(score: &Score, path: &Path) -> Result<(), MusicError> {
    let bytes = encode_midi(score)?;
    Ok(write_atomically(path, |w| w.write_all(&bytes))?)
}

/// Events at absolute ticks; `order` breaks ties so that note-offs precede note-ons.
struct Timed<'a> {
    tick: u64,
    order: u8,
    kind: TrackEventKind<'a>,
}

fn to_delta_events(mut events: Vec<Timed<'_>>) -> Result<Vec<TrackEvent<'_>>, MusicError> {
    events.sort_by_key(|e| (e.tick, e.order));
    let mut out = Vec::with_capacity(events.len() + 1);
    let mut last = 0u64;
    for e in events {
        let delta = e.tick - last;
        let delta = u32::try_from(delta)
            .ok()
            .filter(|&d| d <= 0x0fff_ffff)
            .ok_or_else(|| {
                MusicError::Unencodable(format!("gap of {delta} ticks exceeds MIDI's limit"))
            })?;
        out.push(TrackEvent {
            delta: u28::new(delta),
            kind: e.kind,
        });
        last = e.tick;
    }
    out.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    Ok(out)
}

fn conductor_track(score: &Score) -> Result<Vec<TrackEvent<'_>>, MusicError> {
    let mut events = Vec::new();
    for t in &score.tempos {
        events.push(Timed {
            tick: t.tick,
            order: 0,
            kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(
                t.micros_per_beat.clamp(1, 0xff_ffff),
            ))),
        });
    }
    for ts in &score.time_signatures {
        if !ts.denominator.is_power_of_two() {
            return Err(MusicError::Unencodable(format!(
                "time signature {}/{} at tick {}: MIDI needs a power-of-two denominator",
                ts.numerator, ts.denominator, ts.tick
            )));
        }
        events.push(Timed {
            tick: ts.tick,
            order: 0,
            kind: TrackEventKind::Meta(MetaMessage::TimeSignature(
                ts.numerator,
                ts.denominator.trailing_zeros() as u8,
                24,
                8,
            )),
        });
    }
    for ks in &score.key_signatures {
        events.push(Timed {
            tick: ks.tick,
            order: 0,
            kind: TrackEventKind::Meta(MetaMessage::KeySignature(ks.sharps, ks.minor)),
        });
    }
    to_delta_events(events)
}

fn note_track(track: &crate::Track, channel: u8) -> Result<Vec<TrackEvent<'_>>, MusicError> {
    let ch = u4::new(channel);
    let mut events = Vec::with_capacity(track.notes.len() * 2 + 2);
    if !track.name.is_empty() {
        events.push(Timed {
            tick: 0,
            order: 0,
            kind: TrackEventKind::Meta(MetaMessage::TrackName(track.name.as_bytes())),
        });
    }
    if !track.is_drum {
        events.push(Timed {
            tick: 0,
            order: 0,
            kind: TrackEventKind::Midi {
                channel: ch,
                message: MidiMessage::ProgramChange {
                    program: u7::new(track.program & 0x7f),
                },
            },
        });
    }
    for note in &track.notes {
        let key = u7::new(note.pitch & 0x7f);
        events.push(Timed {
            tick: note.onset,
            order: 2,
            kind: TrackEventKind::Midi {
                channel: ch,
                message: MidiMessage::NoteOn {
                    key,
                    vel: u7::new(note.velocity.clamp(1, 127)),
                },
            },
        });
        // Offs sort before ons at the same tick, except the off of a zero-length note, which must
        // follow its own on.
        events.push(Timed {
            tick: note.offset(),
            order: if note.duration == 0 { 3 } else { 1 },
            kind: TrackEventKind::Midi {
                channel: ch,
                message: MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                },
            },
        });
    }
    to_delta_events(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::parse_midi;
    use crate::score::{Note, TempoChange, TimeSignature, Track};

    fn sample() -> Score {
        let mut score = Score::new(480);
        score.tempos.push(TempoChange::from_bpm(0, 90.0));
        score.time_signatures.push(TimeSignature {
            tick: 0,
            numerator: 3,
            denominator: 4,
        });
        let mut piano = Track::new("piano", 0);
        // Two overlapping notes of one pitch, and a zero-length note.
        piano.notes = vec![
            Note {
                onset: 0,
                duration: 960,
                pitch: 60,
                velocity: 80,
            },
            Note {
                onset: 480,
                duration: 960,
                pitch: 60,
                velocity: 70,
            },
            Note {
                onset: 480,
                duration: 0,
                pitch: 64,
                velocity: 90,
            },
        ];
        let mut drums = Track::new("drums", 0);
        drums.is_drum = true;
        drums.notes = vec![Note {
            onset: 0,
            duration: 120,
            pitch: 36,
            velocity: 100,
        }];
        score.tracks = vec![piano, drums];
        score
    }

    #[test]
    fn write_then_read_gives_the_same_score() {
        let score = sample();
        let back = parse_midi(&encode_midi(&score).unwrap()).unwrap();
        assert_eq!(back.ticks_per_beat, 480);
        assert_eq!(back.tempos, score.tempos);
        assert_eq!(back.time_signatures, score.time_signatures);
        assert_eq!(back.tracks.len(), 2);
        assert_eq!(back.tracks[0].notes, score.tracks[0].notes);
        assert_eq!(back.tracks[0].name, "piano");
        assert!(back.tracks[1].is_drum);
        assert_eq!(back.tracks[1].notes, score.tracks[1].notes);
    }

    #[test]
    fn oversized_resolution_is_an_error_not_a_panic() {
        let mut score = sample();
        score.ticks_per_beat = 100_000;
        assert!(matches!(
            encode_midi(&score),
            Err(MusicError::Unencodable(_))
        ));
    }
}
