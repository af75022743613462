//! The trust store: an immutable snapshot of verified MDS entries, indexed for lookup.
//!
//! Built once from a verified BLOB payload ([`crate::mds`]) and replaced whole on refresh, never
//! mutated in place. Lookups are by AAGUID (FIDO2), attestation certificate key identifier (U2F)
//! and AAID (UAF).

use std::sync::Arc;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::x509::Cert;

/// MDS3 AuthenticatorStatus (MDS3 §3.1.4). Unknown values are kept verbatim (MDS3: "unknown
/// values MUST be ignored", so they never fail a BLOB).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthenticatorStatus {
    NotFidoCertified,
    FidoCertified,
    UserVerificationBypass,
    AttestationKeyCompromise,
    UserKeyRemoteCompromise,
    UserKeyPhysicalCompromise,
    UpdateAvailable,
    Revoked,
    SelfAssertionSubmitted,
    FidoCertifiedL1,
    FidoCertifiedL1Plus,
    FidoCertifiedL2,
    FidoCertifiedL2Plus,
    FidoCertifiedL3,
    FidoCertifiedL3Plus,
    Retired,
    Fips140CertifiedL1,
    Fips140CertifiedL2,
    Fips140CertifiedL3,
    Fips140CertifiedL4,
    /// A value this version of mdsd does not know.
    Unknown(String),
}

impl AuthenticatorStatus {
    /// Parses the MDS string form (`"FIDO_CERTIFIED_L1"`); unknown strings become `Unknown`.
    pub fn parse(s: &str) -> AuthenticatorStatus {
        let _ = s;
        todo!("trust_store: AuthenticatorStatus::parse")
    }
    /// The MDS string form.
    pub fn as_str(&self) -> &str {
        todo!("trust_store: AuthenticatorStatus::as_str")
    }
}

/// One status report of an entry (MDS3 §3.1.3), kept as the BLOB had it.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub status: AuthenticatorStatus,
    pub effective_date: Option<Date>,
    pub authenticator_version: Option<u64>,
    /// The batch certificate this report is scoped to (ATTESTATION_KEY_COMPROMISE), if any.
    pub certificate: Option<Arc<Cert>>,
    pub url: Option<String>,
    pub certification_descriptor: Option<String>,
}

/// Which statuses make an authenticator untrusted: relying-party policy with sensible defaults.
#[derive(Debug, Clone)]
pub struct StatusPolicy {
    /// Statuses that make an entry untrusted when they are its current status (or, for scoped
    /// ATTESTATION_KEY_COMPROMISE, when they name the attestation certificate).
    pub untrusted: Vec<AuthenticatorStatus>,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        StatusPolicy {
            untrusted: vec![
                AuthenticatorStatus::Revoked,
                AuthenticatorStatus::AttestationKeyCompromise,
                AuthenticatorStatus::UserVerificationBypass,
                AuthenticatorStatus::UserKeyRemoteCompromise,
                AuthenticatorStatus::UserKeyPhysicalCompromise,
            ],
        }
    }
}

/// The outcome of applying an entry's status reports to one attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusVerdict {
    /// The current status (latest effective report at `now`).
    pub status: Option<AuthenticatorStatus>,
    /// False when a status in the policy's untrusted list applies to this attestation.
    pub trusted: bool,
    /// Human-readable explanation when `trusted` is false.
    pub reason: Option<String>,
    /// The status that caused the refusal, when `trusted` is false.
    pub refused_status: Option<AuthenticatorStatus>,
}

/// A metadata entry, checked and indexed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub(crate) aaguid: Option<Uuid>,
    pub(crate) aaid: Option<String>,
    pub(crate) key_identifiers: Vec<String>,
    pub(crate) description: Option<String>,
    pub(crate) authenticator_version: Option<u64>,
    pub(crate) attestation_roots: Vec<Arc<Cert>>,
    pub(crate) status_reports: Vec<StatusReport>,
    pub(crate) time_of_last_status_change: Option<Date>,
    pub(crate) multi_device_credential_support: Option<String>,
    pub(crate) key_scope: Option<String>,
    pub(crate) attestation_types: Vec<String>,
    /// The entry's original JSON (metadataStatement and all), for clients that want everything.
    pub(crate) raw_json: Arc<str>,
}

impl Entry {
    pub fn aaguid(&self) -> Option<Uuid> {
        self.aaguid
    }
    pub fn aaid(&self) -> Option<&str> {
        self.aaid.as_deref()
    }
    pub fn key_identifiers(&self) -> &[String] {
        &self.key_identifiers
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    pub fn authenticator_version(&self) -> Option<u64> {
        self.authenticator_version
    }
    /// `metadataStatement.attestationRootCertificates`, parsed once at load.
    pub fn attestation_roots(&self) -> &[Arc<Cert>] {
        &self.attestation_roots
    }
    pub fn status_reports(&self) -> &[StatusReport] {
        &self.status_reports
    }
    pub fn multi_device_credential_support(&self) -> Option<&str> {
        self.multi_device_credential_support.as_deref()
    }
    pub fn key_scope(&self) -> Option<&str> {
        self.key_scope.as_deref()
    }
    pub fn attestation_types(&self) -> &[String] {
        &self.attestation_types
    }
    pub fn raw_json(&self) -> &str {
        &self.raw_json
    }
    /// The current status at `now`: the latest report whose effectiveDate is not after `now`
    /// (reports without a date count as effective).
    pub fn current_status(&self, now: OffsetDateTime) -> Option<&StatusReport> {
        let _ = now;
        todo!("trust_store: Entry::current_status")
    }
    /// Applies the status reports to an attestation made with `attestation_chain` (leaf first;
    /// empty for none/self) under `policy` at `now`: ATTESTATION_KEY_COMPROMISE with a
    /// `certificate` only hits chains containing that certificate; UPDATE_AVAILABLE that fixes an
    /// earlier security status refuses `authenticatorVersion`s that are not newer.
    pub fn evaluate(
        &self,
        attestation_chain: &[Arc<Cert>],
        policy: &StatusPolicy,
        now: OffsetDateTime,
    ) -> StatusVerdict {
        let _ = (attestation_chain, policy, now);
        todo!("trust_store: Entry::evaluate")
    }
}

/// An immutable, indexed snapshot of one verified BLOB.
#[derive(Debug)]
pub struct TrustStore {
    pub(crate) no: u64,
    pub(crate) next_update: Date,
    pub(crate) entries: Vec<Arc<Entry>>,
    pub(crate) by_aaguid: std::collections::HashMap<Uuid, usize>,
    pub(crate) by_key_identifier: std::collections::HashMap<String, usize>,
    pub(crate) by_aaid: std::collections::HashMap<String, usize>,
}

impl TrustStore {
    /// The BLOB serial number this snapshot was built from.
    pub fn no(&self) -> u64 {
        self.no
    }
    pub fn next_update(&self) -> Date {
        self.next_update
    }
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }
    pub fn by_aaguid(&self, aaguid: &Uuid) -> Option<&Arc<Entry>> {
        self.by_aaguid.get(aaguid).and_then(|&i| self.entries.get(i))
    }
    /// Lookup by lowercase-hex key identifier.
    pub fn by_key_identifier(&self, key_id: &str) -> Option<&Arc<Entry>> {
        self.by_key_identifier.get(key_id).and_then(|&i| self.entries.get(i))
    }
    pub fn by_aaid(&self, aaid: &str) -> Option<&Arc<Entry>> {
        self.by_aaid.get(aaid).and_then(|&i| self.entries.get(i))
    }
}
