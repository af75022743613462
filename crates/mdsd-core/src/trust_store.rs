//! The trust store: an immutable snapshot of verified MDS entries, indexed for lookup.
//!
//! Built once from a verified BLOB payload ([`crate::mds`]) and replaced whole on refresh, never
//! mutated in place. Lookups are by AAGUID (FIDO2), attestation certificate key identifier (U2F)
//! and AAID (UAF).
//!
//! - [`Entry`] (`entry`): one metadata entry, made by the loader through a builder that keeps
//!   its invariants; the attestation roots and the raw JSON it shares with its BLOB.
//! - `status`: [`AuthenticatorStatus`], [`StatusReport`], [`StatusPolicy`] and the rules
//!   ([`Entry::current_status`], [`Entry::evaluate`]).
//! - `origin`: [`Origin`], where an entry comes from (the MDS, a further BLOB source, an
//!   operator's metadata statement).
//! - here: [`TrustStore`], its indexes, [`DuplicateKey`], and [`TrustStore::with_extra`], which
//!   serves entries of other sources beside a BLOB's own.

mod entry;
mod origin;
mod status;

use std::collections::hash_map::Entry as Slot;
use std::collections::HashMap;
use std::sync::Arc;

use time::Date;
use uuid::Uuid;

pub use entry::{Entry, EntryBuildError};
pub(crate) use entry::{LazyCert, RawJson, Roots};
pub use origin::Origin;
pub use status::{AuthenticatorStatus, StatusPolicy, StatusReport, StatusVerdict};

/// Two entries claim the same lookup key. The first entry keeps the key (first wins); the
/// later one stays in [`TrustStore::entries`] but is not reachable by that key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// `"aaguid:<uuid>"`, `"key_identifier:<hex>"` or `"aaid:<aaid>"`.
    pub key: String,
    /// Index (in [`TrustStore::entries`]) of the entry that keeps the key.
    pub kept: usize,
    /// Index of the entry that lost it.
    pub shadowed: usize,
}

/// An immutable, indexed snapshot of one verified BLOB, possibly with entries of other sources
/// served beside it ([`TrustStore::with_extra`]).
#[derive(Debug)]
pub struct TrustStore {
    no: u64,
    next_update: Date,
    entries: Vec<Arc<Entry>>,
    /// How many of `entries` (the first ones) the BLOB itself holds; the rest came from
    /// [`TrustStore::with_extra`].
    own: usize,
    by_aaguid: HashMap<Uuid, usize>,
    by_key_identifier: HashMap<String, usize>,
    by_aaid: HashMap<String, usize>,
    duplicates: Vec<DuplicateKey>,
}

impl TrustStore {
    /// Builds the indexes in one pass over `entries` (in BLOB order). A key claimed by several
    /// entries stays with the first one; the others are listed in [`TrustStore::duplicates`]
    /// (real BLOBs repeat U2F key identifiers across entries).
    pub(crate) fn from_entries(no: u64, next_update: Date, entries: Vec<Entry>) -> TrustStore {
        let own = entries.len();
        TrustStore::index(no, next_update, entries.into_iter().map(Arc::new).collect(), own)
    }

    /// This BLOB's own entries followed by `extra` (entries of other sources, in the order
    /// given), indexed anew; entries added by an earlier call are left out. The BLOB's entries
    /// keep every key they claim: an extra entry that claims the same AAGUID, key identifier or
    /// AAID as an earlier entry is listed in [`TrustStore::duplicates`] and is not reachable by
    /// that key (so an operator's statement never overrides what a signed BLOB says about the
    /// same model, and the BLOB's status reports keep applying).
    pub fn with_extra(&self, extra: impl IntoIterator<Item = Arc<Entry>>) -> TrustStore {
        let mut entries = self.blob_entries().to_vec();
        entries.extend(extra);
        TrustStore::index(self.no, self.next_update, entries, self.own)
    }

    fn index(no: u64, next_update: Date, entries: Vec<Arc<Entry>>, own: usize) -> TrustStore {
        let mut by_aaguid = HashMap::with_capacity(entries.len());
        let mut by_key_identifier = HashMap::new();
        let mut by_aaid = HashMap::new();
        let mut duplicates = Vec::new();
        let entries_len = entries.len();
        fn claim<K: std::hash::Hash + Eq>(
            map: &mut HashMap<K, usize>,
            key: K,
            index: usize,
            name: impl FnOnce(&K) -> String,
            duplicates: &mut Vec<DuplicateKey>,
        ) {
            match map.entry(key) {
                Slot::Vacant(slot) => {
                    slot.insert(index);
                }
                Slot::Occupied(slot) => {
                    if *slot.get() != index {
                        duplicates.push(DuplicateKey {
                            key: name(slot.key()),
                            kept: *slot.get(),
                            shadowed: index,
                        });
                    }
                }
            }
        }
        for (index, entry) in entries.iter().enumerate() {
            if let Some(aaguid) = entry.aaguid {
                claim(&mut by_aaguid, aaguid, index, |g| format!("aaguid:{g}"), &mut duplicates);
            }
            // Lowercase already when made by the builder.
            for key_id in &entry.key_identifiers {
                let name = |k: &String| format!("key_identifier:{k}");
                claim(
                    &mut by_key_identifier,
                    key_id.to_ascii_lowercase(),
                    index,
                    name,
                    &mut duplicates,
                );
            }
            if let Some(aaid) = entry.aaid() {
                let name = |a: &String| format!("aaid:{a}");
                claim(&mut by_aaid, aaid.to_string(), index, name, &mut duplicates);
            }
        }
        TrustStore {
            no,
            next_update,
            entries,
            own: own.min(entries_len),
            by_aaguid,
            by_key_identifier,
            by_aaid,
            duplicates,
        }
    }

    /// Lookup keys claimed by more than one entry (first wins).
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }
    /// The BLOB serial number this snapshot was built from.
    pub fn no(&self) -> u64 {
        self.no
    }
    pub fn next_update(&self) -> Date {
        self.next_update
    }
    /// Every entry served: the BLOB's own, then those of other sources.
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }
    /// The entries the BLOB itself holds (without those [`TrustStore::with_extra`] added).
    pub fn blob_entries(&self) -> &[Arc<Entry>] {
        self.entries.get(..self.own).unwrap_or(&self.entries)
    }
    pub fn by_aaguid(&self, aaguid: &Uuid) -> Option<&Arc<Entry>> {
        self.by_aaguid.get(aaguid).and_then(|&i| self.entries.get(i))
    }
    /// Lookup by hex key identifier (compared in lowercase).
    pub fn by_key_identifier(&self, key_id: &str) -> Option<&Arc<Entry>> {
        let found = match self.by_key_identifier.get(key_id) {
            Some(found) => Some(found),
            None => self.by_key_identifier.get(&key_id.to_ascii_lowercase()),
        };
        found.and_then(|&i| self.entries.get(i))
    }
    pub fn by_aaid(&self, aaid: &str) -> Option<&Arc<Entry>> {
        self.by_aaid.get(aaid).and_then(|&i| self.entries.get(i))
    }
}

#[cfg(test)]
mod tests;
