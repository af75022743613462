//! WatchStatusChanges: one event, and its cause.

use super::super::super::proto;
use super::{status_name, timestamp};

/// The proto form of an event's cause.
pub fn change_cause(c: crate::daemon::watch::ChangeCause) -> proto::ChangeCause {
    use crate::daemon::watch::ChangeCause;
    match c {
        ChangeCause::NewBlob => proto::ChangeCause::NewBlob,
        ChangeCause::EffectiveDate => proto::ChangeCause::EffectiveDate,
        ChangeCause::SourceChanged => proto::ChangeCause::SourceChanged,
    }
}

/// One WatchStatusChanges event.
pub fn change_event(
    e: &crate::daemon::watch::ChangeEvent,
    replayed: bool,
) -> proto::StatusChangeEvent {
    use crate::changes::ChangeKind;
    proto::StatusChangeEvent {
        metadata_no: e.no,
        previous_no: e.previous_no,
        changes: e
            .changes
            .iter()
            .map(|c| proto::StatusChange {
                kind: match c.kind {
                    ChangeKind::StatusChanged => proto::ChangeKind::StatusChanged,
                    ChangeKind::Added => proto::ChangeKind::Added,
                    ChangeKind::Removed => proto::ChangeKind::Removed,
                } as i32,
                aaguid: c.aaguid.map(|u| u.hyphenated().to_string()).unwrap_or_default(),
                key_identifiers: c.key_identifiers.clone(),
                aaid: c.aaid.clone().unwrap_or_default(),
                description: c.description.clone().unwrap_or_default(),
                old_status: status_name(c.old_status.as_ref()),
                new_status: status_name(c.new_status.as_ref()),
                effective_date: c.effective_date.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        replayed,
        installed_at: Some(timestamp(e.installed_at)),
        sequence: e.sequence,
        cause: change_cause(e.cause) as i32,
    }
}
