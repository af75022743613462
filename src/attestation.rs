//! WebAuthn attestation verification (WebAuthn L3 §6.5, §7.1 steps 19–23, §8): parse the
//! attestationObject, dispatch on `fmt` to one module per format, then judge trust against the
//! MDS trust store.

mod auth_data;
mod cose;
mod reason;

mod android_key;
mod android_safetynet;
mod apple;
mod compound;
mod fido_u2f;
mod none;
mod packed;
mod tpm;

use std::sync::Arc;

use time::OffsetDateTime;

pub use auth_data::{AttestedCredential, AuthenticatorData, Flags};
pub use cose::CoseKey;
pub use reason::{Reason, ReasonCode};

use crate::x509::Cert;

/// The attestation statement formats of WebAuthn L3 §8 (IANA "WebAuthn Attestation Statement
/// Format Identifiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Packed,
    Tpm,
    AndroidKey,
    AndroidSafetynet,
    FidoU2f,
    Apple,
    None,
    Compound,
}

impl Format {
    /// The registered identifier, e.g. `"android-key"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Packed => "packed",
            Format::Tpm => "tpm",
            Format::AndroidKey => "android-key",
            Format::AndroidSafetynet => "android-safetynet",
            Format::FidoU2f => "fido-u2f",
            Format::Apple => "apple",
            Format::None => "none",
            Format::Compound => "compound",
        }
    }
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::Packed,
            Format::Tpm,
            Format::AndroidKey,
            Format::AndroidSafetynet,
            Format::FidoU2f,
            Format::Apple,
            Format::None,
            Format::Compound,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

/// WebAuthn L3 §6.5.4 attestation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttestationType {
    None,
    SelfAttestation,
    Basic,
    AttCa,
    AnonCa,
}

impl AttestationType {
    pub fn as_str(&self) -> &'static str {
        match self {
            AttestationType::None => "none",
            AttestationType::SelfAttestation => "self",
            AttestationType::Basic => "basic",
            AttestationType::AttCa => "attca",
            AttestationType::AnonCa => "anonca",
        }
    }
}

/// Options that change how statements are judged (policy knobs with safe defaults).
#[derive(Debug, Clone)]
pub struct StatementOptions {
    /// android-key: accept keys whose origin/purpose are only in softwareEnforced (not TEE).
    pub android_key_allow_software: bool,
    /// android-safetynet: maximum age of `timestampMs` relative to `now`, in milliseconds.
    pub safetynet_max_age_ms: i64,
    /// android-safetynet: allowed clock skew into the future, in milliseconds.
    pub safetynet_max_future_ms: i64,
    /// android-safetynet: require `ctsProfileMatch == true`.
    pub safetynet_require_cts: bool,
}

impl Default for StatementOptions {
    fn default() -> Self {
        StatementOptions {
            android_key_allow_software: false,
            safetynet_max_age_ms: 60_000,
            safetynet_max_future_ms: 60_000,
            safetynet_require_cts: true,
        }
    }
}

/// What every format verifier receives (WebAuthn L3 §8: "the verification procedure inputs").
pub(crate) struct StatementInput<'a> {
    /// The `attStmt` map as decoded CBOR.
    pub att_stmt: &'a ciborium::Value,
    /// The parsed authenticator data.
    pub auth_data: &'a AuthenticatorData,
    /// The authenticator data bytes exactly as received (signed data).
    pub auth_data_raw: &'a [u8],
    /// SHA-256 of clientDataJSON.
    pub client_data_hash: &'a [u8; 32],
    /// Verification time (certificate validity, SafetyNet timestamp).
    pub now: OffsetDateTime,
    pub options: &'a StatementOptions,
}

/// What a format verifier returns for a valid statement (WebAuthn L3 §8: "attestation type and
/// trust path").
#[derive(Debug, Clone)]
pub(crate) struct StatementOutcome {
    pub attestation_type: AttestationType,
    /// x5c parsed, leaf first (empty for self / none).
    pub trust_path: Vec<Arc<Cert>>,
}

/// The result of one format verifier: a valid statement, or the first check that failed.
pub(crate) type StatementResult = Result<StatementOutcome, Reason>;
