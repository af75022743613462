//! ValidateAttestationChain: a caller-supplied x5c judged for a named metadata entry, with the
//! rules, anchors and chain cache of VerifyRegistration; path building only on the slow path.

use time::OffsetDateTime;

use super::super::proto::{ValidateAttestationChainRequest, ValidateAttestationChainResponse};
use super::{convert, ApiError, Service};

pub(super) async fn handle(
    svc: &Service,
    req: ValidateAttestationChainRequest,
) -> Result<ValidateAttestationChainResponse, ApiError> {
    let (key, chain) = convert::chain_request(&req)?;
    let (loaded, stale) = svc.metadata()?;
    let now = OffsetDateTime::now_utc();
    let store = loaded.blob.store.clone();
    let inline = svc.verifier.validate_chain_cached(key.entry_key(), &chain, &store, now);
    let (outcome, chain) = match inline {
        Some(outcome) => svc.offload.inline((outcome, chain)),
        None => {
            let verifier = svc.verifier.clone();
            let key = key.clone();
            svc.offload
                .run("validation", move || {
                    (verifier.validate_chain(key.entry_key(), &chain, &store, now), chain)
                })
                .await?
        }
    };
    let mut response = convert::chain_response(&outcome, &chain, now);
    response.metadata_no = loaded.blob.no;
    response.metadata_stale = stale;
    svc.shared.metrics.verification(
        "ValidateAttestationChain",
        "x5c",
        convert::verdict_name(response.verdict),
    );
    Ok(response)
}
