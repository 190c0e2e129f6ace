//! MIDI-like (Performance RNN) events: note-on, note-off, time-shift, velocity.

use std::collections::VecDeque;

use super::{
    bin_to_bpm, bpm_to_bin, check_length, header, push_split, velocity_to_bin, Budget, DecodeBase,
    Shared, Token, TokenizerConfig,
};
use crate::score::{Score, TempoChange, Track};
use crate::MusicError;

/// What happens at a tick; the order breaks ties: note-offs, then tempo, then note-ons.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Off {
        track: u8,
        pitch: u8,
    },
    Tempo {
        bin: u8,
    },
    On {
        track: u8,
        pitch: u8,
        velocity_bin: u8,
    },
}

pub(super) fn encode(
    cfg: &TokenizerConfig,
    q: &Score,
    tracks: &[&Track],
) -> Result<Vec<Token>, MusicError> {
    check_length(q)?;
    let mut events: Vec<(u64, Event)> = Vec::new();
    for (i, t) in tracks.iter().enumerate() {
        for n in &t.notes {
            let (track, pitch) = (i as u8, n.pitch);
            let velocity_bin = velocity_to_bin(n.velocity, cfg.velocity_bins);
            events.push((
                n.onset,
                Event::On {
                    track,
                    pitch,
                    velocity_bin,
                },
            ));
            events.push((n.offset(), Event::Off { track, pitch }));
        }
    }
    let notes = events.len() / 2;
    let last_onset = events.iter().map(|e| e.0).max().unwrap_or(0);
    for t in q.tempos.iter().filter(|t| t.tick <= last_onset) {
        let bin = bpm_to_bin(t.bpm(), cfg.tempo_bins, cfg.min_bpm, cfg.max_bpm);
        events.push((t.tick, Event::Tempo { bin }));
    }
    let budget = Budget::new(notes, events.len() - 2 * notes);
    events.sort_unstable();
    let mut out = header(tracks);
    let (mut now, mut track, mut velocity) = (0u64, None, None);
    for (tick, event) in events {
        push_split(
            &mut out,
            &budget,
            tick - now,
            cfg.max_duration_steps(),
            Token::TimeShift,
        )?;
        now = tick;
        let mut select = |t: u8, out: &mut Vec<Token>| {
            if track != Some(t) {
                out.push(Token::Track(t));
                track = Some(t);
            }
        };
        match event {
            Event::Off { track: t, pitch } => {
                select(t, &mut out);
                out.push(Token::NoteOff(pitch));
            }
            Event::Tempo { bin } => out.push(Token::Tempo(bin)),
            Event::On {
                track: t,
                pitch,
                velocity_bin,
            } => {
                select(t, &mut out);
                if velocity != Some(velocity_bin) {
                    out.push(Token::Velocity(velocity_bin));
                    velocity = Some(velocity_bin);
                }
                out.push(Token::NoteOn(pitch));
            }
        }
    }
    out.push(Token::Eos);
    Ok(out)
}

pub(super) fn decode(cfg: &TokenizerConfig, tokens: &[Token]) -> Result<Score, MusicError> {
    let mut base = DecodeBase::new(cfg);
    let mut now = 0u64;
    let mut velocity = velocity_to_bin(64, cfg.velocity_bins);
    // Sounding notes per (track, pitch): (onset, velocity bin).
    let mut open: std::collections::HashMap<(u8, u8), VecDeque<(u64, u8)>> = Default::default();
    let mut end = tokens.len();
    for (index, &token) in tokens.iter().enumerate() {
        let body = match base.step(index, token)? {
            Shared::Done => continue,
            Shared::End => {
                end = index;
                break;
            }
            Shared::Body(t) => t,
        };
        let track = base.current_track;
        match body {
            Token::TimeShift(s) => now += s as u64,
            Token::Velocity(v) => velocity = v,
            Token::Tempo(t) => {
                let bpm = bin_to_bpm(t, cfg.tempo_bins, cfg.min_bpm, cfg.max_bpm);
                base.score.tempos.retain(|x| x.tick != now);
                base.score.tempos.push(TempoChange::from_bpm(now, bpm));
            }
            Token::NoteOn(p) => {
                base.ensure_track(track);
                let queue = open.entry((track, p)).or_default();
                // A new onset cuts a sounding note of the same pitch, as a synthesiser would.
                if let Some((onset, v)) = queue.pop_front() {
                    if now > onset {
                        base.push_note(cfg, track, onset, now - onset, p, v);
                    }
                }
                queue.push_back((now, velocity));
            }
            Token::NoteOff(p) => {
                let Some((onset, v)) = open.get_mut(&(track, p)).and_then(VecDeque::pop_front)
                else {
                    return Err(DecodeBase::error(
                        index,
                        format!("NoteOff_{p} on track {track} with no sounding note"),
                    ));
                };
                base.push_note(cfg, track, onset, (now - onset).max(1), p, v);
            }
            other => {
                return Err(DecodeBase::error(
                    index,
                    format!("{other} is not a MIDI-like token"),
                ))
            }
        }
    }
    // Notes never switched off end where the sequence ends (at least one step long).
    for ((track, pitch), queue) in open {
        for (onset, v) in queue {
            base.push_note(
                cfg,
                track,
                onset,
                now.saturating_sub(onset).max(1),
                pitch,
                v,
            );
        }
    }
    base.finish(end)
}
