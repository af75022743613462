//! A bounded, thread-safe cache of validated attestation chains.
//!
//! Key: the SHA-256 of every certificate offered (leaf first) and a digest of the anchor set
//! (which changes with the trust store). Value: the validated path and the time window in which
//! every certificate on it is valid. A hit is used only when `now` lies inside that window, so
//! the cache never extends a certificate's validity; outside it the path is built again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::x509::VerifiedPath;

/// Default number of cached chains; the map is cleared when it is full.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Cache key: the chain's certificate fingerprints and the anchor-set digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ChainKey {
    pub chain: Vec<[u8; 32]>,
    pub anchors: [u8; 32],
}

#[derive(Debug, Clone)]
struct Cached {
    path: VerifiedPath,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// Counters for observability and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
}

/// The chain cache shared by all verifications of one [`super::Verifier`].
#[derive(Debug)]
pub struct ChainCache {
    capacity: usize,
    map: Mutex<HashMap<ChainKey, Cached>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ChainCache {
    pub fn new(capacity: usize) -> ChainCache {
        ChainCache {
            capacity,
            map: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.map.lock().map(|m| m.len()).unwrap_or(0),
        }
    }

    /// A cached path valid at `now`, counting a hit; `None` (a miss) otherwise.
    pub(crate) fn get(&self, key: &ChainKey, now: OffsetDateTime) -> Option<VerifiedPath> {
        let found = self.map.lock().ok().and_then(|m| {
            m.get(key).filter(|c| c.not_before <= now && now <= c.not_after).map(|c| c.path.clone())
        });
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Stores a validated path with the intersection of its certificates' validity windows.
    pub(crate) fn insert(&self, key: ChainKey, path: &VerifiedPath) {
        if self.capacity == 0 {
            return;
        }
        let not_before = path.chain.iter().map(|c| c.not_before()).max();
        let not_after = path.chain.iter().map(|c| c.not_after()).min();
        let (Some(not_before), Some(not_after)) = (not_before, not_after) else {
            return;
        };
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(key, Cached { path: path.clone(), not_before, not_after });
        }
    }
}

impl Default for ChainCache {
    fn default() -> Self {
        ChainCache::new(DEFAULT_CAPACITY)
    }
}
