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
        assert!(cert.verify_signed_by(cert.public_key()).is_err());
        // fido_key_identifier = SHA-1 over the subjectPublicKey bits.
        let spki = mdsd::crypto::PublicKey::from_spki_der(&ca.key.public_key_der()).unwrap();
        assert_eq!(cert.public_key(), &spki);
        assert_eq!(
            cert.fido_key_identifier(),
            hex::encode(mdsd::crypto::sha1(cert.public_key_bits()))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Real data: path building.

use mdsd::x509::{
    build_path, check_revocation, Crl, PathBudget, PathError, PathProfile, RevocationError,
    RevocationMode, TrustAnchor, VerifiedPath,
};
use support::pki::{self, KeyAlg, Spec};

const R3_SHA256: &str = "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b";
const FAKE_ROOT_SHA256: &str = "66d9770b5771109b8d83557ba27d589b56bdb3bfdbdea2d242c4ca0d5770a47c";

fn anchor(rel: &str) -> TrustAnchor {
    TrustAnchor { cert: cert_file(rel), label: rel.to_string() }
}

/// GlobalSign Root R46 first, R3 second (both from Debian's ca-certificates).
fn globalsign_anchors() -> Vec<TrustAnchor> {
    vec![
        anchor("blobs/debian-ca-certificates__GlobalSign_Root_R46.pem"),
        anchor("blobs/debian-ca-certificates__GlobalSign_Root_CA_R3.pem"),
    ]
}

fn fake_anchors() -> Vec<TrustAnchor> {
    vec![anchor("blobs/webauthn-framework__MDS3ROOT.crt")]
}

fn build(
    chain: &[Arc<Cert>],
    anchors: &[TrustAnchor],
    now: OffsetDateTime,
    profile: PathProfile,
) -> Result<VerifiedPath, PathError> {
    build_path(&chain[0], &chain[1..], anchors, now, profile, PathBudget::default())
}

fn crl_file(rel: &str) -> Arc<Crl> {
    Arc::new(Crl::from_pem_or_der(&read(rel)).unwrap())
}

const REAL_BLOBS: &[&str] = &[
    "blobs/s1r-J_fido-mds3__2021-08-24__blob.jwt",
    "blobs/s1r-J_fido-mds3__2022-06-02__blob.jwt",
    "blobs/s1r-J_fido-mds3__2023-07-02__blob.jwt",
    "blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt",
    "blobs/webauthn4j__blob.jwt",
    "blobs/tweag_webauthn__golden-metadata_big_blob.jwt",
    "blobs/tweag_webauthn__golden-metadata_big_blob-with-errors.jwt",
    "blobs/webauthn4j_pr1352__test-blob-with-new-auth-alg.jwt",
];

#[test]
fn real_mds_blob_chains_build_to_globalsign_r3() {
    let anchors = globalsign_anchors();
    for rel in REAL_BLOBS {
        let chain = blob_chain(rel);
        let now = chain[0].not_before() + time::Duration::days(1);
        let path = build(&chain, &anchors, now, PathProfile::Metadata)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(path.anchor_index, 1, "{rel}");
        assert_eq!(path.anchor.sha256_hex(), R3_SHA256);
        assert_eq!(path.chain.len(), 2, "{rel}: leaf + EV G3");
        assert_eq!(path.chain[0].sha256(), chain[0].sha256());
        assert!(path.chain[1]
            .subject()
            .contains("GlobalSign Extended Validation CA - SHA256 - G3"));
        // Reversed x5c order (an unordered bag) gives the same path.
        let mut reversed: Vec<Arc<Cert>> = chain[1..].iter().rev().cloned().collect();
        reversed.push(Arc::clone(&chain[0]));
        let again = build_path(
            &chain[0],
            &reversed,
            &anchors,
            now,
            PathProfile::Metadata,
            PathBudget::default(),
        )
        .unwrap();
        assert_eq!(again.chain.len(), 2);
        // With only R46 pinned there is no path.
        let r46_only = &anchors[..1];
        assert!(matches!(
            build(&chain, r46_only, now, PathProfile::Metadata),
            Err(PathError::NoIssuer { .. })
        ));
    }
}

#[test]
fn real_mds_leaf_is_expired_after_not_after() {
    let chain = blob_chain("blobs/s1r-J_fido-mds3__2021-08-24__blob.jwt");
    let now = datetime!(2022-06-01 0:00 UTC);
    match build(&chain, &globalsign_anchors(), now, PathProfile::Metadata) {
        Err(PathError::Expired { subject, not_after, .. }) => {
            assert!(subject.contains("mds.fidoalliance.org"));
            assert_eq!(not_after, chain[0].not_after());
        }
        other => panic!("{other:?}"),
    }
}

const FAKE_BLOBS: &[&str] = &[
    "blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt",
    "blobs/webauthn-framework__conformance_REVOKED-LEAF__8654399fb853.jwt",
    "blobs/webauthn-framework__conformance_BAD-SIGNATURE__36750a72e207.jwt",
    "blobs/webauthn4j__test-blob.jwt",
    "blobs/simplewebauthn__verifyJWT.test.ts.blob.jwt",
];

#[test]
fn conformance_chains_build_to_the_fake_root() {
    let now = datetime!(2019-06-01 0:00 UTC);
    for rel in FAKE_BLOBS {
        let path = build(&blob_chain(rel), &fake_anchors(), now, PathProfile::Metadata)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(path.anchor.sha256_hex(), FAKE_ROOT_SHA256);
        assert_eq!(path.chain.len(), 2);
    }
    // The three copies of the FAKE root are the same certificate.
    for rel in [
        "blobs/simplewebauthn__conformance_FAKE_Root_FAKE.pem",
        "blobs/vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der",
    ] {
        assert_eq!(cert_file(rel).sha256_hex(), FAKE_ROOT_SHA256);
    }
}

#[test]
fn conformance_wrong_intermediate_and_broken_chain_fail() {
    let now = datetime!(2019-06-01 0:00 UTC);
    for rel in [
        "blobs/webauthn-framework__conformance_WRONG-INTERMEDIATE__8341670cecc6.jwt",
        "blobs/webauthn-framework__conformance_BROKEN-CHAIN-REVOKED-X5C1__fafc34efeb5b.jwt",
    ] {
        let result = build(&blob_chain(rel), &fake_anchors(), now, PathProfile::Metadata);
        assert!(
            matches!(result, Err(PathError::NoIssuer { .. } | PathError::BadSignature { .. })),
            "{rel}: {result:?}"
        );
    }
}

#[test]
fn spec_example_blob_chains_to_its_example_root() {
    let anchors = vec![anchor("blobs/tweag_webauthn__golden-metadata_small_root.crt")];
    for rel in [
        "blobs/tweag_webauthn__golden-metadata_small_blob.jwt",
        "blobs/python-fido2__test_mds3_EXAMPLE_BLOB_DER-signature.jwt",
    ] {
        let chain = blob_chain(rel);
        let path = build(&chain, &anchors, datetime!(2023-01-25 0:00 UTC), PathProfile::Metadata)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(path.anchor_index, 0);
    }
}

// ---------------------------------------------------------------------------------------------
// Real data: CRLs.

fn crls_2024() -> Vec<Arc<Crl>> {
    vec![
        crl_file("blobs/webauthn4j__root-r3.crl"),
        crl_file("blobs/webauthn4j__gsextendvalsha2g3r3.crl"),
    ]
}

#[test]
fn real_globalsign_crls_parse() {
    let crls = crls_2024();
    assert_eq!(crls[0].issuer(), "OU=GlobalSign Root CA - R3, O=GlobalSign, CN=GlobalSign");
    assert_eq!(crls[0].this_update(), datetime!(2024-07-07 0:00 UTC));
    assert_eq!(crls[0].next_update(), Some(datetime!(2024-10-15 0:00 UTC)));
    assert_eq!(crls[0].revoked_count(), 36);
    assert_eq!(crls[1].revoked_count(), 207);
    assert!(crls[1].crl_number().is_some());
    let ca1 = crl_file("blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl");
    assert_eq!(ca1.revoked_count(), 4);
    assert!(ca1.lists(&hex::decode("04806749de307bbd5175a26d73f5f3").unwrap()));
    assert!(!ca1.lists(&hex::decode("04806749de307bbd5175a26d73f5f4").unwrap()));
}

#[test]
fn real_globalsign_crls_check_the_2024_chain() {
    let chain = blob_chain("blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let anchors = globalsign_anchors();
    let crls = crls_2024();
    // Inside both CRLs' windows (EV CRL: 2024-08-31 .. 2024-09-07).
    let now = datetime!(2024-09-03 12:00 UTC);
    let path = build(&chain, &anchors, now, PathProfile::Metadata).unwrap();
    assert_eq!(check_revocation(&path, &crls, now, RevocationMode::Require), Ok(()));
    // After the EV CRL's nextUpdate: stale.
    let later = datetime!(2024-09-10 0:00 UTC);
    let path = build(&chain, &anchors, later, PathProfile::Metadata).unwrap();
    match check_revocation(&path, &crls, later, RevocationMode::Require) {
        Err(RevocationError::Stale { issuer, next_update, now, .. }) => {
            assert!(issuer.contains("Extended Validation"));
            assert_eq!(next_update, Some(datetime!(2024-09-07 3:50:53 UTC)));
            assert_eq!(now, later);
        }
        other => panic!("{other:?}"),
    }
    // Leaving either CRL out: missing, naming the certificate it was needed for.
    match check_revocation(&path, &crls[..1], now, RevocationMode::Require) {
        Err(RevocationError::Missing { subject, distribution_points, .. }) => {
            assert!(subject.contains("mds.fidoalliance.org"));
            assert!(!distribution_points.is_empty());
        }
        other => panic!("{other:?}"),
    }
    match check_revocation(&path, &crls[1..], now, RevocationMode::Require) {
        Err(RevocationError::Missing { subject, .. }) => {
            assert!(subject.contains("Extended Validation"))
        }
        other => panic!("{other:?}"),
    }
    // danger_skip_revocation: no checks.
    assert_eq!(check_revocation(&path, &[], now, RevocationMode::DangerSkip), Ok(()));
}

#[test]
fn conformance_revoked_leaf_is_revoked() {
    let now = datetime!(2019-06-01 0:00 UTC);
    let crls = vec![
        crl_file("blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"),
        crl_file("blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSROOT.crl"),
    ];
    let revoked =
        blob_chain("blobs/webauthn-framework__conformance_REVOKED-LEAF__8654399fb853.jwt");
    let path = build(&revoked, &fake_anchors(), now, PathProfile::Metadata).unwrap();
    match check_revocation(&path, &crls, now, RevocationMode::Require) {
        Err(RevocationError::Revoked { serial, revoked_at, issuer, .. }) => {
            assert_eq!(serial, "04806749de307bbd5175a26d73f5f3");
            assert!(issuer.contains("FAKE CA-1 FAKE"));
            assert_eq!(revoked_at.date(), time::macros::date!(2018 - 03 - 25));
        }
        other => panic!("{other:?}"),
    }
    // The VALID BLOB's leaf is not listed.
    let valid = blob_chain("blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt");
    let path = build(&valid, &fake_anchors(), now, PathProfile::Metadata).unwrap();
    assert_eq!(check_revocation(&path, &crls, now, RevocationMode::Require), Ok(()));
    // After MDSROOT.crl's nextUpdate (2020-02-01) the intermediate's CRL is stale.
    let late = datetime!(2020-06-01 0:00 UTC);
    assert!(matches!(
        check_revocation(&path, &crls, late, RevocationMode::Require),
        Err(RevocationError::Stale { .. })
    ));
}

#[test]
fn crl_from_pem_and_garbage() {
    let der = read("blobs/webauthn4j__root-r3.crl");
    let pem = pem::encode(&pem::Pem::new("X509 CRL", der.clone()));
    let text = format!("some header text\n{pem}\ntrailer\n");
    assert_eq!(Crl::from_pem_or_der(text.as_bytes()).unwrap().der(), der.as_slice());
    assert!(matches!(
        Crl::from_pem_or_der(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        Err(mdsd::x509::CrlError::Malformed(_))
    ));
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(Crl::from_pem_or_der(&trailing).is_err());
    assert!(Crl::from_pem_or_der(&der[..der.len() - 1]).is_err());
}

#[test]
fn certs_from_pem_with_text_header_and_der() {
    // MDS3ROOT.crt has a text header before the PEM block.
    let text = read("blobs/webauthn-framework__MDS3ROOT.crt");
    assert!(!text.starts_with(b"-----BEGIN"));
    assert_eq!(certs_from_pem_or_der(&text).unwrap()[0].sha256_hex(), FAKE_ROOT_SHA256);
    let der = read("blobs/webauthn4j__root-r3.crt");
    assert_eq!(certs_from_pem_or_der(&der).unwrap()[0].sha256_hex(), R3_SHA256);
    // Two blocks → two certificates; a PEM without CERTIFICATE blocks → NoCertificate.
    let two = [read("blobs/debian-ca-certificates__GlobalSign_Root_R46.pem"), text].concat();
    assert_eq!(certs_from_pem_or_der(&two).unwrap().len(), 2);
    let key_only = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(certs_from_pem_or_der(key_only).unwrap_err(), mdsd::x509::CertError::NoCertificate);
    assert!(matches!(
        certs_from_pem_or_der(b"not a cert"),
        Err(mdsd::x509::CertError::Malformed(_))
    ));
}
