//! Tests for the `android-key` format: every android-key vector, mutations, and generated
//! statements whose key description breaks one WebAuthn L3 §8.4 rule each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ciborium::Value;

use super::{der_i64, verify, KeyDescription, KeyDescriptionError, SecurityLevel};
use crate::attestation::tpm::testkit::{
    assert_rejected, auth_data, der, params, sha256, test_ca, Case, EcKey,
};
use crate::attestation::{AttestationType, ReasonCode};

/// Vector ids with the reason each is rejected: expected-invalid ones, and the one mdsd judges
/// differently from the collector (reported for testdata/attestation-exceptions.json).
const REJECTED: &[(&str, ReasonCode, &str)] = &[
    // Security levels encoded as INTEGER instead of ENUMERATED (w3c/webauthn#2373).
    ("w3c-android-key-es256-pre-fix", ReasonCode::CertificateRequirements, "ENUMERATED"),
    // Deviation: both authorization lists are empty, so nothing says the key was generated in
    // the TEE (origin) or is a signing key (purpose); §8.4 step 5 requires both.
    ("w3c-android-key-es256", ReasonCode::CertificateRequirements, "no origin"),
];

#[test]
fn every_android_key_vector_gets_its_expected_validity() {
    let ids = Case::vector_ids("android-key");
    assert_eq!(ids.len(), 7);
    for (id, expected) in ids {
        let result = Case::vector(&id).run(verify);
        if let Some((_, code, needle)) = REJECTED.iter().find(|(r, ..)| *r == id) {
            assert_rejected(&result, *code, needle);
            continue;
        }
        assert!(expected, "{id} is expected invalid but has no listed reason");
        let outcome = result.unwrap_or_else(|r| panic!("{id}: {r}"));
        assert_eq!(outcome.attestation_type, AttestationType::Basic);
    }
}

const HARDWARE_VECTOR: &str =
    "py_webauthn-android-key-verify-attestation-android-key-hardware-authority";

#[test]
fn flipped_signature_byte_is_rejected() {
    let mut case = Case::vector(HARDWARE_VECTOR);
    case.flip_bit("sig", |_| 10);
    assert_rejected(&case.run(verify), ReasonCode::BadSignature, "android-key");
}

#[test]
fn wrong_client_data_hash_is_rejected() {
    // The signature covers clientDataHash, so it is the first check to fail.
    let mut case = Case::vector(HARDWARE_VECTOR);
    case.client_data_hash = sha256(b"another clientDataJSON");
    assert_rejected(&case.run(verify), ReasonCode::BadSignature, "android-key");
}

#[test]
fn statement_fields_are_required() {
    for field in ["alg", "sig", "x5c"] {
        let mut case = Case::vector(HARDWARE_VECTOR);
        case.remove(field);
        assert_rejected(&case.run(verify), ReasonCode::MalformedStatement, field);
    }
}

#[test]
fn real_key_description_parses() {
    let case = Case::vector(HARDWARE_VECTOR);
    let leaf = crate::x509::Cert::from_der(&case.x5c()[0]).unwrap();
    let kd =
        KeyDescription::parse(&leaf.extension(super::OID_KEY_DESCRIPTION).unwrap().value).unwrap();
    assert_eq!(kd.attestation_version, 300);
    assert_eq!(kd.attestation_security_level, SecurityLevel::TrustedEnvironment);
    assert_eq!(kd.tee_enforced.purpose, vec![2]);
    assert_eq!(kd.tee_enforced.origin, Some(0));
    assert_eq!(kd.attestation_challenge, case.client_data_hash);
}

// ---- generated statements ----

fn purpose(values: &[i64]) -> Vec<u8> {
    der::explicit(1, &der::set(&values.iter().map(|v| der::int(*v)).collect::<Vec<_>>()))
}

fn origin(v: i64) -> Vec<u8> {
    der::explicit(702, &der::int(v))
}

fn all_applications() -> Vec<u8> {
    der::explicit(600, &der::null())
}

/// KeyDescription with the given challenge and authorization list entries.
fn key_description(challenge: &[u8], sw: &[Vec<u8>], tee: &[Vec<u8>]) -> Vec<u8> {
    der::seq(&[
        der::int(4),
        der::enumerated(1),
        der::int(4),
        der::enumerated(1),
        der::octets(challenge),
        der::octets(&[]),
        der::seq(sw),
        der::seq(tee),
    ])
}

/// A signed android-key statement whose leaf carries `description` (None: no extension).
fn synthetic_with(description: Option<Vec<u8>>, cert_key_is_credential: bool) -> Case {
    let credential = EcKey::new();
    let other = EcKey::new();
    let cert_key = if cert_key_is_credential { &credential } else { &other };
    let (ca, ca_key) = test_ca();
    let mut p = params(&[(rcgen::DnType::CommonName, "Android Keystore Key")]);
    if let Some(d) = description {
        p.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17],
            d,
        ));
    }
    let leaf = p.signed_by(&cert_key.rcgen, &ca, &ca_key).unwrap();
    let auth_data = auth_data([0; 16], &credential.cose());
    let client_data_hash = sha256(b"{\"type\":\"webauthn.create\"}");
    let sig = cert_key.sign(&[auth_data.as_slice(), &client_data_hash].concat());
    let att_stmt = Value::Map(vec![
        (Value::Text("alg".into()), Value::Integer((-7).into())),
        (Value::Text("sig".into()), Value::Bytes(sig)),
        (
            Value::Text("x5c".into()),
            Value::Array(vec![Value::Bytes(leaf.der().to_vec()), Value::Bytes(ca.der().to_vec())]),
        ),
    ]);
    Case {
        att_stmt,
        auth_data,
        client_data_hash,
        now: time::macros::datetime!(2025-06-01 0:00 UTC),
        options: Default::default(),
    }
}

const CDH: &[u8] = b"{\"type\":\"webauthn.create\"}";

/// A statement whose key description has the right challenge and the given lists.
fn synthetic(sw: &[Vec<u8>], tee: &[Vec<u8>]) -> Case {
    synthetic_with(Some(key_description(&sha256(CDH), sw, tee)), true)
}

#[test]
fn generated_tee_key_verifies() {
    let outcome = synthetic(&[], &[purpose(&[2]), origin(0)]).run(verify).unwrap();
    assert_eq!(outcome.attestation_type, AttestationType::Basic);
    assert_eq!(outcome.trust_path.len(), 2);
}

#[test]
fn challenge_must_be_the_client_data_hash() {
    let case = synthetic_with(
        Some(key_description(&sha256(b"other"), &[], &[purpose(&[2]), origin(0)])),
        true,
    );
    assert_rejected(&case.run(verify), ReasonCode::NonceMismatch, "attestationChallenge");
}

#[test]
fn certificate_key_must_be_the_credential_key() {
    let case = synthetic_with(
        Some(key_description(&sha256(CDH), &[], &[purpose(&[2]), origin(0)])),
        false,
    );
    assert_rejected(&case.run(verify), ReasonCode::CredentialKeyMismatch, "credential public key");
}

#[test]
fn key_description_extension_is_required() {
    let case = synthetic_with(None, true);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "lacks extension");
}

#[test]
fn all_applications_must_be_absent_from_both_lists() {
    let tee = synthetic(&[], &[purpose(&[2]), all_applications(), origin(0)]);
    assert_rejected(&tee.run(verify), ReasonCode::CertificateRequirements, "allApplications");
    let mut sw = synthetic(&[all_applications()], &[purpose(&[2]), origin(0)]);
    sw.options.android_key_allow_software = true;
    assert_rejected(&sw.run(verify), ReasonCode::CertificateRequirements, "allApplications");
    sw.options.android_key_allow_software = false;
    assert_rejected(&sw.run(verify), ReasonCode::CertificateRequirements, "allApplications");
}

#[test]
fn origin_must_be_generated() {
    // KM_ORIGIN_IMPORTED = 2.
    let case = synthetic(&[], &[purpose(&[2]), origin(2)]);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "KM_ORIGIN_GENERATED");
    let case = synthetic(&[], &[purpose(&[2])]);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "no origin");
    // With software keys allowed, every origin present must be GENERATED.
    let mut case = synthetic(&[origin(2)], &[purpose(&[2]), origin(0)]);
    case.options.android_key_allow_software = true;
    assert_rejected(
        &case.run(verify),
        ReasonCode::CertificateRequirements,
        "softwareEnforced.origin",
    );
}

#[test]
fn purpose_must_include_sign() {
    // KM_PURPOSE_VERIFY = 3.
    let case = synthetic(&[], &[purpose(&[3]), origin(0)]);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "KM_PURPOSE_SIGN");
    let case = synthetic(&[], &[origin(0)]);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "KM_PURPOSE_SIGN");
    assert!(synthetic(&[], &[purpose(&[3, 2]), origin(0)]).run(verify).is_ok());
}

#[test]
fn software_keys_need_the_policy_option() {
    let mut case = synthetic(&[purpose(&[2]), origin(0)], &[]);
    assert_rejected(
        &case.run(verify),
        ReasonCode::CertificateRequirements,
        "not accepted by policy",
    );
    case.options.android_key_allow_software = true;
    assert!(case.run(verify).is_ok());
    // Mixed: origin in the TEE, purpose only in software.
    let mut mixed = synthetic(&[purpose(&[2])], &[origin(0)]);
    assert_rejected(&mixed.run(verify), ReasonCode::CertificateRequirements, "KM_PURPOSE_SIGN");
    mixed.options.android_key_allow_software = true;
    assert!(mixed.run(verify).is_ok());
}

// ---- KeyDescription parsing ----

fn parse(der_bytes: &[u8]) -> Result<KeyDescription, KeyDescriptionError> {
    KeyDescription::parse(der_bytes)
}

#[test]
fn key_description_is_parsed_strictly() {
    let good = key_description(&[1; 32], &[], &[purpose(&[2]), origin(0)]);
    assert!(parse(&good).is_ok());
    // Trailing bytes after the SEQUENCE.
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(parse(&trailing), Err(KeyDescriptionError::Trailing(1)));
    // Security level as INTEGER.
    let integer_level = der::seq(&[
        der::int(4),
        der::int(1),
        der::int(4),
        der::enumerated(1),
        der::octets(&[]),
        der::octets(&[]),
        der::seq(&[]),
        der::seq(&[]),
    ]);
    assert!(matches!(
        parse(&integer_level),
        Err(KeyDescriptionError::WrongType { field: "attestationSecurityLevel", .. })
    ));
    // Missing teeEnforced.
    let short = der::seq(&[
        der::int(4),
        der::enumerated(1),
        der::int(4),
        der::enumerated(1),
        der::octets(&[]),
        der::octets(&[]),
        der::seq(&[]),
    ]);
    assert_eq!(parse(&short), Err(KeyDescriptionError::Missing("teeEnforced")));
    // Duplicate origin.
    let dup = key_description(&[], &[], &[origin(0), origin(0)]);
    assert_eq!(
        parse(&dup),
        Err(KeyDescriptionError::DuplicateTag { list: "teeEnforced", tag: 702 })
    );
    // A universal element where [n] EXPLICIT entries belong.
    let universal = key_description(&[], &[], &[der::int(1)]);
    assert!(matches!(parse(&universal), Err(KeyDescriptionError::WrongType { .. })));
    // allApplications holding something other than NULL.
    let not_null = key_description(&[], &[], &[der::explicit(600, &der::int(0))]);
    assert!(matches!(parse(&not_null), Err(KeyDescriptionError::WrongType { .. })));
    // Truncated at every length: an error, never a panic.
    for n in 0..good.len() {
        assert!(parse(&good[..n]).is_err(), "prefix {n}");
    }
    // Unknown tags are skipped; entries are bounded.
    let many: Vec<Vec<u8>> = (0..200).map(|_| der::explicit(10, &der::int(1))).collect();
    assert_eq!(
        parse(&key_description(&[], &[], &many)),
        Err(KeyDescriptionError::TooManyEntries("teeEnforced"))
    );
}

#[test]
fn der_integers_must_be_minimal() {
    assert_eq!(der_i64(&[0x00]), Some(0));
    assert_eq!(der_i64(&[0x02]), Some(2));
    assert_eq!(der_i64(&[0x01, 0x2c]), Some(300));
    assert_eq!(der_i64(&[0xff]), Some(-1));
    assert_eq!(der_i64(&[0x00, 0x80]), Some(128));
    assert_eq!(der_i64(&[]), None);
    assert_eq!(der_i64(&[0x00, 0x02]), None);
    assert_eq!(der_i64(&[0xff, 0x80]), None);
    assert_eq!(der_i64(&[0x01; 9]), None);
}
