//! VerifyRegistration: the request checked and converted, the attestation verified (inline when
//! the core can answer at bounded cost, else on the slow path), the passkey profiles applied to
//! the core's facts, the response converted.

use time::OffsetDateTime;

use super::super::proto::{VerifyRegistrationRequest, VerifyRegistrationResponse};
use super::{convert, ApiError, Service};
use crate::attestation::RegistrationInput;
use crate::policy::{RegistrationFacts, MAX_USER_GROUPS};

pub(super) async fn handle(
    svc: &Service,
    mut req: VerifyRegistrationRequest,
) -> Result<VerifyRegistrationResponse, ApiError> {
    let expectations = convert::expectations(&req)?;
    if req.user_groups.len() > MAX_USER_GROUPS {
        return Err(ApiError::invalid(
            "user_groups",
            format!("{} groups, more than {MAX_USER_GROUPS}", req.user_groups.len()),
        ));
    }
    let policy = svc.profiles(&req.profile, std::mem::take(&mut req.user_groups))?;
    let (loaded, stale) = svc.metadata()?;
    let now = OffsetDateTime::now_utc();
    let store = loaded.blob.store.clone();
    let inline = svc.verifier.verify_registration_cached(
        &RegistrationInput {
            attestation_object: &req.attestation_object,
            client_data_json: &req.client_data_json,
            expectations: expectations.as_ref(),
        },
        Some(&store),
        now,
    );
    let (result, _req, expectations) = match inline {
        Some(result) => svc.offload.inline((result, req, expectations)),
        None => {
            let verifier = svc.verifier.clone();
            let store = store.clone();
            svc.offload
                .run("verification", move || {
                    let input = RegistrationInput {
                        attestation_object: &req.attestation_object,
                        client_data_json: &req.client_data_json,
                        expectations: expectations.as_ref(),
                    };
                    (verifier.verify_registration(&input, Some(&store), now), req, expectations)
                })
                .await?
        }
    };
    // Policy kept apart from mechanism: the profiles judge the core's facts.
    let facts = RegistrationFacts::from_attestation(&result, now);
    let decision = policy.map(|(set, choice)| set.decide_registration(&facts, &choice));
    let (trust, ceremony_checked) = (facts.trust, expectations.is_some());
    let mut response =
        convert::registration_response(&result, loaded.blob.no, stale, ceremony_checked);
    response.policy = decision.as_ref().map(convert::policy_decision);
    response.attestation_trust = trust.as_str().to_string();
    // Only registered format names become label values: `fmt` is attacker-chosen and
    // free-form, and every distinct label value is a new time series.
    let format_label = result.format.map(|f| f.as_str()).unwrap_or(if result.fmt.is_some() {
        "unknown"
    } else {
        "undecodable"
    });
    svc.shared.metrics.verification(
        "VerifyRegistration",
        format_label,
        convert::verdict_name(response.verdict),
    );
    Ok(response)
}
