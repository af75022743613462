//! VerifyRegistration: the request checked and converted, then one judgement by the core
//! ([`registration::begin`]: the attestation verified and the passkey profiles applied at one
//! `now`) — on the worker when the core can answer at bounded cost, else finished on the slow
//! path without decoding again — and the response converted.

use super::super::proto::{VerifyRegistrationRequest, VerifyRegistrationResponse};
use super::{convert, ApiError, Service};
use crate::attestation::RegistrationInput;
use crate::registration::{self, Registration, RegistrationStep};

pub(super) async fn handle(
    svc: &Service,
    mut req: VerifyRegistrationRequest,
) -> Result<VerifyRegistrationResponse, ApiError> {
    let now = svc.shared.now();
    let expectations = convert::expectations(&req)?;
    convert::user_groups(req.user_groups.len())?;
    let policy = svc.profiles(&req.profile, std::mem::take(&mut req.user_groups))?;
    let (loaded, stale) = svc.metadata(now)?;
    let judging = Registration {
        input: RegistrationInput {
            attestation_object: &req.attestation_object,
            client_data_json: &req.client_data_json,
            expectations: expectations.as_ref(),
        },
        store: Some(&loaded.blob.store),
        policy: policy.as_ref().map(|(set, choice)| (set, choice)),
        now,
    };
    let verdict = match registration::begin(&svc.verifier, &judging) {
        RegistrationStep::Done(verdict) => svc.offload.inline(verdict),
        RegistrationStep::Deferred(deferred) => {
            let verifier = svc.verifier.clone();
            svc.offload.run("verification", move || deferred.finish(&verifier)).await?
        }
    };
    let mut response =
        convert::registration_response(&verdict, loaded.blob.no, stale, expectations.is_some());
    response.passkey_provider =
        convert::passkey_provider(&svc.shared.providers, verdict.result.aaguid.as_ref());
    if req.enterprise_attestation {
        response.serial_number = verdict.result.serial_number.clone().unwrap_or_default();
    }
    // Only registered format names become label values: `fmt` is attacker-chosen and
    // free-form, and every distinct label value is a new time series.
    let result = &verdict.result;
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
