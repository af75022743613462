//! Issue #15, the Entra model point by point (REFERENCE §3), from the seed's scenarios on real
//! attestations (a YubiKey 5 FIPS trusted through the real 2024-12 MDS BLOB, an iCloud
//! Keychain `none` registration): the `entra_default` preset, the synced-profile rule,
//! certified metadata showing UV and resident keys under enforcement, and the backup state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use mdsd::attestation::{Fact, Flags, VerifierOptions};
use mdsd::policy::{
    AttestationTrust, AuthenticationFacts, ConfigError, Decision, DefaultScope,
    MetadataCapabilities, PolicyConfig, PolicySet, RegistrationFacts,
};
use mdsd::trust_store::{Origin, TrustStore};
use mdsd_test_support::at as time;
use mdsd_test_support::policy::vector_facts;
use mdsd_test_support::shared::{self, BLOB_2024_12};

/// YubiKey 5 FIPS Series with NFC, packed, trusted through MDS, UV=1, BE=0.
const YUBIKEY: &str = "java-webauthn-server-packed-RealExamples-YubikeyFips5Nfc";
/// A `none` registration from macOS with the iCloud Keychain AAGUID, BE=1 BS=1 UV=1.
const ICLOUD_NONE: &str = "webauthn-rs-none-macos-openssl-key-segfault";
/// A YubiKey 5C NFC registering with fido-u2f (trusted by key identifier).
const U2F: &str = "java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc";

/// The seed: privileged users on device-bound passkeys with attestation enforced; task workers
/// on synced passkeys for convenience.
const SEED: &str = r#"
[[profiles]]
name = "privileged"
include_groups = ["admins"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]

[[profiles]]
name = "task-workers"
include_groups = ["frontline"]
passkey_types = ["synced"]
"#;

fn store() -> &'static Arc<TrustStore> {
    static S: OnceLock<Arc<TrustStore>> = OnceLock::new();
    S.get_or_init(|| shared::blob_store(BLOB_2024_12, time("2024-12-15T00:00:00Z")))
}

fn facts(id: &str) -> RegistrationFacts {
    vector_facts(id, &VerifierOptions::default(), Some(store()))
}

fn policy(toml_text: &str) -> PolicySet {
    toml::from_str::<PolicyConfig>(toml_text).unwrap().build().unwrap()
}

fn errors(toml_text: &str) -> Vec<ConfigError> {
    toml::from_str::<PolicyConfig>(toml_text).unwrap().build().unwrap_err().0
}

fn groups(g: &[&str]) -> Vec<String> {
    g.iter().map(|s| s.to_string()).collect()
}

fn codes(d: &Decision, profile: &str) -> BTreeSet<&'static str> {
    d.outcome(profile).unwrap().failures.iter().map(|f| f.code.as_str()).collect()
}

fn expect(codes: &[&'static str]) -> BTreeSet<&'static str> {
    codes.iter().copied().collect()
}

#[test]
fn the_real_registrations_are_what_the_scenarios_need() {
    let yubikey = facts(YUBIKEY);
    assert_eq!(yubikey.trust, AttestationTrust::Metadata);
    let caps = yubikey.metadata.as_ref().unwrap().capabilities.unwrap();
    assert_eq!(caps, MetadataCapabilities { user_verification: true, resident_key: true });
    let icloud = facts(ICLOUD_NONE);
    assert_eq!(icloud.trust, AttestationTrust::Untrusted);
    assert!(icloud.flags.unwrap().backup_eligible() && icloud.flags.unwrap().backed_up());
}

#[test]
fn seed_privileged_device_bound_with_attestation_task_workers_synced_both_may_register_either() {
    let set = policy(SEED);
    let (yubikey, icloud) = (facts(YUBIKEY), facts(ICLOUD_NONE));

    // Privileged: the attested YubiKey registers; the synced passkey does not.
    let admin = groups(&["admins"]);
    let d = set.evaluate_registration(&yubikey, &admin);
    assert!(d.allowed, "{d:#?}");
    let d = set.evaluate_registration(&icloud, &admin);
    assert!(!d.allowed);
    assert_eq!(
        codes(&d, "privileged"),
        expect(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_NOT_ALLOWED"])
    );

    // Task workers: the synced passkey registers; the device-bound key does not.
    let worker = groups(&["frontline"]);
    assert!(set.evaluate_registration(&icloud, &worker).allowed);
    let d = set.evaluate_registration(&yubikey, &worker);
    assert_eq!(codes(&d, "task-workers"), expect(&["PASSKEY_TYPE_NOT_ALLOWED"]));

    // In both: either registers, through the profile it satisfies.
    let both = groups(&["admins", "frontline"]);
    let d = set.evaluate_registration(&yubikey, &both);
    assert_eq!((d.allowed, d.profile.as_deref()), (true, Some("privileged")));
    let d = set.evaluate_registration(&icloud, &both);
    assert_eq!((d.allowed, d.profile.as_deref()), (true, Some("task-workers")));
}

#[test]
fn the_entra_default_preset_is_all_users_attestation_enforced_device_bound() {
    let set = policy(r#"preset = "entra_default""#);
    let p = set.default_profile().unwrap();
    assert_eq!(p.name(), "default");
    assert_eq!(set.default_scope(), DefaultScope::AllUsers);
    assert_eq!(p.attestation_enforcement().as_str(), "registration_only");
    let types = p.passkey_types();
    assert!(types.device_bound && !types.synced);
    assert!(p.require_certified_metadata());
    assert!(p.key_restrictions().is_none());

    // Every user, in no group at all: the attested YubiKey registers, the synced passkey and
    // the U2F key (no UV method, no resident keys in its metadata) do not.
    assert!(set.evaluate_registration(&facts(YUBIKEY), &[]).allowed);
    let d = set.evaluate_registration(&facts(ICLOUD_NONE), &groups(&["anyone"]));
    assert_eq!(codes(&d, "default"), expect(&["ATTESTATION_REQUIRED", "PASSKEY_TYPE_NOT_ALLOWED"]));
    let d = set.evaluate_registration(&facts(U2F), &[]);
    let c = codes(&d, "default");
    assert_eq!(c, expect(&["METADATA_NO_USER_VERIFICATION", "METADATA_NO_RESIDENT_KEY"]));

    // Entra's way of letting a pilot group use synced passkeys: a profile beside the default.
    let set = policy(
        r#"preset = "entra_default"
[[profiles]]
name = "pilot-synced"
include_groups = ["passkey-pilot"]
passkey_types = ["synced"]
"#,
    );
    assert!(set.evaluate_registration(&facts(ICLOUD_NONE), &groups(&["passkey-pilot"])).allowed);
    assert!(!set.evaluate_registration(&facts(ICLOUD_NONE), &groups(&["staff"])).allowed);
}

#[test]
fn preset_errors() {
    let e = errors("preset = \"entra_default\"\n[default_profile]\npasskey_types = [\"synced\"]");
    assert!(e.iter().any(|e| matches!(e, ConfigError::PresetWithDefaultProfile { .. })), "{e:?}");
    let e = errors(r#"preset = "okta""#);
    assert_eq!(e, vec![ConfigError::UnknownPreset { value: "okta".into() }]);
}

#[test]
fn attestation_cannot_be_enforced_for_synced_passkeys() {
    for types in [r#"["synced"]"#, r#"["device_bound", "synced"]"#] {
        let e = errors(&format!(
            "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\n\
             attestation_enforcement = \"registration_only\"\npasskey_types = {types}"
        ));
        assert_eq!(e, vec![ConfigError::SyncedWithEnforcement { profile: "p".into() }], "{types}");
        assert!(e[0].to_string().contains("a user in both profiles may register either"));
    }
    // The same types without enforcement build.
    policy("[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\npasskey_types = [\"device_bound\", \"synced\"]");
}

#[test]
fn under_enforcement_the_metadata_must_be_certified_and_show_uv_and_resident_keys() {
    let set = policy(SEED);
    let admin = groups(&["admins"]);
    let good = facts(YUBIKEY);
    assert!(set.evaluate_registration(&good, &admin).allowed);
    let refused = |edit: &dyn Fn(&mut RegistrationFacts)| {
        let mut f = good.clone();
        edit(&mut f);
        codes(&set.evaluate_registration(&f, &admin), "privileged")
    };
    let md = |f: &mut RegistrationFacts| f.metadata.as_mut().unwrap().clone();
    assert_eq!(
        refused(&|f| {
            let mut m = md(f);
            m.certification = None;
            f.metadata = Some(m);
        }),
        expect(&["METADATA_NOT_CERTIFIED"])
    );
    let caps = |uv, rk| MetadataCapabilities { user_verification: uv, resident_key: rk };
    assert_eq!(
        refused(&|f| f.metadata.as_mut().unwrap().capabilities = Some(caps(false, true))),
        expect(&["METADATA_NO_USER_VERIFICATION"])
    );
    assert_eq!(
        refused(&|f| f.metadata.as_mut().unwrap().capabilities = Some(caps(true, false))),
        expect(&["METADATA_NO_RESIDENT_KEY"])
    );
    // Facts built without capabilities show none.
    assert_eq!(
        refused(&|f| f.metadata.as_mut().unwrap().capabilities = None),
        expect(&["METADATA_NO_USER_VERIFICATION", "METADATA_NO_RESIDENT_KEY"])
    );

    // An operator may switch it off (a documented difference from Entra) ...
    let lax = policy(
        "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\n\
         attestation_enforcement = \"registration_only\"\npasskey_types = [\"device_bound\"]\n\
         require_certified_metadata = false",
    );
    assert!(lax.evaluate_registration(&facts(U2F), &groups(&["g"])).allowed);
    // ... or ask for it without enforcement, read from the claimed model's metadata.
    let claimed = policy(
        "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\npasskey_types = [\"device_bound\"]\n\
         require_certified_metadata = true",
    );
    let d = claimed.evaluate_registration(&facts(U2F), &groups(&["g"]));
    assert_eq!(
        codes(&d, "p"),
        expect(&["METADATA_NO_USER_VERIFICATION", "METADATA_NO_RESIDENT_KEY"])
    );
    // Sign-in is not affected (a registration requirement, as enforcement is).
    let signin = AuthenticationFacts::new(good.aaguid, Flags(0x01 | 0x04))
        .with_metadata_from(store(), time("2024-12-15T00:00:00Z"));
    assert!(set.evaluate_authentication(&signin, &admin).allowed);
}

/// Issue #15, local metadata statements: an entry from an operator's statement never vouches
/// under enforcement unless the profile lists "operator" in `metadata_origins`; then the
/// FIDO-certification part of the certified-metadata check is waived for it (a statement is
/// never certified) while its UV and resident-key support are still read.
#[test]
fn operator_statements_vouch_under_enforcement_only_when_the_profile_allows_them() {
    let admin = groups(&["admins"]);
    // The YubiKey's registration as if its model were described by an operator's statement:
    // same chain and capabilities, no status reports (so no certification).
    let mut operator = facts(YUBIKEY);
    let m = operator.metadata.as_mut().unwrap();
    m.origin = Origin::Operator { file: "yubikey.json".into() };
    (m.certification, m.status) = (None, None);

    let d = policy(SEED).evaluate_registration(&operator, &admin);
    assert_eq!(
        codes(&d, "privileged"),
        expect(&["METADATA_ORIGIN_NOT_ALLOWED", "METADATA_NOT_CERTIFIED"])
    );
    let failure = &d.outcomes[0].failures[0];
    assert!(failure.message.contains("operator:yubikey.json"), "{}", failure.message);
    assert!(failure.message.contains("(mds, blob)"), "{}", failure.message);
    assert!(d.outcomes[0].failures[1].message.contains("never FIDO-certified"));

    let allowing = SEED.replace(
        "passkey_types = [\"device_bound\"]\n\n",
        "passkey_types = [\"device_bound\"]\nmetadata_origins = [\"mds\", \"operator\"]\n\n",
    );
    assert_ne!(allowing, SEED);
    let set = policy(&allowing);
    assert_eq!(set.profiles()[0].metadata_origins().names(), ["mds", "operator"]);
    assert!(set.evaluate_registration(&operator, &admin).allowed);
    // Only the certification is waived: the statement must still show UV and resident keys.
    operator.metadata.as_mut().unwrap().capabilities =
        Some(MetadataCapabilities { user_verification: false, resident_key: true });
    let d = set.evaluate_registration(&operator, &admin);
    assert_eq!(codes(&d, "privileged"), expect(&["METADATA_NO_USER_VERIFICATION"]));
    // The MDS entry itself is unaffected by listing "operator", and a profile that drops
    // "mds" refuses it.
    assert!(set.evaluate_registration(&facts(YUBIKEY), &admin).allowed);
    let operator_only = SEED.replace(
        "passkey_types = [\"device_bound\"]\n\n",
        "passkey_types = [\"device_bound\"]\nmetadata_origins = [\"operator\"]\n\n",
    );
    let d = policy(&operator_only).evaluate_registration(&facts(YUBIKEY), &admin);
    assert_eq!(codes(&d, "privileged"), expect(&["METADATA_ORIGIN_NOT_ALLOWED"]));
    // Without enforcement the origin is not judged (nothing vouches there).
    let d = policy(SEED).evaluate_registration(&operator, &groups(&["frontline"]));
    assert!(!codes(&d, "task-workers").contains("METADATA_ORIGIN_NOT_ALLOWED"));

    // Configuration errors: an unknown kind, a duplicate, an empty list under enforcement.
    let bad = |list: &str| {
        errors(&format!(
            "[[profiles]]\nname = \"p\"\ninclude_groups = [\"g\"]\n\
             attestation_enforcement = \"registration_only\"\npasskey_types = [\"device_bound\"]\n\
             metadata_origins = {list}"
        ))
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
    };
    assert_eq!(
        bad(r#"["mds", "local"]"#),
        ["profile p: `metadata_origins` = \"local\" is not one of mds, blob, operator"]
    );
    assert_eq!(
        bad(r#"["mds", "mds"]"#),
        ["profile p: `metadata_origins` lists \"mds\" more than once"]
    );
    assert!(bad("[]")[0].contains("`metadata_origins` is empty"), "{:?}", bad("[]"));
}

#[test]
fn backup_state_policy_at_registration_and_sign_in() {
    let set = policy(
        r#"
[[profiles]]
name = "no-backup"
include_groups = ["g"]
passkey_types = ["device_bound", "synced"]
backup_states = ["not_backed_up"]
"#,
    );
    let g = groups(&["g"]);
    let icloud = facts(ICLOUD_NONE); // BE=1 BS=1
    let d = set.evaluate_registration(&icloud, &g);
    assert_eq!(codes(&d, "no-backup"), expect(&["BACKUP_STATE_NOT_ALLOWED"]));
    let mut not_yet = icloud.clone();
    not_yet.flags = Some(Flags(0x01 | 0x04 | 0x08 | 0x40)); // BE=1, BS=0
    assert!(set.evaluate_registration(&not_yet, &g).allowed);
    // At sign-in BS is read from each assertion: a passkey backed up since is refused.
    let signin = |flags| AuthenticationFacts::new(icloud.aaguid, Flags(flags));
    assert!(set.evaluate_authentication(&signin(0x01 | 0x08), &g).allowed);
    let d = set.evaluate_authentication(&signin(0x01 | 0x08 | 0x10), &g);
    assert_eq!(codes(&d, "no-backup"), expect(&["BACKUP_STATE_NOT_ALLOWED"]));

    // Only backed-up synced passkeys (e.g. to avoid lock-out on a lost device).
    let backed = policy(
        "[[profiles]]\nname = \"b\"\ninclude_groups = [\"g\"]\npasskey_types = [\"synced\"]\n\
         backup_states = [\"backed_up\"]",
    );
    assert!(backed.evaluate_registration(&icloud, &g).allowed);
    let d = backed.evaluate_registration(&not_yet, &g);
    assert_eq!(codes(&d, "b"), expect(&["BACKUP_STATE_NOT_ALLOWED"]));

    // Under enforcement a BS=0 claim must be vouched for by the attestation signature.
    let enforced = policy(
        "[[profiles]]\nname = \"e\"\ninclude_groups = [\"g\"]\n\
         attestation_enforcement = \"registration_only\"\npasskey_types = [\"device_bound\"]\n\
         backup_states = [\"not_backed_up\"]",
    );
    let yubikey = facts(YUBIKEY);
    assert!(enforced.evaluate_registration(&yubikey, &g).allowed);
    let mut unsigned = yubikey.clone();
    unsigned.claimed.push(Fact::BackedUp);
    let d = enforced.evaluate_registration(&unsigned, &g);
    assert_eq!(codes(&d, "e"), expect(&["BACKUP_STATE_NOT_ALLOWED"]));

    // Configuration: BS=1 only with device-bound only can never be met; unknown values.
    let e = errors(
        "[[profiles]]\nname = \"x\"\ninclude_groups = [\"g\"]\npasskey_types = [\"device_bound\"]\n\
         backup_states = [\"backed_up\", \"sometimes\"]",
    );
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e
        .iter()
        .any(|e| matches!(e, ConfigError::UnknownValue { field: "backup_states", .. })));
    assert!(e.iter().any(|e| matches!(e, ConfigError::Unsatisfiable { .. })));
}
