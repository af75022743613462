//! Path building: from a leaf through an unordered bag of candidate certificates to a trust anchor.

use std::sync::Arc;

use thiserror::Error;
use time::OffsetDateTime;

use super::cert::Cert;

/// Which rule set a path is validated under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProfile {
    /// The MDS BLOB signing chain: RFC 5280 CA rules (CA=true, keyCertSign when keyUsage is
    /// present, pathLenConstraint), unknown critical extensions rejected.
    Metadata,
    /// Authenticator attestation chains: the same signature, validity and CA checks, but unknown
    /// critical extensions are accepted (Windows Hello AIK certificates carry several).
    Attestation,
}

/// Bounds on the work one path build may do (model: rustls-webpki `verify_cert::Budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathBudget {
    /// Maximum number of certificates in a path, anchor included.
    pub max_depth: usize,
    /// Maximum number of signature verifications for the whole build.
    pub max_signature_checks: usize,
    /// Maximum number of candidate certificates considered (e.g. x5c entries).
    pub max_candidates: usize,
}

impl Default for PathBudget {
    fn default() -> Self {
        PathBudget { max_depth: 8, max_signature_checks: 64, max_candidates: 16 }
    }
}

/// A trust anchor: a certificate (usually a self-signed root, sometimes an intermediate that
/// metadata names as attestation root) the operator or the metadata vouches for.
#[derive(Debug, Clone)]
pub struct TrustAnchor {
    pub cert: Arc<Cert>,
    /// Free-form label for reports ("GlobalSign Root CA - R3", "MDS entry <aaguid>", ...).
    pub label: String,
}

/// A validated path.
#[derive(Debug, Clone)]
pub struct VerifiedPath {
    /// Leaf first, then each issuer, up to but not including the anchor's certificate.
    pub chain: Vec<Arc<Cert>>,
    /// Index into the `anchors` slice passed to [`build_path`].
    pub anchor_index: usize,
    /// The anchoring certificate itself.
    pub anchor: Arc<Cert>,
}

/// Why no valid path was found. When several candidate paths fail, the error of the deepest
/// attempt is reported (it is the most informative one).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    #[error("certificate {subject} (serial {serial}) is not valid at {now}: valid {not_before} .. {not_after}")]
    Expired {
        subject: String,
        serial: String,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error(
        "certificate {subject} (serial {serial}) is not valid before {not_before}; now is {now}"
    )]
    NotYetValid { subject: String, serial: String, not_before: OffsetDateTime, now: OffsetDateTime },
    #[error("issuer {subject} is not a CA (basicConstraints CA=false or absent)")]
    IssuerNotCa { subject: String },
    #[error("issuer {subject} may not sign certificates (keyUsage lacks keyCertSign)")]
    IssuerKeyUsage { subject: String },
    #[error("path length constraint of {subject} ({path_len}) exceeded")]
    PathLenExceeded { subject: String, path_len: u32 },
    #[error("certificate {subject} has an unsupported critical extension {oid}")]
    UnknownCriticalExtension { subject: String, oid: String },
    #[error("signature of {subject} by {issuer} does not verify: {reason}")]
    BadSignature { subject: String, issuer: String, reason: String },
    #[error("certificate {subject} uses an unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm { subject: String, oid: String },
    #[error("no issuer found for {subject} (issuer {issuer}) among the offered certificates and trust anchors")]
    NoIssuer { subject: String, issuer: String },
    #[error("path would exceed {max_depth} certificates")]
    TooDeep { max_depth: usize },
    #[error("too many candidate certificates: {count} > {max}")]
    TooManyCandidates { count: usize, max: usize },
    #[error("path building gave up after {max} signature checks")]
    BudgetExhausted { max: usize },
    #[error("no trust anchors configured")]
    NoAnchors,
}

/// Builds and validates a path from `leaf` to one of `anchors` at time `now`.
///
/// `intermediates` is an unordered bag: it may contain the leaf again, the anchor itself,
/// certificates that are not on any path (cross-signed roots, unrelated CAs), in any order.
/// Every certificate on the path other than the anchor must be valid at `now`; each issuer
/// must satisfy the CA rules of `profile`; every signature must verify.
pub fn build_path(
    leaf: &Arc<Cert>,
    intermediates: &[Arc<Cert>],
    anchors: &[TrustAnchor],
    now: OffsetDateTime,
    profile: PathProfile,
    budget: PathBudget,
) -> Result<VerifiedPath, PathError> {
    let _ = (leaf, intermediates, anchors, now, profile, budget);
    todo!("x509: build_path")
}
