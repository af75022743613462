//! GetMetadataInfo: what is served (the BLOB, its anchor, staleness, quarantine), how the last
//! refresh went, the passkey profiles, the passkey-provider names in force and the further
//! BLOB sources.

use super::super::proto::GetMetadataInfoResponse;
use super::super::state::legal_header_sha256;
use super::{convert, ApiError, Service};

pub(super) async fn handle(svc: &Service) -> Result<GetMetadataInfoResponse, ApiError> {
    let now = svc.shared.now();
    let status = svc.shared.status();
    let current = svc.shared.current();
    let serve_until = current.as_ref().and_then(|l| svc.shared.serve_until(l, now));
    let mut info = convert::metadata_info(current.as_deref(), &status, serve_until, now);
    info.policy = convert::policy_info(&svc.policy);
    info.danger_clock = svc.shared.pinned_clock().map(convert::timestamp);
    info.passkey_providers = Some(convert::passkey_providers_info(&svc.shared.providers));
    if let Some(loaded) = &current {
        info.legal_header_sha256 = legal_header_sha256(&loaded.blob);
        info.legal_header_changed = svc.shared.legal_header_changed(&loaded.blob) == Some(true);
    }
    info.operator_statements = convert::operator_statements_info(
        &svc.shared.statements.status(),
        current.as_ref().map(|l| &*l.blob.store),
    );
    info.blob_sources =
        svc.shared.blob_sources.all().iter().map(|s| convert::blob_source_info(s, now)).collect();
    info.accepted_legal_header_sha256 =
        svc.shared.accepted_legal_header.get().cloned().unwrap_or_default();
    Ok(info)
}
