//! The WatchStatusChanges history on disk (`watch-history.v1`): the last events, the sequence
//! counter and the instant up to which effective-date changes were published
//! ([`HistoryState`]), written with the snapshot's atomic write path ([`write_atomic`]) and read
//! back at start-up. Bounded ([`MAX_HISTORY_BYTES`]: the oldest events are left out to fit),
//! versioned, with a SHA-256 trailer: a damaged file is reported, never half-read.
//!
//! Layout (integers big-endian):
//!
//! ```text
//! magic   "MDSD-WATCH-HISTORY\n"       19 bytes
//! version u32 = 1
//! body    u32 length + JSON {"sequence", "effective_through"? (RFC 3339), "events": [{
//!           "sequence", "cause" ("new_blob" | "effective_date" | "source_changed"), "no", "previous_no",
//!           "installed_at" (RFC 3339), "changes": [{"kind" ("status_changed" | "added" |
//!           "removed"), "aaguid"?, "key_identifiers", "aaid"?, "description"?, "old_status"?,
//!           "new_status"?, "effective_date"? (YYYY-MM-DD)}]}]}
//! sha256  32 bytes over everything above
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{write_atomic, Reader, SnapshotError, StateDir};
use crate::changes::{ChangeKind, StatusChange};
use crate::daemon::files::{read_regular, Symlinks};
use crate::daemon::watch::{ChangeCause, ChangeEvent, HistoryState, HISTORY};
use crate::trust_store::AuthenticatorStatus;

/// File name of the watch history inside the state directory.
pub const WATCH_HISTORY_FILE: &str = "watch-history.v1";
/// The current format version.
pub const WATCH_HISTORY_VERSION: u32 = 1;
/// The largest history file written or read; older events are left out to stay below it.
pub const MAX_HISTORY_BYTES: usize = 4 * 1024 * 1024;
const MAGIC: &[u8; 19] = b"MDSD-WATCH-HISTORY\n";

impl StateDir {
    pub fn watch_history_path(&self) -> PathBuf {
        self.dir.join(WATCH_HISTORY_FILE)
    }

    /// Reads the watch history: `Ok(None)` when there is none yet.
    pub fn load_watch_history(&self) -> Result<Option<HistoryState>, SnapshotError> {
        let path = self.watch_history_path();
        match read_regular(&path, MAX_HISTORY_BYTES as u64, Symlinks::Refuse) {
            Ok(bytes) => decode_history(&bytes, &path).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(SnapshotError::reading(path, e)),
        }
    }

    /// Writes the watch history atomically (temp file, fsync, rename, fsync directory).
    /// Returns how many events were written (the oldest are left out when all would not fit
    /// [`MAX_HISTORY_BYTES`]).
    pub fn store_watch_history(&self, state: &HistoryState) -> Result<usize, SnapshotError> {
        let (bytes, written) = encode_history(state, MAX_HISTORY_BYTES);
        write_atomic(&self.dir, WATCH_HISTORY_FILE, &bytes)
            .map_err(|source| SnapshotError::Io { path: self.watch_history_path(), source })?;
        Ok(written)
    }
}

/// The file for `state`, at most `max` bytes when its newest events allow (the oldest are left
/// out first; the counters are always kept), and how many events it holds.
pub fn encode_history(state: &HistoryState, max: usize) -> (Vec<u8>, usize) {
    let events: Vec<FileEvent> = state.events.iter().map(|e| FileEvent::from(&**e)).collect();
    let mut skip = events.len().saturating_sub(HISTORY);
    loop {
        let body = FileBody {
            sequence: state.sequence,
            effective_through: state.effective_through,
            events: events.get(skip..).unwrap_or_default(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut out = Vec::with_capacity(json.len() + 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&WATCH_HISTORY_VERSION.to_be_bytes());
        out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&json);
        let digest = ring::digest::digest(&ring::digest::SHA256, &out);
        out.extend_from_slice(digest.as_ref());
        if out.len() <= max || skip >= events.len() {
            return (out, events.len() - skip);
        }
        // Leave out an eighth of what is left (at least one event) and try again.
        skip += ((events.len() - skip) / 8).max(1);
    }
}

/// Reads a history file back, checked: magic, version, trailer, then every event (known
/// cause and kind, consecutive sequences ending at most at the counter).
pub fn decode_history(bytes: &[u8], path: &Path) -> Result<HistoryState, SnapshotError> {
    let corrupt = |reason: String| SnapshotError::Corrupt { path: path.to_path_buf(), reason };
    let Some(split) = bytes.len().checked_sub(32) else {
        return Err(corrupt(format!("{} bytes: shorter than any history file", bytes.len())));
    };
    let (content, trailer) = bytes.split_at(split);
    let mut c = Reader { rest: content, at: 0 };
    if c.take(MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(corrupt("not an mdsd watch history (bad magic)".into()));
    }
    let version = c.u32().ok_or_else(|| corrupt("truncated before the version".into()))?;
    if version != WATCH_HISTORY_VERSION {
        return Err(SnapshotError::UnsupportedVersion { path: path.to_path_buf(), version });
    }
    if ring::digest::digest(&ring::digest::SHA256, content).as_ref() != trailer {
        return Err(corrupt("SHA-256 trailer mismatch (torn or altered file)".into()));
    }
    let len = c.u32().ok_or_else(|| corrupt("truncated before the body".into()))?;
    let body = c
        .take(len as usize)
        .filter(|_| c.rest.is_empty())
        .ok_or_else(|| corrupt(format!("body length {len} does not match the file")))?;
    let body: OwnedBody =
        serde_json::from_slice(body).map_err(|e| corrupt(format!("body: {e}")))?;
    let mut events = Vec::with_capacity(body.events.len());
    for (i, e) in body.events.into_iter().enumerate() {
        events.push(Arc::new(e.into_event().map_err(|r| corrupt(format!("event {i}: {r}")))?));
    }
    let consecutive = events.windows(2).all(|w| match w {
        [a, b] => a.sequence.checked_add(1) == Some(b.sequence),
        _ => true,
    });
    if !consecutive || events.last().is_some_and(|e| e.sequence > body.sequence) {
        return Err(corrupt(format!(
            "event sequences are not consecutive up to the counter {}",
            body.sequence
        )));
    }
    Ok(HistoryState { sequence: body.sequence, effective_through: body.effective_through, events })
}

#[derive(Serialize)]
struct FileBody<'a> {
    sequence: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    effective_through: Option<OffsetDateTime>,
    events: &'a [FileEvent],
}

#[derive(Deserialize)]
struct OwnedBody {
    sequence: u64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    effective_through: Option<OffsetDateTime>,
    events: Vec<FileEvent>,
}

#[derive(Serialize, Deserialize)]
struct FileEvent {
    sequence: u64,
    cause: String,
    no: u64,
    previous_no: u64,
    #[serde(with = "time::serde::rfc3339")]
    installed_at: OffsetDateTime,
    changes: Vec<FileChange>,
}

#[derive(Serialize, Deserialize)]
struct FileChange {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aaguid: Option<String>,
    #[serde(default)]
    key_identifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aaid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    old_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    new_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effective_date: Option<Date>,
}

impl From<&ChangeEvent> for FileEvent {
    fn from(e: &ChangeEvent) -> FileEvent {
        FileEvent {
            sequence: e.sequence,
            cause: e.cause.as_str().to_string(),
            no: e.no,
            previous_no: e.previous_no,
            installed_at: e.installed_at,
            changes: e
                .changes
                .iter()
                .map(|c| FileChange {
                    kind: kind_name(c.kind).to_string(),
                    aaguid: c.aaguid.map(|u| u.hyphenated().to_string()),
                    key_identifiers: c.key_identifiers.clone(),
                    aaid: c.aaid.clone(),
                    description: c.description.clone(),
                    old_status: c.old_status.as_ref().map(|s| s.as_str().to_string()),
                    new_status: c.new_status.as_ref().map(|s| s.as_str().to_string()),
                    effective_date: c.effective_date,
                })
                .collect(),
        }
    }
}

impl FileEvent {
    fn into_event(self) -> Result<ChangeEvent, String> {
        let cause = match self.cause.as_str() {
            "new_blob" => ChangeCause::NewBlob,
            "effective_date" => ChangeCause::EffectiveDate,
            "source_changed" => ChangeCause::SourceChanged,
            other => return Err(format!("unknown cause {other:?}")),
        };
        let mut changes = Vec::with_capacity(self.changes.len());
        for c in self.changes {
            let kind = match c.kind.as_str() {
                "status_changed" => ChangeKind::StatusChanged,
                "added" => ChangeKind::Added,
                "removed" => ChangeKind::Removed,
                other => return Err(format!("unknown change kind {other:?}")),
            };
            let aaguid = match c.aaguid.as_deref().map(uuid::Uuid::parse_str) {
                None => None,
                Some(Ok(u)) => Some(u),
                Some(Err(e)) => return Err(format!("aaguid: {e}")),
            };
            changes.push(StatusChange {
                kind,
                aaguid,
                key_identifiers: c.key_identifiers,
                aaid: c.aaid,
                description: c.description,
                old_status: c.old_status.as_deref().map(AuthenticatorStatus::parse),
                new_status: c.new_status.as_deref().map(AuthenticatorStatus::parse),
                effective_date: c.effective_date,
            });
        }
        Ok(ChangeEvent {
            sequence: self.sequence,
            cause,
            no: self.no,
            previous_no: self.previous_no,
            changes,
            installed_at: self.installed_at,
        })
    }
}

fn kind_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::StatusChanged => "status_changed",
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn event(sequence: u64, changes: usize) -> Arc<ChangeEvent> {
        let change = StatusChange {
            kind: ChangeKind::StatusChanged,
            aaguid: Some(uuid::Uuid::from_u128(0xcb69_481e)),
            key_identifiers: vec!["ab".repeat(20)],
            aaid: None,
            description: Some("model A".into()),
            old_status: Some(AuthenticatorStatus::FidoCertifiedL1),
            new_status: Some(AuthenticatorStatus::Unknown("SOMETHING_NEW".into())),
            effective_date: Some(date!(2027 - 01 - 01)),
        };
        Arc::new(ChangeEvent {
            sequence,
            cause: if sequence.is_multiple_of(2) {
                ChangeCause::EffectiveDate
            } else {
                ChangeCause::NewBlob
            },
            no: 10 + sequence,
            previous_no: 9 + sequence,
            changes: vec![change; changes],
            installed_at: datetime!(2027-01-01 00:00 UTC),
        })
    }

    fn state(events: std::ops::RangeInclusive<u64>, changes: usize) -> HistoryState {
        HistoryState {
            sequence: *events.end(),
            effective_through: Some(datetime!(2027-01-01 00:00:01.5 UTC)),
            events: events.map(|s| event(s, changes)).collect(),
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mdsd-history-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn round_trip_through_the_state_dir() {
        let dir = tempdir("round-trip");
        let (state_dir, _) = StateDir::open(&dir).unwrap();
        assert_eq!(state_dir.load_watch_history().unwrap(), None);
        let written = state(5..=9, 2);
        assert_eq!(state_dir.store_watch_history(&written).unwrap(), 5);
        assert_eq!(state_dir.load_watch_history().unwrap(), Some(written));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Too large for the cap: the newest events are kept (still consecutive), the counters too.
    #[test]
    fn the_oldest_events_are_left_out_to_fit_the_cap() {
        let full = state(1..=64, 40);
        let (all, n) = encode_history(&full, usize::MAX);
        assert_eq!(n, 64);
        let (bytes, kept) = encode_history(&full, all.len() / 3);
        assert!(bytes.len() <= all.len() / 3 && kept < 64 && kept > 0, "{kept}");
        let back = decode_history(&bytes, Path::new("h")).unwrap();
        assert_eq!(back.sequence, 64);
        assert_eq!(back.events.first().unwrap().sequence, 64 - kept as u64 + 1);
        assert_eq!(back.events.last().unwrap().sequence, 64);
        // Not even one event fits: the counters alone.
        let (bytes, kept) = encode_history(&full, 10);
        assert_eq!(kept, 0);
        let back = decode_history(&bytes, Path::new("h")).unwrap();
        assert_eq!((back.sequence, back.events.len()), (64, 0));
    }

    #[test]
    fn a_damaged_file_is_never_half_read() {
        let (bytes, _) = encode_history(&state(1..=3, 1), usize::MAX);
        for len in 0..bytes.len() {
            assert!(decode_history(&bytes[..len], Path::new("h")).is_err(), "torn at {len}");
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(decode_history(&flipped, Path::new("h")).is_err(), "bit flipped at {i}");
        }
        let mut other = bytes.clone();
        other[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&2u32.to_be_bytes());
        assert!(matches!(
            decode_history(&other, Path::new("h")),
            Err(SnapshotError::UnsupportedVersion { version: 2, .. })
        ));
    }

    /// A well-formed file whose events skip a sequence, or run past the counter, or name an
    /// unknown cause, is refused (its trailer recomputed: only the checks can catch it).
    #[test]
    fn inconsistent_contents_are_refused() {
        let reseal = |json: serde_json::Value| {
            let body = json.to_string().into_bytes();
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            out.extend_from_slice(&body);
            let d = ring::digest::digest(&ring::digest::SHA256, &out);
            out.extend_from_slice(d.as_ref());
            out
        };
        let (bytes, _) = encode_history(&state(1..=3, 1), usize::MAX);
        let body_start = MAGIC.len() + 8;
        let json: serde_json::Value =
            serde_json::from_slice(&bytes[body_start..bytes.len() - 32]).unwrap();
        assert!(decode_history(&reseal(json.clone()), Path::new("h")).is_ok());
        let mut gap = json.clone();
        gap["events"][1]["sequence"] = 7.into();
        let mut past = json.clone();
        past["sequence"] = 2.into();
        let mut cause = json.clone();
        cause["events"][0]["cause"] = "sunspots".into();
        let mut kind = json;
        kind["events"][0]["changes"][0]["kind"] = "moved".into();
        for bad in [gap, past, cause, kind] {
            let err = decode_history(&reseal(bad), Path::new("h")).unwrap_err();
            assert!(matches!(err, SnapshotError::Corrupt { .. }), "{err}");
        }
    }
}
