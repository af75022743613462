//! Passkey-provider names in answers (VerifyRegistration, GetAuthenticator) and the state of
//! the list (GetMetadataInfo). Every name is marked claimed.

use uuid::Uuid;

use super::super::super::passkey_providers::{PasskeyProviders, BUNDLED_SOURCE};
use super::super::super::proto;
use super::metadata::public_source;
use super::timestamp;
use crate::passkey_providers::PROVENANCE_CLAIMED;

/// The provider `aaguid` names, if listed (never for the nil AAGUID).
pub fn passkey_provider(
    providers: &PasskeyProviders,
    aaguid: Option<&Uuid>,
) -> Option<proto::PasskeyProvider> {
    let served = providers.current();
    let name = served.list.name(aaguid?)?;
    Some(proto::PasskeyProvider {
        name: name.to_string(),
        provenance: PROVENANCE_CLAIMED.to_string(),
        list_source: list_source(&served.source),
    })
}

/// GetMetadataInfo.passkey_providers.
pub fn passkey_providers_info(providers: &PasskeyProviders) -> proto::PasskeyProvidersInfo {
    let served = providers.current();
    let status = providers.status();
    proto::PasskeyProvidersInfo {
        source: list_source(&served.source),
        names: u32::try_from(served.list.len()).unwrap_or(u32::MAX),
        sha256: served.sha256.clone(),
        loaded_at: served.loaded_at.map(timestamp),
        configured: status.configured.as_deref().map(public_source).unwrap_or_default(),
        last_error: status.last_error.unwrap_or_default(),
        last_attempt_at: status.last_attempt_at.map(timestamp),
        source_empty: status.source_empty,
        skipped: u32::try_from(served.list.skipped().len()).unwrap_or(u32::MAX),
    }
}

/// The bundled label as is; a configured source as callers may see it (no local paths, no
/// URL credentials).
fn list_source(source: &str) -> String {
    if source == BUNDLED_SOURCE {
        source.to_string()
    } else {
        public_source(source)
    }
}
