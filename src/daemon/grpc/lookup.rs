//! GetAuthenticator (one entry by AAGUID, key identifier or AAID, or a passkey provider's name) and ListAuthenticators (pages
//! of entries, filtered by description and status, tokens bound to the BLOB served): one call
//! into the core's [`catalog`] each, at one `now`.

use super::super::proto::{
    GetAuthenticatorRequest, GetAuthenticatorResponse, ListAuthenticatorsRequest,
    ListAuthenticatorsResponse,
};
use super::{convert, ApiError, Service};
use crate::attestation::EntryKey;
use crate::catalog::{self, Filter};

/// Default and largest ListAuthenticators page.
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 500;

pub(super) async fn get_authenticator(
    svc: &Service,
    req: GetAuthenticatorRequest,
) -> Result<GetAuthenticatorResponse, ApiError> {
    let now = svc.shared.now();
    let key = convert::lookup_key(req)?;
    let (loaded, stale) = svc.metadata(now)?;
    let found = catalog::lookup(&loaded.blob.store, &key, now);
    // A passkey provider's AAGUID (synced passkeys are mostly not in the MDS) is answered with
    // its name, marked claimed, instead of NOT_FOUND.
    let provider = match &key {
        EntryKey::Aaguid(aaguid) => convert::passkey_provider(&svc.shared.providers, Some(aaguid)),
        _ => None,
    };
    if found.is_none() && provider.is_none() {
        return Err(ApiError::NotFound {
            what: format!("no metadata entry for {key} in BLOB no {}", loaded.blob.no),
        });
    }
    Ok(GetAuthenticatorResponse {
        authenticator: found.map(|found| convert::authenticator(&found, true)),
        metadata_no: loaded.blob.no,
        metadata_stale: stale,
        passkey_provider: provider,
    })
}

pub(super) async fn list_authenticators(
    svc: &Service,
    req: ListAuthenticatorsRequest,
) -> Result<ListAuthenticatorsResponse, ApiError> {
    let now = svc.shared.now();
    let page_size = match req.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n => (n as usize).min(MAX_PAGE_SIZE),
    };
    let (loaded, stale) = svc.metadata(now)?;
    let no = loaded.blob.no;
    let offset = match req.page_token.as_str() {
        "" => 0,
        token => {
            let (token_no, offset) = convert::parse_page_token(token)?;
            if token_no != no {
                return Err(ApiError::PageTokenStale { token_no, current_no: no });
            }
            offset
        }
    };
    let filter =
        Filter { description_contains: &req.description_contains, statuses: &req.statuses };
    let matching = catalog::list(&loaded.blob.store, &filter, now);
    let page: Vec<_> = matching
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|listing| convert::authenticator(listing, req.include_entry_json))
        .collect();
    let end = offset.saturating_add(page.len());
    let next_page_token =
        if end < matching.len() { convert::page_token(no, end) } else { String::new() };
    Ok(ListAuthenticatorsResponse {
        authenticators: page,
        next_page_token,
        total_size: u32::try_from(matching.len()).unwrap_or(u32::MAX),
        metadata_no: no,
        metadata_stale: stale,
    })
}
