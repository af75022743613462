//! Property test of the effective-date functions of `mdsd_core::changes` over random status
//! histories: [`next_status_change`] names an instant after `now` at 00:00 UTC, no entry's
//! current status changes before it ([`diff_status_over`] is empty up to its last nanosecond),
//! and any change seen later lies at or after it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdsd::changes::{diff_status_over, next_status_change};
use mdsd::mds::{parse_payload, PayloadLimits};
use mdsd::trust_store::TrustStore;
use proptest::prelude::*;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime, Time};

const STATUSES: &[&str] = &[
    "FIDO_CERTIFIED_L1",
    "FIDO_CERTIFIED_L2",
    "REVOKED",
    "UPDATE_AVAILABLE",
    "USER_VERIFICATION_BYPASS",
    "RETIRED",
    "ATTESTATION_KEY_COMPROMISE",
];
const BASE: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// Entries of (status index, day offset from BASE or undated) reports.
fn store(entries: &[Vec<(usize, Option<i64>)>]) -> TrustStore {
    let entries: Vec<_> = entries
        .iter()
        .enumerate()
        .map(|(i, reports)| {
            let aaguid = format!("00000000-0000-4000-8000-{i:012}");
            let reports: Vec<_> = reports
                .iter()
                .map(|(s, day)| match day {
                    Some(d) => json!({"status": STATUSES[*s],
                        "effectiveDate": (BASE + Duration::days(*d)).date().to_string()}),
                    None => json!({"status": STATUSES[*s]}),
                })
                .collect();
            json!({
                "aaguid": aaguid,
                "metadataStatement": {
                    "aaguid": aaguid, "description": "m", "authenticatorVersion": 2,
                    "protocolFamily": "fido2", "schema": 3,
                    "attestationTypes": ["basic_full"], "attestationRootCertificates": [],
                },
                "statusReports": reports,
                "timeOfLastStatusChange": "2020-01-01",
            })
        })
        .collect();
    let payload = json!({"no": 1, "nextUpdate": "2030-01-01", "entries": entries});
    parse_payload(payload.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store
}

fn reports() -> impl Strategy<Value = Vec<(usize, Option<i64>)>> {
    prop::collection::vec((0..STATUSES.len(), prop::option::weighted(0.9, -5i64..40)), 1..5)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_status_changes_before_the_next_status_change(
        entries in prop::collection::vec(reports(), 1..6),
        now_secs in 0i64..(30 * 86_400),
        later_secs in 0i64..(45 * 86_400),
    ) {
        let s = store(&entries);
        let now = BASE + Duration::seconds(now_secs);
        let later = now + Duration::seconds(later_secs);
        match next_status_change(&s, now) {
            Some(next) => {
                prop_assert!(next > now);
                prop_assert_eq!(next.time(), Time::MIDNIGHT);
                prop_assert!(diff_status_over(&s, now, next - Duration::nanoseconds(1)).is_empty());
                if later < next {
                    prop_assert!(diff_status_over(&s, now, later).is_empty());
                }
            }
            // No report dated after today: nothing ever changes again.
            None => prop_assert!(diff_status_over(&s, now, later).is_empty()),
        }
    }
}
