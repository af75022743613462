//! The watch task: wakes when a status report of the BLOB served becomes effective (00:00 UTC
//! of its date, [`next_status_change`]) and publishes the changes
//! ([`Shared::publish_effective_dates`]), and writes the watch history to the state directory
//! whenever it changed (an event, a new effective-date instant), off the loop so that a hung
//! disk never holds up the events.
//!
//! Time is the daemon's ([`Shared::now`]): with a pinned `danger_clock` the task waits for the
//! clock to be moved ([`Shared::set_pinned_clock`]) or a BLOB to be installed, never on the
//! system clock.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::super::metrics::Metrics;
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
/// After a failed write (disk full, read-only), how long before the same history is tried
/// again when nothing changed meanwhile (a change is tried at once).
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// Runs until `stop`: the effective-date check at every wake (boundary, BLOB installed, clock
/// moved), then the history write when it changed. `state`: where the history is kept
/// (`None`: not kept). The last write is waited for (at most [`FINAL_WRITE_WAIT`]) at stop.
pub async fn run(shared: Arc<Shared>, state: Option<StateDir>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut changes = shared.subscribe();
    let mut writer = state.map(|dir| Writer::new(dir, Arc::clone(&shared.metrics)));
    loop {
        let now = shared.now();
        shared.publish_effective_dates(now);
        if let Some(w) = writer.as_mut() {
            w.start(&shared);
        }
        let wait = next_wait(&shared, now);
        let retry = writer.as_ref().and_then(Writer::retry_at);
        tokio::select! {
            r = changes.changed() => if r.is_err() { break },
            () = sleep_or_pending(wait) => {}
            () = write_done(&mut writer) => {}
            () = retry_due(retry) => {}
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
    /// Counts the failed writes (`mdsd_watch_history_write_failures_total`).
    metrics: Arc<Metrics>,
    /// The generation on disk (0: what was read at start-up, or nothing).
    written: u64,
    in_flight: Option<(u64, usize, Write)>,
    /// The generation whose write failed last, and when it may be tried again: without it a
    /// full disk would be written to in a loop.
    failed: Option<(u64, Instant)>,
}

impl Writer {
    fn new(dir: StateDir, metrics: Arc<Metrics>) -> Writer {
        Writer { dir, metrics, written: 0, in_flight: None, failed: None }
    }

    /// Starts a write of the current history unless one is running, nothing changed, or the
    /// same history failed to be written less than [`RETRY_AFTER`] ago.
    fn start(&mut self, shared: &Shared) {
        let generation = shared.watch.generation();
        if generation == self.written {
            self.failed = None;
            return;
        }
        if self.in_flight.is_some() {
            return;
        }
        if self.failed.is_some_and(|(g, retry_at)| g == generation && Instant::now() < retry_at) {
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
                self.failed = None;
                if written < held {
                    tracing::warn!(held, written, path = %self.dir.watch_history_path().display(),
                        "the watch history is larger than the file may be: the oldest events \
                         were left out of it (replay after a restart starts later)");
                }
            }
            Ok(Err(e)) => {
                self.failed_write(generation);
                tracing::warn!(error = %e, retry_secs = RETRY_AFTER.as_secs(),
                    "the watch history could not be written (kept in memory; retried at the next \
                     change, or after retry_secs)");
            }
            Err(e) => {
                self.failed_write(generation);
                tracing::warn!(error = %e, "the watch history write task failed");
            }
        }
    }

    /// When a failed write is due to be tried again (`None`: none failed, or a write runs).
    fn retry_at(&self) -> Option<Instant> {
        match (&self.in_flight, self.failed) {
            (None, Some((_, at))) => Some(at),
            _ => None,
        }
    }

    fn failed_write(&mut self, generation: u64) {
        self.metrics.watch_history_write_failed();
        self.failed = Some((generation, Instant::now() + RETRY_AFTER));
    }

    /// Waits for the running write, then writes what changed since (once more after a
    /// failure: the disk may have been freed meanwhile).
    async fn finish(&mut self, shared: &Shared) {
        self.done().await;
        self.failed = None;
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

/// Completes at `retry_at`; never without it.
async fn retry_due(retry_at: Option<Instant>) {
    match retry_at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn store(dir: &StateDir, state: &HistoryState) -> Result<usize, SnapshotError> {
    dir.store_watch_history(state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use mdsd_test_support::metric_value;
    use time::macros::datetime;

    use super::*;
    use crate::daemon::metrics::Metrics;
    use crate::daemon::state::{loaded_for_tests, StalePolicy};

    fn shared(clock: Option<OffsetDateTime>) -> Shared {
        let policy = StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false };
        Shared::new(policy, Arc::new(Metrics::new())).with_clock(clock)
    }

    fn install(s: &Shared, at: OffsetDateTime) {
        let json = r#"{"no": 3, "nextUpdate": "2030-01-01", "entries": [{
            "aaguid": "cb69481e-8ff7-4039-93ec-0a2729a154a8",
            "metadataStatement": {"aaguid": "cb69481e-8ff7-4039-93ec-0a2729a154a8",
                "description": "m", "authenticatorVersion": 2, "protocolFamily": "fido2",
                "schema": 3, "attestationTypes": ["basic_full"], "attestationRootCertificates": []},
            "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
                              {"status": "REVOKED", "effectiveDate": "2027-01-01"}],
            "timeOfLastStatusChange": "2020-01-01"}]}"#;
        s.install(loaded_for_tests(json, at), at);
    }

    /// System clock: sleep until the boundary, at most MAX_SLEEP, at least MIN_SLEEP; nothing
    /// served or no boundary ahead: no timer.
    #[test]
    fn the_timer_aims_at_the_next_boundary_within_bounds() {
        let s = shared(None);
        let boundary = datetime!(2027-01-01 00:00 UTC);
        assert_eq!(next_wait(&s, boundary - time::Duration::seconds(2)), None, "nothing served");
        install(&s, datetime!(2026-12-01 00:00 UTC));
        assert_eq!(
            next_wait(&s, boundary - time::Duration::seconds(2)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(next_wait(&s, datetime!(2026-12-01 00:00 UTC)), Some(MAX_SLEEP));
        assert_eq!(next_wait(&s, boundary - time::Duration::nanoseconds(1)), Some(MIN_SLEEP));
        assert_eq!(next_wait(&s, boundary), None, "no later report");
    }

    /// Pinned clock: no timer (it waits for the clock to be moved), and moving it wakes the
    /// subscribers; the system clock is never overridden.
    #[test]
    fn a_pinned_clock_moves_only_when_told() {
        let pinned = datetime!(2026-12-31 23:59:59 UTC);
        let s = shared(Some(pinned));
        install(&s, pinned);
        assert_eq!(next_wait(&s, pinned), None);
        let mut rx = s.subscribe();
        rx.borrow_and_update();
        assert!(s.set_pinned_clock(datetime!(2027-01-01 00:00 UTC)));
        assert!(rx.has_changed().unwrap());
        assert_eq!(s.now(), datetime!(2027-01-01 00:00 UTC));
        let e = s.publish_effective_dates(s.now()).unwrap();
        assert_eq!((e.sequence, e.no, e.previous_no), (1, 3, 3));
        let system = shared(None);
        assert!(!system.set_pinned_clock(pinned));
        assert_eq!(system.pinned_clock(), None);
    }

    /// A write that fails (here: the state directory is gone) is counted and not retried in a
    /// loop: once when it fails, once more at shutdown — not again while nothing changes.
    #[tokio::test]
    async fn a_failed_history_write_is_counted_and_not_retried_in_a_loop() {
        let at = datetime!(2026-12-01 00:00 UTC);
        let s = Arc::new(shared(Some(at)));
        install(&s, at);
        assert!(s.watch.generation() > 0, "there is a history to write");
        let path = std::env::temp_dir().join(format!("mdsd-watch-task-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let (dir, _) = StateDir::open(&path).unwrap();
        std::fs::remove_dir_all(&path).unwrap();

        // A second of wall time: a loop would fail thousands of times in it.
        run(s.clone(), Some(dir), tokio::time::sleep(Duration::from_secs(1))).await;
        let failures =
            metric_value(&s.render_metrics(at), "mdsd_watch_history_write_failures_total ");
        assert_eq!(failures, 2.0);
    }
}
