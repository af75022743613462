//! Issue #11: mdsd vouches only for what a signature covers. One regression test per finding,
//! each written to fail on the code before the fix (f57a29f), on real vectors where the data
//! exists and on a generated PKI otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, OnceLock};

use ciborium::Value;
use gen::{make, EntrySpec, Fmt, Made, Opts};
use mdsd::attestation::{
    AttestationResult, Coverage, EntryKey, EntrySelector, Expectations, Fact, MetadataKey,
    ReasonCode, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::policy::{PolicyConfig, PolicySet, RegistrationFacts};
use mdsd::trust_store::TrustStore;
use mdsd_test_support::attestation as gen;
use mdsd_test_support::pki::{self, t};
use mdsd_test_support::shared::{self, BLOB_2024_12};
use mdsd_test_support::vectors::vector;
use mdsd_test_support::{at as time, b64};
use time::OffsetDateTime;
use uuid::Uuid;

/// YubiKey 5 FIPS Series in the 2024-12 BLOB (no 121).
const YUBIKEY_5_FIPS: &str = "73bb0cd4-e502-49b8-9c6f-b59445bf720b";

/// The real 2024-12 BLOB (no 121), verified without CRLs at a time inside its chain's validity.
fn real_store() -> &'static Arc<TrustStore> {
    static STORE: OnceLock<Arc<TrustStore>> = OnceLock::new();
    STORE.get_or_init(|| shared::blob_store(BLOB_2024_12, time("2024-12-15T00:00:00Z")))
}

fn verify(
    ao: &[u8],
    cd: &[u8],
    store: Option<&TrustStore>,
    at: OffsetDateTime,
) -> AttestationResult {
    let input =
        RegistrationInput { attestation_object: ao, client_data_json: cd, expectations: None };
    Verifier::new(VerifierOptions::default()).verify_registration(&input, store, at)
}

fn codes(r: &AttestationResult) -> Vec<ReasonCode> {
    r.reasons.iter().map(|r| r.code).collect()
}

/// Rewrites authenticatorData inside an attestationObject (what a client can do to every field
/// no signature covers) and re-encodes it.
fn rewrite_auth_data(ao: &[u8], edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    map_object(ao, |key, value| {
        if key == "authData" {
            if let Value::Bytes(bytes) = value {
                let mut bytes = bytes.clone();
                edit(&mut bytes);
                *value = Value::Bytes(bytes);
            }
        }
    })
}

/// Rewrites x5c of the attestation statement.
fn rewrite_x5c(ao: &[u8], edit: impl Fn(&mut Vec<Value>)) -> Vec<u8> {
    map_object(ao, |key, value| {
        if key == "attStmt" {
            if let Value::Map(stmt) = value {
                for (k, v) in stmt.iter_mut() {
                    if k.as_text() == Some("x5c") {
                        if let Value::Array(items) = v {
                            edit(items);
                        }
                    }
                }
            }
        }
    })
}

fn map_object(ao: &[u8], mut f: impl FnMut(&str, &mut Value)) -> Vec<u8> {
    let mut object: Value = ciborium::from_reader(ao).unwrap();
    if let Value::Map(entries) = &mut object {
        for (k, v) in entries.iter_mut() {
            if let Some(k) = k.as_text() {
                f(k, v);
            }
        }
    }
    gen::enc(&object)
}

/// authenticatorData offsets (WebAuthn L3 §6.1).
const FLAGS: usize = 32;
const AAGUID: std::ops::Range<usize> = 37..53;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;

/// Real fido-u2f registrations of Yubico keys whose attestation certificate is in the 2024-12
/// BLOB (by key identifier, or by the certificate's AAGUID extension).
const REAL_U2F: &[&str] = &[
    "java-webauthn-server-fido-u2f-RealExamples-YubiKeyNeo",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey4",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5NfcPost5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKey",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKeyNfc",
    "py_webauthn-fido-u2f-verify-attestation-from-yubikey-firefox",
];

/// Finding 1: the AAGUID of fido-u2f authenticatorData is not signed. A real U2F registration
/// whose AAGUID a client rewrote to the YubiKey 5 FIPS Series (and set UV and BE on) was
/// reported trusted as that model, with uv = true.
#[test]
fn fido_u2f_with_a_rewritten_aaguid_is_never_a_yubikey_5_fips() {
    let fips: Uuid = YUBIKEY_5_FIPS.parse().unwrap();
    assert!(real_store().by_aaguid(&fips).is_some(), "the BLOB lists the spoofed model");
    for id in REAL_U2F {
        let v = vector(id);
        let (ao, cd) = (b64(&v.attestation_object), b64(&v.client_data_json));
        let at = time(v.valid_at.as_deref().unwrap());

        // As the client sent it: trusted, the model chosen by the certificate, the flags and
        // the counter reported as claims.
        let genuine = verify(&ao, &cd, Some(real_store()), at);
        assert!(genuine.trusted, "{id}: {:?}", genuine.reasons);
        assert_eq!(genuine.provenance.coverage, Some(Coverage::U2fRegistration));
        let selector = genuine.provenance.entry_selected_by.clone().unwrap();
        assert!(
            matches!(
                selector,
                EntrySelector::KeyIdentifier(_) | EntrySelector::CertificateAaguid(_)
            ),
            "{id}: {selector:?}"
        );
        let model = genuine.authenticator.as_ref().unwrap();
        assert!(model.verified);
        assert!(!model.description.as_deref().unwrap().contains("FIPS"), "{id}");
        for fact in [Fact::Aaguid, Fact::UserVerified, Fact::BackupEligible, Fact::SignCount] {
            assert!(!genuine.provenance.verified(fact), "{id}: {fact:?} reported as verified");
        }
        assert!(genuine.provenance.verified(Fact::Authenticator), "{id}");
        assert!(genuine.metadata_key().is_some(), "{id}");
        assert!(
            !matches!(genuine.metadata_key(), Some(MetadataKey::Aaguid(a)) if a == fips),
            "{id}"
        );

        // The same bytes with the AAGUID rewritten (and UV, BE set): the U2F signature still
        // verifies, but nothing unsigned may pick the model or be vouched for.
        for edit in [
            (|ad: &mut Vec<u8>| {
                ad[AAGUID].copy_from_slice(Uuid::parse_str(YUBIKEY_5_FIPS).unwrap().as_bytes())
            }) as fn(&mut Vec<u8>),
            |ad: &mut Vec<u8>| {
                ad[AAGUID].copy_from_slice(Uuid::parse_str(YUBIKEY_5_FIPS).unwrap().as_bytes());
                ad[FLAGS] |= UV | BE;
            },
            |ad: &mut Vec<u8>| ad[FLAGS] |= UV,
            |ad: &mut Vec<u8>| ad[FLAGS] |= BE | BS,
        ] {
            let spoofed = rewrite_auth_data(&ao, edit);
            let r = verify(&spoofed, &cd, Some(real_store()), at);
            assert!(r.statement_valid, "{id}: the U2F signature does not cover these fields");
            assert!(
                !r.trusted,
                "{id}: a client-written field made it trusted: {:?}",
                r.authenticator
            );
            assert!(codes(&r).contains(&ReasonCode::UnsignedField), "{id}: {:?}", r.reasons);
            if let Some(a) = &r.authenticator {
                assert!(!a.description.as_deref().unwrap_or("").contains("FIPS"), "{id}: {a:?}");
            }
            assert_eq!(r.metadata_key(), None, "{id}: nothing to store from a rejected answer");
            assert_eq!(r.provenance.claimed, Fact::ALL.to_vec());
        }
    }
}

/// A store with a U2F key-identifier entry for `made`'s certificate (with `u2f_status`) and a
/// certified FIDO2 entry for `fido2` that lists the same root (one vendor root, many models).
fn two_model_store(made: &Made, u2f_status: &'static str, fido2: Uuid) -> TrustStore {
    let mut u2f = EntrySpec::new(None, "Old U2F key", vec![&made.root]);
    u2f.key_identifiers = vec![made.leaf.as_ref().unwrap().parsed().fido_key_identifier()];
    u2f.status = vec![("FIDO_CERTIFIED", "2015-01-01", None), (u2f_status, "2020-01-01", None)];
    let mut certified = EntrySpec::new(Some(fido2), "Certified FIDO2 model", vec![&made.root]);
    certified.status = vec![("FIDO_CERTIFIED_L2", "2020-01-01", None)];
    gen::store(3, &[u2f, certified])
}

fn spoof_target() -> Uuid {
    Uuid::from_bytes([0x5f; 16])
}

fn strict_profile() -> PolicySet {
    let config: PolicyConfig = toml::from_str(&format!(
        "[[profiles]]\nname = \"strict\"\ninclude_groups = [\"admins\"]\n\
         attestation_enforcement = \"registration_only\"\nrequire_user_verification = true\n\
         passkey_types = [\"device_bound\"]\n\
         key_restrictions = {{ enforced = true, mode = \"allow\", aaguids = [\"{}\"] }}\n",
        spoof_target()
    ))
    .unwrap();
    config.build().unwrap()
}

/// Finding 1, generated: the swap made a key whose key-identifier entry is REVOKED trusted as
/// a certified model, and passed a registration_only profile with an AAGUID allow-list and
/// require_user_verification.
#[test]
fn a_revoked_u2f_key_cannot_borrow_a_certified_models_aaguid() {
    let made = make(Fmt::FidoU2f, &Opts::default(), None);
    let store = two_model_store(&made, "REVOKED", spoof_target());
    let at = t(2025, 6, 1);
    let genuine = verify(&made.attestation_object, &made.client_data_json, Some(&store), at);
    assert!(!genuine.trusted);
    assert_eq!(codes(&genuine), [ReasonCode::StatusRefused], "{:?}", genuine.reasons);
    assert_eq!(
        genuine.authenticator.as_ref().unwrap().status.as_ref().map(|s| s.as_str()),
        Some("REVOKED")
    );

    let spoofed = rewrite_auth_data(&made.attestation_object, |ad| {
        ad[AAGUID].copy_from_slice(spoof_target().as_bytes());
        ad[FLAGS] |= UV;
    });
    let r = verify(&spoofed, &made.client_data_json, Some(&store), at);
    assert!(r.statement_valid);
    assert!(!r.trusted);
    let found = codes(&r);
    assert!(found.contains(&ReasonCode::StatusRefused), "{:?}", r.reasons);
    assert!(found.contains(&ReasonCode::UnsignedField), "{:?}", r.reasons);
    assert_eq!(r.authenticator.as_ref().unwrap().description.as_deref(), Some("Old U2F key"));
    // The reason names what was looked up: the key identifier, not the AAGUID.
    let fresh = make(Fmt::FidoU2f, &Opts::default(), None);
    let none = verify(&fresh.attestation_object, &fresh.client_data_json, Some(&store), at);
    let message =
        &none.reasons.iter().find(|r| r.code == ReasonCode::MetadataNotFound).unwrap().message;
    let key_id = fresh.leaf.as_ref().unwrap().parsed().fido_key_identifier();
    assert!(message.contains(&key_id) && !message.contains("AAGUID 0000"), "{message}");

    // The strict profile (enforcement, allow-list of the spoofed AAGUID, UV required).
    let policy = strict_profile();
    let facts = RegistrationFacts::from_attestation(&r, at);
    let decision = policy.evaluate_registration(&facts, &["admins".to_string()]);
    assert!(!decision.allowed, "{decision:#?}");
    // Even with the key's own entry certified (not revoked), the spoof gets nowhere.
    let store = two_model_store(&made, "FIDO_CERTIFIED_L1", spoof_target());
    let r = verify(&spoofed, &made.client_data_json, Some(&store), at);
    assert!(!r.trusted, "{:?}", r.reasons);
    let decision = policy
        .evaluate_registration(&RegistrationFacts::from_attestation(&r, at), &["admins".into()]);
    assert!(!decision.allowed);
    // And the genuine registration of that certified key is trusted as the U2F key, with the
    // key identifier to store, but cannot satisfy the allow-list or UV under enforcement.
    let ok = verify(&made.attestation_object, &made.client_data_json, Some(&store), at);
    assert!(ok.trusted, "{:?}", ok.reasons);
    assert_eq!(
        ok.metadata_key(),
        Some(MetadataKey::KeyIdentifier(
            made.leaf.as_ref().unwrap().parsed().fido_key_identifier()
        ))
    );
    let decision = policy
        .evaluate_registration(&RegistrationFacts::from_attestation(&ok, at), &["admins".into()]);
    let failures: Vec<&str> =
        decision.outcomes[0].failures.iter().map(|f| f.code.as_str()).collect();
    assert!(failures.contains(&"AAGUID_NOT_ALLOWED"), "{failures:?}");
    assert!(failures.contains(&"USER_VERIFICATION_REQUIRED"), "{failures:?}");
}

/// fido-u2f: the certificate's AAGUID extension selects when the key identifier is unlisted,
/// and must agree with an entry the key identifier selects.
#[test]
fn fido_u2f_certificate_aaguid_extension_selects_and_must_agree() {
    let model = Uuid::from_bytes([0x33; 16]);
    let made =
        make(Fmt::FidoU2f, &Opts { u2f_cert_aaguid: Some(model), ..Default::default() }, None);
    let at = t(2025, 6, 1);
    let store =
        gen::store(1, &[EntrySpec::new(Some(model), "Model by extension", vec![&made.root])]);
    let r = verify(&made.attestation_object, &made.client_data_json, Some(&store), at);
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.provenance.entry_selected_by, Some(EntrySelector::CertificateAaguid(model)));
    assert_eq!(r.metadata_key(), Some(MetadataKey::Aaguid(model)));

    // Listed by key identifier under an entry with another AAGUID: ENTRY_MISMATCH.
    let mut other = EntrySpec::new(Some(Uuid::from_bytes([0x44; 16])), "Other", vec![&made.root]);
    other.key_identifiers = vec![made.leaf.as_ref().unwrap().parsed().fido_key_identifier()];
    let store = gen::store(2, &[other]);
    let r = verify(&made.attestation_object, &made.client_data_json, Some(&store), at);
    assert!(!r.trusted);
    assert_eq!(codes(&r), [ReasonCode::EntryMismatch], "{:?}", r.reasons);

    // Listed by key identifier in a U2F entry (no AAGUID) while the extension's FIDO2 entry of
    // the same device is REVOKED: refused through the sibling entry.
    let mut u2f = EntrySpec::new(None, "Device (U2F)", vec![&made.root]);
    u2f.key_identifiers = vec![made.leaf.as_ref().unwrap().parsed().fido_key_identifier()];
    let mut fido2 = EntrySpec::new(Some(model), "Device (FIDO2)", vec![&made.root]);
    fido2.status = vec![("REVOKED", "2021-01-01", None)];
    let r = verify(
        &made.attestation_object,
        &made.client_data_json,
        Some(&gen::store(3, &[u2f, fido2])),
        at,
    );
    assert!(!r.trusted);
    assert_eq!(codes(&r), [ReasonCode::StatusRefused], "{:?}", r.reasons);
}

/// Finding 2: the key-identifier lookup looked at every x5c certificate. A packed attestation
/// with a nil AAGUID and an unlisted leaf became trusted as a listed model once that model's
/// certificate was appended to x5c.
#[test]
fn only_the_attestation_certificate_selects_by_key_identifier() {
    let opts = Opts { aaguid: Uuid::nil(), no_aaguid_extension: true, ..Default::default() };
    let made = make(Fmt::Packed, &opts, None);
    // A listed model's certificate, issued by the same vendor root.
    let listed = pki::leaf("listed model batch", &made.root);
    let mut entry = EntrySpec::new(None, "Listed model", vec![&made.root]);
    entry.key_identifiers = vec![listed.parsed().fido_key_identifier()];
    let store = gen::store(1, &[entry]);
    let at = t(2025, 6, 1);

    let plain = verify(&made.attestation_object, &made.client_data_json, Some(&store), at);
    assert!(!plain.trusted);
    assert!(codes(&plain).contains(&ReasonCode::MetadataNotFound), "{:?}", plain.reasons);

    let appended =
        rewrite_x5c(&made.attestation_object, |x5c| x5c.push(Value::Bytes(listed.der.clone())));
    let r = verify(&appended, &made.client_data_json, Some(&store), at);
    assert!(r.statement_valid, "{:?}", r.reasons);
    assert!(!r.trusted, "an appended certificate selected the entry: {:?}", r.authenticator);
    assert!(r.authenticator.is_none());
    assert!(codes(&r).contains(&ReasonCode::MetadataNotFound), "{:?}", r.reasons);

    // The leaf's own key identifier does select it.
    let mut own = EntrySpec::new(None, "Own model", vec![&made.root]);
    own.key_identifiers = vec![made.leaf.as_ref().unwrap().parsed().fido_key_identifier()];
    let r = verify(&appended, &made.client_data_json, Some(&gen::store(2, &[own])), at);
    assert!(r.trusted, "{:?}", r.reasons);
    assert!(matches!(r.provenance.entry_selected_by, Some(EntrySelector::KeyIdentifier(_))));
}

/// Finding 3 end to end: an undated REVOKED report followed by a dated certification was
/// ignored; the model was trusted.
#[test]
fn an_undated_revoked_report_is_not_outranked() {
    let made = make(Fmt::Packed, &Opts::default(), None);
    let mut entry = EntrySpec::new(Some(made.aaguid), "Revoked without a date", vec![&made.root]);
    // gen's status tuples carry a date; an empty one is left out of the JSON below.
    entry.status = vec![("FIDO_CERTIFIED_L1", "2020-01-01", None)];
    let mut json = entry.json();
    json["statusReports"] = serde_json::json!([
        {"status": "REVOKED"},
        {"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2023-01-01"},
    ]);
    let payload = serde_json::json!({
        "legalHeader": "test", "no": 9, "nextUpdate": "2030-01-01", "entries": [json],
    });
    let store = mdsd::mds::parse_payload(
        &serde_json::to_vec(&payload).unwrap(),
        &mdsd::mds::PayloadLimits::default(),
    )
    .unwrap()
    .store;
    let r = verify(&made.attestation_object, &made.client_data_json, Some(&store), t(2025, 6, 1));
    assert!(!r.trusted);
    assert_eq!(codes(&r), [ReasonCode::StatusRefused], "{:?}", r.reasons);
    assert_eq!(r.authenticator.unwrap().status.as_ref().map(|s| s.as_str()), Some("REVOKED"));
}

/// The attestation type is resolved from the entry (AttCA was reported as Basic) and a type
/// the entry does not list refuses trust.
#[test]
fn attestation_type_is_checked_against_the_entry() {
    let made = make(Fmt::Packed, &Opts::default(), None);
    let at = t(2025, 6, 1);
    let with_types = |types: Vec<&'static str>| {
        let mut e = EntrySpec::new(Some(made.aaguid), "Typed", vec![&made.root]);
        e.attestation_types = types;
        gen::store(1, &[e])
    };
    let r = verify(
        &made.attestation_object,
        &made.client_data_json,
        Some(&with_types(vec!["attca"])),
        at,
    );
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.attestation_type, Some(mdsd::attestation::AttestationType::AttCa));
    let r = verify(
        &made.attestation_object,
        &made.client_data_json,
        Some(&with_types(vec!["basic_surrogate"])),
        at,
    );
    assert!(!r.trusted);
    assert_eq!(codes(&r), [ReasonCode::AttestationTypeMismatch], "{:?}", r.reasons);
    // The algorithm: a note, never a refusal.
    let mut e = EntrySpec::new(Some(made.aaguid), "Algs", vec![&made.root]);
    e.algorithms = vec!["ed25519_eddsa_sha512_raw"];
    let r =
        verify(&made.attestation_object, &made.client_data_json, Some(&gen::store(2, &[e])), at);
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.notes.len(), 1);
    assert_eq!(r.notes[0].code, ReasonCode::AlgorithmNotInMetadata);
}

/// Finding 4: `mdsd attestation verify` did not require user presence while gRPC did. The core
/// default now requires it, as both front ends do.
#[test]
fn user_presence_is_required_by_default() {
    let made = make(Fmt::Packed, &Opts { flags: 0x40, ..Default::default() }, None);
    let exp = Expectations {
        rp_id: Some(gen::RP_ID.into()),
        origins: vec![gen::ORIGIN.into()],
        challenge: Some(gen::CHALLENGE.to_vec()),
        ..Expectations::default()
    };
    let input = RegistrationInput {
        attestation_object: &made.attestation_object,
        client_data_json: &made.client_data_json,
        expectations: Some(&exp),
    };
    let r = Verifier::default().verify_registration(&input, None, t(2025, 6, 1));
    assert!(!r.statement_valid);
    assert!(codes(&r).contains(&ReasonCode::CeremonyMismatch), "{:?}", r.reasons);
    assert!(r.reasons[0].message.contains("user presence"), "{:?}", r.reasons);
}

/// ValidateAttestationChain: the chain must identify the entry it is judged for.
#[test]
fn a_named_entry_must_be_identified_by_the_chain() {
    let at = t(2025, 6, 1);
    let root = pki::root("vendor root");
    let u2f_leaf = pki::leaf("old U2F key", &root);
    let fips: Uuid = Uuid::from_bytes([0x5f; 16]);
    let mut u2f = EntrySpec::new(None, "Old U2F key", vec![&root]);
    u2f.key_identifiers = vec![u2f_leaf.parsed().fido_key_identifier()];
    u2f.status = vec![("REVOKED", "2020-01-01", None)];
    let certified = EntrySpec::new(Some(fips), "Certified FIDO2 model", vec![&root]);
    let store = gen::store(1, &[u2f, certified]);
    let v = Verifier::default();
    let chain = vec![u2f_leaf.parsed()];

    // The revoked U2F key's chain presented under the certified model's AAGUID.
    let r = v.validate_chain(&EntryKey::Aaguid(fips), &chain, &store, at);
    assert!(!r.trusted);
    assert_eq!(r.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), [ReasonCode::EntryMismatch]);

    // Another certificate of the same root, unlisted and naming no model: the root is shared
    // by two entries, so nothing shows it is the certified model.
    let other = pki::leaf("some other key", &root);
    let r = v.validate_chain(&EntryKey::Aaguid(fips), &[other.parsed()], &store, at);
    assert!(!r.trusted);
    assert_eq!(r.reasons[0].code, ReasonCode::EntryMismatch, "{:?}", r.reasons);

    // A key identifier that is not the leaf's.
    let listed = u2f_leaf.parsed().fido_key_identifier();
    let r =
        v.validate_chain(&EntryKey::KeyIdentifier(listed.clone()), &[other.parsed()], &store, at);
    assert!(!r.trusted);
    assert!(r.reasons.iter().any(|r| r.code == ReasonCode::EntryMismatch), "{:?}", r.reasons);

    // A leaf whose AAGUID extension names the model: trusted and verified.
    let named = pki::issue(
        pki::Spec::leaf("model batch").extension(gen::OID_AAGUID, false, &gen::aaguid_ext(&fips)),
        Some(&root),
    );
    let r = v.validate_chain(&EntryKey::Aaguid(fips), &[named.parsed()], &store, at);
    assert!(r.trusted && r.entry_verified, "{:?}", r.reasons);
    // ...and one naming another AAGUID is refused.
    let r = v.validate_chain(
        &EntryKey::Aaguid(Uuid::from_bytes([0x11; 16])),
        &[named.parsed()],
        &store,
        at,
    );
    assert!(!r.trusted);

    // A root only one entry lists identifies that entry.
    let own_root = pki::root("single-model root");
    let own_leaf = pki::leaf("single model batch", &own_root);
    let single = Uuid::from_bytes([0x66; 16]);
    let store = gen::store(2, &[EntrySpec::new(Some(single), "Single", vec![&own_root])]);
    let r = v.validate_chain(&EntryKey::Aaguid(single), &[own_leaf.parsed()], &store, at);
    assert!(r.trusted && r.entry_verified, "{:?}", r.reasons);
}
