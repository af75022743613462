//! EvaluateAuthentication and CheckCredentials: stored facts and sign-in facts checked, the
//! verdicts back.

use time::OffsetDateTime;
use uuid::Uuid;

use super::super::super::proto;
use super::{parse_aaguid, parse_key_identifier, policy_decision, ApiError};

/// Checks an EvaluateAuthenticationRequest: AAGUID, flags byte, stored trust.
pub fn authentication_request(
    req: &proto::EvaluateAuthenticationRequest,
) -> Result<
    (Option<Uuid>, crate::attestation::Flags, Option<crate::policy::AttestationTrust>),
    ApiError,
> {
    use crate::policy::AttestationTrust;
    let aaguid = match req.aaguid.as_str() {
        "" => None,
        s => Some(parse_aaguid("aaguid", s)?),
    };
    let flags = u8::try_from(req.flags)
        .map_err(|_| ApiError::invalid("flags", format!("{} is not one byte", req.flags)))?;
    let trust = match req.registration_trust.as_str() {
        "" => None,
        "metadata" => Some(AttestationTrust::Metadata),
        "operator_anchor" => Some(AttestationTrust::OperatorAnchor),
        "untrusted" => Some(AttestationTrust::Untrusted),
        other => {
            return Err(ApiError::invalid(
                "registration_trust",
                format!("{other:?} is not metadata, operator_anchor or untrusted"),
            ))
        }
    };
    Ok((aaguid, crate::attestation::Flags(flags), trust))
}

/// Most bytes of an echoed credential id.
const MAX_CREDENTIAL_ID: usize = 1024;

/// Checks one RegisteredCredential (fields named `credentials[i].…`) and builds the stored
/// facts, plus the sign-in facts when a policy decision is wanted.
pub fn stored_credential(
    i: usize,
    c: &proto::RegisteredCredential,
    with_policy: bool,
) -> Result<crate::credentials::BatchItem, ApiError> {
    use crate::credentials::{BatchItem, CredentialKey, StoredCredential, MAX_FINGERPRINTS};
    use proto::registered_credential::Authenticator;
    let field = |f: &str| format!("credentials[{i}].{f}");
    let key = match &c.authenticator {
        Some(Authenticator::Aaguid(s)) => CredentialKey::Aaguid(parse_aaguid(&field("aaguid"), s)?),
        Some(Authenticator::KeyIdentifier(s)) => {
            CredentialKey::KeyIdentifier(parse_key_identifier(&field("key_identifier"), s)?)
        }
        None => {
            return Err(ApiError::invalid(
                field("authenticator"),
                "one of aaguid or key_identifier is required",
            ))
        }
    };
    if c.attestation_sha256.len() > MAX_FINGERPRINTS {
        return Err(ApiError::invalid(
            field("attestation_sha256"),
            format!("{} fingerprints, more than {MAX_FINGERPRINTS}", c.attestation_sha256.len()),
        ));
    }
    for (j, f) in c.attestation_sha256.iter().enumerate() {
        if f.len() != 64 || !f.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return Err(ApiError::invalid(
                format!("credentials[{i}].attestation_sha256[{j}]"),
                format!("{f:?} is not 64 hex digits (SHA-256)"),
            ));
        }
    }
    if c.credential_id.len() > MAX_CREDENTIAL_ID {
        return Err(ApiError::invalid(
            field("credential_id"),
            format!("{} bytes, more than {MAX_CREDENTIAL_ID}", c.credential_id.len()),
        ));
    }
    let registered_at = match &c.registered_at {
        None => None,
        Some(t) => Some(
            OffsetDateTime::from_unix_timestamp(t.seconds)
                .map_err(|e| ApiError::invalid(field("registered_at"), e.to_string()))?,
        ),
    };
    let facts = if with_policy {
        let request = proto::EvaluateAuthenticationRequest {
            aaguid: match &key {
                CredentialKey::Aaguid(u) => u.hyphenated().to_string(),
                CredentialKey::KeyIdentifier(_) => String::new(),
            },
            flags: c.flags,
            registration_trust: c.registration_trust.clone(),
            ..Default::default()
        };
        let (aaguid, flags, trust) = authentication_request(&request).map_err(|e| match e {
            ApiError::InvalidArgument { field: f, reason } => {
                ApiError::InvalidArgument { field: field(&f), reason }
            }
            other => other,
        })?;
        let mut facts = crate::policy::AuthenticationFacts::new(aaguid, flags);
        facts.registration_trust = trust;
        Some(facts)
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
        current_status: v.current_status.clone().unwrap_or_default(),
        status_effective_date: v.status_effective_date.map(|d| d.to_string()).unwrap_or_default(),
        changed_since_registration: v.changed_since_registration,
        description: v.description.clone().unwrap_or_default(),
        policy: decision.map(policy_decision),
    }
}
