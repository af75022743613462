//! BLOB-signing test helper: builds MDS3 payloads and signs compact JWS BLOBs with keys from the
//! rcgen test PKI ([`crate::pki`]), so negative cases can be generated at test time.

use ring::rand::SystemRandom;
use ring::signature as sig;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::b64_std;
pub use crate::b64url;
use crate::pki::{t, Issued};

/// The time generated BLOBs are verified at: before [`payload`]'s `nextUpdate` (2024-07-01),
/// inside the test PKI's default validity (2020-01-01..2030-01-01) and inside CRLs issued for
/// 2024-05-01..2024-07-01.
pub fn at() -> OffsetDateTime {
    t(2024, 6, 1)
}

/// Signs `signing_input` with the PKCS#8 key for JWS `alg` (ECDSA in JOSE `r‖s` form).
pub fn sign_raw(alg: &str, pkcs8: &[u8], signing_input: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    let ecdsa = |alg: &'static sig::EcdsaSigningAlgorithm| {
        sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng)
            .unwrap()
            .sign(&rng, signing_input)
            .unwrap()
            .as_ref()
            .to_vec()
    };
    let rsa = |padding: &'static dyn sig::RsaEncoding| {
        let key = sig::RsaKeyPair::from_pkcs8(pkcs8).unwrap();
        let mut out = vec![0; key.public().modulus_len()];
        key.sign(padding, &rng, signing_input, &mut out).unwrap();
        out
    };
    match alg {
        "ES256" => ecdsa(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
        "ES384" => ecdsa(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        "RS256" => rsa(&sig::RSA_PKCS1_SHA256),
        "RS384" => rsa(&sig::RSA_PKCS1_SHA384),
        "RS512" => rsa(&sig::RSA_PKCS1_SHA512),
        "PS256" => rsa(&sig::RSA_PSS_SHA256),
        "PS384" => rsa(&sig::RSA_PSS_SHA384),
        "PS512" => rsa(&sig::RSA_PSS_SHA512),
        "EdDSA" => sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .unwrap()
            .sign(signing_input)
            .as_ref()
            .to_vec(),
        other => panic!("sign_raw: no signer for {other}"),
    }
}

/// ECDSA P-256 SHA-256 in DER form (what python-fido2's example BLOB wrongly carries).
pub fn sign_es256_der(pkcs8: &[u8], signing_input: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
        .unwrap()
        .sign(&rng, signing_input)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// A header `{"alg", "typ": "JWT", "x5c": [...]}` with the certificates in the given order.
pub fn header(alg: &str, x5c: &[&Issued]) -> Value {
    let mut h = json!({ "alg": alg, "typ": "JWT" });
    if !x5c.is_empty() {
        h["x5c"] = Value::from(x5c.iter().map(|c| b64_std(&c.der)).collect::<Vec<_>>());
    }
    h
}

/// `b64url(header) '.' b64url(payload) '.' b64url(signature)` signed by `signer` for the header's
/// `alg`.
pub fn sign(header: &Value, payload: &[u8], signer: &Issued) -> Vec<u8> {
    let alg = header["alg"].as_str().unwrap_or("ES256");
    sign_with(header, payload, |input| sign_raw(alg, &signer.pkcs8(), input))
}

/// Like [`sign`] with any signing function (wrong keys, DER signatures, ...).
pub fn sign_with(header: &Value, payload: &[u8], f: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(payload));
    let signature = f(input.as_bytes());
    format!("{input}.{}", b64url(&signature)).into_bytes()
}

/// A payload `{legalHeader, no, nextUpdate, entries}`.
pub fn payload(no: u64, entries: Vec<Value>) -> Vec<u8> {
    json!({
        "legalHeader": "mdsd test BLOB",
        "no": no,
        "nextUpdate": "2024-07-01",
        "entries": entries,
    })
    .to_string()
    .into_bytes()
}

/// A FIDO2 entry with one status report, shaped like the real MDS.
pub fn fido2_entry(aaguid: &str, status: &str) -> Value {
    json!({
        "aaguid": aaguid,
        "metadataStatement": {
            "legalHeader": "x",
            "aaguid": aaguid,
            "description": format!("Authenticator {aaguid}"),
            "authenticatorVersion": 2,
            "protocolFamily": "fido2",
            "schema": 3,
            "attestationTypes": ["basic_full"],
            "attestationRootCertificates": [],
        },
        "statusReports": [{ "status": status, "effectiveDate": "2020-01-01" }],
        "timeOfLastStatusChange": "2020-01-01",
    })
}

/// A U2F entry identified by attestation certificate key identifiers.
pub fn u2f_entry(key_ids: &[&str], status: &str) -> Value {
    json!({
        "attestationCertificateKeyIdentifiers": key_ids,
        "metadataStatement": {
            "description": "U2F key",
            "authenticatorVersion": 1,
            "protocolFamily": "u2f",
            "attestationRootCertificates": [],
        },
        "statusReports": [{ "status": status, "effectiveDate": "2020-01-01" }],
        "timeOfLastStatusChange": "2020-01-01",
    })
}
