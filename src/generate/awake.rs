//! Keeps the other threads of the pool awake while one generation runs.
//!
//! A decoder step is a few dozen short parallel products and attentions with serial work between
//! them. rayon's idle workers sleep after about 30 µs without work, so nearly every parallel
//! region woke a sleeping thread: 14,500 context switches in a 4.2 s greedy run of 64 sentences,
//! one per region, each a futex wake and, in a VM, a halted virtual CPU to restart. For as long
//! as a [`KeepAwake`] lives, each other worker runs a spinner instead: a job that takes the
//! pool's pending work as it appears ([`rayon::yield_now`]) and yields the CPU when there is
//! none, as OpenMP's workers do for torch and CTranslate2 (notes/perf.md, change W).
//!
//! A spinner must not start on a worker that waits inside a parallel job: that job's rest would
//! wait below the spinner until it ends. So spinners run only for a generation started on a
//! worker of its pool (a `Translator`'s, whose workers do nothing else) while no other generation
//! runs in the process, each in its worker's own queue (`spawn_broadcast`: no worker takes
//! another's), and one that lands on a thread already busy with a generation or a spinner returns
//! at once. A spinner also ends after [`IDLE_LIMIT`] without work, which bounds what it costs
//! where these rules are not enough.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A spinner with no work for this long ends (the thread then sleeps as rayon decides).
const IDLE_LIMIT: Duration = Duration::from_millis(50);

/// Generations running in this process.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread runs a generation or a spinner.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// While alive, the current rayon pool's other workers spin for work instead of sleeping.
pub(super) struct KeepAwake {
    active: &'static AtomicUsize,
    stop: Arc<AtomicBool>,
    #[cfg_attr(not(test), allow(dead_code))] // read by the tests
    counts: Arc<Counts>,
    was_busy: bool,
}

/// Spinners started and running (for the tests; two atomic additions per spinner).
#[derive(Default)]
struct Counts {
    started: AtomicUsize,
    running: AtomicUsize,
}

impl KeepAwake {
    /// Starts a spinner on every other worker of the current pool, when this thread is one of
    /// its workers (a [`crate::translate::Translator`]'s pool) and no other generation runs.
    pub(super) fn start() -> Self {
        Self::start_counted(&ACTIVE)
    }

    /// [`Self::start`], with `active` counting the generations that run.
    fn start_counted(active: &'static AtomicUsize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let was_busy = BUSY.with(|busy| busy.replace(true));
        let alone = active.fetch_add(1, Ordering::AcqRel) == 0;
        if alone && rayon::current_thread_index().is_some() && rayon::current_num_threads() > 1 {
            let (stop, counts) = (Arc::clone(&stop), Arc::clone(&counts));
            // One job in each worker's own queue, which no other worker takes: so no spinner
            // runs another's. This thread's copy returns at once (it is busy).
            rayon::spawn_broadcast(move |_| spin(&stop, &counts));
        }
        Self {
            active,
            stop,
            counts,
            was_busy,
        }
    }
}

impl Drop for KeepAwake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.active.fetch_sub(1, Ordering::AcqRel);
        BUSY.with(|busy| busy.set(self.was_busy));
    }
}

/// Runs the pool's pending work until `stop`, or until none has come for [`IDLE_LIMIT`].
fn spin(stop: &AtomicBool, counts: &Counts) {
    if stop.load(Ordering::Acquire) || BUSY.with(|busy| busy.replace(true)) {
        return;
    }
    counts.started.fetch_add(1, Ordering::AcqRel);
    counts.running.fetch_add(1, Ordering::AcqRel);
    let mut last_work = Instant::now();
    while !stop.load(Ordering::Acquire) {
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => last_work = Instant::now(),
            _ => {
                if last_work.elapsed() > IDLE_LIMIT {
                    break;
                }
                std::thread::yield_now();
            }
        }
    }
    counts.running.fetch_sub(1, Ordering::AcqRel);
    BUSY.with(|busy| busy.set(false));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    fn wait_for(what: &str, condition: impl Fn() -> bool) {
        let start = Instant::now();
        while !condition() {
            assert!(start.elapsed() < Duration::from_secs(10), "{what}");
            std::thread::yield_now();
        }
    }

    fn count(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::Acquire)
    }

    /// A generation count of the test's own (tests run at the same time as other generations).
    fn start() -> KeepAwake {
        KeepAwake::start_counted(Box::leak(Box::new(AtomicUsize::new(0))))
    }

    /// Runs `body` in a pool of `threads` once a generation's spinners have started on its
    /// other `threads - 1` workers.
    fn with_spinners(threads: usize, body: impl FnOnce(KeepAwake, Arc<Counts>) + Send) {
        pool(threads).install(|| {
            let awake = start();
            let counts = Arc::clone(&awake.counts);
            wait_for("the spinners start", || {
                count(&counts.started) == threads - 1
            });
            body(awake, counts)
        });
    }

    #[test]
    fn spinners_start_on_the_other_workers_and_end_when_dropped() {
        with_spinners(3, |awake, counts| {
            for round in 0..50u64 {
                let sum: u64 = (0..10_000u64).into_par_iter().map(|i| i * round).sum();
                assert_eq!(sum, round * 10_000 * 9_999 / 2);
            }
            drop(awake);
            wait_for("the spinners end", || count(&counts.running) == 0);
            assert_eq!(count(&counts.started), 2);
        });
    }

    #[test]
    fn a_spinner_with_nothing_to_do_ends_by_itself() {
        with_spinners(2, |awake, counts| {
            wait_for("the idle spinner ends", || count(&counts.running) == 0);
            assert!(!awake.stop.load(Ordering::Acquire));
        });
    }

    #[test]
    fn a_spinner_never_runs_on_the_generating_thread() {
        // One thread: no other worker, so no spinner; and a spinner that lands on a busy thread
        // returns at once instead of holding the work beneath it.
        let pool = pool(1);
        pool.install(|| {
            let awake = start();
            let counts = Counts::default();
            spin(&AtomicBool::new(false), &counts);
            assert_eq!(count(&counts.started), 0);
            assert_eq!(count(&awake.counts.started), 0);
            drop(awake);
            assert!(!BUSY.with(Cell::get));
        });
    }

    #[test]
    fn no_spinners_beside_another_generation_or_outside_a_pool() {
        let active: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let pool = pool(2);
        pool.install(|| {
            let first = KeepAwake::start_counted(active);
            let second = KeepAwake::start_counted(active);
            let first_counts = Arc::clone(&first.counts);
            wait_for("the first's spinner starts", || {
                count(&first_counts.started) == 1
            });
            drop(first);
            wait_for("the first's spinner ends", || {
                count(&first_counts.running) == 0
            });
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(count(&second.counts.started), 0);
            drop(second);
            assert_eq!(count(active), 0);
        });
        // On a thread of no pool: the pool the products would use is not this thread's.
        let outside = start();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(count(&outside.counts.started), 0);
    }
}
