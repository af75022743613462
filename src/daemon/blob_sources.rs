//! What each further BLOB source (`[[blob_source]]`) holds and how its refresh loop fares, for
//! GetMetadataInfo: one [`BlobSourceStatus`] per configured source, written only by that
//! source's loop ([`super::refresh`]), read by the gRPC service.

use std::sync::Mutex;

use time::{Date, OffsetDateTime};

/// The status of every further BLOB source, in configuration order.
#[derive(Debug, Default)]
pub struct BlobSourceBoard {
    sources: Mutex<Vec<BlobSourceStatus>>,
}

/// One further BLOB source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobSourceStatus {
    /// The configured name.
    pub name: String,
    /// Lowercase hex SHA-256 of each pinned root.
    pub roots_sha256: Vec<String>,
    /// The last good BLOB verified (kept while the source fails); `None` before the first.
    pub held: Option<HeldBlob>,
    /// True while its entries are served (a BLOB is held and is not stale beyond its grace).
    pub served: bool,
    /// The last failure; `None` after a success.
    pub last_error: Option<String>,
    pub last_refresh_at: Option<OffsetDateTime>,
    pub last_success_at: Option<OffsetDateTime>,
    pub next_refresh_at: Option<OffsetDateTime>,
    pub consecutive_failures: u32,
    /// When its entries stop being served if no newer BLOB arrives (`None`: nothing held, or
    /// `danger_serve_stale`).
    pub serve_until: Option<OffsetDateTime>,
}

/// The BLOB a further source holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBlob {
    pub no: u64,
    pub next_update: Date,
    /// Entries it carries (served unless another source claims the same key first).
    pub entries: usize,
    pub verified_at: OffsetDateTime,
    /// True when restored from the source's state directory rather than freshly obtained.
    pub restored: bool,
}

impl HeldBlob {
    /// Past its nextUpdate at `now` (as the MDS BLOB's staleness).
    pub fn is_stale(&self, now: OffsetDateTime) -> bool {
        now.to_offset(time::UtcOffset::UTC).date() > self.next_update
    }
}

impl BlobSourceBoard {
    /// Registers a source (its loop calls this once, before its first round).
    pub fn register(&self, name: &str, roots_sha256: Vec<String>) {
        if let Ok(mut sources) = self.sources.lock() {
            if !sources.iter().any(|s| s.name == name) {
                sources.push(BlobSourceStatus {
                    name: name.to_string(),
                    roots_sha256,
                    ..BlobSourceStatus::default()
                });
            }
        }
    }

    /// Changes the status of source `name` (registered by [`BlobSourceBoard::register`]).
    pub fn update(&self, name: &str, f: impl FnOnce(&mut BlobSourceStatus)) {
        if let Ok(mut sources) = self.sources.lock() {
            if let Some(status) = sources.iter_mut().find(|s| s.name == name) {
                f(status);
            }
        }
    }

    /// Every source, in registration (configuration) order.
    pub fn all(&self) -> Vec<BlobSourceStatus> {
        self.sources.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
