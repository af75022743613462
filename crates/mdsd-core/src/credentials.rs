//! Re-judging credentials registered earlier against today's metadata (the daemon's
//! CheckCredentials). Pure: the store and `now` are arguments. The relying party stored the AAGUID (or U2F key identifier), the SHA-256 fingerprints of the
//! attestation certificates and the registration time; this says whether the authenticator is
//! still trusted and, if not, why, with a stable code per reason.
//!
//! Built on [`Entry::evaluate`] (MDS3 §3.1.4 rules) with an empty chain, plus one rule of our
//! own: a batch-scoped ATTESTATION_KEY_COMPROMISE (a report with `certificate`) is matched by
//! fingerprint against the stored ones, since the certificates themselves were not kept.

use std::collections::HashSet;

use time::{Date, OffsetDateTime};

use crate::attestation::EntryKey;
use crate::policy::{AuthenticationFacts, Decision, PolicySet, ProfileChoice};
use crate::trust_store::{AuthenticatorStatus, Entry, Origin, StatusPolicy, TrustStore};

/// Most credentials per CheckCredentials call.
pub const MAX_CREDENTIALS: usize = crate::limits::CREDENTIALS_PER_BATCH.max;
/// Most stored fingerprints per credential (an x5c holds at most 8 certificates).
pub const MAX_FINGERPRINTS: usize = crate::limits::FINGERPRINTS_PER_CREDENTIAL.max;

/// What the relying party stored at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The entry it belongs to: the AAGUID or U2F key identifier (lowercase hex) stored at
    /// registration (`AttestationResult::metadata_key`).
    pub key: EntryKey,
    /// Lowercase hex SHA-256 of the attestation certificates (x5c), any order.
    pub fingerprints: Vec<String>,
    pub registered_at: Option<OffsetDateTime>,
}

/// Why a credential is no longer trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckCode {
    /// The authenticator has no entry in today's metadata.
    NotInMetadata,
    /// MDS3 §3.1.4 REVOKED is the current status.
    Revoked,
    /// MDS3 §3.1.4 ATTESTATION_KEY_COMPROMISE names a batch certificate whose fingerprint was
    /// stored with the credential.
    BatchKeyCompromised,
    /// A batch certificate of the model is reported compromised and no fingerprints were
    /// stored: whether it is this credential's cannot be told (fail closed).
    BatchKeyCompromiseUnverifiable,
    /// ATTESTATION_KEY_COMPROMISE for the whole model (no certificate named).
    AttestationKeyCompromise,
    /// RETIRED is the current status (no longer supported by its vendor).
    Retired,
    /// UPDATE_AVAILABLE fixing a security status, and the metadata describes an older
    /// authenticatorVersion.
    SecurityUpdateAvailable,
    /// Another status the status policy refuses is current (USER_VERIFICATION_BYPASS, ...);
    /// the code is that status's name.
    StatusRefused(AuthenticatorStatus),
}

impl CheckCode {
    /// The stable code sent to clients.
    pub fn as_str(&self) -> &str {
        match self {
            CheckCode::NotInMetadata => "NOT_IN_METADATA",
            CheckCode::Revoked => "REVOKED",
            CheckCode::BatchKeyCompromised => "BATCH_KEY_COMPROMISED",
            CheckCode::BatchKeyCompromiseUnverifiable => "BATCH_KEY_COMPROMISE_UNVERIFIABLE",
            CheckCode::AttestationKeyCompromise => "ATTESTATION_KEY_COMPROMISE",
            CheckCode::Retired => "RETIRED",
            CheckCode::SecurityUpdateAvailable => "SECURITY_UPDATE_AVAILABLE",
            CheckCode::StatusRefused(status) => status.as_str(),
        }
    }
}

/// One reason with a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReason {
    pub code: CheckCode,
    pub message: String,
}

/// The verdict on one stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialVerdict {
    pub trusted: bool,
    pub reasons: Vec<CheckReason>,
    pub current_status: Option<AuthenticatorStatus>,
    pub status_effective_date: Option<Date>,
    /// The current status became effective after the registration date.
    pub changed_since_registration: bool,
    pub description: Option<String>,
    /// Where the entry comes from (an operator's statement is never FIDO-certified); `None`
    /// when there is no entry.
    pub origin: Option<Origin>,
}

/// Judges one stored credential against `store` at `now` under `policy` (the statuses the
/// daemon refuses at registration; RETIRED is refused here in addition).
pub fn check_credential(
    store: &TrustStore,
    cred: &StoredCredential,
    policy: &StatusPolicy,
    now: OffsetDateTime,
) -> CredentialVerdict {
    let Some(entry) = cred.key.lookup(store) else {
        return CredentialVerdict {
            trusted: false,
            reasons: vec![CheckReason {
                code: CheckCode::NotInMetadata,
                message: format!("no metadata entry for {} in BLOB no {}", cred.key, store.no()),
            }],
            current_status: None,
            status_effective_date: None,
            changed_since_registration: false,
            description: None,
            origin: None,
        };
    };
    let current = entry.current_status(now);
    let effective = current.and_then(|r| r.effective_date);
    let mut reasons = batch_compromise(entry, &cred.fingerprints, policy, now);
    // MDS3 §3.1.4 rules 1 (model-wide only: the chain is empty), 2 and 3 of Entry::evaluate.
    let verdict = entry.evaluate(&[], policy, now);
    if let (Some(status), Some(message)) = (verdict.refused_status, verdict.reason) {
        let code = match status {
            AuthenticatorStatus::Revoked => CheckCode::Revoked,
            AuthenticatorStatus::AttestationKeyCompromise => CheckCode::AttestationKeyCompromise,
            AuthenticatorStatus::UpdateAvailable => CheckCode::SecurityUpdateAvailable,
            AuthenticatorStatus::Retired => CheckCode::Retired,
            other => CheckCode::StatusRefused(other),
        };
        reasons.push(CheckReason { code, message });
    }
    if current.is_some_and(|r| r.status == AuthenticatorStatus::Retired)
        && !reasons.iter().any(|r| r.code == CheckCode::Retired)
    {
        reasons.push(CheckReason {
            code: CheckCode::Retired,
            message: format!(
                "current status is RETIRED{}: the vendor no longer supports this model",
                effective.map(|d| format!(" effective {d}")).unwrap_or_default()
            ),
        });
    }
    let registered = cred.registered_at.map(|t| t.to_offset(time::UtcOffset::UTC).date());
    CredentialVerdict {
        trusted: reasons.is_empty(),
        reasons,
        current_status: current.map(|r| r.status.clone()),
        status_effective_date: effective,
        changed_since_registration: matches!((registered, effective), (Some(r), Some(e)) if e > r),
        description: entry.description().map(str::to_string),
        origin: Some(entry.origin().clone()),
    }
}

/// The passkey profiles a batch's sign-in decisions are made with, and which of them decide
/// ([`PolicySet::choose`]: the one named by the request, else the request's groups).
#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy<'a> {
    pub policy: &'a PolicySet,
    pub choice: &'a ProfileChoice,
}

/// One credential of a CheckCredentials batch: what was stored and, when a sign-in decision is
/// wanted, its sign-in facts (metadata not yet attached).
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub stored: StoredCredential,
    pub facts: Option<AuthenticationFacts>,
}

/// CheckCredentials' core: every credential of `items` judged against `store` at `now`
/// ([`check_credential`]) and, with `policy`, its sign-in decision
/// ([`PolicySet::decide_sign_in`]: the facts with today's metadata attached). One result per item, in order. Pure; cost
/// linear in the batch (≤ [`MAX_CREDENTIALS`]).
pub fn check_batch(
    store: &TrustStore,
    items: &[BatchItem],
    status_policy: &StatusPolicy,
    policy: Option<BatchPolicy<'_>>,
    now: OffsetDateTime,
) -> Vec<(CredentialVerdict, Option<Decision>)> {
    items
        .iter()
        .map(|item| {
            let verdict = check_credential(store, &item.stored, status_policy, now);
            let decision = match (policy, &item.facts) {
                (Some(p), Some(facts)) => {
                    Some(p.policy.decide_sign_in(facts.clone(), store, p.choice, now))
                }
                _ => None,
            };
            (verdict, decision)
        })
        .collect()
}

/// MDS3 §3.1.4 ATTESTATION_KEY_COMPROMISE scoped to a batch certificate: every effective
/// report counts (as in [`Entry::evaluate`] rule 1), compared by SHA-256 fingerprint.
fn batch_compromise(
    entry: &Entry,
    fingerprints: &[String],
    policy: &StatusPolicy,
    now: OffsetDateTime,
) -> Vec<CheckReason> {
    let akc = AuthenticatorStatus::AttestationKeyCompromise;
    if !policy.untrusted.contains(&akc) {
        return Vec::new();
    }
    let today = now.to_offset(time::UtcOffset::UTC).date();
    let stored: HashSet<String> = fingerprints.iter().map(|f| f.to_ascii_lowercase()).collect();
    let mut out = Vec::new();
    for report in entry.status_reports() {
        let in_effect = report.effective_date.is_none_or(|d| d <= today);
        let Some(cert) = report.certificate.as_ref().filter(|_| in_effect && report.status == akc)
        else {
            continue;
        };
        let fingerprint = cert.sha256_hex();
        let when = report.effective_date.map(|d| format!(" effective {d}")).unwrap_or_default();
        if stored.contains(&fingerprint) {
            out.push(CheckReason {
                code: CheckCode::BatchKeyCompromised,
                message: format!(
                    "ATTESTATION_KEY_COMPROMISE reported{when} for the batch certificate {} \
                     (sha256 {fingerprint}) this credential was attested with",
                    cert.subject()
                ),
            });
            return out;
        }
        if stored.is_empty() && out.is_empty() {
            out.push(CheckReason {
                code: CheckCode::BatchKeyCompromiseUnverifiable,
                message: format!(
                    "ATTESTATION_KEY_COMPROMISE reported{when} for a batch certificate of this \
                     model (sha256 {fingerprint}) and no attestation fingerprints were stored \
                     to tell whether it is this credential's"
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mds::{parse_payload, PayloadLimits};
    use base64::Engine;
    use serde_json::{json, Value};
    use time::macros::{date, datetime};
    use uuid::Uuid;

    const A: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
    const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn store(reports: Value, version: u64) -> TrustStore {
        let entry = json!({
            "aaguid": A,
            "metadataStatement": {
                "aaguid": A, "description": "model A", "authenticatorVersion": version,
                "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
                "attestationRootCertificates": [],
            },
            "statusReports": reports,
            "timeOfLastStatusChange": "2020-01-01",
        });
        let u2f = json!({
            "attestationCertificateKeyIdentifiers": ["0123456789abcdef0123456789abcdef01234567"],
            "metadataStatement": {"description": "U2F key", "authenticatorVersion": 1,
                "protocolFamily": "u2f", "attestationRootCertificates": []},
            "statusReports": [{"status": "FIDO_CERTIFIED", "effectiveDate": "2020-01-01"}],
            "timeOfLastStatusChange": "2020-01-01",
        });
        let json = json!({"no": 7, "nextUpdate": "2030-01-01", "entries": [entry, u2f]});
        parse_payload(json.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store
    }

    fn cred(fingerprints: &[&str], registered: Option<OffsetDateTime>) -> StoredCredential {
        StoredCredential {
            key: EntryKey::Aaguid(A.parse().unwrap()),
            fingerprints: fingerprints.iter().map(|s| s.to_string()).collect(),
            registered_at: registered,
        }
    }

    fn codes(v: &CredentialVerdict) -> Vec<&str> {
        v.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    fn check(reports: Value, c: &StoredCredential) -> CredentialVerdict {
        check_credential(&store(reports, 2), c, &StatusPolicy::default(), NOW)
    }

    fn certified() -> Value {
        json!({"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"})
    }

    #[test]
    fn certified_is_trusted_and_unknown_is_not_in_metadata() {
        let v = check(json!([certified()]), &cred(&[], None));
        assert!(v.trusted, "{v:?}");
        assert_eq!(v.current_status, Some(AuthenticatorStatus::FidoCertifiedL1));
        assert_eq!(v.description.as_deref(), Some("model A"));
        let mut other = cred(&[], None);
        other.key = EntryKey::Aaguid(Uuid::nil());
        let v = check(json!([certified()]), &other);
        assert_eq!(codes(&v), ["NOT_IN_METADATA"]);
        assert!(!v.trusted);
        let u2f = StoredCredential {
            key: EntryKey::KeyIdentifier("0123456789abcdef0123456789abcdef01234567".into()),
            fingerprints: vec![],
            registered_at: None,
        };
        assert!(check(json!([certified()]), &u2f).trusted);
    }

    #[test]
    fn revoked_after_registration_is_new() {
        let reports = json!([certified(), {"status": "REVOKED", "effectiveDate": "2025-06-01"}]);
        let v = check(reports.clone(), &cred(&[], Some(datetime!(2024-01-01 12:00 UTC))));
        assert_eq!(codes(&v), ["REVOKED"]);
        assert!(v.changed_since_registration);
        assert_eq!(v.status_effective_date, Some(date!(2025 - 06 - 01)));
        let v = check(reports, &cred(&[], Some(datetime!(2025-07-01 12:00 UTC))));
        assert!(!v.changed_since_registration);
    }

    #[test]
    fn retired_model_wide_compromise_and_other_refused_statuses() {
        let v = check(
            json!([certified(), {"status": "RETIRED", "effectiveDate": "2025-01-01"}]),
            &cred(&[], None),
        );
        assert_eq!(codes(&v), ["RETIRED"]);
        let v = check(
            json!([certified(), {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2025-01-01"}]),
            &cred(&[], None),
        );
        assert_eq!(codes(&v), ["ATTESTATION_KEY_COMPROMISE"]);
        let v = check(
            json!([certified(), {"status": "USER_VERIFICATION_BYPASS", "effectiveDate": "2025-01-01"}]),
            &cred(&[], None),
        );
        assert_eq!(codes(&v), ["USER_VERIFICATION_BYPASS"]);
        // Not yet effective: still trusted.
        let v = check(
            json!([certified(), {"status": "REVOKED", "effectiveDate": "2027-01-01"}]),
            &cred(&[], None),
        );
        assert!(v.trusted);
    }

    #[test]
    fn security_update_needs_the_fixed_version() {
        let reports = json!([
            certified(),
            {"status": "USER_VERIFICATION_BYPASS", "effectiveDate": "2024-01-01"},
            {"status": "UPDATE_AVAILABLE", "effectiveDate": "2024-06-01", "authenticatorVersion": 5},
        ]);
        let policy = StatusPolicy::default();
        let v = check_credential(&store(reports.clone(), 2), &cred(&[], None), &policy, NOW);
        assert_eq!(codes(&v), ["SECURITY_UPDATE_AVAILABLE"]);
        let v = check_credential(&store(reports, 5), &cred(&[], None), &policy, NOW);
        assert!(v.trusted, "{v:?}");
    }

    #[test]
    fn batch_compromise_is_matched_by_stored_fingerprint() {
        let key = rcgen::KeyPair::generate().unwrap();
        let batch =
            rcgen::CertificateParams::new(vec!["batch".into()]).unwrap().self_signed(&key).unwrap();
        let der = batch.der().to_vec();
        let fp = hex::encode(crate::crypto::sha256(&der));
        let reports = json!([certified(), {
            "status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2025-01-01",
            "certificate": base64::engine::general_purpose::STANDARD.encode(&der),
        }]);
        let v =
            check(reports.clone(), &cred(&["aa".repeat(32).as_str(), &fp.to_uppercase()], None));
        assert_eq!(codes(&v), ["BATCH_KEY_COMPROMISED"], "{v:?}");
        assert!(v.reasons[0].message.contains(&fp));
        // Another batch: trusted.
        assert!(check(reports.clone(), &cred(&["bb".repeat(32).as_str()], None)).trusted);
        // Nothing stored: cannot tell, fail closed.
        assert_eq!(codes(&check(reports, &cred(&[], None))), ["BATCH_KEY_COMPROMISE_UNVERIFIABLE"]);
    }
}
