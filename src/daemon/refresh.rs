//! The refresh loop: a plain loop around the pure schedule [`next_refresh`] (model:
//! linkerd2-proxy `identity-client/src/certify.rs`). Each round fetches the BLOB (conditional
//! GET), fetches the CRLs of its signing chain, verifies everything with the core, persists the
//! accepted BLOB and swaps the trust store whole. A failure never replaces a good store.

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use time::{Date, OffsetDateTime, Time};

use super::config::{BlobSource, Config, CrlMirror, RefreshConfig};
use super::fetch::{BlobFetch, FetchError, Fetcher, MAX_AUX_BYTES};
use super::mirror::Published;
use super::snapshot_file::{Snapshot, StateDir};
use super::state::{blob_digest, Loaded, Shared};
use crate::mds::{check_x5u_origin, inspect, BlobError, BlobVerifyOptions, VerifiedBlob};
use crate::x509::{certs_from_pem_or_der, Cert, Crl, RevocationMode, TrustAnchor};

mod extra;
mod restore;
mod sources;

use restore::{wait_late, RestoreTask};
pub use restore::{PendingRestore, RestoreError, RESTORE_WAIT};
#[cfg(test)]
use restore::{RestoreResult, Restored};

use sources::SourceFailures;

/// Shortest time between the end of one attempt and an operator-triggered next one.
pub const MIN_TRIGGER_SPACING: Duration = Duration::from_secs(2);

/// What the last refresh attempt did, as the schedule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastOutcome {
    /// A newer BLOB was accepted.
    Updated,
    /// The source had nothing newer (304, or the same `no`).
    Unchanged,
    /// `consecutive` failures in a row (1 for the first); `retry_after` from a 429/503.
    Failed { consecutive: u32, retry_after: Option<Duration> },
}

/// How long to wait before the next refresh (pure; `seed` drives the jitter).
///
/// * After success: `cfg.interval`, but no later than `cfg.before_next_update` before the BLOB's
///   nextUpdate (MDS3 §3.2 step 3: nextUpdate is when the next download should happen at the
///   latest). Once that point has passed, poll every quarter interval (at least `retry_min`)
///   until a newer BLOB appears.
/// * After `n` failures: `retry_min · 2^(n-1)`, capped at `retry_max`, and never sooner than
///   a server's Retry-After.
/// * Jitter: up to `jitter_percent` % of the delay is *added* (never subtracted, so
///   Retry-After stays honoured).
pub fn next_refresh(
    now: OffsetDateTime,
    next_update: Option<Date>,
    last: LastOutcome,
    cfg: &RefreshConfig,
    seed: u64,
) -> Duration {
    let base = match last {
        LastOutcome::Updated | LastOutcome::Unchanged => {
            let mut delay = cfg.interval;
            if let Some(next_update) = next_update {
                let due = next_update.with_time(Time::MIDNIGHT).assume_utc();
                let deadline = due
                    - time::Duration::try_from(cfg.before_next_update)
                        .unwrap_or(time::Duration::MAX);
                let until = Duration::try_from(deadline - now).unwrap_or(Duration::ZERO);
                if until.is_zero() {
                    delay = (cfg.interval / 4).max(cfg.retry_min).min(cfg.interval);
                } else {
                    delay = delay.min(until);
                }
            }
            delay
        }
        LastOutcome::Failed { consecutive, retry_after } => {
            let doublings = consecutive.saturating_sub(1).min(32);
            let backoff =
                cfg.retry_min.saturating_mul(1u32 << doublings.min(31)).min(cfg.retry_max);
            match retry_after {
                Some(ra) => backoff.max(ra),
                None => backoff,
            }
        }
    };
    base.saturating_add(jitter(base, cfg.jitter_percent, seed))
}

/// Up to `percent` % of `base`, chosen by `seed`.
fn jitter(base: Duration, percent: u8, seed: u64) -> Duration {
    let fraction = (splitmix64(seed) >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    base.mul_f64(f64::from(percent.min(100)) / 100.0 * fraction)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Why a refresh failed; each variant names its step for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RefreshError {
    #[error("fetch: {0}")]
    Fetch(FetchError),
    #[error("x5u chain: {0}")]
    X5u(String),
    #[error("verify ({step}): {0}", step = .0.step())]
    Verify(BlobError),
    #[error("internal: {0}")]
    Internal(String),
    /// Several sources configured, and every one failed: `(index in mds_url, source, error)`,
    /// in the order tried.
    #[error("every source failed: {}", SourceFailures(.0))]
    AllSources(Vec<(usize, String, RefreshError)>),
}

impl RefreshError {
    /// `fetch`, `x5u`, `verify:<core step>` or `internal`.
    pub fn step(&self) -> String {
        match self {
            RefreshError::Fetch(_) => "fetch".into(),
            RefreshError::X5u(_) => "x5u".into(),
            RefreshError::Verify(e) => format!("verify:{}", e.step()),
            RefreshError::Internal(_) => "internal".into(),
            // The last source tried (the official MDS, when listed last) names the step.
            RefreshError::AllSources(all) => {
                all.last().map_or_else(|| "internal".into(), |(_, _, e)| e.step())
            }
        }
    }

    /// The Retry-After a server asked for: the last source's, when every source failed.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            RefreshError::Fetch(f) => f.retry_after(),
            RefreshError::AllSources(all) => all.last().and_then(|(_, _, e)| e.retry_after()),
            _ => None,
        }
    }
}

/// What a refresher fetches and verifies against: the MDS BLOB's settings (`mds_url`,
/// `mds_roots`, ...) or those of one further BLOB source (`[[blob_source]]`).
#[derive(Debug, Clone)]
struct SourceParams {
    /// Mirrors of the one BLOB, tried in order within a round (never empty).
    urls: Vec<BlobSource>,
    roots: Vec<TrustAnchor>,
    crl_files: Vec<Arc<Crl>>,
    crl_mirror: Option<CrlMirror>,
    max_blob_bytes: usize,
}

/// Where an accepted BLOB goes.
#[derive(Debug)]
enum Target {
    /// The MDS BLOB: installed whole as the served BLOB ([`Shared::install`]).
    Primary,
    /// A further BLOB source: its entries served beside the MDS BLOB's, in its own slot
    /// ([`Shared::set_extra_entries`]).
    Extra(extra::ExtraTarget),
}

/// The refresh loop's own state: the rollback floor and the last ETag of each source. One per
/// BLOB: the MDS BLOB's ([`Refresher::new`]) and one per further BLOB source
/// ([`Refresher::for_blob_source`]), each with its own floor, state directory and schedule.
#[derive(Debug)]
pub struct Refresher {
    config: Arc<Config>,
    params: Arc<SourceParams>,
    target: Target,
    shared: Arc<Shared>,
    fetcher: Fetcher,
    state: Option<StateDir>,
    /// `no` of the last accepted BLOB (from the snapshot at start-up): nothing older or equal
    /// is accepted (MDS3 §3.2 step 6).
    floor: Option<u64>,
    /// The last ETag seen from each source (`params.urls`, same order): conditional GETs
    /// are per source, a mirror's tag means nothing to the MDS.
    etags: Vec<Option<String>>,
    /// A snapshot restore that outlived [`RESTORE_WAIT`]: installed by [`Refresher::run`] when
    /// it finishes, without holding up the refresh rounds meanwhile.
    late_restore: Option<(RestoreTask, OffsetDateTime)>,
}

impl Refresher {
    pub fn new(
        config: Arc<Config>,
        shared: Arc<Shared>,
        fetcher: Fetcher,
        state: Option<StateDir>,
    ) -> Refresher {
        let params = Arc::new(SourceParams {
            urls: config.sources.clone(),
            roots: config.roots.clone(),
            crl_files: config.crl_files.clone(),
            crl_mirror: config.crl_mirror.clone(),
            max_blob_bytes: config.max_blob_bytes,
        });
        Refresher::with_target(config, params, Target::Primary, shared, fetcher, state)
    }

    fn with_target(
        config: Arc<Config>,
        params: Arc<SourceParams>,
        target: Target,
        shared: Arc<Shared>,
        fetcher: Fetcher,
        state: Option<StateDir>,
    ) -> Refresher {
        let etags = vec![None; params.urls.len()];
        Refresher {
            config,
            params,
            target,
            shared,
            fetcher,
            state,
            floor: None,
            etags,
            late_restore: None,
        }
    }

    /// The BLOB this refresher last accepted and still holds: the served MDS BLOB, or a
    /// further source's last good BLOB (kept while it fails, even once past its grace).
    fn held(&self) -> Option<Arc<Loaded>> {
        match &self.target {
            Target::Primary => self.shared.current(),
            Target::Extra(extra) => extra.held.clone(),
        }
    }

    /// Serves an accepted BLOB at `now`.
    fn accept(&mut self, loaded: Loaded, now: OffsetDateTime) {
        match &self.target {
            Target::Primary => self.shared.install(loaded, now),
            Target::Extra(_) => self.accept_extra(loaded, now),
        }
    }

    /// The rollback floor currently enforced.
    pub fn floor(&self) -> Option<u64> {
        self.floor
    }

    /// Fetches and verifies the BLOB from one source (`index` in `params.urls`).
    pub(super) async fn refresh_from(
        &mut self,
        index: usize,
        source: &BlobSource,
        now: OffsetDateTime,
    ) -> Result<LastOutcome, RefreshError> {
        let served = self.held().is_some();
        let etag = if served { self.etags.get(index).and_then(|e| e.as_deref()) } else { None };
        let fetched = self
            .fetcher
            .fetch_blob(source, etag, self.params.max_blob_bytes)
            .await
            .map_err(RefreshError::Fetch)?;
        let (bytes, etag, fetched_at) = match fetched {
            BlobFetch::NotModified => return Ok(LastOutcome::Unchanged),
            BlobFetch::Fetched { bytes, etag, fetched_at } => (bytes, etag, fetched_at),
        };
        // Same bytes as served: nothing to do (file sources, servers without ETag).
        let digest = blob_digest(&bytes);
        if self.held().is_some_and(|current| current.blob_sha256 == digest) {
            self.set_etag(index, etag);
            return Ok(LastOutcome::Unchanged);
        }

        // MDS3 §3.2 steps 4-5 (phase 1, the BLOB read once): the chain candidates, to learn
        // where their CRLs are.
        let mut opts = self.verify_options();
        let inspected = inspect(bytes, &opts.inspect_limits()).map_err(RefreshError::Verify)?;
        let mut chain: Vec<Arc<Cert>> = inspected.x5c_certificates().to_vec();
        let mut x5u_der: Vec<Vec<u8>> = Vec::new();
        if let Some(x5u) = inspected.x5u() {
            let BlobSource::Url(blob_url) = source else {
                return Err(RefreshError::X5u(format!(
                    "{x5u}: x5u needs a BLOB URL (same origin)"
                )));
            };
            check_x5u_origin(x5u, blob_url.as_str()).map_err(RefreshError::Verify)?;
            let pem =
                self.fetcher.fetch_url(x5u, MAX_AUX_BYTES).await.map_err(RefreshError::Fetch)?;
            let certs = certs_from_pem_or_der(&pem)
                .map_err(|e| RefreshError::X5u(format!("{x5u}: {e}")))?;
            let certs: Vec<Arc<Cert>> = certs.into_iter().map(Arc::new).collect();
            x5u_der = certs.iter().map(|c| c.der().to_vec()).collect();
            chain.clone_from(&certs);
            opts.x5u_chain = Some(certs);
            opts.blob_url = Some(blob_url.to_string());
        } else if let BlobSource::Url(url) = source {
            opts.blob_url = Some(url.to_string());
        }

        // MDS3 §3.2 step 2: CRLs for every chain certificate.
        let mut crl_der: Vec<Vec<u8>> = Vec::new();
        let mut named_crls: Vec<(String, Vec<u8>)> = Vec::new();
        let mut downloaded_crls: Vec<(String, Vec<u8>)> = Vec::new();
        if opts.revocation == RevocationMode::Require {
            // Certificates whose issuer has a current operator CRL file need no distribution
            // point fetch (offline and air-gapped sites: no fetch, no warning).
            let (covered, to_fetch) =
                super::advice::split_by_operator_crls(&chain, &self.params.crl_files, now);
            self.shared.metrics.crl("file", covered);
            let crls = self
                .fetcher
                .fetch_crls(&to_fetch, self.params.crl_mirror.as_ref(), self.state.as_ref(), now)
                .await;
            self.shared.metrics.crl("cache", crls.cache_hits);
            self.shared.metrics.crl("download", crls.crls.len().saturating_sub(crls.cache_hits));
            self.shared.metrics.crl_failed(crls.errors.len());
            for e in &crls.errors {
                tracing::warn!(error = %e, "CRL fetch failed");
            }
            for (url, der, crl) in crls.crls {
                if self.publishing() {
                    named_crls.push((url, crl.der().to_vec()));
                }
                crl_der.push(der);
                opts.crls.push(crl);
            }
            downloaded_crls = crls.downloaded;
        }

        // MDS3 §3.2 step 6 and the rest: the core decides. The floor refuses anything older
        // than the last accepted BLOB; when that BLOB is not being served (its snapshot no
        // longer verified, e.g. stale CRLs after downtime), the same `no` is welcome again.
        let serving_no = self.held().map(|c| c.blob.no);
        opts.last_accepted_no = rollback_reference(self.floor, serving_no);
        // Phase 2. The bytes go to the verifier and come back (no copy of the BLOB).
        let (bytes, verified): (Vec<u8>, Result<VerifiedBlob, BlobError>) =
            tokio::task::spawn_blocking(move || {
                let verified = inspected.verify(&opts, now);
                (inspected.into_blob(), verified)
            })
            .await
            .map_err(|e| RefreshError::Internal(e.to_string()))?;
        let verified = match verified {
            Ok(v) => v,
            // The BLOB being served, again (a source without ETag support, re-signed bytes):
            // unchanged, not a failure.
            Err(BlobError::RollbackRefused { offered, .. }) if Some(offered) == serving_no => {
                self.set_etag(index, etag);
                return Ok(LastOutcome::Unchanged);
            }
            // Report the floor itself, not the reference derived from it.
            Err(BlobError::RollbackRefused { stored, offered }) => {
                let stored = self.floor.unwrap_or(stored);
                return Err(RefreshError::Verify(BlobError::RollbackRefused { stored, offered }));
            }
            Err(e) => return Err(RefreshError::Verify(e)),
        };

        // The CRLs just downloaded passed the core's checks: cache them until their nextUpdate.
        if let Some(state) = self.state.clone() {
            let stored = tokio::task::spawn_blocking(move || {
                for (url, bytes) in downloaded_crls {
                    if let Err(e) = state.store_cached_crl(&url, &bytes) {
                        tracing::warn!(%url, error = %e, "could not cache CRL");
                    }
                }
            })
            .await;
            if let Err(e) = stored {
                tracing::warn!(error = %e, "CRL cache writer failed");
            }
        }

        // MDS3 §3.2 step 7: cache the verified BLOB, then serve it. The snapshot writer streams
        // the bytes to disk and drops them before the new store is installed.
        let snapshot = Snapshot {
            no: verified.no,
            source: source.to_string(),
            fetched_at,
            etag: etag.clone(),
            blob: bytes,
            crls: crl_der,
            x5u_chain: x5u_der,
            blob_sha256: Some(digest),
        };
        // The writer hands the snapshot back: the mirror publishes its bytes without a copy.
        let mut kept = Some(snapshot);
        if let Some(state) = self.state.clone() {
            let snapshot = kept.take();
            let persisted = tokio::task::spawn_blocking(move || {
                let stored = snapshot.as_ref().map(|s| state.store_snapshot(s));
                (stored, snapshot)
            })
            .await;

            match persisted {
                Ok((stored, snapshot)) => {
                    kept = snapshot;
                    if let Some(Err(e)) = stored {
                        self.shared.metrics.snapshot_write_failed();
                        tracing::error!(error = %e, "could not persist the snapshot; serving the new BLOB anyway")
                    }
                }
                Err(e) => {
                    self.shared.metrics.snapshot_write_failed();
                    tracing::error!(error = %e, "snapshot writer failed")
                }
            }
        }
        let published = match kept {
            Some(snapshot) if self.publishing() => Some(Arc::new(Published::new(
                snapshot.blob,
                digest,
                verified.no,
                verified.next_update,
                named_crls,
            ))),
            _ => None,
        };
        self.floor = Some(verified.no);
        self.set_etag(index, etag.clone());
        if let Target::Primary = self.target {
            super::advice::log_accepted(&verified, self.shared.policy(), now);
        }
        let loaded = Loaded {
            blob: verified,
            blob_sha256: digest,
            source: source.to_string(),
            restored: false,
            fetched_at,
            verified_at: now,
            etag,
            published,
        };
        self.accept(loaded, now);
        Ok(LastOutcome::Updated)
    }

    /// Runs refresh rounds until `shutdown` completes. The first round starts at once.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        if let Target::Extra(_) = self.target {
            return self.run_extra(shutdown).await;
        }
        tokio::pin!(shutdown);
        let mut requests = self.shared.refresh_requests();
        let mut seed = initial_seed();
        let mut failures: u32 = 0;
        // What started the round (logged with its outcome): the schedule or an operator request.
        let mut trigger = "schedule";
        let mut outcome_log;
        loop {
            self.poll_late_restore();
            let now = self.shared.now();
            if let Some(pinned) = self.shared.pinned_clock() {
                super::advice::warn_pinned_clock(pinned);
            }
            let outcome = match self.refresh_once(now).await {
                Ok(outcome) => {
                    failures = 0;
                    let result =
                        if outcome == LastOutcome::Updated { "updated" } else { "unchanged" };
                    outcome_log = super::advice::Outcome::Done(result);
                    self.shared.metrics.refresh(result, "", now);
                    self.shared.update_status(|s| {
                        s.last_error = None;
                        s.advice = None;
                        s.last_refresh_at = Some(OffsetDateTime::now_utc());
                        s.consecutive_failures = 0;
                    });
                    outcome
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    outcome_log = super::advice::Outcome::Failed(e.to_string(), e.step());
                    self.shared.metrics.refresh("failed", &e.step(), now);
                    self.shared.update_status(|s| {
                        s.last_error = Some(e.to_string());
                        s.advice = Some(super::advice::what_to_do(&self.config.sources));
                        s.last_refresh_at = Some(OffsetDateTime::now_utc());
                        s.consecutive_failures = failures;
                    });
                    let retry_after = e.retry_after();
                    LastOutcome::Failed { consecutive: failures, retry_after }
                }
            };
            self.shared.metrics.set_failures_in_a_row(failures);
            if let Some(source) = &self.config.passkey_providers {
                let (providers, metrics) = (&self.shared.providers, &self.shared.metrics);
                super::passkey_providers::reload(providers, source, &self.fetcher, metrics).await;
            }
            seed = splitmix64(seed);
            let next_update = self.shared.current().map(|c| c.blob.next_update);
            let delay =
                next_refresh(self.shared.now(), next_update, outcome, &self.config.refresh, seed);
            let at = OffsetDateTime::now_utc() + delay;
            self.shared.metrics.set_next_refresh(at);
            self.shared.update_status(|s| s.next_refresh_at = Some(at));
            super::advice::log_outcome(
                &outcome_log,
                trigger,
                failures,
                self.shared.current().map(|c| c.blob.no),
                at,
                &self.config,
            );
            match self.wait_next(delay, outcome, &mut requests, &mut shutdown).await {
                Some(ended_by) => trigger = ended_by,
                None => return,
            }
        }
    }

    /// Waits `delay` before the next round; `None` when `shutdown` completed meanwhile, else
    /// what ended the wait (`schedule` or `request`). An operator trigger (SIGHUP, POST
    /// /refresh) may cut the wait short, but never below [`MIN_TRIGGER_SPACING`] after the last
    /// attempt nor before a server's Retry-After. A late snapshot restore that finishes
    /// meanwhile is installed.
    async fn wait_next<F: std::future::Future<Output = ()>>(
        &mut self,
        delay: Duration,
        outcome: LastOutcome,
        requests: &mut tokio::sync::watch::Receiver<u64>,
        shutdown: &mut std::pin::Pin<&mut F>,
    ) -> Option<&'static str> {
        let attempt_end = tokio::time::Instant::now();
        let floor = match outcome {
            LastOutcome::Failed { retry_after: Some(ra), .. } => ra.max(MIN_TRIGGER_SPACING),
            _ => MIN_TRIGGER_SPACING,
        };
        let wake = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(wake) => return Some("schedule"),
                Ok(()) = requests.changed() => {
                    let earliest = attempt_end + floor.min(delay);
                    if tokio::time::Instant::now() < earliest {
                        tracing::info!(wait_secs = (earliest - tokio::time::Instant::now()).as_secs(),
                            "refresh requested; waiting for the minimum spacing / Retry-After");
                    } else {
                        tracing::info!("refresh requested");
                    }
                    tokio::select! {
                        () = tokio::time::sleep_until(earliest) => {}
                        () = shutdown.as_mut() => return None,
                    }
                    return Some("request");
                }
                // A late snapshot restore finished: install it and keep waiting.
                late = wait_late(&mut self.late_restore), if self.late_restore.is_some() => {
                    if let Some((joined, at)) = late {
                        self.finish_late(joined, at);
                    }
                }
                () = shutdown.as_mut() => return None,
            }
        }
    }

    /// True when the mirror listener is on: the served BLOB keeps its bytes and CRLs.
    fn publishing(&self) -> bool {
        matches!(self.target, Target::Primary) && self.config.mirror_listen.is_some()
    }

    fn verify_options(&self) -> BlobVerifyOptions {
        let mut opts = BlobVerifyOptions::new(self.params.roots.clone());
        opts.max_blob_bytes = self.params.max_blob_bytes;
        opts.crls.extend(self.params.crl_files.iter().cloned());
        if self.config.danger.skip_revocation {
            opts.revocation = RevocationMode::DangerSkip;
        }
        opts
    }
}

/// The `last_accepted_no` to verify against: the floor while a BLOB at (or above) it is served;
/// one below the floor otherwise, so the BLOB the floor came from can be loaded again, but
/// nothing older.
fn rollback_reference(floor: Option<u64>, serving: Option<u64>) -> Option<u64> {
    match (floor, serving) {
        (Some(floor), Some(serving)) if serving >= floor => Some(floor),
        (Some(floor), _) => floor.checked_sub(1),
        (None, _) => None,
    }
}

fn initial_seed() -> u64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    // A failure only makes the jitter predictable; fall back to the clock.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        return OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    }
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use time::macros::{date, datetime};

    const H: u64 = 3600;

    fn cfg(jitter: u8) -> RefreshConfig {
        RefreshConfig {
            interval: Duration::from_secs(24 * H),
            before_next_update: Duration::from_secs(48 * H),
            retry_min: Duration::from_secs(60),
            retry_max: Duration::from_secs(6 * H),
            jitter_percent: jitter,
        }
    }

    /// The real 2024-12 BLOB verified again at a time inside its CRLs' validity, as a restore
    /// of its snapshot would.
    fn restored_real_blob() -> Restored {
        use crate::daemon::snapshot_file::Snapshot;
        let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/blobs/");
        let read = |name: &str| std::fs::read(format!("{testdata}{name}")).unwrap();
        let root = certs_from_pem_or_der(&read("webauthn4j__root-r3.crt")).unwrap();
        let anchor = crate::x509::TrustAnchor {
            cert: Arc::new(root.into_iter().next().unwrap()),
            label: "R3".into(),
        };
        let snapshot = Snapshot {
            no: 121,
            source: "test".into(),
            fetched_at: datetime!(2024-12-02 10:00 UTC),
            etag: None,
            blob: read("s1r-J_fido-mds3__2024-12-02__blob.jwt"),
            crls: vec![
                read("webauthn4j__root-r3.crl"),
                read("webauthn4j__gsextendvalsha2g3r3.crl"),
            ],
            x5u_chain: vec![],
            blob_sha256: None,
        };
        let verified =
            snapshot.verify(&BlobVerifyOptions::new(vec![anchor]), datetime!(2024-09-03 12:00 UTC));
        Restored {
            no: 121,
            source: "test".into(),
            fetched_at: snapshot.fetched_at,
            etag: None,
            blob_sha256: blob_digest(&snapshot.blob),
            verified,
            published: None,
        }
    }

    /// A restore stuck on the state directory's I/O holds up neither start-up nor the first
    /// refresh round (both used to wait for it without bound); when it finishes, the refresh
    /// loop installs it in the middle of its wait.
    #[tokio::test]
    async fn stuck_restore_does_not_hold_up_the_first_refresh() {
        use crate::daemon::config::RawConfig;
        use crate::daemon::metrics::Metrics;
        use crate::daemon::state::StalePolicy;

        let dir = std::env::temp_dir().join(format!("mdsd-refresh-stuck-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let missing = dir.join("no-such-blob.jwt");
        let config = RawConfig {
            mds_url: vec![missing.display().to_string()],
            state_dir: Some(dir.join("state")),
            ..RawConfig::default()
        }
        .check()
        .unwrap();
        let config = Arc::new(config);
        let shared = Arc::new(Shared::new(
            StalePolicy { grace: config.stale_grace, serve_stale: false },
            Arc::new(Metrics::new()),
        ));
        let fetcher = Fetcher::new(&config.fetch).unwrap();
        let mut refresher = Refresher::new(config, shared.clone(), fetcher, None);

        // A restore blocked until the test releases it.
        let (release, task) = tokio::sync::oneshot::channel::<RestoreResult>();
        let pending = PendingRestore(Some((task, datetime!(2024-09-03 12:00 UTC))));
        let waited = tokio::time::timeout(
            Duration::from_secs(5),
            refresher.finish_restore_within(pending, Duration::from_millis(200)),
        )
        .await
        .expect("start-up waited on the stuck restore");
        assert!(matches!(waited, Err(RestoreError::StillRunning { .. })), "{waited:?}");

        // The first round runs (and fails: the source file is missing) while the restore is
        // still stuck.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(refresher.run(async {
            let _ = stopped.await;
        }));
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.status().last_refresh_at.is_none() {
            assert!(Instant::now() < deadline, "no refresh round while the restore is stuck");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let error = shared.status().last_error.unwrap_or_default();
        assert!(error.contains("no-such-blob.jwt"), "{error}");
        assert!(shared.current().is_none());

        // The restore finishes during the retry wait (1 minute): installed at once.
        release.send(Ok(Some(restored_real_blob()))).map_err(|_| "receiver gone").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(current) = shared.current() {
                assert_eq!((current.blob.no, current.restored), (121, true));
                break;
            }
            assert!(Instant::now() < deadline, "the late restore was not installed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        running.await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rollback_reference_lets_an_unserved_floor_blob_back_in() {
        assert_eq!(rollback_reference(None, None), None);
        assert_eq!(rollback_reference(Some(12), Some(12)), Some(12));
        assert_eq!(rollback_reference(Some(12), None), Some(11));
        assert_eq!(rollback_reference(Some(0), None), None);
    }

    #[test]
    fn success_waits_the_interval_when_next_update_is_far() {
        let now = datetime!(2026-11-01 00:00 UTC);
        let d = next_refresh(now, Some(date!(2026 - 12 - 01)), LastOutcome::Updated, &cfg(0), 1);
        assert_eq!(d, Duration::from_secs(24 * H));
        let d = next_refresh(now, None, LastOutcome::Unchanged, &cfg(0), 1);
        assert_eq!(d, Duration::from_secs(24 * H));
    }

    #[test]
    fn success_refreshes_well_before_next_update() {
        // nextUpdate 2026-12-01 00:00, refresh at the latest 2 days before: 2026-11-29 00:00.
        let now = datetime!(2026-11-28 12:00 UTC);
        let d = next_refresh(now, Some(date!(2026 - 12 - 01)), LastOutcome::Updated, &cfg(0), 1);
        assert_eq!(d, Duration::from_secs(12 * H));
    }

    #[test]
    fn past_the_deadline_polls_every_quarter_interval() {
        let now = datetime!(2026-11-30 12:00 UTC);
        let d = next_refresh(now, Some(date!(2026 - 12 - 01)), LastOutcome::Unchanged, &cfg(0), 1);
        assert_eq!(d, Duration::from_secs(6 * H));
        let now = datetime!(2026-12-05 12:00 UTC);
        let d = next_refresh(now, Some(date!(2026 - 12 - 01)), LastOutcome::Unchanged, &cfg(0), 1);
        assert_eq!(d, Duration::from_secs(6 * H));
    }

    #[test]
    fn failures_back_off_exponentially_to_the_cap() {
        let now = datetime!(2026-11-01 00:00 UTC);
        let delays: Vec<u64> = (1..=12)
            .map(|n| {
                let last = LastOutcome::Failed { consecutive: n, retry_after: None };
                next_refresh(now, Some(date!(2026 - 12 - 01)), last, &cfg(0), 1).as_secs()
            })
            .collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600, 21600]);
        let last = LastOutcome::Failed { consecutive: u32::MAX, retry_after: None };
        assert_eq!(next_refresh(now, None, last, &cfg(0), 1), Duration::from_secs(6 * H));
    }

    #[test]
    fn retry_after_is_honoured_even_beyond_the_cap() {
        let now = datetime!(2026-11-01 00:00 UTC);
        let last =
            LastOutcome::Failed { consecutive: 1, retry_after: Some(Duration::from_secs(900)) };
        assert_eq!(next_refresh(now, None, last, &cfg(0), 1), Duration::from_secs(900));
        let last =
            LastOutcome::Failed { consecutive: 1, retry_after: Some(Duration::from_secs(24 * H)) };
        assert_eq!(next_refresh(now, None, last, &cfg(0), 1), Duration::from_secs(24 * H));
        // A short Retry-After does not shorten the back-off.
        let last =
            LastOutcome::Failed { consecutive: 5, retry_after: Some(Duration::from_secs(1)) };
        assert_eq!(next_refresh(now, None, last, &cfg(0), 1), Duration::from_secs(960));
        // Jitter only adds: never sooner than Retry-After.
        for seed in 0..200 {
            let last =
                LastOutcome::Failed { consecutive: 1, retry_after: Some(Duration::from_secs(900)) };
            let d = next_refresh(now, None, last, &cfg(50), seed);
            assert!(d >= Duration::from_secs(900) && d < Duration::from_secs(1350), "{d:?}");
        }
    }

    #[test]
    fn jitter_is_bounded_deterministic_and_spread() {
        let now = datetime!(2026-11-01 00:00 UTC);
        let base = Duration::from_secs(24 * H);
        let delays: Vec<Duration> = (0..500)
            .map(|seed| next_refresh(now, None, LastOutcome::Updated, &cfg(10), seed))
            .collect();
        assert!(delays.iter().all(|d| *d >= base && *d < base + base / 10));
        assert_eq!(delays[7], next_refresh(now, None, LastOutcome::Updated, &cfg(10), 7));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 450, "only {} distinct delays", distinct.len());
        let mean = delays.iter().map(|d| (*d - base).as_secs_f64()).sum::<f64>() / 500.0;
        let half = (base / 20).as_secs_f64();
        assert!((mean - half).abs() < half * 0.2, "mean jitter {mean}, expected ~{half}");
    }
}
