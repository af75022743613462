//! VerifyRegistration: the request checked into ceremony expectations, the core's result into
//! the response.

use super::super::super::proto;
use super::{policy_decision, reason, summary, within, ApiError};
use crate::attestation::{AttestationResult, Expectations};
use crate::limits;
use crate::registration::RegistrationVerdict;

/// Checks a VerifyRegistrationRequest and builds the ceremony expectations (`None` when
/// no ceremony check was asked for).
pub fn expectations(
    req: &proto::VerifyRegistrationRequest,
) -> Result<Option<Expectations>, ApiError> {
    if req.attestation_object.is_empty() {
        return Err(ApiError::invalid("attestation_object", "required"));
    }
    if req.client_data_json.is_empty() {
        return Err(ApiError::invalid("client_data_json", "required"));
    }
    within("client_data_json", limits::CLIENT_DATA_BYTES, req.client_data_json.len())?;
    for (field, origins) in [("origins", &req.origins), ("top_origins", &req.top_origins)] {
        if limits::ORIGINS.check(origins.len()).is_err() {
            return Err(ApiError::invalid(field, format!("more than {}", limits::ORIGINS.max)));
        }
    }
    if let Some((i, _)) = req.origins.iter().enumerate().find(|(_, o)| o.is_empty()) {
        return Err(ApiError::invalid(format!("origins[{i}]"), "empty origin"));
    }
    let any = !req.rp_id.is_empty()
        || !req.origins.is_empty()
        || !req.top_origins.is_empty()
        || !req.challenge.is_empty()
        || req.require_user_verification.is_some()
        || req.require_user_presence.is_some();
    if !any {
        return Ok(None);
    }
    Ok(Some(Expectations {
        rp_id: Some(req.rp_id.clone()).filter(|s| !s.is_empty()),
        origins: req.origins.clone(),
        challenge: Some(req.challenge.clone()).filter(|c| !c.is_empty()),
        // Cross-origin must be expected explicitly once origins are checked.
        top_origins: if req.top_origins.is_empty() && req.origins.is_empty() {
            None
        } else {
            Some(req.top_origins.clone())
        },
        require_user_presence: req.require_user_presence.unwrap_or(true),
        require_user_verification: req.require_user_verification.unwrap_or(false),
    }))
}

/// The response for the core's judgement on a registration.
pub fn registration_response(
    v: &RegistrationVerdict,
    metadata_no: u64,
    stale: bool,
    ceremony_checked: bool,
) -> proto::VerifyRegistrationResponse {
    let r = &v.result;
    let verdict = if r.trusted { proto::Verdict::Accepted } else { proto::Verdict::Rejected };
    proto::VerifyRegistrationResponse {
        verdict: verdict as i32,
        trusted: r.trusted,
        format: r
            .format
            .map(|f| f.as_str().to_string())
            .or_else(|| r.fmt.clone())
            .unwrap_or_default(),
        attestation_type: r.attestation_type.map(|t| t.as_str().to_string()).unwrap_or_default(),
        aaguid: r.aaguid.map(|u| u.hyphenated().to_string()).unwrap_or_default(),
        credential_kind: match r.credential_kind {
            Some(crate::attestation::CredentialKind::DeviceBound) => {
                proto::CredentialKind::DeviceBound
            }
            Some(crate::attestation::CredentialKind::Synced) => proto::CredentialKind::Synced,
            None => proto::CredentialKind::Unspecified,
        } as i32,
        reasons: r.reasons.iter().map(reason).collect(),
        metadata_no: r.metadata_no.unwrap_or(metadata_no),
        metadata_stale: stale,
        statement_valid: r.statement_valid,
        authenticator: r.authenticator.as_ref().map(summary),
        trust_path: r.trust_path.clone(),
        anchor: r.anchor.as_ref().map(|(sha256, label)| proto::TrustAnchor {
            sha256: sha256.clone(),
            label: label.clone(),
        }),
        credential_id: r.credential_id.clone().unwrap_or_default(),
        credential_public_key: r.credential_public_key.clone().unwrap_or_default(),
        credential_alg: r.credential_alg,
        sign_count: r.sign_count.unwrap_or_default(),
        flags: r.flags.map(|f| proto::AuthenticatorFlags {
            raw: u32::from(f.0),
            user_present: f.user_present(),
            user_verified: f.user_verified(),
            backup_eligible: f.backup_eligible(),
            backed_up: f.backed_up(),
            attested_credential_data: f.attested_credential_data(),
            extension_data: f.extension_data(),
        }),
        kind_conflict: r.kind_conflict.clone().unwrap_or_default(),
        ceremony_checked,
        policy: v.decision.as_ref().map(policy_decision),
        attestation_trust: v.trust.as_str().to_string(),
        provenance: Some(provenance(r)),
        notes: r.notes.iter().map(reason).collect(),
        // Set by the handler, which holds the served passkey-provider list.
        passkey_provider: None,
        // Set by the handler only when the request asked for enterprise attestation.
        serial_number: Vec::new(),
    }
}

/// Where the facts of a registration result come from.
pub fn provenance(r: &AttestationResult) -> proto::Provenance {
    use crate::attestation::MetadataKey;
    use proto::provenance::MetadataKey as Key;
    proto::Provenance {
        coverage: r.provenance.coverage.map(|c| c.as_str().to_string()).unwrap_or_default(),
        entry_selected_by: r
            .provenance
            .entry_selected_by
            .as_ref()
            .map(|s| s.kind().to_string())
            .unwrap_or_default(),
        metadata_key: r.metadata_key().map(|k| match k {
            MetadataKey::Aaguid(u) => Key::Aaguid(u.hyphenated().to_string()),
            MetadataKey::KeyIdentifier(k) => Key::KeyIdentifier(k),
        }),
        claimed: r.provenance.claimed.iter().map(|f| f.as_str().to_string()).collect(),
    }
}
