//! Prometheus metrics (text exposition via `prometheus-client`): the served BLOB, refresh
//! outcomes, CRL cache use, and gRPC requests by RPC, result and verdict with latency.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use time::OffsetDateTime;

use crate::attestation::Verifier;
use crate::mds::VerifiedBlob;

type Labels = Vec<(&'static str, String)>;

/// Every metric mdsd exports, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    blob_no: Gauge,
    blob_next_update: Gauge,
    blob_verified_at: Gauge,
    blob_entries: Gauge,
    blob_quarantined: Gauge,
    blob_entry_warnings: Gauge,
    blob_unknown: Gauge,
    blob_age: Gauge<f64, AtomicU64>,
    blob_stale: Gauge,
    blob_loaded: Gauge,
    last_refresh_at: Gauge,
    last_success_at: Gauge,
    next_refresh_at: Gauge,
    refresh_failures_in_a_row: Gauge,
    refreshes: Family<Labels, Counter>,
    crl_fetches: Family<Labels, Counter>,
    requests: Family<Labels, Counter>,
    verifications: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    danger: Family<Labels, Gauge>,
    policy_reloads: Family<Labels, Counter>,
    admin_control: Family<Labels, Counter>,
    snapshot_write_failures: Counter,
    chain_cache_hits: Counter,
    chain_cache_misses: Counter,
    chain_cache_entries: Gauge,
    verifier: Mutex<Option<Arc<Verifier>>>,
    /// Passkey-provider names and the legal header (issue #15), registered together.
    metadata_extras: MetadataExtras,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Mutex::new(Registry::with_prefix("mdsd")),
            blob_no: Gauge::default(),
            blob_next_update: Gauge::default(),
            blob_verified_at: Gauge::default(),
            blob_entries: Gauge::default(),
            blob_quarantined: Gauge::default(),
            blob_entry_warnings: Gauge::default(),
            blob_unknown: Gauge::default(),
            blob_age: Gauge::default(),
            blob_stale: Gauge::default(),
            blob_loaded: Gauge::default(),
            last_refresh_at: Gauge::default(),
            last_success_at: Gauge::default(),
            next_refresh_at: Gauge::default(),
            refresh_failures_in_a_row: Gauge::default(),
            refreshes: Family::default(),
            crl_fetches: Family::default(),
            requests: Family::default(),
            verifications: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 16))
            }),
            danger: Family::default(),
            policy_reloads: Family::default(),
            admin_control: Family::default(),
            snapshot_write_failures: Counter::default(),
            chain_cache_hits: Counter::default(),
            chain_cache_misses: Counter::default(),
            chain_cache_entries: Gauge::default(),
            verifier: Mutex::new(None),
            metadata_extras: MetadataExtras::default(),
        };
        if let Ok(mut r) = m.registry.lock() {
            r.register("blob_no", "Serial number (no) of the BLOB being served", m.blob_no.clone());
            r.register(
                "blob_next_update_timestamp_seconds",
                "nextUpdate of the served BLOB (start of that day, UTC)",
                m.blob_next_update.clone(),
            );
            r.register(
                "blob_verified_timestamp_seconds",
                "When the served BLOB was verified",
                m.blob_verified_at.clone(),
            );
            r.register("blob_entries", "Entries in the trust store", m.blob_entries.clone());
            r.register(
                "blob_quarantined_entries",
                "Entries left out because they could not be understood",
                m.blob_quarantined.clone(),
            );
            r.register(
                "blob_entry_warnings",
                "Entries loaded despite a tolerated defect",
                m.blob_entry_warnings.clone(),
            );
            r.register(
                "blob_unknown_members",
                "Unknown members and status values seen in the served BLOB",
                m.blob_unknown.clone(),
            );
            r.register(
                "blob_age_seconds",
                "Seconds since the served BLOB was obtained",
                m.blob_age.clone(),
            );
            r.register(
                "blob_stale",
                "1 when the served BLOB is past nextUpdate",
                m.blob_stale.clone(),
            );
            r.register("blob_loaded", "1 when a verified BLOB is loaded", m.blob_loaded.clone());
            r.register(
                "refresh_last_timestamp_seconds",
                "When the last refresh attempt ended",
                m.last_refresh_at.clone(),
            );
            r.register(
                "refresh_last_success_timestamp_seconds",
                "When the last refresh succeeded (new BLOB or unchanged)",
                m.last_success_at.clone(),
            );
            r.register(
                "refresh_next_timestamp_seconds",
                "When the next refresh is scheduled",
                m.next_refresh_at.clone(),
            );
            r.register(
                "refresh_consecutive_failures",
                "Refresh failures since the last success",
                m.refresh_failures_in_a_row.clone(),
            );
            r.register(
                "refreshes",
                "Refresh attempts by result (updated, unchanged, failed) and failed step",
                m.refreshes.clone(),
            );
            r.register(
                "crl_fetches",
                "CRLs obtained for the signing chain, by source (cache, download) or error",
                m.crl_fetches.clone(),
            );
            r.register("grpc_requests", "gRPC requests by RPC and status code", m.requests.clone());
            r.register(
                "verifications",
                "Attestation verifications by format and verdict",
                m.verifications.clone(),
            );
            r.register(
                "grpc_request_duration_seconds",
                "gRPC handling time by RPC",
                m.latency.clone(),
            );
            r.register("danger", "1 for each danger_* switch that is on", m.danger.clone());
            r.register(
                "policy_reload",
                "[policy] reload attempts by outcome (success, unchanged, error)",
                m.policy_reloads.clone(),
            );
            r.register(
                "admin_control_requests",
                "Admin control requests (POST /refresh) by route and outcome (accepted, browser, \
                 disabled, unauthorized, rate_limited)",
                m.admin_control.clone(),
            );
            r.register(
                "snapshot_write_failures",
                "Accepted BLOBs that could not be persisted to the state directory (served anyway; \
                 a restart would fall back to the previous snapshot)",
                m.snapshot_write_failures.clone(),
            );
            r.register(
                "chain_cache_hits",
                "Attestation chain validations answered from the cache",
                m.chain_cache_hits.clone(),
            );
            r.register(
                "chain_cache_misses",
                "Attestation chain validations that built a path",
                m.chain_cache_misses.clone(),
            );
            r.register(
                "chain_cache_entries",
                "Validated attestation chains held in the cache",
                m.chain_cache_entries.clone(),
            );
            m.metadata_extras.register(&mut r);
        }
        m
    }

    /// Records the BLOB just installed, verified at `verified_at`.
    pub fn set_loaded(&self, blob: &VerifiedBlob, verified_at: OffsetDateTime) {
        self.blob_no.set(i64::try_from(blob.no).unwrap_or(i64::MAX));
        self.blob_next_update.set(blob.next_update.midnight().assume_utc().unix_timestamp());
        self.blob_verified_at.set(verified_at.unix_timestamp());
        self.blob_entries.set(i64::try_from(blob.store.entries().len()).unwrap_or(i64::MAX));
        self.blob_quarantined.set(i64::try_from(blob.quarantined.len()).unwrap_or(i64::MAX));
        self.blob_entry_warnings.set(i64::try_from(blob.warnings.len()).unwrap_or(i64::MAX));
        self.blob_unknown.set(i64::try_from(blob.unknown.total()).unwrap_or(i64::MAX));
        self.blob_loaded.set(1);
    }

    /// Records one refresh attempt: `result` is `updated`, `unchanged` or `failed`; `step` names
    /// the failed step (`fetch`, `verify:signature`, `persist`, …) or is empty.
    pub fn refresh(&self, result: &str, step: &str, now: OffsetDateTime) {
        self.refreshes
            .get_or_create(&vec![("result", result.to_string()), ("step", step.to_string())])
            .inc();
        self.last_refresh_at.set(now.unix_timestamp());
        if result != "failed" {
            self.last_success_at.set(now.unix_timestamp());
        }
    }

    pub fn set_failures_in_a_row(&self, n: u32) {
        self.refresh_failures_in_a_row.set(i64::from(n));
    }

    pub fn set_next_refresh(&self, at: OffsetDateTime) {
        self.next_refresh_at.set(at.unix_timestamp());
    }

    /// `source`: `cache`, `download`, `file` or `error`.
    pub fn crl(&self, source: &str, n: usize) {
        self.crl_fetches.get_or_create(&vec![("source", source.to_string())]).inc_by(n as u64);
    }

    /// Records one gRPC call.
    pub fn request(&self, rpc: &'static str, code: &str, elapsed: Duration) {
        self.requests
            .get_or_create(&vec![("rpc", rpc.to_string()), ("code", code.to_string())])
            .inc();
        self.latency.get_or_create(&vec![("rpc", rpc.to_string())]).observe(elapsed.as_secs_f64());
    }

    /// Records one attestation verdict.
    pub fn verification(&self, rpc: &'static str, format: &str, verdict: &str) {
        self.verifications
            .get_or_create(&vec![
                ("rpc", rpc.to_string()),
                ("format", format.to_string()),
                ("verdict", verdict.to_string()),
            ])
            .inc();
    }

    /// Records one `[policy]` reload attempt: `success`, `unchanged` or `error`.
    pub fn policy_reload(&self, outcome: &str) {
        self.policy_reloads.get_or_create(&vec![("outcome", outcome.to_string())]).inc();
    }

    /// Records one admin control request: `route` (`refresh`) and its outcome (`accepted`, or
    /// a [`super::admin::Refusal::outcome`]).
    pub fn admin_control(&self, route: &str, outcome: &str) {
        self.admin_control
            .get_or_create(&vec![("route", route.to_string()), ("outcome", outcome.to_string())])
            .inc();
    }

    /// Records one accepted BLOB whose snapshot could not be written (disk full, read-only).
    pub fn snapshot_write_failed(&self) {
        self.snapshot_write_failures.inc();
    }

    pub fn set_danger(&self, name: &'static str) {
        self.danger.get_or_create(&vec![("switch", name.to_string())]).set(1);
    }

    /// Reports the chain cache of `verifier` at each render.
    pub fn watch_verifier(&self, verifier: Arc<Verifier>) {
        if let Ok(mut v) = self.verifier.lock() {
            *v = Some(verifier);
        }
    }

    /// Records one passkey-provider reload (`outcome`: loaded, unchanged, empty, failed), the
    /// names in force, and whether the configured source last answered an empty list.
    pub fn passkey_providers(&self, outcome: &str, names: usize, source_empty: bool) {
        let x = &self.metadata_extras;
        x.provider_loads.get_or_create(&vec![("outcome", outcome.to_string())]).inc();
        self.set_passkey_provider_names(names);
        x.providers_empty.set(i64::from(source_empty));
    }

    /// The passkey-provider names in force (the bundled list at start-up).
    pub fn set_passkey_provider_names(&self, names: usize) {
        self.metadata_extras.provider_names.set(i64::try_from(names).unwrap_or(i64::MAX));
    }

    /// 1 when the served BLOB's legalHeader differs from `accepted_legal_header_sha256`.
    pub fn set_legal_header_changed(&self, changed: bool) {
        self.metadata_extras.legal_header_changed.set(i64::from(changed));
    }

    /// Renders the text exposition at `now`, first updating the time-dependent gauges from
    /// `served`: the BLOB being served (if any) and when it was obtained.
    pub fn render(
        &self,
        served: Option<(&VerifiedBlob, OffsetDateTime)>,
        now: OffsetDateTime,
    ) -> String {
        let verifier = self.verifier.lock().ok().and_then(|v| v.clone());
        if let Some(verifier) = verifier {
            let stats = verifier.cache_stats();
            // Counters only move forward: add what happened since the last render.
            self.chain_cache_hits.inc_by(stats.hits.saturating_sub(self.chain_cache_hits.get()));
            self.chain_cache_misses
                .inc_by(stats.misses.saturating_sub(self.chain_cache_misses.get()));
            self.chain_cache_entries.set(i64::try_from(stats.entries).unwrap_or(i64::MAX));
        }
        match served {
            Some((blob, fetched_at)) => {
                self.blob_age.set((now - fetched_at).as_seconds_f64().max(0.0));
                self.blob_stale.set(i64::from(blob.is_stale(now)));
            }
            None => {
                self.blob_loaded.set(0);
            }
        }
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
                tracing::error!(error = %e, "metrics encoding failed");
            }
        }
        out
    }
}

/// The metrics of the passkey-provider names and of the BLOB's legal header, kept together.
#[derive(Debug, Default)]
struct MetadataExtras {
    provider_names: Gauge,
    providers_empty: Gauge,
    provider_loads: Family<Labels, Counter>,
    legal_header_changed: Gauge,
}

impl MetadataExtras {
    fn register(&self, r: &mut Registry) {
        r.register(
            "passkey_provider_names",
            "Passkey-provider display names in force (bundled list or passkey_providers)",
            self.provider_names.clone(),
        );
        r.register(
            "passkey_providers_empty",
            "1 when the configured passkey-provider list last read empty (retired upstream; not \
             served, the previous list stays)",
            self.providers_empty.clone(),
        );
        r.register(
            "passkey_provider_loads",
            "Reads of the configured passkey-provider list by outcome (loaded, unchanged, empty, \
             failed)",
            self.provider_loads.clone(),
        );
        r.register(
            "blob_legal_header_changed",
            "1 when the served BLOB's legalHeader differs from accepted_legal_header_sha256 (0 \
             when it matches; absent from the check when none is configured)",
            self.legal_header_changed.clone(),
        );
    }
}
