//! The refresh path against a local HTTP server standing in for the MDS and its CRL distribution
//! points: first load, newer `no`, 304, rollback, tampering, HTTP failures, CRLs, restart from the
//! state directory with the network down, a damaged snapshot, a FIFO planted as the snapshot,
//! and the stale policy.

use std::sync::Arc;
use std::time::Duration;

use mdsd::daemon::config::Config;
use mdsd::daemon::fetch::{FetchError, Fetcher};
use mdsd::daemon::files::FileKind;
use mdsd::daemon::metrics::Metrics;
use mdsd::daemon::refresh::{LastOutcome, RefreshError, Refresher, RestoreError, RESTORE_WAIT};
use mdsd::daemon::snapshot_file::{SnapshotError, StateDir};
use mdsd::daemon::state::{Shared, StalePolicy, Unavailable};
use mdsd::mds::BlobError;
use mdsd_test_support::http::{self, Route};
use mdsd_test_support::mds_env::{in_days, MdsEnv, BLOB_PATH, CA_CRL_PATH, ROOT_CRL_PATH};
use mdsd_test_support::{blob, now, pki};

const AAGUID: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

fn refresher(config: Config) -> (Refresher, Arc<Shared>) {
    let config = Arc::new(config);
    let shared = Arc::new(Shared::new(
        StalePolicy { grace: config.stale_grace, serve_stale: config.danger.serve_stale },
        Arc::new(Metrics::new()),
    ));
    let (state, _) = StateDir::open(&config.state_dir).unwrap();
    let fetcher = Fetcher::new(&config.fetch).unwrap();
    (Refresher::new(config, shared.clone(), fetcher, Some(state)), shared)
}

fn serving(shared: &Shared) -> Option<u64> {
    shared.current().map(|c| c.blob.no)
}

fn entries() -> Vec<serde_json::Value> {
    vec![blob::fido2_entry(AAGUID, "FIDO_CERTIFIED_L1")]
}

#[tokio::test]
async fn first_load_then_newer_no_then_304() {
    let env = MdsEnv::start("refresh-first").await;
    env.serve_blob(10, env.blob(10, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    assert_eq!(serving(&shared), None);
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(10));
    let loaded = shared.current().unwrap();
    assert!(loaded.blob.store.by_aaguid(&AAGUID.parse().unwrap()).is_some());
    assert!(loaded.blob.revocation_checked);
    assert_eq!(loaded.etag.as_deref(), Some("\"10\""));

    // Same BLOB again: the conditional GET gets 304.
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    let seen = env.server.seen(BLOB_PATH);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].if_none_match, None);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"10\""));

    env.serve_blob(11, env.blob(11, in_days(30), entries()));
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(11));
    assert_eq!(r.floor(), Some(11));
}

#[tokio::test]
async fn same_blob_without_etag_is_unchanged_not_a_failure() {
    let env = MdsEnv::start("refresh-noetag").await;
    let bytes = env.blob(10, in_days(30), entries());
    env.server.set(BLOB_PATH, Route::Ok { body: bytes, etag: None });
    let (mut r, shared) = refresher(env.config());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    assert_eq!(serving(&shared), Some(10));
}

#[tokio::test]
async fn rollback_is_refused_and_the_newer_store_kept() {
    let env = MdsEnv::start("refresh-rollback").await;
    env.serve_blob(11, env.blob(11, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    r.refresh_once(now()).await.unwrap();
    env.serve_blob(10, env.blob(10, in_days(30), entries()));
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err, RefreshError::Verify(BlobError::RollbackRefused { stored: 11, offered: 10 }));
    assert_eq!(err.step(), "verify:rollback");
    assert_eq!(serving(&shared), Some(11));
}

#[tokio::test]
async fn tampered_blob_is_refused_while_the_old_store_keeps_serving() {
    let env = MdsEnv::start("refresh-tamper").await;
    env.serve_blob(10, env.blob(10, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    r.refresh_once(now()).await.unwrap();
    let mut bytes = env.blob(11, in_days(30), entries());
    let last = bytes.len() - 3;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    env.serve_blob(11, bytes);
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err.step(), "verify:signature", "{err}");
    assert_eq!(serving(&shared), Some(10));
    assert!(shared.for_request(now()).is_ok());
}

#[tokio::test]
async fn http_failures_are_reported_with_their_kind() {
    let env = MdsEnv::start("refresh-http").await;
    let (mut r, shared) = refresher(env.config());

    env.server.set(BLOB_PATH, Route::Status { code: 500, headers: vec![], body: b"oops".to_vec() });
    match r.refresh_once(now()).await.unwrap_err() {
        RefreshError::Fetch(FetchError::Status { status: 500, retry_after: None, .. }) => {}
        other => panic!("{other}"),
    }

    let headers = vec![("Retry-After".to_string(), "120".to_string())];
    env.server.set(BLOB_PATH, Route::Status { code: 429, headers, body: vec![] });
    match r.refresh_once(now()).await.unwrap_err() {
        RefreshError::Fetch(e) => {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
        }
        other => panic!("{other}"),
    }

    let body = env.blob(10, in_days(30), entries());
    let claimed_len = body.len() + 100;
    env.server.set(BLOB_PATH, Route::Truncated { body, claimed_len });
    match r.refresh_once(now()).await.unwrap_err() {
        RefreshError::Fetch(FetchError::Transport { .. }) => {}
        other => panic!("truncated: {other}"),
    }

    env.server.set(BLOB_PATH, Route::Hang);
    let started = std::time::Instant::now();
    match r.refresh_once(now()).await.unwrap_err() {
        RefreshError::Fetch(FetchError::Transport { reason, .. }) => {
            assert!(reason.contains("timeout"), "{reason}");
        }
        other => panic!("hang: {other}"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(serving(&shared), None);
    assert!(matches!(shared.for_request(now()), Err(Unavailable::NotLoaded { .. })));
}

#[tokio::test]
async fn oversized_blob_is_cut_off() {
    let env = MdsEnv::start("refresh-size").await;
    let bytes = env.blob(10, in_days(30), entries());
    let mut raw = env.raw_config();
    raw.max_blob_bytes = Some(((bytes.len() - 1) as u64).into());
    env.serve_blob(10, bytes);
    let (mut r, _) = refresher(raw.check().unwrap());
    match r.refresh_once(now()).await.unwrap_err() {
        RefreshError::Fetch(FetchError::TooLarge { .. }) => {}
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn unreachable_crl_refuses_the_blob_and_a_cached_one_is_used() {
    let env = MdsEnv::start("refresh-crl").await;
    env.server.remove(CA_CRL_PATH);
    env.serve_blob(10, env.blob(10, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err.step(), "verify:revocation", "{err}");
    assert_eq!(serving(&shared), None);

    // With both CRLs reachable once, they land in the on-disk cache …
    env.serve_crls(&[]);
    r.refresh_once(now()).await.unwrap();
    // … and are used (without a download) while current.
    env.server.remove(CA_CRL_PATH);
    env.server.remove(ROOT_CRL_PATH);
    let before = env.server.seen(CA_CRL_PATH).len();
    env.serve_blob(11, env.blob(11, in_days(30), entries()));
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(env.server.seen(CA_CRL_PATH).len(), before);
    assert_eq!(serving(&shared), Some(11));
}

#[tokio::test]
async fn revoked_signer_is_refused() {
    let env = MdsEnv::start("refresh-revoked").await;
    env.serve_crls(&[env.signer.serial]);
    env.serve_blob(10, env.blob(10, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err.step(), "verify:revocation", "{err}");
    assert!(err.to_string().contains("revoked"), "{err}");
    assert_eq!(serving(&shared), None);
}

#[tokio::test]
async fn restart_from_the_state_dir_with_the_network_down() {
    let env = MdsEnv::start("refresh-restart").await;
    env.serve_blob(12, env.blob(12, in_days(30), entries()));
    {
        let (mut r, _) = refresher(env.config());
        r.refresh_once(now()).await.unwrap();
    }
    // Network down: nothing answers.
    for path in [BLOB_PATH, CA_CRL_PATH, ROOT_CRL_PATH] {
        env.server.remove(path);
    }
    let (mut r, shared) = refresher(env.config());
    assert_eq!(r.restore(now()).await.unwrap(), Some(12));
    assert_eq!(serving(&shared), Some(12));
    assert!(shared.current().unwrap().restored);
    assert_eq!(r.floor(), Some(12));
    // The persisted no is the rollback floor.
    env.serve_crls(&[]);
    env.serve_blob(11, env.blob(11, in_days(30), entries()));
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err, RefreshError::Verify(BlobError::RollbackRefused { stored: 12, offered: 11 }));
}

#[tokio::test]
async fn corrupt_snapshot_is_reported_and_not_served() {
    let env = MdsEnv::start("refresh-corrupt").await;
    env.serve_blob(12, env.blob(12, in_days(30), entries()));
    {
        let (mut r, _) = refresher(env.config());
        r.refresh_once(now()).await.unwrap();
    }
    let path = env.state_dir().join(mdsd::daemon::snapshot_file::SNAPSHOT_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes.truncate(mid);
    std::fs::write(&path, bytes).unwrap();
    let (mut r, shared) = refresher(env.config());
    let err = r.restore(now()).await.unwrap_err();
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert_eq!(serving(&shared), None);
    // The next fetch repairs it.
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(12));
}

#[tokio::test]
async fn stale_blob_is_served_in_grace_then_fails_closed() {
    let env = MdsEnv::start("refresh-stale").await;
    // nextUpdate yesterday: stale already.
    env.serve_blob(10, env.blob(10, in_days(-1), entries()));
    let mut raw = env.raw_config();
    raw.stale_grace = Some("2d".into());
    let (mut r, shared) = refresher(raw.check().unwrap());
    r.refresh_once(now()).await.unwrap();
    let (_, stale) = shared.for_request(now()).unwrap();
    assert!(stale);
    // nextUpdate day ends at midnight today; the grace runs 2 days from then.
    let later = now() + time::Duration::days(3);
    match shared.for_request(later) {
        Err(Unavailable::StaleBeyondGrace { no: 10, .. }) => {}
        other => panic!("{other:?}"),
    }

    // danger_serve_stale keeps serving.
    let mut raw = env.raw_config();
    raw.stale_grace = Some("2d".into());
    raw.danger_serve_stale = Some(true);
    raw.state_dir = Some(env.dir.join("state2"));
    let (mut r, shared) = refresher(raw.check().unwrap());
    r.refresh_once(now()).await.unwrap();
    assert!(shared.for_request(later).unwrap().1);
}

/// A BLOB whose header names its chain by `x5u` (MDS3 §3.2 step 4).
fn x5u_blob(env: &MdsEnv, no: u64, x5u: &str) -> Vec<u8> {
    let mut payload: serde_json::Value =
        serde_json::from_slice(&blob::payload(no, entries())).unwrap();
    payload["nextUpdate"] = serde_json::Value::from(in_days(30).to_string());
    let header = serde_json::json!({ "alg": "ES256", "typ": "JWT", "x5u": x5u });
    blob::sign(&header, payload.to_string().as_bytes(), &env.signer)
}

#[tokio::test]
async fn x5u_chain_from_the_same_origin_is_used_and_persisted() {
    let env = MdsEnv::start("refresh-x5u").await;
    let chain_pem = format!("{}{}", env.signer.cert.pem(), env.ca.cert.pem());
    env.server.set("/mds/chain.pem", Route::Ok { body: chain_pem.into_bytes(), etag: None });
    env.serve_blob(30, x5u_blob(&env, 30, &env.server.url("/mds/chain.pem")));
    {
        let (mut r, shared) = refresher(env.config());
        assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
        assert_eq!(serving(&shared), Some(30));
    }
    // Restart offline: the persisted x5u chain lets the snapshot verify again.
    for path in [BLOB_PATH, CA_CRL_PATH, ROOT_CRL_PATH, "/mds/chain.pem"] {
        env.server.remove(path);
    }
    let (mut r, shared) = refresher(env.config());
    assert_eq!(r.restore(now()).await.unwrap(), Some(30));
    assert_eq!(serving(&shared), Some(30));
}

#[tokio::test]
async fn x5u_from_another_origin_is_refused() {
    let env = MdsEnv::start("refresh-x5u-origin").await;
    let other = http::MockServer::start().await;
    let chain_pem = format!("{}{}", env.signer.cert.pem(), env.ca.cert.pem());
    other.set("/chain.pem", Route::Ok { body: chain_pem.into_bytes(), etag: None });
    env.serve_blob(31, x5u_blob(&env, 31, &other.url("/chain.pem")));
    let (mut r, shared) = refresher(env.config());
    let err = r.refresh_once(now()).await.unwrap_err();
    assert_eq!(err.step(), "verify:x5u", "{err}");
    assert!(other.seen("/chain.pem").is_empty(), "the foreign x5u was fetched");
    assert_eq!(serving(&shared), None);
}

/// A file source (air-gapped sites): read, verified, and recognised as unchanged afterwards
/// without another verification.
#[tokio::test]
async fn file_source_is_read_and_unchanged_bytes_are_recognised() {
    let env = MdsEnv::start("refresh-file").await;
    let path = env.dir.join("mds.jwt");
    std::fs::write(&path, env.blob(50, in_days(30), entries())).unwrap();
    let mut raw = env.raw_config();
    raw.mds_url = vec![path.display().to_string()];
    let (mut r, shared) = refresher(raw.check().unwrap());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    // Unchanged bytes are not verified again: not even the CRL cache was consulted.
    let metrics = shared.render_metrics(now());
    assert!(metrics.contains("mdsd_crl_fetches_total{source=\"cache\"} 0"), "{metrics}");
    std::fs::write(&path, env.blob(51, in_days(30), entries())).unwrap();
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(51));
}

/// CRLs from a mirror directory instead of the distribution points (air-gapped sites).
#[tokio::test]
async fn crl_mirror_directory_replaces_the_distribution_points() {
    let env = MdsEnv::start("refresh-mirror").await;
    let mirror = env.dir.join("crl-mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let fresh = |issuer: &pki::Issued| {
        let now = now();
        pki::crl(issuer, &[], now - time::Duration::days(1), now + time::Duration::days(7))
    };
    // Named by the last path segment of each distribution point.
    std::fs::write(mirror.join("ca.crl"), fresh(&env.ca)).unwrap();
    std::fs::write(mirror.join("root.crl"), fresh(&env.root)).unwrap();
    env.server.remove(CA_CRL_PATH);
    env.server.remove(ROOT_CRL_PATH);
    env.serve_blob(60, env.blob(60, in_days(30), entries()));
    let mut raw = env.raw_config();
    raw.crl_mirror = Some(mirror.display().to_string());
    let (mut r, shared) = refresher(raw.check().unwrap());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert!(env.server.seen(CA_CRL_PATH).is_empty(), "the distribution point was contacted");
    assert_eq!(serving(&shared), Some(60));
}

/// A URL CRL mirror that fails (here: it has no such CRL, 404) is followed by the distribution
/// points themselves, so a fleet whose mirror is gone still gets fresh CRLs.
#[tokio::test]
async fn a_failing_crl_mirror_url_falls_back_to_the_distribution_points() {
    let env = MdsEnv::start("refresh-mirror-fallback").await;
    env.serve_blob(63, env.blob(63, in_days(30), entries()));
    let mut raw = env.raw_config();
    // The mock serves no /mirror/ routes: every mirror lookup is a 404.
    raw.crl_mirror = Some(env.server.url("/mirror/"));
    let (mut r, shared) = refresher(raw.check().unwrap());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(63));
    assert!(!env.server.seen("/mirror/ca.crl").is_empty(), "the mirror was not asked first");
    assert!(!env.server.seen(CA_CRL_PATH).is_empty(), "no fallback to the distribution point");
}

/// Operator CRL files cover the chain when the distribution points are unreachable.
#[tokio::test]
async fn operator_crl_files_are_used() {
    let env = MdsEnv::start("refresh-crlfiles").await;
    let now = now();
    let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(7));
    let ca_crl = env.dir.join("ca.crl");
    let root_crl = env.dir.join("root.crl");
    std::fs::write(&ca_crl, pki::crl(&env.ca, &[], from, to)).unwrap();
    std::fs::write(&root_crl, pki::crl(&env.root, &[], from, to)).unwrap();
    env.server.remove(CA_CRL_PATH);
    env.server.remove(ROOT_CRL_PATH);
    env.serve_blob(61, env.blob(61, in_days(30), entries()));
    let mut raw = env.raw_config();
    raw.crl_files = vec![ca_crl, root_crl];
    let (mut r, shared) = refresher(raw.check().unwrap());
    assert_eq!(r.refresh_once(now).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(61));
    assert!(shared.current().unwrap().blob.revocation_checked);
}

/// danger_skip_revocation: accepted without CRLs, and says so.
#[tokio::test]
async fn danger_skip_revocation_accepts_without_crls_and_says_so() {
    let env = MdsEnv::start("refresh-danger").await;
    env.server.remove(CA_CRL_PATH);
    env.server.remove(ROOT_CRL_PATH);
    env.serve_blob(62, env.blob(62, in_days(30), entries()));
    let mut raw = env.raw_config();
    raw.danger_skip_revocation = Some(true);
    let (mut r, shared) = refresher(raw.check().unwrap());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert!(!shared.current().unwrap().blob.revocation_checked);
    assert!(env.server.seen(CA_CRL_PATH).is_empty(), "CRLs fetched although revocation is skipped");
}

/// A forged CRL (right issuer name, wrong key, far nextUpdate) makes that round fail but is
/// not cached: once the real CRL is back, the next round succeeds.
#[tokio::test]
async fn forged_crl_is_not_cached() {
    let env = MdsEnv::start("refresh-forged-crl").await;
    let now = now();
    let forger = rcgen::KeyPair::generate().unwrap();
    let forged = pki::crl_signed_with(
        &env.ca,
        &forger,
        &[],
        now - time::Duration::days(1),
        now + time::Duration::days(3650),
    );
    env.server.set(CA_CRL_PATH, Route::Ok { body: forged, etag: None });
    env.serve_blob(70, env.blob(70, in_days(30), entries()));
    let (mut r, shared) = refresher(env.config());
    let err = r.refresh_once(now).await.unwrap_err();
    assert_eq!(err.step(), "verify:revocation", "{err}");
    env.serve_crls(&[]);
    assert_eq!(r.refresh_once(now).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(70));
}

/// Back after downtime: the snapshot's CRLs expired, so it is not served (but its `no` is the
/// rollback floor); the MDS still serves the same BLOB; with fresh CRLs it is accepted again —
/// and an older BLOB still is not.
#[tokio::test]
async fn same_blob_is_reloaded_when_the_snapshot_no_longer_verifies() {
    let env = MdsEnv::start("refresh-downtime").await;
    env.serve_blob(80, env.blob(80, in_days(90), entries()));
    {
        let (mut r, _) = refresher(env.config());
        r.refresh_once(now()).await.unwrap();
    }
    // A month later: the stored and cached CRLs (valid one week) are stale.
    let later = now() + time::Duration::days(30);
    let (mut r, shared) = refresher(env.config());
    let err = r.restore(later).await.unwrap_err();
    assert!(err.to_string().contains("revocation"), "{err}");
    assert_eq!(serving(&shared), None);
    assert_eq!(r.floor(), Some(80));
    let (from, to) = (later - time::Duration::days(1), later + time::Duration::days(7));
    env.server
        .set(ROOT_CRL_PATH, Route::Ok { body: pki::crl(&env.root, &[], from, to), etag: None });
    env.server.set(CA_CRL_PATH, Route::Ok { body: pki::crl(&env.ca, &[], from, to), etag: None });
    // An older BLOB is still refused.
    env.serve_blob(79, env.blob(79, in_days(90), entries()));
    let err = r.refresh_once(later).await.unwrap_err();
    assert_eq!(err.step(), "verify:rollback", "{err}");
    // The same BLOB is served again.
    env.serve_blob(80, env.blob(80, in_days(90), entries()));
    assert_eq!(r.refresh_once(later).await.unwrap(), LastOutcome::Updated);
    assert_eq!(serving(&shared), Some(80));
}

/// The snapshot's checksum is checked beside the BLOB's verification (cold start): a snapshot
/// whose BLOB still verifies but whose meta was damaged is refused as corrupt, never served,
/// and sets no rollback floor.
#[tokio::test]
async fn snapshot_damaged_beside_a_valid_blob_is_not_served() {
    let env = MdsEnv::start("refresh-damaged-meta").await;
    env.serve_blob(12, env.blob(12, in_days(30), entries()));
    {
        let (mut r, _) = refresher(env.config());
        r.refresh_once(now()).await.unwrap();
    }
    let path = env.state_dir().join(mdsd::daemon::snapshot_file::SNAPSHOT_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // The source URL in meta (before the BLOB) names the BLOB path; the BLOB does not need it.
    let name = BLOB_PATH.as_bytes();
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap() + name.len() - 1;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (mut r, shared) = refresher(env.config());
    let err = r.restore(now()).await.unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert_eq!(serving(&shared), None);
    assert_eq!(r.floor(), None);
}

/// The restored BLOB carries the SHA-256 of its bytes (to recognise them unchanged later):
/// recorded in the snapshot by the writer, or computed for a snapshot of an earlier build.
#[tokio::test]
async fn restored_blob_digest_recorded_or_computed() {
    let env = MdsEnv::start("refresh-digest").await;
    let bytes = env.blob(12, in_days(30), entries());
    let expected = mdsd::daemon::state::blob_digest(&bytes);
    env.server.set(BLOB_PATH, Route::Ok { body: bytes, etag: None });
    {
        let (mut r, _) = refresher(env.config());
        r.refresh_once(now()).await.unwrap();
    }
    let (dir, _) = StateDir::open(&env.state_dir()).unwrap();
    let mut stored = dir.load_snapshot(64 << 20).unwrap().unwrap();
    assert_eq!(stored.blob_sha256, Some(expected));
    for recorded in [true, false] {
        if !recorded {
            stored.blob_sha256 = None;
            dir.store_snapshot(&stored).unwrap();
        }
        let (mut r, shared) = refresher(env.config());
        assert_eq!(r.restore(now()).await.unwrap(), Some(12));
        assert_eq!(shared.current().unwrap().blob_sha256, expected, "recorded: {recorded}");
        // The same bytes fetched again are unchanged.
        assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    }
}

/// A FIFO planted at the snapshot path used to block start-up for ever, without a log line
/// (nobody writes it, and opening a FIFO for reading waits for a writer). Now the restore
/// refuses it at once as not a regular file (like a damaged snapshot: nothing served, no
/// floor), start() returns, the daemon goes on to fetch, and the first accepted BLOB replaces
/// the FIFO with a regular snapshot file.
#[tokio::test]
async fn fifo_snapshot_is_refused_at_once_and_the_daemon_fetches() {
    let env = MdsEnv::start("refresh-fifo").await;
    env.serve_blob(12, env.blob(12, in_days(30), entries()));
    let (dir, _) = StateDir::open(&env.state_dir()).unwrap();
    let path = dir.snapshot_path();
    let status = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(status.success());

    // The restore itself: refused at once, the type named.
    // Should a reader block on it, feed it (so the runtime can stop) and fail.
    let unblock = |path: std::path::PathBuf, what: &str| -> ! {
        std::thread::spawn(move || std::fs::write(path, b"not a snapshot"));
        panic!("{what} blocked on the FIFO snapshot");
    };
    let (mut r, shared) = refresher(env.config());
    let err = match tokio::time::timeout(Duration::from_secs(5), r.restore(now())).await {
        Ok(restored) => restored.unwrap_err(),
        Err(_) => unblock(path, "the restore"),
    };
    assert!(
        matches!(&err, RestoreError::Read(SnapshotError::NotRegular { kind: FileKind::Fifo, .. })),
        "{err}"
    );
    assert!(err.to_string().contains("snapshot.v1 is a FIFO (named pipe)"), "{err}");
    assert_eq!((r.floor(), serving(&shared)), (None, None));

    // The whole daemon: start() returns well before the restore wait would end, and serves the
    // download.
    let started = std::time::Instant::now();
    let running =
        match tokio::time::timeout(RESTORE_WAIT, mdsd::daemon::server::start(env.config())).await {
            Ok(started) => started.unwrap(),
            Err(_) => unblock(path, "start()"),
        };
    assert!(started.elapsed() < RESTORE_WAIT / 2, "{:?}", started.elapsed());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while running.shared.current().is_none() {
        assert!(std::time::Instant::now() < deadline, "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let current = running.shared.current().unwrap();
    assert_eq!((current.blob.no, current.restored), (12, false));
    running.shutdown().await;
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file());
}
