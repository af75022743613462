//! The raw passkey-profile configuration (as read from the daemon's TOML file) and its check
//! into a [`PolicySet`], reporting every error at once.
//!
//! Enumerated values are read as strings and checked here, not by serde, so that one bad value
//! does not hide the others. Unknown keys are refused by serde (`deny_unknown_fields`): this is
//! operator configuration, where a misspelt key silently ignored would weaken a policy.

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;
use uuid::Uuid;

use crate::attestation::{AttestationType, Format};
use crate::trust_store::{AuthenticatorStatus, StatusPolicy};

use super::{
    AttestationEnforcement, BackupStates, CertificationLevel, DefaultScope, KeyRestrictionMode,
    KeyRestrictions, MetadataOrigins, PasskeyTypes, PolicySet, Profile,
};

/// Most profiles a configuration may define (besides the default profile).
pub const MAX_PROFILES: usize = 256;
/// Most entries in any one list of a profile (groups, AAGUIDs, formats, statuses).
pub const MAX_LIST_LEN: usize = 10_000;
/// Longest profile or group name, in bytes.
pub const MAX_NAME_LEN: usize = 256;

/// The `[policy]` section: a default profile and named profiles targeted at groups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// A ready-made default profile. `"entra_default"`: Entra ID's default passkey profile —
    /// all users, attestation enforced (with its certified-metadata requirement), device-bound
    /// passkeys only. It is the default profile: `default_profile` may not be given with it.
    #[serde(default)]
    pub preset: Option<String>,
    /// The profile for everyone (see [`DefaultScope`]); absent: users no profile targets are
    /// refused with NO_PROFILE_IN_SCOPE.
    #[serde(default)]
    pub default_profile: Option<ProfileConfig>,
    #[serde(default)]
    pub profiles: Vec<ProfileConfig>,
}

/// One profile, raw. Every enumerated value is a string checked by [`PolicyConfig::build`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Required for `[[profiles]]`; the default profile is called `"default"` unless named.
    pub name: Option<String>,
    /// Only for the default profile: `"fallback"` (default) or `"all_users"`.
    pub scope: Option<String>,
    /// Groups whose members are in scope (not allowed on the default profile).
    #[serde(default)]
    pub include_groups: Vec<String>,
    /// Groups whose members are out of scope, even when included (exclusion wins).
    #[serde(default)]
    pub exclude_groups: Vec<String>,
    /// `"disabled"` (default) or `"registration_only"`.
    pub attestation_enforcement: Option<String>,
    /// Required: a non-empty subset of `"device_bound"`, `"synced"`.
    pub passkey_types: Option<Vec<String>>,
    pub key_restrictions: Option<KeyRestrictionsConfig>,
    /// A FIDO certification level (`"FIDO_CERTIFIED_L1"` … `"FIDO_CERTIFIED_L3plus"`;
    /// `"FIDO_CERTIFIED"` is L1).
    pub min_certification: Option<String>,
    #[serde(default)]
    pub require_user_verification: bool,
    /// Absent: any. Values: `none`, `self`, `basic`, `attca`, `anonca`.
    pub allowed_attestation_types: Option<Vec<String>>,
    /// Absent: any. Values: the WebAuthn format identifiers (`packed`, `tpm`, …).
    pub allowed_formats: Option<Vec<String>>,
    /// Under attestation enforcement (Entra): the verified metadata must show FIDO
    /// certification, user verification and resident-key support. Absent: on exactly when
    /// `attestation_enforcement = "registration_only"`; without enforcement, when set, it reads
    /// the claimed model's metadata.
    pub require_certified_metadata: Option<bool>,
    /// Under attestation enforcement: the kinds of metadata source whose entries may vouch
    /// (`mds`, `blob`: a configured further BLOB source, `operator`: an operator's metadata
    /// statement file). Absent: `["mds", "blob"]`. Allowing `operator` also waives the
    /// FIDO-certification part of `require_certified_metadata` for operator entries (they are
    /// never certified); their UV and resident-key support are still read.
    pub metadata_origins: Option<Vec<String>>,
    /// Absent: any. Values: `not_backed_up` (BS=0), `backed_up` (BS=1), checked at
    /// registration and sign-in.
    pub backup_states: Option<Vec<String>>,
    /// MDS statuses that refuse the authenticator. Absent: REVOKED, ATTESTATION_KEY_COMPROMISE,
    /// USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE, USER_KEY_PHYSICAL_COMPROMISE.
    pub refuse_statuses: Option<Vec<String>>,
}

/// Entra's key restrictions: an allow or block list of AAGUIDs, enforced or not.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRestrictionsConfig {
    #[serde(default)]
    pub enforced: bool,
    /// `"allow"` or `"block"`; required when `enforced`.
    pub mode: Option<String>,
    #[serde(default)]
    pub aaguids: Vec<String>,
}

/// One configuration error. `profile` is the profile's name, or `#<index>` when it has none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("profile {profile}: `name` is missing")]
    MissingName { profile: String },
    #[error(
        "profile {profile}: name {name:?} is not 1–{MAX_NAME_LEN} characters of A–Z a–z 0–9 _ . -"
    )]
    InvalidName { profile: String, name: String },
    #[error("profile name {name:?} is used by more than one profile")]
    DuplicateProfileName { name: String },
    #[error("more than {MAX_PROFILES} profiles ({count})")]
    TooManyProfiles { count: usize },
    #[error("profile {profile}: `{field}` has {count} entries, more than {MAX_LIST_LEN}")]
    ListTooLong { profile: String, field: &'static str, count: usize },
    #[error("profile {profile}: `{field}` = {value:?} is not one of {expected}")]
    UnknownValue { profile: String, field: &'static str, value: String, expected: &'static str },
    #[error("profile {profile}: `{field}` lists {value:?} more than once")]
    DuplicateValue { profile: String, field: &'static str, value: String },
    #[error("profile {profile}: {value:?} in key_restrictions.aaguids is not a UUID: {detail}")]
    MalformedAaguid { profile: String, value: String, detail: String },
    #[error(
        "profile {profile}: the nil AAGUID in an allow list admits every authenticator that \
         hides its model (U2F keys, zeroed-AAGUID passkeys)"
    )]
    NilAaguidAllowed { profile: String },
    #[error("profile {profile}: group name {group:?} is empty, too long, or has surrounding or control whitespace")]
    InvalidGroup { profile: String, group: String },
    #[error("profile {profile}: group {group:?} is both included and excluded")]
    GroupIncludedAndExcluded { profile: String, group: String },
    #[error(
        "profile {profile}: targets no group (`include_groups` is empty), so it never applies"
    )]
    NoTargetGroups { profile: String },
    #[error(
        "profile {profile}: the default profile targets everyone, so `include_groups` is not allowed"
    )]
    DefaultProfileIncludes { profile: String },
    #[error("profile {profile}: `scope` is only for the default profile")]
    ScopeOnNamedProfile { profile: String },
    #[error("profile {profile}: `passkey_types` is missing")]
    MissingPasskeyTypes { profile: String },
    #[error("profile {profile}: `key_restrictions.mode` is missing (allow or block)")]
    MissingKeyRestrictionMode { profile: String },
    #[error("profile {profile}: `min_certification` = {value:?} is not a FIDO certification level (FIDO_CERTIFIED, FIDO_CERTIFIED_L1 … FIDO_CERTIFIED_L3plus)")]
    NotACertificationLevel { profile: String, value: String },
    #[error("`preset` = {value:?} is not one of entra_default")]
    UnknownPreset { value: String },
    #[error("`preset` = {preset:?} defines the default profile; remove `default_profile` (or the preset)")]
    PresetWithDefaultProfile { preset: String },
    /// Entra: attestation cannot be enforced for synced passkeys (they send `none`).
    #[error(
        "profile {profile}: attestation is enforced and synced passkeys are allowed, but synced \
         passkeys send `none` attestation and are not in the MDS, so (as in Entra) enforcement \
         is only for device-bound profiles: put synced passkeys in a profile without \
         enforcement (a user in both profiles may register either)"
    )]
    SyncedWithEnforcement { profile: String },
    /// The profile is well-formed but no passkey can ever satisfy it.
    #[error("profile {profile}: can never be satisfied: {why}")]
    Unsatisfiable { profile: String, why: String },
}

/// Every error found in a configuration (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the passkey profiles: {}", .0.len(), join(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

fn join(errors: &[ConfigError]) -> String {
    errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
}

impl PolicyConfig {
    /// Checks the configuration into a [`PolicySet`], or returns every error found.
    pub fn build(&self) -> Result<PolicySet, ConfigErrors> {
        let mut errors = Vec::new();
        if self.profiles.len() > MAX_PROFILES {
            errors.push(ConfigError::TooManyProfiles { count: self.profiles.len() });
        }
        let preset = match self.preset.as_deref() {
            None => None,
            Some("entra_default") => Some(entra_default()),
            Some(other) => {
                errors.push(ConfigError::UnknownPreset { value: other.to_string() });
                None
            }
        };
        if let (Some(name), Some(_), Some(_)) = (&self.preset, &preset, &self.default_profile) {
            errors.push(ConfigError::PresetWithDefaultProfile { preset: name.clone() });
        }
        let default = self.default_profile.as_ref().or(preset.as_ref()).map(|raw| {
            let label = raw.name.clone().unwrap_or_else(|| "default".to_string());
            let scope = match raw.scope.as_deref() {
                None | Some("fallback") => DefaultScope::Fallback,
                Some("all_users") => DefaultScope::AllUsers,
                Some(other) => {
                    errors.push(ConfigError::UnknownValue {
                        profile: label.clone(),
                        field: "scope",
                        value: other.to_string(),
                        expected: "fallback, all_users",
                    });
                    DefaultScope::Fallback
                }
            };
            if !raw.include_groups.is_empty() {
                errors.push(ConfigError::DefaultProfileIncludes { profile: label.clone() });
            }
            (check_profile(raw, label, &mut errors), scope)
        });
        let mut profiles = Vec::new();
        for (index, raw) in self.profiles.iter().take(MAX_PROFILES).enumerate() {
            let label = match &raw.name {
                Some(name) => name.clone(),
                None => {
                    let label = format!("#{index}");
                    errors.push(ConfigError::MissingName { profile: label.clone() });
                    label
                }
            };
            if raw.scope.is_some() {
                errors.push(ConfigError::ScopeOnNamedProfile { profile: label.clone() });
            }
            if raw.include_groups.is_empty() {
                errors.push(ConfigError::NoTargetGroups { profile: label.clone() });
            }
            profiles.push(check_profile(raw, label, &mut errors));
        }

        // Names are unique across all profiles, the default included.
        let mut seen = HashSet::new();
        let mut reported = HashSet::new();
        let names = default.iter().map(|(p, _)| &p.name).chain(profiles.iter().map(|p| &p.name));
        for name in names {
            if !seen.insert(name.as_str()) && reported.insert(name.as_str()) {
                errors.push(ConfigError::DuplicateProfileName { name: name.clone() });
            }
        }

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        let (default, default_scope) = match default {
            Some((profile, scope)) => (Some(profile), scope),
            None => (None, DefaultScope::Fallback),
        };
        Ok(PolicySet { profiles, default, default_scope })
    }
}

/// Entra ID's default passkey profile: all users, attestation enforced (and so certified
/// metadata with UV and resident keys), device-bound passkeys only, no key restrictions.
fn entra_default() -> ProfileConfig {
    ProfileConfig {
        name: Some("default".to_string()),
        scope: Some("all_users".to_string()),
        attestation_enforcement: Some("registration_only".to_string()),
        passkey_types: Some(vec!["device_bound".to_string()]),
        ..ProfileConfig::default()
    }
}

/// Checks one profile; errors are pushed to `errors` and a best-effort profile is returned
/// (used only when there are no errors).
fn check_profile(raw: &ProfileConfig, label: String, errors: &mut Vec<ConfigError>) -> Profile {
    let p = label.as_str();
    if raw.name.as_deref().is_some_and(|n| !valid_name(n)) {
        errors.push(ConfigError::InvalidName {
            profile: p.to_string(),
            name: raw.name.clone().unwrap_or_default(),
        });
    }

    // Targeting: group names, duplicates, included-and-excluded.
    let include = check_groups(p, "include_groups", &raw.include_groups, errors);
    let exclude = check_groups(p, "exclude_groups", &raw.exclude_groups, errors);
    let mut both: Vec<&String> = include.intersection(&exclude).collect();
    both.sort();
    for group in both {
        errors.push(ConfigError::GroupIncludedAndExcluded {
            profile: p.to_string(),
            group: group.clone(),
        });
    }

    let attestation = match raw.attestation_enforcement.as_deref() {
        None | Some("disabled") => AttestationEnforcement::Disabled,
        Some("registration_only") => AttestationEnforcement::RegistrationOnly,
        Some(other) => {
            errors.push(unknown(
                p,
                "attestation_enforcement",
                other,
                "disabled, registration_only",
            ));
            AttestationEnforcement::Disabled
        }
    };

    let mut passkey_types = PasskeyTypes { device_bound: false, synced: false };
    match &raw.passkey_types {
        None => errors.push(ConfigError::MissingPasskeyTypes { profile: p.to_string() }),
        Some(list) => {
            for value in checked_list(p, "passkey_types", list, errors) {
                match value {
                    "device_bound" => passkey_types.device_bound = true,
                    "synced" => passkey_types.synced = true,
                    other => {
                        errors.push(unknown(p, "passkey_types", other, "device_bound, synced"))
                    }
                }
            }
            if list.is_empty() {
                errors.push(unsatisfiable(p, "`passkey_types` is empty: no passkey type allowed"));
            }
        }
    }

    let key_restrictions =
        raw.key_restrictions.as_ref().and_then(|k| check_key_restrictions(p, k, errors));

    let min_certification = raw.min_certification.as_deref().and_then(|value| {
        let level = CertificationLevel::from_status(&AuthenticatorStatus::parse(value));
        if level.is_none() {
            errors.push(ConfigError::NotACertificationLevel {
                profile: p.to_string(),
                value: value.to_string(),
            });
        }
        level
    });

    let allowed_attestation_types = raw.allowed_attestation_types.as_ref().map(|list| {
        let mut out = Vec::new();
        for value in checked_list(p, "allowed_attestation_types", list, errors) {
            match attestation_type_from_name(value) {
                Some(t) => out.push(t),
                None => errors.push(unknown(
                    p,
                    "allowed_attestation_types",
                    value,
                    "none, self, basic, attca, anonca",
                )),
            }
        }
        if list.is_empty() {
            errors.push(unsatisfiable(p, "`allowed_attestation_types` is empty"));
        }
        out
    });

    let allowed_formats = raw.allowed_formats.as_ref().map(|list| {
        let mut out = Vec::new();
        for value in checked_list(p, "allowed_formats", list, errors) {
            match Format::from_name(value) {
                Some(f) => out.push(f),
                None => errors.push(unknown(
                    p,
                    "allowed_formats",
                    value,
                    "packed, tpm, android-key, android-safetynet, fido-u2f, apple, none, compound",
                )),
            }
        }
        if list.is_empty() {
            errors.push(unsatisfiable(p, "`allowed_formats` is empty"));
        }
        out
    });

    let refuse_statuses = match &raw.refuse_statuses {
        None => StatusPolicy::default().untrusted,
        Some(list) => {
            let mut out = Vec::new();
            for value in checked_list(p, "refuse_statuses", list, errors) {
                let status = AuthenticatorStatus::parse(value);
                if status.is_unknown() {
                    errors.push(unknown(
                        p,
                        "refuse_statuses",
                        value,
                        "the MDS3 AuthenticatorStatus values (REVOKED, USER_VERIFICATION_BYPASS, …)",
                    ));
                } else {
                    out.push(status);
                }
            }
            out
        }
    };

    let backup_states = raw.backup_states.as_ref().map(|list| {
        let mut states = BackupStates { not_backed_up: false, backed_up: false };
        for value in checked_list(p, "backup_states", list, errors) {
            match value {
                "not_backed_up" => states.not_backed_up = true,
                "backed_up" => states.backed_up = true,
                other => {
                    errors.push(unknown(p, "backup_states", other, "not_backed_up, backed_up"))
                }
            }
        }
        if list.is_empty() {
            errors.push(unsatisfiable(p, "`backup_states` is empty"));
        }
        states
    });
    let metadata_origins = match &raw.metadata_origins {
        None => MetadataOrigins::default(),
        Some(list) => {
            let mut origins = MetadataOrigins { mds: false, blob: false, operator: false };
            for value in checked_list(p, "metadata_origins", list, errors) {
                match value {
                    "mds" => origins.mds = true,
                    "blob" => origins.blob = true,
                    "operator" => origins.operator = true,
                    other => {
                        errors.push(unknown(p, "metadata_origins", other, "mds, blob, operator"))
                    }
                }
            }
            if list.is_empty() && attestation == AttestationEnforcement::RegistrationOnly {
                errors.push(unsatisfiable(
                    p,
                    "attestation is enforced and `metadata_origins` is empty: no metadata may \
                     vouch for an attestation",
                ));
            }
            origins
        }
    };
    if attestation == AttestationEnforcement::RegistrationOnly && passkey_types.synced {
        errors.push(ConfigError::SyncedWithEnforcement { profile: p.to_string() });
    }

    let profile = Profile {
        name: label.clone(),
        include,
        exclude,
        attestation,
        passkey_types,
        key_restrictions,
        min_certification,
        require_user_verification: raw.require_user_verification,
        require_certified_metadata: raw
            .require_certified_metadata
            .unwrap_or(attestation == AttestationEnforcement::RegistrationOnly),
        metadata_origins,
        backup_states,
        allowed_attestation_types,
        allowed_formats,
        refuse_statuses,
    };
    for why in unsatisfiable_reasons(&profile) {
        errors.push(unsatisfiable(p, &why));
    }
    profile
}

/// Reasons a well-formed profile can never be satisfied (beyond empty lists, reported where
/// they are parsed).
fn unsatisfiable_reasons(profile: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    let enforced = profile.attestation == AttestationEnforcement::RegistrationOnly;
    if let Some(states) = &profile.backup_states {
        // BS=1 needs BE=1 (WebAuthn L3 §6.1: BS without BE is invalid).
        if states.backed_up && !states.not_backed_up && !profile.passkey_types.synced {
            out.push(
                "only backed-up passkeys (BS=1) are allowed but only device-bound ones (BE=0), \
                 which are never backed up"
                    .to_string(),
            );
        }
    }
    if enforced {
        if let Some(formats) = &profile.allowed_formats {
            if !formats.is_empty() && formats.iter().all(|f| *f == Format::None) {
                out.push(
                    "attestation is enforced but the only allowed format is `none`, which \
                     carries no attestation"
                        .to_string(),
                );
            }
        }
        if let Some(types) = &profile.allowed_attestation_types {
            if !types.is_empty()
                && types
                    .iter()
                    .all(|t| matches!(t, AttestationType::None | AttestationType::SelfAttestation))
            {
                out.push(
                    "attestation is enforced but only `none`/`self` attestation types are \
                     allowed, which no metadata can vouch for"
                        .to_string(),
                );
            }
        }
    }
    // Formats × types: some allowed format must be able to produce some allowed type
    // (WebAuthn L3 §8: each format's supported attestation types).
    if let (Some(formats), Some(types)) =
        (&profile.allowed_formats, &profile.allowed_attestation_types)
    {
        let usable = |t: &AttestationType| {
            !enforced || !matches!(t, AttestationType::None | AttestationType::SelfAttestation)
        };
        let possible =
            formats.iter().any(|f| types.iter().any(|t| usable(t) && format_can_produce(*f, *t)));
        if !formats.is_empty() && !types.is_empty() && !possible {
            out.push(format!(
                "no allowed format ({}) produces an allowed attestation type ({}){}",
                formats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", "),
                types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
                if enforced { " that enforcement can trust" } else { "" }
            ));
        }
    }
    if let Some(k) = &profile.key_restrictions {
        if k.mode == KeyRestrictionMode::Allow && k.aaguids.is_empty() {
            out.push("key restrictions are enforced with an empty allow list".to_string());
        }
    }
    out
}

/// WebAuthn L3 §8: the attestation types each format can yield (generous: fido-u2f also
/// self, as seen in the wild; compound anything).
fn format_can_produce(format: Format, t: AttestationType) -> bool {
    use AttestationType as T;
    match format {
        Format::Packed => matches!(t, T::Basic | T::AttCa | T::SelfAttestation | T::AnonCa),
        Format::Tpm => matches!(t, T::AttCa | T::AnonCa),
        Format::AndroidKey | Format::AndroidSafetynet => matches!(t, T::Basic),
        Format::FidoU2f => matches!(t, T::Basic | T::AttCa | T::SelfAttestation),
        Format::Apple => matches!(t, T::AnonCa),
        Format::None => matches!(t, T::None),
        Format::Compound => true,
    }
}

fn check_key_restrictions(
    p: &str,
    raw: &KeyRestrictionsConfig,
    errors: &mut Vec<ConfigError>,
) -> Option<KeyRestrictions> {
    let mode = match raw.mode.as_deref() {
        Some("allow") => Some(KeyRestrictionMode::Allow),
        Some("block") => Some(KeyRestrictionMode::Block),
        Some(other) => {
            errors.push(unknown(p, "key_restrictions.mode", other, "allow, block"));
            None
        }
        None => {
            if raw.enforced {
                errors.push(ConfigError::MissingKeyRestrictionMode { profile: p.to_string() });
            }
            None
        }
    };
    let mut aaguids = BTreeSet::new();
    if raw.aaguids.len() > MAX_LIST_LEN {
        errors.push(ConfigError::ListTooLong {
            profile: p.to_string(),
            field: "key_restrictions.aaguids",
            count: raw.aaguids.len(),
        });
    }
    for value in raw.aaguids.iter().take(MAX_LIST_LEN) {
        match Uuid::try_parse(value.trim()) {
            Ok(aaguid) => {
                if !aaguids.insert(aaguid) {
                    errors.push(ConfigError::DuplicateValue {
                        profile: p.to_string(),
                        field: "key_restrictions.aaguids",
                        value: aaguid.to_string(),
                    });
                }
            }
            Err(e) => errors.push(ConfigError::MalformedAaguid {
                profile: p.to_string(),
                value: value.clone(),
                detail: e.to_string(),
            }),
        }
    }
    if mode == Some(KeyRestrictionMode::Allow) && aaguids.contains(&Uuid::nil()) {
        errors.push(ConfigError::NilAaguidAllowed { profile: p.to_string() });
    }
    // Entra keeps the list of a non-enforced restriction; it has no effect.
    if !raw.enforced {
        return None;
    }
    mode.map(|mode| KeyRestrictions { mode, aaguids })
}

/// Group names: non-empty, bounded, no surrounding whitespace, no control characters;
/// duplicates are errors.
fn check_groups(
    p: &str,
    field: &'static str,
    groups: &[String],
    errors: &mut Vec<ConfigError>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for group in checked_list(p, field, groups, errors) {
        let valid = !group.is_empty()
            && group.len() <= MAX_NAME_LEN
            && group.trim() == group
            && !group.chars().any(char::is_control);
        if !valid {
            errors.push(ConfigError::InvalidGroup {
                profile: p.to_string(),
                group: group.to_string(),
            });
            continue;
        }
        out.insert(group.to_string());
    }
    out
}

/// The list bounded to [`MAX_LIST_LEN`] with duplicates reported (and skipped).
fn checked_list<'a>(
    p: &str,
    field: &'static str,
    list: &'a [String],
    errors: &mut Vec<ConfigError>,
) -> Vec<&'a str> {
    if list.len() > MAX_LIST_LEN {
        errors.push(ConfigError::ListTooLong { profile: p.to_string(), field, count: list.len() });
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for value in list.iter().take(MAX_LIST_LEN) {
        if seen.insert(value.as_str()) {
            out.push(value.as_str());
        } else {
            errors.push(ConfigError::DuplicateValue {
                profile: p.to_string(),
                field,
                value: value.clone(),
            });
        }
    }
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn attestation_type_from_name(name: &str) -> Option<AttestationType> {
    [
        AttestationType::None,
        AttestationType::SelfAttestation,
        AttestationType::Basic,
        AttestationType::AttCa,
        AttestationType::AnonCa,
    ]
    .into_iter()
    .find(|t| t.as_str() == name)
}

fn unknown(p: &str, field: &'static str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::UnknownValue { profile: p.to_string(), field, value: value.to_string(), expected }
}

fn unsatisfiable(p: &str, why: &str) -> ConfigError {
    ConfigError::Unsatisfiable { profile: p.to_string(), why: why.to_string() }
}
