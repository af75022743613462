//! EvaluateAuthentication and CheckCredentials: stored facts and sign-in facts checked, the
//! verdicts back.

use time::OffsetDateTime;
use uuid::Uuid;

use super::super::super::proto;
use super::{parse_aaguid, parse_key_identifier, policy_decision, status_name, within, ApiError};
use crate::attestation::{EntryKey, Flags};
use crate::limits;
use crate::policy::{AttestationTrust, AuthenticationFacts};

/// Checks an EvaluateAuthenticationRequest (AAGUID, flags byte, stored trust) into the sign-in
/// facts the relying party stored.
pub fn authentication_request(
    req: &proto::EvaluateAuthenticationRequest,
) -> Result<AuthenticationFacts, ApiError> {
    let aaguid = match req.aaguid.as_str() {
        "" => None,
        s => Some(parse_aaguid("aaguid", s)?),
    };
    sign_in_facts(aaguid, req.flags, &req.registration_trust, &|f| f.to_string())
}

/// Sign-in facts from a stored AAGUID, an assertion's flags byte and the stored trust (fields
/// named by `field`).
fn sign_in_facts(
    aaguid: Option<Uuid>,
    flags: u32,
    registration_trust: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<AuthenticationFacts, ApiError> {
    let flags = u8::try_from(flags)
        .map_err(|_| ApiError::invalid(field("flags"), format!("{flags} is not one byte")))?;
    let trust = match registration_trust {
        "" => None,
        "metadata" => Some(AttestationTrust::Metadata),
        "operator_anchor" => Some(AttestationTrust::OperatorAnchor),
        "untrusted" => Some(AttestationTrust::Untrusted),
        other => {
            return Err(ApiError::invalid(
                field("registration_trust"),
                format!("{other:?} is not metadata, operator_anchor or untrusted"),
            ))
        }
    };
    let mut facts = AuthenticationFacts::new(aaguid, Flags(flags));
    facts.registration_trust = trust;
    Ok(facts)
}

/// Checks the size of a CheckCredentials batch: at least one, at most
/// [`limits::CREDENTIALS_PER_BATCH`].
pub fn credentials(count: usize) -> Result<(), ApiError> {
    if count == 0 {
        return Err(ApiError::invalid("credentials", "required"));
    }
    limits::CREDENTIALS_PER_BATCH
        .check(count)
        .map_err(|e| ApiError::invalid("credentials", format!("{e} per call")))
}

/// Checks one RegisteredCredential (fields named `credentials[i].…`) and builds the stored
/// facts, plus the sign-in facts when a policy decision is wanted.
pub fn stored_credential(
    i: usize,
    c: &proto::RegisteredCredential,
    with_policy: bool,
) -> Result<crate::credentials::BatchItem, ApiError> {
    use crate::credentials::{BatchItem, StoredCredential};
    use proto::registered_credential::Authenticator;
    let field = |f: &str| format!("credentials[{i}].{f}");
    let key = match &c.authenticator {
        Some(Authenticator::Aaguid(s)) => EntryKey::Aaguid(parse_aaguid(&field("aaguid"), s)?),
        Some(Authenticator::KeyIdentifier(s)) => {
            EntryKey::KeyIdentifier(parse_key_identifier(&field("key_identifier"), s)?)
        }
        None => {
            return Err(ApiError::invalid(
                field("authenticator"),
                "one of aaguid or key_identifier is required",
            ))
        }
    };
    within(
        &field("attestation_sha256"),
        limits::FINGERPRINTS_PER_CREDENTIAL,
        c.attestation_sha256.len(),
    )?;
    for (j, f) in c.attestation_sha256.iter().enumerate() {
        if f.len() != 64 || !f.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return Err(ApiError::invalid(
                format!("credentials[{i}].attestation_sha256[{j}]"),
                format!("{f:?} is not 64 hex digits (SHA-256)"),
            ));
        }
    }
    within(&field("credential_id"), limits::ECHOED_CREDENTIAL_ID_BYTES, c.credential_id.len())?;
    let registered_at = match &c.registered_at {
        None => None,
        Some(t) => Some(
            OffsetDateTime::from_unix_timestamp(t.seconds)
                .map_err(|e| ApiError::invalid(field("registered_at"), e.to_string()))?,
        ),
    };
    let facts = if with_policy {
        let aaguid = match &key {
            EntryKey::Aaguid(u) => Some(*u),
            EntryKey::KeyIdentifier(_) | EntryKey::Aaid(_) => None,
        };
        Some(sign_in_facts(aaguid, c.flags, &c.registration_trust, &field)?)
    } else {
        None
    };
    let fingerprints = c.attestation_sha256.iter().map(|f| f.to_ascii_lowercase()).collect();
    Ok(BatchItem { stored: StoredCredential { key, fingerprints, registered_at }, facts })
}

/// One CheckCredentials result.
pub fn credential_check(
    index: usize,
    credential_id: Vec<u8>,
    v: &crate::credentials::CredentialVerdict,
    decision: Option<&crate::policy::Decision>,
) -> proto::CredentialCheck {
    proto::CredentialCheck {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        credential_id,
        trusted: v.trusted,
        reasons: v
            .reasons
            .iter()
            .map(|r| proto::Reason {
                code: r.code.as_str().to_string(),
                message: r.message.clone(),
            })
            .collect(),
        current_status: status_name(v.current_status.as_ref()),
        status_effective_date: v.status_effective_date.map(|d| d.to_string()).unwrap_or_default(),
        changed_since_registration: v.changed_since_registration,
        description: v.description.clone().unwrap_or_default(),
        policy: decision.map(policy_decision),
        origin: v.origin.as_ref().map(super::origin),
    }
}
