//! The further BLOB sources (`[[blob_source]]`) in GetMetadataInfo.

use time::OffsetDateTime;

use super::super::super::blob_sources::BlobSourceStatus;
use super::super::super::proto;
use super::timestamp;

/// One further source as GetMetadataInfo answers it at `now`.
pub fn blob_source_info(s: &BlobSourceStatus, now: OffsetDateTime) -> proto::BlobSourceInfo {
    let mut info = proto::BlobSourceInfo {
        name: s.name.clone(),
        served: s.served,
        serve_until: s.serve_until.map(timestamp),
        last_error: s.last_error.clone().unwrap_or_default(),
        last_refresh_at: s.last_refresh_at.map(timestamp),
        last_success_at: s.last_success_at.map(timestamp),
        consecutive_failures: s.consecutive_failures,
        next_refresh_at: s.next_refresh_at.map(timestamp),
        roots_sha256: s.roots_sha256.clone(),
        ..proto::BlobSourceInfo::default()
    };
    if let Some(held) = &s.held {
        info.loaded = true;
        info.no = held.no;
        info.next_update = held.next_update.to_string();
        info.stale = held.is_stale(now);
        info.entry_count = u32::try_from(held.entries).unwrap_or(u32::MAX);
        info.verified_at = Some(timestamp(held.verified_at));
    }
    info
}
