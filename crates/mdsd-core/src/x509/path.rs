//! Path building: from a leaf through an unordered bag of candidate certificates to a trust anchor.

use std::sync::Arc;

use thiserror::Error;
use time::OffsetDateTime;

use super::cert::{Cert, KeyUsage};
use crate::crypto::SignatureError;

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
    /// Free-form label for reports (`"GlobalSign Root CA - R3"`, `"MDS entry <aaguid>"`, ...).
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
#[non_exhaustive]
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
    /// RFC 5280 §6.1.3 (a)(1): the signature of `subject` does not verify with the key of the
    /// candidate issuer.
    #[error("signature of {subject} by {issuer} does not verify: {reason}")]
    BadSignature { subject: String, issuer: String, reason: SignatureError },
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
///
/// Search: depth first from the leaf. At each step the anchors are tried before the
/// intermediates (shortest path first); a candidate issuer is any certificate whose subject is
/// byte-identical to the current certificate's issuer name (RFC 5280 §4.1.2.4, binary compare)
/// and whose subjectKeyIdentifier does not contradict the current certificate's
/// authorityKeyIdentifier (either may be absent). Several candidates with the same name
/// (cross-signed certificates, re-keyed CAs) are all tried; a certificate is never used twice on
/// one path (loops). Signature checks count against `budget.max_signature_checks`.
///
/// Decisions (each has a test in tests/x509.rs):
/// - The anchor is not validated as a certificate: its validity period, basicConstraints,
///   keyUsage and pathLen are not checked (RFC 5280 §6.1.1 (d): a trust anchor is a name and a
///   key, trusted out of band). Only its key verifies the last certificate of the chain.
/// - When the leaf itself is an anchor (same SHA-256), the path is the leaf alone:
///   `chain == [leaf]` and `anchor` is the same certificate. The leaf is still checked for
///   validity at `now` (it is the signer) and for critical extensions.
/// - An anchor that also appears in `intermediates` is used as the anchor, never as an
///   intermediate.
/// - CA rules (both profiles) apply to every intermediate issuer: basicConstraints CA=true,
///   keyCertSign when keyUsage is present, pathLenConstraint counted over the non-self-issued
///   intermediates below it (RFC 5280 §4.2.1.9, §6.1.4 (k)-(n)).
/// - Critical extensions: [`PathProfile::Metadata`] rejects any critical extension outside
///   [`KNOWN_CRITICAL_EXTENSIONS`] on every non-anchor certificate (RFC 5280 §6.1.4 (o));
///   [`PathProfile::Attestation`] accepts them (Windows Hello AIK certificates).
/// - No CA-rule tolerance for attestation chains: measured on every x5c of
///   testdata/attestations/vectors.json, all 61 chains whose root is available build under the
///   full CA rules (the Windows Hello AIK's critical extensions are keyUsage, basicConstraints,
///   certificatePolicies and subjectAltName, all understood).
pub fn build_path(
    leaf: &Arc<Cert>,
    intermediates: &[Arc<Cert>],
    anchors: &[TrustAnchor],
    now: OffsetDateTime,
    profile: PathProfile,
    budget: PathBudget,
) -> Result<VerifiedPath, PathError> {
    if anchors.is_empty() {
        return Err(PathError::NoAnchors);
    }
    if intermediates.len() > budget.max_candidates {
        return Err(PathError::TooManyCandidates {
            count: intermediates.len(),
            max: budget.max_candidates,
        });
    }
    // The leaf: valid now, no unknown critical extension (Metadata).
    check_validity(leaf, now)?;
    check_critical_extensions(leaf, profile)?;
    // The leaf is itself a trust anchor (MDS3 §3.2 step 5: no x5c, the anchor signs).
    if let Some(index) = anchors.iter().position(|a| a.cert.sha256() == leaf.sha256()) {
        let anchor = anchors.get(index).map(|a| Arc::clone(&a.cert)).ok_or(PathError::NoAnchors)?;
        return Ok(VerifiedPath { chain: vec![Arc::clone(leaf)], anchor_index: index, anchor });
    }
    let mut search =
        Search { intermediates, anchors, now, profile, budget, signature_checks: 0, deepest: None };
    let mut chain = vec![Arc::clone(leaf)];
    match search.extend(&mut chain) {
        Ok(Some(path)) => Ok(path),
        Ok(None) => Err(search.deepest.map(|(_, e)| e).unwrap_or_else(|| no_issuer(leaf))),
        Err(fatal) => Err(fatal),
    }
}

/// Critical extensions every profile understands (RFC 5280 §4.2): basicConstraints, keyUsage,
/// extKeyUsage, subjectAltName, subjectKeyIdentifier, authorityKeyIdentifier,
/// cRLDistributionPoints, certificatePolicies (mdsd has no policy requirements, so any policy
/// is acceptable: RFC 5280 §6.1 with `initial-policy-set = any-policy`). nameConstraints and
/// policyConstraints are not processed and therefore not in this list.
pub const KNOWN_CRITICAL_EXTENSIONS: &[&str] = &[
    "2.5.29.19",
    "2.5.29.15",
    "2.5.29.37",
    "2.5.29.17",
    "2.5.29.14",
    "2.5.29.35",
    "2.5.29.31",
    "2.5.29.32",
];

struct Search<'a> {
    intermediates: &'a [Arc<Cert>],
    anchors: &'a [TrustAnchor],
    now: OffsetDateTime,
    profile: PathProfile,
    budget: PathBudget,
    signature_checks: usize,
    /// The failure of the deepest attempt so far: (chain length when it failed, error).
    deepest: Option<(usize, PathError)>,
}

impl Search<'_> {
    /// Tries to finish `chain` (leaf first, last element verified) at an anchor.
    /// `Ok(None)`: no path through this prefix (the reason is in `deepest`); `Err`: stop.
    fn extend(&mut self, chain: &mut Vec<Arc<Cert>>) -> Result<Option<VerifiedPath>, PathError> {
        let Some(current) = chain.last().map(Arc::clone) else {
            return Ok(None);
        };
        let depth = chain.len();
        let mut candidates = 0usize;

        // 1. Anchors first: a path ending here is the shortest one.
        for (index, anchor) in self.anchors.iter().enumerate() {
            if !self.is_candidate(&current, &anchor.cert) {
                continue;
            }
            candidates += 1;
            match self.check_signature(&current, &anchor.cert)? {
                Ok(()) => {
                    // RFC 5280 §6.1.1 (d): the anchor's name and key are trusted as given.
                    return Ok(Some(VerifiedPath {
                        chain: chain.clone(),
                        anchor_index: index,
                        anchor: Arc::clone(&anchor.cert),
                    }));
                }
                Err(e) => self.record(depth, e),
            }
        }

        // 2. Intermediates: any name-matching certificate not already on the path.
        for candidate in self.intermediates {
            if !self.is_candidate(&current, candidate)
                || chain.iter().any(|c| c.sha256() == candidate.sha256())
                || self.anchors.iter().any(|a| a.cert.sha256() == candidate.sha256())
            {
                continue;
            }
            candidates += 1;
            // Path length including the anchor.
            if depth + 2 > self.budget.max_depth {
                self.record(depth, PathError::TooDeep { max_depth: self.budget.max_depth });
                continue;
            }
            if let Err(e) = self.check_signature(&current, candidate)? {
                self.record(depth, e);
                continue;
            }
            if let Err(e) = self.check_issuer(chain, candidate) {
                self.record(depth, e);
                continue;
            }
            chain.push(Arc::clone(candidate));
            let found = self.extend(chain)?;
            chain.pop();
            if found.is_some() {
                return Ok(found);
            }
        }

        if candidates == 0 {
            self.record(depth, no_issuer(&current));
        }
        Ok(None)
    }

    /// Name chaining (RFC 5280 §6.1.3 (a)(4)) plus the AKI/SKI hint when both are present.
    fn is_candidate(&self, child: &Cert, issuer: &Cert) -> bool {
        if child.issuer_raw() != issuer.subject_raw() {
            return false;
        }
        match (child.authority_key_id(), issuer.subject_key_id()) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// RFC 5280 §6.1.3 (a)(1). Outer `Err`: budget exhausted (stop the whole search).
    fn check_signature(
        &mut self,
        child: &Cert,
        issuer: &Cert,
    ) -> Result<Result<(), PathError>, PathError> {
        let Some(_) = child.signature_scheme() else {
            return Ok(Err(PathError::UnsupportedSignatureAlgorithm {
                subject: child.subject().to_string(),
                oid: child.signature_algorithm_oid().to_string(),
            }));
        };
        if self.signature_checks >= self.budget.max_signature_checks {
            return Err(PathError::BudgetExhausted { max: self.budget.max_signature_checks });
        }
        self.signature_checks += 1;
        Ok(child.verify_signed_by(issuer.public_key()).map_err(|e| PathError::BadSignature {
            subject: child.subject().to_string(),
            issuer: issuer.subject().to_string(),
            reason: e,
        }))
    }

    /// An intermediate that signed `chain.last()`: valid now, a CA, allowed to sign
    /// certificates, within its path length, no unknown critical extension (Metadata).
    fn check_issuer(&self, chain: &[Arc<Cert>], issuer: &Cert) -> Result<(), PathError> {
        check_validity(issuer, self.now)?;
        check_critical_extensions(issuer, self.profile)?;
        let subject = issuer.subject().to_string();
        // RFC 5280 §6.1.4 (k): basicConstraints present with cA = TRUE.
        let Some(bc) = issuer.basic_constraints().filter(|bc| bc.ca) else {
            return Err(PathError::IssuerNotCa { subject });
        };
        // RFC 5280 §6.1.4 (n): keyCertSign when keyUsage is present.
        if let Some(ku) = issuer.key_usage() {
            if !ku.has(KeyUsage::KEY_CERT_SIGN) {
                return Err(PathError::IssuerKeyUsage { subject });
            }
        }
        // RFC 5280 §6.1.4 (l)-(m): non-self-issued intermediates below this one (the leaf,
        // chain[0], is not counted).
        if let Some(path_len) = bc.path_len {
            let below = chain.iter().skip(1).filter(|c| !c.is_self_issued()).count();
            if below > path_len as usize {
                return Err(PathError::PathLenExceeded { subject, path_len });
            }
        }
        Ok(())
    }

    fn record(&mut self, depth: usize, error: PathError) {
        let deeper = match &self.deepest {
            Some((d, _)) => depth > *d,
            None => true,
        };
        if deeper {
            self.deepest = Some((depth, error));
        }
    }
}

/// RFC 5280 §6.1.3 (a)(2): notBefore <= now <= notAfter.
fn check_validity(cert: &Cert, now: OffsetDateTime) -> Result<(), PathError> {
    if now < cert.not_before() {
        return Err(PathError::NotYetValid {
            subject: cert.subject().to_string(),
            serial: cert.serial_hex(),
            not_before: cert.not_before(),
            now,
        });
    }
    if now > cert.not_after() {
        return Err(PathError::Expired {
            subject: cert.subject().to_string(),
            serial: cert.serial_hex(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            now,
        });
    }
    Ok(())
}

/// RFC 5280 §6.1.4 (o) / §6.1.5 (f): unrecognised critical extensions fail the path
/// (Metadata profile only).
fn check_critical_extensions(cert: &Cert, profile: PathProfile) -> Result<(), PathError> {
    if profile == PathProfile::Attestation {
        return Ok(());
    }
    match cert
        .extensions()
        .iter()
        .find(|e| e.critical && !KNOWN_CRITICAL_EXTENSIONS.contains(&e.oid.as_str()))
    {
        Some(ext) => Err(PathError::UnknownCriticalExtension {
            subject: cert.subject().to_string(),
            oid: ext.oid.clone(),
        }),
        None => Ok(()),
    }
}

fn no_issuer(cert: &Cert) -> PathError {
    PathError::NoIssuer { subject: cert.subject().to_string(), issuer: cert.issuer().to_string() }
}
