//! Machine-readable reasons for rejected attestations, with human messages.
//!
//! A rejection is a result, not an error: every check that fails produces a [`Reason`] whose
//! [`ReasonCode`] is stable (it appears in the gRPC API and in `--json` output).

use std::fmt;

/// Stable reason codes. The string form (`as_str`) is the wire form: UPPER_SNAKE_CASE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasonCode {
    /// The attestationObject is not the CBOR map WebAuthn §6.5.4 describes.
    MalformedAttestationObject,
    /// authenticatorData is truncated, has trailing bytes, or inconsistent flags.
    MalformedAuthenticatorData,
    /// The credential public key is not a usable COSE_Key.
    MalformedCredentialKey,
    /// The attestation statement lacks a field or has one of the wrong type.
    MalformedStatement,
    /// `fmt` names no format mdsd knows.
    UnsupportedFormat,
    /// A COSE or certificate algorithm mdsd does not implement.
    UnsupportedAlgorithm,
    /// The statement's signature does not verify.
    BadSignature,
    /// `alg` in the statement does not fit the key that must have made the signature.
    AlgorithmMismatch,
    /// An attestation certificate breaks a format's certificate requirements.
    CertificateRequirements,
    /// The AAGUID in a certificate extension differs from the one in authenticatorData.
    AaguidMismatch,
    /// A nonce / challenge bound into the statement differs from the expected value.
    NonceMismatch,
    /// The credential public key differs from the key the statement attests.
    CredentialKeyMismatch,
    /// A certificate is outside its validity period at the verification time.
    CertificateExpired,
    /// clientDataJSON is not valid JSON of the expected shape.
    MalformedClientData,
    /// Ceremony checks (type, challenge, origin, rpIdHash, UP/UV) that the caller asked for failed.
    CeremonyMismatch,
    /// Valid statement, but no MDS entry describes this authenticator.
    MetadataNotFound,
    /// The chain does not lead to any root the metadata (or the operator) vouches for.
    UntrustedChain,
    /// The authenticator's MDS status makes it untrusted (REVOKED, compromise, ...).
    StatusRefused,
    /// The attestation type carries no trust by itself (none, self).
    NoAttestationTrust,
    /// An input or work bound was exceeded.
    LimitExceeded,
    /// A device-integrity verdict in the statement is negative (android-safetynet
    /// `ctsProfileMatch` false).
    DeviceIntegrity,
    /// A timestamp in the statement lies outside the accepted window around the verification
    /// time (android-safetynet `timestampMs`).
    StatementTimestamp,
    /// A field no signature covers holds a value that would be read as a fact about the
    /// authenticator (fido-u2f: a non-zero AAGUID, or the UV, BE, BS or ED flag): the client
    /// wrote it, so trust is refused rather than vouching for it.
    UnsignedField,
    /// The chain does not identify the metadata entry it is judged for: its attestation
    /// certificate names or is listed for another model, or a root shared by several models
    /// anchors a certificate that names none.
    EntryMismatch,
    /// The attestation type is not one the metadata entry lists in `attestationTypes`.
    AttestationTypeMismatch,
    /// The credential key's algorithm is not one the metadata entry lists in
    /// `authenticationAlgorithms` (a note: the metadata is incomplete, see `trust`).
    AlgorithmNotInMetadata,
    /// The validated attestation certificate carries the FIDO serial-number extension
    /// (1.3.6.1.4.1.45724.1.1.2, enterprise attestation) but not as a DER OCTET STRING of
    /// 1–127 bytes (a note: the serial is not returned).
    SerialNumberMalformed,
}

impl ReasonCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReasonCode::MalformedAttestationObject => "MALFORMED_ATTESTATION_OBJECT",
            ReasonCode::MalformedAuthenticatorData => "MALFORMED_AUTHENTICATOR_DATA",
            ReasonCode::MalformedCredentialKey => "MALFORMED_CREDENTIAL_KEY",
            ReasonCode::MalformedStatement => "MALFORMED_STATEMENT",
            ReasonCode::UnsupportedFormat => "UNSUPPORTED_FORMAT",
            ReasonCode::UnsupportedAlgorithm => "UNSUPPORTED_ALGORITHM",
            ReasonCode::BadSignature => "BAD_SIGNATURE",
            ReasonCode::AlgorithmMismatch => "ALGORITHM_MISMATCH",
            ReasonCode::CertificateRequirements => "CERTIFICATE_REQUIREMENTS",
            ReasonCode::AaguidMismatch => "AAGUID_MISMATCH",
            ReasonCode::NonceMismatch => "NONCE_MISMATCH",
            ReasonCode::CredentialKeyMismatch => "CREDENTIAL_KEY_MISMATCH",
            ReasonCode::CertificateExpired => "CERTIFICATE_EXPIRED",
            ReasonCode::MalformedClientData => "MALFORMED_CLIENT_DATA",
            ReasonCode::CeremonyMismatch => "CEREMONY_MISMATCH",
            ReasonCode::MetadataNotFound => "METADATA_NOT_FOUND",
            ReasonCode::UntrustedChain => "UNTRUSTED_CHAIN",
            ReasonCode::StatusRefused => "STATUS_REFUSED",
            ReasonCode::NoAttestationTrust => "NO_ATTESTATION_TRUST",
            ReasonCode::LimitExceeded => "LIMIT_EXCEEDED",
            ReasonCode::DeviceIntegrity => "DEVICE_INTEGRITY",
            ReasonCode::StatementTimestamp => "STATEMENT_TIMESTAMP",
            ReasonCode::UnsignedField => "UNSIGNED_FIELD",
            ReasonCode::EntryMismatch => "ENTRY_MISMATCH",
            ReasonCode::AttestationTypeMismatch => "ATTESTATION_TYPE_MISMATCH",
            ReasonCode::AlgorithmNotInMetadata => "ALGORITHM_NOT_IN_METADATA",
            ReasonCode::SerialNumberMalformed => "SERIAL_NUMBER_MALFORMED",
        }
    }
}

/// One reason: a stable code and a message a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Reason {
        Reason { code, message: message.into() }
    }
}

/// Maps a signature failure to a reason; `what` names the key that was used ("credential key",
/// "attestation certificate", ...).
pub(crate) fn from_signature_error(err: &crate::crypto::SignatureError, what: &str) -> Reason {
    use crate::crypto::SignatureError;
    let code = match err {
        SignatureError::Invalid => ReasonCode::BadSignature,
        SignatureError::SchemeKeyMismatch { .. } => ReasonCode::AlgorithmMismatch,
        SignatureError::UnsupportedKey { .. }
        | SignatureError::UnsupportedCurveScheme { .. }
        | SignatureError::RsaModulusSize { .. }
        | SignatureError::UnsupportedSignatureAlgorithm { .. } => ReasonCode::UnsupportedAlgorithm,
        SignatureError::MalformedKey(_) => ReasonCode::MalformedCredentialKey,
    };
    Reason::new(code, format!("statement signature with the {what}: {err}"))
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}
