//! Regression tests for findings of the fuzz targets (fuzz/) and the property tests
//! (tests/proptest_*.rs): each input is kept here as a literal, named after the finding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdsd::x509::Cert;
use mdsd_test_support::SHARED;

/// The Yubico U2F EE leaf of vector `simplewebauthn-fido-u2f-attestationfidou2f` with byte 431 —
/// the tag of the OID in the outer signatureAlgorithm — changed from 0x06 (OBJECT IDENTIFIER) to
/// 0x07. Found by tests/proptest_trust.rs (`changed_leaf_byte_is_never_valid_and_trusted`):
/// x509-parser reads the OID regardless of the tag, the outer signatureAlgorithm is not signed,
/// so the altered certificate still verified and the attestation stayed trusted.
const U2F_LEAF_OUTER_ALG_TAG_0X07: &[&str] = &[
    "308202bd308201a5a00302010202042ae76263300d06092a864886f70d01010b0500302e312c302a06035504",
    "03132359756269636f2055324620526f6f742043412053657269616c203435373230303633313020170d3134",
    "303830313030303030305a180f32303530303930343030303030305a306e310b300906035504061302534531",
    "123010060355040a0c0959756269636f20414231223020060355040b0c1941757468656e74696361746f7220",
    "4174746573746174696f6e3127302506035504030c1e59756269636f205532462045452053657269616c2037",
    "31393830373037353059301306072a8648ce3d020106082a8648ce3d030107034200042a03865e6043d99e11",
    "ff10aa25545784bf09af8e6b1e3b321729216f55121a8cd910d399ddc768bdfe4a7bc7e3dabc62e6d2469ff5",
    "675b8ffa890cca74869e3fa36c306a302206092b0601040182c40a020415312e332e362e312e342e312e3431",
    "3438322e312e313013060b2b0601040182e51c0201010404030204303021060b2b0601040182e51c01010404",
    "1204106d44ba9bf6ec2e49b9300c8fe920cb73300c0603551d130101ff04023000300d07092a864886f70d01",
    "010b050003820101007257d03cdcc3e115698490d6f80ef95b53072373d9e64732632b11dcdc778aec6bd592",
    "6d07e17b9c5430788de32f4e47b45876ff8c5522029be9387879572331e7277016828a711b39c74fd6c1258b",
    "d1e4d9e566d570790347da5235c03f0ffe40b1428e05c6e91799e47554716901eeb88bb057893588ad88aad3",
    "0d714f2f2fac36d54dbad7109c5b027ab0cab8cf354ef1008a09086ca08696af0cfcdbc18398fcdf02316c26",
    "22c95ee622bdd1c00a4789e4a1ccb749a354ba5f27604230beffae06e6bf02fbc015bcd151df35d70a98a8e4",
    "2dca4488fcf071042188dfea1d5f74b7ea788b2af9c514a9bab94fe7389cda195190b2b1307dbf9118e1a929",
    "f8",
];

fn hex_joined(parts: &[&str]) -> Vec<u8> {
    hex::decode(parts.concat()).unwrap()
}

fn yubico_root() -> Cert {
    let der = std::fs::read(format!(
        "{SHARED}/attestations/roots/mds3-2024-12-02__Yubico_U2F_Root_CA_Serial_457200631.der"
    ))
    .unwrap();
    Cert::from_der(&der).unwrap()
}

#[test]
fn outer_signature_algorithm_with_wrong_tag_does_not_verify() {
    let root = yubico_root();
    let mutated = hex_joined(U2F_LEAF_OUTER_ALG_TAG_0X07);
    assert_eq!(mutated[431], 0x07);
    let cert = Cert::from_der(&mutated).unwrap();
    // RFC 5280 §4.1.1.2: signatureAlgorithm must equal tbsCertificate.signature.
    assert_eq!(cert.signature_scheme(), None);
    assert!(cert.verify_signed_by(root.public_key()).is_err());

    // The original (tag 0x06) verifies: only the tag makes the difference.
    let mut original = mutated.clone();
    original[431] = 0x06;
    let cert = Cert::from_der(&original).unwrap();
    assert!(cert.signature_scheme().is_some());
    cert.verify_signed_by(root.public_key()).unwrap();
}

/// The FIDO conformance MDSCA-1 CRL with its outer signatureAlgorithm OID tag (byte 412) changed
/// from 0x06 to 0x07: the same leniency as for certificates must not make it verify.
#[test]
fn crl_outer_signature_algorithm_with_wrong_tag_does_not_verify() {
    use mdsd::x509::Crl;
    let mut der =
        std::fs::read(format!("{SHARED}/blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"))
            .unwrap();
    let blob = std::fs::read(format!(
        "{SHARED}/blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt"
    ))
    .unwrap();
    let x5c = mdsd::mds::parse_header(&blob).unwrap().x5c.unwrap();
    let ca = Cert::from_der(&x5c[1]).unwrap();
    Crl::from_pem_or_der(&der).unwrap().verify_signed_by(ca.public_key()).unwrap();
    assert_eq!(der[412], 0x06);
    der[412] = 0x07;
    if let Ok(crl) = Crl::from_pem_or_der(&der) {
        assert!(crl.verify_signed_by(ca.public_key()).is_err());
    }
}

/// Found by `proptest_parsers::changed_crl_byte_never_verifies` with a random seed in CI: the
/// outer SEQUENCE tag of a CRL (byte 0, 0x30) XOR 0xe0 = 0xd0 still parsed and verified, because
/// x509-parser does not check the unsigned wrapper's tag. Certificates had the same leniency.
#[test]
fn outer_sequence_with_wrong_tag_does_not_verify() {
    use mdsd::x509::Crl;
    let blob = std::fs::read(format!(
        "{SHARED}/blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt"
    ))
    .unwrap();
    let x5c = mdsd::mds::parse_header(&blob).unwrap().x5c.unwrap();
    let ca = Cert::from_der(&x5c[1]).unwrap();
    let mut der =
        std::fs::read(format!("{SHARED}/blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"))
            .unwrap();
    assert_eq!(der[0], 0x30);
    der[0] ^= 0xe0;
    if let Ok(crl) = Crl::from_pem_or_der(&der) {
        assert!(crl.verify_signed_by(ca.public_key()).is_err());
    }
    // The same for a certificate: the leaf of the conformance chain, re-tagged, does not verify.
    let mut leaf = x5c[0].clone();
    assert_eq!(leaf[0], 0x30);
    leaf[0] ^= 0xe0;
    if let Ok(cert) = Cert::from_der(&leaf) {
        assert!(cert.verify_signed_by(ca.public_key()).is_err());
    }
}
