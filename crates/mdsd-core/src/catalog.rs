//! Reading the trust store for people and dashboards: one entry by key ([`lookup`]) or a
//! filtered listing ([`list`]), each entry with its current status at `now` (the latest
//! effective status report, [`Entry::current_status`]).

use std::sync::Arc;

use time::OffsetDateTime;

use crate::attestation::EntryKey;
use crate::trust_store::{Entry, StatusReport, TrustStore};

/// One entry of the store and its current status report at `now`.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'s> {
    pub entry: &'s Arc<Entry>,
    pub status: Option<&'s StatusReport>,
}

impl<'s> Listing<'s> {
    fn at(entry: &'s Arc<Entry>, now: OffsetDateTime) -> Listing<'s> {
        Listing { entry, status: entry.current_status(now) }
    }
}

/// The entry `key` names in `store`, with its status at `now`.
pub fn lookup<'s>(
    store: &'s TrustStore,
    key: &EntryKey,
    now: OffsetDateTime,
) -> Option<Listing<'s>> {
    key.lookup(store).map(|entry| Listing::at(entry, now))
}

/// Which entries a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Case-insensitive substring of the description; empty: any.
    pub description_contains: &'a str,
    /// Current status names (`REVOKED`, `FIDO_CERTIFIED_L1`, …, as in the BLOB); empty: any.
    pub statuses: &'a [String],
}

/// The entries of `store` that `filter` shows, in the store's order, with their status at
/// `now`.
pub fn list<'s>(
    store: &'s TrustStore,
    filter: &Filter<'_>,
    now: OffsetDateTime,
) -> Vec<Listing<'s>> {
    let needle = filter.description_contains.to_lowercase();
    store
        .entries()
        .iter()
        .filter(|e| {
            needle.is_empty() || e.description().is_some_and(|d| d.to_lowercase().contains(&needle))
        })
        .map(|e| Listing::at(e, now))
        .filter(|l| {
            filter.statuses.is_empty()
                || l.status.is_some_and(|s| filter.statuses.iter().any(|w| w == s.status.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::mds::{parse_payload, PayloadLimits};

    fn store() -> TrustStore {
        let entry = |aaguid: &str, description: &str, reports: serde_json::Value| {
            json!({
                "aaguid": aaguid,
                "metadataStatement": {
                    "aaguid": aaguid, "description": description, "authenticatorVersion": 1,
                    "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
                    "attestationRootCertificates": [],
                },
                "statusReports": reports,
            })
        };
        let json = json!({"no": 1, "nextUpdate": "2030-01-01", "entries": [
            entry("cb69481e-8ff7-4039-93ec-0a2729a154a8", "YubiKey 5 NFC",
                json!([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}])),
            entry("ee882879-721c-4913-9775-3dfcce97072a", "Other Key",
                json!([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
                       {"status": "REVOKED", "effectiveDate": "2025-06-01"}])),
        ]});
        parse_payload(json.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store
    }

    #[test]
    fn listings_filter_by_description_and_current_status() {
        let store = store();
        let now = datetime!(2026-01-01 00:00 UTC);
        let names = |filter: Filter<'_>| -> Vec<String> {
            list(&store, &filter, now)
                .iter()
                .map(|l| l.entry.description().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(names(Filter::default()).len(), 2);
        assert_eq!(
            names(Filter { description_contains: "yubikey", ..Filter::default() }),
            ["YubiKey 5 NFC"]
        );
        let revoked = ["REVOKED".to_string()];
        assert_eq!(names(Filter { statuses: &revoked, ..Filter::default() }), ["Other Key"]);
        // Before the revocation took effect it was certified.
        let before = list(&store, &Filter { statuses: &revoked, ..Filter::default() }, {
            datetime!(2025-01-01 00:00 UTC)
        });
        assert!(before.is_empty());
        let aaguid = "ee882879-721c-4913-9775-3dfcce97072a".parse().unwrap();
        let found = lookup(&store, &EntryKey::Aaguid(aaguid), now).unwrap();
        assert_eq!(found.status.map(|s| s.status.as_str()), Some("REVOKED"));
    }
}
