//! A bounded, thread-safe cache of attestation chain validation outcomes, trusted and not.
//!
//! Key: the SHA-256 of every certificate offered (leaf first) and a digest of the anchor set
//! (certificates and labels; it changes with the trust store whenever an entry's roots do).
//! Value: what [`crate::x509::build_path`] returned, the validated path or the error, with the
//! validity state (not yet valid / valid / expired) of every offered certificate at the time it
//! was computed. A cached outcome is used only when every offered certificate is in the same
//! state at `now`: `build_path` depends on `now` only through those states (the anchor's own
//! validity is not checked, RFC 5280 §6.1.1 (d)), so it would return the same outcome. The
//! cache therefore never extends a certificate's validity, and a cached failure can never
//! become a success (nor the reverse): a change of state is a miss and the path is built again.
//! The two `now` fields a failure carries (`Expired`, `NotYetValid`) are set to the caller's
//! `now` on a hit.
//!
//! Trusted and untrusted outcomes are kept in two maps of the same capacity, each cleared when
//! full, so that a flood of distinct untrusted chains cannot evict the trusted ones.
//!
//! Beside it, [`CERTS`]: the parsed x5c certificates, keyed by the SHA-256 of their DER, so that a
//! chain seen before costs no re-parse (parsing is a pure function of the bytes; no time enters).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use time::OffsetDateTime;

use crate::crypto::sha256;
use crate::x509::{Cert, CertError, PathError, VerifiedPath};

/// Default number of cached chains, trusted and untrusted each; a map is cleared when full.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Cache key: the chain's certificate fingerprints and the anchor-set digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ChainKey {
    pub chain: Vec<[u8; 32]>,
    pub anchors: [u8; 32],
}

/// Where `now` lies in one certificate's validity period (RFC 5280 §6.1.3 (a)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validity {
    NotYetValid,
    Valid,
    Expired,
}

/// The validity state of each offered certificate, leaf first.
fn states(certs: &[Arc<Cert>], now: OffsetDateTime) -> Vec<Validity> {
    certs
        .iter()
        .map(|c| {
            if now < c.not_before() {
                Validity::NotYetValid
            } else if now > c.not_after() {
                Validity::Expired
            } else {
                Validity::Valid
            }
        })
        .collect()
}

/// A path-building outcome and the states it was computed under.
#[derive(Debug, Clone)]
struct Cached<T> {
    value: T,
    states: Vec<Validity>,
}

/// Counters for observability and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Outcomes held, trusted and untrusted.
    pub entries: usize,
}

#[derive(Debug, Default)]
struct Maps {
    valid: HashMap<ChainKey, Cached<VerifiedPath>>,
    invalid: HashMap<ChainKey, Cached<PathError>>,
}

/// The chain cache shared by all verifications of one [`super::Verifier`].
#[derive(Debug)]
pub struct ChainCache {
    capacity: usize,
    maps: Mutex<Maps>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ChainCache {
    pub fn new(capacity: usize) -> ChainCache {
        ChainCache {
            capacity,
            maps: Mutex::new(Maps::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.maps.lock().map(|m| m.valid.len() + m.invalid.len()).unwrap_or(0),
        }
    }

    /// The outcome cached for `key` when every certificate of `offered` (leaf first, the
    /// certificates `key.chain` fingerprints) is in the same validity state at `now` as when it
    /// was computed, counting a hit; `None` (a miss) otherwise, counted only when `count_miss`
    /// (an inline attempt that defers to a full verification leaves the miss to that one, so a
    /// call is never counted twice).
    pub(crate) fn get(
        &self,
        key: &ChainKey,
        offered: &[Arc<Cert>],
        now: OffsetDateTime,
        count_miss: bool,
    ) -> Option<Result<VerifiedPath, PathError>> {
        let found = self.maps.lock().ok().and_then(|m| {
            let (valid, invalid) = (m.valid.get(key), m.invalid.get(key));
            if valid.is_none() && invalid.is_none() {
                return None;
            }
            let now_states = states(offered, now);
            if let Some(c) = valid.filter(|c| c.states == now_states) {
                return Some(Ok(c.value.clone()));
            }
            invalid.filter(|c| c.states == now_states).map(|c| Err(at(c.value.clone(), now)))
        });
        match found {
            Some(_) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
            }
            None if count_miss => {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
        found
    }

    /// Stores what `build_path` returned for `key` at `now` (`offered` as for [`Self::get`]),
    /// replacing an outcome of other validity states.
    pub(crate) fn insert(
        &self,
        key: ChainKey,
        offered: &[Arc<Cert>],
        now: OffsetDateTime,
        outcome: &Result<VerifiedPath, PathError>,
    ) {
        if self.capacity == 0 {
            return;
        }
        let states = states(offered, now);
        let Ok(mut maps) = self.maps.lock() else {
            return;
        };
        let capacity = self.capacity;
        match outcome {
            Ok(path) => {
                maps.invalid.remove(&key);
                if maps.valid.len() >= capacity {
                    maps.valid.clear();
                }
                maps.valid.insert(key, Cached { value: path.clone(), states });
            }
            Err(error) => {
                maps.valid.remove(&key);
                if maps.invalid.len() >= capacity {
                    maps.invalid.clear();
                }
                maps.invalid.insert(key, Cached { value: error.clone(), states });
            }
        }
    }
}

impl Default for ChainCache {
    fn default() -> Self {
        ChainCache::new(DEFAULT_CAPACITY)
    }
}

/// A cached failure as `build_path` would report it at `now` (the only fields that name the
/// time of the check).
fn at(error: PathError, now: OffsetDateTime) -> PathError {
    match error {
        PathError::Expired { subject, serial, not_before, not_after, now: _ } => {
            PathError::Expired { subject, serial, not_before, not_after, now }
        }
        PathError::NotYetValid { subject, serial, not_before, now: _ } => {
            PathError::NotYetValid { subject, serial, not_before, now }
        }
        other => other,
    }
}

/// Most parsed certificates kept by [`CERTS`]; the map is cleared when it is full.
pub(crate) const CERT_CACHE_ENTRIES: usize = 1024;
/// Most DER bytes kept by [`CERTS`] (a parsed certificate holds about twice its DER).
pub(crate) const CERT_CACHE_BYTES: usize = 4 << 20;

/// The parsed attestation certificates of this process, shared by every verifier: the same
/// x5c bytes always parse to the same certificate, so sharing cannot change a result.
pub(crate) static CERTS: LazyLock<CertCache> =
    LazyLock::new(|| CertCache::new(CERT_CACHE_ENTRIES, CERT_CACHE_BYTES));

/// A bounded, thread-safe map from SHA-256(DER) to the parsed certificate. Only successful
/// parses are kept; a DER that does not parse is parsed (and refused) again each time.
#[derive(Debug)]
pub(crate) struct CertCache {
    max_entries: usize,
    max_bytes: usize,
    inner: RwLock<CertMap>,
}

#[derive(Debug, Default)]
struct CertMap {
    map: HashMap<[u8; 32], Arc<Cert>>,
    bytes: usize,
}

impl CertCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> CertCache {
        CertCache { max_entries, max_bytes, inner: RwLock::new(CertMap::default()) }
    }

    /// `Cert::from_der(der)`, from the cache when these exact bytes were parsed before.
    pub(crate) fn parse(&self, der: &[u8]) -> Result<Arc<Cert>, CertError> {
        let key = sha256(der);
        if let Some(hit) = self.inner.read().ok().and_then(|m| m.map.get(&key).cloned()) {
            return Ok(hit);
        }
        let cert = Arc::new(Cert::from_der(der)?);
        if self.max_entries == 0 || der.len() > self.max_bytes {
            return Ok(cert);
        }
        if let Ok(mut m) = self.inner.write() {
            if !m.map.contains_key(&key) {
                if m.map.len() >= self.max_entries || m.bytes + der.len() > self.max_bytes {
                    m.map.clear();
                    m.bytes = 0;
                }
                m.bytes += der.len();
                m.map.insert(key, Arc::clone(&cert));
            }
        }
        Ok(cert)
    }

    /// (entries, DER bytes) held now.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        self.inner.read().map(|m| (m.map.len(), m.bytes)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn der(name: &str) -> Vec<u8> {
        rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap().cert.der().to_vec()
    }

    #[test]
    fn cert_cache_returns_the_parsed_certificate_of_the_same_bytes() {
        let cache = CertCache::new(8, 1 << 20);
        let (a, b) = (der("a.example"), der("b.example"));
        let first = cache.parse(&a).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.parse(&a).unwrap()), "second parse is a hit");
        assert_eq!(first.der, a);
        let other = cache.parse(&b).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(other.der, b);
        assert_eq!(cache.size(), (2, a.len() + b.len()));
    }

    #[test]
    fn cert_cache_keeps_no_failures_and_stays_bounded() {
        let cache = CertCache::new(2, 1 << 20);
        assert!(cache.parse(b"not a certificate").is_err());
        assert_eq!(cache.size(), (0, 0));
        let ders: Vec<Vec<u8>> = (0..3).map(|i| der(&format!("{i}.example"))).collect();
        for d in &ders {
            cache.parse(d).unwrap();
        }
        // Full at two entries: the third insert cleared the map first.
        assert_eq!(cache.size(), (1, ders[2].len()));

        // The byte bound clears too, and a certificate larger than it is never kept.
        // (ECDSA signatures make the lengths differ by a few bytes.)
        let small = CertCache::new(100, ders[0].len().max(ders[1].len()) + 1);
        small.parse(&ders[0]).unwrap();
        small.parse(&ders[1]).unwrap();
        assert_eq!(small.size(), (1, ders[1].len()));
        let tiny = CertCache::new(100, 10);
        let kept = tiny.parse(&ders[0]).unwrap();
        assert!(!Arc::ptr_eq(&kept, &tiny.parse(&ders[0]).unwrap()));
        assert_eq!(tiny.size(), (0, 0));
        let off = CertCache::new(0, 1 << 20);
        off.parse(&ders[0]).unwrap();
        assert_eq!(off.size(), (0, 0));
    }
}
