//! Issue #15, end to end against the in-process daemon and the test MDS (a signed BLOB read
//! from a file, the clock pinned with `danger_clock` and moved by the test through
//! `Shared::set_pinned_clock`, never slept for): a status report dated in the future becomes a
//! WatchStatusChanges event (cause EFFECTIVE_DATE) at 00:00 UTC of its date, and
//! CheckCredentials judges with it; the watch history (sequences, causes) survives restarts,
//! replays with `since_sequence` and `since_no`, is not published twice, and a date that
//! passed while the daemon was down is published at start.

use std::time::Duration;

use mdsd::daemon::config::RawConfig;
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    registered_credential, ChangeCause, ChangeKind, CheckCredentialsRequest, RegisteredCredential,
    StatusChangeEvent, WatchStatusChangesRequest,
};
use mdsd::daemon::server::start;
use mdsd_test_support::blob;
use mdsd_test_support::grpc::{client, wait_for_no};
use mdsd_test_support::http::http_get;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use tonic::transport::Channel;
use tonic::Code;

const MODEL_A: &str = "a1a1a1a1-1111-4111-8111-111111111111";
const MODEL_B: &str = "b2b2b2b2-2222-4222-8222-222222222222";

fn entry(aaguid: &str, reports: Value) -> Value {
    let mut e = blob::fido2_entry(aaguid, "FIDO_CERTIFIED_L1");
    e["statusReports"] = reports;
    e
}

fn revoked_on(date: Date) -> Value {
    json!([
        {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
        {"status": "REVOKED", "effectiveDate": date.to_string()},
    ])
}

fn midnight(date: Date) -> OffsetDateTime {
    date.midnight().assume_utc()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// A daemon reading the BLOB from `path`, its clock pinned at `at`.
fn config(env: &MdsEnv, path: &std::path::Path, at: OffsetDateTime) -> RawConfig {
    let mut raw = env.raw_config();
    raw.mds_url = vec![path.display().to_string()];
    raw.danger_clock = Some(rfc3339(at));
    raw
}

async fn next_event(stream: &mut tonic::Streaming<StatusChangeEvent>) -> StatusChangeEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("no watch event within 10 s")
        .unwrap()
        .expect("the stream ended")
}

/// No event within a short wait (what follows checks the sequence numbers too, so a late
/// event would still be caught).
async fn no_event(stream: &mut tonic::Streaming<StatusChangeEvent>) {
    if let Ok(m) = tokio::time::timeout(Duration::from_millis(400), stream.message()).await {
        panic!("unexpected watch event: {m:?}");
    }
}

async fn watch(
    api: &mut AttestationServiceClient<Channel>,
    since_no: Option<u64>,
    since_sequence: Option<u64>,
) -> tonic::Streaming<StatusChangeEvent> {
    api.watch_status_changes(WatchStatusChangesRequest { since_no, since_sequence })
        .await
        .unwrap()
        .into_inner()
}

/// (sequence, cause, previous_no, metadata_no, replayed) of an event.
fn summary(e: &StatusChangeEvent) -> (u64, i32, u64, u64, bool) {
    (e.sequence, e.cause, e.previous_no, e.metadata_no, e.replayed)
}

fn credential(aaguid: &str) -> RegisteredCredential {
    RegisteredCredential {
        authenticator: Some(registered_credential::Authenticator::Aaguid(aaguid.into())),
        // 2020-09-13: after the certification, before the revocation.
        registered_at: Some(prost_types::Timestamp { seconds: 1_600_000_000, nanos: 0 }),
        credential_id: aaguid.as_bytes().to_vec(),
        ..Default::default()
    }
}

async fn check(
    api: &mut AttestationServiceClient<Channel>,
    aaguid: &str,
) -> mdsd::daemon::proto::CredentialCheck {
    let req =
        CheckCredentialsRequest { credentials: vec![credential(aaguid)], ..Default::default() };
    api.check_credentials(req).await.unwrap().into_inner().results.remove(0)
}

/// The "must show": BLOB 21 revokes model A from D (3 days ahead) and model B from D2
/// (5 days ahead). Moving the pinned clock to the last second before D publishes nothing;
/// moving it to D 00:00 publishes one EFFECTIVE_DATE event (no = previous_no = 21, the sequence
/// after the NEW_BLOB event 20 → 21), and CheckCredentials says REVOKED, changed since
/// registration, effective D. Then restarts: at D + 1 h the history replays (by sequence and by
/// no) and nothing is published again; at D2 + 1 h the date B passed while the daemon was down
/// is published at start, once.
#[tokio::test]
async fn an_effective_date_becomes_an_event_and_survives_restarts() {
    let env = MdsEnv::start("watch-dates").await;
    let path = env.dir.join("mds.jwt");
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let (d, d2) = (in_days(3), in_days(5));
    let certified = json!([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}]);
    std::fs::write(
        &path,
        env.blob(
            20,
            in_days(30),
            vec![entry(MODEL_A, certified.clone()), entry(MODEL_B, certified)],
        ),
    )
    .unwrap();
    let raw = config(&env, &path, t0);
    let running = start(raw.check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 20).await;
    let mut live = watch(&mut api, None, None).await;

    // BLOB 21 announces both revocations: a NEW_BLOB event with no change yet.
    std::fs::write(
        &path,
        env.blob(
            21,
            in_days(30),
            vec![entry(MODEL_A, revoked_on(d)), entry(MODEL_B, revoked_on(d2))],
        ),
    )
    .unwrap();
    running.shared.trigger_refresh();
    let e = next_event(&mut live).await;
    assert_eq!(summary(&e), (1, ChangeCause::NewBlob as i32, 20, 21, false));
    assert!(e.changes.is_empty(), "{:?}", e.changes);

    // The last second before D: nothing yet, and the model is still trusted.
    assert!(running.shared.set_pinned_clock(midnight(d) - time::Duration::seconds(1)));
    no_event(&mut live).await;
    let before = check(&mut api, MODEL_A).await;
    assert!(before.trusted, "{before:?}");
    assert_eq!(before.current_status, "FIDO_CERTIFIED_L1");
    assert!(!before.changed_since_registration);

    // D 00:00 UTC: the event, then CheckCredentials with the new status.
    running.shared.set_pinned_clock(midnight(d));
    let e = next_event(&mut live).await;
    assert_eq!(summary(&e), (2, ChangeCause::EffectiveDate as i32, 21, 21, false));
    assert_eq!(e.installed_at.as_ref().unwrap().seconds, midnight(d).unix_timestamp());
    assert_eq!(e.changes.len(), 1, "only model A: {:?}", e.changes);
    let c = &e.changes[0];
    assert_eq!(c.kind, ChangeKind::StatusChanged as i32);
    assert_eq!(c.aaguid, MODEL_A);
    assert_eq!((c.old_status.as_str(), c.new_status.as_str()), ("FIDO_CERTIFIED_L1", "REVOKED"));
    assert_eq!(c.effective_date, d.to_string());
    let after = check(&mut api, MODEL_A).await;
    assert!(!after.trusted, "{after:?}");
    assert_eq!(after.current_status, "REVOKED");
    assert_eq!(after.reasons[0].code, "REVOKED");
    assert!(after.changed_since_registration);
    assert_eq!(after.status_effective_date, d.to_string());
    assert!(check(&mut api, MODEL_B).await.trusted, "B is revoked only from D2");
    let metrics = http_get(running.admin_addr.unwrap(), "/metrics").await;
    assert!(metrics.contains("mdsd_watch_events_total{cause=\"effective_date\"} 1"), "{metrics}");
    assert!(metrics.contains("mdsd_watch_events_total{cause=\"new_blob\"} 1"), "{metrics}");
    drop(live);
    running.shutdown().await;

    // Restart at D + 1 h: the restored BLOB 21 is no event, D is not published again, and the
    // history replays with its sequences.
    let running =
        start(config(&env, &path, midnight(d) + time::Duration::hours(1)).check().unwrap())
            .await
            .unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 21).await;
    let mut replay = watch(&mut api, None, Some(0)).await;
    let first = next_event(&mut replay).await;
    let second = next_event(&mut replay).await;
    assert_eq!(summary(&first), (1, ChangeCause::NewBlob as i32, 20, 21, true));
    assert_eq!(summary(&second), (2, ChangeCause::EffectiveDate as i32, 21, 21, true));
    assert_eq!(second.changes[0].new_status, "REVOKED");
    assert_eq!(second.installed_at.as_ref().unwrap().seconds, midnight(d).unix_timestamp());
    no_event(&mut replay).await;
    let mut by_no = watch(&mut api, Some(20), None).await;
    assert_eq!(
        summary(&next_event(&mut by_no).await),
        (1, ChangeCause::NewBlob as i32, 20, 21, true)
    );
    assert_eq!(
        summary(&next_event(&mut by_no).await),
        (2, ChangeCause::EffectiveDate as i32, 21, 21, true)
    );
    let mut after_last = watch(&mut api, None, Some(2)).await;
    no_event(&mut after_last).await;
    let err = api
        .watch_status_changes(WatchStatusChangesRequest { since_no: None, since_sequence: Some(3) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "nothing was published after 2: {err:?}");
    assert_eq!(running.shared.watch.state().1.sequence, 2);
    assert!(!check(&mut api, MODEL_A).await.trusted);
    drop((replay, by_no, after_last));
    running.shutdown().await;

    // Restart at D2 + 1 h: B's date passed while the daemon was down: published at start, once.
    let running =
        start(config(&env, &path, midnight(d2) + time::Duration::hours(1)).check().unwrap())
            .await
            .unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 21).await;
    let mut resumed = watch(&mut api, None, Some(2)).await;
    let e = next_event(&mut resumed).await;
    assert_eq!((e.sequence, e.cause, e.metadata_no), (3, ChangeCause::EffectiveDate as i32, 21));
    assert_eq!(e.changes.len(), 1, "{:?}", e.changes);
    assert_eq!(
        (e.changes[0].aaguid.as_str(), e.changes[0].new_status.as_str()),
        (MODEL_B, "REVOKED")
    );
    no_event(&mut resumed).await;
    assert_eq!(running.shared.watch.state().1.sequence, 3);
    let b = check(&mut api, MODEL_B).await;
    assert_eq!((b.trusted, b.current_status.as_str()), (false, "REVOKED"));
    assert_eq!(b.status_effective_date, d2.to_string());
    running.shutdown().await;
}

/// A damaged history file: WARN and an empty history, never a refusal to start; the sequences
/// go on from the wall clock's Unix milliseconds (above any number given out before, so a
/// client resuming from one is refused, not handed unrelated events), and the next event is
/// written over the file.
#[tokio::test]
async fn a_damaged_history_file_starts_an_empty_history() {
    let env = MdsEnv::start("watch-dates-corrupt").await;
    let path = env.dir.join("mds.jwt");
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let d = in_days(2);
    std::fs::write(&path, env.blob(30, in_days(30), vec![entry(MODEL_A, revoked_on(d))])).unwrap();
    std::fs::create_dir_all(env.state_dir()).unwrap();
    let history = env.state_dir().join("watch-history.v1");
    std::fs::write(&history, b"MDSD-WATCH-HISTORY\n\0\0\0\x01 not what was written").unwrap();
    let running = start(config(&env, &path, t0).check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 30).await;
    let floor = running.shared.watch.state().1.sequence;
    let millis = |t: OffsetDateTime| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap();
    assert!(floor >= millis(t0) && floor <= millis(OffsetDateTime::now_utc()), "{floor}");
    // A client that had seen event 1 of the lost history is refused, not replayed to.
    let refused = api
        .watch_status_changes(WatchStatusChangesRequest { since_no: None, since_sequence: Some(1) })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let mut live = watch(&mut api, None, None).await;
    running.shared.set_pinned_clock(midnight(d));
    let e = next_event(&mut live).await;
    assert_eq!(summary(&e), (floor + 1, ChangeCause::EffectiveDate as i32, 30, 30, false));
    drop(live);
    running.shutdown().await;
    let written = std::fs::read(&history).unwrap();
    assert!(written.starts_with(b"MDSD-WATCH-HISTORY\n"));
    assert!(String::from_utf8_lossy(&written).contains("\"effective_date\""));
}

/// A history restored with its counter at 5 and no event held: numbering goes on at 6;
/// replay after 3 is refused as not retained (FAILED_PRECONDITION DIFF_NOT_RETAINED naming the
/// sequence), after 5 is nothing, after 6 is from the future; both resume points at once are
/// refused.
#[tokio::test]
async fn since_sequence_errors_and_numbering_after_a_restored_counter() {
    use mdsd::daemon::snapshot_file::watch_history::encode_history;
    use mdsd::daemon::watch::HistoryState;
    use tonic_types::StatusExt;

    let env = MdsEnv::start("watch-dates-counter").await;
    let path = env.dir.join("mds.jwt");
    let t0 = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let d = in_days(2);
    std::fs::write(&path, env.blob(40, in_days(30), vec![entry(MODEL_A, revoked_on(d))])).unwrap();
    std::fs::create_dir_all(env.state_dir()).unwrap();
    let state = HistoryState { sequence: 5, effective_through: Some(t0), events: Vec::new() };
    std::fs::write(env.state_dir().join("watch-history.v1"), encode_history(&state, 1 << 20).0)
        .unwrap();
    let running = start(config(&env, &path, t0).check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 40).await;
    let request = |since_no, since_sequence| WatchStatusChangesRequest { since_no, since_sequence };
    let err = api.watch_status_changes(request(None, Some(3))).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let info = err.get_error_details().error_info().unwrap().clone();
    assert_eq!(info.reason, "DIFF_NOT_RETAINED");
    assert_eq!(info.metadata["since_sequence"], "3");
    let mut none_yet = api.watch_status_changes(request(None, Some(5))).await.unwrap().into_inner();
    let err = api.watch_status_changes(request(None, Some(6))).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let err = api.watch_status_changes(request(Some(40), Some(5))).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    running.shared.set_pinned_clock(midnight(d));
    let e = next_event(&mut none_yet).await;
    assert_eq!(summary(&e), (6, ChangeCause::EffectiveDate as i32, 40, 40, false));
    drop(none_yet);
    running.shutdown().await;
}
