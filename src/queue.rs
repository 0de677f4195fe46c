//! A queue that batches the sentences of many callers' documents through one engine.
//!
//! Many callers (HTTP requests, a streaming API, `passeur lines`) each have a small document;
//! translated one by one they would each run the model at batch 1, its slowest. The [`Queue`]
//! plans each document on the caller's thread ([`Plan`]: passthrough decided, over-long
//! sentences split, repeats sent once), puts its model requests in a shared queue, and one
//! worker thread that owns the engine's time forms batches across callers:
//!
//! * the worker waits for work; once a request is waiting it waits at most
//!   [`QueueOptions::wait`] more for others to join, unless a full batch is already there;
//! * it takes a *round* of at most [`QueueOptions::round_sentences`] requests, shared fairly
//!   between the waiting documents (each gets an equal share first, the rest goes in arrival
//!   order), so a long document never holds up short ones for more than a round;
//! * the round is sorted by token count and sent to the engine in calls of at most
//!   [`QueueOptions::batch_sentences`], so each call is a batch of similar lengths;
//! * a document is assembled and answered as soon as its last request is translated; requests
//!   of a document whose caller has gone (its [`Ticket`] dropped) are never translated;
//! * when a call fails, each document in it is tried alone, so one document the engine cannot
//!   translate fails alone; an engine panic fails the documents of that call and the worker
//!   goes on;
//! * at most [`QueueOptions::capacity`] requests wait: beyond, [`Queue::submit`] refuses with
//!   [`Error::QueueFull`] (a document is always taken when nothing waits);
//! * [`Queue::close`] refuses new documents and lets the worker finish every accepted one;
//!   dropping the queue closes it and waits for the worker.
//!
//! Whatever the engine is (a bare `Translator` or one behind the fidelity guard,
//! `fidelity::Guarded`) is the caller's choice: the queue only needs a [`SentenceTranslator`]
//! that can be shared with the worker thread.
//!
//! ```
//! use passeur::{document::Document, Syntax};
//! use passeur::queue::{Queue, QueueOptions};
//! use passeur::translate::{Provenance, SentenceTranslation, SentenceTranslator};
//! use std::sync::Arc;
//!
//! /// A stand-in for the engine: "translates" by upper-casing.
//! struct Shouting;
//! impl SentenceTranslator for Shouting {
//!     fn translate_sentences(&self, s: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
//!         Ok(s.iter().map(|s| SentenceTranslation::new(s.to_uppercase(), None)).collect())
//!     }
//!     fn token_count(&self, s: &str) -> usize { s.split_whitespace().count() + 1 }
//!     fn max_source_tokens(&self) -> usize { 512 }
//!     fn provenance(&self) -> Provenance {
//!         Provenance { model: "shouting".into(), revision: None, decoding: "none".into(),
//!                      passeur_version: env!("CARGO_PKG_VERSION").into() }
//!     }
//! }
//!
//! let queue = Queue::start(Arc::new(Shouting), QueueOptions::default());
//! let first = queue.submit(Document::parse("Bonjour. Au revoir.", Syntax::Text))?;
//! let second = queue.submit(Document::parse("Merci.", Syntax::Text))?;
//! assert_eq!(first.wait()?.english(), "BONJOUR. AU REVOIR.");
//! assert_eq!(second.wait()?.english(), "MERCI.");
//! # Ok::<(), passeur::Error>(())
//! ```

use crate::bilingual::Bilingual;
use crate::document::Document;
use crate::pipeline::Plan;
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The engine a queue drives: any [`SentenceTranslator`] its worker thread can share.
pub type Engine = dyn SentenceTranslator + Send + Sync;

/// How a [`Queue`] batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueOptions {
    /// Most requests (sentences or pieces) in one call to the engine (which may cut them into
    /// smaller batches under its own token budget).
    pub batch_sentences: usize,
    /// Most requests taken from the queue in one round (then sorted by length and sent in calls
    /// of [`batch_sentences`](Self::batch_sentences)).
    pub round_sentences: usize,
    /// Longest wait for more requests once one is waiting and no full batch is there.
    pub wait: Duration,
    /// Most requests waiting for the engine; beyond, documents are refused.
    pub capacity: usize,
    /// Largest number of source tokens of one request (the engine's own limit applies too);
    /// longer sentences are split.
    pub max_sentence_tokens: Option<usize>,
}

impl Default for QueueOptions {
    /// Calls of 16 requests, rounds of 64, a 5 ms window, 4,096 requests waiting at most.
    fn default() -> Self {
        QueueOptions {
            batch_sentences: 16,
            round_sentences: 64,
            wait: Duration::from_millis(5),
            capacity: 4096,
            max_sentence_tokens: None,
        }
    }
}

/// What one call to the engine did, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    /// Requests translated in the call.
    pub sentences: usize,
    /// Source tokens of those requests.
    pub tokens: usize,
    /// Documents the requests came from.
    pub documents: usize,
    /// How long the call took.
    pub elapsed: Duration,
    /// Whether the engine failed on it.
    pub failed: bool,
}

/// A snapshot of a queue's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Requests waiting for the engine (not yet in a round).
    pub waiting: usize,
    /// Documents accepted and not yet answered.
    pub documents: usize,
    /// Requests translated since the queue started.
    pub translated: u64,
    /// Calls made to the engine since the queue started.
    pub batches: u64,
}

/// Called by the worker after each call to the engine.
pub type BatchObserver = Box<dyn Fn(&BatchReport) + Send + Sync>;

/// The cross-caller batching queue (see the [module docs](self)).
pub struct Queue {
    shared: Arc<Shared>,
    engine: Arc<Engine>,
    provenance: Provenance,
    budget: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("stats", &self.stats())
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// A document's place in the queue: wait for it ([`Ticket::wait`]) or `.await` it. Dropping it
/// withdraws the document: its requests not yet translated never reach the engine.
#[derive(Debug)]
pub struct Ticket {
    receiver: oneshot::Receiver<Result<Bilingual>>,
}

/// The future of a [`Ticket`] (`ticket.await`).
#[derive(Debug)]
pub struct TicketFuture {
    receiver: oneshot::AsyncReceiver<Result<Bilingual>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    options: QueueOptions,
    translated: AtomicU64,
    batches: AtomicU64,
}

#[derive(Default)]
struct State {
    incoming: VecDeque<Job>,
    /// Requests of accepted documents not yet taken into a round.
    waiting: usize,
    /// Documents accepted and not yet answered (or withdrawn).
    documents: usize,
    closed: bool,
}

/// A document waiting for its translations.
struct Job {
    plan: Plan,
    reply: oneshot::Sender<Result<Bilingual>>,
    arrived: Instant,
}

/// A job the worker has taken in.
struct Active {
    plan: Option<Plan>,
    reply: Option<oneshot::Sender<Result<Bilingual>>>,
    arrived: Instant,
    /// The next request to put in a round.
    next: usize,
    translations: Vec<Option<SentenceTranslation>>,
    /// Requests not yet translated.
    remaining: usize,
}

impl Active {
    fn unscheduled(&self) -> usize {
        self.translations.len() - self.next
    }

    /// Whether the job still needs work: not answered, not failed, its caller still there.
    fn live(&self) -> bool {
        self.reply.as_ref().is_some_and(|reply| !reply.is_closed())
    }
}

impl Queue {
    /// Starts the worker thread driving `engine`.
    pub fn start(engine: Arc<Engine>, options: QueueOptions) -> Queue {
        Queue::start_observed(engine, options, None)
    }

    /// [`start`](Self::start), with `observer` called after each call to the engine.
    pub fn start_observed(
        engine: Arc<Engine>,
        options: QueueOptions,
        observer: Option<BatchObserver>,
    ) -> Queue {
        let options = QueueOptions {
            batch_sentences: options.batch_sentences.max(1),
            round_sentences: options.round_sentences.max(options.batch_sentences).max(1),
            capacity: options.capacity.max(1),
            ..options
        };
        let limit = engine.max_source_tokens();
        let budget = options
            .max_sentence_tokens
            .map_or(limit, |max| max.min(limit));
        let provenance = engine.provenance();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            options,
            translated: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            engine: Arc::clone(&engine),
            provenance: provenance.clone(),
            observer,
            active: Vec::new(),
        };
        let handle = std::thread::Builder::new()
            .name("passeur-queue".into())
            .spawn(move || worker.run())
            .expect("the operating system starts a thread");
        Queue {
            shared,
            engine,
            provenance,
            budget,
            worker: Mutex::new(Some(handle)),
        }
    }

    /// Plans `document` and queues its requests.
    ///
    /// Fails with [`Error::QueueFull`] when too many requests wait, and with
    /// [`Error::QueueClosed`] after [`close`](Self::close).
    pub fn submit(&self, document: Document) -> Result<Ticket> {
        let mut tickets = self.submit_all(vec![document])?;
        Ok(tickets.pop().expect("one ticket per document"))
    }

    /// Plans and queues several documents at once: all are accepted, or none.
    pub fn submit_all(&self, documents: Vec<Document>) -> Result<Vec<Ticket>> {
        let engine = &self.engine;
        let token_count = |text: &str| engine.token_count(text);
        let plans: Vec<Plan> = documents
            .into_iter()
            .map(|document| Plan::new(document, &token_count, self.budget))
            .collect();
        let requests: usize = plans.iter().map(|plan| plan.requests().len()).sum();
        let mut state = self.shared.lock();
        if state.closed {
            return Err(Error::QueueClosed);
        }
        let capacity = self.shared.options.capacity;
        if state.waiting > 0 && state.waiting + requests > capacity {
            return Err(Error::QueueFull {
                waiting: state.waiting,
                capacity,
            });
        }
        let arrived = Instant::now();
        let mut tickets = Vec::with_capacity(plans.len());
        for plan in plans {
            let (reply, receiver) = oneshot::channel();
            if plan.requests().is_empty() {
                let _ = reply.send(plan.assemble(Vec::new(), self.provenance.clone()));
            } else {
                state.waiting += plan.requests().len();
                state.documents += 1;
                state.incoming.push_back(Job {
                    plan,
                    reply,
                    arrived,
                });
            }
            tickets.push(Ticket { receiver });
        }
        drop(state);
        if requests > 0 {
            self.shared.wake.notify_all();
        }
        Ok(tickets)
    }

    /// The counters now.
    pub fn stats(&self) -> QueueStats {
        let state = self.shared.lock();
        QueueStats {
            waiting: state.waiting,
            documents: state.documents,
            translated: self.shared.translated.load(Ordering::Relaxed),
            batches: self.shared.batches.load(Ordering::Relaxed),
        }
    }

    /// Provenance of every document the queue translates.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Refuses new documents from now on; the worker finishes every accepted one, then stops.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_all();
    }

    /// Closes the queue and waits until every accepted document is answered and the worker has
    /// stopped.
    pub fn shutdown(&self) {
        self.close();
        let handle = self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Ticket {
    /// Blocks until the document is translated.
    pub fn wait(self) -> Result<Bilingual> {
        self.receiver.recv().unwrap_or_else(|_| Err(worker_gone()))
    }
}

impl IntoFuture for Ticket {
    type Output = Result<Bilingual>;
    type IntoFuture = TicketFuture;

    fn into_future(self) -> TicketFuture {
        TicketFuture {
            receiver: self.receiver.into_future(),
        }
    }
}

impl Future for TicketFuture {
    type Output = Result<Bilingual>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Bilingual>> {
        Pin::new(&mut self.receiver)
            .poll(cx)
            .map(|received| received.unwrap_or_else(|_| Err(worker_gone())))
    }
}

fn worker_gone() -> Error {
    Error::EngineFailed {
        problem: "the translation worker stopped before answering".into(),
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One request of a round: which job, which of its requests.
#[derive(Debug, Clone, Copy)]
struct Slot {
    job: usize,
    request: usize,
}

struct Worker {
    shared: Arc<Shared>,
    engine: Arc<Engine>,
    provenance: Provenance,
    observer: Option<BatchObserver>,
    active: Vec<Active>,
}

impl Worker {
    fn run(mut self) {
        while let Some(round) = self.next_round() {
            self.translate_round(round);
        }
    }

    /// Waits for work and the batching window, then takes a round; `None` once the queue is
    /// closed and everything accepted is answered.
    fn next_round(&mut self) -> Option<Vec<Slot>> {
        let options = &self.shared.options;
        let mut state = self.shared.lock();
        loop {
            while let Some(job) = state.incoming.pop_front() {
                let requests = job.plan.requests().len();
                self.active.push(Active {
                    plan: Some(job.plan),
                    reply: Some(job.reply),
                    arrived: job.arrived,
                    next: 0,
                    translations: vec![None; requests],
                    remaining: requests,
                });
            }
            withdraw_cancelled(&mut self.active, &mut state);
            if state.waiting == 0 {
                if state.closed {
                    return None;
                }
                state = self
                    .shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            let oldest = self
                .active
                .iter()
                .filter(|job| job.unscheduled() > 0)
                .map(|job| job.arrived)
                .min()
                .expect("waiting requests belong to active jobs");
            let deadline = oldest + options.wait;
            let now = Instant::now();
            if state.waiting >= options.batch_sentences || state.closed || now >= deadline {
                break;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        let round = take_round(&mut self.active, options.round_sentences);
        state.waiting -= round.len();
        Some(round)
    }

    /// Translates a round, shortest requests first, answering documents as they complete.
    fn translate_round(&mut self, mut round: Vec<Slot>) {
        round.sort_by_key(|slot| self.tokens(slot));
        let batch = self.shared.options.batch_sentences;
        for chunk in round.chunks(batch) {
            let chunk: Vec<Slot> = chunk
                .iter()
                .copied()
                .filter(|slot| self.active[slot.job].live())
                .collect();
            if chunk.is_empty() {
                continue;
            }
            match self.call_engine(&chunk) {
                Ok(translations) => self.store(&chunk, translations),
                Err(err) => self.retry_alone(&chunk, err),
            }
        }
    }

    fn tokens(&self, slot: &Slot) -> usize {
        let plan = self.active[slot.job].plan.as_ref().expect("live job");
        plan.requests()[slot.request].tokens
    }

    /// One call to the engine for `slots`, panics caught.
    fn call_engine(&self, slots: &[Slot]) -> Result<Vec<SentenceTranslation>> {
        let texts: Vec<&str> = slots
            .iter()
            .map(|slot| {
                let plan = self.active[slot.job].plan.as_ref().expect("live job");
                plan.requests()[slot.request].text.as_str()
            })
            .collect();
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.engine.translate_sentences(&texts)))
            .unwrap_or_else(|panic| {
                let problem = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown cause".into());
                Err(Error::EngineFailed {
                    problem: format!("the engine panicked: {problem}"),
                })
            })
            .and_then(|translations| {
                if translations.len() == texts.len() {
                    Ok(translations)
                } else {
                    Err(Error::TranslationCount {
                        expected: texts.len(),
                        got: translations.len(),
                        step: "queued translation",
                    })
                }
            });
        self.shared.batches.fetch_add(1, Ordering::Relaxed);
        if let Some(observer) = &self.observer {
            let mut documents: Vec<usize> = slots.iter().map(|slot| slot.job).collect();
            documents.sort_unstable();
            documents.dedup();
            observer(&BatchReport {
                sentences: slots.len(),
                tokens: slots.iter().map(|slot| self.tokens(slot)).sum(),
                documents: documents.len(),
                elapsed: started.elapsed(),
                failed: outcome.is_err(),
            });
        }
        outcome
    }

    /// Stores translations and answers every document that is now complete.
    fn store(&mut self, slots: &[Slot], translations: Vec<SentenceTranslation>) {
        self.shared
            .translated
            .fetch_add(slots.len() as u64, Ordering::Relaxed);
        for (slot, translation) in slots.iter().zip(translations) {
            let job = &mut self.active[slot.job];
            job.translations[slot.request] = Some(translation);
            job.remaining -= 1;
            if job.remaining == 0 {
                self.answer(slot.job);
            }
        }
    }

    fn answer(&mut self, index: usize) {
        let job = &mut self.active[index];
        let (Some(plan), Some(reply)) = (job.plan.take(), job.reply.take()) else {
            return;
        };
        let translations = std::mem::take(&mut job.translations)
            .into_iter()
            .map(|t| t.expect("a complete job has every translation"))
            .collect();
        // Counted out before the caller hears back, so a caller never sees itself counted.
        self.shared.lock().documents -= 1;
        let _ = reply.send(plan.assemble(translations, self.provenance.clone()));
    }

    /// After a failed call: each document of the call alone; those that fail again get the error.
    fn retry_alone(&mut self, slots: &[Slot], err: Error) {
        let mut jobs: Vec<usize> = slots.iter().map(|slot| slot.job).collect();
        jobs.sort_unstable();
        jobs.dedup();
        if jobs.len() == 1 {
            self.fail(jobs[0], err);
            return;
        }
        for job in jobs {
            let own: Vec<Slot> = slots.iter().copied().filter(|s| s.job == job).collect();
            match self.call_engine(&own) {
                Ok(translations) => self.store(&own, translations),
                Err(err) => self.fail(job, err),
            }
        }
    }

    /// Answers job `index` with `err` and withdraws its requests not yet in a round.
    fn fail(&mut self, index: usize, err: Error) {
        let job = &mut self.active[index];
        let unscheduled = job.unscheduled();
        job.next = job.translations.len();
        job.plan = None;
        if let Some(reply) = job.reply.take() {
            {
                let mut state = self.shared.lock();
                state.waiting -= unscheduled;
                state.documents -= 1;
            }
            let _ = reply.send(Err(err));
        }
    }
}

/// Removes jobs whose caller has gone from the count of waiting requests and documents.
fn withdraw_cancelled(active: &mut Vec<Active>, state: &mut State) {
    active.retain(|job| {
        if job.live() {
            return true;
        }
        if job.reply.is_some() {
            state.waiting -= job.unscheduled();
            state.documents -= 1;
        }
        false
    });
}

/// Takes up to `size` requests: an equal share for each job with requests waiting, then the
/// rest in arrival order.
fn take_round(active: &mut [Active], size: usize) -> Vec<Slot> {
    let waiting_jobs = active.iter().filter(|job| job.unscheduled() > 0).count();
    if waiting_jobs == 0 {
        return Vec::new();
    }
    let share = size.div_ceil(waiting_jobs);
    let mut round = Vec::with_capacity(size);
    for pass_share in [share, usize::MAX] {
        for (index, job) in active.iter_mut().enumerate() {
            let take = job.unscheduled().min(pass_share).min(size - round.len());
            round.extend((job.next..job.next + take).map(|request| Slot {
                job: index,
                request,
            }));
            job.next += take;
        }
    }
    round
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Syntax;
    use crate::pipeline::{Pipeline, PipelineOptions};
    use std::sync::atomic::AtomicUsize;

    /// Upper-cases; fails on a text holding `ÉCHEC`, panics on `PANIQUE`; blocks while the test
    /// holds `gate`; records every call.
    #[derive(Default)]
    struct Scripted {
        gate: Mutex<()>,
        entered: AtomicUsize,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl SentenceTranslator for Scripted {
        fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
            self.entered.fetch_add(1, Ordering::SeqCst);
            drop(self.gate.lock().unwrap_or_else(|p| p.into_inner()));
            self.calls
                .lock()
                .unwrap()
                .push(sentences.iter().map(|s| s.to_string()).collect());
            if sentences.iter().any(|s| s.contains("PANIQUE")) {
                panic!("scripted panic");
            }
            if sentences.iter().any(|s| s.contains("ÉCHEC")) {
                return Err(Error::EngineFailed {
                    problem: "scripted failure".into(),
                });
            }
            Ok(sentences
                .iter()
                .map(|s| SentenceTranslation::new(s.to_uppercase(), Some(-1.0)))
                .collect())
        }
        fn token_count(&self, sentence: &str) -> usize {
            sentence.split_whitespace().count() + 1
        }
        fn max_source_tokens(&self) -> usize {
            8
        }
        fn provenance(&self) -> Provenance {
            Provenance {
                model: "scripted".into(),
                revision: None,
                decoding: "none".into(),
                passeur_version: "test".into(),
            }
        }
    }

    fn start(options: QueueOptions) -> (Arc<Scripted>, Queue) {
        let engine = Arc::new(Scripted::default());
        let queue = Queue::start(Arc::clone(&engine) as Arc<Engine>, options);
        (engine, queue)
    }

    fn doc(text: &str) -> Document {
        Document::parse(text, Syntax::Text)
    }

    /// Waits until the worker has entered the engine `calls` times.
    fn wait_for_calls(engine: &Scripted, calls: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while engine.entered.load(Ordering::SeqCst) < calls {
            assert!(
                Instant::now() < deadline,
                "the worker never called the engine"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn calls(engine: &Scripted) -> Vec<Vec<String>> {
        engine.calls.lock().unwrap().clone()
    }

    #[test]
    fn documents_queued_while_the_engine_is_busy_share_one_sorted_batch() {
        let (engine, queue) = start(QueueOptions::default());
        let gate = engine.gate.lock().unwrap();
        let first = queue.submit(doc("Premier document.")).unwrap();
        wait_for_calls(&engine, 1);
        let others = [
            "Un document bien plus long que les autres. Court.",
            "Moyen de taille ici.",
            "Bref.",
        ]
        .map(|text| queue.submit(doc(text)).unwrap());
        assert_eq!(queue.stats().waiting, 5);
        drop(gate);
        assert_eq!(first.wait().unwrap().english(), "PREMIER DOCUMENT.");
        let english: Vec<String> = others.map(|t| t.wait().unwrap().english()).into();
        assert_eq!(
            english,
            [
                "UN DOCUMENT BIEN PLUS LONG QUE LES AUTRES. COURT.",
                "MOYEN DE TAILLE ICI.",
                "BREF."
            ]
        );
        let calls = calls(&engine);
        assert_eq!(calls.len(), 2, "{calls:?}");
        let lengths: Vec<usize> = calls[1].iter().map(|s| engine.token_count(s)).collect();
        assert_eq!(
            calls[1].len(),
            5,
            "the three documents in one call: {calls:?}"
        );
        assert!(lengths.windows(2).all(|w| w[0] <= w[1]), "{calls:?}");
        assert_eq!(queue.stats().documents, 0);
    }

    #[test]
    fn the_same_translation_as_the_pipeline() {
        let text = "Titre\n\nUne phrase bien trop longue pour le budget de huit mots, qui sera \
                    coupée en morceaux. 12 345\n\n- Un point.\n- Un autre point.";
        let (engine, queue) = start(QueueOptions::default());
        let queued = queue.submit(doc(text)).unwrap().wait().unwrap();
        let direct = Pipeline::new(&*engine, PipelineOptions::default())
            .translate(text)
            .unwrap();
        assert_eq!(queued.english(), direct.english());
        assert_eq!(queued.stats, direct.stats);
        assert!(queued.stats.split_sentences > 0 && queued.stats.verdicts.passthrough > 0);
        assert_eq!(crate::write::jsonl(&queued), crate::write::jsonl(&direct));
    }

    #[test]
    fn a_withdrawn_document_is_never_translated() {
        let (engine, queue) = start(QueueOptions::default());
        let gate = engine.gate.lock().unwrap();
        let first = queue.submit(doc("Premier.")).unwrap();
        wait_for_calls(&engine, 1);
        drop(queue.submit(doc("Abandonné en route.")).unwrap());
        let last = queue.submit(doc("Dernier.")).unwrap();
        drop(gate);
        first.wait().unwrap();
        assert_eq!(last.wait().unwrap().english(), "DERNIER.");
        assert!(
            calls(&engine)
                .iter()
                .flatten()
                .all(|s| !s.contains("Abandonné")),
            "{:?}",
            calls(&engine)
        );
        assert_eq!(
            queue.stats(),
            QueueStats {
                translated: 2,
                batches: 2,
                ..QueueStats::default()
            }
        );
    }

    #[test]
    fn a_document_the_engine_fails_on_fails_alone() {
        let (engine, queue) = start(QueueOptions::default());
        let gate = engine.gate.lock().unwrap();
        let first = queue.submit(doc("Premier.")).unwrap();
        wait_for_calls(&engine, 1);
        let bad = queue
            .submit(doc("Un ÉCHEC ici. Et une autre phrase."))
            .unwrap();
        let good = queue.submit(doc("Tout va bien.")).unwrap();
        drop(gate);
        first.wait().unwrap();
        let err = bad.wait().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the translation engine failed: scripted failure"
        );
        assert_eq!(good.wait().unwrap().english(), "TOUT VA BIEN.");
        assert_eq!(queue.stats().documents, 0);
        assert_eq!(queue.stats().waiting, 0);
    }

    #[test]
    fn a_panic_fails_its_document_and_the_worker_goes_on() {
        let (_engine, queue) = start(QueueOptions::default());
        let err = queue.submit(doc("PANIQUE.")).unwrap().wait().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the translation engine failed: the engine panicked: scripted panic"
        );
        let after = queue.submit(doc("Encore là.")).unwrap().wait().unwrap();
        assert_eq!(after.english(), "ENCORE LÀ.");
    }

    #[test]
    fn a_full_queue_refuses_and_a_closed_one_refuses_but_finishes() {
        let options = QueueOptions {
            capacity: 2,
            ..QueueOptions::default()
        };
        let (engine, queue) = start(options);
        let queue = Arc::new(queue);
        let gate = engine.gate.lock().unwrap();
        let first = queue.submit(doc("Premier.")).unwrap();
        wait_for_calls(&engine, 1);
        let waiting = queue.submit(doc("Deux. Phrases.")).unwrap();
        let refused = queue.submit(doc("Trop.")).unwrap_err();
        assert!(
            matches!(
                refused,
                Error::QueueFull {
                    waiting: 2,
                    capacity: 2
                }
            ),
            "{refused}"
        );
        // Shutting down with work accepted: refuses new documents, finishes the others.
        let closing = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.shutdown())
        };
        // Full until the queue closes; closed after.
        loop {
            match queue.submit(doc("Fermé ?")) {
                Err(Error::QueueFull { .. }) => std::thread::yield_now(),
                Err(Error::QueueClosed) => break,
                other => panic!("{other:?}"),
            }
        }
        drop(gate);
        closing.join().unwrap();
        assert_eq!(first.wait().unwrap().english(), "PREMIER.");
        assert_eq!(waiting.wait().unwrap().english(), "DEUX. PHRASES.");
    }

    #[test]
    fn nothing_to_translate_is_answered_without_the_engine() {
        let (engine, queue) = start(QueueOptions::default());
        let answer = queue.submit(doc("12 345\n\n—")).unwrap().wait().unwrap();
        assert_eq!(answer.english(), "12 345\n\n—");
        assert!(calls(&engine).is_empty());
    }

    fn active(requests: usize) -> Active {
        Active {
            plan: None,
            reply: None,
            arrived: Instant::now(),
            next: 0,
            translations: vec![None; requests],
            remaining: requests,
        }
    }

    #[test]
    fn rounds_share_between_documents_then_fill_in_arrival_order() {
        let mut jobs = vec![active(100), active(2), active(5)];
        let round = take_round(&mut jobs, 12);
        let per_job = |job| round.iter().filter(|s| s.job == job).count();
        assert_eq!(round.len(), 12);
        // Shares of 4: the long document 4, the short ones all they have; the rest to the first.
        assert_eq!((per_job(0), per_job(1), per_job(2)), (6, 2, 4));
        assert_eq!(jobs[0].next, 6);
        let next = take_round(&mut jobs, 12);
        assert_eq!(next.iter().filter(|s| s.job == 2).count(), 1);
        assert_eq!(next.iter().filter(|s| s.job == 0).count(), 11);
        assert_eq!(next[0].request, 6, "a job goes on where it stopped");
    }
}
