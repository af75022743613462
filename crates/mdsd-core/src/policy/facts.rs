//! The facts a policy decision is made from, built from the core's results (an
//! [`AttestationResult`] and the trust store) or, at sign-in, from what the relying party
//! stored at registration and today's metadata.
//!
//! Facts are plain data with public fields: the relying party may also build them from its
//! own records (e.g. after a restart, from stored registration facts).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::attestation::{AttestationResult, AttestationType, CredentialKind, Fact, Flags, Format};
use crate::trust_store::{AuthenticatorStatus, Entry, Origin, TrustStore};

use super::CertificationLevel;

/// How far an attestation was trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationTrust {
    /// The chain leads to a root of the MDS entry of the authenticator, with an acceptable
    /// status: the AAGUID and the flags are vouched for by the manufacturer's key.
    Metadata,
    /// Trusted only through an operator-configured anchor (Apple, Google, TPM vendor roots):
    /// a platform is vouched for, no authenticator model. Does not satisfy enforcement.
    OperatorAnchor,
    /// Not trusted (none, self, unknown root, refused status, invalid statement).
    Untrusted,
}

impl AttestationTrust {
    pub fn as_str(&self) -> &'static str {
        match self {
            AttestationTrust::Metadata => "metadata",
            AttestationTrust::OperatorAnchor => "operator_anchor",
            AttestationTrust::Untrusted => "untrusted",
        }
    }
}

/// What the metadata says about the authenticator model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataFacts {
    pub description: Option<String>,
    /// The entry was reached through a verified attestation chain (false: only looked up by
    /// the claimed, spoofable AAGUID).
    pub verified: bool,
    /// The current status (latest effective report at `now`).
    pub status: Option<AuthenticatorStatus>,
    /// The current status report names a batch certificate (ATTESTATION_KEY_COMPROMISE scoped
    /// to one batch): it does not refuse the whole model.
    pub status_batch_scoped: bool,
    /// The certification level in force at `now` (see [`MetadataFacts::from_entry`]).
    pub certification: Option<CertificationLevel>,
    /// `multiDeviceCredentialSupport` (MDS3 v3.1): unsupported | explicit | implicit.
    pub multi_device_credential_support: Option<String>,
    /// What the metadata statement says the model can do; `None` when not read (sign-in
    /// facts: the capabilities are a registration requirement).
    pub capabilities: Option<MetadataCapabilities>,
    /// Where the entry comes from (the MDS, a further BLOB source, an operator's statement):
    /// under enforcement the profile's `metadata_origins` must allow it.
    pub origin: Origin,
}

/// Capabilities a metadata statement shows (MDS3 MetadataStatement), as Entra reads them under
/// attestation enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetadataCapabilities {
    /// User verification: `userVerificationDetails` lists a method other than
    /// `presence_internal` and `none` (a PIN, `passcode_external`, counts), or
    /// `authenticatorGetInfo.options` has `uv` or `clientPin` (CTAP2.1 §6.4: present, true or
    /// false, means the authenticator is capable).
    pub user_verification: bool,
    /// Resident (discoverable) keys: `authenticatorGetInfo.options.rk` is true (CTAP2.1 §6.4;
    /// absent means false).
    pub resident_key: bool,
}

impl MetadataCapabilities {
    /// Reads them from an entry's JSON (the MDS entry, with its `metadataStatement`), on the
    /// entry's first call only (the answer is kept with the entry: a statement is several KB
    /// of JSON, often with an icon, and reading it per registration cost about a fifth of a
    /// packed VerifyRegistration). Odd shapes read as "not shown", never as an error.
    pub fn from_entry(entry: &Entry) -> MetadataCapabilities {
        *entry.capabilities.get_or_init(|| MetadataCapabilities::read(entry))
    }

    /// As [`MetadataCapabilities::from_entry`], read from the JSON every time (the cost of a
    /// first read, for benchmarks).
    pub fn read(entry: &Entry) -> MetadataCapabilities {
        #[derive(serde::Deserialize)]
        struct RawEntry {
            #[serde(rename = "metadataStatement")]
            statement: Option<RawStatement>,
        }
        #[derive(serde::Deserialize)]
        struct RawStatement {
            #[serde(rename = "userVerificationDetails", default)]
            uv_details: Option<serde_json::Value>,
            #[serde(rename = "authenticatorGetInfo", default)]
            get_info: Option<serde_json::Value>,
        }
        let Ok(RawEntry { statement: Some(statement) }) = serde_json::from_str(entry.raw_json())
        else {
            return MetadataCapabilities::default();
        };
        let methods = statement
            .uv_details
            .as_ref()
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_array)
            .flatten()
            .filter_map(|d| d.get("userVerificationMethod").and_then(serde_json::Value::as_str));
        let mut uv = false;
        for method in methods {
            uv |= !matches!(method, "presence_internal" | "none");
        }
        let options = statement.get_info.as_ref().and_then(|g| g.get("options"));
        let option = |name: &str| options.and_then(|o| o.get(name));
        uv |= option("uv").is_some_and(serde_json::Value::is_boolean)
            || option("clientPin").is_some_and(serde_json::Value::is_boolean);
        MetadataCapabilities {
            user_verification: uv,
            resident_key: option("rk").and_then(serde_json::Value::as_bool) == Some(true),
        }
    }
}

impl MetadataFacts {
    /// Reads an entry at `now`. The certification level is that of the latest effective
    /// FIDO certification report; a later REVOKED or NOT_FIDO_CERTIFIED report withdraws it,
    /// other statuses (UPDATE_AVAILABLE, FIPS…) leave it in force.
    pub fn from_entry(entry: &Entry, verified: bool, now: OffsetDateTime) -> MetadataFacts {
        let current = entry.current_status(now);
        MetadataFacts {
            description: entry.description().map(str::to_string),
            verified,
            status: current.map(|r| r.status.clone()),
            status_batch_scoped: current.is_some_and(|r| r.certificate.is_some()),
            certification: certification_at(entry, now),
            multi_device_credential_support: entry
                .multi_device_credential_support()
                .map(str::to_string),
            capabilities: None,
            origin: entry.origin().clone(),
        }
    }

    /// True when the metadata says the model cannot make multi-device credentials.
    pub fn denies_multi_device(&self) -> bool {
        self.multi_device_credential_support.as_deref() == Some("unsupported")
    }
}

/// The certification in force at `now`: the reports effective at `now` in the order of
/// [`Entry::current_status`] (an effective REVOKED withdraws it whatever follows).
fn certification_at(entry: &Entry, now: OffsetDateTime) -> Option<CertificationLevel> {
    let mut level = None;
    for (_, report) in entry.effective_reports(now) {
        match &report.status {
            AuthenticatorStatus::Revoked | AuthenticatorStatus::NotFidoCertified => level = None,
            status => {
                if let Some(l) = CertificationLevel::from_status(status) {
                    level = Some(l);
                }
            }
        }
    }
    // REVOKED is final (as in `Entry::current_status`).
    if entry.current_status(now).is_some_and(|r| r.status == AuthenticatorStatus::Revoked) {
        return None;
    }
    level
}

/// The facts of one registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFacts {
    /// The statement verified (structure, signature, requested ceremony checks).
    pub statement_valid: bool,
    pub trust: AttestationTrust,
    pub format: Option<Format>,
    pub attestation_type: Option<AttestationType>,
    /// The AAGUID from authenticatorData (claimed unless `trust` is Metadata).
    pub aaguid: Option<Uuid>,
    /// authenticatorData flags (BE, BS, UV…).
    pub flags: Option<Flags>,
    pub metadata: Option<MetadataFacts>,
    /// The facts above that no trusted signature covers (`AttestationResult::provenance`):
    /// under attestation enforcement a requirement is met only by a fact not listed here.
    pub claimed: Vec<Fact>,
}

impl RegistrationFacts {
    /// Facts from the core's verdict: the metadata entry is the one the core selected (by what
    /// the signature covers, never re-looked-up by a claimed AAGUID), read at `now`.
    pub fn from_attestation(result: &AttestationResult, now: OffsetDateTime) -> RegistrationFacts {
        let verified_entry = result.authenticator.as_ref().is_some_and(|a| a.verified);
        let trust = match (result.trusted, verified_entry) {
            (true, true) => AttestationTrust::Metadata,
            (true, false) => AttestationTrust::OperatorAnchor,
            (false, _) => AttestationTrust::Untrusted,
        };
        let metadata = result.entry.as_ref().map(|entry| MetadataFacts {
            capabilities: Some(MetadataCapabilities::from_entry(entry)),
            ..MetadataFacts::from_entry(entry, verified_entry, now)
        });
        RegistrationFacts {
            statement_valid: result.statement_valid,
            trust,
            format: result.format,
            attestation_type: result.attestation_type,
            aaguid: result.aaguid,
            flags: result.flags,
            metadata,
            claimed: result.provenance.claimed.clone(),
        }
    }

    /// Device-bound or synced, from BE (WebAuthn L3 §6.1.3); `None` without flags.
    pub fn credential_kind(&self) -> Option<CredentialKind> {
        self.flags.map(kind)
    }

    /// True when the attestation is trusted through the metadata and `fact` is covered by its
    /// signature (what attestation enforcement may rely on).
    pub fn verified(&self, fact: Fact) -> bool {
        self.trust == AttestationTrust::Metadata && !self.claimed.contains(&fact)
    }
}

/// The facts of one sign-in: what was stored at registration, the flags of this assertion,
/// and today's metadata for the stored AAGUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationFacts {
    /// The AAGUID stored at registration.
    pub aaguid: Option<Uuid>,
    /// How the registration attestation was trusted, if stored.
    pub registration_trust: Option<AttestationTrust>,
    /// Flags of this assertion's authenticatorData (BE, BS, UV).
    pub flags: Flags,
    /// Today's metadata for the stored AAGUID.
    pub metadata: Option<MetadataFacts>,
}

impl AuthenticationFacts {
    pub fn new(aaguid: Option<Uuid>, flags: Flags) -> AuthenticationFacts {
        AuthenticationFacts { aaguid, registration_trust: None, flags, metadata: None }
    }

    /// Adds today's metadata for the stored AAGUID from `store` at `now`. The entry counts as
    /// verified only when the registration was trusted through metadata.
    pub fn with_metadata_from(
        mut self,
        store: &TrustStore,
        now: OffsetDateTime,
    ) -> AuthenticationFacts {
        let verified = self.registration_trust == Some(AttestationTrust::Metadata);
        self.metadata = self
            .aaguid
            .filter(|a| !a.is_nil())
            .and_then(|a| store.by_aaguid(&a))
            .map(|entry| MetadataFacts::from_entry(entry, verified, now));
        self
    }

    pub fn credential_kind(&self) -> CredentialKind {
        kind(self.flags)
    }
}

fn kind(flags: Flags) -> CredentialKind {
    if flags.backup_eligible() {
        CredentialKind::Synced
    } else {
        CredentialKind::DeviceBound
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};
    use time::Date;

    use super::*;
    use crate::trust_store::StatusReport;

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

    fn entry(reports: Vec<StatusReport>, mdcs: Option<&str>) -> Entry {
        let raw_json = crate::trust_store::RawJson::owned("{}");
        let mut entry =
            Entry::identified(Some(Uuid::from_u128(1)), None, Vec::new(), raw_json).unwrap();
        entry
            .description(Some("test authenticator".into()))
            .authenticator_version(Some(1))
            .status_reports(reports)
            .multi_device_credential_support(mdcs.map(Into::into));
        entry.build()
    }

    const NOW: OffsetDateTime = datetime!(2024-06-01 12:00 UTC);

    #[test]
    fn revoked_or_not_certified_withdraws_the_certification() {
        let certified = report("FIDO_CERTIFIED_L2", Some(date!(2020 - 01 - 01)));
        for withdrawing in ["REVOKED", "NOT_FIDO_CERTIFIED"] {
            let e = entry(
                vec![certified.clone(), report(withdrawing, Some(date!(2022 - 01 - 01)))],
                None,
            );
            let facts = MetadataFacts::from_entry(&e, true, NOW);
            assert_eq!(facts.certification, None, "{withdrawing}");
            assert_eq!(facts.status.as_ref().map(|s| s.as_str()), Some(withdrawing));
            // Before the withdrawal the level held.
            let before = MetadataFacts::from_entry(&e, true, datetime!(2021-01-01 0:00 UTC));
            assert_eq!(before.certification, Some(CertificationLevel::L2));
        }
        // Other statuses leave it in force; a later certification replaces it.
        let e = entry(
            vec![
                certified.clone(),
                report("UPDATE_AVAILABLE", Some(date!(2021 - 01 - 01))),
                report("FIPS140_CERTIFIED_L2", Some(date!(2021 - 06 - 01))),
            ],
            Some("unsupported"),
        );
        let facts = MetadataFacts::from_entry(&e, false, NOW);
        assert_eq!(facts.certification, Some(CertificationLevel::L2));
        assert!(facts.denies_multi_device());
        assert!(!facts.verified);
        let e = entry(
            vec![certified, report("FIDO_CERTIFIED_L3plus", Some(date!(2023 - 01 - 01)))],
            None,
        );
        assert_eq!(
            MetadataFacts::from_entry(&e, true, NOW).certification,
            Some(CertificationLevel::L3Plus)
        );
    }

    #[test]
    fn a_batch_scoped_status_is_flagged() {
        let mut akc = report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01)));
        let roots = crate::mds::builtin_roots();
        akc.certificate = roots.first().map(|r| r.cert.clone());
        let facts = MetadataFacts::from_entry(&entry(vec![akc.clone()], None), true, NOW);
        assert!(facts.status_batch_scoped);
        akc.certificate = None;
        let facts = MetadataFacts::from_entry(&entry(vec![akc], None), true, NOW);
        assert!(!facts.status_batch_scoped);
    }

    #[test]
    fn capabilities_are_read_from_the_statement() {
        let caps = |json: &str| {
            let raw = crate::trust_store::RawJson::owned(json);
            let e = Entry::identified(Some(Uuid::from_u128(1)), None, Vec::new(), raw).unwrap();
            MetadataCapabilities::from_entry(&e.build())
        };
        let (uv, rk) = (
            MetadataCapabilities { user_verification: true, resident_key: false },
            MetadataCapabilities { user_verification: false, resident_key: true },
        );
        let none = MetadataCapabilities::default();
        // Presence and "none" are not user verification; a fingerprint or a PIN is.
        let details = |m: &str| {
            format!(
                r#"{{"metadataStatement": {{"userVerificationDetails":
                    [[{{"userVerificationMethod": "presence_internal"}}],
                     [{{"userVerificationMethod": "none"}},
                      {{"userVerificationMethod": "{m}"}}]]}}}}"#
            )
        };
        assert_eq!(caps(&details("none")), none);
        assert_eq!(caps(&details("fingerprint_internal")), uv);
        assert_eq!(caps(&details("passcode_external")), uv);
        // getInfo options: uv or clientPin present (either value) is UV; rk must be true.
        let options = |o: &str| {
            caps(&format!(
                r#"{{"metadataStatement": {{"authenticatorGetInfo": {{"options": {o}}}}}}}"#
            ))
        };
        assert_eq!(options(r#"{"clientPin": false}"#), uv);
        assert_eq!(options(r#"{"uv": false}"#), uv);
        assert_eq!(options(r#"{"rk": true, "up": true}"#), rk);
        assert_eq!(options(r#"{"rk": false, "uv": "yes"}"#), none);
        // Odd shapes read as nothing shown.
        for odd in [
            "{}",
            "[]",
            "not json",
            r#"{"metadataStatement": 7}"#,
            r#"{"metadataStatement": {"userVerificationDetails": "x", "authenticatorGetInfo": []}}"#,
        ] {
            assert_eq!(caps(odd), none, "{odd}");
        }
    }

    #[test]
    fn certification_levels_are_ordered_and_named() {
        use AuthenticatorStatus as S;
        assert_eq!(
            CertificationLevel::from_status(&S::FidoCertified),
            Some(CertificationLevel::L1)
        );
        assert!(CertificationLevel::L1 < CertificationLevel::L1Plus);
        assert!(CertificationLevel::L2Plus < CertificationLevel::L3);
        for status in [S::FidoCertifiedL1Plus, S::FidoCertifiedL2Plus, S::FidoCertifiedL3Plus] {
            let level = CertificationLevel::from_status(&status).unwrap();
            assert_eq!(level.as_str(), status.as_str());
        }
        assert_eq!(CertificationLevel::from_status(&S::Revoked), None);
        assert_eq!(CertificationLevel::from_status(&S::Fips140CertifiedL3), None);
    }
}
