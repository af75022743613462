//! Tests for the `android-safetynet` format: every vector, mutations of real responses, and
//! generated JWS responses that break one rule each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciborium::Value;
use time::Duration;

use super::{verify, Jws, JwsError, MAX_JWS_LEN};
use crate::attestation::tpm::testkit::{
    assert_rejected, auth_data, params, sha256, test_ca, Case, EcKey,
};
use crate::attestation::{AttestationType, ReasonCode};

/// Vectors rejected at their `valid_at`, with the reason. The last one is expected valid by
/// its source but cannot be (see testdata/attestation-exceptions.json).
const REJECTED: &[(&str, ReasonCode, &str)] = &[
    (
        "simplewebauthn-android-safetynet-should-enforce-cts-check-by-default",
        ReasonCode::DeviceIntegrity,
        "ctsProfileMatch",
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-FalseCtsProfileMatch",
        ReasonCode::DeviceIntegrity,
        "ctsProfileMatch",
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-WrongHostname",
        ReasonCode::CertificateRequirements,
        "CN=attest.android.com",
    ),
    (
        "java-webauthn-server-android-safetynet-AndroidSafetynet-BasicAttestation",
        ReasonCode::StatementTimestamp,
        "after",
    ),
];
/// Expected invalid only because of CRL revocation, which statement checks do not cover.
const REVOKED_BY_CRL: &str = "simplewebauthn-android-safetynet-safetynetusinggsr1rootcert";

#[test]
fn every_safetynet_vector_gets_its_expected_validity() {
    let ids = Case::vector_ids("android-safetynet");
    assert_eq!(ids.len(), 8);
    for (id, expected) in ids {
        let result = Case::vector(&id).run(verify);
        if let Some((_, code, needle)) = REJECTED.iter().find(|(r, ..)| *r == id) {
            assert_rejected(&result, *code, needle);
            continue;
        }
        assert!(expected || id == REVOKED_BY_CRL, "{id} is expected invalid but has no reason");
        let outcome = result.unwrap_or_else(|r| panic!("{id}: {r}"));
        assert_eq!(outcome.attestation_type, AttestationType::Basic);
        assert!(!outcome.trust_path.is_empty());
    }
}

const REAL: &str = "py_webauthn-android-safetynet-verify-attestation-android-safetynet";
const CTS_FALSE: &str = "simplewebauthn-android-safetynet-should-enforce-cts-check-by-default";
const JAVA_BASIC: &str = "java-webauthn-server-android-safetynet-AndroidSafetynet-BasicAttestation";

fn timestamp_of(case: &Case) -> time::OffsetDateTime {
    let jws = Jws::parse(&case.bytes("response")).unwrap();
    time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(jws.payload.timestamp_ms) * 1_000_000,
    )
    .unwrap()
}

#[test]
fn cts_check_follows_the_option() {
    let mut case = Case::vector(CTS_FALSE);
    assert_rejected(&case.run(verify), ReasonCode::DeviceIntegrity, "ctsProfileMatch");
    case.options.safetynet_require_cts = false;
    assert!(case.run(verify).is_ok());
}

#[test]
fn timestamp_must_be_inside_the_window() {
    let case = Case::vector(REAL);
    let ts = timestamp_of(&case);
    let mut stale = case.clone();
    stale.now = ts + Duration::minutes(10);
    assert_rejected(&stale.run(verify), ReasonCode::StatementTimestamp, "before");
    stale.options.safetynet_max_age_ms = 11 * 60_000;
    assert!(stale.run(verify).is_ok());
    let mut early = case.clone();
    early.now = ts - Duration::minutes(2);
    assert_rejected(&early.run(verify), ReasonCode::StatementTimestamp, "after");
    early.options.safetynet_max_future_ms = 3 * 60_000;
    assert!(early.run(verify).is_ok());
    // Edges: exactly max_age old and exactly max_future ahead are accepted.
    let mut edge = case.clone();
    edge.now = ts + Duration::milliseconds(60_000);
    assert!(edge.run(verify).is_ok());
    edge.now = ts - Duration::milliseconds(60_000);
    assert!(edge.run(verify).is_ok());
    edge.now = ts + Duration::milliseconds(60_001);
    assert!(edge.run(verify).is_err());
}

#[test]
fn java_basic_attestation_fails_only_on_its_timestamp() {
    let mut case = Case::vector(JAVA_BASIC);
    case.now = timestamp_of(&case) + Duration::seconds(30);
    assert!(case.run(verify).is_ok());
}

/// Replaces one of the three JWS parts of attStmt.response.
fn with_part(case: &Case, index: usize, f: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Case {
    let response = String::from_utf8(case.bytes("response")).unwrap();
    let mut parts: Vec<String> = response.split('.').map(str::to_string).collect();
    parts[index] = URL_SAFE_NO_PAD.encode(f(URL_SAFE_NO_PAD.decode(&parts[index]).unwrap()));
    let mut out = case.clone();
    out.set("response", Value::Bytes(parts.join(".").into_bytes()));
    out
}

#[test]
fn flipped_signature_byte_is_rejected() {
    let case = with_part(&Case::vector(REAL), 2, |mut sig| {
        sig[5] ^= 0x01;
        sig
    });
    assert_rejected(&case.run(verify), ReasonCode::BadSignature, "SafetyNet");
}

#[test]
fn edited_payload_breaks_the_signature() {
    let case = with_part(&Case::vector(REAL), 1, |payload| {
        let text = String::from_utf8(payload).unwrap();
        text.replace("\"ctsProfileMatch\":true", "\"ctsProfileMatch\":false ").into_bytes()
    });
    assert_rejected(&case.run(verify), ReasonCode::BadSignature, "SafetyNet");
}

#[test]
fn wrong_client_data_hash_breaks_the_nonce() {
    let mut case = Case::vector(REAL);
    case.client_data_hash = sha256(b"another clientDataJSON");
    assert_rejected(&case.run(verify), ReasonCode::NonceMismatch, "nonce");
}

#[test]
fn statement_fields_are_required() {
    let case = Case::vector(REAL);
    let mut c = case.clone();
    c.set("ver", Value::Text(String::new()));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "ver");
    for field in ["ver", "response"] {
        let mut c = case.clone();
        c.remove(field);
        assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, field);
    }
    let mut c = case.clone();
    c.set("response", Value::Text("a.b.c".into()));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "response");
}

#[test]
fn malformed_responses_are_rejected() {
    let two_parts = b"eyJhbGciOiJSUzI1NiJ9.e30";
    assert_eq!(Jws::parse(two_parts).unwrap_err(), JwsError::NotCompact);
    assert_eq!(Jws::parse(b"a.b.c.d").unwrap_err(), JwsError::NotCompact);
    assert_eq!(Jws::parse(&[0xff, b'.', b'.']).unwrap_err(), JwsError::NotText);
    assert!(matches!(Jws::parse(b"!!.e30.AA").unwrap_err(), JwsError::Base64 { part: "header" }));
    let big = vec![b'a'; MAX_JWS_LEN + 1];
    assert_eq!(Jws::parse(&big).unwrap_err(), JwsError::TooLong(MAX_JWS_LEN + 1));
    let mut c = Case::vector(REAL);
    c.set("response", Value::Bytes(big));
    assert_rejected(&c.run(verify), ReasonCode::LimitExceeded, "bytes");
    // Payload without nonce.
    let case = with_part(&Case::vector(REAL), 1, |_| {
        br#"{"timestampMs":1,"ctsProfileMatch":true}"#.to_vec()
    });
    assert_rejected(&case.run(verify), ReasonCode::MalformedStatement, "nonce");
    // Header alg that is not an asymmetric signature.
    let case = with_part(&Case::vector(REAL), 0, |h| {
        String::from_utf8(h).unwrap().replace("RS256", "HS256").into_bytes()
    });
    assert_rejected(&case.run(verify), ReasonCode::UnsupportedAlgorithm, "HS256");
}

// ---- generated responses ----

struct Jwt {
    alg: &'static str,
    x5c: Vec<Vec<u8>>,
    payload: serde_json::Value,
}

fn sign(key: &EcKey, jwt: &Jwt) -> Vec<u8> {
    let header = serde_json::json!({
        "alg": jwt.alg,
        "x5c": jwt.x5c.iter().map(|c| STANDARD.encode(c)).collect::<Vec<_>>(),
    });
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(jwt.payload.to_string());
    let sig = key.sign_fixed(format!("{h}.{p}").as_bytes());
    format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig)).into_bytes()
}

/// A generated ES256 SafetyNet statement; `leaf` customizes the leaf certificate parameters,
/// `edit` the JWS before signing.
fn synthetic(
    leaf: impl FnOnce(&mut rcgen::CertificateParams),
    edit: impl FnOnce(&mut Jwt),
) -> Case {
    let key = EcKey::new();
    let credential = EcKey::new();
    let (ca, ca_key) = test_ca();
    let mut p = params(&[(rcgen::DnType::CommonName, "attest.android.com")]);
    p.subject_alt_names = vec![rcgen::SanType::DnsName("attest.android.com".try_into().unwrap())];
    leaf(&mut p);
    let cert = p.signed_by(&key.rcgen, &ca, &ca_key).unwrap();
    let auth_data = auth_data([0; 16], &credential.cose());
    let client_data_hash = sha256(b"{\"type\":\"webauthn.create\"}");
    let now = time::macros::datetime!(2025-06-01 12:00 UTC);
    let nonce = STANDARD.encode(sha256(&[auth_data.as_slice(), &client_data_hash].concat()));
    let mut jwt = Jwt {
        alg: "ES256",
        x5c: vec![cert.der().to_vec(), ca.der().to_vec()],
        payload: serde_json::json!({
            "nonce": nonce,
            "timestampMs": (now.unix_timestamp() * 1000) - 5_000,
            "apkPackageName": "com.google.android.gms",
            "ctsProfileMatch": true,
            "basicIntegrity": true,
        }),
    };
    edit(&mut jwt);
    let att_stmt = Value::Map(vec![
        (Value::Text("ver".into()), Value::Text("214815046".into())),
        (Value::Text("response".into()), Value::Bytes(sign(&key, &jwt))),
    ]);
    Case { att_stmt, auth_data, client_data_hash, now, options: Default::default() }
}

#[test]
fn generated_es256_response_verifies() {
    let outcome = synthetic(|_| {}, |_| {}).run(verify).unwrap();
    assert_eq!(outcome.attestation_type, AttestationType::Basic);
    assert_eq!(outcome.trust_path.len(), 2);
}

#[test]
fn nonce_must_match() {
    let case = synthetic(|_| {}, |j| j.payload["nonce"] = STANDARD.encode([7u8; 32]).into());
    assert_rejected(&case.run(verify), ReasonCode::NonceMismatch, "nonce");
    // The same bytes without base64 padding are not "the Base64 encoding".
    let case = synthetic(
        |_| {},
        |j| {
            let padded = j.payload["nonce"].as_str().unwrap().to_string();
            j.payload["nonce"] = padded.trim_end_matches('=').into();
        },
    );
    assert_rejected(&case.run(verify), ReasonCode::NonceMismatch, "nonce");
}

#[test]
fn leaf_must_be_issued_to_attest_android_com() {
    // A dNSName for another host wins over a matching CN (RFC 6125 §6.4.4).
    let case = synthetic(
        |p| p.subject_alt_names = vec![rcgen::SanType::DnsName("example.com".try_into().unwrap())],
        |_| {},
    );
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "example.com");
    // Without dNSNames the CN decides.
    assert!(synthetic(|p| p.subject_alt_names.clear(), |_| {}).run(verify).is_ok());
    let case = synthetic(
        |p| {
            p.subject_alt_names.clear();
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name.push(rcgen::DnType::CommonName, "attest.android.com.evil.example");
        },
        |_| {},
    );
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "not CN=attest");
}

#[test]
fn header_alg_must_fit_the_leaf_key() {
    let case = synthetic(|_| {}, |j| j.alg = "RS256");
    assert_rejected(&case.run(verify), ReasonCode::AlgorithmMismatch, "SafetyNet");
}

#[test]
fn x5c_is_required_and_bounded() {
    let case = synthetic(|_| {}, |j| j.x5c.clear());
    assert_rejected(&case.run(verify), ReasonCode::MalformedStatement, "x5c is empty");
    let case = synthetic(|_| {}, |j| j.x5c = vec![j.x5c[0].clone(); 9]);
    assert_rejected(&case.run(verify), ReasonCode::LimitExceeded, "x5c");
    let case = synthetic(|_| {}, |j| j.x5c[0] = b"not a certificate".to_vec());
    assert_rejected(&case.run(verify), ReasonCode::MalformedStatement, "x5c[0]");
}

#[test]
fn generated_cts_false_and_stale_responses_are_rejected() {
    let case = synthetic(|_| {}, |j| j.payload["ctsProfileMatch"] = false.into());
    assert_rejected(&case.run(verify), ReasonCode::DeviceIntegrity, "ctsProfileMatch");
    let case = synthetic(|_| {}, |j| j.payload["timestampMs"] = 1_500_000_000_000i64.into());
    assert_rejected(&case.run(verify), ReasonCode::StatementTimestamp, "before");
}

#[test]
fn truncated_responses_are_rejected_without_panicking() {
    let case = Case::vector(REAL);
    let response = case.bytes("response");
    for n in (0..response.len()).step_by(7) {
        let mut c = case.clone();
        c.set("response", Value::Bytes(response[..n].to_vec()));
        assert!(c.run(verify).is_err(), "response[..{n}]");
    }
}
