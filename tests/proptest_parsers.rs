//! Property tests: arbitrary bytes, and real inputs from ../shared/testdata with bytes
//! overwritten, inserted or removed, never make a parser panic (attestationObject end to end,
//! authenticatorData, COSE keys, BLOB header and payload, certificates, CRLs), and what a
//! parser accepts is consistent with what it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, OnceLock};

use base64::Engine as _;

use mdsd::attestation::{AuthenticatorData, CoseKey, RegistrationInput, Verifier};
use mdsd::mds::{parse_header, parse_payload, PayloadLimits};
use mdsd::x509::{certs_from_pem_or_der, check_revocation, Cert, Crl, RevocationMode};
use mdsd_test_support::vectors::vectors_json;
use mdsd_test_support::{b64, SHARED};
use proptest::prelude::*;
use proptest::sample::Index;
use time::OffsetDateTime;

/// Real inputs by kind: attestation objects, authData, COSE keys, x5c certificates, CRLs.
struct Seeds {
    objects: Vec<(Vec<u8>, Vec<u8>)>,
    auth_data: Vec<Vec<u8>>,
    cose: Vec<Vec<u8>>,
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
}

fn seeds() -> &'static Seeds {
    static S: OnceLock<Seeds> = OnceLock::new();
    S.get_or_init(|| {
        let list = vectors_json();
        let mut s = Seeds {
            objects: Vec::new(),
            auth_data: Vec::new(),
            cose: Vec::new(),
            certs: Vec::new(),
            crls: Vec::new(),
        };
        for v in list {
            let object = b64(v["attestationObject_b64url"].as_str().unwrap());
            let client_data = b64(v["clientDataJSON_b64url"].as_str().unwrap());
            if let Ok(ciborium::Value::Map(map)) =
                ciborium::from_reader::<ciborium::Value, _>(object.as_slice())
            {
                for (k, v) in &map {
                    match (k.as_text(), v) {
                        (Some("authData"), ciborium::Value::Bytes(a)) => {
                            if let Ok(parsed) = AuthenticatorData::parse(a) {
                                if let Some(c) = parsed.attested_credential {
                                    s.cose.push(c.public_key.raw);
                                }
                            }
                            s.auth_data.push(a.clone());
                        }
                        (Some("attStmt"), ciborium::Value::Map(stmt)) => {
                            for (k, v) in stmt {
                                if k.as_text() == Some("x5c") {
                                    for c in v.as_array().into_iter().flatten() {
                                        s.certs.extend(c.as_bytes().cloned());
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            s.objects.push((object, client_data));
        }
        for entry in std::fs::read_dir(format!("{SHARED}/blobs")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "crl") {
                s.crls.push(std::fs::read(&path).unwrap());
            }
        }
        assert!(s.objects.len() >= 100 && s.cose.len() >= 100 && s.certs.len() >= 100);
        assert!(s.crls.len() >= 4);
        s
    })
}

/// One edit of a real input: overwrite, insert or remove one byte, or truncate.
#[derive(Debug, Clone)]
enum Edit {
    Overwrite(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Overwrite(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for e in edits {
        if out.is_empty() {
            break;
        }
        match e {
            Edit::Overwrite(i, b) => {
                let at = i.index(out.len());
                out[at] = *b;
            }
            Edit::Insert(i, b) => out.insert(i.index(out.len() + 1), *b),
            Edit::Remove(i) => {
                out.remove(i.index(out.len()));
            }
            Edit::Truncate(i) => out.truncate(i.index(out.len())),
        }
    }
    out
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| Verifier::with_cache_capacity(Default::default(), 0))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_717_200_000).unwrap() // 2024-06-01
}

fn check_attestation(object: &[u8], client_data: &[u8]) {
    let input = RegistrationInput {
        attestation_object: object,
        client_data_json: client_data,
        expectations: None,
    };
    let r = verifier().verify_registration(&input, None, now());
    // Without metadata nothing is trusted unless the statement is valid.
    assert!(!r.trusted || r.statement_valid);
    assert!(r.statement_valid || !r.reasons.is_empty());
    let _ = r.to_json();
}

fn check_auth_data(bytes: &[u8]) {
    if let Ok(a) = AuthenticatorData::parse(bytes) {
        assert_eq!(a.flags.attested_credential_data(), a.attested_credential.is_some());
        assert_eq!(a.flags.extension_data(), a.extensions.is_some());
        assert_eq!(&bytes[..32], &a.rp_id_hash);
    }
}

fn check_cose(bytes: &[u8]) {
    if let Ok((key, used)) = CoseKey::parse_prefix(bytes) {
        assert_eq!(key.raw.as_slice(), &bytes[..used]);
        assert!(key.verify(b"message", &bytes[used..]).is_err());
    }
}

fn check_cert(bytes: &[u8]) {
    let full = Cert::from_der(bytes);
    if let Ok(c) = &full {
        assert_eq!(c.der(), bytes);
        let _ = (c.fido_key_identifier(), c.signature_scheme(), c.subject(), c.issuer());
    }
    // The load-time checks of attestation roots: the frame check is a necessary condition of
    // the full parse (refuses only what it refuses), check_der decides exactly as it does.
    if Cert::check_frame(bytes).is_err() {
        assert!(full.is_err(), "frame refused what the full parse accepts: {}", hex::encode(bytes));
    }
    assert_eq!(Cert::check_der(bytes).is_ok(), full.is_ok(), "{}", hex::encode(bytes));
    let _ = certs_from_pem_or_der(bytes);
}

fn check_crl(bytes: &[u8]) {
    if let Ok(crl) = Crl::from_pem_or_der(bytes) {
        let _ = (crl.is_current(now()), crl.revoked_count(), crl.lists(&[1, 2, 3]));
        let path = fake_path();
        let _ = check_revocation(path, &[Arc::new(crl)], now(), RevocationMode::Require);
    }
}

/// A real path (the FAKE conformance BLOB's leaf ← FAKE CA-1 ← FAKE Root), for CRL checks.
fn fake_path() -> &'static mdsd::x509::VerifiedPath {
    use mdsd::x509::{build_path, PathBudget, PathProfile, TrustAnchor};
    static P: OnceLock<mdsd::x509::VerifiedPath> = OnceLock::new();
    P.get_or_init(|| {
        let blob = std::fs::read(format!(
            "{SHARED}/blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt"
        ))
        .unwrap();
        let x5c = parse_header(&blob).unwrap().x5c.unwrap();
        let certs: Vec<_> = x5c.iter().map(|d| Arc::new(Cert::from_der(d).unwrap())).collect();
        let root =
            std::fs::read(format!("{SHARED}/blobs/vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der"))
                .unwrap();
        let anchor =
            TrustAnchor { cert: Arc::new(Cert::from_der(&root).unwrap()), label: "FAKE".into() };
        let at = OffsetDateTime::from_unix_timestamp(1_546_300_800).unwrap(); // 2019-01-01
        build_path(
            &certs[0],
            &certs[1..],
            &[anchor],
            at,
            PathProfile::Metadata,
            PathBudget::default(),
        )
        .unwrap()
    })
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn seeds_are_accepted_before_mutation() {
    // Non-vacuity: the unmutated inputs parse, so the mutated ones reach deep into the parsers.
    let s = seeds();
    assert!(s.auth_data.iter().filter(|a| AuthenticatorData::parse(a).is_ok()).count() >= 100);
    assert!(s.cose.iter().all(|c| CoseKey::parse_prefix(c).is_ok()));
    assert!(s.certs.iter().filter(|c| Cert::from_der(c).is_ok()).count() >= 100);
    assert!(s.crls.iter().all(|c| Crl::from_pem_or_der(c).is_ok()));
}

/// The community passkey-provider list (../shared/testdata/passkey-providers).
fn provider_list() -> Vec<u8> {
    static L: OnceLock<Vec<u8>> = OnceLock::new();
    L.get_or_init(|| {
        std::fs::read(format!("{SHARED}/passkey-providers/aaguid-names.json")).unwrap()
    })
    .clone()
}

/// An operator metadata statement (issue #15) with a real root: the seed of the edits.
fn metadata_statement() -> Vec<u8> {
    let root = mdsd::mds::builtin_roots()[0].cert.der().to_vec();
    serde_json::to_vec(&serde_json::json!({
        "aaguid": "5e0a1c1d-2f3b-4c6d-8e9f-a0b1c2d3e4f5",
        "description": "private",
        "protocolFamily": "fido2",
        "attestationTypes": ["basic_full"],
        "attestationRootCertificates": [base64::engine::general_purpose::STANDARD.encode(root)],
        "userVerificationDetails": [[{"userVerificationMethod": "passcode_external"}]],
        "authenticatorGetInfo": {"options": {"rk": true}},
    }))
    .unwrap()
}

#[test]
fn the_metadata_statement_seed_is_accepted() {
    mdsd::mds::parse_metadata_statement(&metadata_statement(), "p.json").unwrap();
}

/// A statement is accepted (an operator entry with a key, a root, no status report) or
/// refused with its file named; never a panic.
fn check_statement(bytes: &[u8]) {
    match mdsd::mds::parse_metadata_statement(bytes, "p.json") {
        Ok(s) => {
            let e = &s.entry;
            assert_eq!(e.origin().to_string(), "operator:p.json");
            assert!(e.aaguid().is_some() || e.aaid().is_some() || !e.key_identifiers().is_empty());
            assert!(!e.attestation_roots().is_empty() && e.status_reports().is_empty());
        }
        Err(e) => assert!(e.to_string().contains("p.json"), "{e}"),
    }
}

/// Parses or refuses; what it keeps is within the bounds it promises.
fn check_provider_list(bytes: &[u8]) {
    use mdsd::passkey_providers::{ProviderList, MAX_NAME_BYTES};
    if let Ok(list) = ProviderList::parse(bytes) {
        assert!(list.name(&uuid::Uuid::nil()).is_none());
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        for key in value.as_object().unwrap().keys() {
            if let Ok(aaguid) = uuid::Uuid::try_parse(key.trim()) {
                if let Some(name) = list.name(&aaguid) {
                    assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES);
                    assert!(!name.chars().any(char::is_control));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_attestation(&bytes, b"{}");
        check_auth_data(&bytes);
        check_cose(&bytes);
        check_cert(&bytes);
        check_crl(&bytes);
        let _ = parse_header(&bytes);
        let _ = parse_payload(&bytes, &PayloadLimits::default());
        check_provider_list(&bytes);
        check_statement(&bytes);
    }

    #[test]
    fn edited_metadata_statements_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        check_statement(&apply(&metadata_statement(), &edits));
    }

    #[test]
    fn edited_passkey_provider_lists_never_panic(edits in proptest::collection::vec(edit(), 1..4)) {
        check_provider_list(&apply(&provider_list(), &edits));
    }

    #[test]
    fn edited_attestation_objects_never_panic(i in any::<Index>(), edits in proptest::collection::vec(edit(), 1..4)) {
        let (object, client_data) = i.get(&seeds().objects[..]);
        check_attestation(&apply(object, &edits), client_data);
    }

    #[test]
    fn edited_auth_data_and_cose_keys_never_panic(i in any::<Index>(), j in any::<Index>(), edits in proptest::collection::vec(edit(), 1..4)) {
        check_auth_data(&apply(i.get::<Vec<u8>>(&seeds().auth_data), &edits));
        check_cose(&apply(j.get::<Vec<u8>>(&seeds().cose), &edits));
    }

    #[test]
    fn edited_certificates_and_crls_never_panic(i in any::<Index>(), j in any::<Index>(), edits in proptest::collection::vec(edit(), 1..4)) {
        check_cert(&apply(i.get::<Vec<u8>>(&seeds().certs), &edits));
        check_crl(&apply(j.get::<Vec<u8>>(&seeds().crls), &edits));
    }
}

/// Real CRLs with the key that signed them: the FIDO conformance MDSCA-1 CRL (ECDSA, FAKE CA-1)
/// and GlobalSign's root-r3.crl (RSA, GlobalSign Root CA - R3).
fn signed_crls() -> &'static [(Vec<u8>, Cert)] {
    static C: OnceLock<Vec<(Vec<u8>, Cert)>> = OnceLock::new();
    C.get_or_init(|| {
        let read = |f: &str| std::fs::read(format!("{SHARED}/blobs/{f}")).unwrap();
        let ca1 = fake_path().chain[1].der().to_vec();
        vec![
            (
                read("vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"),
                Cert::from_der(&ca1).unwrap(),
            ),
            (
                read("webauthn4j__root-r3.crl"),
                Cert::from_der(&read("webauthn4j__root-r3.crt")).unwrap(),
            ),
        ]
    })
}

#[test]
fn real_crls_verify_unmutated() {
    for (crl, issuer) in signed_crls() {
        Crl::from_pem_or_der(crl).unwrap().verify_signed_by(issuer.public_key()).unwrap();
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn changed_crl_byte_never_verifies(i in any::<Index>(), at in any::<Index>(), xor in 1u8..=255) {
        let (crl, issuer) = i.get(signed_crls());
        let mut der = crl.clone();
        let offset = at.index(der.len());
        der[offset] ^= xor;
        if let Ok(parsed) = Crl::from_pem_or_der(&der) {
            prop_assert!(
                parsed.verify_signed_by(issuer.public_key()).is_err(),
                "CRL byte {} ^ {:#04x} still verifies", offset, xor
            );
        }
    }
}
