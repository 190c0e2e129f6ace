//! Rendering in lanes: a score's notes split among several synthesisers that run on their own
//! threads, their outputs summed in a fixed order.
//!
//! Why this is sound: a synthesiser renders its voices one after another on one thread, and the
//! built-in synthesiser's voices do not interact (no shared effects: each note is a voice with its
//! own envelope, panned by its track), so synthesisers that each play some of the notes add up to
//! one that plays them all, to float rounding. The partition depends only on the score, never on
//! the number of threads, so a piece gives the same samples on every machine; the threads only
//! decide where lanes run. Each lane keeps at most 256 voices, as one synthesiser did.
//!
//! A SoundFont renders in one lane: rustysynth's notes interact within a MIDI channel (a note-off
//! ends every voice of its key, exclusive classes cut each other), and every synthesiser runs its
//! own reverb and chorus, about half of its time on a dense piece. Split by channel into two lanes
//! on two threads, two three-track POP909 songs rendered 12–17 % faster in wall time for about
//! 45 % more CPU time (2026-12-07, AMD EPYC, 2 cores), so it is not done. The built-in
//! synthesiser: 1.2–1.3× faster in wall time on the same machine with two threads.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::events::{Event, EventKind};
use crate::renderer::Engine;
use crate::RenderError;

/// Most lanes for the built-in synthesiser.
pub(crate) const MAX_BUILTIN_LANES: usize = 4;

/// Splits `events` into lanes: events with the same `group` stay together, groups go largest first
/// (by note count; ties by group) to the lane with the fewest notes so far. Returns 1 to
/// `max_lanes` lists (no more than there are groups with notes), each sorted by frame as `events`
/// were.
pub(crate) fn partition(
    events: Vec<Event>,
    group: impl Fn(&Event) -> usize,
    max_lanes: usize,
) -> Vec<Vec<Event>> {
    let groups = events.iter().map(&group).max().map_or(0, |g| g + 1);
    let mut notes = vec![0u64; groups];
    for e in &events {
        if let EventKind::On { .. } = e.kind {
            notes[group(e)] += 1;
        }
    }
    let mut order: Vec<usize> = (0..groups).filter(|&g| notes[g] > 0).collect();
    let lanes = order.len().clamp(1, max_lanes.max(1));
    order.sort_by_key(|&g| (std::cmp::Reverse(notes[g]), g));
    let mut load = vec![0u64; lanes];
    let mut lane_of_group = vec![0usize; groups];
    for g in order {
        let lane = (0..lanes).min_by_key(|&l| (load[l], l)).unwrap_or(0);
        load[lane] += notes[g];
        lane_of_group[g] = lane;
    }
    let mut split = vec![Vec::new(); lanes];
    for e in events {
        split[lane_of_group[group(&e)]].push(e);
    }
    split
}

/// One synthesiser and the events of its tracks.
pub(crate) struct Lane {
    engine: Box<dyn Engine>,
    events: Vec<Event>,
    next_event: usize,
    frame: u64,
}

impl Lane {
    /// A lane that plays `events` (sorted by frame) on `engine`.
    pub fn new(engine: Box<dyn Engine>, events: Vec<Event>) -> Self {
        Lane {
            engine,
            events,
            next_event: 0,
            frame: 0,
        }
    }

    /// Renders the next `left.len()` frames, overwriting `left` and `right` (the same length):
    /// events are applied at their frames, so the engine renders in pieces between them.
    fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let mut done = 0;
        while done < n {
            while let Some(e) = self.events.get(self.next_event) {
                if e.frame > self.frame {
                    break;
                }
                self.engine.apply(e);
                self.next_event += 1;
            }
            let until_event = self
                .events
                .get(self.next_event)
                .map_or(u64::MAX, |e| e.frame - self.frame);
            let m = (n - done).min(until_event.min(usize::MAX as u64) as usize);
            self.engine
                .render(&mut left[done..done + m], &mut right[done..done + m]);
            done += m;
            self.frame += m as u64;
        }
    }
}

/// Left and right samples of one lane.
type Stereo = (Vec<f32>, Vec<f32>);

/// Frames a worker renders at a time.
const CHUNK_FRAMES: usize = 4096;

/// Chunks a worker may render ahead of the caller.
const CHUNKS_AHEAD: usize = 2;

/// What a worker sends: the next frames of each of its lanes, and the first failure among them.
struct Chunk {
    lanes: Vec<Stereo>,
    failure: Option<RenderError>,
}

/// A thread that owns some lanes and renders them ahead of the caller, chunk by chunk, to the end
/// of the piece, so that it keeps working while the caller writes what it has.
struct Worker {
    chunks: Option<mpsc::Receiver<Chunk>>,
    handle: Option<JoinHandle<()>>,
    lanes: usize,
    /// The chunk being consumed, and how many of its frames are used.
    current: Option<(Chunk, usize)>,
    /// What the failure says once the thread's samples stop coming.
    lost: &'static str,
}

impl Worker {
    fn spawn(mut lanes: Vec<Lane>, total_frames: u64) -> Self {
        let count = lanes.len();
        let (tx, chunks) = mpsc::sync_channel::<Chunk>(CHUNKS_AHEAD);
        let handle = std::thread::Builder::new()
            .name("euterpe-render-lane".into())
            .spawn(move || {
                let mut left = total_frames;
                while left > 0 {
                    let n = left.min(CHUNK_FRAMES as u64) as usize;
                    let rendered = lanes
                        .iter_mut()
                        .map(|lane| {
                            let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
                            lane.render(&mut l, &mut r);
                            (l, r)
                        })
                        .collect();
                    let failure = lanes.iter().find_map(|l| l.engine.failure());
                    if tx
                        .send(Chunk {
                            lanes: rendered,
                            failure,
                        })
                        .is_err()
                    {
                        break;
                    }
                    left -= n as u64;
                }
            })
            .ok();
        let lost = match handle {
            Some(_) => "a rendering thread stopped before the end of the piece",
            None => "the system could not start a rendering thread",
        };
        Worker {
            chunks: handle.as_ref().map(|_| chunks),
            handle,
            lanes: count,
            current: None,
            lost,
        }
    }

    /// Adds the worker's next `left.len()` frames, lane by lane, into `left` and `right`.
    /// Returns a failure when the thread is gone before the end (its frames are then silent).
    fn add_next(&mut self, left: &mut [f32], right: &mut [f32]) -> Option<RenderError> {
        let mut failure = None;
        let mut done = 0;
        while done < left.len() {
            if self
                .current
                .as_ref()
                .is_none_or(|(c, used)| c.lanes.first().is_none_or(|(l, _)| *used >= l.len()))
            {
                match self.chunks.as_ref().map(mpsc::Receiver::recv) {
                    Some(Ok(chunk)) => {
                        if let Some(e) = &chunk.failure {
                            failure.get_or_insert(copy_of(e));
                        }
                        self.current = Some((chunk, 0));
                    }
                    _ => {
                        self.chunks = None;
                        self.current = None;
                        return Some(RenderError::Synthesis(self.lost.into()));
                    }
                }
            }
            let Some((chunk, used)) = self.current.as_mut() else {
                break;
            };
            let available = chunk.lanes.first().map_or(0, |(l, _)| l.len() - *used);
            let n = available.min(left.len() - done);
            for (l, r) in &chunk.lanes {
                add(&mut left[done..done + n], &l[*used..*used + n]);
                add(&mut right[done..done + n], &r[*used..*used + n]);
            }
            *used += n;
            done += n;
        }
        failure
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the receiving end makes the thread's next send fail, which ends it.
        self.chunks = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// `dst += src`, element by element.
fn add(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// All lanes of a renderer: the first ones on the calling thread, the rest on workers, lanes
/// summed in that order.
pub(crate) struct Lanes {
    local: Vec<Lane>,
    local_buffers: Vec<Stereo>,
    workers: Vec<Worker>,
    /// The first failure a worker reported (or the loss of a worker).
    worker_failure: Option<RenderError>,
}

impl Lanes {
    /// Runs `lanes`, which play `total_frames` frames, on up to `threads` threads (the calling one
    /// included), contiguous runs of lanes per thread.
    pub fn new(lanes: Vec<Lane>, threads: usize, total_frames: u64) -> Self {
        let threads = threads.clamp(1, lanes.len().max(1));
        let per_thread = lanes.len().div_ceil(threads);
        let mut lanes = lanes.into_iter();
        let local: Vec<Lane> = lanes.by_ref().take(per_thread).collect();
        let mut workers = Vec::new();
        loop {
            let chunk: Vec<Lane> = lanes.by_ref().take(per_thread).collect();
            if chunk.is_empty() {
                break;
            }
            workers.push(Worker::spawn(chunk, total_frames));
        }
        Lanes {
            local_buffers: vec![(Vec::new(), Vec::new()); local.len()],
            local,
            workers,
            worker_failure: None,
        }
    }

    /// Renders the next `left.len()` frames of every lane and writes their sum into `left` and
    /// `right` (the same length).
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        let frames = left.len().min(right.len());
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        if self.workers.is_empty() && self.local.len() == 1 {
            // One lane: straight into the output.
            self.local[0].render(left, right);
            return;
        }
        for (lane, (l, r)) in self.local.iter_mut().zip(&mut self.local_buffers) {
            l.resize(frames, 0.0);
            r.resize(frames, 0.0);
            lane.render(l, r);
        }
        left.fill(0.0);
        right.fill(0.0);
        for (l, r) in &self.local_buffers {
            add(left, l);
            add(right, r);
        }
        for w in &mut self.workers {
            if let Some(e) = w.add_next(left, right) {
                self.worker_failure.get_or_insert(e);
            }
        }
    }

    /// Why synthesis failed in any lane, if it did.
    pub fn failure(&self) -> Option<RenderError> {
        self.local
            .iter()
            .find_map(|l| l.engine.failure())
            .or_else(|| self.worker_failure.as_ref().map(copy_of))
    }

    /// Number of lanes.
    pub fn count(&self) -> usize {
        self.local.len() + self.workers.iter().map(|w| w.lanes).sum::<usize>()
    }

    /// Number of threads they run on, the calling one included.
    pub fn threads(&self) -> usize {
        1 + self.workers.len()
    }
}

/// The same failure again (a renderer reports it each time it is asked). Engines fail only with
/// [`RenderError::InvalidSoundFont`] or [`RenderError::Synthesis`]; anything else keeps its message.
fn copy_of(e: &RenderError) -> RenderError {
    match e {
        RenderError::InvalidSoundFont { path, reason } => RenderError::InvalidSoundFont {
            path: path.clone(),
            reason: reason.clone(),
        },
        RenderError::Synthesis(reason) => RenderError::Synthesis(reason.clone()),
        other => RenderError::Synthesis(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(frame: u64, note_id: u32, on: bool) -> Event {
        Event {
            frame,
            track: 0,
            note_id,
            pitch: 60,
            kind: if on {
                EventKind::On { velocity: 100 }
            } else {
                EventKind::Off
            },
        }
    }

    #[test]
    fn partition_keeps_groups_whole_balances_notes_and_keeps_time_order() {
        // Notes 0..10, each on at 10·i and off 25 frames later (overlapping the next ones).
        let mut events: Vec<Event> = (0..10u32)
            .flat_map(|i| {
                [
                    note(10 * i as u64, i, true),
                    note(10 * i as u64 + 25, i, false),
                ]
            })
            .collect();
        events.sort_by_key(|e| e.frame);
        let lanes = partition(events.clone(), |e| e.note_id as usize, 4);
        assert_eq!(lanes.len(), 4);
        let counts: Vec<usize> = lanes.iter().map(Vec::len).collect();
        assert_eq!(counts.iter().sum::<usize>(), events.len());
        assert!(counts.iter().all(|&c| c == 4 || c == 6), "{counts:?}");
        for lane in &lanes {
            assert!(lane.windows(2).all(|w| w[0].frame <= w[1].frame));
            // A note's on and off land in the same lane.
            for e in lane {
                assert_eq!(lane.iter().filter(|x| x.note_id == e.note_id).count(), 2);
            }
        }
        // Fewer groups than lanes: one lane per group; one group: one lane.
        assert_eq!(
            partition(events.clone(), |e| (e.note_id % 2) as usize, 4).len(),
            2
        );
        assert_eq!(partition(events.clone(), |_| 0, 4).len(), 1);
        assert_eq!(partition(Vec::new(), |_| 0, 4).len(), 1);
        // The partition is a function of the events alone.
        assert_eq!(partition(events.clone(), |e| e.note_id as usize, 4), lanes);
    }

    /// Plays a constant level; panics when asked to render past `panic_at` frames.
    struct Constant {
        level: f32,
        panic_at: u64,
        frames: u64,
    }

    impl Engine for Constant {
        fn apply(&mut self, _: &Event) {}
        fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
            self.frames += left.len() as u64;
            assert!(self.frames <= self.panic_at, "the test engine stops here");
            left.fill(self.level);
            right.fill(-self.level);
        }
    }

    fn constant(level: f32, panic_at: u64) -> Lane {
        let engine = Constant {
            level,
            panic_at,
            frames: 0,
        };
        Lane::new(Box::new(engine), Vec::new())
    }

    #[test]
    fn lanes_on_threads_sum_and_a_lost_thread_is_a_failure_not_a_hang() {
        let total = 3 * CHUNK_FRAMES as u64;
        let mut lanes = Lanes::new(
            vec![constant(0.25, u64::MAX), constant(0.5, CHUNK_FRAMES as u64)],
            2,
            total,
        );
        assert_eq!((lanes.count(), lanes.threads()), (2, 2));
        let (mut left, mut right) = (vec![0.0; 1000], vec![0.0; 1000]);
        let mut seen = Vec::new();
        for _ in 0..(total as usize).div_ceil(1000) {
            lanes.render(&mut left, &mut right);
            seen.extend_from_slice(&left);
            assert!(left.iter().zip(&right).all(|(l, r)| *l == -*r));
        }
        // The worker's first chunk arrives; its thread dies on the second, which stays silent.
        assert!(seen[..CHUNK_FRAMES].iter().all(|&s| s == 0.75));
        assert!(seen[CHUNK_FRAMES..].iter().all(|&s| s == 0.25));
        let failure = lanes.failure().map(|e| e.to_string()).unwrap_or_default();
        assert!(failure.contains("rendering thread stopped"), "{failure}");
    }
}
