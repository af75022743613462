//! Property test over the real registration vectors that are trusted through an operator anchor
//! (../shared/testdata/attestations/roots): a one-byte change anywhere in the leaf attestation
//! certificate (x5c[0]) never leaves the attestation both `statement_valid` and `trusted` as
//! another certificate (a different fingerprint).
//!
//! Every byte of the leaf is covered: tbsCertificate by the issuer's signature, the signature
//! value by the signature check, and the outer signatureAlgorithm must name the algorithm the
//! issuer signed with (a different algorithm or malformed DER fails the check). Intermediates are
//! not in the property: x5c may carry certificates the path does not use (unsigned for trust).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::OnceLock;

use ciborium::Value;
use mdsd::attestation::{RegistrationInput, Verifier, VerifierOptions};
use mdsd_test_support::vectors::vectors_json;
use mdsd_test_support::{b64, shared};
use proptest::prelude::*;
use proptest::sample::Index;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

struct Case {
    id: String,
    fmt: String,
    att_stmt: Vec<(Value, Value)>,
    auth_data: Vec<u8>,
    client_data: Vec<u8>,
    now: OffsetDateTime,
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let anchors = shared::attestation_anchors();
        let options = VerifierOptions { extra_anchors: anchors, ..VerifierOptions::default() };
        Verifier::with_cache_capacity(options, 0)
    })
}

fn encode(fmt: &str, att_stmt: &[(Value, Value)], auth_data: &[u8]) -> Vec<u8> {
    let map = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(att_stmt.to_vec())),
        (Value::Text("authData".into()), Value::Bytes(auth_data.to_vec())),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

/// (statement_valid, trusted) of a case with `att_stmt`.
fn judge(case: &Case, att_stmt: &[(Value, Value)]) -> (bool, bool) {
    let (valid, trusted, _) = judge_with_path(case, att_stmt);
    (valid, trusted)
}

/// As [`judge`], with the fingerprints of the trust path (leaf first).
fn judge_with_path(case: &Case, att_stmt: &[(Value, Value)]) -> (bool, bool, Vec<String>) {
    let object = encode(&case.fmt, att_stmt, &case.auth_data);
    let input = RegistrationInput {
        attestation_object: &object,
        client_data_json: &case.client_data,
        expectations: None,
    };
    let r = verifier().verify_registration(&input, None, case.now);
    (r.statement_valid, r.trusted, r.trust_path)
}

fn leaf_index(stmt: &[(Value, Value)]) -> Option<usize> {
    stmt.iter().position(|(k, v)| {
        k.as_text() == Some("x5c") && v.as_array().is_some_and(|a| !a.is_empty())
    })
}

/// Vectors with an x5c that are valid and trusted through an operator anchor alone.
fn cases() -> &'static [Case] {
    static C: OnceLock<Vec<Case>> = OnceLock::new();
    C.get_or_init(|| {
        let list = vectors_json();
        let mut out = Vec::new();
        for v in list {
            let object = b64(v["attestationObject_b64url"].as_str().unwrap());
            let Ok(Value::Map(map)) = ciborium::from_reader::<Value, _>(object.as_slice()) else {
                continue;
            };
            let get = |k: &str| map.iter().find(|(key, _)| key.as_text() == Some(k)).map(|e| &e.1);
            let (Some(Value::Text(fmt)), Some(Value::Map(stmt)), Some(Value::Bytes(auth_data))) =
                (get("fmt"), get("attStmt"), get("authData"))
            else {
                continue;
            };
            if leaf_index(stmt).is_none() {
                continue;
            }
            let now = v["valid_at"]
                .as_str()
                .map(|s| OffsetDateTime::parse(&s.replace("+00:00", "Z"), &Rfc3339).unwrap())
                .unwrap_or_else(|| {
                    OffsetDateTime::parse("2024-06-01T00:00:00Z", &Rfc3339).unwrap()
                });
            let case = Case {
                id: v["id"].as_str().unwrap().to_string(),
                fmt: fmt.clone(),
                att_stmt: stmt.clone(),
                auth_data: auth_data.clone(),
                client_data: b64(v["clientDataJSON_b64url"].as_str().unwrap()),
                now,
            };
            if judge(&case, &case.att_stmt) == (true, true) {
                out.push(case);
            }
        }
        out
    })
}

#[test]
fn operator_anchored_vectors_are_trusted_unmutated() {
    // Non-vacuity: several formats are trusted through operator anchors before any mutation.
    let cases = cases();
    assert!(cases.len() >= 10, "only {} trusted vectors", cases.len());
    for fmt in ["packed", "tpm", "android-key", "apple"] {
        assert!(cases.iter().any(|c| c.fmt == fmt), "no trusted {fmt} vector");
    }
}

/// The leaf's signature BIT STRING with its unused-bits octet set to 1 (the DER still parses:
/// this leaf's last signature bit is 0). Found by the property below in CI (2026-12-03): the
/// edited leaf verified as before under another fingerprint. Now it is the same certificate:
/// same fingerprint, so a fingerprint or compromised-batch match still finds it.
#[test]
fn the_unused_bits_octet_does_not_make_another_certificate() {
    let id = "java-webauthn-server-packed-Packed-BasicAttestationRsaReal";
    let case = cases().iter().find(|c| c.id == id).expect("the RSA-signed packed vector");
    let mut stmt = case.att_stmt.clone();
    let i = leaf_index(&stmt).unwrap();
    let mut certs = stmt[i].1.as_array().unwrap().clone();
    let original = certs[0].as_bytes().unwrap().clone();
    let mut leaf = original.clone();
    // ... 03 82 01 01 | 00 <256 signature bytes>: the BIT STRING ends the certificate.
    let at = leaf.len() - 257;
    assert_eq!((&leaf[at - 4..at], leaf[at]), (&[0x03, 0x82, 0x01, 0x01][..], 0x00));
    leaf[at] = 0x01;
    let (a, b) = (
        mdsd::x509::Cert::from_der(&original).unwrap(),
        mdsd::x509::Cert::from_der(&leaf).expect("the edited leaf still parses"),
    );
    assert_ne!(a.der(), b.der());
    assert_eq!(a.sha256(), b.sha256());
    certs[0] = Value::Bytes(leaf);
    stmt[i].1 = Value::Array(certs);
    let (_, _, before) = judge_with_path(case, &case.att_stmt);
    let (valid, trusted, after) = judge_with_path(case, &stmt);
    assert_eq!((valid, trusted), (true, true));
    assert_eq!(after.first(), before.first());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn changed_leaf_byte_is_never_valid_and_trusted(which in any::<Index>(), at in any::<Index>(), xor in 1u8..=255) {
        let case = which.get(cases());
        let mut stmt = case.att_stmt.clone();
        let i = leaf_index(&stmt).unwrap();
        let mut certs = stmt[i].1.as_array().unwrap().clone();
        let mut leaf = certs[0].as_bytes().unwrap().clone();
        let offset = at.index(leaf.len());
        leaf[offset] ^= xor;
        certs[0] = Value::Bytes(leaf);
        stmt[i].1 = Value::Array(certs);
        // The one octet outside every signature that the verifier tolerates is the unused-bits
        // count of the signature BIT STRING (real Yubico U2F certificates set it): an edit
        // there may stay valid and trusted, but as the same certificate — same fingerprint —
        // never as another one (which could escape a compromised batch certificate).
        let (valid, trusted, path) = judge_with_path(case, &stmt);
        if (valid, trusted) == (true, true) {
            let (_, _, original) = judge_with_path(case, &case.att_stmt);
            prop_assert_eq!(
                path.first(), original.first(),
                "{}: leaf byte {} ^ {:#04x} valid and trusted as another certificate",
                case.id, offset, xor
            );
        }
    }
}
