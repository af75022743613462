//! EvaluateAuthentication: a sign-in decided by the passkey profiles, on what the relying party
//! stored at registration, this assertion's flags and today's metadata.

use time::OffsetDateTime;

use super::super::credentials::decide_authentication;
use super::super::proto::{EvaluateAuthenticationRequest, EvaluateAuthenticationResponse};
use super::{convert, ApiError, Service};
use crate::policy::{AuthenticationFacts, MAX_USER_GROUPS};

pub(super) async fn handle(
    svc: &Service,
    req: EvaluateAuthenticationRequest,
) -> Result<EvaluateAuthenticationResponse, ApiError> {
    let policy = svc.policy_for(&req.profile)?.ok_or(ApiError::PolicyNotConfigured)?;
    let (aaguid, flags, trust) = convert::authentication_request(&req)?;
    if req.user_groups.len() > MAX_USER_GROUPS {
        return Err(ApiError::invalid(
            "user_groups",
            format!("{} groups, more than {MAX_USER_GROUPS}", req.user_groups.len()),
        ));
    }
    let (loaded, stale) = svc.metadata()?;
    let mut facts = AuthenticationFacts::new(aaguid, flags);
    facts.registration_trust = trust;
    let facts = facts.with_metadata_from(&loaded.blob.store, OffsetDateTime::now_utc());
    let decision = decide_authentication(&policy, &facts, &req.user_groups, &req.profile);
    Ok(EvaluateAuthenticationResponse {
        policy: Some(convert::policy_decision(&decision)),
        metadata_no: loaded.blob.no,
        metadata_stale: stale,
    })
}
