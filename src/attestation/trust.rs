//! The trust decision after a valid statement (WebAuthn L3 §7.1 steps 22–23, MDS3 §3.2 step 8):
//! find the metadata entry, build the attestation chain to one of its roots (or an operator's
//! extra anchor) at `now`, and apply the entry's status reports.
//!
//! Decisions:
//! - `none` and self attestation are valid but untrusted (NO_ATTESTATION_TRUST).
//! - The entry is found by AAGUID when it is not nil, else by the FIDO key identifier of each
//!   certificate of the trust path (fido-u2f).
//! - With an entry, the chain must lead to one of that entry's attestationRootCertificates and
//!   to nothing else: the AAGUID in authenticatorData is claimed by the authenticator, and only
//!   the entry's own roots bind the claim to the model. (An operator anchor such as a Google or
//!   Apple root vouches for a platform, not for an AAGUID: a genuine Android key could otherwise
//!   sign authenticatorData claiming a YubiKey's AAGUID and be reported as that YubiKey.)
//! - Without an entry, a chain that validates to an operator-configured extra anchor (Apple,
//!   Google, TPM vendor roots) is trusted by that operator decision, with no status to apply and
//!   no authenticator identified; otherwise METADATA_NOT_FOUND.

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::trust_store::{Entry, StatusPolicy, StatusVerdict, TrustStore};
use crate::x509::{
    build_path, Cert, PathBudget, PathError, PathProfile, TrustAnchor, VerifiedPath,
};

use super::cache::{ChainCache, ChainKey};
use super::reason::{Reason, ReasonCode};
use super::{AttestationType, StatementOutcome};

/// What the trust step found.
#[derive(Debug, Clone)]
pub(crate) struct TrustOutcome {
    pub trusted: bool,
    pub entry: Option<Arc<Entry>>,
    pub verdict: Option<StatusVerdict>,
    pub path: Option<VerifiedPath>,
    pub anchor_label: Option<String>,
    pub reasons: Vec<Reason>,
}

/// Inputs that do not change per attestation.
pub(crate) struct TrustContext<'a> {
    pub store: Option<&'a TrustStore>,
    pub extra_anchors: &'a [TrustAnchor],
    pub policy: &'a StatusPolicy,
    pub budget: PathBudget,
    pub cache: &'a ChainCache,
    pub now: OffsetDateTime,
}

/// Finds the metadata entry: by AAGUID (non-nil), else by key identifier of the chain.
pub(crate) fn find_entry(
    store: Option<&TrustStore>,
    aaguid: &Uuid,
    chain: &[Arc<Cert>],
) -> Option<Arc<Entry>> {
    let store = store?;
    if !aaguid.is_nil() {
        return store.by_aaguid(aaguid).cloned();
    }
    chain.iter().find_map(|c| store.by_key_identifier(&c.fido_key_identifier()).cloned())
}

/// Judges trust for a valid statement.
pub(crate) fn evaluate(
    outcome: &StatementOutcome,
    aaguid: &Uuid,
    ctx: &TrustContext<'_>,
) -> TrustOutcome {
    let entry = find_entry(ctx.store, aaguid, &outcome.trust_path);
    let mut result = TrustOutcome {
        trusted: false,
        entry: entry.clone(),
        verdict: None,
        path: None,
        anchor_label: None,
        reasons: Vec::new(),
    };
    // WebAuthn L3 §7.1 step 23: self / none carry no trust of their own.
    if matches!(outcome.attestation_type, AttestationType::None | AttestationType::SelfAttestation)
        || outcome.trust_path.is_empty()
    {
        result.reasons.push(Reason::new(
            ReasonCode::NoAttestationTrust,
            format!(
                "{} attestation carries no trust path; the authenticator is unverified",
                outcome.attestation_type.as_str()
            ),
        ));
        return result;
    }
    let (leaf, rest) = match outcome.trust_path.split_first() {
        Some(parts) => parts,
        None => return result,
    };

    // The leaf must be valid at `now` whatever else is found.
    if ctx.now < leaf.not_before() || ctx.now > leaf.not_after() {
        result.reasons.push(Reason::new(
            ReasonCode::CertificateExpired,
            format!(
                "attestation certificate {} is valid {} .. {}, not at {}",
                leaf.subject(),
                leaf.not_before(),
                leaf.not_after(),
                ctx.now
            ),
        ));
    }

    // Anchors: the entry's roots when there is an entry (and only those: they are what binds
    // the claimed AAGUID to the model); the operator's extra anchors otherwise.
    let mut anchors: Vec<TrustAnchor> = Vec::new();
    if let Some(entry) = &entry {
        let label = format!(
            "MDS attestation root of {}",
            entry.description().unwrap_or("(no description)")
        );
        anchors.extend(
            entry
                .attestation_roots()
                .iter()
                .map(|c| TrustAnchor { cert: c.clone(), label: label.clone() }),
        );
    } else {
        anchors.extend(ctx.extra_anchors.iter().cloned());
    }
    if anchors.is_empty() {
        let why = match ctx.store {
            None => "no trust store and no extra anchors are configured".to_string(),
            Some(store) if entry.is_some() => format!(
                "the metadata entry in BLOB no {} for this authenticator lists no usable \
                 attestation root",
                store.no()
            ),
            Some(store) => format!(
                "no metadata entry in BLOB no {} for AAGUID {aaguid} or the chain's key identifiers",
                store.no()
            ),
        };
        result.reasons.push(Reason::new(ReasonCode::MetadataNotFound, why));
        return result;
    }

    // Build and validate the chain (cached).
    match build_cached(leaf, rest, &anchors, ctx) {
        Ok(path) => {
            result.anchor_label = anchors.get(path.anchor_index).map(|a| a.label.clone());
            result.path = Some(path);
        }
        Err(e) => {
            let code = match e {
                PathError::Expired { .. } | PathError::NotYetValid { .. } => {
                    ReasonCode::CertificateExpired
                }
                _ => ReasonCode::UntrustedChain,
            };
            if !result.reasons.iter().any(|r| r.code == code) {
                result.reasons.push(Reason::new(code, format!("attestation chain: {e}")));
            }
            if entry.is_none() {
                result.reasons.push(Reason::new(
                    ReasonCode::MetadataNotFound,
                    format!("no metadata entry for AAGUID {aaguid} or the chain's key identifiers"),
                ));
            }
            return result;
        }
    }

    // Status reports (MDS3 §3.2 step 8, relying-party policy).
    match &entry {
        Some(entry) => {
            let mut chain: Vec<Arc<Cert>> =
                result.path.as_ref().map(|p| p.chain.clone()).unwrap_or_default();
            if let Some(p) = &result.path {
                chain.push(p.anchor.clone());
            }
            let verdict = entry.evaluate(&chain, ctx.policy, ctx.now);
            if !verdict.trusted {
                result.reasons.push(Reason::new(
                    ReasonCode::StatusRefused,
                    verdict.reason.clone().unwrap_or_else(|| {
                        format!(
                            "metadata status {} refused by policy",
                            verdict.refused_status.as_ref().map(|s| s.as_str()).unwrap_or("?")
                        )
                    }),
                ));
            }
            result.verdict = Some(verdict);
        }
        None => {
            // Anchored by an operator-configured extra anchor only: trusted by that decision.
        }
    }
    result.trusted = result.reasons.is_empty();
    result
}

fn build_cached(
    leaf: &Arc<Cert>,
    rest: &[Arc<Cert>],
    anchors: &[TrustAnchor],
    ctx: &TrustContext<'_>,
) -> Result<VerifiedPath, PathError> {
    let mut ctx_hash = ring::digest::Context::new(&ring::digest::SHA256);
    for a in anchors {
        ctx_hash.update(a.cert.sha256());
        ctx_hash.update(a.label.as_bytes());
        ctx_hash.update(&[0]);
    }
    let mut anchors_digest = [0u8; 32];
    anchors_digest.copy_from_slice(ctx_hash.finish().as_ref());
    let key = ChainKey {
        chain: std::iter::once(leaf).chain(rest.iter()).map(|c| *c.sha256()).collect(),
        anchors: anchors_digest,
    };
    if let Some(path) = ctx.cache.get(&key, ctx.now) {
        return Ok(path);
    }
    let path = build_path(leaf, rest, anchors, ctx.now, PathProfile::Attestation, ctx.budget)?;
    ctx.cache.insert(key, &path);
    Ok(path)
}
