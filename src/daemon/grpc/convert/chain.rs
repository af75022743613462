//! ValidateAttestationChain: the named entry and the parsed x5c; the trust outcome back.

use std::sync::Arc;

use super::super::super::proto;
use super::{parse_aaguid, parse_key_identifier, reason, summary, within, ApiError, EntryKey};
use crate::limits;
use crate::x509::Cert;

/// Checks a ValidateAttestationChainRequest: the entry key and the parsed chain.
pub fn chain_request(
    req: &proto::ValidateAttestationChainRequest,
) -> Result<(EntryKey, Vec<Arc<Cert>>), ApiError> {
    use proto::validate_attestation_chain_request::Authenticator;
    let key = match &req.authenticator {
        Some(Authenticator::Aaguid(s)) => EntryKey::Aaguid(parse_aaguid("aaguid", s)?),
        Some(Authenticator::KeyIdentifier(s)) => {
            EntryKey::KeyIdentifier(parse_key_identifier("key_identifier", s)?)
        }
        None => {
            return Err(ApiError::invalid("authenticator", "aaguid or key_identifier is required"))
        }
    };
    if req.x5c.is_empty() {
        return Err(ApiError::invalid("x5c", "at least the attestation certificate is required"));
    }
    within("x5c", limits::X5C_CERTIFICATES, req.x5c.len())?;
    let chain = req
        .x5c
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Cert::from_der(der).map(Arc::new).map_err(|e| {
                ApiError::invalid(format!("x5c[{i}]"), format!("not a DER certificate: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((key, chain))
}

/// The ValidateAttestationChain response for the core's trust outcome on `chain`, judged
/// against BLOB `metadata_no`.
pub fn chain_response(
    outcome: &crate::attestation::TrustOutcome,
    chain: &[Arc<Cert>],
    metadata_no: u64,
    stale: bool,
) -> proto::ValidateAttestationChainResponse {
    let verdict = if outcome.trusted { proto::Verdict::Accepted } else { proto::Verdict::Rejected };
    proto::ValidateAttestationChainResponse {
        verdict: verdict as i32,
        trusted: outcome.trusted,
        // The entry is "verified" when the validated chain identifies it.
        authenticator: outcome.authenticator.as_ref().map(summary),
        trust_path: match &outcome.path {
            Some(path) => path.chain.iter().map(|c| c.sha256_hex()).collect(),
            None => chain.iter().map(|c| c.sha256_hex()).collect(),
        },
        anchor: outcome.path.as_ref().map(|path| proto::TrustAnchor {
            sha256: path.anchor.sha256_hex(),
            label: outcome.anchor_label.clone().unwrap_or_default(),
        }),
        reasons: outcome.reasons.iter().map(reason).collect(),
        metadata_no,
        metadata_stale: stale,
    }
}
