//! The tpm, android-key and android-safetynet formats against the real vectors in
//! ../shared/testdata/attestations/vectors.json, through the public `Verifier` API: statement
//! validity (with testdata/attestation-exceptions.json), the reason of each rejection, the
//! statement options, and trust to the roots shipped in the test data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use mdsd::attestation::{
    AttestationResult, AttestationType, ReasonCode, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::x509::{certs_from_pem_or_der, TrustAnchor};
use mdsd_test_support::shared;
use time::OffsetDateTime;

const EXCEPTIONS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/attestation-exceptions.json");
const FORMATS: [&str; 3] = ["tpm", "android-key", "android-safetynet"];

/// Vectors mdsd judges differently from their source, pending an entry in
/// testdata/attestation-exceptions.json (which takes precedence when it lists them).
const PENDING_EXCEPTIONS: &[(&str, bool, &str)] = &[
    ("java-webauthn-server-tpm-Tpm-ValidRs256", false, "pubArea RSASSA scheme lacks its hashAlg"),
    ("java-webauthn-server-tpm-Tpm-ValidRs384", false, "pubArea RSASSA scheme lacks its hashAlg"),
    ("java-webauthn-server-tpm-Tpm-ValidRs512", false, "pubArea RSASSA scheme lacks its hashAlg"),
    ("java-webauthn-server-tpm-Tpm-ValidRs1", false, "pubArea RSASSA scheme lacks its hashAlg"),
    ("w3c-android-key-es256", false, "key description has no origin and no purpose"),
];

/// The reason code each statement-invalid vector must be rejected with.
const REJECTION_CODES: &[(&str, ReasonCode)] = &[
    ("w3c-android-key-es256-pre-fix", ReasonCode::CertificateRequirements),
    ("w3c-android-key-es256", ReasonCode::CertificateRequirements),
    (
        "simplewebauthn-tpm-should-fail-if-id-fido-gen-ce-aaguid-extension-is-present-and-does-not",
        ReasonCode::AaguidMismatch,
    ),
    (
        "simplewebauthn-android-safetynet-should-enforce-cts-check-by-default",
        ReasonCode::DeviceIntegrity,
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-FalseCtsProfileMatch",
        ReasonCode::DeviceIntegrity,
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-WrongHostname",
        ReasonCode::CertificateRequirements,
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-BasicAttestation",
        ReasonCode::StatementTimestamp,
    ),
    ("java-webauthn-server-tpm-Tpm-ValidRs256", ReasonCode::MalformedStatement),
    ("java-webauthn-server-tpm-Tpm-ValidRs384", ReasonCode::MalformedStatement),
    ("java-webauthn-server-tpm-Tpm-ValidRs512", ReasonCode::MalformedStatement),
    ("java-webauthn-server-tpm-Tpm-ValidRs1", ReasonCode::MalformedStatement),
];

struct Vector {
    id: String,
    format: String,
    expected_valid: bool,
    attestation_object: Vec<u8>,
    client_data_json: Vec<u8>,
    valid_at: OffsetDateTime,
}

fn vectors() -> Vec<Vector> {
    mdsd_test_support::vectors::vectors()
        .iter()
        .filter(|v| FORMATS.contains(&v.format.as_str()))
        .map(|v| Vector {
            id: v.id.clone(),
            format: v.format.clone(),
            expected_valid: v.expected == "valid",
            attestation_object: v.attestation_object_bytes(),
            client_data_json: v.client_data_json_bytes(),
            valid_at: v.valid_at_time().unwrap(),
        })
        .collect()
}

fn vector(id: &str) -> Vector {
    vectors().into_iter().find(|v| v.id == id).unwrap()
}

/// statement_valid as mdsd should report it: the exceptions file, else the pending list,
/// else the vector's own expectation.
fn expected_statement_valid(v: &Vector) -> bool {
    let text = std::fs::read_to_string(EXCEPTIONS).unwrap_or_else(|_| "[]".into());
    let exceptions: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    if let Some(e) = exceptions.iter().find(|e| e["id"] == v.id.as_str()) {
        return e["statement_valid"].as_bool().unwrap();
    }
    if let Some((_, valid, _)) = PENDING_EXCEPTIONS.iter().find(|(id, ..)| *id == v.id) {
        return *valid;
    }
    v.expected_valid
}

fn run(verifier: &Verifier, v: &Vector, now: OffsetDateTime) -> AttestationResult {
    let input = RegistrationInput {
        attestation_object: &v.attestation_object,
        client_data_json: &v.client_data_json,
        expectations: None,
    };
    verifier.verify_registration(&input, None, now)
}

#[test]
fn every_vector_gets_its_expected_statement_validity() {
    let verifier = Verifier::new(VerifierOptions::default());
    let all = vectors();
    assert_eq!(all.len(), 26 + 7 + 8);
    let mut failures = Vec::new();
    for v in &all {
        let result = run(&verifier, v, v.valid_at);
        let expected = expected_statement_valid(v);
        if result.statement_valid != expected {
            failures.push(format!(
                "{}: expected statement_valid={expected}, got {} ({:?})",
                v.id,
                result.statement_valid,
                result.reasons.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
            continue;
        }
        if result.statement_valid {
            let expected_type =
                if v.format == "tpm" { AttestationType::AttCa } else { AttestationType::Basic };
            assert_eq!(result.attestation_type, Some(expected_type), "{}", v.id);
            assert!(!result.trust_path.is_empty(), "{}", v.id);
        } else {
            let code = REJECTION_CODES
                .iter()
                .find(|(id, _)| *id == v.id)
                .unwrap_or_else(|| panic!("{} is rejected but has no expected reason code", v.id))
                .1;
            assert_eq!(result.reasons.first().map(|r| r.code), Some(code), "{}", v.id);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cts_enforcement_can_be_disabled() {
    // SimpleWebAuthn: "should skip CTS check when enforcement option is false".
    let v = vector("simplewebauthn-android-safetynet-should-enforce-cts-check-by-default");
    let mut options = VerifierOptions::default();
    assert!(!run(&Verifier::new(options.clone()), &v, v.valid_at).statement_valid);
    options.statement.safetynet_require_cts = false;
    assert!(run(&Verifier::new(options), &v, v.valid_at).statement_valid);
}

#[test]
fn safetynet_timestamp_is_judged_at_the_verification_time() {
    let v = vector("py_webauthn-android-safetynet-verify-attestation-android-safetynet");
    let verifier = Verifier::new(VerifierOptions::default());
    assert!(run(&verifier, &v, v.valid_at).statement_valid);
    let later = run(&verifier, &v, v.valid_at + time::Duration::hours(1));
    assert!(!later.statement_valid);
    assert_eq!(later.reasons[0].code, ReasonCode::StatementTimestamp);
}

fn anchor(file: &str) -> TrustAnchor {
    let bytes = shared::read(&format!("attestations/roots/{file}"));
    let cert = certs_from_pem_or_der(&bytes).unwrap().remove(0);
    TrustAnchor { cert: Arc::new(cert), label: file.to_string() }
}

#[test]
fn chains_reach_the_roots_shipped_with_the_vectors() {
    let cases = [
        ("w3c-tpm-es256", "w3c_webauthn_test_vectors_attestation_ca.der"),
        (
            "py_webauthn-tpm-verify-attestation-dell-xps-13",
            "tweag_webauthn__Microsoft_TPM_Root_Certificate_Authority_2014.crt",
        ),
        (
            "java-webauthn-server-tpm-RealExamples-WindowsHelloTpm",
            "tweag_webauthn__Microsoft_TPM_Root_Certificate_Authority_2014.crt",
        ),
        (
            "py_webauthn-android-key-verify-attestation-android-key-hardware-authority",
            "simplewebauthn__Google_Hardware_Attestation_Root_1.pem",
        ),
        (
            "simplewebauthn-android-safetynet-attestationandroidsafetynet",
            "java-webauthn-server__globalsign-root-r2.pem",
        ),
    ];
    for (id, root) in cases {
        let v = vector(id);
        let options = VerifierOptions { extra_anchors: vec![anchor(root)], ..Default::default() };
        let result = run(&Verifier::new(options), &v, v.valid_at);
        assert!(result.statement_valid, "{id}: {:?}", result.reasons);
        assert!(result.trusted, "{id}: {:?}", result.reasons);
    }
}

#[test]
fn tampered_vectors_are_rejected_through_the_public_api() {
    let verifier = Verifier::new(VerifierOptions::default());
    for id in [
        "w3c-tpm-es256",
        "py_webauthn-android-key-verify-attestation-android-key-hardware-authority",
        "py_webauthn-android-safetynet-verify-attestation-android-safetynet",
    ] {
        let mut v = vector(id);
        // Another clientDataJSON: a different clientDataHash.
        v.client_data_json.push(b' ');
        let result = run(&verifier, &v, v.valid_at);
        assert!(!result.statement_valid, "{id}");
        assert!(
            matches!(result.reasons[0].code, ReasonCode::NonceMismatch | ReasonCode::BadSignature),
            "{id}: {:?}",
            result.reasons
        );
        // Truncated attestationObject.
        let mut t = vector(id);
        t.attestation_object.truncate(t.attestation_object.len() / 2);
        assert!(!run(&verifier, &t, t.valid_at).statement_valid, "{id}");
    }
}
