//! Display names of passkey providers by AAGUID (iCloud Keychain, Google Password Manager,
//! 1Password, …), read from the community-maintained list
//! (github.com/passkeydeveloper/passkey-authenticator-aaguids, `aaguid.json`).
//!
//! **A name from this list is never evidence.** Synced passkeys come with `none` attestation:
//! the AAGUID they carry is the client's claim, and any software can send any AAGUID. Upstream
//! says the list is community driven, meant for naming passkeys in account-management pages,
//! not for security decisions (FIDO MDS is the authoritative source). So this module only
//! names: the policy never reads it, and every answer that shows a name marks it as claimed
//! ([`PROVENANCE_CLAIMED`]).
//!
//! Upstream also says it may retire the list by publishing an empty object. An empty list is
//! therefore parsed (it is well-formed) but reported by [`ProviderList::is_empty`]; the daemon
//! does not replace a non-empty list with it and says so (docs/daemon.md).
//!
//! Pure: bytes in, a value out. Fetching and reloading live in the daemon.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

/// Largest list accepted, in bytes (upstream with its icons is well under 2 MiB).
pub const MAX_LIST_BYTES: usize = 8 * 1024 * 1024;
/// Most entries read from one list.
pub const MAX_ENTRIES: usize = 10_000;
/// Longest display name kept, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// The provenance every answer gives a provider name: the AAGUID it was looked up by is the
/// client's claim unless an attestation trusted through MDS vouches for it, and the list
/// itself is community data.
pub const PROVENANCE_CLAIMED: &str = "claimed";

/// Why a list was refused as a whole (a defect in one entry only skips that entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderListError {
    #[error("passkey-provider list is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error("passkey-provider list is not JSON: {detail}")]
    NotJson { detail: String },
    /// Upstream's format is one object keyed by AAGUID.
    #[error("passkey-provider list is a JSON {found}, not an object keyed by AAGUID")]
    NotAnObject { found: &'static str },
    #[error("passkey-provider list has {count} entries, more than the {max} accepted")]
    TooManyEntries { count: usize, max: usize },
}

/// Why one entry was left out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    #[error("key is not an AAGUID (UUID)")]
    NotAnAaguid,
    #[error("the nil AAGUID names no provider")]
    NilAaguid,
    #[error("same AAGUID as an earlier key")]
    Duplicate,
    #[error("no string member `name`")]
    NoName,
    #[error("name is empty, longer than {MAX_NAME_BYTES} bytes or has control characters")]
    BadName,
}

/// One entry left out, with its key as given (truncated to 64 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub key: String,
    pub reason: SkipReason,
}

/// A parsed list: AAGUID → display name. Immutable; replace it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderList {
    names: BTreeMap<Uuid, String>,
    skipped: Vec<Skipped>,
}

impl ProviderList {
    /// Parses upstream's `aaguid.json` format: `{ "<aaguid>": { "name": "…", … }, … }`. Other
    /// members of an entry (the icons) are ignored; AAGUID keys are matched case-insensitively.
    /// An entry with a bad key or name is skipped and listed in [`ProviderList::skipped`].
    pub fn parse(bytes: &[u8]) -> Result<ProviderList, ProviderListError> {
        if bytes.len() > MAX_LIST_BYTES {
            return Err(ProviderListError::TooLarge { size: bytes.len(), max: MAX_LIST_BYTES });
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| ProviderListError::NotJson { detail: e.to_string() })?;
        let Value::Object(map) = value else {
            return Err(ProviderListError::NotAnObject { found: json_kind(&value) });
        };
        if map.len() > MAX_ENTRIES {
            return Err(ProviderListError::TooManyEntries { count: map.len(), max: MAX_ENTRIES });
        }
        let mut list = ProviderList::default();
        for (key, entry) in &map {
            let mut skip =
                |reason| list.skipped.push(Skipped { key: key.chars().take(64).collect(), reason });
            let Ok(aaguid) = Uuid::try_parse(key.trim()) else {
                skip(SkipReason::NotAnAaguid);
                continue;
            };
            if aaguid.is_nil() {
                skip(SkipReason::NilAaguid);
                continue;
            }
            let Some(name) = entry.get("name").and_then(Value::as_str) else {
                skip(SkipReason::NoName);
                continue;
            };
            let name = name.trim();
            if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control)
            {
                skip(SkipReason::BadName);
                continue;
            }
            if list.names.contains_key(&aaguid) {
                skip(SkipReason::Duplicate);
                continue;
            }
            list.names.insert(aaguid, name.to_string());
        }
        Ok(list)
    }

    /// The display name for `aaguid`, if listed. The nil AAGUID is never listed.
    pub fn name(&self, aaguid: &Uuid) -> Option<&str> {
        self.names.get(aaguid).map(String::as_str)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True for an empty list: upstream's way of retiring it (or a list whose every entry was
    /// skipped). Callers report it rather than serve it silently.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Entries left out, in key order.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

    #[test]
    fn upstream_shape_with_icons_is_read_and_names_are_looked_up_case_insensitively() {
        let json = format!(
            r#"{{"{}": {{"name": "iCloud Keychain", "icon_dark": "data:image/svg+xml;base64,AA==",
                 "icon_light": "data:image/svg+xml;base64,AA=="}},
                "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": {{"name": "Google Password Manager"}}}}"#,
            ICLOUD.to_uppercase()
        );
        let list = ProviderList::parse(json.as_bytes()).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.skipped().is_empty());
        assert_eq!(list.name(&Uuid::parse_str(ICLOUD).unwrap()), Some("iCloud Keychain"));
        assert_eq!(list.name(&Uuid::nil()), None);
        assert_eq!(list.name(&Uuid::from_u128(7)), None);
    }

    #[test]
    fn bad_entries_are_skipped_with_their_reason() {
        let json = format!(
            r#"{{"not-a-uuid": {{"name": "x"}},
                "00000000-0000-0000-0000-000000000000": {{"name": "nil"}},
                "{ICLOUD}": {{"name": "iCloud Keychain"}},
                "{up}": {{"name": "again"}},
                "11111111-1111-1111-1111-111111111111": {{"icon_dark": "…"}},
                "22222222-2222-2222-2222-222222222222": {{"name": "bell\u0007"}},
                "33333333-3333-3333-3333-333333333333": {{"name": "{long}"}},
                "44444444-4444-4444-4444-444444444444": "just a string"}}"#,
            up = ICLOUD.to_uppercase(),
            long = "n".repeat(MAX_NAME_BYTES + 1),
        );
        let list = ProviderList::parse(json.as_bytes()).unwrap();
        assert_eq!(list.len(), 1);
        let mut reasons: Vec<_> = list.skipped().iter().map(|s| s.reason.clone()).collect();
        reasons.sort_by_key(|r| r.to_string());
        let mut expected = vec![
            SkipReason::NotAnAaguid,
            SkipReason::NilAaguid,
            SkipReason::Duplicate,
            SkipReason::NoName,
            SkipReason::BadName,
            SkipReason::BadName,
            SkipReason::NoName,
        ];
        expected.sort_by_key(|r| r.to_string());
        assert_eq!(reasons, expected);
        // One spelling is kept, the other is the duplicate.
        let kept = list.name(&Uuid::parse_str(ICLOUD).unwrap());
        assert!(matches!(kept, Some("again" | "iCloud Keychain")), "{kept:?}");
    }

    #[test]
    fn the_retired_list_is_well_formed_and_empty() {
        let list = ProviderList::parse(b"{}").unwrap();
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
    }

    #[test]
    fn whole_list_errors() {
        assert!(matches!(ProviderList::parse(b"{"), Err(ProviderListError::NotJson { .. })));
        assert_eq!(
            ProviderList::parse(b"[]"),
            Err(ProviderListError::NotAnObject { found: "array" })
        );
        let big = vec![b' '; MAX_LIST_BYTES + 1];
        assert_eq!(
            ProviderList::parse(&big),
            Err(ProviderListError::TooLarge { size: MAX_LIST_BYTES + 1, max: MAX_LIST_BYTES })
        );
        let many: Vec<String> = (0..=MAX_ENTRIES as u128)
            .map(|i| format!(r#""{}":{{"name":"p"}}"#, Uuid::from_u128(i + 1)))
            .collect();
        let many = format!("{{{}}}", many.join(","));
        assert_eq!(
            ProviderList::parse(many.as_bytes()),
            Err(ProviderListError::TooManyEntries { count: MAX_ENTRIES + 1, max: MAX_ENTRIES })
        );
    }
}
