//! GetMetadataInfo: the served BLOB, the refresh status and the passkey profiles in force.

use time::OffsetDateTime;

use super::super::super::proto;
use super::super::super::state::{Loaded, RefreshStatus};
use super::timestamp;

/// Where the BLOB came from, as callers may see it: a URL without credentials or query, or
/// "local file" for a file source (its path is server-side detail, logged at start-up only).
pub fn public_source(source: &str) -> String {
    match source.split_once("://") {
        Some((scheme, rest)) if !scheme.eq_ignore_ascii_case("file") => {
            let rest = rest.split(['?', '#']).next().unwrap_or_default();
            let rest = match rest.split_once('@') {
                Some((userinfo, host)) if !userinfo.contains('/') => host,
                _ => rest,
            };
            format!("{scheme}://{rest}")
        }
        _ => "local file".to_string(),
    }
}

/// GetMetadataInfo from the shared state.
pub fn metadata_info(
    loaded: Option<&Loaded>,
    status: &RefreshStatus,
    serve_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> proto::GetMetadataInfoResponse {
    let mut info = proto::GetMetadataInfoResponse {
        last_error: status.last_error.clone().unwrap_or_default(),
        last_refresh_at: status.last_refresh_at.map(timestamp),
        next_refresh_at: status.next_refresh_at.map(timestamp),
        ..Default::default()
    };
    let Some(loaded) = loaded else { return info };
    let blob = &loaded.blob;
    info.loaded = true;
    info.no = blob.no;
    info.next_update = blob.next_update.to_string();
    info.source = if loaded.restored {
        format!("state-dir (originally {})", public_source(&loaded.source))
    } else {
        public_source(&loaded.source)
    };
    info.fetched_at = Some(timestamp(loaded.fetched_at));
    info.verified_at = Some(timestamp(loaded.verified_at));
    info.anchor = Some(proto::TrustAnchor {
        sha256: blob.anchor.cert.sha256_hex(),
        label: blob.anchor.label.clone(),
    });
    info.entry_count = u32::try_from(blob.store.entries().len()).unwrap_or(u32::MAX);
    info.quarantined = blob
        .quarantined
        .iter()
        .map(|q| proto::QuarantinedEntry {
            index: u32::try_from(q.index).unwrap_or(u32::MAX),
            id: q.id.clone().unwrap_or_default(),
            reason: q.reason.to_string(),
        })
        .collect();
    info.stale = blob.is_stale(now);
    info.serve_until = serve_until.map(timestamp);
    info.jws_alg = blob.alg.as_str().to_string();
    info.revocation_checked = blob.revocation_checked;
    info.legal_header = blob.legal_header.clone().unwrap_or_default();
    info.entry_warnings = blob
        .warnings
        .iter()
        .map(|w| proto::EntryWarning {
            index: u32::try_from(w.index).unwrap_or(u32::MAX),
            id: w.id.clone().unwrap_or_default(),
            note: w.note.to_string(),
        })
        .collect();
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(k, v)| (k.clone(), u32::try_from(*v).unwrap_or(u32::MAX))).collect()
    };
    info.unknown_fields = counts(&blob.unknown.fields);
    info.unknown_statuses = counts(&blob.unknown.statuses);
    info
}

/// GetMetadataInfo.policy from the reload state; `None` without `[policy]`.
pub fn policy_info(
    holder: &crate::daemon::policy_reload::PolicyHolder,
) -> Option<proto::PolicyInfo> {
    let set = holder.current();
    let status = holder.status();
    if set.is_none() && status.last_error.is_none() {
        return None;
    }
    let profiles: Vec<String> = set
        .as_ref()
        .map(|set| set.profile_names().into_iter().map(str::to_string).collect())
        .unwrap_or_default();
    Some(proto::PolicyInfo {
        sha256: status.sha256.clone().unwrap_or_default(),
        generation: status.generation,
        loaded_at: status.loaded_at.map(timestamp),
        profiles,
        last_reload_error: status.last_error.clone().unwrap_or_default(),
        last_reload_at: status.last_reload_at.map(timestamp),
        config_file: holder.config_file().map(|p| p.display().to_string()).unwrap_or_default(),
    })
}

/// GetMetadataInfo.operator_statements: the statements in force, each with the keys signed
/// metadata in `store` answers for instead; `None` when none are configured.
pub fn operator_statements_info(
    status: &crate::daemon::statements::StatementsStatus,
    store: Option<&crate::trust_store::TrustStore>,
) -> Option<proto::OperatorStatementsInfo> {
    use crate::daemon::statements::{keys, origin_file, shadowed};
    if status.configured.is_empty() {
        return None;
    }
    let shadowed = store.map(shadowed).unwrap_or_default();
    let statements = status
        .entries
        .iter()
        .map(|entry| {
            let file = origin_file(entry).to_string();
            let shadowed_keys: Vec<String> = shadowed
                .iter()
                .filter(|s| s.file == file)
                .map(|s| format!("{} by {}", s.key, s.by))
                .collect();
            proto::OperatorStatement {
                keys: keys(entry),
                description: entry.description().unwrap_or_default().to_string(),
                shadowed: !shadowed_keys.is_empty(),
                shadowed_keys,
                file,
            }
        })
        .collect();
    Some(proto::OperatorStatementsInfo {
        statements,
        last_reload_error: status.last_error.clone().unwrap_or_default(),
        loaded_at: status.loaded_at.map(timestamp),
        last_reload_at: status.last_reload_at.map(timestamp),
    })
}
