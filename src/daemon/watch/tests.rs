//! The hub: replay by `no` and by sequence, lag, and the effective-date events (at the
//! boundary, before a new BLOB's diff, after a restart).

use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::mds::{parse_payload, PayloadLimits};
use crate::trust_store::AuthenticatorStatus;

const A: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

fn publish(hub: &WatchHub, no: u64) {
    let mut inner = hub.inner.lock().unwrap();
    hub.publish(
        &mut inner,
        ChangeCause::NewBlob,
        no,
        no - 1,
        vec![],
        datetime!(2026-01-01 00:00 UTC),
    );
}

/// A store whose one entry is certified, then REVOKED from `revoked` on.
fn store(no: u64, revoked: &str) -> Arc<TrustStore> {
    let entry = json!({
        "aaguid": A,
        "metadataStatement": {
            "aaguid": A, "description": "model A", "authenticatorVersion": 2,
            "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
            "attestationRootCertificates": [],
        },
        "statusReports": [
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": revoked},
        ],
        "timeOfLastStatusChange": "2020-01-01",
    });
    let json = json!({"no": no, "nextUpdate": "2030-01-01", "entries": [entry]});
    Arc::new(parse_payload(json.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store)
}

fn causes(events: &[Arc<ChangeEvent>]) -> Vec<(u64, ChangeCause, u64, u64)> {
    events.iter().map(|e| (e.sequence, e.cause, e.previous_no, e.no)).collect()
}

#[test]
fn replay_since_a_retained_no_and_refusal_beyond_history() {
    let hub = WatchHub::new(4, 2);
    for no in 2..=4 {
        publish(&hub, no);
    }
    // History holds 3 (2→3) and 4 (3→4).
    let sub = |no| hub.subscribe(Since::No(no), Some(4));
    assert_eq!(sub(2).unwrap().0.iter().map(|e| e.no).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(sub(3).unwrap().0.iter().map(|e| e.no).collect::<Vec<_>>(), [4]);
    assert!(sub(4).unwrap().0.is_empty());
    assert_eq!(sub(1).unwrap_err(), SubscribeError::NotRetained { since_no: 1, oldest: Some(2) });
    assert_eq!(sub(9).unwrap_err(), SubscribeError::FromTheFuture { since_no: 9, current_no: 4 });
    assert!(hub.subscribe(Since::Live, Some(4)).unwrap().0.is_empty());
}

/// Sequences 1..=3 published, 2 and 3 held: replay after 1 and 2, nothing after 3, refusal
/// after 0 (event 1 is gone) and beyond 3.
#[test]
fn replay_since_a_retained_sequence_and_refusal_beyond_history() {
    let hub = WatchHub::new(4, 2);
    for no in 2..=4 {
        publish(&hub, no);
    }
    let sub = |s| hub.subscribe(Since::Sequence(s), Some(4));
    assert_eq!(sub(1).unwrap().0.iter().map(|e| e.sequence).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(sub(2).unwrap().0.iter().map(|e| e.sequence).collect::<Vec<_>>(), [3]);
    assert!(sub(3).unwrap().0.is_empty());
    assert_eq!(
        sub(0).unwrap_err(),
        SubscribeError::SequenceNotRetained { since_sequence: 0, oldest: Some(2) }
    );
    assert_eq!(
        sub(4).unwrap_err(),
        SubscribeError::SequenceFromTheFuture { since_sequence: 4, last: 3 }
    );
    // Nothing published yet: 0 is "everything" (none); a restored counter with no events
    // held cannot replay what came before.
    let empty = WatchHub::new(4, 2);
    assert!(empty.subscribe(Since::Sequence(0), None).unwrap().0.is_empty());
    let lost = WatchHub::restored(4, 2, HistoryState { sequence: 5, ..HistoryState::default() });
    assert_eq!(
        lost.subscribe(Since::Sequence(4), None).unwrap_err(),
        SubscribeError::SequenceNotRetained { since_sequence: 4, oldest: None }
    );
}

#[tokio::test]
async fn a_lagging_receiver_is_told_how_many_it_missed() {
    let hub = WatchHub::new(2, 8);
    let (_, mut rx) = hub.subscribe(Since::Live, None).unwrap();
    for no in 2..=5 {
        publish(&hub, no);
    }
    assert_eq!(rx.recv().await.unwrap_err(), broadcast::error::RecvError::Lagged(2));
}

/// REVOKED from 2027-01-01: nothing at the last nanosecond of 2026, one EFFECTIVE_DATE event
/// at 00:00 UTC (no = previous_no = the BLOB served), none again after it.
#[test]
fn an_effective_date_is_published_once_at_its_boundary() {
    let hub = WatchHub::new(8, 8);
    let s = store(7, "2027-01-01");
    let current = || Some((s.clone(), 7));
    assert!(hub.install((&s, 7), datetime!(2026-12-01 00:00 UTC), || None).is_empty());
    assert_eq!(hub.effective_through(), Some(datetime!(2026-12-01 00:00 UTC)));
    assert!(hub.tick(datetime!(2026-12-31 23:59:59.999_999_999 UTC), current).is_none());
    let at = datetime!(2027-01-01 00:00 UTC);
    let e = hub.tick(at, current).expect("the boundary's event");
    assert_eq!((e.sequence, e.cause, e.no, e.previous_no), (1, ChangeCause::EffectiveDate, 7, 7));
    assert_eq!(e.installed_at, at);
    assert_eq!(e.changes.len(), 1);
    assert_eq!(e.changes[0].old_status, Some(AuthenticatorStatus::FidoCertifiedL1));
    assert_eq!(e.changes[0].new_status, Some(AuthenticatorStatus::Revoked));
    assert_eq!(hub.effective_through(), Some(at));
    assert!(hub.tick(at, current).is_none());
    // No boundary since: the instant stays (nothing to write down).
    assert!(hub.tick(datetime!(2027-06-01 00:00 UTC), current).is_none());
    assert_eq!(hub.effective_through(), Some(at));
    // A clock set back publishes nothing and does not move the instant back.
    assert!(hub.tick(datetime!(2026-06-01 00:00 UTC), current).is_none());
    assert_eq!(hub.effective_through(), Some(at));
}

/// A date that passed before the next refresh: its event comes first (against the BLOB it
/// concerned), then the new BLOB's diff, numbered in order; the same BLOB again is no event.
#[test]
fn a_passed_date_is_published_before_the_new_blobs_diff() {
    let hub = WatchHub::new(8, 8);
    let old = store(7, "2027-01-01");
    hub.install((&old, 7), datetime!(2026-12-01 00:00 UTC), || None);
    let new = store(8, "2027-01-01");
    let at = datetime!(2027-01-02 06:00 UTC);
    let events = hub.install((&new, 8), at, || Some((old.clone(), 7)));
    assert_eq!(
        causes(&events),
        [(1, ChangeCause::EffectiveDate, 7, 7), (2, ChangeCause::NewBlob, 7, 8)]
    );
    assert!(events[1].changes.is_empty(), "both revoked at `at`: {:?}", events[1].changes);
    assert_eq!(hub.effective_through(), Some(at));
    let again = hub.install((&new, 8), datetime!(2027-01-03 00:00 UTC), || Some((new.clone(), 8)));
    assert!(again.is_empty());
}

/// After a restart the restored BLOB is no NEW_BLOB event; a date that passed while the daemon
/// was down is published against it, numbered after the history restored.
#[test]
fn a_restart_publishes_the_dates_missed_and_goes_on_numbering() {
    let s = store(7, "2027-01-01");
    let before = HistoryState {
        sequence: 41,
        effective_through: Some(datetime!(2026-12-30 10:00 UTC)),
        events: Vec::new(),
    };
    // Restarted before the date: nothing.
    let hub = WatchHub::restored(8, 8, before.clone());
    assert!(hub.install((&s, 7), datetime!(2026-12-31 12:00 UTC), || None).is_empty());
    // Restarted after it: one EFFECTIVE_DATE event, sequence 42.
    let hub = WatchHub::restored(8, 8, before);
    let events = hub.install((&s, 7), datetime!(2027-01-05 12:00 UTC), || None);
    assert_eq!(causes(&events), [(42, ChangeCause::EffectiveDate, 7, 7)]);
    assert_eq!(hub.state().1.sequence, 42);
    // The first start ever: nothing to catch up, the instant starts now.
    let hub = WatchHub::new(8, 8);
    assert!(hub.install((&s, 7), datetime!(2027-01-05 12:00 UTC), || None).is_empty());
    assert_eq!(hub.effective_through(), Some(datetime!(2027-01-05 12:00 UTC)));
}

#[test]
fn restored_history_is_trimmed_and_changes_move_the_generation() {
    let event = |sequence| {
        Arc::new(ChangeEvent {
            sequence,
            cause: ChangeCause::NewBlob,
            no: sequence,
            previous_no: sequence - 1,
            changes: vec![],
            installed_at: datetime!(2026-01-01 00:00 UTC),
        })
    };
    let state =
        HistoryState { sequence: 3, effective_through: None, events: (1..=3).map(event).collect() };
    let hub = WatchHub::restored(4, 2, state);
    let (generation, held) = hub.state();
    assert_eq!(held.events.iter().map(|e| e.sequence).collect::<Vec<_>>(), [2, 3]);
    publish(&hub, 4);
    assert_ne!(hub.generation(), generation);
    assert_eq!(hub.state().1.events.last().unwrap().sequence, 4);
}

/// A hub whose lock was poisoned by a panic elsewhere still installs (the swap runs) and
/// publishes: a failure here must never leave an old BLOB served.
#[test]
fn a_poisoned_hub_still_installs() {
    let hub = Arc::new(WatchHub::new(8, 8));
    let h = hub.clone();
    let _ = std::thread::spawn(move || {
        let _guard = h.inner.lock().unwrap();
        panic!("poison the hub");
    })
    .join();
    assert!(hub.inner.is_poisoned());
    let (old, new) = (store(7, "2027-01-01"), store(8, "2027-01-01"));
    let mut swapped = false;
    let events = hub.install((&new, 8), datetime!(2026-12-01 00:00 UTC), || {
        swapped = true;
        Some((old.clone(), 7))
    });
    assert!(swapped);
    assert_eq!(causes(&events), [(1, ChangeCause::NewBlob, 7, 8)]);
}
