//! Data-driven test over ../shared/testdata/attestations/vectors.json: every vector gets its
//! expected `statement_valid` (unless listed in testdata/attestation-exceptions.json), and the
//! vectors whose roots are known (real MDS BLOBs, shared attestation roots) are `trusted`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mdsd::attestation::{Expectations, RegistrationInput, Verifier, VerifierOptions};
use mdsd::trust_store::TrustStore;
use mdsd_test_support::vectors::{vectors, Vector};
use mdsd_test_support::{at as time, b64, shared, SHARED};
use serde::Deserialize;

const EXCEPTIONS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/attestation-exceptions.json");

/// The time used for vectors without `valid_at` (none / self attestation: no certificates).
const DEFAULT_AT: &str = "2024-06-01T00:00:00Z";

#[derive(Debug, Deserialize)]
struct Exception {
    id: String,
    statement_valid: bool,
    reason: String,
}

fn exceptions() -> BTreeMap<String, Exception> {
    let bytes = std::fs::read(EXCEPTIONS).unwrap();
    let list: Vec<Exception> = serde_json::from_slice(&bytes).unwrap();
    list.into_iter().map(|e| (e.id.clone(), e)).collect()
}

/// A real MDS BLOB verified without CRLs (none contemporaneous exist) at a time inside its
/// signing chain's validity.
fn store(file: &str, at: &str) -> Arc<TrustStore> {
    shared::blob_store(file, time(at))
}

fn expectations(v: &Vector) -> Expectations {
    Expectations {
        rp_id: v.rp_id.clone(),
        origins: v.origin.iter().cloned().collect(),
        challenge: v.challenge_b64url.as_deref().map(b64),
        top_origins: None,
        require_user_presence: false,
        require_user_verification: false,
    }
}

/// The vectors whose chains lead to a known root: the 2024-12 or 2021-08 MDS BLOB's entry roots,
/// or a root in attestations/roots used as an extra anchor (listed so a regression is visible).
const EXPECTED_TRUSTED: &[&str] = &[
    "java-webauthn-server-android-safetynet-AndroidSafetynet-RealExample",
    "java-webauthn-server-apple-RealExamples-AppleAttestationIos",
    "java-webauthn-server-apple-RealExamples-AppleAttestationMacos",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKey",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKeyNfc",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey4",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5NfcPost5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKeyNeo",
    "java-webauthn-server-packed-Packed-BasicAttestationRsaReal",
    "java-webauthn-server-packed-RealExamples-CredPropsEmpty",
    "java-webauthn-server-packed-RealExamples-CredPropsRkTrue",
    "java-webauthn-server-packed-RealExamples-SecurityKey2",
    "java-webauthn-server-packed-RealExamples-YubiKey5",
    "java-webauthn-server-packed-RealExamples-YubiKey5Ci",
    "java-webauthn-server-packed-RealExamples-YubiKey5Nano",
    "java-webauthn-server-packed-RealExamples-YubiKey5Nfc",
    "java-webauthn-server-packed-RealExamples-Yubikey5ciFips",
    "java-webauthn-server-packed-RealExamples-YubikeyBio_5_5_4",
    "java-webauthn-server-packed-RealExamples-YubikeyBio_5_5_5",
    "java-webauthn-server-packed-RealExamples-YubikeyBio_5_5_6",
    "java-webauthn-server-packed-RealExamples-YubikeyFips5Nfc",
    "java-webauthn-server-tpm-RealExamples-ThinkpadTpm",
    "java-webauthn-server-tpm-RealExamples-WindowsHelloTpm",
    "py_webauthn-android-key-verify-attestation-android-key-hardware-authority",
    "py_webauthn-android-safetynet-verify-attestation-android-safetynet",
    "py_webauthn-apple-verify-attestation-apple-passkey",
    "py_webauthn-fido-u2f-verify-attestation-from-yubikey-firefox",
    "py_webauthn-fido-u2f-verify-attestation-with-unsupported-token-binding",
    "py_webauthn-packed-verify-attestation-from-yubikey-firefox",
    "py_webauthn-packed-verify-attestation-with-okp-public-key",
    "py_webauthn-tpm-verify-attestation-dell-xps-13",
    "py_webauthn-tpm-verify-attestation-lenovo-carbon-x1",
    "py_webauthn-tpm-verify-attestation-surface-pro-4",
    "py_webauthn-tpm-verify-tpm-with-ecc-public-area-type",
    "simplewebauthn-android-key-should-verify-android-keystore-response-from-a-samsung-galaxy-s9-runni",
    "simplewebauthn-android-safetynet-attestationandroidsafetynet",
    "simplewebauthn-android-safetynet-safetynetusinggsr1rootcert",
    "simplewebauthn-apple-should-verify-apple-attestation",
    "simplewebauthn-fido-u2f-attestationfidou2f",
    "simplewebauthn-packed-attestationpackedx5c",
    "simplewebauthn-tpm-should-verify-tpm-response-with-non-spec-compliant-tcgattpm-san-struct",
    "simplewebauthn-tpm-should-verify-tpm-response-with-spec-compliant-tcgattpm-san-structure",
    "w3c-apple-es256",
    "w3c-packed-ed448",
    "w3c-packed-eddsa",
    "w3c-packed-es256",
    "w3c-packed-es384",
    "w3c-packed-es512",
    "w3c-packed-rs256",
    "w3c-tpm-es256",
    "webauthn-rs-apple-touchid-attest-apple-anonymous",
    "webauthn-rs-fido-u2f-subdomain-origin",
    "webauthn-rs-packed-registration-packed-attestaion-works-with-valid-fido-aaguid-extension",
    "webauthn-rs-tpm-tpm-ecc-aseigler",
    "webauthn-rs-tpm-win-hello-attest-tpm",
];

#[test]
fn every_vector_gets_its_expected_statement_validity() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 130);
    let exceptions = exceptions();
    for e in exceptions.values() {
        assert!(vectors.iter().any(|v| v.id == e.id), "exception for unknown vector {}", e.id);
        assert!(e.reason.len() > 20, "exception {} needs a reason", e.id);
    }
    let stores = [
        store("s1r-J_fido-mds3__2024-12-02__blob.jwt", "2024-12-15T00:00:00Z"),
        store("s1r-J_fido-mds3__2021-08-24__blob.jwt", "2021-08-25T00:00:00Z"),
    ];
    let verifier = Verifier::new(VerifierOptions {
        extra_anchors: shared::attestation_anchors(),
        ..Default::default()
    });
    let mut failures = Vec::new();
    let mut trusted = BTreeSet::new();
    for v in vectors {
        let ao = b64(&v.attestation_object);
        let cd = b64(&v.client_data_json);
        let exp = expectations(v);
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cd,
            expectations: Some(&exp),
        };
        let at = time(v.valid_at.as_deref().unwrap_or(DEFAULT_AT));
        let results: Vec<_> = stores
            .iter()
            .map(|s| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    verifier.verify_registration(&input, Some(s), at)
                }))
            })
            .collect();
        let first = match &results[0] {
            Ok(r) => r,
            Err(_) => {
                failures.push(format!("{} ({}): PANIC (unimplemented module?)", v.id, v.format));
                continue;
            }
        };
        if results.iter().any(|r| r.as_ref().map(|r| r.trusted).unwrap_or(false)) {
            trusted.insert(v.id.clone());
        } else if std::env::var("SHOW_UNTRUSTED").is_ok() {
            eprintln!(
                "UNTRUSTED {} ({}): {:?}",
                v.id,
                v.format,
                first.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>()
            );
        }
        let expected = match exceptions.get(&v.id) {
            Some(e) => e.statement_valid,
            None => v.expected == "valid",
        };
        if first.statement_valid != expected {
            failures.push(format!(
                "{} ({}): statement_valid {} expected {}; reasons {:?}",
                v.id,
                v.format,
                first.statement_valid,
                expected,
                first.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>()
            ));
        }
    }
    if std::env::var("SHOW_TRUSTED").is_ok() {
        for id in &trusted {
            eprintln!("TRUSTED {} {id}", format_of_id(vectors, id));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    // The formats this module implements must be trusted exactly as listed; for the others
    // (tpm, android-*) the list is a floor.
    let expected_trusted: BTreeSet<String> =
        EXPECTED_TRUSTED.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = expected_trusted.difference(&trusted).collect();
    assert!(missing.is_empty(), "expected trusted but not: {missing:#?}");
    let format_of: BTreeMap<&str, &str> =
        vectors.iter().map(|v| (v.id.as_str(), v.format.as_str())).collect();
    let unexpected: Vec<_> = trusted
        .difference(&expected_trusted)
        .filter(|id| {
            matches!(
                format_of.get(id.as_str()).copied(),
                Some("packed" | "fido-u2f" | "apple" | "none" | "compound")
            )
        })
        .collect();
    assert!(unexpected.is_empty(), "trusted but not listed: {unexpected:#?}");
}

fn format_of_id<'a>(vectors: &'a [Vector], id: &str) -> &'a str {
    vectors.iter().find(|v| v.id == id).map(|v| v.format.as_str()).unwrap_or("?")
}

/// The entry for `aaguid` read straight from the BLOB payload JSON (an oracle independent of
/// the trust store): (description, status of the report with the latest effectiveDate).
fn payload_entry(file: &str, aaguid: &str) -> (String, String) {
    let blob = std::fs::read_to_string(format!("{SHARED}/blobs/{file}")).unwrap();
    let payload = blob.split('.').nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&b64(payload)).unwrap();
    let entry = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["aaguid"].as_str() == Some(aaguid))
        .unwrap();
    let description = entry["metadataStatement"]["description"].as_str().unwrap().to_string();
    let latest = entry["statusReports"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|r| r["effectiveDate"].as_str().unwrap_or("").to_string())
        .unwrap();
    (description, latest["status"].as_str().unwrap().to_string())
}

#[test]
fn real_yubikey_reports_mds_description_and_status() {
    let file = "s1r-J_fido-mds3__2024-12-02__blob.jwt";
    let store = store(file, "2024-12-15T00:00:00Z");
    let verifier = Verifier::new(VerifierOptions::default());
    let vectors = vectors();
    for id in [
        "java-webauthn-server-packed-RealExamples-YubiKey5Ci",
        "java-webauthn-server-packed-RealExamples-YubikeyBio_5_5_6",
    ] {
        let v = vectors.iter().find(|v| v.id == id).unwrap();
        let ao = b64(&v.attestation_object);
        let cd = b64(&v.client_data_json);
        let exp = expectations(v);
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cd,
            expectations: Some(&exp),
        };
        // No extra anchors: the MDS entry's own attestation roots must anchor the chain.
        let r = verifier.verify_registration(&input, Some(&store), time("2024-12-15T00:00:00Z"));
        assert!(r.statement_valid && r.trusted, "{id}: {:?}", r.reasons);
        let (description, status) = payload_entry(file, v.aaguid.as_deref().unwrap());
        let a = r.authenticator.as_ref().unwrap();
        assert!(a.verified);
        assert_eq!(a.description.as_deref(), Some(description.as_str()), "{id}");
        assert_eq!(a.status.as_ref().map(|s| s.as_str()), Some(status.as_str()), "{id}");
        assert_eq!(r.metadata_no, Some(121));
        assert!(r.anchor.as_ref().unwrap().1.starts_with("MDS attestation root of"));
        eprintln!("{id}: {description} / {status}");
    }
}

/// Byte flips and truncations of every real vector: never a panic, always a result with a
/// reason when invalid.
#[test]
fn mutated_real_vectors_never_panic() {
    let store = store("s1r-J_fido-mds3__2024-12-02__blob.jwt", "2024-12-15T00:00:00Z");
    let verifier = Verifier::new(VerifierOptions {
        extra_anchors: shared::attestation_anchors(),
        ..Default::default()
    });
    let mut panics = Vec::new();
    for v in vectors() {
        let ao = b64(&v.attestation_object);
        let cd = b64(&v.client_data_json);
        let at = time(v.valid_at.as_deref().unwrap_or(DEFAULT_AT));
        let step = (ao.len() / 24).max(1);
        let mut mutants: Vec<Vec<u8>> = Vec::new();
        for i in (0..ao.len()).step_by(step) {
            let mut m = ao.clone();
            m[i] ^= 0x5a;
            mutants.push(m);
            mutants.push(ao[..i].to_vec());
        }
        for m in mutants {
            let input = RegistrationInput {
                attestation_object: &m,
                client_data_json: &cd,
                expectations: None,
            };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                verifier.verify_registration(&input, Some(&store), at)
            }));
            match r {
                Err(_) => panics.push(v.id.clone()),
                Ok(r) => assert!(r.statement_valid || !r.reasons.is_empty(), "{}", v.id),
            }
        }
    }
    panics.dedup();
    assert!(panics.is_empty(), "panics in: {panics:#?}");
}

/// Attestation types reported for vectors whose type the source names.
#[test]
fn attestation_types_of_named_vectors() {
    use mdsd::attestation::AttestationType as T;
    let verifier = Verifier::new(VerifierOptions::default());
    let vectors = vectors();
    for (id, expected) in [
        ("java-webauthn-server-fido-u2f-FidoU2f-SelfAttestation", T::SelfAttestation),
        ("java-webauthn-server-fido-u2f-FidoU2f-BasicAttestation", T::Basic),
        ("java-webauthn-server-packed-Packed-SelfAttestation", T::SelfAttestation),
        ("java-webauthn-server-packed-Packed-BasicAttestation", T::Basic),
        ("java-webauthn-server-apple-RealExamples-AppleAttestationIos", T::AnonCa),
        ("java-webauthn-server-none-NoneAttestation-Default", T::None),
    ] {
        let v = vectors.iter().find(|v| v.id == id).unwrap();
        let ao = b64(&v.attestation_object);
        let cd = b64(&v.client_data_json);
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cd,
            expectations: None,
        };
        let at = time(v.valid_at.as_deref().unwrap_or(DEFAULT_AT));
        let r = verifier.verify_registration(&input, None, at);
        assert!(r.statement_valid, "{id}: {:?}", r.reasons);
        assert_eq!(r.attestation_type, Some(expected), "{id}");
    }
}

/// §7.1 step 10 on the W3C cross-origin vectors: checked only when `top_origins` is given.
#[test]
fn cross_origin_vectors_follow_top_origins() {
    let verifier = Verifier::new(VerifierOptions::default());
    let vectors = vectors();
    for (id, top_origins, ok) in [
        ("w3c-none-es256-topOrigin", Some(vec!["https://example.com".to_string()]), true),
        ("w3c-none-es256-topOrigin", Some(vec![]), false),
        ("w3c-none-es256-topOrigin", None, true),
        ("w3c-none-es256-crossOrigin", Some(vec!["https://example.com".to_string()]), false),
        ("w3c-none-es256-crossOrigin", None, true),
        ("w3c-none-es256", Some(vec![]), true),
    ] {
        let v = vectors.iter().find(|v| v.id == id).unwrap();
        let ao = b64(&v.attestation_object);
        let cd = b64(&v.client_data_json);
        let exp = Expectations { top_origins: top_origins.clone(), ..expectations(v) };
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cd,
            expectations: Some(&exp),
        };
        let r = verifier.verify_registration(&input, None, time(DEFAULT_AT));
        assert_eq!(r.statement_valid, ok, "{id} {top_origins:?}: {:?}", r.reasons);
    }
}
