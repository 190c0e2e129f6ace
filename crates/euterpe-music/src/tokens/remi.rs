//! REMI: bars, positions and note attributes.

use super::{
    bin_to_bpm, bpm_to_bin, check_length, header, push_split, velocity_to_bin, Budget, DecodeBase,
    Shared, Token, TokenizerConfig,
};
use crate::score::{Note, Score, TempoChange, TimeSignature, Track};
use crate::MusicError;

pub(super) fn encode(
    cfg: &TokenizerConfig,
    q: &Score,
    tracks: &[&Track],
) -> Result<Vec<Token>, MusicError> {
    check_length(q)?;
    let mut out = header(tracks);
    let mut notes: Vec<(u8, &Note)> = tracks
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.notes.iter().map(move |n| (i as u8, n)))
        .collect();
    notes.sort_unstable_by_key(|&(t, n)| (n.onset, t, n.pitch, n.duration, n.velocity));
    let last_onset = notes.last().map_or(0, |(_, n)| n.onset);
    let tempos: Vec<&TempoChange> = q.tempos.iter().filter(|t| t.tick <= last_onset).collect();
    let budget = Budget::new(notes.len(), tempos.len());
    let ppb = q.ticks_per_beat;
    let (mut ni, mut ti, mut tsi) = (0usize, 0usize, 0usize);
    let mut ts = (4u8, 4u8);
    let mut bar_start = 0u64;
    let mut track = None;
    let mut first = true;
    while ni < notes.len() || ti < tempos.len() {
        // A time signature takes effect at the first bar line at or after its tick.
        let mut changed = first;
        while let Some(next) = q.time_signatures.get(tsi).filter(|t| t.tick <= bar_start) {
            changed |= (next.numerator, next.denominator) != ts;
            ts = (next.numerator, next.denominator);
            tsi += 1;
        }
        let bar_len = bar_ticks(ts, ppb);
        if bar_len > cfg.max_bar_steps() as u64 {
            return Err(MusicError::Unencodable(format!(
                "bar at step {bar_start} in {}/{} is longer than max_bar_beats ({})",
                ts.0, ts.1, cfg.max_bar_beats
            )));
        }
        out.push(Token::Bar);
        if changed {
            out.push(Token::TimeSig(ts.0, ts.1));
        }
        // Bars, even empty ones, are the tokens that grow with time rather than with content.
        budget.check(out.len() as u64)?;
        let bar_end = bar_start + bar_len;
        loop {
            let note_tick = notes.get(ni).map(|(_, n)| n.onset).filter(|&t| t < bar_end);
            let tempo_tick = tempos.get(ti).map(|t| t.tick).filter(|&t| t < bar_end);
            let Some(tick) = note_tick.into_iter().chain(tempo_tick).min() else {
                break;
            };
            out.push(Token::Position((tick - bar_start) as u32));
            if tempo_tick == Some(tick) {
                let bpm = tempos[ti].bpm();
                out.push(Token::Tempo(bpm_to_bin(
                    bpm,
                    cfg.tempo_bins,
                    cfg.min_bpm,
                    cfg.max_bpm,
                )));
                ti += 1;
            }
            while let Some(&(t, n)) = notes.get(ni).filter(|(_, n)| n.onset == tick) {
                if track != Some(t) {
                    out.push(Token::Track(t));
                    track = Some(t);
                }
                out.push(Token::Pitch(n.pitch));
                out.push(Token::Velocity(velocity_to_bin(
                    n.velocity,
                    cfg.velocity_bins,
                )));
                push_split(
                    &mut out,
                    &budget,
                    n.duration,
                    cfg.max_duration_steps(),
                    Token::Duration,
                )?;
                ni += 1;
            }
        }
        bar_start = bar_end;
        first = false;
    }
    out.push(Token::Eos);
    Ok(out)
}

fn bar_ticks(ts: (u8, u8), ppb: u32) -> u64 {
    TimeSignature {
        tick: 0,
        numerator: ts.0,
        denominator: ts.1,
    }
    .bar_ticks(ppb)
}

/// Progress through one note's attribute tokens.
#[derive(Clone, Copy)]
enum NoteState {
    None,
    Pitch(u8),
    Velocity(u8, u8),
    Duration(u8, u8, u64),
}

pub(super) fn decode(cfg: &TokenizerConfig, tokens: &[Token]) -> Result<Score, MusicError> {
    let mut base = DecodeBase::new(cfg);
    let ppb = cfg.quantize.positions_per_beat;
    let mut bar: Option<(u64, u64)> = None; // (start, length)
    let mut ts = (4u8, 4u8);
    let mut ts_allowed = false;
    let mut position: Option<u64> = None; // absolute tick of the current position
    let mut note = NoteState::None;
    let mut end = tokens.len();
    for (index, &token) in tokens.iter().enumerate() {
        // A note ends at the first token that is not one of its durations.
        if let NoteState::Duration(pitch, vel, duration) = note {
            if !matches!(token, Token::Duration(_)) {
                let onset = position.expect("a note only starts at a position");
                base.push_note(cfg, base.current_track, onset, duration, pitch, vel);
                note = NoteState::None;
            }
        } else if !matches!(note, NoteState::None)
            && !matches!(token, Token::Velocity(_) | Token::Duration(_))
        {
            return Err(DecodeBase::error(
                index,
                format!("{token} inside a note (expected its Velocity and Duration)"),
            ));
        }
        let body = match base.step(index, token)? {
            Shared::Done => continue,
            Shared::End => {
                end = index;
                break;
            }
            Shared::Body(t) => t,
        };
        let after_bar = std::mem::replace(&mut ts_allowed, false);
        match body {
            Token::Bar => {
                let start = bar.map_or(0, |(s, l)| s + l);
                bar = Some((start, bar_ticks(ts, ppb)));
                position = None;
                ts_allowed = true;
            }
            Token::TimeSig(n, d) if after_bar => {
                ts = (n, d);
                if let Some((start, _)) = bar {
                    bar = Some((start, bar_ticks(ts, ppb)));
                    base.score.time_signatures.push(TimeSignature {
                        tick: start,
                        numerator: n,
                        denominator: d,
                    });
                }
            }
            Token::TimeSig(..) => return Err(DecodeBase::error(index, "TimeSig must follow Bar")),
            Token::Position(p) => {
                let Some((start, len)) = bar else {
                    return Err(DecodeBase::error(index, "Position before the first Bar"));
                };
                let tick = start + p as u64;
                if p as u64 >= len {
                    return Err(DecodeBase::error(
                        index,
                        format!("Position_{p} lies beyond a bar of {len} steps"),
                    ));
                }
                if position.is_some_and(|cur| tick < cur) {
                    return Err(DecodeBase::error(
                        index,
                        format!("Position_{p} goes back in time"),
                    ));
                }
                position = Some(tick);
            }
            Token::Tempo(t) => {
                let Some(tick) = position else {
                    return Err(DecodeBase::error(index, "Tempo before a Position"));
                };
                let bpm = bin_to_bpm(t, cfg.tempo_bins, cfg.min_bpm, cfg.max_bpm);
                base.score.tempos.retain(|x| x.tick != tick);
                base.score.tempos.push(TempoChange::from_bpm(tick, bpm));
            }
            Token::Pitch(p) => {
                if position.is_none() {
                    return Err(DecodeBase::error(index, "Pitch before a Position"));
                }
                note = NoteState::Pitch(p);
            }
            Token::Velocity(v) => match note {
                NoteState::Pitch(p) => note = NoteState::Velocity(p, v),
                _ => return Err(DecodeBase::error(index, "Velocity must follow Pitch")),
            },
            Token::Duration(d) => match note {
                NoteState::Velocity(p, v) => note = NoteState::Duration(p, v, d as u64),
                NoteState::Duration(p, v, total) => {
                    note = NoteState::Duration(p, v, total + d as u64)
                }
                _ => return Err(DecodeBase::error(index, "Duration must follow Velocity")),
            },
            other => {
                return Err(DecodeBase::error(
                    index,
                    format!("{other} is not a REMI token"),
                ))
            }
        }
    }
    match note {
        NoteState::Duration(pitch, vel, duration) => {
            let onset = position.expect("a note only starts at a position");
            base.push_note(cfg, base.current_track, onset, duration, pitch, vel);
        }
        NoteState::None => {}
        _ => return Err(DecodeBase::error(end, "sequence ends inside a note")),
    }
    base.finish(end)
}
