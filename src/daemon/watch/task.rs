//! The watch task: wakes when a status report of the BLOB served becomes effective (00:00 UTC
//! of its date, [`next_status_change`]) and publishes the changes ([`Shared::publish_effective_dates`]),
//! and writes the watch history to the state directory whenever it changed (an event, a new
//! effective-date instant), off the loop so that a hung disk never holds up the events.
//!
//! Time is the daemon's ([`Shared::now`]): with a pinned `danger_clock` the task waits for the
//! clock to be moved ([`Shared::set_pinned_clock`]) or a BLOB to be installed, never on the
//! system clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::super::snapshot_file::{SnapshotError, StateDir};
use super::super::state::Shared;
use super::HistoryState;
use crate::changes::next_status_change;

/// The longest sleep towards a boundary: the system clock may be set or jump meanwhile (the
/// sleep itself runs on the monotonic clock).
pub const MAX_SLEEP: Duration = Duration::from_secs(300);
/// The shortest sleep (a wake a hair before the boundary sleeps again this long at least).
const MIN_SLEEP: Duration = Duration::from_millis(10);
/// How long shutdown waits for the last history write.
const FINAL_WRITE_WAIT: Duration = Duration::from_secs(5);

/// Runs until `stop`: the effective-date check at every wake (boundary, BLOB installed, clock
/// moved), then the history write when it changed. `state`: where the history is kept
/// (`None`: not kept). The last write is waited for (at most [`FINAL_WRITE_WAIT`]) at stop.
pub async fn run(shared: Arc<Shared>, state: Option<StateDir>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut changes = shared.subscribe();
    let mut writer = state.map(Writer::new);
    loop {
        let now = shared.now();
        shared.publish_effective_dates(now);
        if let Some(w) = writer.as_mut() {
            w.start(&shared);
        }
        let wait = next_wait(&shared, now);
        tokio::select! {
            r = changes.changed() => if r.is_err() { break },
            () = sleep_or_pending(wait) => {}
            () = write_done(&mut writer) => {}
            () = &mut stop => break,
        }
    }
    if let Some(w) = writer.as_mut() {
        if tokio::time::timeout(FINAL_WRITE_WAIT, w.finish(&shared)).await.is_err() {
            tracing::warn!(
                wait_secs = FINAL_WRITE_WAIT.as_secs(),
                "the watch history was not written before shutdown (state directory stuck); \
                 the next start replays from the last one written"
            );
        }
    }
}

/// How long to sleep before the next boundary of the BLOB served (`None`: no boundary ahead,
/// or a pinned clock, which only moves when told).
pub fn next_wait(shared: &Shared, now: OffsetDateTime) -> Option<Duration> {
    let loaded = shared.current()?;
    let next = next_status_change(&loaded.blob.store, now)?;
    if shared.pinned_clock().is_some() {
        return None;
    }
    let until = Duration::try_from(next - now).unwrap_or(Duration::ZERO);
    Some(until.clamp(MIN_SLEEP, MAX_SLEEP))
}

async fn sleep_or_pending(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

type Write = JoinHandle<Result<usize, SnapshotError>>;

/// Writes the history when its generation moved, one write at a time, on the blocking pool.
struct Writer {
    dir: StateDir,
    /// The generation on disk (0: what was read at start-up, or nothing).
    written: u64,
    in_flight: Option<(u64, usize, Write)>,
}

impl Writer {
    fn new(dir: StateDir) -> Writer {
        Writer { dir, written: 0, in_flight: None }
    }

    /// Starts a write of the current history unless one is running or nothing changed.
    fn start(&mut self, shared: &Shared) {
        if self.in_flight.is_some() || shared.watch.generation() == self.written {
            return;
        }
        let (generation, state) = shared.watch.state();
        let held = state.events.len();
        let dir = self.dir.clone();
        let handle = tokio::task::spawn_blocking(move || store(&dir, &state));
        self.in_flight = Some((generation, held, handle));
    }

    /// Waits for the running write (at once without one) and records its outcome.
    async fn done(&mut self) {
        let Some((generation, held, handle)) = self.in_flight.as_mut() else { return };
        let (generation, held) = (*generation, *held);
        let result = handle.await;
        self.in_flight = None;
        match result {
            Ok(Ok(written)) => {
                self.written = generation;
                if written < held {
                    tracing::warn!(held, written, path = %self.dir.watch_history_path().display(),
                        "the watch history is larger than the file may be: the oldest events \
                         were left out of it (replay after a restart starts later)");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e,
                "the watch history could not be written (kept in memory; retried at the next \
                 change)"),
            Err(e) => tracing::warn!(error = %e, "the watch history write task failed"),
        }
    }

    /// Waits for the running write, then writes what changed since.
    async fn finish(&mut self, shared: &Shared) {
        self.done().await;
        self.start(shared);
        self.done().await;
    }
}

/// Completes when the running write ends; never when none runs.
async fn write_done(writer: &mut Option<Writer>) {
    match writer.as_mut() {
        Some(w) if w.in_flight.is_some() => w.done().await,
        _ => std::future::pending().await,
    }
}

fn store(dir: &StateDir, state: &HistoryState) -> Result<usize, SnapshotError> {
    dir.store_watch_history(state)
}
