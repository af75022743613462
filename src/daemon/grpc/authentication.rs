//! EvaluateAuthentication: a sign-in decided by the passkey profiles on what the relying party
//! stored at registration, this assertion's flags and today's metadata — one core call
//! ([`PolicySet::decide_sign_in`]) at one `now`.
//!
//! [`PolicySet::decide_sign_in`]: crate::policy::PolicySet::decide_sign_in

use super::super::proto::{EvaluateAuthenticationRequest, EvaluateAuthenticationResponse};
use super::{convert, ApiError, Service};

pub(super) async fn handle(
    svc: &Service,
    mut req: EvaluateAuthenticationRequest,
) -> Result<EvaluateAuthenticationResponse, ApiError> {
    let now = svc.shared.now();
    let groups = std::mem::take(&mut req.user_groups);
    let groups_count = groups.len();
    let (policy, choice) =
        svc.profiles(&req.profile, groups)?.ok_or(ApiError::PolicyNotConfigured)?;
    let facts = convert::authentication_request(&req)?;
    convert::user_groups(groups_count)?;
    let (loaded, stale) = svc.metadata(now)?;
    let decision = policy.decide_sign_in(facts, &loaded.blob.store, &choice, now);
    Ok(EvaluateAuthenticationResponse {
        policy: Some(convert::policy_decision(&decision)),
        metadata_no: loaded.blob.no,
        metadata_stale: stale,
    })
}
