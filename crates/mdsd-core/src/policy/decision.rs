//! The decision: scope, then every requirement of every in-scope profile, each failure with a
//! stable code and a readable message.
//!
//! A refusal is a result, not an error. Codes (the `as_str` forms) are the wire form and do
//! not change meaning once published.

use std::fmt;

use uuid::Uuid;

use crate::attestation::{CredentialKind, Fact};
use crate::trust_store::Origin;

use super::facts::{AttestationTrust, AuthenticationFacts, MetadataFacts, RegistrationFacts};
use super::{AttestationEnforcement, KeyRestrictionMode, PolicySet, Profile};

/// Most groups of one user considered; more refuse the request (LIMIT_EXCEEDED).
/// [`crate::limits::USER_GROUPS`].
pub const MAX_USER_GROUPS: usize = crate::limits::USER_GROUPS.max;

/// Which ceremony is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Registration,
    Authentication,
}

impl Ceremony {
    pub fn as_str(&self) -> &'static str {
        match self {
            Ceremony::Registration => "registration",
            Ceremony::Authentication => "authentication",
        }
    }
}

/// Why a requirement failed. Stable wire codes (UPPER_SNAKE_CASE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCode {
    /// No profile applies to the user (decision level, not per profile).
    NoProfileInScope,
    /// The request is larger than mdsd accepts (decision level).
    LimitExceeded,
    /// The attestation statement did not verify (any profile, at registration).
    StatementInvalid,
    /// Attestation is enforced and the attestation is not trusted through MDS.
    AttestationRequired,
    /// The format is not in `allowed_formats`.
    FormatNotAllowed,
    /// The attestation type is not in `allowed_attestation_types`.
    AttestationTypeNotAllowed,
    /// The passkey type (from BE) is not allowed.
    PasskeyTypeNotAllowed,
    /// Only device-bound passkeys are allowed, and the BE=0 claim is not believed (untrusted
    /// attestation under enforcement, or no flags).
    PasskeyTypeUnverified,
    /// Allow list enforced and the AAGUID is not on it (or not believed).
    AaguidNotAllowed,
    /// Block list enforced and the AAGUID is on it.
    AaguidBlocked,
    /// Certification below `min_certification`, or unknown.
    CertificationTooLow,
    /// UV flag not set and `require_user_verification`.
    UserVerificationRequired,
    /// The authenticator's current MDS status is in `refuse_statuses`.
    StatusRefused,
    /// `require_certified_metadata`: no FIDO certification (FIDO_CERTIFIED*) in force.
    MetadataNotCertified,
    /// `require_certified_metadata`: the metadata shows no user verification method.
    MetadataNoUserVerification,
    /// `require_certified_metadata`: the metadata does not show resident-key support.
    MetadataNoResidentKey,
    /// The backup state (BS flag) is not in `backup_states`, or under enforcement a BS=0
    /// claim is not believed.
    BackupStateNotAllowed,
    /// Attestation is enforced and the metadata entry that vouches comes from a source the
    /// profile's `metadata_origins` does not list (an operator's statement by default).
    MetadataOriginNotAllowed,
}

impl FailureCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureCode::NoProfileInScope => "NO_PROFILE_IN_SCOPE",
            FailureCode::LimitExceeded => "LIMIT_EXCEEDED",
            FailureCode::StatementInvalid => "STATEMENT_INVALID",
            FailureCode::AttestationRequired => "ATTESTATION_REQUIRED",
            FailureCode::FormatNotAllowed => "FORMAT_NOT_ALLOWED",
            FailureCode::AttestationTypeNotAllowed => "ATTESTATION_TYPE_NOT_ALLOWED",
            FailureCode::PasskeyTypeNotAllowed => "PASSKEY_TYPE_NOT_ALLOWED",
            FailureCode::PasskeyTypeUnverified => "PASSKEY_TYPE_UNVERIFIED",
            FailureCode::AaguidNotAllowed => "AAGUID_NOT_ALLOWED",
            FailureCode::AaguidBlocked => "AAGUID_BLOCKED",
            FailureCode::CertificationTooLow => "CERTIFICATION_TOO_LOW",
            FailureCode::UserVerificationRequired => "USER_VERIFICATION_REQUIRED",
            FailureCode::StatusRefused => "STATUS_REFUSED",
            FailureCode::MetadataNotCertified => "METADATA_NOT_CERTIFIED",
            FailureCode::MetadataNoUserVerification => "METADATA_NO_USER_VERIFICATION",
            FailureCode::MetadataNoResidentKey => "METADATA_NO_RESIDENT_KEY",
            FailureCode::BackupStateNotAllowed => "BACKUP_STATE_NOT_ALLOWED",
            FailureCode::MetadataOriginNotAllowed => "METADATA_ORIGIN_NOT_ALLOWED",
        }
    }
}

/// Something the caller should know that is not (by itself) a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoteCode {
    /// BE=1 but the metadata says multiDeviceCredentialSupport is "unsupported".
    KindConflict,
    /// A key restriction was applied to an AAGUID no trusted attestation vouches for.
    AaguidClaimed,
    /// The current status is ATTESTATION_KEY_COMPROMISE scoped to one batch certificate: the
    /// model is not refused by the policy (the core judges the batch at registration).
    StatusBatchScoped,
}

impl NoteCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoteCode::KindConflict => "KIND_CONFLICT",
            NoteCode::AaguidClaimed => "AAGUID_CLAIMED",
            NoteCode::StatusBatchScoped => "STATUS_BATCH_SCOPED",
        }
    }
}

/// One failed requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: FailureCode,
    pub message: String,
}

/// One note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub code: NoteCode,
    pub message: String,
}

/// How one in-scope profile judged the passkey (no failures: it passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileOutcome {
    pub profile: String,
    pub failures: Vec<Failure>,
}

impl ProfileOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub ceremony: Ceremony,
    pub allowed: bool,
    /// The first passing profile in configuration order (named profiles, then the default).
    pub profile: Option<String>,
    /// Every in-scope profile with every requirement it found failing.
    pub outcomes: Vec<ProfileOutcome>,
    /// Decision-level failures (NO_PROFILE_IN_SCOPE, LIMIT_EXCEEDED).
    pub failures: Vec<Failure>,
    pub notes: Vec<Note>,
}

impl Decision {
    /// Every failure code, decision-level and per profile, deduplicated, in order of
    /// appearance.
    pub fn failure_codes(&self) -> Vec<FailureCode> {
        let mut out = Vec::new();
        let all = self.failures.iter().chain(self.outcomes.iter().flat_map(|o| &o.failures));
        for failure in all {
            if !out.contains(&failure.code) {
                out.push(failure.code);
            }
        }
        out
    }

    /// The outcome of one profile, if it was in scope.
    pub fn outcome(&self, profile: &str) -> Option<&ProfileOutcome> {
        self.outcomes.iter().find(|o| o.profile == profile)
    }

    /// The JSON form (CLI, logs).
    pub fn to_json(&self) -> serde_json::Value {
        let failures = |list: &[Failure]| {
            list.iter()
                .map(|f| serde_json::json!({ "code": f.code.as_str(), "message": f.message }))
                .collect::<Vec<_>>()
        };
        serde_json::json!({
            "ceremony": self.ceremony.as_str(),
            "allowed": self.allowed,
            "profile": self.profile,
            "outcomes": self.outcomes.iter().map(|o| serde_json::json!({
                "profile": o.profile,
                "passed": o.passed(),
                "failures": failures(&o.failures),
            })).collect::<Vec<_>>(),
            "failures": failures(&self.failures),
            "notes": self.notes.iter()
                .map(|n| serde_json::json!({ "code": n.code.as_str(), "message": n.message }))
                .collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// Notes collected while checking, deduplicated by code.
pub(crate) struct Notes(Vec<Note>);

impl Notes {
    fn add(&mut self, code: NoteCode, message: String) {
        if !self.0.iter().any(|n| n.code == code) {
            self.0.push(Note { code, message });
        }
    }
}

/// Scope, then `check` on every in-scope profile (or only on `only`).
pub(crate) fn decide(
    set: &PolicySet,
    ceremony: Ceremony,
    groups: &[String],
    only: Option<&Profile>,
    check: impl Fn(&Profile, &mut Notes) -> Vec<Failure>,
) -> Decision {
    let mut decision = Decision {
        ceremony,
        allowed: false,
        profile: None,
        outcomes: Vec::new(),
        failures: Vec::new(),
        notes: Vec::new(),
    };
    if let Err(e) = crate::limits::USER_GROUPS.check(groups.len()) {
        decision.failures.push(Failure {
            code: FailureCode::LimitExceeded,
            message: format!("{} groups given, more than {}", e.count, e.limit.max),
        });
        return decision;
    }
    let profiles = match only {
        Some(profile) => vec![profile],
        None => set.in_scope(groups),
    };
    if profiles.is_empty() {
        decision.failures.push(Failure {
            code: FailureCode::NoProfileInScope,
            message: format!(
                "no passkey profile applies to a user in {} (not included by any profile, or \
                 excluded, and no default profile applies)",
                describe_groups(groups)
            ),
        });
        return decision;
    }
    let mut notes = Notes(Vec::new());
    for profile in profiles {
        let failures = check(profile, &mut notes);
        if failures.is_empty() && decision.profile.is_none() {
            decision.profile = Some(profile.name.clone());
        }
        decision.outcomes.push(ProfileOutcome { profile: profile.name.clone(), failures });
    }
    decision.allowed = decision.profile.is_some();
    decision.notes = notes.0;
    decision
}

fn describe_groups(groups: &[String]) -> String {
    match groups.len() {
        0 => "no group".to_string(),
        n if n <= 5 => format!("groups [{}]", groups.join(", ")),
        n => format!("{n} groups"),
    }
}

/// Every registration requirement of `p` (REFERENCE §3; Entra semantics).
pub(crate) fn check_registration(
    p: &Profile,
    facts: &RegistrationFacts,
    notes: &mut Notes,
) -> Vec<Failure> {
    let mut out = Vec::new();
    let enforced = p.attestation == AttestationEnforcement::RegistrationOnly;
    let trusted = facts.trust == AttestationTrust::Metadata;

    // The statement itself must verify, whatever the profile.
    if !facts.statement_valid {
        out.push(fail(
            FailureCode::StatementInvalid,
            "the attestation statement did not verify".to_string(),
        ));
    }

    // Attestation enforcement: only attestations trusted through MDS count.
    if enforced && !trusted {
        let why = match facts.trust {
            AttestationTrust::OperatorAnchor => {
                "it is trusted only through an operator anchor, which vouches for a platform, \
                 not for an authenticator model in the metadata"
            }
            _ => {
                "it is not trusted through the metadata (none/self attestation, unknown root, \
                  refused status or invalid statement)"
            }
        };
        out.push(fail(
            FailureCode::AttestationRequired,
            format!("profile {} enforces attestation and {why}", p.name),
        ));
    }

    // Attestation enforcement: the metadata that vouches must come from an allowed source
    // (operator statements are signed by no one; they count only when the profile says so).
    if enforced && trusted {
        if let Some(m) = facts.metadata.as_ref().filter(|m| !p.metadata_origins.allows(&m.origin)) {
            out.push(fail(
                FailureCode::MetadataOriginNotAllowed,
                format!(
                    "profile {} enforces attestation and the attestation is trusted through \
                     metadata from {} ({}), which its metadata_origins ({}) does not allow",
                    p.name,
                    describe_origin(&m.origin),
                    m.origin,
                    p.metadata_origins.names().join(", ")
                ),
            ));
        }
    }

    // Formats and attestation types.
    if let Some(allowed) = &p.allowed_formats {
        if !facts.format.is_some_and(|f| allowed.contains(&f)) {
            out.push(fail(
                FailureCode::FormatNotAllowed,
                format!(
                    "format {} is not allowed (allowed: {})",
                    facts.format.map_or("unknown", |f| f.as_str()),
                    allowed.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if let Some(allowed) = &p.allowed_attestation_types {
        if !facts.attestation_type.is_some_and(|t| allowed.contains(&t)) {
            out.push(fail(
                FailureCode::AttestationTypeNotAllowed,
                format!(
                    "attestation type {} is not allowed (allowed: {})",
                    facts.attestation_type.map_or("unknown", |t| t.as_str()),
                    allowed.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }

    // Passkey type, from BE; a BE=0 claim needs a trusted attestation under enforcement.
    match facts.credential_kind() {
        None => {
            if !(p.passkey_types.device_bound && p.passkey_types.synced) {
                out.push(fail(
                    FailureCode::PasskeyTypeUnverified,
                    "no authenticator flags: the passkey type is unknown".to_string(),
                ));
            }
        }
        Some(kind) => {
            check_kind(p, kind, facts.metadata.as_ref(), notes, &mut out);
            if kind == CredentialKind::DeviceBound
                && enforced
                && !facts.verified(Fact::CredentialKind)
                && p.passkey_types.device_bound
                && !p.passkey_types.synced
            {
                out.push(fail(
                    FailureCode::PasskeyTypeUnverified,
                    if trusted {
                        "BE=0 (device-bound) is not covered by the attestation signature; under \
                         enforcement the claim is not believed"
                    } else {
                        "BE=0 (device-bound) is claimed by an attestation that is not trusted \
                         through the metadata; under enforcement the claim is not believed"
                    }
                    .to_string(),
                ));
            }
        }
    }

    // Key restrictions: under enforcement only an AAGUID the attestation signature covers counts.
    let aaguid_verified = facts.verified(Fact::Aaguid);
    check_key_restrictions(
        p,
        facts.aaguid,
        enforced && !aaguid_verified,
        aaguid_verified,
        notes,
        &mut out,
    );

    // Certification (metadata of the verified model under enforcement).
    if let Some(min) = p.min_certification {
        let metadata = facts.metadata.as_ref().filter(|m| m.verified || !enforced);
        let level = metadata.and_then(|m| m.certification);
        match level {
            Some(level) if level >= min => {}
            Some(level) => out.push(fail(
                FailureCode::CertificationTooLow,
                format!("certified {}, below the required {}", level.as_str(), min.as_str()),
            )),
            None => out.push(fail(
                FailureCode::CertificationTooLow,
                format!(
                    "no FIDO certification is known{} (required: {})",
                    if enforced && facts.metadata.is_some() && metadata.is_none() {
                        " for a verified authenticator"
                    } else {
                        ""
                    },
                    min.as_str()
                ),
            )),
        }
    }

    // Entra under enforcement: certified metadata that shows UV and resident keys. Under
    // enforcement without a trusted attestation there is no verified metadata to read, and
    // ATTESTATION_REQUIRED already refuses.
    if p.require_certified_metadata && (trusted || !enforced) {
        let metadata = facts.metadata.as_ref().filter(|m| m.verified || !enforced);
        check_certified_metadata(p, metadata, &mut out);
    }

    // Backup state (BS); under enforcement a BS=0 claim needs the signature to cover it.
    if let Some(states) = p.backup_states {
        match facts.flags {
            None if !(states.backed_up && states.not_backed_up) => out.push(fail(
                FailureCode::BackupStateNotAllowed,
                "no authenticator flags: the backup state is unknown".to_string(),
            )),
            None => {}
            Some(flags) => {
                check_backup_state(p, flags, &mut out);
                if !flags.backed_up()
                    && enforced
                    && !states.backed_up
                    && !facts.verified(Fact::BackedUp)
                {
                    out.push(fail(
                        FailureCode::BackupStateNotAllowed,
                        "BS=0 (not backed up) is claimed by an attestation that does not vouch \
                         for it; under enforcement the claim is not believed"
                            .to_string(),
                    ));
                }
            }
        }
    }

    // User verification: under enforcement the UV flag must be covered by the signature.
    let uv = facts.flags.is_some_and(|f| f.user_verified());
    if p.require_user_verification && uv && enforced && !facts.verified(Fact::UserVerified) {
        out.push(fail(
            FailureCode::UserVerificationRequired,
            format!(
                "profile {} requires user verification and enforces attestation; the UV flag is \
                 set but no trusted attestation signature covers it",
                p.name
            ),
        ));
    } else {
        check_user_verification(p, uv, &mut out);
    }
    check_status(p, facts.metadata.as_ref(), notes, &mut out);
    out
}

/// Every sign-in requirement of `p`: passkey type, key restrictions, UV, refused statuses
/// (Entra: attestation enforcement is for registration only).
pub(crate) fn check_authentication(
    p: &Profile,
    facts: &AuthenticationFacts,
    notes: &mut Notes,
) -> Vec<Failure> {
    let mut out = Vec::new();
    check_kind(p, facts.credential_kind(), facts.metadata.as_ref(), notes, &mut out);
    let trusted = facts.registration_trust == Some(AttestationTrust::Metadata);
    check_key_restrictions(p, facts.aaguid, false, trusted, notes, &mut out);
    check_user_verification(p, facts.flags.user_verified(), &mut out);
    if p.backup_states.is_some() {
        check_backup_state(p, facts.flags, &mut out);
    }
    check_status(p, facts.metadata.as_ref(), notes, &mut out);
    out
}

/// Entra's certified-metadata requirement: FIDO certification in force, a user verification
/// method and resident-key support shown by the metadata statement.
fn check_certified_metadata(p: &Profile, metadata: Option<&MetadataFacts>, out: &mut Vec<Failure>) {
    let Some(m) = metadata else {
        out.push(fail(
            FailureCode::MetadataNotCertified,
            format!("profile {} requires certified metadata and none is known", p.name),
        ));
        return;
    };
    // Operator statements are never FIDO-certified: a profile that allows them as metadata
    // (`metadata_origins` lists "operator") waives the certification for them, not the rest.
    let waived = matches!(m.origin, Origin::Operator { .. }) && p.metadata_origins.operator;
    if m.certification.is_none() && !waived {
        let operator = matches!(m.origin, Origin::Operator { .. });
        out.push(fail(
            FailureCode::MetadataNotCertified,
            format!(
                "profile {} requires FIDO-certified metadata; no FIDO_CERTIFIED status is in force \
                 (current status: {}){}",
                p.name,
                m.status.as_ref().map_or("none", |s| s.as_str()),
                if operator {
                    "; the entry is an operator's metadata statement, never FIDO-certified \
                     (metadata_origins does not list \"operator\")"
                } else {
                    ""
                }
            ),
        ));
    }
    let caps = m.capabilities.unwrap_or_default();
    if !caps.user_verification {
        out.push(fail(
            FailureCode::MetadataNoUserVerification,
            "the metadata statement shows no user verification method (userVerificationDetails \
             beyond presence, or authenticatorGetInfo uv/clientPin)"
                .to_string(),
        ));
    }
    if !caps.resident_key {
        out.push(fail(
            FailureCode::MetadataNoResidentKey,
            "the metadata statement does not show resident-key support \
             (authenticatorGetInfo.options.rk)"
                .to_string(),
        ));
    }
}

fn describe_origin(origin: &Origin) -> &'static str {
    match origin {
        Origin::Mds => "the FIDO MDS",
        Origin::Blob { .. } => "a configured BLOB source",
        Origin::Operator { .. } => "an operator's metadata statement",
    }
}

fn check_backup_state(p: &Profile, flags: crate::attestation::Flags, out: &mut Vec<Failure>) {
    let Some(states) = p.backup_states else { return };
    let backed_up = flags.backed_up();
    let allowed = if backed_up { states.backed_up } else { states.not_backed_up };
    if !allowed {
        out.push(fail(
            FailureCode::BackupStateNotAllowed,
            format!(
                "{} passkeys are not allowed by profile {}",
                if backed_up { "backed-up (BS=1)" } else { "not backed-up (BS=0)" },
                p.name
            ),
        ));
    }
}

fn check_kind(
    p: &Profile,
    kind: CredentialKind,
    metadata: Option<&MetadataFacts>,
    notes: &mut Notes,
    out: &mut Vec<Failure>,
) {
    let conflict =
        kind == CredentialKind::Synced && metadata.is_some_and(|m| m.denies_multi_device());
    if conflict {
        notes.add(
            NoteCode::KindConflict,
            "BE=1 (synced) but the metadata says multiDeviceCredentialSupport is unsupported; \
             treated as synced"
                .to_string(),
        );
    }
    let allowed = match kind {
        CredentialKind::DeviceBound => p.passkey_types.device_bound,
        CredentialKind::Synced => p.passkey_types.synced,
    };
    if !allowed {
        out.push(fail(
            FailureCode::PasskeyTypeNotAllowed,
            format!(
                "{} passkeys are not allowed by profile {}{}",
                kind.as_str(),
                p.name,
                if conflict { " (BE=1 contradicts the metadata)" } else { "" }
            ),
        ));
    }
}

/// `unbelieved`: under enforcement, no trusted attestation signature covers the AAGUID;
/// `trusted`: one does.
fn check_key_restrictions(
    p: &Profile,
    aaguid: Option<Uuid>,
    unbelieved: bool,
    trusted: bool,
    notes: &mut Notes,
    out: &mut Vec<Failure>,
) {
    let Some(k) = &p.key_restrictions else { return };
    let aaguid = aaguid.unwrap_or_else(Uuid::nil);
    let listed = k.aaguids.contains(&aaguid);
    if !trusted && !unbelieved {
        notes.add(
            NoteCode::AaguidClaimed,
            format!(
                "key restrictions were applied to AAGUID {aaguid} as claimed by the \
                 authenticator; no trusted attestation vouches for it, and AAGUIDs can be spoofed"
            ),
        );
    }
    match k.mode {
        KeyRestrictionMode::Allow => {
            if unbelieved {
                out.push(fail(
                    FailureCode::AaguidNotAllowed,
                    format!(
                        "AAGUID {aaguid} is not covered by an attestation signature trusted \
                         through the metadata; under enforcement it cannot satisfy the allow list"
                    ),
                ));
            } else if !listed {
                out.push(fail(
                    FailureCode::AaguidNotAllowed,
                    format!("AAGUID {aaguid} is not on the allow list of profile {}", p.name),
                ));
            }
        }
        KeyRestrictionMode::Block => {
            if listed {
                out.push(fail(
                    FailureCode::AaguidBlocked,
                    format!("AAGUID {aaguid} is on the block list of profile {}", p.name),
                ));
            }
        }
    }
}

fn check_user_verification(p: &Profile, uv: bool, out: &mut Vec<Failure>) {
    if p.require_user_verification && !uv {
        out.push(fail(
            FailureCode::UserVerificationRequired,
            format!("profile {} requires user verification and UV is not set", p.name),
        ));
    }
}

fn check_status(
    p: &Profile,
    metadata: Option<&MetadataFacts>,
    notes: &mut Notes,
    out: &mut Vec<Failure>,
) {
    let Some(status) = metadata.and_then(|m| m.status.as_ref()) else { return };
    if !p.refuse_statuses.contains(status) {
        return;
    }
    if metadata.is_some_and(|m| m.status_batch_scoped) {
        notes.add(
            NoteCode::StatusBatchScoped,
            format!("current status {} is scoped to one batch certificate", status.as_str()),
        );
        return;
    }
    out.push(fail(
        FailureCode::StatusRefused,
        format!("current metadata status {} is refused by profile {}", status.as_str(), p.name),
    ));
}

fn fail(code: FailureCode, message: String) -> Failure {
    Failure { code, message }
}
