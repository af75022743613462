//! GetMetadataInfo: what is served (the BLOB, its anchor, staleness, quarantine), how the last
//! refresh went, and the passkey profiles in force.

use super::super::proto::GetMetadataInfoResponse;
use super::{convert, ApiError, Service};

pub(super) async fn handle(svc: &Service) -> Result<GetMetadataInfoResponse, ApiError> {
    let now = svc.shared.now();
    let status = svc.shared.status();
    let current = svc.shared.current();
    let serve_until = current.as_ref().and_then(|l| svc.shared.serve_until(l, now));
    let mut info = convert::metadata_info(current.as_deref(), &status, serve_until, now);
    info.policy = convert::policy_info(&svc.policy);
    info.danger_clock = svc.shared.pinned_clock().map(convert::timestamp);
    Ok(info)
}
