//! The outcome of one registration verification ([`AttestationResult`]) and where its facts come
//! from ([`Provenance`]): what the statement's signature covers, how the metadata entry was
//! selected, and which reported facts are only the client's claim (SECURITY.md, "What each
//! signature covers").

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use super::reason::Reason;
use super::{AttestationType, Flags, Format, TrustOutcome};
use crate::trust_store::{AuthenticatorStatus, Entry, Origin, StatusVerdict};

/// What an attestation statement's signature covers, and so which facts of a registration it
/// vouches for (WebAuthn L3 §8; the table in SECURITY.md, "What each signature covers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Coverage {
    /// All of authenticatorData (rpIdHash, flags, signCount, AAGUID, credential ID and key,
    /// extensions) with clientDataHash, signed by a key the attestation certificate vouches
    /// for: packed with x5c, tpm, android-key, android-safetynet, apple.
    AuthenticatorData,
    /// fido-u2f (FIDO U2F raw message §4.3): rpIdHash, clientDataHash, the credential ID and the
    /// credential key only. Flags, signCount, AAGUID and extensions are written by the client.
    U2fRegistration,
    /// Self attestation: authenticatorData signed by the credential key itself, which nothing
    /// vouches for: every fact about the authenticator is its own claim.
    CredentialKey,
    /// `none`: nothing is signed.
    Nothing,
}

impl Coverage {
    /// The wire name (proto `Provenance.coverage`, CLI JSON).
    pub fn as_str(&self) -> &'static str {
        match self {
            Coverage::AuthenticatorData => "authenticator_data",
            Coverage::U2fRegistration => "u2f_registration",
            Coverage::CredentialKey => "credential_key",
            Coverage::Nothing => "nothing",
        }
    }
}

/// A fact a registration result reports, for [`Provenance::claimed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fact {
    /// The authenticator model (the metadata entry) and so its status.
    Authenticator,
    /// The AAGUID of the attested credential data.
    Aaguid,
    /// Basic / AttCA / AnonCA as reported.
    AttestationType,
    UserPresent,
    UserVerified,
    BackupEligible,
    BackedUp,
    /// Device-bound or synced.
    CredentialKind,
    SignCount,
}

impl Fact {
    /// Every fact, in the order they are listed.
    pub const ALL: [Fact; 9] = [
        Fact::Authenticator,
        Fact::Aaguid,
        Fact::AttestationType,
        Fact::UserPresent,
        Fact::UserVerified,
        Fact::BackupEligible,
        Fact::BackedUp,
        Fact::CredentialKind,
        Fact::SignCount,
    ];

    /// The wire name: the name of the field it describes in the CLI JSON and the proto.
    pub fn as_str(&self) -> &'static str {
        match self {
            Fact::Authenticator => "authenticator",
            Fact::Aaguid => "aaguid",
            Fact::AttestationType => "attestation_type",
            Fact::UserPresent => "flags.user_present",
            Fact::UserVerified => "flags.user_verified",
            Fact::BackupEligible => "flags.backup_eligible",
            Fact::BackedUp => "flags.backed_up",
            Fact::CredentialKind => "credential_kind",
            Fact::SignCount => "sign_count",
        }
    }
}

/// How the metadata entry of a registration was selected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntrySelector {
    /// The AAGUID of authenticatorData, covered by the attestation signature.
    Aaguid(Uuid),
    /// The FIDO key identifier (SHA-1 of the subjectPublicKey, lowercase hex) of the validated
    /// attestation certificate (the leaf, never another certificate of x5c).
    KeyIdentifier(String),
    /// The AAGUID extension (1.3.6.1.4.1.45724.1.1.4) of the validated attestation certificate.
    CertificateAaguid(Uuid),
    /// Display only: the entry of an AAGUID that no trusted signature covers. Never the basis
    /// of a trusted answer.
    ClaimedAaguid(Uuid),
}

impl EntrySelector {
    /// The wire name of the selector kind.
    pub fn kind(&self) -> &'static str {
        match self {
            EntrySelector::Aaguid(_) => "aaguid",
            EntrySelector::KeyIdentifier(_) => "key_identifier",
            EntrySelector::CertificateAaguid(_) => "certificate_aaguid",
            EntrySelector::ClaimedAaguid(_) => "claimed_aaguid",
        }
    }

    /// True when a signature or the attestation certificate covers the selector.
    pub fn is_verified(&self) -> bool {
        !matches!(self, EntrySelector::ClaimedAaguid(_))
    }
}

/// The key that names a verified metadata entry, to store with a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataKey {
    Aaguid(Uuid),
    /// FIDO key identifier of the attestation certificate, lowercase hex.
    KeyIdentifier(String),
}

/// Where the facts of an [`AttestationResult`] come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// What the statement's signature covers; `None` when no statement verified.
    pub coverage: Option<Coverage>,
    /// How [`AttestationResult::entry`] was selected.
    pub entry_selected_by: Option<EntrySelector>,
    /// The reported facts that no trusted signature covers: the client's claim. Every fact is
    /// claimed unless the result is trusted; a trusted fido-u2f result still claims its flags,
    /// signCount and AAGUID.
    pub claimed: Vec<Fact>,
}

impl Provenance {
    /// True when `fact` is covered by a signature mdsd trusted.
    pub fn verified(&self, fact: Fact) -> bool {
        !self.claimed.contains(&fact)
    }
}

/// Device-bound or synced, read from the BE flag (WebAuthn L3 §6.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    DeviceBound,
    Synced,
}

impl CredentialKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialKind::DeviceBound => "device_bound",
            CredentialKind::Synced => "synced",
        }
    }
}

/// What the metadata says about the authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorSummary {
    pub description: Option<String>,
    /// The current status (latest effective status report at `now`).
    pub status: Option<AuthenticatorStatus>,
    pub key_scope: Option<String>,
    pub multi_device_credential_support: Option<String>,
    /// True when the metadata entry was reached through a verified attestation chain; false
    /// when it was only looked up by the (unverified, spoofable) AAGUID.
    pub verified: bool,
    /// Where the entry comes from (the MDS, a further BLOB source, an operator's statement).
    pub origin: Origin,
}

impl AuthenticatorSummary {
    /// What `entry` says at `now`: its current status (the one `verdict` judged, when the
    /// status reports were judged), `verified` as the trust step found it.
    pub(crate) fn of(
        entry: &Entry,
        verdict: Option<&StatusVerdict>,
        now: OffsetDateTime,
        verified: bool,
    ) -> AuthenticatorSummary {
        let status = match verdict {
            Some(v) => v.status.clone(),
            None => entry.current_status(now).map(|r| r.status.clone()),
        };
        AuthenticatorSummary {
            description: entry.description().map(str::to_string),
            status,
            key_scope: entry.key_scope().map(str::to_string),
            multi_device_credential_support: entry
                .multi_device_credential_support()
                .map(str::to_string),
            verified,
            origin: entry.origin().clone(),
        }
    }
}

/// The outcome of one registration verification. A value, never a panic.
#[derive(Debug, Clone)]
pub struct AttestationResult {
    /// The statement verifies per its format, the structure parses, and every ceremony check
    /// the caller asked for passes.
    pub statement_valid: bool,
    /// The statement is valid and its chain leads to a root the metadata (or the operator)
    /// vouches for, with an acceptable status.
    pub trusted: bool,
    pub format: Option<Format>,
    /// `fmt` as received (also when unknown).
    pub fmt: Option<String>,
    pub attestation_type: Option<AttestationType>,
    pub aaguid: Option<Uuid>,
    pub authenticator: Option<AuthenticatorSummary>,
    pub credential_id: Option<Vec<u8>>,
    /// The credential public key in its COSE_Key form.
    pub credential_public_key: Option<Vec<u8>>,
    pub credential_alg: Option<i64>,
    pub sign_count: Option<u32>,
    pub flags: Option<Flags>,
    pub credential_kind: Option<CredentialKind>,
    /// Set when the metadata says multiDeviceCredentialSupport is "unsupported" but BE=1.
    pub kind_conflict: Option<String>,
    /// SHA-256 fingerprints of the validated path (leaf first), or of x5c when no path was built.
    pub trust_path: Vec<String>,
    /// SHA-256 of the anchoring certificate and its label.
    pub anchor: Option<(String, String)>,
    /// `no` of the BLOB the trust store came from.
    pub metadata_no: Option<u64>,
    /// Every failure and every reason trust was not granted.
    pub reasons: Vec<Reason>,
    /// Remarks that do not decide: ALGORITHM_NOT_IN_METADATA (the credential algorithm is not
    /// in the entry's `authenticationAlgorithms`).
    pub notes: Vec<Reason>,
    /// The metadata entry `authenticator` describes (how it was selected, and whether that
    /// selection is covered by a signature: [`Provenance::entry_selected_by`]).
    pub entry: Option<Arc<Entry>>,
    /// Where each fact comes from: what the signature covers, how the entry was selected, and
    /// which reported facts are only the client's claim.
    pub provenance: Provenance,
    /// The authenticator's serial number from the FIDO serial-number extension
    /// (1.3.6.1.4.1.45724.1.1.2) of the validated attestation certificate: present in
    /// enterprise attestation (WebAuthn L3 §8.2.2). Read only from a certificate whose chain
    /// validated to an anchor; vouched for by that anchor when `trusted`. Uniquely identifies
    /// the device: hand it on only when the relying party asked for enterprise attestation.
    pub serial_number: Option<Vec<u8>>,
}

impl AttestationResult {
    /// A result with nothing known yet: not valid, not trusted, every fact claimed.
    pub(super) fn empty() -> AttestationResult {
        AttestationResult {
            statement_valid: false,
            trusted: false,
            format: None,
            fmt: None,
            attestation_type: None,
            aaguid: None,
            authenticator: None,
            credential_id: None,
            credential_public_key: None,
            credential_alg: None,
            sign_count: None,
            flags: None,
            credential_kind: None,
            kind_conflict: None,
            trust_path: Vec::new(),
            anchor: None,
            metadata_no: None,
            reasons: Vec::new(),
            notes: Vec::new(),
            entry: None,
            provenance: Provenance { claimed: Fact::ALL.to_vec(), ..Provenance::default() },
            serial_number: None,
        }
    }

    /// The metadata key a relying party stores with the credential (for CheckCredentials and
    /// sign-in policy): the verified selector of the entry of a trusted result, else `None`.
    pub fn metadata_key(&self) -> Option<MetadataKey> {
        if !self.trusted {
            return None;
        }
        match self.provenance.entry_selected_by.as_ref()? {
            EntrySelector::Aaguid(u) | EntrySelector::CertificateAaguid(u) => {
                Some(MetadataKey::Aaguid(*u))
            }
            EntrySelector::KeyIdentifier(k) => Some(MetadataKey::KeyIdentifier(k.clone())),
            EntrySelector::ClaimedAaguid(_) => None,
        }
    }

    /// This result with one more reason.
    pub(super) fn fail(mut self, reason: Reason) -> AttestationResult {
        self.reasons.push(reason);
        self
    }

    /// The JSON form used by the CLI (`--json`).
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine;
        let b64 = |b: &Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        serde_json::json!({
            "statement_valid": self.statement_valid,
            "trusted": self.trusted,
            "format": self.format.map(|f| f.as_str()).or(self.fmt.as_deref()),
            "attestation_type": self.attestation_type.map(|t| t.as_str()),
            "aaguid": self.aaguid.map(|u| u.to_string()),
            "authenticator": self.authenticator.as_ref().map(|a| serde_json::json!({
                "description": a.description,
                "status": a.status.as_ref().map(|s| s.as_str()),
                "key_scope": a.key_scope,
                "multi_device_credential_support": a.multi_device_credential_support,
                "verified": a.verified,
            })),
            "credential_id": self.credential_id.as_ref().map(b64),
            "credential_public_key": self.credential_public_key.as_ref().map(b64),
            "credential_alg": self.credential_alg,
            "sign_count": self.sign_count,
            "flags": self.flags.map(|f| serde_json::json!({
                "up": f.user_present(),
                "uv": f.user_verified(),
                "be": f.backup_eligible(),
                "bs": f.backed_up(),
                "at": f.attested_credential_data(),
                "ed": f.extension_data(),
            })),
            "credential_kind": self.credential_kind.map(|k| k.as_str()),
            "kind_conflict": self.kind_conflict,
            "trust_path": self.trust_path,
            "anchor": self.anchor.as_ref().map(|(sha, label)| serde_json::json!({
                "sha256": sha, "label": label,
            })),
            "metadata_no": self.metadata_no,
            "reasons": self.reasons.iter().map(|r| serde_json::json!({
                "code": r.code.as_str(), "message": r.message,
            })).collect::<Vec<_>>(),
            "notes": self.notes.iter().map(|r| serde_json::json!({
                "code": r.code.as_str(), "message": r.message,
            })).collect::<Vec<_>>(),
            "provenance": {
                "coverage": self.provenance.coverage.map(|c| c.as_str()),
                "entry_selected_by": self.provenance.entry_selected_by.as_ref().map(|s| s.kind()),
                "metadata_key": self.metadata_key().map(|k| match k {
                    MetadataKey::Aaguid(u) => serde_json::json!({ "aaguid": u.to_string() }),
                    MetadataKey::KeyIdentifier(k) => serde_json::json!({ "key_identifier": k }),
                }),
                "claimed": self.provenance.claimed.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            },
        })
    }
}

/// The facts of a result that no trusted signature covers (SECURITY.md, "What each signature
/// covers"): all of them unless trusted; for a trusted fido-u2f result, the flags, signCount and
/// AAGUID (the U2F signature covers none of them); the model whenever the entry was not
/// selected by a covered key (e.g. trusted through an operator anchor only).
pub(super) fn claimed_facts(trusted: bool, coverage: Coverage, judged: &TrustOutcome) -> Vec<Fact> {
    if !trusted {
        return Fact::ALL.to_vec();
    }
    let mut claimed = match coverage {
        Coverage::AuthenticatorData => Vec::new(),
        Coverage::U2fRegistration => vec![
            Fact::Aaguid,
            Fact::UserPresent,
            Fact::UserVerified,
            Fact::BackupEligible,
            Fact::BackedUp,
            Fact::SignCount,
        ],
        // Never trusted (no trust path); listed in full should that change.
        Coverage::CredentialKey | Coverage::Nothing => return Fact::ALL.to_vec(),
    };
    if !judged.entry_verified {
        claimed.insert(0, Fact::Authenticator);
    }
    claimed
}
