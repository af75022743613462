//! Prometheus metrics (text exposition via `prometheus-client`): the served BLOB, refresh
//! outcomes, CRL cache use, and gRPC requests by RPC, result and verdict with latency; for
//! operations, the build and the clocks that make mdsd fail closed when they run out (the
//! signing chain's expiry, each CRL's and the BLOB's nextUpdate), computed at each render.

use std::collections::BTreeMap;
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

mod blob_sources;

pub use blob_sources::BlobSourceMetrics;

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
    source_fetches: Family<Labels, Counter>,
    mirror_requests: Family<Labels, Counter>,
    requests: Family<Labels, Counter>,
    verifications: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    danger: Family<Labels, Gauge>,
    danger_clock: Gauge,
    crl_fetch_failures: Counter,
    policy_reloads: Family<Labels, Counter>,
    admin_control: Family<Labels, Counter>,
    snapshot_write_failures: Counter,
    watch_history_write_failures: Counter,
    chain_cache_hits: Counter,
    chain_cache_misses: Counter,
    chain_cache_entries: Gauge,
    verifier: Mutex<Option<Arc<Verifier>>>,
    ops: OpsClocks,
    /// Passkey-provider names, the legal header and the watch events (issue #15), registered
    /// together.
    metadata_extras: MetadataExtras,
    /// The further BLOB sources (`[[blob_source]]`), by name.
    pub blob_sources: BlobSourceMetrics,
}

/// `mdsd_build_info` and the seconds left before the served state can no longer be trusted.
#[derive(Debug, Default)]
struct OpsClocks {
    build_info: Family<Labels, Gauge>,
    blob_next_update_in: Family<Labels, Gauge<f64, AtomicU64>>,
    chain_expiry_in: Family<Labels, Gauge<f64, AtomicU64>>,
    crl_next_update_in: Family<Labels, Gauge<f64, AtomicU64>>,
}

impl OpsClocks {
    fn register(&self, r: &mut Registry) {
        r.register(
            "build_info",
            "1, labelled with the mdsd version and target",
            self.build_info.clone(),
        );
        self.build_info
            .get_or_create(&vec![
                ("version", env!("CARGO_PKG_VERSION").to_string()),
                ("arch", std::env::consts::ARCH.to_string()),
                ("os", std::env::consts::OS.to_string()),
            ])
            .set(1);
        r.register(
            "blob_next_update_seconds",
            "Seconds until the served BLOB's nextUpdate (start of that day, UTC; negative once \
             past, fail closed at stale_grace after the end of that day); absent without a BLOB",
            self.blob_next_update_in.clone(),
        );
        r.register(
            "blob_chain_expiry_seconds",
            "Seconds until the earliest notAfter of the served BLOB's signing chain, anchor \
             included, labelled with that certificate's subject; absent without a BLOB",
            self.chain_expiry_in.clone(),
        );
        r.register(
            "crl_next_update_seconds",
            "Seconds until nextUpdate of each CRL the served BLOB's chain was checked against, \
             by CRL issuer (a restart re-verifies with these: past it, the snapshot no longer \
             verifies offline)",
            self.crl_next_update_in.clone(),
        );
    }

    /// Sets the clocks from the served BLOB at `now` (cleared when nothing is served).
    fn update(&self, blob: Option<&VerifiedBlob>, now: OffsetDateTime) {
        self.blob_next_update_in.clear();
        self.chain_expiry_in.clear();
        self.crl_next_update_in.clear();
        let Some(blob) = blob else { return };
        let until = |t: OffsetDateTime| (t - now).as_seconds_f64();
        self.blob_next_update_in
            .get_or_create(&Vec::new())
            .set(until(blob.next_update.midnight().assume_utc()));
        let chain = blob.chain.iter().map(|c| c.as_ref());
        if let Some(first) = chain.chain([blob.anchor.cert.as_ref()]).min_by_key(|c| c.not_after())
        {
            self.chain_expiry_in
                .get_or_create(&vec![("subject", first.subject().to_string())])
                .set(until(first.not_after()));
        }
        // Two CRLs of one issuer (both chain levels under one CA): the earlier counts.
        let mut crls: BTreeMap<&str, OffsetDateTime> = BTreeMap::new();
        for crl in &blob.crls {
            if let Some(next) = crl.next_update() {
                let at = crls.entry(crl.issuer()).or_insert(next);
                *at = (*at).min(next);
            }
        }
        for (issuer, next) in crls {
            self.crl_next_update_in
                .get_or_create(&vec![("issuer", issuer.to_string())])
                .set(until(next));
        }
    }
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
            source_fetches: Family::default(),
            mirror_requests: Family::default(),
            requests: Family::default(),
            verifications: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 16))
            }),
            danger: Family::default(),
            danger_clock: Gauge::default(),
            crl_fetch_failures: Counter::default(),
            policy_reloads: Family::default(),
            admin_control: Family::default(),
            snapshot_write_failures: Counter::default(),
            watch_history_write_failures: Counter::default(),
            chain_cache_hits: Counter::default(),
            chain_cache_misses: Counter::default(),
            chain_cache_entries: Gauge::default(),
            verifier: Mutex::new(None),
            ops: OpsClocks::default(),
            metadata_extras: MetadataExtras::default(),
            blob_sources: BlobSourceMetrics::default(),
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
                "CRLs obtained for the signing chain, by source (cache, download, file)",
                m.crl_fetches.clone(),
            );
            r.register(
                "source_fetches",
                "BLOB source attempts within refreshes, by configured source (index in mds_url, \
                 host), result (updated, unchanged, failed) and failed step",
                m.source_fetches.clone(),
            );
            r.register(
                "mirror_requests",
                "Mirror listener requests by route (blob, crl, index, other) and HTTP status",
                m.mirror_requests.clone(),
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
                "danger_clock_timestamp_seconds",
                "danger_clock: the pinned instant every judgement is made at (0: the system clock)",
                m.danger_clock.clone(),
            );
            r.register(
                "crl_fetch_failures",
                "CRLs of the signing chain that could not be obtained (download or mirror failed)",
                m.crl_fetch_failures.clone(),
            );
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
                "watch_history_write_failures",
                "WatchStatusChanges history writes to the state directory that failed (kept in \
                 memory and retried at the next change; a restart replays from the last one \
                 written)",
                m.watch_history_write_failures.clone(),
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
            m.ops.register(&mut r);
            m.metadata_extras.register(&mut r);
            m.blob_sources.register(&mut r);
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

    /// Records the pinned `danger_clock`.
    pub fn set_pinned_clock(&self, at: OffsetDateTime) {
        self.danger_clock.set(at.unix_timestamp());
    }

    /// CRLs that could not be obtained (an outcome, so not a `source` of `crl_fetches`).
    pub fn crl_failed(&self, n: usize) {
        self.crl_fetch_failures.inc_by(n as u64);
    }

    /// `source`: `cache`, `download` or `file` (operator CRL files used for the chain).
    pub fn crl(&self, source: &str, n: usize) {
        self.crl_fetches.get_or_create(&vec![("source", source.to_string())]).inc_by(n as u64);
    }

    /// Records one attempt at one BLOB source within a refresh: `index` in `mds_url`, its
    /// `host` label, `result` (`updated`, `unchanged`, `failed`) and the failed `step` (empty
    /// otherwise).
    pub fn source_fetch(&self, index: usize, host: &str, result: &str, step: &str) {
        self.source_fetches
            .get_or_create(&vec![
                ("source", index.to_string()),
                ("host", host.to_string()),
                ("result", result.to_string()),
                ("step", step.to_string()),
            ])
            .inc();
    }

    /// Records one mirror request: `route` (`blob`, `crl`, `index`, `other`) and its status.
    pub fn mirror_request(&self, route: &'static str, code: u16) {
        self.mirror_requests
            .get_or_create(&vec![("route", route.to_string()), ("code", code.to_string())])
            .inc();
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

    /// Records one WatchStatusChanges event published: `cause` is `new_blob` or
    /// `effective_date`.
    pub fn watch_event(&self, cause: &str) {
        self.metadata_extras.watch_events.get_or_create(&vec![("cause", cause.to_string())]).inc();
    }

    /// Records one accepted BLOB whose snapshot could not be written (disk full, read-only).
    pub fn snapshot_write_failed(&self) {
        self.snapshot_write_failures.inc();
    }

    /// Records one watch history write that failed (disk full, read-only).
    pub fn watch_history_write_failed(&self) {
        self.watch_history_write_failures.inc();
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

    /// The operator metadata statements in force (`metadata_statements`).
    pub fn set_operator_statements(&self, count: usize) {
        self.metadata_extras.operator_statements.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// Records one reload of the operator metadata statements (SIGHUP): loaded or refused.
    pub fn operator_statement_reload(&self, ok: bool) {
        let outcome = if ok { "loaded" } else { "refused" };
        let x = &self.metadata_extras;
        x.operator_statement_reloads.get_or_create(&vec![("outcome", outcome.to_string())]).inc();
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
        self.ops.update(served.map(|(blob, _)| blob), now);
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

/// The metrics of the passkey-provider names, of the BLOB's legal header and of the watch events,
/// kept together.
#[derive(Debug, Default)]
struct MetadataExtras {
    provider_names: Gauge,
    providers_empty: Gauge,
    provider_loads: Family<Labels, Counter>,
    legal_header_changed: Gauge,
    watch_events: Family<Labels, Counter>,
    operator_statements: Gauge,
    operator_statement_reloads: Family<Labels, Counter>,
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
        r.register(
            "watch_events",
            "WatchStatusChanges events published, by cause (new_blob: a BLOB installed in place \
             of another; effective_date: status reports of the BLOB served became effective; \
             source_changed: a further BLOB source or the operator's statements changed)",
            self.watch_events.clone(),
        );
        r.register(
            "operator_statements",
            "Operator metadata statements in force (metadata_statements; served unless the \
             signed metadata lists the same model)",
            self.operator_statements.clone(),
        );
        r.register(
            "operator_statement_reloads",
            "Reloads of the operator metadata statements (SIGHUP) by outcome (loaded, refused)",
            self.operator_statement_reloads.clone(),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::daemon::state::loaded_for_tests;

    fn sample<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next())
    }

    /// The clocks follow the served BLOB at the render's `now`, and vanish without one (a
    /// zero would read as "expired now").
    #[test]
    fn ops_clocks_follow_the_served_blob_and_vanish_without_one() {
        let metrics = Metrics::new();
        let now = datetime!(2026-01-01 00:00 UTC);
        let loaded =
            loaded_for_tests(r#"{"no": 3, "nextUpdate": "2026-01-11", "entries": []}"#, now);
        let text = metrics.render(Some((&loaded.blob, now)), now);
        let next: f64 = sample(&text, "mdsd_blob_next_update_seconds ").unwrap().parse().unwrap();
        assert_eq!(next, 10.0 * 86400.0, "{text}");
        // No chain (the anchor signed): the anchor's own expiry is the chain's.
        let anchor = &loaded.blob.anchor.cert;
        let chain: f64 = sample(&text, "mdsd_blob_chain_expiry_seconds{").unwrap().parse().unwrap();
        assert_eq!(chain, (anchor.not_after() - now).as_seconds_f64(), "{text}");
        assert!(text.contains(&format!("subject=\"{}\"", anchor.subject())), "{text}");
        assert!(sample(&text, "mdsd_crl_next_update_seconds").is_none(), "no CRLs: {text}");
        assert!(
            text.contains(concat!("mdsd_build_info{version=\"", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );

        let later = now + time::Duration::days(12);
        let text = metrics.render(Some((&loaded.blob, now)), later);
        let next: f64 = sample(&text, "mdsd_blob_next_update_seconds ").unwrap().parse().unwrap();
        assert_eq!(next, -2.0 * 86400.0, "negative once past: {text}");

        let text = metrics.render(None, later);
        assert!(sample(&text, "mdsd_blob_next_update_seconds").is_none(), "{text}");
        assert!(sample(&text, "mdsd_blob_chain_expiry_seconds").is_none(), "{text}");
        assert!(text.contains("mdsd_build_info"), "{text}");
    }
}
