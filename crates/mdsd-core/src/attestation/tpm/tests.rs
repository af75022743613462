//! Tests for the `tpm` format: every tpm vector, mutations of real statements, and generated
//! statements with AIK certificates that break one §8.3.1 rule each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ciborium::Value;

use super::structs::{alg, object_name, CertInfo, NameAlg, PubArea, TpmError, TpmKey};
use super::testkit::{assert_rejected, auth_data, der, params, sha256, test_ca, Case, EcKey};
use super::{tcg_vendor_name, verify, OID_TCG_KP_AIK_CERTIFICATE};
use crate::attestation::{AttestationType, ReasonCode};

/// Vectors whose expected validity mdsd does not share, with the reason (also in the report for
/// testdata/attestation-exceptions.json).
const DEVIATIONS: &[(&str, &str)] = &[
    // TPM 2.0 Part 2 §11.2.3.5: TPMT_RSA_SCHEME RSASSA is followed by its hashAlg; these
    // synthetic pubAreas (java-webauthn-server TestAuthenticator) omit it.
    ("java-webauthn-server-tpm-Tpm-ValidRs256", "hashAlg 0x0800"),
    ("java-webauthn-server-tpm-Tpm-ValidRs384", "hashAlg 0x0800"),
    ("java-webauthn-server-tpm-Tpm-ValidRs512", "hashAlg 0x0800"),
    ("java-webauthn-server-tpm-Tpm-ValidRs1", "hashAlg 0x0800"),
];

#[test]
fn every_tpm_vector_gets_its_expected_validity() {
    let ids = Case::vector_ids("tpm");
    assert_eq!(ids.len(), 26);
    for (id, expected) in ids {
        let result = Case::vector(&id).run(verify);
        if let Some((_, needle)) = DEVIATIONS.iter().find(|(d, _)| *d == id) {
            assert_rejected(&result, ReasonCode::MalformedStatement, needle);
            continue;
        }
        match (&result, expected) {
            (Ok(outcome), true) => {
                assert_eq!(outcome.attestation_type, AttestationType::AttCa, "{id}");
                assert!(!outcome.trust_path.is_empty(), "{id}");
            }
            (Err(r), false) => assert_eq!(r.code, ReasonCode::AaguidMismatch, "{id}: {r}"),
            _ => panic!("{id}: expected valid={expected}, got {result:?}"),
        }
    }
}

// ---- pubArea / certInfo parsing ----

const RSA_VECTOR: &str = "py_webauthn-tpm-verify-attestation-surface-pro-4";
const ECC_VECTOR: &str = "py_webauthn-tpm-verify-tpm-with-ecc-public-area-type";
const ES256_VECTOR: &str = "w3c-tpm-es256";

#[test]
fn real_pub_areas_parse_to_the_expected_keys() {
    let rsa = PubArea::parse(&Case::vector(RSA_VECTOR).bytes("pubArea")).unwrap();
    assert_eq!(rsa.name_alg, NameAlg::Sha256);
    match &rsa.key {
        // Windows Hello: exponent 0 stands for 65537.
        TpmKey::Rsa { key_bits: 2048, exponent: 0, modulus } => assert_eq!(modulus.len(), 256),
        other => panic!("{other:?}"),
    }
    let crate::crypto::PublicKey::Rsa { e, .. } = rsa.public_key().unwrap() else { panic!() };
    assert_eq!(e, vec![0x01, 0x00, 0x01]);
    let ecc = PubArea::parse(&Case::vector(ECC_VECTOR).bytes("pubArea")).unwrap();
    assert!(matches!(ecc.key, TpmKey::Ecc { curve_id: 0x0003, .. }));
}

#[test]
fn truncated_structures_are_rejected_at_every_length() {
    for id in [RSA_VECTOR, ECC_VECTOR] {
        let case = Case::vector(id);
        let pub_area = case.bytes("pubArea");
        let cert_info = case.bytes("certInfo");
        for n in 0..pub_area.len() {
            assert!(
                matches!(PubArea::parse(&pub_area[..n]), Err(TpmError::Truncated { .. })),
                "pubArea[..{n}]"
            );
        }
        for n in 0..cert_info.len() {
            let err = CertInfo::parse(&cert_info[..n]).unwrap_err();
            assert!(matches!(err, TpmError::Truncated { .. }), "certInfo[..{n}]: {err}");
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let case = Case::vector(ECC_VECTOR);
    let mut pub_area = case.bytes("pubArea");
    pub_area.push(0);
    assert_eq!(
        PubArea::parse(&pub_area),
        Err(TpmError::TrailingBytes { structure: "pubArea", count: 1 })
    );
    let mut cert_info = case.bytes("certInfo");
    cert_info.push(0);
    assert_eq!(
        CertInfo::parse(&cert_info),
        Err(TpmError::TrailingBytes { structure: "certInfo", count: 1 })
    );
    let mut c = case.clone();
    c.set("pubArea", Value::Bytes(pub_area));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "trailing");
}

#[test]
fn oversized_structures_are_rejected() {
    let big = vec![0u8; super::structs::MAX_STRUCTURE_LEN + 1];
    assert!(matches!(PubArea::parse(&big), Err(TpmError::TooLong { .. })));
    assert!(matches!(CertInfo::parse(&big), Err(TpmError::TooLong { .. })));
}

/// A pubArea for an ECC key, encoded here (TPM 2.0 Part 2 §12.2.4).
fn ecc_pub_area(name_alg: u16, curve: u16, scheme: &[u8], x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&alg::ECC.to_be_bytes());
    out.extend_from_slice(&name_alg.to_be_bytes());
    out.extend_from_slice(&0x0004_0072u32.to_be_bytes());
    out.extend_from_slice(&[0, 0]); // authPolicy
    out.extend_from_slice(&alg::NULL.to_be_bytes()); // symmetric
    out.extend_from_slice(scheme);
    out.extend_from_slice(&curve.to_be_bytes());
    out.extend_from_slice(&alg::NULL.to_be_bytes()); // kdf
    for coord in [x, y] {
        out.extend_from_slice(&(coord.len() as u16).to_be_bytes());
        out.extend_from_slice(coord);
    }
    out
}

#[test]
fn pub_area_selectors_and_parameters_are_checked() {
    let (x, y) = ([1u8; 32], [2u8; 32]);
    let null = alg::NULL.to_be_bytes();
    // A scheme with its details parses: ECDSA + SHA-256.
    let ecdsa = [0x00, 0x18, 0x00, 0x0B];
    assert!(PubArea::parse(&ecc_pub_area(alg::SHA256, 3, &ecdsa, &x, &y)).is_ok());
    // ECDSA with a hashAlg that is not a hash.
    let bad_hash = [0x00, 0x18, 0x08, 0x00];
    let err = PubArea::parse(&ecc_pub_area(alg::SHA256, 3, &bad_hash, &x, &y)).unwrap_err();
    assert!(err.to_string().contains("not a hash"), "{err}");
    // Unknown scheme selector: layout unknown.
    let err = PubArea::parse(&ecc_pub_area(alg::SHA256, 3, &[0x00, 0x99], &x, &y)).unwrap_err();
    assert!(matches!(err, TpmError::Unsupported { field: "scheme", value: 0x99, .. }), "{err}");
    // nameAlg must be SHA-1/256/384/512 (SM3 0x0012 is not supported).
    let err = PubArea::parse(&ecc_pub_area(0x0012, 3, &null, &x, &y)).unwrap_err();
    assert!(matches!(err, TpmError::Unsupported { field: "nameAlg", .. }), "{err}");
    // Curves mdsd cannot use (NIST P-192 = 0x0001, BN P-256 = 0x0010).
    for curve in [0x0001, 0x0010] {
        let area = PubArea::parse(&ecc_pub_area(alg::SHA256, curve, &null, &x, &y)).unwrap();
        assert!(matches!(area.public_key(), Err(TpmError::Unsupported { field: "curveID", .. })));
    }
    // Coordinates longer than the curve.
    let area = PubArea::parse(&ecc_pub_area(alg::SHA256, 3, &null, &[1u8; 33], &y)).unwrap();
    assert!(matches!(area.public_key(), Err(TpmError::Invalid { .. })));
    // Empty coordinates.
    let area = PubArea::parse(&ecc_pub_area(alg::SHA256, 3, &null, &[], &y)).unwrap();
    assert!(matches!(area.public_key(), Err(TpmError::Invalid { .. })));
    // Key types other than RSA and ECC (KEYEDHASH 0x0008).
    let mut keyed = ecc_pub_area(alg::SHA256, 3, &null, &x, &y);
    keyed[..2].copy_from_slice(&[0x00, 0x08]);
    assert!(matches!(PubArea::parse(&keyed), Err(TpmError::Unsupported { field: "type", .. })));
    // A symmetric algorithm this parser does not know.
    let mut sym = ecc_pub_area(alg::SHA256, 3, &null, &x, &y);
    sym[10..12].copy_from_slice(&[0x00, 0x99]);
    let err = PubArea::parse(&sym).unwrap_err();
    assert!(matches!(err, TpmError::Unsupported { field: "symmetric.algorithm", .. }), "{err}");
}

#[test]
fn rsa_key_bits_must_match_the_modulus() {
    let case = Case::vector(RSA_VECTOR);
    let mut pub_area = case.bytes("pubArea");
    // type(2) nameAlg(2) attributes(4) authPolicy(2+32) symmetric(2) scheme(2) keyBits(2).
    let key_bits_at = 2 + 2 + 4 + 2 + 32 + 2 + 2;
    assert_eq!(&pub_area[key_bits_at..key_bits_at + 2], &[0x08, 0x00]);
    pub_area[key_bits_at] = 0x04;
    let area = PubArea::parse(&pub_area).unwrap();
    let err = area.public_key().unwrap_err();
    assert!(err.to_string().contains("keyBits is 1024"), "{err}");
}

// ---- verification with mutated real statements ----

#[test]
fn flipped_signature_byte_is_rejected() {
    for id in [RSA_VECTOR, ES256_VECTOR] {
        let mut case = Case::vector(id);
        case.flip_bit("sig", |len| len / 2);
        assert_rejected(&case.run(verify), ReasonCode::BadSignature, "AIK");
    }
}

#[test]
fn wrong_client_data_hash_breaks_extra_data() {
    let mut case = Case::vector(RSA_VECTOR);
    case.client_data_hash = sha256(b"another clientDataJSON");
    assert_rejected(&case.run(verify), ReasonCode::NonceMismatch, "extraData");
}

#[test]
fn pub_area_key_must_be_the_credential_key() {
    for id in [RSA_VECTOR, ECC_VECTOR] {
        let mut case = Case::vector(id);
        case.flip_bit("pubArea", |len| len - 1);
        assert_rejected(&case.run(verify), ReasonCode::CredentialKeyMismatch, "pubArea key");
    }
}

#[test]
fn cert_info_magic_and_type_are_checked() {
    let case = Case::vector(RSA_VECTOR);
    let cert_info = case.bytes("certInfo");
    let mut magic = cert_info.clone();
    magic[0] = 0x00;
    let mut c = case.clone();
    c.set("certInfo", Value::Bytes(magic));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "TPM_GENERATED_VALUE");
    // TPM_ST_ATTEST_QUOTE (0x8018) instead of TPM_ST_ATTEST_CERTIFY.
    let mut st = cert_info.clone();
    st[5] = 0x18;
    let mut c = case.clone();
    c.set("certInfo", Value::Bytes(st));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "TPM_ST_ATTEST_CERTIFY");
}

#[test]
fn attested_name_must_be_the_name_of_pub_area() {
    let mut case = Case::vector(RSA_VECTOR);
    let mut cert_info = case.bytes("certInfo");
    let parsed = CertInfo::parse(&cert_info).unwrap();
    // The name is followed by qualifiedName (u16 size + bytes): flip the name's last byte.
    let at = cert_info.len() - 2 - parsed.attested_qualified_name.len() - 1;
    cert_info[at] ^= 0x01;
    assert_ne!(CertInfo::parse(&cert_info).unwrap().attested_name, parsed.attested_name);
    case.set("certInfo", Value::Bytes(cert_info));
    assert_rejected(&case.run(verify), ReasonCode::CredentialKeyMismatch, "certifies");
}

#[test]
fn statement_fields_are_required_and_typed() {
    let case = Case::vector(ES256_VECTOR);
    let mut c = case.clone();
    c.set("ver", Value::Text("1.0".into()));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "ver");
    let mut c = case.clone();
    c.set("ecdaaKeyId", Value::Bytes(vec![1; 32]));
    assert_rejected(&c.run(verify), ReasonCode::UnsupportedAlgorithm, "ECDAA");
    for field in ["ver", "alg", "sig", "certInfo", "pubArea", "x5c"] {
        let mut c = case.clone();
        c.remove(field);
        assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, field);
    }
    let mut c = case.clone();
    c.set("certInfo", Value::Text("x".into()));
    assert_rejected(&c.run(verify), ReasonCode::MalformedStatement, "certInfo");
    let mut c = case.clone();
    c.set("alg", Value::Integer((-999).into()));
    assert_rejected(&c.run(verify), ReasonCode::UnsupportedAlgorithm, "-999");
}

// ---- generated statements: AIK certificate requirements (WebAuthn L3 §8.3.1) ----

const AAGUID: [u8; 16] = [0x5a; 16];

fn tcg_san(attrs: &[(&str, &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(oid, value)| der::set(&[der::seq(&[der::oid(oid), der::utf8(value)])]))
        .collect();
    der::seq(&[der::tlv(0xa4, &der::seq(&rdns))])
}

fn standard_san() -> Vec<u8> {
    tcg_san(&[
        ("2.23.133.2.1", "id:FFFFF1D0"),
        ("2.23.133.2.2", "mdsd-test-tpm"),
        ("2.23.133.2.3", "id:13"),
    ])
}

/// The AIK certificate a real TPM would carry, for `customize` to break.
fn aik_params() -> rcgen::CertificateParams {
    let mut p = params(&[]);
    p.is_ca = rcgen::IsCa::ExplicitNoCa;
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::Other(vec![2, 23, 133, 8, 3])];
    let mut san = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], standard_san());
    san.set_criticality(true);
    p.custom_extensions.push(san);
    p
}

/// A complete, valid tpm statement (ECC credential, ECC AIK, ES256), built from scratch.
fn synthetic(customize: impl FnOnce(&mut rcgen::CertificateParams)) -> Case {
    let credential = EcKey::new();
    let aik = EcKey::new();
    let (ca, ca_key) = test_ca();
    let mut p = aik_params();
    customize(&mut p);
    let aik_cert = p.signed_by(&aik.rcgen, &ca, &ca_key).unwrap();
    let auth_data = auth_data(AAGUID, &credential.cose());
    let client_data_hash = sha256(b"{\"type\":\"webauthn.create\"}");
    let pub_area =
        ecc_pub_area(alg::SHA256, 3, &alg::NULL.to_be_bytes(), &credential.x(), &credential.y());
    let extra = sha256(&[auth_data.as_slice(), &client_data_hash].concat());
    let cert_info = encode_cert_info(&extra, &object_name(NameAlg::Sha256, &pub_area));
    let sig = aik.sign(&cert_info);
    let att_stmt = Value::Map(vec![
        (Value::Text("ver".into()), Value::Text("2.0".into())),
        (Value::Text("alg".into()), Value::Integer((-7).into())),
        (
            Value::Text("x5c".into()),
            Value::Array(vec![
                Value::Bytes(aik_cert.der().to_vec()),
                Value::Bytes(ca.der().to_vec()),
            ]),
        ),
        (Value::Text("sig".into()), Value::Bytes(sig)),
        (Value::Text("certInfo".into()), Value::Bytes(cert_info)),
        (Value::Text("pubArea".into()), Value::Bytes(pub_area)),
    ]);
    Case {
        att_stmt,
        auth_data,
        client_data_hash,
        now: time::macros::datetime!(2025-06-01 0:00 UTC),
        options: Default::default(),
    }
}

/// TPMS_ATTEST for TPM2_Certify (TPM 2.0 Part 2 §10.12.12).
fn encode_cert_info(extra_data: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xff54_4347u32.to_be_bytes());
    out.extend_from_slice(&0x8017u16.to_be_bytes());
    out.extend_from_slice(&[0, 0]); // qualifiedSigner
    out.extend_from_slice(&(extra_data.len() as u16).to_be_bytes());
    out.extend_from_slice(extra_data);
    out.extend_from_slice(&[0; 17]); // clockInfo
    out.extend_from_slice(&[0; 8]); // firmwareVersion
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&[0, 0]); // qualifiedName
    out
}

fn remove_san(p: &mut rcgen::CertificateParams) {
    p.custom_extensions.retain(|e| e.oid_components().collect::<Vec<_>>() != [2, 5, 29, 17]);
}

#[test]
fn generated_statement_verifies() {
    let outcome = synthetic(|_| {}).run(verify).unwrap();
    assert_eq!(outcome.attestation_type, AttestationType::AttCa);
    assert_eq!(outcome.trust_path.len(), 2);
}

#[test]
fn aik_subject_must_be_empty() {
    let case = synthetic(|p| {
        p.distinguished_name.push(rcgen::DnType::CommonName, "not empty");
    });
    assert_rejected(
        &case.run(verify),
        ReasonCode::CertificateRequirements,
        "subject must be empty",
    );
}

#[test]
fn aik_must_have_the_aik_certificate_eku() {
    let case = synthetic(|p| {
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    });
    assert_rejected(
        &case.run(verify),
        ReasonCode::CertificateRequirements,
        OID_TCG_KP_AIK_CERTIFICATE,
    );
    let case = synthetic(|p| p.extended_key_usages.clear());
    assert_rejected(
        &case.run(verify),
        ReasonCode::CertificateRequirements,
        OID_TCG_KP_AIK_CERTIFICATE,
    );
}

#[test]
fn aik_must_not_be_a_ca() {
    let case = synthetic(|p| p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained));
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "CA=true");
    // No basicConstraints at all means CA=false (RFC 5280 §4.2.1.9 default).
    assert!(synthetic(|p| p.is_ca = rcgen::IsCa::NoCa).run(verify).is_ok());
}

#[test]
fn aik_san_must_name_the_tpm() {
    let case = synthetic(remove_san);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "no subjectAltName");
    let with_san = |san: Vec<u8>, critical: bool| {
        synthetic(move |p| {
            remove_san(p);
            let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 17], san);
            ext.set_criticality(critical);
            p.custom_extensions.push(ext);
        })
    };
    let missing_model = tcg_san(&[("2.23.133.2.1", "id:FFFFF1D0"), ("2.23.133.2.3", "id:13")]);
    assert_rejected(
        &with_san(missing_model, true).run(verify),
        ReasonCode::CertificateRequirements,
        "tcg-at-tpmModel",
    );
    let twice = tcg_san(&[
        ("2.23.133.2.1", "id:FFFFF1D0"),
        ("2.23.133.2.1", "id:494E5443"),
        ("2.23.133.2.2", "m"),
        ("2.23.133.2.3", "v"),
    ]);
    assert_rejected(
        &with_san(twice, true).run(verify),
        ReasonCode::CertificateRequirements,
        "more than once",
    );
    let bad_id =
        tcg_san(&[("2.23.133.2.1", "Intel"), ("2.23.133.2.2", "m"), ("2.23.133.2.3", "v")]);
    assert_rejected(
        &with_san(bad_id, true).run(verify),
        ReasonCode::CertificateRequirements,
        "8 hex digits",
    );
    // All attributes in one multi-valued RDN (seen in the wild) and a non-critical SAN are fine.
    let one_rdn = der::seq(&[der::tlv(
        0xa4,
        &der::seq(&[der::set(&[
            der::seq(&[der::oid("2.23.133.2.1"), der::utf8("id:4E544300")]),
            der::seq(&[der::oid("2.23.133.2.2"), der::utf8("NPCT75x")]),
            der::seq(&[der::oid("2.23.133.2.3"), der::utf8("id:72")]),
        ])]),
    )]);
    assert!(with_san(one_rdn, false).run(verify).is_ok());
    // A manufacturer id missing from the TCG registry is accepted (documented decision).
    let unknown =
        tcg_san(&[("2.23.133.2.1", "id:00000000"), ("2.23.133.2.2", "m"), ("2.23.133.2.3", "v")]);
    assert!(with_san(unknown, true).run(verify).is_ok());
}

#[test]
fn aik_aaguid_extension_must_match_and_be_non_critical() {
    let ext = |aaguid: [u8; 16], critical: bool| {
        move |p: &mut rcgen::CertificateParams| {
            let mut e = rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4],
                der::octets(&aaguid),
            );
            e.set_criticality(critical);
            p.custom_extensions.push(e);
        }
    };
    assert!(synthetic(ext(AAGUID, false)).run(verify).is_ok());
    assert_rejected(
        &synthetic(ext([0x11; 16], false)).run(verify),
        ReasonCode::AaguidMismatch,
        "AAGUID",
    );
    assert_rejected(
        &synthetic(ext(AAGUID, true)).run(verify),
        ReasonCode::CertificateRequirements,
        "critical",
    );
}

#[test]
fn alg_must_fit_the_aik_key() {
    // RS256 uses SHA-256 like ES256, so extraData still matches; the AIK is an EC key.
    let mut case = synthetic(|_| {});
    case.set("alg", Value::Integer((-257).into()));
    assert_rejected(&case.run(verify), ReasonCode::AlgorithmMismatch, "AIK");
}

#[test]
fn vendor_registry_names_known_manufacturers() {
    assert_eq!(tcg_vendor_name("id:4E544300"), Some("Nuvoton Technology"));
    assert_eq!(tcg_vendor_name("id:53544d20"), Some("STMicroelectronics"));
    assert_eq!(tcg_vendor_name("id:00000000"), None);
    assert_eq!(tcg_vendor_name("4E544300"), None);
}

#[test]
fn aik_must_be_version_3() {
    // rcgen only issues v3 certificates: rewrite the version INTEGER of a generated AIK
    // (tbsCertificate starts `a0 03 02 01 02`) to v2. Its signature no longer verifies, which
    // is the chain builder's concern, not the statement's.
    let mut case = synthetic(|_| {});
    let mut x5c = case.x5c();
    let at = x5c[0].windows(5).position(|w| w == [0xa0, 0x03, 0x02, 0x01, 0x02]).unwrap();
    x5c[0][at + 4] = 0x01;
    case.set_x5c(&x5c);
    assert_rejected(&case.run(verify), ReasonCode::CertificateRequirements, "version 2");
}

#[test]
fn unknown_kdf_scheme_is_rejected() {
    let mut area = ecc_pub_area(alg::SHA256, 3, &alg::NULL.to_be_bytes(), &[1; 32], &[2; 32]);
    // type(2) nameAlg(2) attributes(4) authPolicy(2) symmetric(2) scheme(2) curveID(2) kdf.
    area[16..18].copy_from_slice(&[0x00, 0x99]);
    let err = PubArea::parse(&area).unwrap_err();
    assert!(matches!(err, TpmError::Unsupported { field: "kdf", .. }), "{err}");
}

#[test]
fn every_single_byte_change_is_rejected_without_panicking() {
    let case = Case::vector(ECC_VECTOR);
    for field in ["pubArea", "certInfo"] {
        let original = case.bytes(field);
        for i in 0..original.len() {
            let mut mutated = original.clone();
            mutated[i] ^= 0x80;
            let mut c = case.clone();
            c.set(field, Value::Bytes(mutated));
            assert!(c.run(verify).is_err(), "{field}[{i}] ^= 0x80 still verifies");
        }
    }
}
