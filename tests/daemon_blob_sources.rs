//! Further BLOB sources (`[[blob_source]]`, issue #15): the MDS BLOB under test root A and a
//! source "conformance" under its own test root B, each verified on its own. An entry only in
//! the second source is served with origin BLOB_SOURCE; a BLOB for it signed under root A is
//! refused; its rollback floor survives a restart in its own state directory; a failing source
//! keeps its last good entries (and says so) while the MDS BLOB keeps serving; the MDS BLOB's
//! entry wins an AAGUID both carry; an attestation chaining to a root only the second source
//! lists is trusted with that origin; a source stale beyond its grace stops being served.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd::changes::ChangeKind;
use mdsd::daemon::config::{Config, RawBlobSource};
use mdsd::daemon::fetch::Fetcher;
use mdsd::daemon::metrics::Metrics;
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    get_authenticator_request, Authenticator, GetAuthenticatorRequest, GetMetadataInfoRequest,
    OriginKind, Verdict, VerifyRegistrationRequest,
};
use mdsd::daemon::refresh::{LastOutcome, RefreshError, Refresher};
use mdsd::daemon::server::start;
use mdsd::daemon::snapshot_file::{StateDir, SNAPSHOT_FILE};
use mdsd::daemon::state::{Shared, StalePolicy};
use mdsd::daemon::watch::{ChangeCause, Since};
use mdsd::mds::BlobError;
use mdsd::trust_store::Origin;
use mdsd_test_support::grpc::client;
use mdsd_test_support::http::Route;
use mdsd_test_support::mds_env::{in_days, MdsEnv, BLOB_PATH};
use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::{b64, blob, now, shared};
use serde_json::{json, Value};
use tonic::transport::Channel;

/// In the MDS BLOB only.
const MDS_ONLY: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
/// In the conformance BLOB only.
const CONFORMANCE_ONLY: &str = "0bb43545-fd2c-4185-87dd-feb0b2916ace";
/// In both: the MDS BLOB's entry answers.
const BOTH: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";

const NAME: &str = "conformance";

/// The MDS (root A) and the conformance endpoint (root B), and a config with both.
async fn two_envs(name: &str) -> (MdsEnv, MdsEnv, Config) {
    let mds = MdsEnv::start(&format!("{name}-a")).await;
    let conformance = MdsEnv::start(&format!("{name}-b")).await;
    let mut raw = mds.raw_config();
    raw.stale_grace = Some("2d".into());
    raw.blob_source = vec![RawBlobSource {
        name: Some(NAME.into()),
        url: vec![conformance.server.url(BLOB_PATH)],
        mds_roots: vec![conformance.dir.join("root.pem")],
        ..RawBlobSource::default()
    }];
    let config = raw.check().unwrap();
    (mds, conformance, config)
}

fn entry(aaguid: &str, description: &str) -> Value {
    let mut e = blob::fido2_entry(aaguid, "FIDO_CERTIFIED_L1");
    e["metadataStatement"]["description"] = json!(description);
    e
}

/// The MDS BLOB's entries: one of its own and one the conformance BLOB also has.
fn mds_entries() -> Vec<Value> {
    vec![entry(MDS_ONLY, "mds only"), entry(BOTH, "mds copy")]
}

/// The conformance BLOB's entries: one of its own, one the MDS BLOB also has, and the W3C
/// packed test authenticator anchored at the W3C test CA (listed nowhere else).
fn conformance_entries() -> Vec<Value> {
    let aaguid = vector("w3c-packed-es256")["aaguid"].as_str().unwrap().to_string();
    let root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut w3c = entry(&aaguid, "W3C test authenticator (conformance)");
    w3c["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(root)]);
    vec![entry(CONFORMANCE_ONLY, "conformance only"), entry(BOTH, "conformance copy"), w3c]
}

/// A fresh `Shared` with the MDS BLOB's refresher and the conformance source's, each on its
/// own state directory as the daemon lays them out.
fn refreshers(config: &Config) -> (Refresher, Refresher, Arc<Shared>) {
    let config = Arc::new(config.clone());
    let shared = Arc::new(Shared::new(
        StalePolicy { grace: config.stale_grace, serve_stale: false },
        Arc::new(Metrics::new()),
    ));
    let (state, _) = StateDir::open(&config.state_dir).unwrap();
    let (extra_state, _) = StateDir::open(&config.blob_source_state_dir(NAME)).unwrap();
    let fetcher = || Fetcher::new(&config.fetch).unwrap();
    let mds = Refresher::new(config.clone(), shared.clone(), fetcher(), Some(state));
    let fetcher = fetcher();
    let extra =
        Refresher::for_blob_source(config, shared.clone(), fetcher, Some(extra_state), 0).unwrap();
    (mds, extra, shared)
}

/// The entry served for `aaguid` and its origin, if any.
fn served(shared: &Shared, aaguid: &str) -> Option<(String, Origin)> {
    let current = shared.current()?;
    let e = current.blob.store.by_aaguid(&aaguid.parse().unwrap())?.clone();
    Some((e.description().unwrap_or_default().to_string(), e.origin().clone()))
}

/// (cause, kind and AAGUID of each change) of every event the hub holds.
fn events(shared: &Shared) -> Vec<(ChangeCause, Vec<(ChangeKind, String)>)> {
    let no = shared.current().map(|l| l.blob.no);
    let (held, _) = shared.watch.subscribe(Since::Sequence(0), no).unwrap();
    held.iter()
        .map(|e| {
            let changes = e
                .changes
                .iter()
                .map(|c| (c.kind, c.aaguid.map(|a| a.to_string()).unwrap_or_default()))
                .collect();
            (e.cause, changes)
        })
        .collect()
}

fn conformance_origin() -> Origin {
    Origin::Blob { source: NAME.into() }
}

/// (b) and (c): each source only under its own roots; the second source's rollback floor kept
/// in its own state directory across a restart; and a BLOB stale beyond the source's grace
/// stops being served while the MDS BLOB keeps serving.
#[tokio::test]
async fn each_source_has_its_own_roots_floor_and_grace() {
    let (mds, conformance, config) = two_envs("blob-sources-roots").await;
    mds.serve_blob(10, mds.blob(10, in_days(30), mds_entries()));
    let (mut primary, mut extra, shared) = refreshers(&config);
    assert_eq!(primary.refresh_once(now()).await.unwrap(), LastOutcome::Updated);

    // (b) A BLOB for the conformance source signed under root A (the MDS's, valid there) is
    // refused: only root B is pinned for it.
    conformance.serve_blob(5, mds.blob(5, in_days(30), conformance_entries()));
    let err = extra.refresh_once(now()).await.unwrap_err();
    assert!(matches!(err, RefreshError::Verify(_)), "{err}");
    assert!(err.step().starts_with("verify:"), "{err}");
    assert_eq!(served(&shared, CONFORMANCE_ONLY), None);
    assert_eq!(extra.floor(), None);

    // Signed under root B: served, marked with its origin, after the MDS BLOB's own entries.
    conformance.serve_blob(5, conformance.blob(5, in_days(30), conformance_entries()));
    assert_eq!(extra.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(
        served(&shared, CONFORMANCE_ONLY),
        Some(("conformance only".into(), conformance_origin()))
    );
    // (e) Both carry BOTH: the MDS BLOB's entry answers.
    assert_eq!(served(&shared, BOTH), Some(("mds copy".into(), Origin::Mds)));
    // Subscribers are told of the entries the source added (not of BOTH: shadowed, not
    // served).
    let w3c = vector("w3c-packed-es256")["aaguid"].as_str().unwrap().to_string();
    let added = vec![(ChangeKind::Added, CONFORMANCE_ONLY.to_string()), (ChangeKind::Added, w3c)];
    assert_eq!(events(&shared), [(ChangeCause::SourceChanged, added)]);
    assert_eq!(served(&shared, MDS_ONLY), Some(("mds only".into(), Origin::Mds)));
    assert_eq!(shared.current().unwrap().blob.no, 10);
    // The MDS BLOB's rollback floor is its own.
    assert_eq!((primary.floor(), extra.floor()), (Some(10), Some(5)));

    // (c) Rollback of the conformance source refused; its entries stay.
    conformance.serve_blob(4, conformance.blob(4, in_days(30), vec![]));
    let err = extra.refresh_once(now()).await.unwrap_err();
    assert_eq!(err, RefreshError::Verify(BlobError::RollbackRefused { stored: 5, offered: 4 }));
    assert!(served(&shared, CONFORMANCE_ONLY).is_some());
    assert!(config.blob_source_state_dir(NAME).join(SNAPSHOT_FILE).is_file());
    assert!(config.state_dir.join(SNAPSHOT_FILE).is_file());

    // Restart: both restored from their own state directories, each with its own floor.
    drop((primary, extra, shared));
    let (mut primary, mut extra, shared) = refreshers(&config);
    assert_eq!(primary.restore(now()).await.unwrap(), Some(10));
    assert_eq!(extra.restore(now()).await.unwrap(), Some(5));
    assert_eq!((primary.floor(), extra.floor()), (Some(10), Some(5)));
    assert_eq!(
        served(&shared, CONFORMANCE_ONLY),
        Some(("conformance only".into(), conformance_origin()))
    );
    // What was served before the restart, restored: nothing to announce.
    assert_eq!(events(&shared), []);
    conformance.serve_blob(3, conformance.blob(3, in_days(30), vec![]));
    let err = extra.refresh_once(now()).await.unwrap_err();
    assert_eq!(err, RefreshError::Verify(BlobError::RollbackRefused { stored: 5, offered: 3 }));
    let status = &shared.blob_sources.all()[0];
    assert_eq!(status.held.as_ref().map(|h| (h.no, h.restored)), Some((5, true)));
    assert!(status.served);

    // Stale beyond its grace (2 days past the end of nextUpdate's day): its slot is emptied,
    // the MDS BLOB keeps serving; a newer BLOB of the source serves again.
    extra.expire_stale(now() + time::Duration::days(32));
    assert!(shared.blob_sources.all()[0].served, "stale, but within the grace");
    assert!(served(&shared, CONFORMANCE_ONLY).is_some());
    extra.expire_stale(now() + time::Duration::days(34));
    assert!(!shared.blob_sources.all()[0].served);
    assert_eq!(served(&shared, CONFORMANCE_ONLY), None);
    assert!(served(&shared, MDS_ONLY).is_some());
    let w3c = vector("w3c-packed-es256")["aaguid"].as_str().unwrap().to_string();
    let removed =
        vec![(ChangeKind::Removed, CONFORMANCE_ONLY.to_string()), (ChangeKind::Removed, w3c)];
    assert_eq!(events(&shared), [(ChangeCause::SourceChanged, removed)]);
    extra.expire_stale(now() + time::Duration::days(35));
    assert_eq!(served(&shared, CONFORMANCE_ONLY), None);
    conformance.serve_blob(6, conformance.blob(6, in_days(30), conformance_entries()));
    assert_eq!(extra.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert!(served(&shared, CONFORMANCE_ONLY).is_some());
    // A newer BLOB already stale beyond the grace is accepted (the floor moves) but not served.
    conformance.serve_blob(7, conformance.blob(7, in_days(-5), conformance_entries()));
    assert_eq!(extra.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(extra.floor(), Some(7));
    assert_eq!(served(&shared, CONFORMANCE_ONLY), None);
    assert!(!shared.blob_sources.all()[0].served);
}

async fn lookup(api: &mut AttestationServiceClient<Channel>, aaguid: &str) -> Authenticator {
    let key = get_authenticator_request::Key::Aaguid(aaguid.into());
    let answer = api.get_authenticator(GetAuthenticatorRequest { key: Some(key) }).await;
    answer.unwrap().into_inner().authenticator.unwrap()
}

/// Polls GetMetadataInfo until `done` holds for the conformance source (at most 20 s).
async fn wait_source(
    api: &mut AttestationServiceClient<Channel>,
    done: impl Fn(&mdsd::daemon::proto::BlobSourceInfo) -> bool,
) -> mdsd::daemon::proto::GetMetadataInfoResponse {
    for _ in 0..400 {
        let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        if info.loaded && info.blob_sources.first().is_some_and(&done) {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the conformance source never reached the expected state");
}

/// (a), (d), (e) and VerifyRegistration through the real daemon.
#[tokio::test]
async fn daemon_serves_a_further_source_and_keeps_it_when_it_fails() {
    let (mds, conformance, config) = two_envs("blob-sources-daemon").await;
    mds.serve_blob(10, mds.blob(10, in_days(30), mds_entries()));
    conformance.serve_blob(5, conformance.blob(5, in_days(30), conformance_entries()));
    let root_b = conformance.root.cert.der().to_vec();
    let running = start(config).await.unwrap();
    let mut api = client(&running).await;
    let info = wait_source(&mut api, |s| s.served).await;

    // GetMetadataInfo: the MDS BLOB as before, the conformance source beside it.
    assert_eq!(info.no, 10);
    let s = &info.blob_sources[0];
    assert_eq!((s.name.as_str(), s.loaded, s.no, s.entry_count), (NAME, true, 5, 3));
    assert!(s.last_error.is_empty() && !s.stale && s.serve_until.is_some());
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &root_b));
    assert_eq!(s.roots_sha256, [sha]);

    // (a) An entry only in the conformance BLOB, with its origin.
    let a = lookup(&mut api, CONFORMANCE_ONLY).await;
    assert_eq!(a.description, "conformance only");
    let origin = a.origin.unwrap();
    assert_eq!((origin.kind, origin.source.as_str()), (OriginKind::BlobSource as i32, NAME));
    // (e) In both: the MDS BLOB's entry.
    let a = lookup(&mut api, BOTH).await;
    assert_eq!(a.description, "mds copy");
    assert_eq!(a.origin.unwrap().kind, OriginKind::FidoMds as i32);

    // VerifyRegistration: an attestation chaining to a root only the conformance entry lists
    // is trusted, and the answer names where that entry comes from.
    let v = vector("w3c-packed-es256");
    let request = VerifyRegistrationRequest {
        attestation_object: b64(&v["attestationObject_b64url"]),
        client_data_json: b64(&v["clientDataJSON_b64url"]),
        rp_id: v["rpId"].as_str().unwrap().to_string(),
        origins: vec![v["origin"].as_str().unwrap().to_string()],
        challenge: b64(&v["challenge_b64url"]),
        ..Default::default()
    };
    let r = api.verify_registration(request).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32, "{:?}", r.reasons);
    assert!(r.trusted);
    assert_eq!(r.metadata_no, 10);
    let summary = r.authenticator.unwrap();
    assert_eq!(summary.description, "W3C test authenticator (conformance)");
    let origin = summary.origin.unwrap();
    assert_eq!((origin.kind, origin.source.as_str()), (OriginKind::BlobSource as i32, NAME));

    // (d) The conformance endpoint fails: its last good entries stay served and the failure is
    // reported (GetMetadataInfo, metrics); the MDS BLOB keeps serving.
    conformance.server.set(BLOB_PATH, Route::Status { code: 503, headers: vec![], body: vec![] });
    running.shared.trigger_refresh();
    let info = wait_source(&mut api, |s| !s.last_error.is_empty()).await;
    let s = &info.blob_sources[0];
    assert!(s.last_error.contains("503"), "{}", s.last_error);
    assert!(s.served && s.loaded && s.consecutive_failures >= 1);
    assert_eq!(s.no, 5);
    assert!(info.last_error.is_empty(), "the MDS BLOB's refresh: {}", info.last_error);
    // The one trigger reached both loops: the MDS was asked again too.
    for _ in 0..200 {
        if mds.server.seen(BLOB_PATH).len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mds.server.seen(BLOB_PATH).len(), 2, "the MDS BLOB's loop missed the trigger");
    assert_eq!(lookup(&mut api, CONFORMANCE_ONLY).await.description, "conformance only");
    assert_eq!(lookup(&mut api, MDS_ONLY).await.description, "mds only");
    let text = running.shared.render_metrics(now());
    for expected in [
        "mdsd_blob_source_served{blob_source=\"conformance\"} 1",
        "mdsd_blob_source_no{blob_source=\"conformance\"} 5",
        "mdsd_blob_source_entries{blob_source=\"conformance\"} 3",
        "mdsd_blob_source_stale{blob_source=\"conformance\"} 0",
        "mdsd_blob_source_refreshes_total{blob_source=\"conformance\",result=\"failed\",step=\"fetch\"}",
        "mdsd_blob_source_refreshes_total{blob_source=\"conformance\",result=\"updated\",step=\"\"} 1",
        "mdsd_blob_source_last_success_timestamp_seconds{blob_source=\"conformance\"}",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert!(
        !text.contains("mdsd_blob_source_consecutive_failures{blob_source=\"conformance\"} 0"),
        "{text}"
    );
    // The MDS BLOB's per-mirror counter is not touched by the further source.
    assert!(!text.contains("source=\"1\""), "{text}");
    running.shutdown().await;
}
