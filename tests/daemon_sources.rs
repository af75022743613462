//! Several BLOB sources (`mds_url = [mirror, MDS]`) and the mirror's published content, in
//! process: the ETag kept per source, the next source tried when one fails or has nothing newer
//! for a stale BLOB, every failure reported when all fail, and what a restarted mirror
//! publishes from its snapshot.

use std::sync::Arc;

use mdsd::daemon::config::Config;
use mdsd::daemon::fetch::Fetcher;
use mdsd::daemon::metrics::Metrics;
use mdsd::daemon::refresh::{LastOutcome, RefreshError, Refresher};
use mdsd::daemon::snapshot_file::StateDir;
use mdsd::daemon::state::{Shared, StalePolicy};
use mdsd::mds::BlobError;
use mdsd_test_support::http::{MockServer, Route};
use mdsd_test_support::mds_env::{in_days, MdsEnv, BLOB_PATH};
use mdsd_test_support::{blob, now};

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

fn entries() -> Vec<serde_json::Value> {
    vec![blob::fido2_entry(AAGUID, "FIDO_CERTIFIED_L1")]
}

/// The test MDS plus a second server standing in for a mirror at `/`; the config lists the
/// mirror first.
async fn two_sources(name: &str) -> (MdsEnv, MockServer, Config) {
    let env = MdsEnv::start(name).await;
    let mirror = MockServer::start().await;
    let mut raw = env.raw_config();
    raw.mds_url = vec![mirror.url("/"), env.server.url(BLOB_PATH)];
    let config = raw.check().unwrap();
    (env, mirror, config)
}

fn inm(server: &MockServer, path: &str) -> Vec<Option<String>> {
    server.seen(path).into_iter().map(|s| s.if_none_match).collect()
}

/// Each source is asked with its own ETag: the mirror's tag never goes to the MDS, nor the
/// MDS's to the mirror. A source that has nothing newer for a current BLOB ends the round.
#[tokio::test]
async fn etags_are_kept_per_source() {
    let (env, mirror, config) = two_sources("sources-etag").await;
    let bytes = env.blob(5, in_days(30), entries());
    mirror.set("/", Route::Ok { body: bytes.clone(), etag: Some("\"m5\"".into()) });
    env.serve_blob(5, bytes);
    let (mut r, shared) = refresher(config);

    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(shared.current().unwrap().source, mirror.url("/"));
    // The mirror down: the MDS has the same bytes (unchanged), its ETag is kept for it.
    mirror.set("/", Route::Status { code: 503, headers: vec![], body: vec![] });
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    // The mirror back: asked with its own tag (304), the MDS not asked at all.
    mirror.set("/", Route::Ok { body: vec![], etag: Some("\"m5\"".into()) });
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    // The mirror down again: the MDS asked with its own tag.
    mirror.set("/", Route::Status { code: 503, headers: vec![], body: vec![] });
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);

    assert_eq!(
        inm(&mirror, "/"),
        [None, Some("\"m5\"".into()), Some("\"m5\"".into()), Some("\"m5\"".into())]
    );
    assert_eq!(inm(&env.server, BLOB_PATH), [None, Some("\"5\"".into())]);
    let text = shared.render_metrics(now());
    for (labels, n) in
        [(r#"source="0",host="127.0.0.1:"#, 4), (r#"source="1",host="127.0.0.1:"#, 2)]
    {
        let count: usize = text
            .lines()
            .filter(|l| l.starts_with("mdsd_source_fetches_total{") && l.contains(labels))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(count, n, "{labels}\n{text}");
    }
    assert!(
        text.contains(r#"source="0","#) && text.contains(r#"result="failed",step="fetch"}"#),
        "{text}"
    );
}

/// A mirror with nothing newer is enough while the served BLOB is current; once it is past
/// its nextUpdate, the next source is asked in the same round.
#[tokio::test]
async fn a_stale_blob_asks_the_next_source() {
    let (env, mirror, config) = two_sources("sources-stale").await;
    let stale = env.blob(5, in_days(-2), entries());
    mirror.set("/", Route::Ok { body: stale, etag: Some("\"m5\"".into()) });
    let (mut r, shared) = refresher(config);
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert!(shared.current().unwrap().blob.is_stale(now()));
    assert!(env.server.seen(BLOB_PATH).is_empty(), "the MDS asked although the mirror had a BLOB");

    env.serve_blob(6, env.blob(6, in_days(30), entries()));
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert_eq!(shared.current().unwrap().blob.no, 6);
    assert_eq!(inm(&mirror, "/"), [None, Some("\"m5\"".into())]);
    assert_eq!(env.server.seen(BLOB_PATH).len(), 1);
    // Current again: the mirror's 304 ends the round, the MDS is not asked.
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Unchanged);
    assert_eq!(shared.current().unwrap().blob.no, 6);
    assert_eq!(env.server.seen(BLOB_PATH).len(), 1);
}

/// Every source failing: one error listing each source's failure in order; its step and
/// Retry-After are the last source's.
#[tokio::test]
async fn every_failure_is_reported_when_all_sources_fail() {
    let (env, mirror, config) = two_sources("sources-all").await;
    let older = env.blob(3, in_days(30), entries());
    env.serve_blob(4, env.blob(4, in_days(30), entries()));
    let (mut r, _shared) = refresher(config);
    mirror.set("/", Route::Status { code: 503, headers: vec![], body: vec![] });
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);

    mirror.set("/", Route::Ok { body: older, etag: None });
    env.server.set(
        BLOB_PATH,
        Route::Status {
            code: 429,
            headers: vec![("Retry-After".into(), "120".into())],
            body: vec![],
        },
    );
    let err = r.refresh_once(now()).await.unwrap_err();
    let RefreshError::AllSources(all) = &err else { panic!("{err:?}") };
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].0, all[0].1.as_str()), (0, mirror.url("/").as_str()));
    assert!(
        matches!(
            all[0].2,
            RefreshError::Verify(BlobError::RollbackRefused { stored: 4, offered: 3 })
        ),
        "{err:?}"
    );
    assert_eq!(all[1].0, 1);
    assert_eq!(err.step(), "fetch");
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(120)));
    let text = err.to_string();
    assert!(text.starts_with("every source failed: [0] http://127.0.0.1:"), "{text}");
    assert!(text.contains("rollback") && text.contains("; [1] http://"), "{text}");
}

/// A mirror restarted from its state directory publishes the snapshot's BLOB byte for byte
/// and its CRLs under their distribution-point names, before any download.
#[tokio::test]
async fn a_restored_mirror_publishes_its_snapshot() {
    let env = MdsEnv::start("sources-restore").await;
    let bytes = env.blob(7, in_days(30), entries());
    env.serve_blob(7, bytes.clone());
    let mut raw = env.raw_config();
    raw.mirror_listen = Some("127.0.0.1:0".into());
    let config = raw.check().unwrap();
    let (mut r, shared) = refresher(config.clone());
    assert_eq!(r.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    let fetched = shared.current().unwrap().published.clone().expect("published");
    assert_eq!(fetched.crl_names(), ["ca.crl", "root.crl"]);

    // Off: nothing kept beside the store.
    let mut raw = env.raw_config();
    raw.state_dir = Some(env.dir.join("state-off"));
    let (mut off, off_shared) = refresher(raw.check().unwrap());
    assert_eq!(off.refresh_once(now()).await.unwrap(), LastOutcome::Updated);
    assert!(off_shared.current().unwrap().published.is_none());

    // Restart with the MDS gone.
    env.server.remove(BLOB_PATH);
    let (mut r, shared) = refresher(config);
    assert_eq!(r.restore(now()).await.unwrap(), Some(7));
    let loaded = shared.current().unwrap();
    assert!(loaded.restored);
    let published = loaded.published.clone().expect("published after restore");
    assert_eq!(published.crl_names(), ["ca.crl", "root.crl"]);
    assert_eq!(published.blob(), &bytes[..]);
}
