//! What can be wrong in a payload, with the evidence: [`PayloadError`] refuses the whole BLOB
//! (its top level is unusable), [`EntryError`] quarantines one entry, [`EntryNote`] records a
//! defect tolerated in an entry that was loaded.
//!
//! The messages (`Display`) are part of the interface: the CLI and the gRPC report carry them
//! (`Quarantined::reason`, `EntryWarning::note`), so they read as before these types existed.

use std::fmt;

use thiserror::Error;

use crate::trust_store::EntryBuildError;
use crate::x509::CertError;

/// MDS3 §3.1.6: why the payload's top level is unusable; the whole BLOB is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// RFC 8259 §8.1: JSON text is UTF-8.
    #[error("not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    /// Not a JSON object (serde_json's message: what and where).
    #[error("not a JSON object: {reason}")]
    NotJson { reason: String },
    /// `no`, `nextUpdate` or `entries` missing, or a top-level member of the wrong type.
    #[error(transparent)]
    Member(MemberError),
    /// `nextUpdate` is not a date.
    #[error("nextUpdate: {0}")]
    NextUpdate(DateError),
    /// Bound on untrusted input ([`super::PayloadLimits::max_entries`]).
    #[error("{count} entries, more than the {max} allowed")]
    TooManyEntries { count: usize, max: usize },
}

impl From<MemberError> for PayloadError {
    fn from(e: MemberError) -> Self {
        PayloadError::Member(e)
    }
}

/// A member of a payload object that is missing or of another type than the spec says.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MemberError {
    /// A required member is absent (or `null`).
    #[error("missing {member}")]
    Missing { member: &'static str },
    /// serde_json's message says what was found and where.
    #[error("{member} has the wrong type: {reason}")]
    WrongType { member: &'static str, reason: String },
}

/// A date that is not an ISO 8601 calendar date `YYYY-MM-DD` (the only form MDS3 uses).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a YYYY-MM-DD date: {reason}")]
pub struct DateError {
    pub text: String,
    pub reason: time::error::Parse,
}

/// Why an entry was quarantined (left out of the trust store; the rest of the BLOB loads).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EntryError {
    /// MDS3 §3.1.1: an entry is a JSON object.
    #[error("entry is not a JSON object: {reason}")]
    NotAnObject { reason: String },
    /// A member of the entry or its metadata statement missing or of the wrong type.
    #[error(transparent)]
    Member(MemberError),
    /// FIDO Metadata Statement §4: `aaguid` is a UUID.
    #[error("aaguid {text:?}: {reason}")]
    Aaguid { text: String, reason: uuid::Error },
    /// FIDO Metadata Statement §4: key identifiers are hex strings.
    #[error("attestationCertificateKeyIdentifier {key_id:?} is not hex")]
    KeyIdentifierNotHex { key_id: String },
    /// MDS3 §3.1.1: no lookup key at all.
    #[error(transparent)]
    Identity(EntryBuildError),
    /// An attestation root beyond the entry's certificate budget.
    #[error("attestationRootCertificates[{index}]: {reason}")]
    AttestationRoot { index: usize, reason: CertBudgetExceeded },
    /// MDS3 §3.1.3: a status report mdsd cannot apply correctly.
    #[error("statusReports[{index}]: {reason}")]
    StatusReport { index: usize, reason: StatusReportError },
    /// MDS3 §3.1.1 `timeOfLastStatusChange` is not a date.
    #[error("timeOfLastStatusChange: {0}")]
    TimeOfLastStatusChange(DateError),
}

/// MDS3 §3.1.3: why a status report cannot be applied (it quarantines its entry).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StatusReportError {
    /// `status` missing, or a member of the wrong type.
    #[error(transparent)]
    Member(MemberError),
    /// `effectiveDate` is not a date.
    #[error("effectiveDate: {0}")]
    EffectiveDate(DateError),
    /// `certificate` (the batch certificate a report is scoped to) is unreadable.
    #[error("certificate: {0}")]
    Certificate(ReportCertificateError),
}

/// Why a status report's `certificate` cannot be used: a report scoped to a certificate mdsd
/// cannot read cannot be applied correctly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReportCertificateError {
    #[error(transparent)]
    Budget(CertBudgetExceeded),
    #[error("not base64: {0}")]
    NotBase64(base64::DecodeError),
    #[error(transparent)]
    NotACertificate(CertError),
}

/// More certificates in one entry (attestation roots and status-report certificates) than
/// [`super::PayloadLimits::max_certs_per_entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("too many certificates in this entry")]
pub struct CertBudgetExceeded {
    /// The per-entry bound.
    pub max: usize,
}

/// A defect tolerated in an entry that was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryNote {
    /// About the attestation root string at `index` (fewer roots can only make fewer chains
    /// trusted).
    AttestationRoot { index: usize, note: RootNote },
}

impl fmt::Display for EntryNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryNote::AttestationRoot { index, note } => {
                write!(f, "attestationRootCertificates[{index}]: {note}")
            }
        }
    }
}

/// What was tolerated in one `attestationRootCertificates` string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RootNote {
    /// ASCII whitespace inside the base64 (the 2024-12 BLOB has a root starting with a tab).
    Whitespace,
    /// Left out: not base64.
    NotBase64(base64::DecodeError),
    /// Several DER certificates concatenated in one string, split (the 2024-12 BLOB's Feitian
    /// BioPass entry).
    Split { count: usize },
    /// Left out: not a certificate.
    NotACertificate(CertError),
}

impl fmt::Display for RootNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootNote::Whitespace => f.write_str("whitespace inside the base64 ignored"),
            RootNote::NotBase64(e) => write!(f, "left out: not base64: {e}"),
            RootNote::Split { count } => write!(f, "{count} concatenated certificates split"),
            RootNote::NotACertificate(e) => write!(f, "left out: {e}"),
        }
    }
}
