//! Status-change notifications: [`diff_status`] compares the trust store being replaced with the
//! new one (a pure function), and [`WatchHub`] keeps the last [`HISTORY`] diffs for replay and
//! broadcasts each new one to WatchStatusChanges subscribers through a bounded channel. A
//! subscriber that falls more than [`BUFFER`] events behind is told so (never silently skipped).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use time::{Date, OffsetDateTime};
use tokio::sync::broadcast;

use crate::trust_store::{Entry, TrustStore};

/// Events a subscriber may fall behind before it is cut off with a lag error.
pub const BUFFER: usize = 64;
/// Diffs kept for `since_no` replay.
pub const HISTORY: usize = 64;

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
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    pub effective_date: Option<Date>,
}

/// The changes one installed BLOB brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub no: u64,
    pub previous_no: u64,
    pub changes: Vec<StatusChange>,
    pub installed_at: OffsetDateTime,
}

/// The entries whose current status at `now` differs between `old` and `new`, plus entries
/// added and removed, in `new`'s order (removed ones last, in `old`'s order). Entries are
/// matched by AAGUID, else AAID, else their first attestation certificate key identifier.
/// Only refresh-caused changes: both stores are read at the same `now`.
pub fn diff_status(old: &TrustStore, new: &TrustStore, now: OffsetDateTime) -> Vec<StatusChange> {
    let status = |e: &Entry| {
        e.current_status(now).map(|r| (r.status.as_str().to_string(), r.effective_date))
    };
    let old_by_key: HashMap<String, &Arc<Entry>> =
        old.entries().iter().filter_map(|e| identity(e).map(|k| (k, e))).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for entry in new.entries() {
        let Some(key) = identity(entry) else { continue };
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
    for entry in old.entries() {
        match identity(entry) {
            Some(key) if !seen.contains(&key) => {
                seen.insert(key);
                out.push(change(ChangeKind::Removed, entry, status(entry), None));
            }
            _ => {}
        }
    }
    out
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
    old: Option<(String, Option<Date>)>,
    new: Option<(String, Option<Date>)>,
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

/// The retained events to replay first, and the live receiver.
pub type Subscription = (Vec<Arc<ChangeEvent>>, broadcast::Receiver<Arc<ChangeEvent>>);

/// Why a subscription cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeError {
    /// The diffs since `since_no` are no longer (or were never) held.
    NotRetained { since_no: u64, oldest: Option<u64> },
    /// `since_no` is newer than the BLOB being served.
    FromTheFuture { since_no: u64, current_no: u64 },
}

/// History and broadcast of change events.
#[derive(Debug)]
pub struct WatchHub {
    inner: Mutex<VecDeque<Arc<ChangeEvent>>>,
    sender: broadcast::Sender<Arc<ChangeEvent>>,
    history: usize,
}

impl Default for WatchHub {
    fn default() -> Self {
        WatchHub::new(BUFFER, HISTORY)
    }
}

impl WatchHub {
    /// `buffer`: events a subscriber may lag; `history`: diffs kept for replay.
    pub fn new(buffer: usize, history: usize) -> WatchHub {
        WatchHub {
            inner: Mutex::new(VecDeque::new()),
            sender: broadcast::channel(buffer.max(1)).0,
            history: history.max(1),
        }
    }

    /// Records and broadcasts one event (no receivers is fine).
    pub fn publish(&self, event: ChangeEvent) {
        let event = Arc::new(event);
        if let Ok(mut h) = self.inner.lock() {
            if h.len() >= self.history {
                h.pop_front();
            }
            h.push_back(event.clone());
            // Sent under the lock so that a subscriber sees each event once: either in its
            // replay or live.
            let _ = self.sender.send(event);
        }
    }

    /// A live receiver plus the retained events after `since_no` (when given), taken
    /// atomically. `current_no`: the BLOB being served (`None`: none yet).
    pub fn subscribe(
        &self,
        since_no: Option<u64>,
        current_no: Option<u64>,
    ) -> Result<Subscription, SubscribeError> {
        let h = self.inner.lock().map_err(|_| SubscribeError::NotRetained {
            since_no: since_no.unwrap_or(0),
            oldest: None,
        })?;
        let rx = self.sender.subscribe();
        let Some(since) = since_no else { return Ok((Vec::new(), rx)) };
        if let Some(current) = current_no {
            if since > current {
                return Err(SubscribeError::FromTheFuture { since_no: since, current_no: current });
            }
            if since == current {
                return Ok((Vec::new(), rx));
            }
        }
        // The retained chain must start at or before `since`.
        let oldest = h.front().map(|e| e.previous_no);
        match oldest {
            Some(first) if first <= since => {
                Ok((h.iter().filter(|e| e.no > since).cloned().collect(), rx))
            }
            _ => Err(SubscribeError::NotRetained { since_no: since, oldest }),
        }
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
        assert_eq!(d[0].old_status.as_deref(), Some("FIDO_CERTIFIED_L1"));
        assert_eq!(d[0].new_status.as_deref(), Some("REVOKED"));
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

    fn event(no: u64) -> ChangeEvent {
        ChangeEvent {
            no,
            previous_no: no - 1,
            changes: vec![],
            installed_at: datetime!(2026-01-01 00:00 UTC),
        }
    }

    #[test]
    fn replay_since_a_retained_no_and_refusal_beyond_history() {
        let hub = WatchHub::new(4, 2);
        for no in 2..=4 {
            hub.publish(event(no));
        }
        // History holds 3 (2→3) and 4 (3→4).
        let (replay, _) = hub.subscribe(Some(2), Some(4)).unwrap();
        assert_eq!(replay.iter().map(|e| e.no).collect::<Vec<_>>(), [3, 4]);
        let (replay, _) = hub.subscribe(Some(3), Some(4)).unwrap();
        assert_eq!(replay.iter().map(|e| e.no).collect::<Vec<_>>(), [4]);
        assert!(hub.subscribe(Some(4), Some(4)).unwrap().0.is_empty());
        assert_eq!(
            hub.subscribe(Some(1), Some(4)).unwrap_err(),
            SubscribeError::NotRetained { since_no: 1, oldest: Some(2) }
        );
        assert_eq!(
            hub.subscribe(Some(9), Some(4)).unwrap_err(),
            SubscribeError::FromTheFuture { since_no: 9, current_no: 4 }
        );
        assert!(hub.subscribe(None, Some(4)).unwrap().0.is_empty());
    }

    #[tokio::test]
    async fn a_lagging_receiver_is_told_how_many_it_missed() {
        let hub = WatchHub::new(2, 8);
        let (_, mut rx) = hub.subscribe(None, None).unwrap();
        for no in 2..=5 {
            hub.publish(event(no));
        }
        assert_eq!(rx.recv().await.unwrap_err(), broadcast::error::RecvError::Lagged(2));
    }
}
