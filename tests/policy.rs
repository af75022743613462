//! Passkey profiles (issue #5, REFERENCE §3): the seed's scenarios, table-driven, on real
//! attestations (../shared/testdata/attestations/vectors.json verified against the real
//! 2024-12 MDS BLOB) and generated ones; one test per requirement that fails when the check is
//! removed; configuration errors reported all at once; the docs/policy.md examples build.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use mdsd::attestation::{
    AttestationType, Expectations, Flags, Format, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::policy::{
    AttestationTrust, AuthenticationFacts, CertificationLevel, ConfigError, Decision, FailureCode,
    MetadataCapabilities, MetadataFacts, NoteCode, PolicyConfig, PolicySet, RegistrationFacts,
};
use mdsd::trust_store::{AuthenticatorStatus, Origin, TrustStore};
use mdsd_test_support::attestation as gen;
use mdsd_test_support::policy as policy_support;
use mdsd_test_support::shared::{self, BLOB_2024_12};
use mdsd_test_support::{at as time, t};
use serde::Deserialize;
use uuid::Uuid;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/policy.md");

/// Real vectors used below (ids in vectors.json).
/// A `none` registration from macOS with the iCloud Keychain AAGUID, BE=1 BS=1 UV=1.
const ICLOUD_NONE: &str = "webauthn-rs-none-macos-openssl-key-segfault";
/// YubiKey 5 FIPS Series with NFC, packed, trusted through MDS, UV=1, FIDO_CERTIFIED_L2.
const YUBIKEY: &str = "java-webauthn-server-packed-RealExamples-YubikeyFips5Nfc";
/// Windows Hello software authenticator, `none`, UV=1, BE=0 (its AAGUID is in the MDS).
const WINHELLO_NONE: &str = "simplewebauthn-none-should-verify-none-attestation-w-rsa-public-key";

const ICLOUD_AAGUID: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const YUBIKEY_FIPS_AAGUID: &str = "c1f9a0bc-1dd2-404a-b27f-8e29047a43fd";
const WINHELLO_AAGUID: &str = "6028b017-b1d4-4c02-b4b3-afcdafc96bb2";

/// The seed's set-up: privileged users device-bound with attestation enforced and an allow
/// list of YubiKeys; regular staff may use synced passkeys, but not the Windows Hello software
/// authenticator; everyone else gets the default profile; contractors get nothing.
const SEED_CONFIG: &str = r#"
[default_profile]
exclude_groups = ["contractors"]
passkey_types = ["device_bound", "synced"]

[[profiles]]
name = "privileged"
include_groups = ["admins"]
exclude_groups = ["break-glass"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = [
    "c1f9a0bc-1dd2-404a-b27f-8e29047a43fd",  # YubiKey 5 FIPS Series with NFC
    "cb69481e-8ff7-4039-93ec-0a2729a154a8",  # YubiKey 5 Series
] }
min_certification = "FIDO_CERTIFIED_L1"
require_user_verification = true

[[profiles]]
name = "regular"
include_groups = ["staff"]
exclude_groups = ["contractors"]
passkey_types = ["device_bound", "synced"]
key_restrictions = { enforced = true, mode = "block", aaguids = ["6028b017-b1d4-4c02-b4b3-afcdafc96bb2"] }
"#;

// ---------------------------------------------------------------------------------------------
// Loading real data

/// The real 2024-12 MDS BLOB (no 121), verified without CRLs (none contemporaneous exist).
fn store() -> &'static Arc<TrustStore> {
    static S: OnceLock<Arc<TrustStore>> = OnceLock::new();
    S.get_or_init(|| shared::blob_store(BLOB_2024_12, time("2024-12-15T00:00:00Z")))
}

/// Registration facts of a real vector: verified by the core against the 2024-12 BLOB at the
/// vector's time (2024-06-01 when it has none), ceremony checks included.
fn vector_facts(id: &str) -> RegistrationFacts {
    policy_support::vector_facts(id, &VerifierOptions::default(), Some(store()))
}

/// A valid packed attestation that claims the YubiKey 5 FIPS AAGUID with BE=0 but is signed by
/// a generated PKI, not Yubico's: the spoof enforcement exists to stop.
fn spoofed_yubikey_facts() -> RegistrationFacts {
    let made = gen::make(
        gen::Fmt::Packed,
        &gen::Opts { aaguid: uuid(YUBIKEY_FIPS_AAGUID), ..Default::default() },
        None,
    );
    let at = t(2025, 6, 1);
    let exp = Expectations {
        rp_id: Some(gen::RP_ID.into()),
        origins: vec![gen::ORIGIN.into()],
        challenge: Some(gen::CHALLENGE.to_vec()),
        top_origins: None,
        require_user_presence: true,
        require_user_verification: false,
    };
    let input = RegistrationInput {
        attestation_object: &made.attestation_object,
        client_data_json: &made.client_data_json,
        expectations: Some(&exp),
    };
    let result =
        Verifier::new(VerifierOptions::default()).verify_registration(&input, Some(store()), at);
    RegistrationFacts::from_attestation(&result, at)
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn policy(toml_text: &str) -> PolicySet {
    let config: PolicyConfig = toml::from_str(toml_text).unwrap();
    config.build().unwrap()
}

fn groups(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn codes(d: &Decision, profile: &str) -> BTreeSet<&'static str> {
    d.outcome(profile)
        .unwrap_or_else(|| panic!("{profile} not in scope: {d:#?}"))
        .failures
        .iter()
        .map(|f| f.code.as_str())
        .collect()
}

fn code_set(list: &[&'static str]) -> BTreeSet<&'static str> {
    list.iter().copied().collect()
}

const UP: u8 = Flags::UP;
const UV: u8 = Flags::UV;
const BE: u8 = Flags::BE;
const BS: u8 = Flags::BS;

// ---------------------------------------------------------------------------------------------
// The real vectors are what the scenarios say they are.

#[test]
fn real_vectors_have_the_facts_the_scenarios_rely_on() {
    let icloud = vector_facts(ICLOUD_NONE);
    assert!(icloud.statement_valid);
    assert_eq!(icloud.format, Some(Format::None));
    assert_eq!(icloud.trust, AttestationTrust::Untrusted);
    assert_eq!(icloud.aaguid, Some(uuid(ICLOUD_AAGUID)));
    let flags = icloud.flags.unwrap();
    assert!(flags.backup_eligible() && flags.backed_up() && flags.user_verified());
    assert!(icloud.metadata.is_none(), "iCloud Keychain is not in the 2024-12 MDS");

    let yubikey = vector_facts(YUBIKEY);
    assert!(yubikey.statement_valid);
    assert_eq!(yubikey.trust, AttestationTrust::Metadata);
    assert_eq!(yubikey.format, Some(Format::Packed));
    assert_eq!(yubikey.attestation_type, Some(AttestationType::Basic));
    assert_eq!(yubikey.aaguid, Some(uuid(YUBIKEY_FIPS_AAGUID)));
    assert!(!yubikey.flags.unwrap().backup_eligible());
    let md = yubikey.metadata.as_ref().unwrap();
    assert!(md.verified);
    assert_eq!(md.certification, Some(CertificationLevel::L2));
    assert_eq!(md.status, Some(AuthenticatorStatus::FidoCertifiedL2));

    let winhello = vector_facts(WINHELLO_NONE);
    assert_eq!(winhello.trust, AttestationTrust::Untrusted);
    assert_eq!(winhello.aaguid, Some(uuid(WINHELLO_AAGUID)));
    assert!(!winhello.metadata.as_ref().unwrap().verified, "looked up by the claimed AAGUID");

    let spoof = spoofed_yubikey_facts();
    assert!(spoof.statement_valid, "the spoof is a valid statement");
    assert_eq!(spoof.trust, AttestationTrust::Untrusted);
    assert_eq!(spoof.aaguid, Some(uuid(YUBIKEY_FIPS_AAGUID)));
    assert!(!spoof.metadata.as_ref().unwrap().verified);
}

// ---------------------------------------------------------------------------------------------
// The seed's scenarios (issue #5 "Must show"), table-driven.

/// Which registration facts a row uses.
#[derive(Debug, Clone, Copy)]
enum Reg {
    ICloudNone,
    YubiKey,
    WinHelloNone,
    SpoofedYubiKey,
}

struct RegCase {
    name: &'static str,
    facts: Reg,
    groups: &'static [&'static str],
    allowed: bool,
    /// The profile named as passed.
    passed: Option<&'static str>,
    /// (profile, failure codes) for each in-scope profile, exactly.
    outcomes: &'static [(&'static str, &'static [&'static str])],
    /// Decision-level failure codes, exactly.
    failures: &'static [&'static str],
    notes: &'static [&'static str],
}

const REGISTRATION_CASES: &[RegCase] = &[
    RegCase {
        name: "privileged rejects an iCloud-style synced none passkey",
        facts: Reg::ICloudNone,
        groups: &["admins"],
        allowed: false,
        passed: None,
        outcomes: &[(
            "privileged",
            &[
                "ATTESTATION_REQUIRED",
                "PASSKEY_TYPE_NOT_ALLOWED",
                "AAGUID_NOT_ALLOWED",
                "CERTIFICATION_TOO_LOW",
                // UV=1 is the unattested passkey's claim: under enforcement not believed.
                "USER_VERIFICATION_REQUIRED",
            ],
        )],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "privileged accepts a YubiKey trusted through MDS",
        facts: Reg::YubiKey,
        groups: &["admins"],
        allowed: true,
        passed: Some("privileged"),
        outcomes: &[("privileged", &[])],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "regular accepts the synced passkey (AAGUID taken as claimed)",
        facts: Reg::ICloudNone,
        groups: &["staff"],
        allowed: true,
        passed: Some("regular"),
        outcomes: &[("regular", &[])],
        failures: &[],
        notes: &["AAGUID_CLAIMED"],
    },
    RegCase {
        name: "regular accepts the YubiKey too",
        facts: Reg::YubiKey,
        groups: &["staff"],
        allowed: true,
        passed: Some("regular"),
        outcomes: &[("regular", &[])],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "a user in both groups passes with the synced passkey (regular)",
        facts: Reg::ICloudNone,
        groups: &["admins", "staff"],
        allowed: true,
        passed: Some("regular"),
        outcomes: &[
            (
                "privileged",
                &[
                    "ATTESTATION_REQUIRED",
                    "PASSKEY_TYPE_NOT_ALLOWED",
                    "AAGUID_NOT_ALLOWED",
                    "CERTIFICATION_TOO_LOW",
                    "USER_VERIFICATION_REQUIRED",
                ],
            ),
            ("regular", &[]),
        ],
        failures: &[],
        notes: &["AAGUID_CLAIMED"],
    },
    RegCase {
        name: "a user in both groups passes with the YubiKey (both profiles)",
        facts: Reg::YubiKey,
        groups: &["staff", "admins"],
        allowed: true,
        passed: Some("privileged"),
        outcomes: &[("privileged", &[]), ("regular", &[])],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "a blocked AAGUID fails at registration",
        facts: Reg::WinHelloNone,
        groups: &["staff"],
        allowed: false,
        passed: None,
        outcomes: &[("regular", &["AAGUID_BLOCKED"])],
        failures: &[],
        notes: &["AAGUID_CLAIMED"],
    },
    RegCase {
        name: "exclusion beats inclusion: an excluded admin falls back to the default profile",
        facts: Reg::ICloudNone,
        groups: &["admins", "break-glass"],
        allowed: true,
        passed: Some("default"),
        outcomes: &[("default", &[])],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "exclusion beats inclusion: an excluded staff member has no profile",
        facts: Reg::YubiKey,
        groups: &["staff", "contractors"],
        allowed: false,
        passed: None,
        outcomes: &[],
        failures: &["NO_PROFILE_IN_SCOPE"],
        notes: &[],
    },
    RegCase {
        name: "an untrusted attestation's AAGUID does not satisfy the allow list under enforcement",
        facts: Reg::SpoofedYubiKey,
        groups: &["admins"],
        allowed: false,
        passed: None,
        outcomes: &[(
            "privileged",
            &[
                "ATTESTATION_REQUIRED",
                "PASSKEY_TYPE_UNVERIFIED",
                "AAGUID_NOT_ALLOWED",
                "CERTIFICATION_TOO_LOW",
                "USER_VERIFICATION_REQUIRED",
            ],
        )],
        failures: &[],
        notes: &[],
    },
    RegCase {
        name: "users in no group get the default profile",
        facts: Reg::ICloudNone,
        groups: &[],
        allowed: true,
        passed: Some("default"),
        outcomes: &[("default", &[])],
        failures: &[],
        notes: &[],
    },
];

#[test]
fn seed_registration_scenarios() {
    let set = policy(SEED_CONFIG);
    let icloud = vector_facts(ICLOUD_NONE);
    let yubikey = vector_facts(YUBIKEY);
    let winhello = vector_facts(WINHELLO_NONE);
    let spoof = spoofed_yubikey_facts();
    for case in REGISTRATION_CASES {
        let facts = match case.facts {
            Reg::ICloudNone => &icloud,
            Reg::YubiKey => &yubikey,
            Reg::WinHelloNone => &winhello,
            Reg::SpoofedYubiKey => &spoof,
        };
        let d = set.evaluate_registration(facts, &groups(case.groups));
        let ctx = format!("{}: {d:#?}", case.name);
        assert_eq!(d.allowed, case.allowed, "{ctx}");
        assert_eq!(d.profile.as_deref(), case.passed, "{ctx}");
        let in_scope: Vec<&str> = d.outcomes.iter().map(|o| o.profile.as_str()).collect();
        let expected: Vec<&str> = case.outcomes.iter().map(|(p, _)| *p).collect();
        assert_eq!(in_scope, expected, "{ctx}");
        for (profile, expected) in case.outcomes {
            assert_eq!(codes(&d, profile), code_set(expected), "{ctx}");
        }
        let failures: Vec<&str> = d.failures.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(failures, case.failures, "{ctx}");
        let notes: Vec<&str> = d.notes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(notes, case.notes, "{ctx}");
        // Every failure explains itself.
        for f in d.failures.iter().chain(d.outcomes.iter().flat_map(|o| &o.failures)) {
            assert!(f.message.len() > 20, "{}: {f}", case.name);
        }
    }
}

#[test]
fn spoofed_aaguid_is_taken_as_claimed_without_enforcement() {
    // The same allow list without enforcement admits the spoof, and says the AAGUID was only
    // claimed (the operator's documented risk).
    let set = policy(
        r#"
[[profiles]]
name = "allow-only"
include_groups = ["g"]
passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = ["c1f9a0bc-1dd2-404a-b27f-8e29047a43fd"] }
"#,
    );
    let d = set.evaluate_registration(&spoofed_yubikey_facts(), &groups(&["g"]));
    assert!(d.allowed, "{d:#?}");
    assert_eq!(d.notes.len(), 1);
    assert_eq!(d.notes[0].code, NoteCode::AaguidClaimed);
    assert!(d.notes[0].message.contains("spoofed"));
    // The genuine YubiKey passes without the note.
    let d = set.evaluate_registration(&vector_facts(YUBIKEY), &groups(&["g"]));
    assert!(d.allowed && d.notes.is_empty(), "{d:#?}");
}

struct AuthCase {
    name: &'static str,
    aaguid: &'static str,
    flags: u8,
    trust: Option<AttestationTrust>,
    groups: &'static [&'static str],
    allowed: bool,
    passed: Option<&'static str>,
    outcomes: &'static [(&'static str, &'static [&'static str])],
}

const AUTHENTICATION_CASES: &[AuthCase] = &[
    AuthCase {
        name: "a blocked AAGUID fails at sign-in",
        aaguid: WINHELLO_AAGUID,
        flags: UP | UV,
        trust: None,
        groups: &["staff"],
        allowed: false,
        passed: None,
        outcomes: &[("regular", &["AAGUID_BLOCKED"])],
    },
    AuthCase {
        name: "a synced passkey cannot sign in to the privileged profile",
        aaguid: ICLOUD_AAGUID,
        flags: UP | UV | BE | BS,
        trust: Some(AttestationTrust::Untrusted),
        groups: &["admins"],
        allowed: false,
        passed: None,
        outcomes: &[("privileged", &["PASSKEY_TYPE_NOT_ALLOWED", "AAGUID_NOT_ALLOWED"])],
    },
    AuthCase {
        name: "the YubiKey signs in as privileged",
        aaguid: YUBIKEY_FIPS_AAGUID,
        flags: UP | UV,
        trust: Some(AttestationTrust::Metadata),
        groups: &["admins"],
        allowed: true,
        passed: Some("privileged"),
        outcomes: &[("privileged", &[])],
    },
    AuthCase {
        name: "sign-in without UV fails the privileged profile",
        aaguid: YUBIKEY_FIPS_AAGUID,
        flags: UP,
        trust: Some(AttestationTrust::Metadata),
        groups: &["admins"],
        allowed: false,
        passed: None,
        outcomes: &[("privileged", &["USER_VERIFICATION_REQUIRED"])],
    },
    AuthCase {
        name: "attestation enforcement does not apply at sign-in (Entra)",
        aaguid: YUBIKEY_FIPS_AAGUID,
        flags: UP | UV,
        trust: Some(AttestationTrust::Untrusted),
        groups: &["admins"],
        allowed: true,
        passed: Some("privileged"),
        outcomes: &[("privileged", &[])],
    },
    AuthCase {
        name: "a user in both groups signs in with the synced passkey (regular)",
        aaguid: ICLOUD_AAGUID,
        flags: UP | UV | BE | BS,
        trust: Some(AttestationTrust::Untrusted),
        groups: &["admins", "staff"],
        allowed: true,
        passed: Some("regular"),
        outcomes: &[
            ("privileged", &["PASSKEY_TYPE_NOT_ALLOWED", "AAGUID_NOT_ALLOWED"]),
            ("regular", &[]),
        ],
    },
];

#[test]
fn seed_authentication_scenarios() {
    let set = policy(SEED_CONFIG);
    let now = time("2024-12-15T00:00:00Z");
    for case in AUTHENTICATION_CASES {
        let mut facts = AuthenticationFacts::new(Some(uuid(case.aaguid)), Flags(case.flags));
        facts.registration_trust = case.trust;
        let facts = facts.with_metadata_from(store(), now);
        let d = set.evaluate_authentication(&facts, &groups(case.groups));
        let ctx = format!("{}: {d:#?}", case.name);
        assert_eq!(d.allowed, case.allowed, "{ctx}");
        assert_eq!(d.profile.as_deref(), case.passed, "{ctx}");
        assert_eq!(d.outcomes.len(), case.outcomes.len(), "{ctx}");
        for (profile, expected) in case.outcomes {
            assert_eq!(codes(&d, profile), code_set(expected), "{ctx}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One requirement at a time: each row has a profile with that requirement only and facts that
// violate only it (refused with exactly that code) or satisfy it (allowed). Removing a check
// turns its refusal into an allow.

/// Facts that satisfy everything: a valid packed basic attestation trusted through MDS,
/// device-bound, UV, certified L2, status FIDO_CERTIFIED_L2.
fn good() -> RegistrationFacts {
    RegistrationFacts {
        statement_valid: true,
        trust: AttestationTrust::Metadata,
        format: Some(Format::Packed),
        attestation_type: Some(AttestationType::Basic),
        aaguid: Some(uuid(YUBIKEY_FIPS_AAGUID)),
        flags: Some(Flags(UP | UV | Flags::AT)),
        metadata: Some(MetadataFacts {
            description: Some("test".into()),
            verified: true,
            status: Some(AuthenticatorStatus::FidoCertifiedL2),
            status_batch_scoped: false,
            certification: Some(CertificationLevel::L2),
            multi_device_credential_support: None,
            capabilities: Some(MetadataCapabilities {
                user_verification: true,
                resident_key: true,
            }),
            origin: Origin::Mds,
        }),
        claimed: Vec::new(),
    }
}

fn one_profile(body: &str) -> PolicySet {
    policy(&format!("[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\n{body}\n"))
}

type Mutate = fn(&mut RegistrationFacts);

struct Requirement {
    code: &'static str,
    profile: &'static str,
    /// Facts violating only this requirement.
    violate: Mutate,
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        code: "STATEMENT_INVALID",
        profile: r#"passkey_types = ["device_bound", "synced"]"#,
        violate: |f| f.statement_valid = false,
    },
    Requirement {
        code: "ATTESTATION_REQUIRED",
        profile: r#"passkey_types = ["device_bound"]
attestation_enforcement = "registration_only""#,
        violate: |f| f.trust = AttestationTrust::Untrusted,
    },
    Requirement {
        code: "ATTESTATION_REQUIRED",
        profile: r#"passkey_types = ["device_bound"]
attestation_enforcement = "registration_only""#,
        violate: |f| f.trust = AttestationTrust::OperatorAnchor,
    },
    Requirement {
        code: "METADATA_ORIGIN_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
attestation_enforcement = "registration_only""#,
        violate: |f| {
            f.metadata.as_mut().unwrap().origin = Origin::Operator { file: "private.json".into() }
        },
    },
    Requirement {
        code: "METADATA_ORIGIN_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
attestation_enforcement = "registration_only"
metadata_origins = ["mds"]"#,
        violate: |f| f.metadata.as_mut().unwrap().origin = Origin::Blob { source: "conf".into() },
    },
    Requirement {
        code: "FORMAT_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
allowed_formats = ["packed", "tpm"]"#,
        violate: |f| f.format = Some(Format::AndroidKey),
    },
    Requirement {
        code: "FORMAT_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
allowed_formats = ["packed"]"#,
        violate: |f| f.format = None,
    },
    Requirement {
        code: "ATTESTATION_TYPE_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
allowed_attestation_types = ["basic", "attca"]"#,
        violate: |f| f.attestation_type = Some(AttestationType::SelfAttestation),
    },
    Requirement {
        code: "PASSKEY_TYPE_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]"#,
        violate: |f| f.flags = Some(Flags(UP | UV | BE)),
    },
    Requirement {
        code: "PASSKEY_TYPE_NOT_ALLOWED",
        profile: r#"passkey_types = ["synced"]"#,
        violate: |f| f.flags = Some(Flags(UP | UV)),
    },
    Requirement {
        code: "PASSKEY_TYPE_UNVERIFIED",
        profile: r#"passkey_types = ["device_bound"]"#,
        violate: |f| f.flags = None,
    },
    Requirement {
        code: "AAGUID_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = ["c1f9a0bc-1dd2-404a-b27f-8e29047a43fd"] }"#,
        violate: |f| f.aaguid = Some(Uuid::from_u128(7)),
    },
    Requirement {
        code: "AAGUID_NOT_ALLOWED",
        profile: r#"passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = ["c1f9a0bc-1dd2-404a-b27f-8e29047a43fd"] }"#,
        violate: |f| f.aaguid = None,
    },
    Requirement {
        code: "AAGUID_BLOCKED",
        profile: r#"passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "block", aaguids = ["00000000-0000-0000-0000-000000000007"] }"#,
        violate: |f| f.aaguid = Some(Uuid::from_u128(7)),
    },
    Requirement {
        code: "CERTIFICATION_TOO_LOW",
        profile: r#"passkey_types = ["device_bound"]
min_certification = "FIDO_CERTIFIED_L2""#,
        violate: |f| f.metadata.as_mut().unwrap().certification = Some(CertificationLevel::L1Plus),
    },
    Requirement {
        code: "CERTIFICATION_TOO_LOW",
        profile: r#"passkey_types = ["device_bound"]
min_certification = "FIDO_CERTIFIED"
"#,
        violate: |f| f.metadata = None,
    },
    Requirement {
        code: "USER_VERIFICATION_REQUIRED",
        profile: r#"passkey_types = ["device_bound"]
require_user_verification = true"#,
        violate: |f| f.flags = Some(Flags(UP | Flags::AT)),
    },
    Requirement {
        code: "STATUS_REFUSED",
        profile: r#"passkey_types = ["device_bound"]
refuse_statuses = ["REVOKED", "RETIRED"]"#,
        violate: |f| f.metadata.as_mut().unwrap().status = Some(AuthenticatorStatus::Retired),
    },
];

#[test]
fn each_registration_requirement_refuses_alone() {
    for (i, req) in REQUIREMENTS.iter().enumerate() {
        let set = one_profile(req.profile);
        let g = groups(&["g"]);
        let mut base = good();
        // Synced-only rows start from a synced passkey.
        if req.profile.contains("[\"synced\"]") {
            base.flags = Some(Flags(UP | UV | BE));
        }
        let ok = set.evaluate_registration(&base, &g);
        assert!(ok.allowed, "row {i} {}: good facts refused: {ok:#?}", req.code);
        let mut bad = base;
        (req.violate)(&mut bad);
        let d = set.evaluate_registration(&bad, &g);
        assert!(!d.allowed, "row {i} {}: {d:#?}", req.code);
        // Enforcement admits device-bound passkeys only (Entra), and an attestation not
        // trusted through MDS cannot vouch for their BE=0 claim either.
        let mut expected = set_of(req.code);
        if req.code == "ATTESTATION_REQUIRED" {
            expected.insert("PASSKEY_TYPE_UNVERIFIED");
        }
        assert_eq!(codes(&d, "p"), expected, "row {i}: {d:#?}");
    }
}

fn set_of(code: &'static str) -> BTreeSet<&'static str> {
    [code].into_iter().collect()
}

#[test]
fn enforcement_makes_unverified_facts_unbelievable() {
    let g = groups(&["g"]);
    // Certification of a model only claimed: known without enforcement, not believed with it.
    let claimed = |f: &mut RegistrationFacts| {
        f.trust = AttestationTrust::Untrusted;
        f.metadata.as_mut().unwrap().verified = false;
    };
    let mut facts = good();
    claimed(&mut facts);
    let lax = one_profile(
        "passkey_types = [\"device_bound\"]\nmin_certification = \"FIDO_CERTIFIED_L1\"",
    );
    assert!(lax.evaluate_registration(&facts, &g).allowed);
    let strict = one_profile(
        "passkey_types = [\"device_bound\"]\nmin_certification = \"FIDO_CERTIFIED_L1\"\nattestation_enforcement = \"registration_only\"",
    );
    let d = strict.evaluate_registration(&facts, &g);
    assert_eq!(
        codes(&d, "p"),
        code_set(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_UNVERIFIED", "CERTIFICATION_TOO_LOW"])
    );
    assert!(d.outcomes[0].failures[2].message.contains("verified"));

    // BE=0 from an untrusted attestation: unverified under enforcement (device-bound only),
    // believed without.
    let bound = one_profile(
        "passkey_types = [\"device_bound\"]\nattestation_enforcement = \"registration_only\"",
    );
    let d = bound.evaluate_registration(&facts, &g);
    assert_eq!(codes(&d, "p"), code_set(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_UNVERIFIED"]));
    let d = one_profile("passkey_types = [\"device_bound\"]").evaluate_registration(&facts, &g);
    assert!(d.allowed);
    // A block list still refuses a claimed blocked AAGUID under enforcement.
    let block = one_profile(
        "passkey_types = [\"device_bound\"]\nattestation_enforcement = \"registration_only\"\nkey_restrictions = { enforced = true, mode = \"block\", aaguids = [\"c1f9a0bc-1dd2-404a-b27f-8e29047a43fd\"] }",
    );
    let d = block.evaluate_registration(&facts, &g);
    assert_eq!(
        codes(&d, "p"),
        code_set(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_UNVERIFIED", "AAGUID_BLOCKED"])
    );
}

#[test]
fn each_authentication_requirement_refuses_alone() {
    let g = groups(&["g"]);
    let good = || {
        let mut f = AuthenticationFacts::new(Some(Uuid::from_u128(7)), Flags(UP | UV));
        f.registration_trust = Some(AttestationTrust::Metadata);
        f.metadata = good().metadata;
        f
    };
    type AuthMutate = fn(&mut AuthenticationFacts);
    let rows: &[(&str, &str, AuthMutate)] = &[
        ("PASSKEY_TYPE_NOT_ALLOWED", "passkey_types = [\"device_bound\"]", |f| {
            f.flags = Flags(UP | UV | BE | BS)
        }),
        ("PASSKEY_TYPE_NOT_ALLOWED", "passkey_types = [\"synced\"]", |f| f.flags = Flags(UP | UV)),
        (
            "AAGUID_NOT_ALLOWED",
            "passkey_types = [\"device_bound\"]\nkey_restrictions = { enforced = true, mode = \"allow\", aaguids = [\"00000000-0000-0000-0000-000000000007\"] }",
            |f| f.aaguid = Some(Uuid::from_u128(8)),
        ),
        (
            "AAGUID_BLOCKED",
            "passkey_types = [\"device_bound\"]\nkey_restrictions = { enforced = true, mode = \"block\", aaguids = [\"00000000-0000-0000-0000-000000000008\"] }",
            |f| f.aaguid = Some(Uuid::from_u128(8)),
        ),
        (
            "USER_VERIFICATION_REQUIRED",
            "passkey_types = [\"device_bound\"]\nrequire_user_verification = true",
            |f| f.flags = Flags(UP),
        ),
        ("STATUS_REFUSED", "passkey_types = [\"device_bound\"]\nrefuse_statuses = [\"REVOKED\"]", |f| {
            f.metadata.as_mut().unwrap().status = Some(AuthenticatorStatus::Revoked)
        }),
    ];
    for (code, body, violate) in rows {
        let set = one_profile(body);
        let mut facts = good();
        // Synced-only rows start from a synced passkey.
        if body.contains("[\"synced\"]") {
            facts.flags = Flags(UP | UV | BE);
        }
        let ok = set.evaluate_authentication(&facts, &g);
        assert!(ok.allowed, "{code}: good facts refused: {ok:#?}");
        violate(&mut facts);
        let d = set.evaluate_authentication(&facts, &g);
        assert!(!d.allowed, "{code}: {d:#?}");
        assert_eq!(codes(&d, "p"), set_of(code), "{d:#?}");
    }
}

#[test]
fn sign_in_does_not_apply_registration_only_requirements() {
    // Formats, attestation types, certification and enforcement are registration facts.
    let set = one_profile(
        "passkey_types = [\"device_bound\"]\nattestation_enforcement = \"registration_only\"\nallowed_formats = [\"packed\"]\nallowed_attestation_types = [\"basic\"]\nmin_certification = \"FIDO_CERTIFIED_L3\"",
    );
    let facts = AuthenticationFacts::new(Some(Uuid::from_u128(7)), Flags(UP));
    assert!(set.evaluate_authentication(&facts, &groups(&["g"])).allowed);
}

#[test]
fn kind_conflict_is_reported_and_treated_as_synced() {
    // Generated: a trusted packed attestation with BE=1 for a model whose metadata says
    // multiDeviceCredentialSupport = unsupported (no real entry of the 2024-12 BLOB declares it).
    let made = gen::make(
        gen::Fmt::Packed,
        &gen::Opts { flags: gen::FLAGS_DEFAULT | BE, ..Default::default() },
        None,
    );
    let mut entry = gen::EntrySpec::new(Some(made.aaguid), "Generated key", vec![&made.root]);
    entry.mdcs = Some("unsupported");
    let store = gen::store(3, &[entry]);
    let at = t(2025, 6, 1);
    let exp = Expectations {
        rp_id: Some(gen::RP_ID.into()),
        origins: vec![gen::ORIGIN.into()],
        challenge: Some(gen::CHALLENGE.to_vec()),
        top_origins: None,
        require_user_presence: true,
        require_user_verification: false,
    };
    let input = RegistrationInput {
        attestation_object: &made.attestation_object,
        client_data_json: &made.client_data_json,
        expectations: Some(&exp),
    };
    let result =
        Verifier::new(VerifierOptions::default()).verify_registration(&input, Some(&store), at);
    assert!(result.trusted, "{:?}", result.reasons);
    let facts = RegistrationFacts::from_attestation(&result, at);
    assert_eq!(facts.trust, AttestationTrust::Metadata);
    let g = groups(&["g"]);

    let bound = one_profile("passkey_types = [\"device_bound\"]");
    let d = bound.evaluate_registration(&facts, &g);
    assert!(!d.allowed);
    assert_eq!(codes(&d, "p"), code_set(&["PASSKEY_TYPE_NOT_ALLOWED"]));
    assert!(d.outcomes[0].failures[0].message.contains("contradicts the metadata"));
    assert_eq!(d.notes.iter().map(|n| n.code).collect::<Vec<_>>(), [NoteCode::KindConflict]);

    let synced = one_profile("passkey_types = [\"synced\"]");
    let d = synced.evaluate_registration(&facts, &g);
    assert!(d.allowed);
    assert_eq!(d.notes.iter().map(|n| n.code).collect::<Vec<_>>(), [NoteCode::KindConflict]);

    // Without the contradiction there is no note.
    let mut plain = facts.clone();
    plain.metadata.as_mut().unwrap().multi_device_credential_support = Some("explicit".into());
    assert!(synced.evaluate_registration(&plain, &g).notes.is_empty());

    // At sign-in too.
    let mut auth = AuthenticationFacts::new(Some(made.aaguid), Flags(UP | BE | BS));
    auth.registration_trust = Some(AttestationTrust::Metadata);
    let auth = auth.with_metadata_from(&store, at);
    let d = bound.evaluate_authentication(&auth, &g);
    assert!(!d.allowed);
    assert_eq!(d.notes.iter().map(|n| n.code).collect::<Vec<_>>(), [NoteCode::KindConflict]);
}

#[test]
fn batch_scoped_compromise_is_not_refused_model_wide() {
    let mut facts = good();
    let md = facts.metadata.as_mut().unwrap();
    md.status = Some(AuthenticatorStatus::AttestationKeyCompromise);
    md.status_batch_scoped = true;
    let set = one_profile(
        "passkey_types = [\"device_bound\"]\nrefuse_statuses = [\"ATTESTATION_KEY_COMPROMISE\"]",
    );
    let g = groups(&["g"]);
    let d = set.evaluate_registration(&facts, &g);
    assert!(d.allowed, "{d:#?}");
    assert_eq!(d.notes.iter().map(|n| n.code).collect::<Vec<_>>(), [NoteCode::StatusBatchScoped]);
    facts.metadata.as_mut().unwrap().status_batch_scoped = false;
    let d = set.evaluate_registration(&facts, &g);
    assert_eq!(codes(&d, "p"), set_of("STATUS_REFUSED"));
}

#[test]
fn default_refuse_statuses_follow_the_core_status_policy() {
    let set = policy(
        "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\npasskey_types = [\"device_bound\"]",
    );
    let refused: Vec<&str> =
        set.profile("p").unwrap().refuse_statuses().iter().map(|s| s.as_str()).collect();
    assert_eq!(
        refused,
        [
            "REVOKED",
            "ATTESTATION_KEY_COMPROMISE",
            "USER_VERIFICATION_BYPASS",
            "USER_KEY_REMOTE_COMPROMISE",
            "USER_KEY_PHYSICAL_COMPROMISE"
        ]
    );
    let mut facts = good();
    facts.metadata.as_mut().unwrap().status = Some(AuthenticatorStatus::Revoked);
    let d = set.evaluate_registration(&facts, &groups(&["g"]));
    assert_eq!(codes(&d, "p"), set_of("STATUS_REFUSED"));
}

// ---------------------------------------------------------------------------------------------
// Scope

#[test]
fn default_scope_fallback_versus_all_users() {
    let profiles = r#"
[[profiles]]
name = "strict"
include_groups = ["admins"]
passkey_types = ["device_bound"]
"#;
    let synced = {
        let mut f = good();
        f.flags = Some(Flags(UP | UV | BE | BS));
        f
    };
    let admins = groups(&["admins"]);
    // Fallback (default): the looser default does not apply to admins.
    let fallback = policy(&format!(
        "[default_profile]\npasskey_types = [\"device_bound\", \"synced\"]\n{profiles}"
    ));
    let d = fallback.evaluate_registration(&synced, &admins);
    assert!(!d.allowed);
    assert_eq!(d.outcomes.len(), 1);
    assert!(fallback.evaluate_registration(&synced, &groups(&["others"])).allowed);
    // All users (Entra): the default is in scope alongside, and admins pass through it.
    let all = policy(&format!(
        "[default_profile]\nname = \"everyone\"\nscope = \"all_users\"\nexclude_groups = [\"kiosk\"]\npasskey_types = [\"device_bound\", \"synced\"]\n{profiles}"
    ));
    let d = all.evaluate_registration(&synced, &admins);
    assert!(d.allowed);
    assert_eq!(d.profile.as_deref(), Some("everyone"));
    assert_eq!(codes(&d, "strict"), set_of("PASSKEY_TYPE_NOT_ALLOWED"));
    // The default's exclusions hold.
    let d = all.evaluate_registration(&synced, &groups(&["kiosk"]));
    assert_eq!(d.failure_codes(), [FailureCode::NoProfileInScope]);
    // No default at all: users outside every profile have none.
    let none = policy(profiles);
    let d = none.evaluate_registration(&good(), &groups(&["others"]));
    assert!(!d.allowed);
    assert_eq!(d.failure_codes(), [FailureCode::NoProfileInScope]);
}

#[test]
fn too_many_groups_are_refused() {
    let set = policy(SEED_CONFIG);
    let many: Vec<String> = (0..=mdsd::policy::MAX_USER_GROUPS).map(|i| format!("g{i}")).collect();
    let d = set.evaluate_registration(&good(), &many);
    assert!(!d.allowed);
    assert_eq!(d.failure_codes(), [FailureCode::LimitExceeded]);
    let d = set.evaluate_registration(&good(), &many[..mdsd::policy::MAX_USER_GROUPS]);
    assert!(d.allowed);
}

#[test]
fn a_named_profile_can_be_chosen_by_the_caller() {
    let set = policy(SEED_CONFIG);
    let icloud = vector_facts(ICLOUD_NONE);
    let d = set.evaluate_registration_with(&icloud, "regular").unwrap();
    assert!(d.allowed);
    let d = set.evaluate_registration_with(&icloud, "privileged").unwrap();
    assert!(!d.allowed);
    assert!(set.evaluate_registration_with(&icloud, "nope").is_none());
    let auth = AuthenticationFacts::new(Some(uuid(WINHELLO_AAGUID)), Flags(UP | UV));
    assert!(!set.evaluate_authentication_with(&auth, "regular").unwrap().allowed);
    assert!(set.evaluate_authentication_with(&auth, "default").unwrap().allowed);
}

#[test]
fn decision_json_has_codes_and_messages() {
    let set = policy(SEED_CONFIG);
    let d = set.evaluate_registration(&vector_facts(ICLOUD_NONE), &groups(&["admins"]));
    let j = d.to_json();
    assert_eq!(j["allowed"], false);
    assert_eq!(j["ceremony"], "registration");
    assert_eq!(j["outcomes"][0]["profile"], "privileged");
    assert_eq!(j["outcomes"][0]["passed"], false);
    assert_eq!(j["outcomes"][0]["failures"][0]["code"], "ATTESTATION_REQUIRED");
    assert!(j["outcomes"][0]["failures"][0]["message"].as_str().unwrap().contains("enforces"));
}

// ---------------------------------------------------------------------------------------------
// Metadata facts from real entries

#[test]
fn certification_level_is_read_at_now() {
    let entry = store().by_aaguid(&uuid(YUBIKEY_FIPS_AAGUID)).unwrap();
    // Reports: FIDO_CERTIFIED + L1 from 2021-02-18, L2 from 2023-03-28.
    let at = |s: &str| MetadataFacts::from_entry(entry, true, time(s)).certification;
    assert_eq!(at("2024-06-01T00:00:00Z"), Some(CertificationLevel::L2));
    assert_eq!(at("2022-01-01T00:00:00Z"), Some(CertificationLevel::L1));
    assert_eq!(at("2020-01-01T00:00:00Z"), None);
    let md = MetadataFacts::from_entry(entry, false, time("2024-06-01T00:00:00Z"));
    assert!(!md.verified);
    assert_eq!(md.description.as_deref(), Some("YubiKey 5 FIPS Series with NFC"));
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn every_configuration_error_is_reported_at_once() {
    let text = r#"
[default_profile]
include_groups = ["everyone"]
scope = "sometimes"
passkey_types = ["device_bound"]

[[profiles]]
include_groups = ["a"]
passkey_types = ["device_bound"]

[[profiles]]
name = "bad name!"
include_groups = ["a"]
passkey_types = ["device_bound"]

[[profiles]]
name = "dup"
include_groups = ["a"]
passkey_types = ["device_bound"]

[[profiles]]
name = "dup"
scope = "all_users"
include_groups = [" padded", "a", "a"]
exclude_groups = ["a"]
attestation_enforcement = "always"
passkey_types = ["device_bound", "roaming"]

[[profiles]]
name = "empty-types"
include_groups = ["a"]
passkey_types = []

[[profiles]]
name = "no-types"
include_groups = ["a"]

[[profiles]]
name = "aaguids"
include_groups = ["a"]
passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "c1f9a0bc-1dd2-404a-b27f-8e29047a43fd",
    "C1F9A0BC-1DD2-404A-B27F-8E29047A43FD",
] }

[[profiles]]
name = "empty-allow"
include_groups = ["a"]
passkey_types = ["device_bound"]
key_restrictions = { enforced = true, mode = "allow", aaguids = [] }

[[profiles]]
name = "no-mode"
include_groups = ["a"]
passkey_types = ["device_bound"]
key_restrictions = { enforced = true, aaguids = ["c1f9a0bc-1dd2-404a-b27f-8e29047a43fd"] }

[[profiles]]
name = "untargeted"
passkey_types = ["device_bound"]

[[profiles]]
name = "names"
include_groups = ["a"]
passkey_types = ["device_bound"]
min_certification = "REVOKED"
refuse_statuses = ["QUANTUM_COMPROMISE"]
allowed_formats = ["packd"]
allowed_attestation_types = ["full"]

[[profiles]]
name = "none-enforced"
include_groups = ["a"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]
allowed_formats = ["none"]

[[profiles]]
name = "self-enforced"
include_groups = ["a"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]
allowed_attestation_types = ["none", "self"]

[[profiles]]
name = "synced-enforced"
include_groups = ["a"]
attestation_enforcement = "registration_only"
passkey_types = ["synced"]

[[profiles]]
name = "mismatch"
include_groups = ["a"]
passkey_types = ["device_bound"]
allowed_formats = ["tpm"]
allowed_attestation_types = ["basic"]

[[profiles]]
name = "empty-lists"
include_groups = ["a"]
passkey_types = ["device_bound"]
allowed_formats = []
allowed_attestation_types = []
"#;
    let config: PolicyConfig = toml::from_str(text).unwrap();
    let errors = config.build().unwrap_err().0;
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let has = |pred: &dyn Fn(&ConfigError) -> bool, what: &str| {
        assert!(errors.iter().any(pred), "missing {what} in {shown:#?}");
    };
    use ConfigError as E;
    let p = |e: &E| -> String {
        match e {
            E::MissingName { profile }
            | E::InvalidName { profile, .. }
            | E::ListTooLong { profile, .. }
            | E::UnknownValue { profile, .. }
            | E::DuplicateValue { profile, .. }
            | E::MalformedAaguid { profile, .. }
            | E::NilAaguidAllowed { profile }
            | E::InvalidGroup { profile, .. }
            | E::GroupIncludedAndExcluded { profile, .. }
            | E::NoTargetGroups { profile }
            | E::DefaultProfileIncludes { profile }
            | E::ScopeOnNamedProfile { profile }
            | E::MissingPasskeyTypes { profile }
            | E::MissingKeyRestrictionMode { profile }
            | E::NotACertificationLevel { profile, .. }
            | E::SyncedWithEnforcement { profile }
            | E::Unsatisfiable { profile, .. } => profile.clone(),
            E::DuplicateProfileName { name } => name.clone(),
            E::TooManyProfiles { .. } => String::new(),
            // `ConfigError` is non-exhaustive: an error this test does not know fails it.
            other => panic!("unexpected configuration error {other:?}"),
        }
    };
    has(&|e| matches!(e, E::DefaultProfileIncludes { .. }), "default include_groups");
    has(
        &|e| matches!(e, E::UnknownValue { field: "scope", value, .. } if value == "sometimes"),
        "scope",
    );
    has(&|e| matches!(e, E::MissingName { profile } if profile == "#0"), "missing name");
    has(&|e| matches!(e, E::InvalidName { name, .. } if name == "bad name!"), "invalid name");
    has(&|e| matches!(e, E::DuplicateProfileName { name } if name == "dup"), "duplicate name");
    has(&|e| matches!(e, E::ScopeOnNamedProfile { profile } if profile == "dup"), "scope on named");
    has(&|e| matches!(e, E::InvalidGroup { group, .. } if group == " padded"), "invalid group");
    has(
        &|e| matches!(e, E::DuplicateValue { field: "include_groups", value, .. } if value == "a"),
        "duplicate group",
    );
    has(
        &|e| matches!(e, E::GroupIncludedAndExcluded { group, .. } if group == "a"),
        "included and excluded",
    );
    has(
        &|e| matches!(e, E::UnknownValue { field: "attestation_enforcement", value, .. } if value == "always"),
        "enforcement value",
    );
    has(
        &|e| matches!(e, E::UnknownValue { field: "passkey_types", value, .. } if value == "roaming"),
        "passkey type value",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "empty-types" && why.contains("passkey_types")),
        "empty passkey types",
    );
    has(
        &|e| matches!(e, E::MissingPasskeyTypes { profile } if profile == "no-types"),
        "missing passkey types",
    );
    has(
        &|e| matches!(e, E::MalformedAaguid { value, .. } if value == "not-a-uuid"),
        "malformed aaguid",
    );
    has(&|e| matches!(e, E::NilAaguidAllowed { profile } if profile == "aaguids"), "nil aaguid");
    has(
        &|e| matches!(e, E::DuplicateValue { field: "key_restrictions.aaguids", value, .. } if value == YUBIKEY_FIPS_AAGUID),
        "duplicate aaguid (case-insensitive)",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "empty-allow" && why.contains("empty allow list")),
        "empty allow list",
    );
    has(
        &|e| matches!(e, E::MissingKeyRestrictionMode { profile } if profile == "no-mode"),
        "missing mode",
    );
    has(
        &|e| matches!(e, E::NoTargetGroups { profile } if profile == "untargeted"),
        "no target groups",
    );
    has(
        &|e| matches!(e, E::NotACertificationLevel { value, .. } if value == "REVOKED"),
        "certification level",
    );
    has(
        &|e| matches!(e, E::UnknownValue { field: "refuse_statuses", value, .. } if value == "QUANTUM_COMPROMISE"),
        "unknown status",
    );
    has(
        &|e| matches!(e, E::UnknownValue { field: "allowed_formats", value, .. } if value == "packd"),
        "unknown format",
    );
    has(
        &|e| matches!(e, E::UnknownValue { field: "allowed_attestation_types", value, .. } if value == "full"),
        "unknown attestation type",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "none-enforced" && why.contains("`none`")),
        "enforced none only",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "self-enforced" && why.contains("self")),
        "enforced none/self types only",
    );
    has(
        &|e| matches!(e, E::SyncedWithEnforcement { profile } if profile == "synced-enforced"),
        "synced only with enforcement",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "mismatch" && why.contains("no allowed format")),
        "formats x types",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "empty-lists" && why.contains("allowed_formats")),
        "empty formats",
    );
    has(
        &|e| matches!(e, E::Unsatisfiable { profile, why } if profile == "empty-lists" && why.contains("allowed_attestation_types")),
        "empty types",
    );
    // Nothing else: every error above is expected, and the good profiles raise none.
    for e in &errors {
        assert!(!p(e).is_empty() || matches!(e, E::DuplicateProfileName { .. }), "{e}");
    }
    assert_eq!(errors.len(), 29, "{shown:#?}");
    // The combined message names them all.
    let all = config.build().unwrap_err().to_string();
    assert!(all.starts_with("29 error(s)"), "{all}");
    // "; " separates the errors and appears in no message.
    assert_eq!(all.matches("; ").count(), 28, "{all}");
}

#[test]
fn unknown_keys_are_refused() {
    let err = toml::from_str::<PolicyConfig>(
        "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\npasskey_type = [\"synced\"]\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("passkey_type"), "{err}");
    let err = toml::from_str::<PolicyConfig>(
        "[[profiles]]\nname = \"p\"\nkey_restrictions = { enforce = true }\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("enforce"), "{err}");
}

#[test]
fn satisfiable_edge_configurations_build() {
    // Enforcement (device-bound only, as Entra requires), a not-enforced allow list that is
    // empty, a block list with the nil AAGUID, formats with a compatible type.
    let set = policy(
        r#"
[[profiles]]
name = "both"
include_groups = ["a"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]
allowed_formats = ["none", "packed"]
allowed_attestation_types = ["basic"]
key_restrictions = { enforced = false, mode = "allow", aaguids = [] }

[[profiles]]
name = "block-nil"
include_groups = ["a"]
passkey_types = ["synced"]
key_restrictions = { enforced = true, mode = "block", aaguids = ["00000000-0000-0000-0000-000000000000"] }
"#,
    );
    assert!(set.profile("both").unwrap().key_restrictions().is_none());
    assert_eq!(set.profiles().len(), 2);
    assert!(set.default_profile().is_none());
    assert!(!set.is_empty());
    // An empty section builds and refuses everyone.
    let empty = PolicyConfig::default().build().unwrap();
    assert!(empty.is_empty());
    let d = empty.evaluate_registration(&good(), &groups(&["a"]));
    assert_eq!(d.failure_codes(), [FailureCode::NoProfileInScope]);
}

/// Every ```toml block of docs/policy.md is a `[policy]` section that builds.
#[test]
fn docs_examples_build() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        policy: PolicyConfig,
    }
    // The policy reference and the README's Entra set-up both show configs that must build.
    for (doc, min_blocks) in [(DOCS, 2), (README, 1)] {
        let text = std::fs::read_to_string(doc).unwrap();
        let mut blocks = 0;
        let mut rest = text.as_str();
        while let Some(start) = rest.find("```toml\n") {
            let body = &rest[start + 8..];
            let end = body.find("```").unwrap();
            let file: File = toml::from_str(&body[..end])
                .unwrap_or_else(|e| panic!("{doc} block {blocks}: {e}\n{}", &body[..end]));
            file.policy.build().unwrap_or_else(|e| panic!("{doc} block {blocks}: {e}"));
            blocks += 1;
            rest = &body[end..];
        }
        assert!(blocks >= min_blocks, "{doc} has {blocks} toml blocks");
    }
}

#[test]
fn the_docs_seed_example_decides_like_the_seed() {
    #[derive(Deserialize)]
    struct File {
        policy: PolicyConfig,
    }
    let text = std::fs::read_to_string(DOCS).unwrap();
    let start = text.find("```toml\n").unwrap() + 8;
    let end = start + text[start..].find("```").unwrap();
    let file: File = toml::from_str(&text[start..end]).unwrap();
    let set = file.policy.build().unwrap();
    let icloud = vector_facts(ICLOUD_NONE);
    let yubikey = vector_facts(YUBIKEY);
    let admins = groups(&["privileged-admins"]);
    let staff = groups(&["all-staff"]);
    assert!(!set.evaluate_registration(&icloud, &admins).allowed);
    assert!(set.evaluate_registration(&yubikey, &admins).allowed);
    assert!(set.evaluate_registration(&icloud, &staff).allowed);
}

// ---------------------------------------------------------------------------------------------
// Trust paths other than an AAGUID entry

#[test]
fn apple_anonymous_attestation_trusted_by_an_operator_anchor_does_not_satisfy_enforcement() {
    // Real: an Apple passkey attestation, trusted only through the Apple WebAuthn Root CA the
    // operator configured (Apple is not in the MDS).
    let options =
        VerifierOptions { extra_anchors: shared::attestation_anchors(), ..Default::default() };
    let facts = policy_support::vector_facts(
        "py_webauthn-apple-verify-attestation-apple-passkey",
        &options,
        Some(store()),
    );
    assert_eq!(facts.trust, AttestationTrust::OperatorAnchor);
    assert_eq!(facts.format, Some(Format::Apple));
    let set = one_profile(
        "passkey_types = [\"device_bound\"]\nattestation_enforcement = \"registration_only\"",
    );
    let d = set.evaluate_registration(&facts, &groups(&["g"]));
    // (Enforcement admits device-bound passkeys only: the operator anchor cannot vouch for the
    // BE=0 claim either.)
    assert_eq!(codes(&d, "p"), code_set(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_UNVERIFIED"]));
    assert!(d.outcomes[0].failures[0].message.contains("operator anchor"));
    // Without enforcement it registers.
    let lax = one_profile("passkey_types = [\"device_bound\", \"synced\"]");
    assert!(lax.evaluate_registration(&facts, &groups(&["g"])).allowed);
}

#[test]
fn u2f_key_trusted_by_key_identifier_has_the_nil_aaguid() {
    // Real: a YubiKey 5C NFC registering with fido-u2f: trusted through the MDS entry found by
    // the attestation certificate's key identifier; the AAGUID is nil, so an AAGUID allow list
    // cannot admit it, while a profile without one does.
    let facts = vector_facts("java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc");
    assert_eq!(facts.trust, AttestationTrust::Metadata);
    assert_eq!(facts.aaguid, Some(Uuid::nil()));
    let md = facts.metadata.as_ref().unwrap();
    assert!(md.verified);
    assert_eq!(md.certification, Some(CertificationLevel::L1), "from the core's summary");
    let set = policy(SEED_CONFIG);
    let d = set.evaluate_registration(&facts, &groups(&["admins"]));
    // UV is not set by U2F, the nil AAGUID is not on the allow list, and (Entra, under
    // enforcement) a U2F statement shows neither a UV method nor resident keys.
    assert_eq!(
        codes(&d, "privileged"),
        code_set(&[
            "AAGUID_NOT_ALLOWED",
            "USER_VERIFICATION_REQUIRED",
            "METADATA_NO_USER_VERIFICATION",
            "METADATA_NO_RESIDENT_KEY",
        ])
    );
    let set = one_profile(
        "passkey_types = [\"device_bound\"]\nattestation_enforcement = \"registration_only\"\nmin_certification = \"FIDO_CERTIFIED_L1\"\nallowed_formats = [\"fido-u2f\"]\nrequire_certified_metadata = false",
    );
    assert!(set.evaluate_registration(&facts, &groups(&["g"])).allowed);
}

#[test]
fn facts_without_a_store_use_the_core_summary() {
    // No trust store at all: nothing is trusted through metadata, nothing is known about the
    // model, and enforcement refuses.
    let facts = policy_support::vector_facts(YUBIKEY, &VerifierOptions::default(), None);
    assert_eq!(facts.trust, AttestationTrust::Untrusted);
    assert!(facts.metadata.is_none());
    let set = policy(SEED_CONFIG);
    let d = set.evaluate_registration(&facts, &groups(&["admins"]));
    assert!(!d.allowed);
    assert!(codes(&d, "privileged").contains("ATTESTATION_REQUIRED"));
}
