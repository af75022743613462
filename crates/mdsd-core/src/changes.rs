//! What changed between two trust stores: the entries whose current status differs, and the
//! entries added and removed ([`diff_status`]); and what changes in one trust store with time
//! alone, as status reports dated in the future become effective ([`diff_status_over`],
//! [`next_status_change`]). Pure: the instants are the caller's. The daemon publishes the
//! results to WatchStatusChanges subscribers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::trust_store::{AuthenticatorStatus, Entry, TrustStore};

/// How an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    StatusChanged,
    Added,
    Removed,
}

/// One entry whose current status differs between two BLOBs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub kind: ChangeKind,
    pub aaguid: Option<uuid::Uuid>,
    pub key_identifiers: Vec<String>,
    pub aaid: Option<String>,
    pub description: Option<String>,
    pub old_status: Option<AuthenticatorStatus>,
    pub new_status: Option<AuthenticatorStatus>,
    pub effective_date: Option<Date>,
}

/// The entries whose current status at `now` differs between `old` and `new`, plus entries
/// added and removed, in `new`'s order (removed ones last, in `old`'s order). Entries are
/// matched by AAGUID, else AAID, else their first attestation certificate key identifier; of
/// several entries with one identity only the first counts, as lookups find the first (a
/// further source's or an operator's entry for a model the MDS BLOB lists is never served,
/// so it never makes a change). Only refresh-caused changes: both stores are read at the same
/// `now`.
pub fn diff_status(old: &TrustStore, new: &TrustStore, now: OffsetDateTime) -> Vec<StatusChange> {
    let status = |e: &Entry| e.current_status(now).map(|r| (r.status.clone(), r.effective_date));
    let old_by_key: HashMap<String, &Arc<Entry>> = first_by_identity(old).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (key, entry) in first_by_identity(new) {
        let new_status = status(entry);
        match old_by_key.get(&key) {
            Some(previous) => {
                let old_status = status(previous);
                if old_status.as_ref().map(|s| &s.0) != new_status.as_ref().map(|s| &s.0) {
                    out.push(change(ChangeKind::StatusChanged, entry, old_status, new_status));
                }
            }
            None => out.push(change(ChangeKind::Added, entry, None, new_status)),
        }
        seen.insert(key);
    }
    for (key, entry) in first_by_identity(old) {
        if !seen.contains(&key) {
            out.push(change(ChangeKind::Removed, entry, status(entry), None));
        }
    }
    out
}

/// The entries of `store` with an identity, each identity with its first entry only (in the
/// store's order), as lookups find them.
fn first_by_identity(store: &TrustStore) -> impl Iterator<Item = (String, &Arc<Entry>)> {
    let mut seen = HashSet::new();
    store
        .entries()
        .iter()
        .filter_map(|e| identity(e).map(|k| (k, e)))
        .filter(move |(k, _)| seen.insert(k.clone()))
}

/// The entries of `store` whose current status at `to` differs from their current status at
/// `from` (kind [`ChangeKind::StatusChanged`], in the store's order): the changes that status
/// reports dated between the two instants bring without a new BLOB. `old_status` is the status
/// at `from`, `new_status` and `effective_date` those at `to`. Only the two end points are
/// compared: a status that changed and changed back in between is no change. Of several entries
/// with one identity only the first counts (as in [`diff_status`]).
pub fn diff_status_over(
    store: &TrustStore,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<StatusChange> {
    let status = |e: &Entry, at| e.current_status(at).map(|r| (r.status.clone(), r.effective_date));
    let mut out = Vec::new();
    for (_, entry) in first_by_identity(store) {
        let (old, new) = (status(entry, from), status(entry, to));
        if old.as_ref().map(|s| &s.0) != new.as_ref().map(|s| &s.0) {
            out.push(change(ChangeKind::StatusChanged, entry, old, new));
        }
    }
    out
}

/// The first instant after `now` at which the current status of an entry of `store` can change
/// with no new BLOB: 00:00 UTC of the earliest status report `effectiveDate` later than `now`'s
/// UTC date. A report dated D counts from D 00:00:00 UTC on
/// ([`Entry::current_status`] compares dates: effective when D ≤ today), so at
/// D − 1 23:59:59.999999999 the answer is D 00:00, and at D 00:00 it is the next later date.
/// `None` when no report is dated after today. Not every such date changes a status (a
/// REVOKED already effective stays current): the caller compares with [`diff_status_over`].
pub fn next_status_change(store: &TrustStore, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let today = now.to_offset(UtcOffset::UTC).date();
    store
        .entries()
        .iter()
        .flat_map(|e| e.status_reports().iter().filter_map(|r| r.effective_date))
        .filter(|d| *d > today)
        .min()
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

fn identity(e: &Entry) -> Option<String> {
    if let Some(a) = e.aaguid() {
        return Some(format!("aaguid:{a}"));
    }
    if let Some(a) = e.aaid() {
        return Some(format!("aaid:{a}"));
    }
    e.key_identifiers().first().map(|k| format!("key_identifier:{}", k.to_ascii_lowercase()))
}

fn change(
    kind: ChangeKind,
    e: &Entry,
    old: Option<(AuthenticatorStatus, Option<Date>)>,
    new: Option<(AuthenticatorStatus, Option<Date>)>,
) -> StatusChange {
    StatusChange {
        kind,
        aaguid: e.aaguid(),
        key_identifiers: e.key_identifiers().to_vec(),
        aaid: e.aaid().map(str::to_string),
        description: e.description().map(str::to_string),
        effective_date: new.as_ref().and_then(|s| s.1),
        old_status: old.map(|s| s.0),
        new_status: new.map(|s| s.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mds::{parse_payload, PayloadLimits};
    use serde_json::json;
    use time::macros::datetime;

    const A: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
    const B: &str = "ee882879-721c-4913-9775-3dfcce97072a";
    const C: &str = "fa2b99dc-9e39-4257-8f92-4a30d23c4118";

    fn fido2(aaguid: &str, reports: serde_json::Value) -> serde_json::Value {
        json!({
            "aaguid": aaguid,
            "metadataStatement": {
                "aaguid": aaguid, "description": format!("model {aaguid}"),
                "authenticatorVersion": 2, "protocolFamily": "fido2", "schema": 3,
                "attestationTypes": ["basic_full"], "attestationRootCertificates": [],
            },
            "statusReports": reports,
            "timeOfLastStatusChange": "2020-01-01",
        })
    }

    fn store(no: u64, entries: Vec<serde_json::Value>) -> TrustStore {
        let json = json!({"no": no, "nextUpdate": "2030-01-01", "entries": entries});
        parse_payload(json.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store
    }

    fn certified() -> serde_json::Value {
        json!([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}])
    }

    #[test]
    fn diff_reports_status_changes_additions_and_removals() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let old = store(1, vec![fido2(A, certified()), fido2(B, certified())]);
        let revoked = json!([
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": "2025-06-01"},
        ]);
        let new = store(2, vec![fido2(A, revoked), fido2(C, certified())]);
        let d = diff_status(&old, &new, now);
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].kind, ChangeKind::StatusChanged);
        assert_eq!(d[0].aaguid.unwrap().to_string(), A);
        assert_eq!(d[0].old_status, Some(AuthenticatorStatus::FidoCertifiedL1));
        assert_eq!(d[0].new_status, Some(AuthenticatorStatus::Revoked));
        assert_eq!(d[0].effective_date, Some(time::macros::date!(2025 - 06 - 01)));
        assert_eq!(d[0].description.as_deref(), Some(format!("model {A}").as_str()));
        assert_eq!((d[1].kind, d[1].aaguid.unwrap().to_string()), (ChangeKind::Added, C.into()));
        assert_eq!(d[1].old_status, None);
        assert_eq!((d[2].kind, d[2].aaguid.unwrap().to_string()), (ChangeKind::Removed, B.into()));
        assert_eq!(d[2].new_status, None);
        // Same statuses: no changes; a report not yet effective at `now` is not a change yet.
        assert!(diff_status(
            &old,
            &store(3, vec![fido2(A, certified()), fido2(B, certified())]),
            now
        )
        .is_empty());
        let future = json!([
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": "2027-01-01"},
        ]);
        assert!(diff_status(&old, &store(4, vec![fido2(A, future), fido2(B, certified())]), now)
            .is_empty());
    }

    /// Entries of another source for a model the BLOB lists are never served, so they never
    /// make a change: neither between two stores nor when one of their reports comes into
    /// effect. (Matched last-wins, the shadowed entry would have been compared in place of the
    /// served one.)
    #[test]
    fn shadowed_entries_make_no_changes() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let blob = store(1, vec![fido2(A, certified())]);
        let shadowed: Vec<Arc<Entry>> = store(9, vec![fido2(A, revoked_on("2026-06-01"))])
            .entries()
            .iter()
            .map(|e| {
                let origin = crate::trust_store::Origin::Blob { source: "lab".into() };
                Arc::new(Entry::clone(e).with_origin(origin))
            })
            .collect();
        let merged = blob.with_extra(shadowed.clone());
        assert!(diff_status(&blob, &merged, now).is_empty());
        assert!(diff_status(&merged, &blob, now).is_empty());
        assert!(diff_status_over(&merged, now, datetime!(2026-07-01 00:00 UTC)).is_empty());
        // Unshadowed (the BLOB no longer lists A), the same entry is served and counts.
        let alone = store(2, Vec::new()).with_extra(shadowed);
        assert_eq!(diff_status_over(&alone, now, datetime!(2026-07-01 00:00 UTC)).len(), 1);
        let d = diff_status(&merged, &alone, datetime!(2026-07-01 00:00 UTC));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].new_status, Some(AuthenticatorStatus::Revoked));
    }

    fn revoked_on(date: &str) -> serde_json::Value {
        json!([
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": date},
        ])
    }

    /// A report dated D counts from D 00:00:00 UTC: the last nanosecond of D − 1 still has the
    /// old status, D 00:00 the new one, on both sides of the boundary.
    #[test]
    fn diff_over_time_changes_exactly_at_midnight_utc_of_the_effective_date() {
        let s = store(7, vec![fido2(A, revoked_on("2027-01-01")), fido2(B, certified())]);
        let before = datetime!(2026-12-31 23:59:59.999_999_999 UTC);
        let at = datetime!(2027-01-01 00:00 UTC);
        assert!(diff_status_over(&s, datetime!(2026-12-31 00:00 UTC), before).is_empty());
        let d = diff_status_over(&s, before, at);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, ChangeKind::StatusChanged);
        assert_eq!(d[0].aaguid.unwrap().to_string(), A);
        assert_eq!(d[0].old_status, Some(AuthenticatorStatus::FidoCertifiedL1));
        assert_eq!(d[0].new_status, Some(AuthenticatorStatus::Revoked));
        assert_eq!(d[0].effective_date, Some(time::macros::date!(2027 - 01 - 01)));
        assert_eq!(d[0].description.as_deref(), Some(format!("model {A}").as_str()));
        // Past the boundary nothing changes any more; a window spanning it sees it once.
        assert!(diff_status_over(&s, at, datetime!(2030-01-01 00:00 UTC)).is_empty());
        assert_eq!(diff_status_over(&s, datetime!(2026-06-01 12:00 UTC), at).len(), 1);
        // Instants in another offset are read in UTC: 01:00 +02:00 on Jan 1st is still Dec 31st.
        let east = datetime!(2027-01-01 01:00 +02:00);
        assert!(diff_status_over(&s, datetime!(2026-12-01 00:00 UTC), east).is_empty());
    }

    #[test]
    fn next_status_change_is_midnight_utc_of_the_next_later_effective_date() {
        let s = store(
            7,
            vec![
                fido2(A, revoked_on("2027-01-01")),
                fido2(B, revoked_on("2027-03-15")),
                fido2(C, certified()),
            ],
        );
        let next = |t| next_status_change(&s, t);
        assert_eq!(next(datetime!(2026-06-01 12:00 UTC)), Some(datetime!(2027-01-01 00:00 UTC)));
        assert_eq!(
            next(datetime!(2026-12-31 23:59:59.999_999_999 UTC)),
            Some(datetime!(2027-01-01 00:00 UTC))
        );
        // At the boundary itself that date is effective: the next one is later.
        assert_eq!(next(datetime!(2027-01-01 00:00 UTC)), Some(datetime!(2027-03-15 00:00 UTC)));
        assert_eq!(next(datetime!(2027-01-01 01:00 +02:00)), Some(datetime!(2027-01-01 00:00 UTC)));
        assert_eq!(next(datetime!(2027-03-15 00:00 UTC)), None);
        assert_eq!(
            next_status_change(
                &store(8, vec![fido2(C, certified())]),
                datetime!(2026-01-01 00:00 UTC)
            ),
            None
        );
        // What it names is where diff_status_over first sees a change.
        let boundary = datetime!(2027-03-15 00:00 UTC);
        let from = datetime!(2027-01-01 00:00 UTC);
        assert!(diff_status_over(&s, from, boundary - time::Duration::nanoseconds(1)).is_empty());
        assert_eq!(diff_status_over(&s, from, boundary).len(), 1);
    }
}
