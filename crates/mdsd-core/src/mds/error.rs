//! Why a BLOB is refused: [`BlobError`], one variant per check of MDS3 §3.2 (and the bounds on
//! untrusted input), each carrying its evidence, and the errors nested in it for the compact
//! JWS ([`JwsError`]), its header ([`HeaderError`]) and the `x5u` origin rule
//! ([`X5uOriginError`], [`UrlError`]). The payload's are in `payload::error`
//! ([`super::PayloadError`]).
//!
//! The messages (`Display`) are part of the interface: the CLI prints them and reports
//! [`BlobError::step`] in its JSON; the daemon logs them.

use thiserror::Error;

use super::jws::{JwsAlg, Origin};
use super::PayloadError;
use crate::crypto::SignatureError;
use crate::x509::{CertError, PathError, RevocationError};

/// Why a BLOB was refused. Each variant belongs to one step of [`super::verify_blob`] (see
/// [`BlobError::step`]) and carries the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BlobError {
    /// Bound on untrusted input (not a spec step).
    #[error("BLOB is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    /// RFC 7515 §7.1 compact serialisation.
    #[error("malformed compact JWS: {0}")]
    MalformedJws(JwsError),
    /// RFC 7515 §4.1 header.
    #[error("malformed JWS header: {0}")]
    MalformedHeader(HeaderError),
    /// RFC 7518 §3.1: the header's `alg` is unknown or not on the allow-list.
    #[error("JWS alg {alg:?} is not allowed (allowed: {})", alg_list(allowed))]
    AlgNotAllowed {
        /// `alg` as the header has it.
        alg: String,
        /// The allow-list it was checked against.
        allowed: Vec<JwsAlg>,
    },
    /// RFC 7518 §3: `alg` needs another key type than the signer's.
    #[error("JWS alg {alg} does not fit the signing key {key} of {subject}")]
    AlgKeyMismatch {
        alg: JwsAlg,
        /// The signing key, described (type, curve or size).
        key: String,
        /// Whose key: the signing certificate's subject, or the trust anchors'.
        subject: String,
    },
    /// MDS3 §3.2 step 4: x5u must have the BLOB URL's origin.
    #[error("x5u {x5u} refused (BLOB URL {blob_url}): {reason}")]
    X5uOrigin { x5u: String, blob_url: String, reason: X5uOriginError },
    /// MDS3 §3.2 step 4: the chain named by x5u was not supplied.
    #[error("header names x5u {x5u} but no downloaded chain was supplied")]
    X5uChainMissing { x5u: String },
    /// Bound on `x5c` (or the `x5u` chain).
    #[error("signing chain has {count} certificates, more than the {max} allowed")]
    TooManyCertificates { count: usize, max: usize },
    /// An `x5c` entry is not a certificate.
    #[error("x5c[{index}] is not a certificate: {reason}")]
    BadCertificate { index: usize, reason: CertError },
    /// The signing certificate's keyUsage does not allow signatures (RFC 5280 §4.2.1.3).
    #[error(
        "signing certificate {subject} (serial {serial}) has keyUsage without digitalSignature"
    )]
    LeafKeyUsage { subject: String, serial: String },
    /// MDS3 §3.2 steps 4–5: no valid path to a trust anchor.
    #[error("signing chain: {0}")]
    Chain(PathError),
    /// MDS3 §3.2 step 2: revocation information missing, stale, or listing a chain certificate.
    #[error("revocation: {0}")]
    Revocation(RevocationError),
    /// MDS3 §3.2 step 6: the JWS signature does not verify.
    #[error("JWS signature ({alg}) by {signer} does not verify: {reason}")]
    Signature { alg: JwsAlg, signer: String, reason: SignatureError },
    /// MDS3 §3.1.6: the payload's top level is unusable.
    #[error("payload: {0}")]
    Payload(PayloadError),
    /// MDS3 §3.2 step 6: `no` not greater than the cached BLOB's.
    #[error("rollback refused: BLOB no {offered} is not greater than the accepted no {stored}")]
    RollbackRefused { stored: u64, offered: u64 },
}

impl BlobError {
    /// The step that failed: `size`, `jws`, `header`, `alg`, `x5u`, `chain`, `revocation`,
    /// `signature`, `payload` or `rollback`.
    pub fn step(&self) -> &'static str {
        match self {
            BlobError::TooLarge { .. } => "size",
            BlobError::MalformedJws(_) => "jws",
            BlobError::MalformedHeader(_) => "header",
            BlobError::AlgNotAllowed { .. } | BlobError::AlgKeyMismatch { .. } => "alg",
            BlobError::X5uOrigin { .. } | BlobError::X5uChainMissing { .. } => "x5u",
            BlobError::TooManyCertificates { .. }
            | BlobError::BadCertificate { .. }
            | BlobError::LeafKeyUsage { .. }
            | BlobError::Chain(_) => "chain",
            BlobError::Revocation(_) => "revocation",
            BlobError::Signature { .. } => "signature",
            BlobError::Payload(_) => "payload",
            BlobError::RollbackRefused { .. } => "rollback",
        }
    }
}

impl From<JwsError> for BlobError {
    fn from(e: JwsError) -> Self {
        BlobError::MalformedJws(e)
    }
}

impl From<HeaderError> for BlobError {
    fn from(e: HeaderError) -> Self {
        BlobError::MalformedHeader(e)
    }
}

impl From<PayloadError> for BlobError {
    fn from(e: PayloadError) -> Self {
        BlobError::Payload(e)
    }
}

fn alg_list(algs: &[JwsAlg]) -> String {
    algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
}

/// A part of the compact JWS (RFC 7515 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsPart {
    Header,
    Payload,
    Signature,
}

impl std::fmt::Display for JwsPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JwsPart::Header => "header",
            JwsPart::Payload => "payload",
            JwsPart::Signature => "signature",
        })
    }
}

/// RFC 7515 §7.1: why the bytes are not a compact JWS.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Not exactly three dot-separated parts.
    #[error("compact JWS must have 3 dot-separated parts, found {found}")]
    PartCount { found: usize },
    /// A part is empty (or, for the payload, decodes to nothing).
    #[error("empty {part}")]
    EmptyPart { part: JwsPart },
    /// A part is not strict unpadded base64url (RFC 7515 §2).
    #[error("{part} is not unpadded base64url: {source}")]
    NotBase64Url { part: JwsPart, source: base64::DecodeError },
}

/// RFC 7515 §4.1: why the protected header is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Not a JSON object of the expected member types (serde_json's message: what and where).
    #[error("not a JSON header object: {reason}")]
    NotJson { reason: String },
    /// RFC 7515 §4.1.11: mdsd understands no extension header parameters.
    #[error("critical header parameters (crit) are not supported")]
    Crit,
    /// RFC 7515 §4.1.1: `alg` is required.
    #[error("missing alg")]
    MissingAlg,
    /// RFC 7515 §4.1.6: `x5c` holds at least one certificate.
    #[error("x5c is an empty array")]
    EmptyX5c,
    /// RFC 7515 §4.1.6: `x5c` entries are standard base64 (not base64url).
    #[error("x5c[{index}] is not standard base64: {source}")]
    X5cNotBase64 { index: usize, source: base64::DecodeError },
}

/// MDS3 §3.2 step 4: why `x5u` is not accepted from the BLOB's origin.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum X5uOriginError {
    /// The caller did not say where the BLOB came from.
    #[error("the BLOB URL is unknown, so the origin cannot be compared")]
    UnknownBlobUrl,
    #[error("x5u: {0}")]
    BadX5u(UrlError),
    #[error("BLOB URL: {0}")]
    BadBlobUrl(UrlError),
    /// RFC 6454: scheme, host and port must all be equal.
    #[error("origin {x5u} differs from {blob}")]
    Differs { x5u: Box<Origin>, blob: Box<Origin> },
}

/// Why a URL has no web origin mdsd accepts (RFC 6454: `http(s)://host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("not an absolute URL")]
    NotAbsolute,
    #[error("scheme {scheme:?} is not http(s)")]
    Scheme { scheme: String },
    #[error("URLs with user information are refused")]
    UserInfo,
    #[error("unclosed IPv6 literal")]
    UnclosedIpv6,
    #[error("empty host")]
    EmptyHost,
    #[error("bad port {port:?}")]
    BadPort { port: String },
}
