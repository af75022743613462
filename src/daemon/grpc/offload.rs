//! Where a verification runs: inline on the tokio worker when its cost is bounded, otherwise on
//! tokio's blocking pool behind a semaphore of [`slow_path_permits`] (callers beyond it wait
//! without holding a worker). The handlers decide which (the core tells them: a `…_cached`
//! call or a deferred verification); this module only counts and runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::ApiError;

/// CheckCredentials batches up to this size are judged on the worker (≈ 1 µs per credential);
/// larger ones on the blocking pool.
pub const INLINE_CREDENTIALS: usize = 256;

/// How many slow verifications (path building, compound statements, large batches) run at
/// once on tokio's blocking pool: half the CPUs, at least one, so that the workers keep CPU
/// time for the inline (cached) calls whatever the slow traffic.
pub fn slow_path_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get() / 2).max(1)
}

/// Where verifications ran (for tests and diagnostics).
#[derive(Debug, Default)]
pub struct OffloadStats {
    /// Answered on the tokio worker.
    pub inline: AtomicU64,
    /// Sent to the blocking pool (after waiting for a slow-path permit).
    pub offloaded: AtomicU64,
}

/// The slow-path permits and the counts of where work ran; cheap to clone (shared).
#[derive(Debug, Clone)]
pub(super) struct Offload {
    pub(super) slow: Arc<Semaphore>,
    pub(super) stats: Arc<OffloadStats>,
}

impl Offload {
    pub(super) fn new() -> Offload {
        Offload {
            slow: Arc::new(Semaphore::new(slow_path_permits())),
            stats: Arc::new(OffloadStats::default()),
        }
    }

    /// Counts an inline answer and passes it on.
    pub(super) fn inline<T>(&self, value: T) -> T {
        self.stats.inline.fetch_add(1, Ordering::Relaxed);
        value
    }

    /// Runs `work` on the blocking pool once a slow-path permit is free; the permit is held
    /// until `work` returns (also when the caller stops waiting).
    pub(super) async fn run<T, F>(&self, what: &str, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self
            .slow
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("{what}: slow-path semaphore: {e}")))?;
        self.stats.offloaded.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::Internal(format!("{what} task: {e}")))
    }
}
