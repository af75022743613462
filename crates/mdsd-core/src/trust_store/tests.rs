//! Tests of the trust store: status rules, ordering of reports, indexes.

use std::sync::Arc;

use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::status::KNOWN_STATUSES;
use super::*;
use crate::x509::Cert;

fn report(status: &str, date: Option<Date>) -> StatusReport {
    StatusReport {
        status: AuthenticatorStatus::parse(status),
        effective_date: date,
        authenticator_version: None,
        certificate: None,
        url: None,
        certification_descriptor: None,
    }
}

fn entry(reports: Vec<StatusReport>) -> Entry {
    Entry {
        aaguid: Some(Uuid::from_u128(1)),
        aaid: None,
        key_identifiers: Vec::new(),
        description: Some("test authenticator".into()),
        authenticator_version: Some(5),
        attestation_roots: Roots::default(),
        status_reports: reports,
        time_of_last_status_change: None,
        multi_device_credential_support: None,
        key_scope: None,
        attestation_types: Vec::new(),
        authentication_algorithms: Vec::new(),
        raw_json: RawJson::owned("{}"),
        origin: Origin::Mds,
        capabilities: std::sync::OnceLock::new(),
    }
}

/// Two distinct real certificates (the built-in roots) to stand in for batch certificates.
fn two_certs() -> (Arc<Cert>, Arc<Cert>) {
    let roots = crate::mds::builtin_roots();
    (roots[0].cert.clone(), roots[1].cert.clone())
}

const NOW: OffsetDateTime = datetime!(2024-06-01 12:00 UTC);

#[test]
fn status_strings_round_trip() {
    for status in KNOWN_STATUSES {
        assert_eq!(AuthenticatorStatus::parse(status.as_str()), status);
        assert!(!status.is_unknown());
    }
    assert_eq!(AuthenticatorStatus::parse("RETIRED"), AuthenticatorStatus::Retired);
    assert_eq!(
        AuthenticatorStatus::parse("FIPS140_CERTIFIED_L4"),
        AuthenticatorStatus::Fips140CertifiedL4
    );
    assert_eq!(
        AuthenticatorStatus::parse("FIDO_CERTIFIED_L1plus"),
        AuthenticatorStatus::FidoCertifiedL1Plus
    );
    let odd = AuthenticatorStatus::parse("QUANTUM_CERTIFIED");
    assert_eq!(odd, AuthenticatorStatus::Unknown("QUANTUM_CERTIFIED".into()));
    assert_eq!(odd.as_str(), "QUANTUM_CERTIFIED");
    // Case matters: MDS values are exact.
    assert!(AuthenticatorStatus::parse("revoked").is_unknown());
}

#[test]
fn current_status_is_latest_effective() {
    let e = entry(vec![
        report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
        report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
        report("REVOKED", Some(date!(2030 - 01 - 01))),
    ]);
    // The report dated in the future is not effective yet; order in the list does not matter.
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL2);
    assert_eq!(
        e.current_status(datetime!(2030-01-01 0:00 UTC)).unwrap().status,
        AuthenticatorStatus::Revoked
    );
    assert_eq!(
        e.current_status(datetime!(2021-01-01 0:00 UTC)).unwrap().status,
        AuthenticatorStatus::FidoCertifiedL1
    );
    assert!(e.current_status(datetime!(2019-01-01 0:00 UTC)).is_none());
}

#[test]
fn current_status_ties_go_to_the_later_report_and_undated_count_as_oldest() {
    let d = Some(date!(2022 - 02 - 02));
    let e = entry(vec![report("FIDO_CERTIFIED_L1", d), report("REVOKED", d)]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
    let e = entry(vec![report("FIDO_CERTIFIED_L1", d), report("NOT_FIDO_CERTIFIED", None)]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL1);
    let e = entry(vec![report("NOT_FIDO_CERTIFIED", None)]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::NotFidoCertified);
}

/// Issue #11: an undated REVOKED report was outranked by any dated report (undated sorted
/// first). REVOKED is final wherever it sorts; an undated security report is not shown to
/// be superseded; on the same date the security report wins whatever the list order.
#[test]
fn revoked_and_compromise_reports_are_never_outranked_by_ordering() {
    let policy = StatusPolicy::default();
    // Undated REVOKED, then a dated certification.
    let e = entry(vec![
        report("REVOKED", None),
        report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
    ]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
    let verdict = e.evaluate(&[], &policy, NOW);
    assert!(!verdict.trusted);
    assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::Revoked));
    // Dated REVOKED, then a later certification: still REVOKED (final).
    let e = entry(vec![
        report("REVOKED", Some(date!(2021 - 01 - 01))),
        report("FIDO_CERTIFIED_L3", Some(date!(2023 - 01 - 01))),
    ]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
    assert!(!e.evaluate(&[], &policy, NOW).trusted);
    // ...but not before it is effective.
    let before = datetime!(2020-06-01 0:00 UTC);
    let e = entry(vec![
        report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
        report("REVOKED", Some(date!(2021 - 01 - 01))),
    ]);
    assert!(e.evaluate(&[], &policy, before).trusted);
    // Undated compromise reports sort after every dated one.
    for status in
        ["USER_VERIFICATION_BYPASS", "USER_KEY_REMOTE_COMPROMISE", "USER_KEY_PHYSICAL_COMPROMISE"]
    {
        let e = entry(vec![
            report(status, None),
            report("FIDO_CERTIFIED_L1", Some(date!(2022 - 01 - 01))),
        ]);
        assert_eq!(e.current_status(NOW).unwrap().status.as_str(), status);
        assert!(!e.evaluate(&[], &policy, NOW).trusted, "{status}");
    }
    // The same date: the security report wins, whichever comes first in the list.
    let d = Some(date!(2022 - 02 - 02));
    let e = entry(vec![report("USER_VERIFICATION_BYPASS", d), report("FIDO_CERTIFIED_L1", d)]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::UserVerificationBypass);
    assert!(!e.evaluate(&[], &policy, NOW).trusted);
    // An undated ordinary report is still the oldest.
    let e = entry(vec![
        report("FIDO_CERTIFIED_L1", Some(date!(2022 - 01 - 01))),
        report("NOT_FIDO_CERTIFIED", None),
    ]);
    assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL1);
}

#[test]
fn untrusted_current_status_refuses() {
    let policy = StatusPolicy::default();
    for status in [
        "REVOKED",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    ] {
        let e = entry(vec![
            report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
            report(status, Some(date!(2022 - 01 - 01))),
        ]);
        let verdict = e.evaluate(&[], &policy, NOW);
        assert!(!verdict.trusted, "{status}");
        assert_eq!(verdict.refused_status.as_ref().unwrap().as_str(), status);
        assert!(verdict.reason.unwrap().contains(status));
    }
    let e = entry(vec![report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01)))]);
    let verdict = e.evaluate(&[], &policy, NOW);
    assert!(verdict.trusted);
    assert_eq!(verdict.status, Some(AuthenticatorStatus::FidoCertifiedL1));
}

#[test]
fn policy_decides_which_statuses_refuse() {
    let e = entry(vec![report("RETIRED", Some(date!(2022 - 01 - 01)))]);
    assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
    let strict = StatusPolicy { untrusted: vec![AuthenticatorStatus::Retired] };
    assert!(!e.evaluate(&[], &strict, NOW).trusted);
    let revoked = entry(vec![report("REVOKED", Some(date!(2022 - 01 - 01)))]);
    let lax = StatusPolicy { untrusted: Vec::new() };
    assert!(revoked.evaluate(&[], &lax, NOW).trusted);
}

#[test]
fn a_later_good_status_supersedes_an_old_bad_one() {
    let e = entry(vec![
        report("USER_VERIFICATION_BYPASS", Some(date!(2020 - 01 - 01))),
        report("FIDO_CERTIFIED_L1", Some(date!(2021 - 01 - 01))),
    ]);
    assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
}

#[test]
fn attestation_key_compromise_is_scoped_by_certificate() {
    let (compromised, other) = two_certs();
    let mut akc = report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01)));
    akc.certificate = Some(compromised.clone());
    // Followed by a later certification: the batch key stays compromised.
    let e = entry(vec![akc, report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01)))]);
    let policy = StatusPolicy::default();
    let verdict = e.evaluate(&[other.clone(), compromised.clone()], &policy, NOW);
    assert!(!verdict.trusted);
    assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::AttestationKeyCompromise));
    assert!(verdict.reason.unwrap().contains(&compromised.sha256_hex()));
    // Another batch of the same model is not affected.
    assert!(e.evaluate(std::slice::from_ref(&other), &policy, NOW).trusted);
    assert!(e.evaluate(&[], &policy, NOW).trusted);
    // Scoped, as the current status: still only the named batch.
    let mut akc = report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01)));
    akc.certificate = Some(compromised.clone());
    let e = entry(vec![akc]);
    assert!(e.evaluate(&[other], &policy, NOW).trusted);
    assert!(!e.evaluate(&[compromised], &policy, NOW).trusted);
}

#[test]
fn attestation_key_compromise_without_certificate_is_model_wide() {
    let (a, _) = two_certs();
    let e = entry(vec![
        report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01))),
        report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
    ]);
    let verdict = e.evaluate(&[a], &StatusPolicy::default(), NOW);
    assert!(!verdict.trusted);
    assert!(verdict.reason.unwrap().contains("whole model"));
    // Not effective yet → not applied.
    let e = entry(vec![report("ATTESTATION_KEY_COMPROMISE", Some(date!(2025 - 01 - 01)))]);
    assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
}

#[test]
fn update_available_fixing_a_security_status_needs_the_new_version() {
    let mut update = report("UPDATE_AVAILABLE", Some(date!(2022 - 01 - 01)));
    update.authenticator_version = Some(6);
    let reports = vec![
        report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
        report("USER_VERIFICATION_BYPASS", Some(date!(2021 - 01 - 01))),
        update,
    ];
    let policy = StatusPolicy::default();
    // The statement still describes version 5: refused.
    let old = entry(reports.clone());
    let verdict = old.evaluate(&[], &policy, NOW);
    assert!(!verdict.trusted);
    assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::UpdateAvailable));
    assert_eq!(verdict.status, Some(AuthenticatorStatus::UpdateAvailable));
    assert!(verdict.reason.unwrap().contains("USER_VERIFICATION_BYPASS"));
    // Unknown version: refused.
    let mut unknown = entry(reports.clone());
    unknown.authenticator_version = None;
    assert!(!unknown.evaluate(&[], &policy, NOW).trusted);
    // The statement describes the fixed version: trusted.
    let mut fixed = entry(reports);
    fixed.authenticator_version = Some(6);
    assert!(fixed.evaluate(&[], &policy, NOW).trusted);
}

#[test]
fn update_available_without_an_earlier_security_status_is_informational() {
    let mut update = report("UPDATE_AVAILABLE", Some(date!(2022 - 01 - 01)));
    update.authenticator_version = Some(9);
    let e = entry(vec![report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))), update]);
    assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
}

#[test]
fn store_indexes_and_first_wins_on_duplicates() {
    let mut a = entry(vec![]);
    a.key_identifiers = vec!["AbCd".into(), "1234".into()];
    a.aaid = Some("FFFF#0001".into());
    let mut b = entry(vec![]);
    b.aaguid = Some(Uuid::from_u128(2));
    b.key_identifiers = vec!["abcd".into()];
    let mut c = entry(vec![]);
    c.description = Some("duplicate aaguid".into());
    let store = TrustStore::from_entries(7, date!(2024 - 07 - 01), vec![a, b, c]);
    assert_eq!(store.no(), 7);
    assert_eq!(store.entries().len(), 3);
    assert_eq!(
        store.by_aaguid(&Uuid::from_u128(1)).unwrap().description(),
        Some("test authenticator")
    );
    assert_eq!(store.by_aaguid(&Uuid::from_u128(2)).unwrap().key_identifiers(), ["abcd"]);
    assert_eq!(store.by_key_identifier("abcd").unwrap().aaid(), Some("FFFF#0001"));
    assert_eq!(store.by_key_identifier("ABCD").unwrap().aaid(), Some("FFFF#0001"));
    assert!(store.by_key_identifier("1234").is_some());
    assert!(store.by_key_identifier("5678").is_none());
    assert!(store.by_aaid("FFFF#0001").is_some());
    assert_eq!(
        store.duplicates(),
        [
            DuplicateKey { key: "key_identifier:abcd".into(), kept: 0, shadowed: 1 },
            DuplicateKey {
                key: "aaguid:00000000-0000-0000-0000-000000000001".into(),
                kept: 0,
                shadowed: 2
            },
        ]
    );
}

/// Entries of other sources are served after the BLOB's own and never take a key the BLOB's
/// entries claim; a second `with_extra` replaces the first one's entries instead of adding.
#[test]
fn extra_entries_never_shadow_the_blob_and_are_replaced_whole() {
    let mut listed = entry(vec![report("FIDO_CERTIFIED_L1", None)]);
    listed.aaguid = Some(Uuid::from_u128(1));
    let store = TrustStore::from_entries(7, date!(2024 - 07 - 01), vec![listed]);
    let file: Arc<str> = Arc::from("private.json");
    let mut same_model = entry(vec![]);
    same_model.aaguid = Some(Uuid::from_u128(1));
    let same_model = same_model.with_origin(Origin::Operator { file: file.clone() });
    let mut private = entry(vec![]);
    private.aaguid = Some(Uuid::from_u128(2));
    private.key_identifiers = vec!["ab".repeat(20)];
    let private = private.with_origin(Origin::Operator { file });

    let merged = store.with_extra([Arc::new(same_model), Arc::new(private)]);
    assert_eq!((merged.no(), merged.next_update()), (7, date!(2024 - 07 - 01)));
    assert_eq!(merged.entries().len(), 3);
    assert_eq!(merged.blob_entries().len(), 1);
    // The BLOB keeps its model; the statement for it is reported, not served.
    assert_eq!(merged.by_aaguid(&Uuid::from_u128(1)).map(|e| e.origin()), Some(&Origin::Mds));
    assert_eq!(
        merged.duplicates(),
        [DuplicateKey { key: format!("aaguid:{}", Uuid::from_u128(1)), kept: 0, shadowed: 1 }]
    );
    let found = merged.by_aaguid(&Uuid::from_u128(2)).map(|e| e.origin().to_string());
    assert_eq!(found.as_deref(), Some("operator:private.json"));
    assert!(merged.by_key_identifier(&"AB".repeat(20)).is_some());

    let again = merged.with_extra(Vec::new());
    assert_eq!(again.entries().len(), 1);
    assert!(again.by_aaguid(&Uuid::from_u128(2)).is_none());
    assert!(again.duplicates().is_empty());
}

/// Key identifiers are lowercased and each listed once, in the order of first appearance, on
/// both ways the builder dedupes (a short list searched as built, a long one through a set).
#[test]
fn key_identifiers_are_lowercased_and_listed_once_in_order() {
    for len in [0, 1, 2, 3, 16, 17, 40] {
        // Every third identifier repeats an earlier one in upper case.
        let ids: Vec<String> = (0..len)
            .map(|i| if i % 3 == 2 { format!("AB{:02X}", i / 3) } else { format!("ab{i:02x}") })
            .collect();
        let mut want: Vec<String> = Vec::new();
        for id in &ids {
            let id = id.to_ascii_lowercase();
            if !want.contains(&id) {
                want.push(id);
            }
        }
        assert!(len < 3 || want.len() < len, "the list has repeats");
        let built =
            Entry::identified(Some(Uuid::from_u128(1)), None, ids, RawJson::owned("{}")).unwrap();
        assert_eq!(built.build().key_identifiers(), want, "{len} identifiers");
    }
}
