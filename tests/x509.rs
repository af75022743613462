//! X.509 against real data (MDS BLOB chains, conformance chains, GlobalSign and FIDO CRLs, every
//! certificate in the attestation vectors) and against generated PKIs for each negative case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use mdsd::x509::{certs_from_pem_or_der, Cert};
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{TESTDATA}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The JWS header and payload of a BLOB file.
fn jws_parts(rel: &str) -> (Value, Value) {
    let text = String::from_utf8(read(rel)).unwrap();
    let mut parts = text.trim().split('.');
    let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let payload = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    (serde_json::from_slice(&header).unwrap(), serde_json::from_slice(&payload).unwrap())
}

/// The x5c DER certificates of a JWS header (standard base64, RFC 7515 §4.1.6).
fn header_x5c(header: &Value) -> Vec<Vec<u8>> {
    header["x5c"]
        .as_array()
        .map(|a| a.iter().map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap()).collect())
        .unwrap_or_default()
}

fn blob_chain(rel: &str) -> Vec<Arc<Cert>> {
    let (header, _) = jws_parts(rel);
    header_x5c(&header).iter().map(|der| Arc::new(Cert::from_der(der).unwrap())).collect()
}

fn cert_file(rel: &str) -> Arc<Cert> {
    let mut certs = certs_from_pem_or_der(&read(rel)).unwrap();
    assert_eq!(certs.len(), 1, "{rel}");
    Arc::new(certs.remove(0))
}

/// Every DER certificate inside an attestation statement: `x5c`, the SafetyNet JWS header's
/// `x5c`, and (compound) the nested statements.
fn statement_certs(stmt: &ciborium::Value, out: &mut Vec<Vec<u8>>) {
    use ciborium::Value as C;
    match stmt {
        C::Map(entries) => {
            for (k, v) in entries {
                match (k.as_text(), v) {
                    (Some("x5c"), C::Array(certs)) => {
                        out.extend(certs.iter().filter_map(|c| c.as_bytes().cloned()));
                    }
                    (Some("response"), C::Bytes(jws)) => {
                        let text = String::from_utf8_lossy(jws);
                        let header = text.split('.').next().unwrap();
                        let header: Value =
                            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap())
                                .unwrap();
                        out.extend(header_x5c(&header));
                    }
                    _ => {}
                }
            }
        }
        // compound: an array of statements ({fmt, attStmt} maps).
        C::Array(items) => {
            for item in items {
                if let C::Map(entries) = item {
                    for (k, v) in entries {
                        if k.as_text() == Some("attStmt") {
                            statement_certs(v, out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn attestation_vector_certs() -> Vec<(String, Vec<u8>)> {
    let vectors: Vec<Value> = serde_json::from_slice(&read("attestations/vectors.json")).unwrap();
    let mut out = Vec::new();
    for v in &vectors {
        let id = v["id"].as_str().unwrap().to_string();
        let bytes = URL_SAFE_NO_PAD.decode(v["attestationObject_b64url"].as_str().unwrap());
        let Ok(bytes) = bytes else { continue };
        let Ok(obj) = ciborium::from_reader::<ciborium::Value, _>(bytes.as_slice()) else {
            continue;
        };
        let Some(entries) = obj.as_map() else { continue };
        let mut ders = Vec::new();
        for (k, v) in entries {
            if k.as_text() == Some("attStmt") {
                statement_certs(v, &mut ders);
            }
        }
        out.extend(ders.into_iter().map(|d| (id.clone(), d)));
    }
    out
}

fn files_in(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{TESTDATA}/{dir}"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_real_certificate_parses() {
    let mut failures = Vec::new();
    let mut count = 0;
    // Attestation statements (x5c, SafetyNet JWS x5c, compound).
    let attestation = attestation_vector_certs();
    assert!(attestation.len() > 100, "only {} attestation certificates found", attestation.len());
    for (id, der) in &attestation {
        count += 1;
        if let Err(e) = Cert::from_der(der) {
            failures.push(format!("vector {id}: {e}"));
        }
    }
    // Root files.
    for name in files_in("attestations/roots") {
        count += 1;
        if let Err(e) = certs_from_pem_or_der(&read(&format!("attestations/roots/{name}"))) {
            failures.push(format!("{name}: {e}"));
        }
    }
    for name in files_in("blobs") {
        if [".crt", ".pem", ".der"].iter().any(|ext| name.ends_with(ext)) {
            count += 1;
            if let Err(e) = certs_from_pem_or_der(&read(&format!("blobs/{name}"))) {
                failures.push(format!("{name}: {e}"));
            }
        }
        if name.ends_with(".jwt") {
            for der in header_x5c(&jws_parts(&format!("blobs/{name}")).0) {
                count += 1;
                if let Err(e) = Cert::from_der(&der) {
                    failures.push(format!("{name} x5c: {e}"));
                }
            }
        }
    }
    // Every attestationRootCertificates entry of the 2024-12 BLOB.
    let (_, payload) = jws_parts("blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let mut roots = 0;
    let mut concatenated = Vec::new();
    for entry in payload["entries"].as_array().unwrap() {
        let statement = &entry["metadataStatement"];
        for root in statement["attestationRootCertificates"].as_array().into_iter().flatten() {
            roots += 1;
            count += 1;
            // Some entries carry whitespace inside the base64 (seen in the real BLOB).
            let text: String =
                root.as_str().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
            let der = match STANDARD.decode(&text) {
                Ok(der) => der,
                Err(e) => {
                    failures.push(format!("{}: base64: {e}", statement["description"]));
                    continue;
                }
            };
            if let Err(e) = Cert::from_der(&der) {
                // Known data error: one Feitian entry holds two DER certificates concatenated
                // in one base64 string. Cert::from_der refuses trailing bytes by contract; check
                // that it is exactly that and that both halves parse.
                let first_len = 4 + usize::from(u16::from_be_bytes([der[2], der[3]]));
                let halves = (Cert::from_der(&der[..first_len]), Cert::from_der(&der[first_len..]));
                if matches!(halves, (Ok(_), Ok(_))) {
                    concatenated.push(statement["description"].as_str().unwrap().to_string());
                } else {
                    failures.push(format!("{}: {e}", statement["description"]));
                }
            }
        }
    }
    assert_eq!(concatenated, ["Feitian BioPass FIDO2 Pro Authenticator"]);
    assert!(roots > 300, "only {roots} attestation roots in the 2024-12 BLOB");
    eprintln!("parsed {count} real certificates, {} failures", failures.len());
    assert!(failures.is_empty(), "{} of {count} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn generated_certificates_parse_with_all_fields() {
    use support::pki::{self, KeyAlg, Spec};
    let root = pki::root("Field Root");
    for alg in [KeyAlg::P256, KeyAlg::P384, KeyAlg::Rsa2048, KeyAlg::Ed25519] {
        let spec = Spec::ca("Field CA")
            .key(alg)
            .path_len(2)
            .crl_url("http://crl.example/ca.crl")
            .extension(&[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4], false, &[0x04, 0x02, 0xab, 0xcd]);
        let ca = pki::issue(spec, Some(&root));
        let cert = ca.parsed();
        assert_eq!(cert.version(), 3);
        assert_eq!(cert.subject(), "CN=Field CA, O=mdsd test");
        assert_eq!(cert.issuer(), "CN=Field Root, O=mdsd test");
        assert_eq!(cert.issuer_raw(), root.parsed().subject_raw());
        assert!(!cert.is_self_issued());
        assert!(root.parsed().is_self_issued());
        assert_eq!(cert.not_before(), pki::t(2020, 1, 1));
        assert_eq!(cert.not_after(), pki::t(2040, 1, 1));
        let bc = cert.basic_constraints().unwrap();
        assert!(bc.ca);
        assert_eq!(bc.path_len, Some(2));
        let ku = cert.key_usage().unwrap();
        assert!(ku.has(mdsd::x509::KeyUsage::KEY_CERT_SIGN));
        assert!(ku.has(mdsd::x509::KeyUsage::CRL_SIGN));
        assert!(!ku.has(mdsd::x509::KeyUsage::DIGITAL_SIGNATURE));
        assert_eq!(cert.crl_distribution_points(), ["http://crl.example/ca.crl"]);
        assert_eq!(cert.authority_key_id(), root.parsed().subject_key_id());
        assert!(cert.subject_key_id().is_some());
        let ext = cert.extension("1.3.6.1.4.1.45724.1.1.4").unwrap();
        assert!(!ext.critical);
        assert_eq!(ext.value, [0x04, 0x02, 0xab, 0xcd]);
        assert_eq!(cert.sha256(), &mdsd::crypto::sha256(&ca.der));
        let mut serial: Vec<u8> =
            ca.serial.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        if serial[0] & 0x80 != 0 {
            serial.insert(0, 0);
        }
        assert_eq!(cert.serial(), serial);
        // Signed by the root's key, not by its own.
        assert_eq!(cert.verify_signed_by(root.parsed().public_key()), Ok(()));
        assert_eq!(
            cert.verify_signed_by(cert.public_key()),
            Err(mdsd::crypto::SignatureError::Invalid)
        );
        // fido_key_identifier = SHA-1 over the subjectPublicKey bits.
        let spki = mdsd::crypto::PublicKey::from_spki_der(&ca.key.public_key_der()).unwrap();
        assert_eq!(cert.public_key(), &spki);
        assert_eq!(
            cert.fido_key_identifier(),
            hex::encode(mdsd::crypto::sha1(cert.public_key_bits()))
        );
    }
}
