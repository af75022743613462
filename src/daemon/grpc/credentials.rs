//! CheckCredentials: registered credentials re-judged under today's metadata (and, when asked,
//! their sign-in decided by the passkey profiles) in one core call ([`check_batch`]) at one
//! `now`; small batches inline, large ones on the slow path.

use time::OffsetDateTime;

use super::super::proto::{CheckCredentialsRequest, CheckCredentialsResponse, CredentialCheck};
use super::{convert, ApiError, Service, INLINE_CREDENTIALS};
use crate::credentials::{check_batch, BatchItem, BatchPolicy};
use crate::policy::{PolicySet, ProfileChoice};
use crate::trust_store::{StatusPolicy, TrustStore};

pub(super) async fn handle(
    svc: &Service,
    mut req: CheckCredentialsRequest,
) -> Result<CheckCredentialsResponse, ApiError> {
    let now = svc.shared.now();
    let req_len = req.credentials.len();
    convert::credentials(req_len)?;
    convert::user_groups(req.user_groups.len())?;
    let wants_policy = !req.user_groups.is_empty() || !req.profile.is_empty();
    let policy = if wants_policy {
        let groups = std::mem::take(&mut req.user_groups);
        Some(svc.profiles(&req.profile, groups)?.ok_or(ApiError::PolicyNotConfigured)?)
    } else {
        None
    };
    let (loaded, stale) = svc.metadata(now)?;
    let status_policy = svc.verifier.options().status_policy.clone();
    let store = loaded.blob.store.clone();
    let work = move || {
        let policy = policy.as_ref().map(|(set, choice)| (&**set, choice));
        check_credentials_batch(&store, req, policy, &status_policy, now)
    };
    let results = if req_len <= INLINE_CREDENTIALS {
        svc.offload.inline(work())?
    } else {
        svc.offload.run("check", work).await??
    };
    Ok(CheckCredentialsResponse { results, metadata_no: loaded.blob.no, metadata_stale: stale })
}

/// The work of one CheckCredentials call after its request-level checks: every credential
/// checked and converted ([`convert::stored_credential`]), judged ([`check_batch`]), and
/// converted back. `policy`: the profiles to decide sign-in with and which of them decide
/// ([`crate::policy::PolicySet::choose`]), when the request asks for decisions.
pub fn check_credentials_batch(
    store: &TrustStore,
    req: CheckCredentialsRequest,
    policy: Option<(&PolicySet, &ProfileChoice)>,
    status_policy: &StatusPolicy,
    now: OffsetDateTime,
) -> Result<Vec<CredentialCheck>, ApiError> {
    let items = req
        .credentials
        .iter()
        .enumerate()
        .map(|(i, c)| convert::stored_credential(i, c, policy.is_some()))
        .collect::<Result<Vec<BatchItem>, _>>()?;
    let batch_policy = policy.map(|(policy, choice)| BatchPolicy { policy, choice });
    let judged = check_batch(store, &items, status_policy, batch_policy, now);
    Ok(judged
        .into_iter()
        .zip(req.credentials)
        .enumerate()
        .map(|(i, ((verdict, decision), raw))| {
            convert::credential_check(i, raw.credential_id, &verdict, decision.as_ref())
        })
        .collect())
}
