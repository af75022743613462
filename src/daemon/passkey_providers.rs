//! The passkey-provider names served with answers (VerifyRegistration, GetAuthenticator): the
//! list bundled with the binary, replaced by the operator's `passkey_providers` file or URL,
//! which is read again on every refresh round. The parsing is the core's
//! ([`crate::passkey_providers`]); this module fetches, keeps the last good list and reports.
//!
//! - A source that cannot be read or parsed keeps the list in force (`last_error`, WARN, the
//!   `failed` outcome of `mdsd_passkey_provider_loads`).
//! - An **empty** list (upstream's announced way of retiring it) is not served: the list in
//!   force stays, and the retirement is reported — WARN log, `mdsd_passkey_providers_empty` 1,
//!   `GetMetadataInfo.passkey_providers.source_empty`.
//! - Names are never evidence: every answer marks them `claimed` (see the core module).

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use time::OffsetDateTime;
use uuid::Uuid;

use super::config::BlobSource;
use super::fetch::{BlobFetch, Fetcher};
use super::metrics::Metrics;
use crate::passkey_providers::{ProviderList, MAX_LIST_BYTES};

/// The list compiled into the binary (data/passkey-providers, see its PROVENANCE.md).
pub const BUNDLED: &[u8] = include_bytes!("../../data/passkey-providers/aaguid-names.json");
/// How the bundled list is named in answers.
pub const BUNDLED_SOURCE: &str =
    "bundled: passkeydeveloper/passkey-authenticator-aaguids@47b6f84 (2026-08-07)";

/// The list in force and where it came from.
#[derive(Debug, Clone)]
pub struct ServedList {
    pub list: ProviderList,
    /// [`BUNDLED_SOURCE`], or the configured path or URL.
    pub source: String,
    /// SHA-256 (hex) of the bytes the list was parsed from.
    pub sha256: String,
    /// When it was loaded from the configured source (`None`: the bundled list).
    pub loaded_at: Option<OffsetDateTime>,
}

/// How the last reads of the configured source went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvidersStatus {
    /// The configured source, if any.
    pub configured: Option<String>,
    pub last_attempt_at: Option<OffsetDateTime>,
    /// The last failure (read or parse), `None` after a success.
    pub last_error: Option<String>,
    /// The last list read from the source was empty (retired upstream): not served.
    pub source_empty: bool,
}

/// What one reload did (the `outcome` label of `mdsd_passkey_provider_loads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    Loaded,
    Unchanged,
    /// The source answered an empty list: kept the list in force.
    Empty,
    Failed,
}

impl ReloadOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReloadOutcome::Loaded => "loaded",
            ReloadOutcome::Unchanged => "unchanged",
            ReloadOutcome::Empty => "empty",
            ReloadOutcome::Failed => "failed",
        }
    }
}

/// The served list (replaced whole) and the reload status.
#[derive(Debug)]
pub struct PasskeyProviders {
    served: ArcSwap<ServedList>,
    status: Mutex<ProvidersStatus>,
}

impl Default for PasskeyProviders {
    fn default() -> Self {
        PasskeyProviders::bundled()
    }
}

impl PasskeyProviders {
    /// Serves the bundled list. It is checked by the tests; were it ever unreadable, the
    /// served list would be empty and reported as such, never a panic.
    pub fn bundled() -> PasskeyProviders {
        let list = ProviderList::parse(BUNDLED).unwrap_or_default();
        PasskeyProviders {
            served: ArcSwap::from_pointee(ServedList {
                list,
                source: BUNDLED_SOURCE.to_string(),
                sha256: sha256_hex(BUNDLED),
                loaded_at: None,
            }),
            status: Mutex::new(ProvidersStatus::default()),
        }
    }

    /// The list in force.
    pub fn current(&self) -> Arc<ServedList> {
        self.served.load_full()
    }

    /// The display name for `aaguid` (never for the nil AAGUID).
    pub fn name(&self, aaguid: &Uuid) -> Option<String> {
        self.served.load().list.name(aaguid).map(str::to_string)
    }

    pub fn status(&self) -> ProvidersStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Applies what was read from `source` at `now`: installs a parsed non-empty list, keeps
    /// the one in force otherwise, and records the outcome (status, metrics, log).
    pub fn apply(
        &self,
        source: &str,
        read: Result<Vec<u8>, String>,
        metrics: &Metrics,
        now: OffsetDateTime,
    ) -> ReloadOutcome {
        let (outcome, error, empty) = match read {
            Err(e) => (ReloadOutcome::Failed, Some(e), false),
            Ok(bytes) => {
                let sha256 = sha256_hex(&bytes);
                let current = self.served.load();
                if current.loaded_at.is_some()
                    && current.source == source
                    && current.sha256 == sha256
                {
                    (ReloadOutcome::Unchanged, None, false)
                } else {
                    match ProviderList::parse(&bytes) {
                        Err(e) => (ReloadOutcome::Failed, Some(e.to_string()), false),
                        Ok(list) if list.is_empty() => (ReloadOutcome::Empty, None, true),
                        Ok(list) => {
                            for skipped in list.skipped().iter().take(5) {
                                tracing::warn!(source, key = %skipped.key, reason = %skipped.reason,
                                    "passkey-provider entry skipped");
                            }
                            tracing::info!(
                                source,
                                names = list.len(),
                                skipped = list.skipped().len(),
                                "passkey-provider list loaded"
                            );
                            self.served.store(Arc::new(ServedList {
                                list,
                                source: source.to_string(),
                                sha256,
                                loaded_at: Some(now),
                            }));
                            (ReloadOutcome::Loaded, None, false)
                        }
                    }
                }
            }
        };
        let in_force = self.current();
        match (&error, outcome) {
            (Some(e), _) => tracing::warn!(source, error = %e, still_serving = %in_force.source,
                "passkey-provider list not reloaded; keeping the list in force"),
            (None, ReloadOutcome::Empty) => tracing::warn!(source,
                still_serving = %in_force.source, names = in_force.list.len(),
                "passkey-provider list is empty: upstream retires the list this way; not served, \
                 keeping the list in force (check the list's README, then change or remove \
                 passkey_providers)"),
            _ => {}
        }
        if let Ok(mut status) = self.status.lock() {
            status.configured = Some(source.to_string());
            status.last_attempt_at = Some(now);
            status.last_error = error;
            // An unchanged or failed read says nothing new about emptiness.
            if matches!(outcome, ReloadOutcome::Loaded | ReloadOutcome::Empty) {
                status.source_empty = empty;
            }
            metrics.passkey_providers(outcome.as_str(), in_force.list.len(), status.source_empty);
        }
        outcome
    }
}

/// Reads the configured source once (at most [`MAX_LIST_BYTES`]) and applies it.
pub async fn reload(
    providers: &PasskeyProviders,
    source: &BlobSource,
    fetcher: &Fetcher,
    metrics: &Metrics,
) -> ReloadOutcome {
    let read = match fetcher.fetch_blob(source, None, MAX_LIST_BYTES).await {
        Ok(BlobFetch::Fetched { bytes, .. }) => Ok(bytes),
        // No ETag was sent, so a 304 is a server fault.
        Ok(BlobFetch::NotModified) => Err("304 Not Modified without a conditional request".into()),
        Err(e) => Err(e.to_string()),
    };
    providers.apply(&source.to_string(), read, metrics, OffsetDateTime::now_utc())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const ICLOUD: Uuid = uuid::uuid!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd");
    const GPM: Uuid = uuid::uuid!("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4");
    const NOW: OffsetDateTime = datetime!(2026-12-01 0:00 UTC);

    fn metric(metrics: &Metrics, line_start: &str) -> String {
        metrics
            .render(None, NOW)
            .lines()
            .filter(|l| l.starts_with(line_start))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_bundled_list_names_the_synced_providers() {
        let p = PasskeyProviders::bundled();
        let served = p.current();
        assert_eq!(served.list.len(), 52);
        assert!(served.list.skipped().is_empty());
        assert_eq!(p.name(&ICLOUD).as_deref(), Some("Apple Passwords"));
        assert_eq!(p.name(&GPM).as_deref(), Some("Google Password Manager"));
        assert_eq!(p.name(&Uuid::nil()), None);
        assert_eq!(served.source, BUNDLED_SOURCE);
        assert_eq!(served.loaded_at, None);
    }

    #[test]
    fn the_bundled_list_is_the_shared_reference_copy() {
        let shared = mdsd_test_support::shared::path("passkey-providers/aaguid-names.json");
        assert_eq!(std::fs::read(shared).unwrap(), BUNDLED);
    }

    #[test]
    fn a_new_list_replaces_an_equal_one_is_unchanged_a_bad_one_keeps_the_last_good() {
        let p = PasskeyProviders::bundled();
        let m = Metrics::new();
        let one = format!(r#"{{"{ICLOUD}": {{"name": "Keychain (operator copy)"}}}}"#);
        let out = p.apply("/etc/mdsd/aaguid.json", Ok(one.clone().into_bytes()), &m, NOW);
        assert_eq!(out, ReloadOutcome::Loaded);
        assert_eq!(p.name(&ICLOUD).as_deref(), Some("Keychain (operator copy)"));
        assert_eq!(p.name(&GPM), None, "replaced whole, not merged");
        assert_eq!(p.current().loaded_at, Some(NOW));
        assert_eq!(p.apply("/etc/mdsd/aaguid.json", Ok(one.into_bytes()), &m, NOW), {
            ReloadOutcome::Unchanged
        });

        for bad in [Err("connection refused".to_string()), Ok(b"[1]".to_vec()), Ok(b"{".to_vec())] {
            assert_eq!(p.apply("/etc/mdsd/aaguid.json", bad, &m, NOW), ReloadOutcome::Failed);
            assert_eq!(p.name(&ICLOUD).as_deref(), Some("Keychain (operator copy)"));
            assert!(p.status().last_error.is_some());
        }
        let out = metric(&m, "mdsd_passkey_provider_loads_total");
        assert!(out.contains(r#"outcome="failed"} 3"#), "{out}");
        assert!(out.contains(r#"outcome="loaded"} 1"#), "{out}");
        assert!(out.contains(r#"outcome="unchanged"} 1"#), "{out}");
        assert_eq!(metric(&m, "mdsd_passkey_provider_names "), "mdsd_passkey_provider_names 1");
    }

    #[test]
    fn an_empty_list_is_reported_and_not_served() {
        let p = PasskeyProviders::bundled();
        let m = Metrics::new();
        let out = p.apply("https://example.org/aaguid.json", Ok(b"{}".to_vec()), &m, NOW);
        assert_eq!(out, ReloadOutcome::Empty);
        // Still the bundled names, and the retirement is visible.
        assert_eq!(p.name(&ICLOUD).as_deref(), Some("Apple Passwords"));
        let status = p.status();
        assert!(status.source_empty);
        assert_eq!(status.last_error, None);
        assert_eq!(status.configured.as_deref(), Some("https://example.org/aaguid.json"));
        assert_eq!(metric(&m, "mdsd_passkey_providers_empty "), "mdsd_passkey_providers_empty 1");
        assert_eq!(metric(&m, "mdsd_passkey_provider_names "), "mdsd_passkey_provider_names 52");
        // A failed read leaves the report; a good list clears it.
        p.apply("https://example.org/aaguid.json", Err("timeout".into()), &m, NOW);
        assert!(p.status().source_empty);
        let good = format!(r#"{{"{GPM}": {{"name": "Google Password Manager"}}}}"#);
        p.apply("https://example.org/aaguid.json", Ok(good.into_bytes()), &m, NOW);
        assert!(!p.status().source_empty);
        assert_eq!(metric(&m, "mdsd_passkey_providers_empty "), "mdsd_passkey_providers_empty 0");
    }
}
