//! The app's one worker type: a thread with a mailbox of one slot per kind of job, the pattern
//! recognition, line reading and generation share. The UI posts the latest job of a kind (a newer
//! one replaces one of its kind that has not started), so there is never a queue of stale jobs.
//! The worker serves the slots in order, runs each job with the settings it holds
//! ([`Worker::update_config`]) and sends the outcome back through a channel, waking the UI
//! (`request_repaint`); [`Worker::poll_each`] hands over only the newest wanted outcome of each
//! kind, [`Worker::poll`] the newest of a one-slot worker.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// A job as the worker receives it.
pub struct Posted<J> {
    /// Its id (ascending in posting order).
    pub id: u64,
    /// The job.
    pub job: J,
    /// When it was posted.
    pub posted: Instant,
}

struct Slot<J, C> {
    /// One waiting job per kind.
    requests: Vec<Option<Posted<J>>>,
    config: C,
    busy: bool,
    quit: bool,
}

struct Shared<J, C> {
    slot: Mutex<Slot<J, C>>,
    wake: Condvar,
}

/// The UI's handle on a worker thread that turns jobs `J` into outcomes `O` with settings `C`.
pub struct Worker<J, C, O> {
    shared: Arc<Shared<J, C>>,
    results: Receiver<(u64, O)>,
    next_id: u64,
    /// Per kind, the id of the newest job whose outcome the UI still wants.
    wanted: Vec<u64>,
    /// The kind (slot) of a job.
    kind_of: fn(&J) -> usize,
}

impl<J: Send + 'static, C: Clone + Send + 'static, O: Send + 'static> Worker<J, C, O> {
    /// Starts the thread `name` with one slot. `run` does each job with the settings as they were
    /// when it started; `wake` is called after each outcome (the UI passes `ctx.request_repaint`).
    pub fn start(name: &str, config: C, run: impl FnMut(Posted<J>, C) -> O + Send + 'static, wake: impl Fn() + Send + 'static) -> Self {
        Self::with_kinds(name, 1, |_| 0, config, run, wake)
    }

    /// Starts the thread `name` with `kinds` slots: a job of kind `kind_of(job)` replaces only a
    /// waiting job of its kind, and the slots are served in order (lower kinds first).
    pub fn with_kinds(
        name: &str,
        kinds: usize,
        kind_of: fn(&J) -> usize,
        config: C,
        run: impl FnMut(Posted<J>, C) -> O + Send + 'static,
        wake: impl Fn() + Send + 'static,
    ) -> Self {
        let kinds = kinds.max(1);
        let requests = (0..kinds).map(|_| None).collect();
        let shared = Arc::new(Shared { slot: Mutex::new(Slot { requests, config, busy: false, quit: false }), wake: Condvar::new() });
        let (tx, results) = channel();
        let worker = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().name(name.into()).spawn(move || worker_loop(&worker, &tx, run, &wake));
        if let Err(e) = spawned {
            eprintln!("fude: cannot start the {name} thread: {e}");
        }
        Worker { shared, results, next_id: 0, wanted: vec![0; kinds], kind_of }
    }
}

impl<J, C: Clone, O> Worker<J, C, O> {
    /// Posts a job, replacing one of its kind that has not started. Returns its id.
    pub fn post(&mut self, job: J) -> u64 {
        self.next_id += 1;
        let kind = (self.kind_of)(&job).min(self.wanted.len().saturating_sub(1));
        if let Some(w) = self.wanted.get_mut(kind) {
            *w = self.next_id;
        }
        if let Ok(mut slot) = self.shared.slot.lock() {
            if let Some(r) = slot.requests.get_mut(kind) {
                *r = Some(Posted { id: self.next_id, job, posted: Instant::now() });
            }
        }
        self.shared.wake.notify_one();
        self.next_id
    }

    /// Forgets pending outcomes of every kind (e.g. the canvas was cleared).
    pub fn cancel(&mut self) {
        self.next_id += 1;
        let id = self.next_id;
        self.wanted.iter_mut().for_each(|w| *w = id);
        if let Ok(mut slot) = self.shared.slot.lock() {
            slot.requests.iter_mut().for_each(|r| *r = None);
        }
    }

    /// Whether a job is waiting or running.
    pub fn is_busy(&self) -> bool {
        self.shared.slot.lock().map(|s| s.busy || s.requests.iter().any(Option::is_some)).unwrap_or(false)
    }

    /// A copy of the settings jobs run with.
    pub fn config(&self) -> Option<C> {
        self.shared.slot.lock().ok().map(|s| s.config.clone())
    }

    /// Changes the settings, from the next job on.
    pub fn update_config(&self, change: impl FnOnce(&mut C)) {
        if let Ok(mut slot) = self.shared.slot.lock() {
            change(&mut slot.config);
        }
    }

    /// The newest wanted outcome of each kind that arrived since the last call, in kind order
    /// (older ones are dropped).
    pub fn poll_each(&mut self) -> Vec<O> {
        let mut latest: Vec<Option<O>> = self.wanted.iter().map(|_| None).collect();
        while let Ok((id, outcome)) = self.results.try_recv() {
            if let Some(l) = self.wanted.iter().position(|&w| w == id).and_then(|kind| latest.get_mut(kind)) {
                *l = Some(outcome);
            }
        }
        latest.into_iter().flatten().collect()
    }

    /// The newest wanted outcome, if one arrived since the last call (for a one-slot worker).
    pub fn poll(&mut self) -> Option<O> {
        self.poll_each().pop()
    }
}

impl<J, C, O> Drop for Worker<J, C, O> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.shared.slot.lock() {
            slot.quit = true;
        }
        self.shared.wake.notify_all();
    }
}

fn worker_loop<J, C: Clone, O>(shared: &Shared<J, C>, tx: &Sender<(u64, O)>, mut run: impl FnMut(Posted<J>, C) -> O, wake: &dyn Fn()) {
    loop {
        let (request, config) = {
            let Ok(mut slot) = shared.slot.lock() else { return };
            loop {
                if slot.quit {
                    return;
                }
                if let Some(request) = slot.requests.iter_mut().find_map(Option::take) {
                    slot.busy = true;
                    break (request, slot.config.clone());
                }
                slot = match shared.wake.wait(slot) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        };
        let id = request.id;
        let outcome = run(request, config);
        if let Ok(mut slot) = shared.slot.lock() {
            slot.busy = false;
        }
        if tx.send((id, outcome)).is_err() {
            return;
        }
        wake();
    }
}

/// Tests: calls `poll` every 2 ms until it hands over an outcome; fails saying `what` after
/// `secs` seconds without one.
#[cfg(test)]
pub(crate) fn wait_for<O>(what: &str, secs: u64, mut poll: impl FnMut() -> Option<O>) -> O {
    let t = Instant::now();
    loop {
        if let Some(o) = poll() {
            return o;
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(secs), "{what}");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait<J, C: Clone, O>(w: &mut Worker<J, C, O>) -> O {
        wait_for("no outcome", 20, || w.poll())
    }

    #[test]
    fn the_newest_job_wins_with_the_settings_of_its_time() {
        let mut w: Worker<u32, u32, (u64, u32)> = Worker::start(
            "test",
            10,
            |p, c| {
                std::thread::sleep(Duration::from_millis(20));
                (p.id, p.job + c)
            },
            || {},
        );
        w.post(1);
        w.post(2);
        let id = w.post(3);
        assert_eq!(wait(&mut w), (id, 13), "only the newest outcome is handed over");
        w.update_config(|c| *c = 100);
        assert_eq!(w.config(), Some(100));
        w.post(4);
        assert!(w.is_busy());
        assert_eq!(wait(&mut w).1, 104);
        w.post(5);
        w.cancel();
        std::thread::sleep(Duration::from_millis(60));
        assert!(w.poll().is_none(), "a cancelled job's outcome is dropped");
        assert!(!w.is_busy());
    }

    #[test]
    fn each_kind_keeps_its_newest_job() {
        // Kind = job % 2; the first job keeps the thread busy while the others wait.
        let mut w: Worker<u32, (), u32> = Worker::with_kinds(
            "test",
            2,
            |j| (*j % 2) as usize,
            (),
            |p, ()| {
                std::thread::sleep(Duration::from_millis(30));
                p.job
            },
            || {},
        );
        w.post(1);
        std::thread::sleep(Duration::from_millis(5));
        for j in [2, 3, 4, 5] {
            w.post(j);
        }
        let t = Instant::now();
        let mut got = Vec::new();
        while got.len() < 2 && t.elapsed() < Duration::from_secs(20) {
            got.extend(w.poll_each());
            std::thread::sleep(Duration::from_millis(2));
        }
        got.sort_unstable();
        assert_eq!(got, vec![4, 5], "the newest of each kind, nothing older");
    }
}
