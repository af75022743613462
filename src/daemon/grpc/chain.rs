//! ValidateAttestationChain: a caller-supplied x5c judged for a named metadata entry, with the
//! rules, anchors and chain cache of VerifyRegistration, in one core call at one `now`: on the
//! worker when the chain cache answers ([`Verifier::validate_chain_cached`]), else path
//! building on the slow path.
//!
//! [`Verifier::validate_chain_cached`]: crate::attestation::Verifier::validate_chain_cached

use super::super::proto::{ValidateAttestationChainRequest, ValidateAttestationChainResponse};
use super::{convert, ApiError, Service};

pub(super) async fn handle(
    svc: &Service,
    req: ValidateAttestationChainRequest,
) -> Result<ValidateAttestationChainResponse, ApiError> {
    let now = svc.shared.now();
    let (key, chain) = convert::chain_request(&req)?;
    let (loaded, stale) = svc.metadata(now)?;
    let store = loaded.blob.store.clone();
    let inline = svc.verifier.validate_chain_cached(&key, &chain, &store, now);
    let (outcome, chain) = match inline {
        Some(outcome) => svc.offload.inline((outcome, chain)),
        None => {
            let verifier = svc.verifier.clone();
            let key = key.clone();
            svc.offload
                .run("validation", move || {
                    (verifier.validate_chain(&key, &chain, &store, now), chain)
                })
                .await?
        }
    };
    let response = convert::chain_response(&outcome, &chain, loaded.blob.no, stale);
    svc.shared.metrics.verification(
        "ValidateAttestationChain",
        "x5c",
        convert::verdict_name(response.verdict),
    );
    Ok(response)
}
