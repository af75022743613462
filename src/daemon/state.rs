//! The state shared by the refresh loop, the gRPC service and the admin endpoint: the verified
//! BLOB being served (swapped atomically, never mutated), the refresh status, and the stale
//! policy that decides whether requests may be answered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use time::{OffsetDateTime, Time};
use tokio::sync::{watch, Notify};

use super::metrics::Metrics;
use crate::mds::VerifiedBlob;

/// A verified BLOB and where it came from.
#[derive(Debug)]
pub struct Loaded {
    pub blob: VerifiedBlob,
    /// URL or path it was obtained from.
    pub source: String,
    /// True when it was restored from the state directory rather than freshly obtained.
    pub restored: bool,
    pub fetched_at: OffsetDateTime,
    pub verified_at: OffsetDateTime,
    pub etag: Option<String>,
    /// SHA-256 of the BLOB bytes (to recognise an unchanged BLOB without verifying it again).
    pub blob_sha256: [u8; 32],
}

/// SHA-256 of BLOB bytes, as kept in [`Loaded::blob_sha256`].
pub fn blob_digest(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// What the refresh loop last did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshStatus {
    /// The last failure, `None` after a success.
    pub last_error: Option<String>,
    pub last_refresh_at: Option<OffsetDateTime>,
    pub next_refresh_at: Option<OffsetDateTime>,
    pub consecutive_failures: u32,
}

/// How long a stale BLOB may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StalePolicy {
    pub grace: Duration,
    /// `danger_serve_stale`: never fail closed.
    pub serve_stale: bool,
}

/// Why a request cannot be answered from metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// No verified BLOB yet (start-up, or every attempt failed).
    NotLoaded { last_error: Option<String> },
    /// The BLOB is past nextUpdate and the grace period is over: fail closed.
    StaleBeyondGrace { no: u64, next_update: time::Date, serve_until: OffsetDateTime },
}

/// The shared state. Cheap to read from any task.
#[derive(Debug)]
pub struct Shared {
    current: ArcSwapOption<Loaded>,
    status: Mutex<RefreshStatus>,
    policy: StalePolicy,
    changed: watch::Sender<u64>,
    refresh_now: Notify,
    pub metrics: Arc<Metrics>,
}

impl Shared {
    pub fn new(policy: StalePolicy, metrics: Arc<Metrics>) -> Shared {
        Shared {
            current: ArcSwapOption::empty(),
            status: Mutex::new(RefreshStatus::default()),
            policy,
            changed: watch::channel(0).0,
            refresh_now: Notify::new(),
            metrics,
        }
    }

    pub fn policy(&self) -> StalePolicy {
        self.policy
    }

    /// The BLOB being served, if any, regardless of staleness.
    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.current.load_full()
    }

    /// Replaces the served BLOB whole (readers holding the old `Arc` keep it until done).
    pub fn install(&self, loaded: Loaded) {
        self.metrics.set_loaded(&loaded);
        self.current.store(Some(Arc::new(loaded)));
        self.notify();
    }

    /// The BLOB a request may use at `now`, with its stale flag, or why there is none.
    pub fn for_request(&self, now: OffsetDateTime) -> Result<(Arc<Loaded>, bool), Unavailable> {
        let Some(loaded) = self.current() else {
            return Err(Unavailable::NotLoaded { last_error: self.status().last_error });
        };
        let stale = loaded.blob.is_stale(now);
        if stale {
            if let Some(serve_until) = self.serve_until(&loaded) {
                if now >= serve_until {
                    return Err(Unavailable::StaleBeyondGrace {
                        no: loaded.blob.no,
                        next_update: loaded.blob.next_update,
                        serve_until,
                    });
                }
            }
        }
        Ok((loaded, stale))
    }

    /// When serving `loaded` stops: the end of its nextUpdate day (UTC) plus the grace period;
    /// `None` with `danger_serve_stale`.
    pub fn serve_until(&self, loaded: &Loaded) -> Option<OffsetDateTime> {
        if self.policy.serve_stale {
            return None;
        }
        let stale_from = loaded
            .blob
            .next_update
            .next_day()
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
            .unwrap_or(OffsetDateTime::now_utc());
        Some(stale_from.saturating_add(
            time::Duration::try_from(self.policy.grace).unwrap_or(time::Duration::MAX),
        ))
    }

    pub fn status(&self) -> RefreshStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn update_status(&self, f: impl FnOnce(&mut RefreshStatus)) {
        if let Ok(mut status) = self.status.lock() {
            f(&mut status);
        }
        self.notify();
    }

    /// Receives a new value whenever the served BLOB or the refresh status changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Asks the refresh loop to refresh now (SIGHUP, admin endpoint).
    pub fn trigger_refresh(&self) {
        self.refresh_now.notify_one();
    }

    /// Completes when a refresh was triggered.
    pub async fn refresh_requested(&self) {
        self.refresh_now.notified().await;
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}
