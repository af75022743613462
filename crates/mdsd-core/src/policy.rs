//! Passkey profiles (the Microsoft Entra ID model, REFERENCE §3): which passkeys a user may
//! register and sign in with, decided from the verified facts the core produced.
//!
//! Policy kept apart from mechanism: [`crate::attestation`] says what a registration *is*
//! (valid? trusted through MDS? which AAGUID, flags, status?); this module says whether it is
//! *allowed* for a user, as a [`Decision`] value. Pure: no I/O, no clock (`now` is passed to
//! the fact builders that read metadata).
//!
//! Flow: [`PolicyConfig`] (serde, from the daemon's TOML) → [`PolicyConfig::build`] → an
//! immutable [`PolicySet`] (every configuration error reported at once) →
//! [`PolicySet::evaluate_registration`] / [`PolicySet::evaluate_authentication`] with
//! [`RegistrationFacts`] / [`AuthenticationFacts`] and the user's groups → [`Decision`]. A caller
//! that lets a request name a profile resolves it once with [`PolicySet::choose`] (the
//! profile-selection rule: named profile, else the groups) and decides with
//! [`PolicySet::decide_registration`] / [`PolicySet::decide_authentication`].
//!
//! Decisions (see docs/policy.md for the operator's view):
//! - Scope: a user is in scope of every named profile that includes one of their groups and
//!   excludes none of them (exclusion wins). The default profile, if configured, is in scope
//!   for users it does not exclude: always (`scope = "all_users"`, Entra's behaviour) or only
//!   when no named profile is (`scope = "fallback"`, the default, so that a looser default
//!   cannot undercut a stricter group profile). No profile in scope → NO_PROFILE_IN_SCOPE.
//! - A passkey passes when it fully satisfies at least one in-scope profile; order does not
//!   matter (the first passing profile in configuration order is named).
//! - Registration checks: statement validity, attestation enforcement, formats, attestation
//!   types, passkey type, key restrictions, certification, certified metadata showing UV and
//!   resident keys (Entra, under enforcement), backup state, UV, refused statuses. Sign-in
//!   checks (Entra: attestation at registration only): passkey type, key restrictions, backup
//!   state, UV, refused statuses.
//! - Entra's rules at load time: attestation cannot be enforced for a profile that admits
//!   synced passkeys; `preset = "entra_default"` is Entra's default passkey profile.
//! - Under enforcement only attestations trusted through MDS count (a chain to the roots of
//!   the metadata entry of the claimed AAGUID): an AAGUID or a BE=0 (device-bound) claim from
//!   any other attestation is not believed. Without enforcement the AAGUID is taken as claimed
//!   (spoofable), and the decision says so in a note.
//! - Passkey type is read from BE; BE=1 where the metadata says multiDeviceCredentialSupport
//!   is "unsupported" is treated as synced and reported as a KIND_CONFLICT note.

mod choice;
mod config;
mod decision;
mod facts;

use std::collections::{BTreeSet, HashSet};

use uuid::Uuid;

use crate::attestation::{AttestationType, Format};
use crate::trust_store::{AuthenticatorStatus, Origin};

pub use choice::{ProfileChoice, UnknownProfile};
pub use config::{
    ConfigError, ConfigErrors, KeyRestrictionsConfig, PolicyConfig, ProfileConfig, MAX_LIST_LEN,
    MAX_NAME_LEN, MAX_PROFILES,
};
pub use decision::{
    Ceremony, Decision, Failure, FailureCode, Note, NoteCode, ProfileOutcome, MAX_USER_GROUPS,
};
pub use facts::{
    AttestationTrust, AuthenticationFacts, MetadataCapabilities, MetadataFacts, RegistrationFacts,
};

/// Entra's `attestationEnforcement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationEnforcement {
    Disabled,
    /// Registrations must carry an attestation trusted through MDS; sign-ins are not affected.
    RegistrationOnly,
}

impl AttestationEnforcement {
    pub fn as_str(&self) -> &'static str {
        match self {
            AttestationEnforcement::Disabled => "disabled",
            AttestationEnforcement::RegistrationOnly => "registration_only",
        }
    }
}

/// Entra's `passkeyTypes`: which credential kinds (read from BE) a profile admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasskeyTypes {
    pub device_bound: bool,
    pub synced: bool,
}

/// `metadata_origins`: the kinds of metadata source whose entries may vouch for an
/// attestation under enforcement. Default: the MDS and configured BLOB sources (signed
/// metadata), not operator statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataOrigins {
    /// `"mds"`: the FIDO MDS BLOB.
    pub mds: bool,
    /// `"blob"`: a further BLOB source the operator configured.
    pub blob: bool,
    /// `"operator"`: an operator's metadata statement file (signed by no one, never
    /// FIDO-certified; allowing it also waives the FIDO-certification part of
    /// `require_certified_metadata` for those entries).
    pub operator: bool,
}

impl Default for MetadataOrigins {
    fn default() -> Self {
        MetadataOrigins { mds: true, blob: true, operator: false }
    }
}

impl MetadataOrigins {
    /// True when entries of `origin` may vouch under enforcement.
    pub fn allows(&self, origin: &Origin) -> bool {
        match origin {
            Origin::Mds => self.mds,
            Origin::Blob { .. } => self.blob,
            Origin::Operator { .. } => self.operator,
        }
    }
    /// The allowed kinds as configured (`mds`, `blob`, `operator`).
    pub fn names(&self) -> Vec<&'static str> {
        [(self.mds, "mds"), (self.blob, "blob"), (self.operator, "operator")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }
}

/// Which backup states (the BS flag) a profile admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupStates {
    pub not_backed_up: bool,
    pub backed_up: bool,
}

/// Allow list or block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRestrictionMode {
    Allow,
    Block,
}

impl KeyRestrictionMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyRestrictionMode::Allow => "allow",
            KeyRestrictionMode::Block => "block",
        }
    }
}

/// Enforced key restrictions (a non-enforced restriction is dropped at build time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRestrictions {
    pub mode: KeyRestrictionMode,
    pub aaguids: BTreeSet<Uuid>,
}

/// FIDO certification levels, ordered (MDS3 §3.1.4; legacy FIDO_CERTIFIED is L1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertificationLevel {
    L1,
    L1Plus,
    L2,
    L2Plus,
    L3,
    L3Plus,
}

impl CertificationLevel {
    /// The level a status certifies, if it is a FIDO certification status.
    pub fn from_status(status: &AuthenticatorStatus) -> Option<CertificationLevel> {
        use AuthenticatorStatus as S;
        match status {
            S::FidoCertified | S::FidoCertifiedL1 => Some(CertificationLevel::L1),
            S::FidoCertifiedL1Plus => Some(CertificationLevel::L1Plus),
            S::FidoCertifiedL2 => Some(CertificationLevel::L2),
            S::FidoCertifiedL2Plus => Some(CertificationLevel::L2Plus),
            S::FidoCertifiedL3 => Some(CertificationLevel::L3),
            S::FidoCertifiedL3Plus => Some(CertificationLevel::L3Plus),
            _ => None,
        }
    }
    /// The MDS status name of the level.
    pub fn as_str(&self) -> &'static str {
        match self {
            CertificationLevel::L1 => "FIDO_CERTIFIED_L1",
            CertificationLevel::L1Plus => "FIDO_CERTIFIED_L1plus",
            CertificationLevel::L2 => "FIDO_CERTIFIED_L2",
            CertificationLevel::L2Plus => "FIDO_CERTIFIED_L2plus",
            CertificationLevel::L3 => "FIDO_CERTIFIED_L3",
            CertificationLevel::L3Plus => "FIDO_CERTIFIED_L3plus",
        }
    }
}

/// When the default profile is in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultScope {
    /// Only for users no named profile is in scope for.
    Fallback,
    /// For every user it does not exclude, alongside named profiles (Entra).
    AllUsers,
}

/// One checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub(crate) name: String,
    pub(crate) include: HashSet<String>,
    pub(crate) exclude: HashSet<String>,
    pub(crate) attestation: AttestationEnforcement,
    pub(crate) passkey_types: PasskeyTypes,
    pub(crate) key_restrictions: Option<KeyRestrictions>,
    pub(crate) min_certification: Option<CertificationLevel>,
    pub(crate) require_user_verification: bool,
    pub(crate) require_certified_metadata: bool,
    pub(crate) metadata_origins: MetadataOrigins,
    pub(crate) backup_states: Option<BackupStates>,
    pub(crate) allowed_attestation_types: Option<Vec<AttestationType>>,
    pub(crate) allowed_formats: Option<Vec<Format>>,
    pub(crate) refuse_statuses: Vec<AuthenticatorStatus>,
}

impl Profile {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn include_groups(&self) -> &HashSet<String> {
        &self.include
    }
    pub fn exclude_groups(&self) -> &HashSet<String> {
        &self.exclude
    }
    pub fn attestation_enforcement(&self) -> AttestationEnforcement {
        self.attestation
    }
    pub fn passkey_types(&self) -> PasskeyTypes {
        self.passkey_types
    }
    /// `None` when key restrictions are not enforced.
    pub fn key_restrictions(&self) -> Option<&KeyRestrictions> {
        self.key_restrictions.as_ref()
    }
    pub fn min_certification(&self) -> Option<CertificationLevel> {
        self.min_certification
    }
    pub fn require_user_verification(&self) -> bool {
        self.require_user_verification
    }
    /// Certified metadata showing UV and resident keys is required at registration (Entra,
    /// under enforcement).
    pub fn require_certified_metadata(&self) -> bool {
        self.require_certified_metadata
    }
    /// The metadata sources whose entries may vouch under enforcement.
    pub fn metadata_origins(&self) -> MetadataOrigins {
        self.metadata_origins
    }
    /// `None`: any backup state.
    pub fn backup_states(&self) -> Option<BackupStates> {
        self.backup_states
    }
    /// `None`: any.
    pub fn allowed_attestation_types(&self) -> Option<&[AttestationType]> {
        self.allowed_attestation_types.as_deref()
    }
    /// `None`: any.
    pub fn allowed_formats(&self) -> Option<&[Format]> {
        self.allowed_formats.as_deref()
    }
    pub fn refuse_statuses(&self) -> &[AuthenticatorStatus] {
        &self.refuse_statuses
    }
    fn targets(&self, groups: &HashSet<&str>) -> bool {
        groups.iter().any(|g| self.include.contains(*g))
    }
    fn excludes(&self, groups: &HashSet<&str>) -> bool {
        groups.iter().any(|g| self.exclude.contains(*g))
    }
}

/// A checked, immutable set of profiles. Replace it whole on reload.
#[derive(Debug, Clone)]
pub struct PolicySet {
    profiles: Vec<Profile>,
    default: Option<Profile>,
    default_scope: DefaultScope,
}

impl PolicySet {
    /// True when no profile is configured (every decision is then NO_PROFILE_IN_SCOPE; a
    /// daemon without a `[policy]` section should not ask for decisions at all).
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.default.is_none()
    }
    /// The named profiles, in configuration order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }
    pub fn default_profile(&self) -> Option<&Profile> {
        self.default.as_ref()
    }
    pub fn default_scope(&self) -> DefaultScope {
        self.default_scope
    }
    /// A profile by name (the default profile included).
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.default.iter().chain(self.profiles.iter()).find(|p| p.name == name)
    }

    /// The profiles a user with `groups` is in scope of: named profiles in configuration order,
    /// then the default profile when it applies (see the module docs).
    pub fn in_scope<'a>(&'a self, groups: &[String]) -> Vec<&'a Profile> {
        let groups: HashSet<&str> = groups.iter().map(String::as_str).collect();
        let mut out: Vec<&Profile> =
            self.profiles.iter().filter(|p| p.targets(&groups) && !p.excludes(&groups)).collect();
        if let Some(default) = &self.default {
            let applies = match self.default_scope {
                DefaultScope::AllUsers => true,
                DefaultScope::Fallback => out.is_empty(),
            };
            if applies && !default.excludes(&groups) {
                out.push(default);
            }
        }
        out
    }

    /// Decides a registration for a user with `groups`.
    pub fn evaluate_registration(&self, facts: &RegistrationFacts, groups: &[String]) -> Decision {
        decision::decide(self, Ceremony::Registration, groups, None, |p, notes| {
            decision::check_registration(p, facts, notes)
        })
    }

    /// Decides a sign-in for a user with `groups`.
    pub fn evaluate_authentication(
        &self,
        facts: &AuthenticationFacts,
        groups: &[String],
    ) -> Decision {
        decision::decide(self, Ceremony::Authentication, groups, None, |p, notes| {
            decision::check_authentication(p, facts, notes)
        })
    }

    /// Decides a registration against one named profile, ignoring scope (for callers that
    /// choose the profile themselves). `None` when no profile has that name.
    pub fn evaluate_registration_with(
        &self,
        facts: &RegistrationFacts,
        profile: &str,
    ) -> Option<Decision> {
        let profile = self.profile(profile)?;
        Some(decision::decide(self, Ceremony::Registration, &[], Some(profile), |p, notes| {
            decision::check_registration(p, facts, notes)
        }))
    }

    /// Decides a sign-in against one named profile, ignoring scope.
    pub fn evaluate_authentication_with(
        &self,
        facts: &AuthenticationFacts,
        profile: &str,
    ) -> Option<Decision> {
        let profile = self.profile(profile)?;
        Some(decision::decide(self, Ceremony::Authentication, &[], Some(profile), |p, notes| {
            decision::check_authentication(p, facts, notes)
        }))
    }
}
