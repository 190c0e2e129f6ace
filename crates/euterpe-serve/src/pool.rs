//! The generation workers: a fixed number of threads behind a bounded queue. A request that finds
//! every worker busy and the queue full is refused at once (503) instead of waiting without bound;
//! a request whose deadline passed while it waited is dropped unrun. Each worker keeps the models
//! it has loaded.
//!
//! Admission counts jobs in the pool (running or waiting) against `workers + queue`, so whether a
//! request is taken does not depend on whether an idle worker thread happens to be parked in
//! `recv` at that instant (a zero-capacity channel would refuse it then).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use euterpe_classify::{Classification, Classifier, ClassifyError};
use euterpe_generate::{GenerateError, LoadedGenerator};
use euterpe_models::backend::Cpu;
use euterpe_music::score::Score;
use euterpe_render::RenderOptions;
use euterpe_store::ModelSource;
use tokio::sync::oneshot;

use crate::pieces::{PieceId, PieceStore};
use crate::request::GenerateRequest;

/// Work for a worker.
pub enum Job {
    /// Generate one piece and store it under the id.
    Generate(Box<GenerateRequest>, PieceId),
    /// Classify a score with the named classifiers.
    Classify(Box<Score>, Vec<String>),
    /// Classify a recording with the named audio classifiers.
    ClassifyAudio(Box<euterpe_audio::Audio>, Vec<String>),
}

/// What a worker sends back.
#[derive(Debug)]
pub enum Outcome {
    /// The piece is in the store.
    Generated(GeneratedPiece),
    /// The classes, per classifier.
    Classified(Vec<(String, Classification)>),
    /// The job failed; the message says why.
    Failed(String),
    /// The deadline passed before a worker took the job.
    Expired,
}

/// A stored piece's figures.
#[derive(Debug, Clone)]
pub struct GeneratedPiece {
    /// Notes in the piece.
    pub notes: usize,
    /// Duration in seconds.
    pub seconds: f64,
    /// Tokens the model wrote.
    pub new_tokens: usize,
    /// Seconds spent generating (not rendering).
    pub generation_seconds: f64,
    /// Bytes the piece's files take.
    pub bytes: u64,
}

struct Envelope {
    job: Job,
    deadline: Instant,
    reply: oneshot::Sender<Outcome>,
}

/// The queue was full.
#[derive(Debug)]
pub struct Busy;

/// The workers and their queue.
pub struct Pool {
    sender: SyncSender<Envelope>,
    running: Arc<AtomicUsize>,
    /// Jobs admitted and not yet finished (running or waiting).
    admitted: Arc<AtomicUsize>,
    /// Most jobs admitted at once: workers plus queue.
    capacity: usize,
}

impl Pool {
    /// Starts `workers` threads behind a queue of `queue` waiting jobs, loading models from
    /// `sources` by name.
    pub fn start(
        workers: usize,
        queue: usize,
        store: Arc<PieceStore>,
        render: RenderOptions,
        sources: HashMap<String, ModelSource>,
    ) -> Pool {
        let sources = Arc::new(sources);
        let capacity = workers.max(1) + queue;
        let (sender, receiver) = sync_channel::<Envelope>(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let running = Arc::new(AtomicUsize::new(0));
        let admitted = Arc::new(AtomicUsize::new(0));
        for i in 0..workers {
            let worker = Worker {
                receiver: Arc::clone(&receiver),
                store: Arc::clone(&store),
                render: render.clone(),
                running: Arc::clone(&running),
                admitted: Arc::clone(&admitted),
                sources: Arc::clone(&sources),
                generators: HashMap::new(),
                classifiers: HashMap::new(),
            };
            std::thread::Builder::new()
                .name(format!("euterpe-worker-{i}"))
                .spawn(move || worker.run())
                .expect("the OS can start a worker thread");
        }
        Pool {
            sender,
            running,
            admitted,
            capacity,
        }
    }

    /// Queues a job; `Busy` when every worker is busy and the queue is full. The receiver gets
    /// the outcome.
    pub fn submit(&self, job: Job, deadline: Instant) -> Result<oneshot::Receiver<Outcome>, Busy> {
        let admit = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        if admit.is_err() {
            return Err(Busy);
        }
        let (reply, receiver) = oneshot::channel();
        let envelope = Envelope {
            job,
            deadline,
            reply,
        };
        match self.sender.try_send(envelope) {
            Ok(()) => Ok(receiver),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.admitted.fetch_sub(1, Ordering::AcqRel);
                Err(Busy)
            }
        }
    }

    /// Jobs being worked on now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }
}

struct Worker {
    receiver: Arc<Mutex<Receiver<Envelope>>>,
    store: Arc<PieceStore>,
    render: RenderOptions,
    running: Arc<AtomicUsize>,
    admitted: Arc<AtomicUsize>,
    sources: Arc<HashMap<String, ModelSource>>,
    generators: HashMap<String, LoadedGenerator<Cpu>>,
    classifiers: HashMap<String, Classifier<Cpu>>,
}

impl Worker {
    fn run(mut self) {
        loop {
            let next = {
                let receiver = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
                receiver.recv()
            };
            // The pool is gone: the server is shutting down.
            let Ok(envelope) = next else { return };
            if Instant::now() > envelope.deadline || envelope.reply.is_closed() {
                self.admitted.fetch_sub(1, Ordering::AcqRel);
                let _ = envelope.reply.send(Outcome::Expired);
                continue;
            }
            self.running.fetch_add(1, Ordering::Relaxed);
            let outcome = match envelope.job {
                Job::Generate(mut request, id) => {
                    // Stop generating once the client has stopped waiting.
                    request.options.deadline = Some(envelope.deadline);
                    self.generate(&request, &id)
                }
                Job::Classify(score, models) => {
                    self.classify(&models, |c| c.classify_score(&score))
                }
                Job::ClassifyAudio(audio, models) => {
                    self.classify(&models, |c| c.classify_audio(&audio))
                }
            };
            self.running.fetch_sub(1, Ordering::Relaxed);
            // Free the slot before replying, so a client that hears back can submit again.
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            // The client may have gone (timeout, closed connection): nothing to tell then.
            let _ = envelope.reply.send(outcome);
        }
    }

    fn generate(&mut self, request: &GenerateRequest, id: &PieceId) -> Outcome {
        let generator = match self.generator(&request.model) {
            Ok(g) => g,
            Err(e) => return Outcome::Failed(e),
        };
        let started = Instant::now();
        let mut pieces = match generator.generate(&request.options) {
            Ok(p) => p,
            Err(GenerateError::TimedOut) => return Outcome::Expired,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let generation_seconds = started.elapsed().as_secs_f64();
        let Some(piece) = pieces.pop() else {
            return Outcome::Failed("the model wrote no piece".into());
        };
        match self.store.put(id, &piece.score, &self.render) {
            Ok(bytes) => Outcome::Generated(GeneratedPiece {
                notes: piece.score.note_count(),
                seconds: piece.score.duration_seconds(),
                new_tokens: piece.new_tokens,
                generation_seconds,
                bytes,
            }),
            Err(e) => Outcome::Failed(format!("storing the piece: {e}")),
        }
    }

    fn generator(&mut self, name: &str) -> Result<&LoadedGenerator<Cpu>, String> {
        if !self.generators.contains_key(name) {
            let source = self.source(name)?;
            let loaded = LoadedGenerator::<Cpu>::load(&source, Default::default())
                .map_err(|e| e.to_string())?;
            self.generators.insert(name.to_string(), loaded);
        }
        Ok(&self.generators[name])
    }

    /// Where the served model `name` loads from (never a folder that happens to share a name).
    fn source(&self, name: &str) -> Result<ModelSource, String> {
        self.sources
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no served model {name:?}"))
    }

    fn classify(
        &mut self,
        models: &[String],
        judge: impl Fn(&Classifier<Cpu>) -> Result<Classification, ClassifyError>,
    ) -> Outcome {
        let mut results = Vec::with_capacity(models.len());
        for name in models {
            if !self.classifiers.contains_key(name) {
                let loaded = self.source(name).and_then(|s| {
                    Classifier::<Cpu>::load(&s, Default::default()).map_err(|e| e.to_string())
                });
                match loaded {
                    Ok(c) => {
                        self.classifiers.insert(name.clone(), c);
                    }
                    Err(e) => return Outcome::Failed(e),
                }
            }
            match judge(&self.classifiers[name]) {
                Ok(c) => results.push((name.clone(), c)),
                Err(e) => return Outcome::Failed(format!("{name}: {e}")),
            }
        }
        Outcome::Classified(results)
    }
}
