//! Tests of the trust decision: entry selection, chains to the entry's roots and to operator
//! anchors, status reports, the chain cache and the deferred (inline) path.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::attestation::VerifierOptions;
use crate::mds::{parse_payload, PayloadLimits};
use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use time::macros::datetime;

const A: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const B: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// A generated certificate with its key (to issue more).
struct Made {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Made {
    fn parsed(&self) -> Arc<Cert> {
        Arc::new(Cert::from_der(self.cert.der()).unwrap())
    }
}

fn params(cn: &str, ca: bool, from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = if ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::ExplicitNoCa };
    p.not_before = from;
    p.not_after = to;
    p
}

fn root(cn: &str) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn, true, datetime!(2020-01-01 0:00 UTC), datetime!(2040-01-01 0:00 UTC))
        .self_signed(&key)
        .unwrap();
    Made { cert, key }
}

fn issue(cn: &str, ca: bool, issuer: &Made, from: OffsetDateTime, to: OffsetDateTime) -> Made {
    let key = KeyPair::generate().unwrap();
    let cert = params(cn, ca, from, to).signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    Made { cert, key }
}

/// A store (BLOB `no`) with one FIDO2 entry for AAGUID `A` listing `roots`.
fn store(no: u64, roots: &[&Made]) -> TrustStore {
    let b64 = |m: &&Made| base64::engine::general_purpose::STANDARD.encode(m.cert.der());
    let json = serde_json::json!({"no": no, "nextUpdate": "2030-01-01", "entries": [{
        "aaguid": A,
        "metadataStatement": {
            "aaguid": A, "description": "model A", "authenticatorVersion": 1,
            "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
            "attestationRootCertificates": roots.iter().map(b64).collect::<Vec<_>>(),
        },
        "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
        "timeOfLastStatusChange": "2020-01-01",
    }]});
    parse_payload(json.to_string().as_bytes(), &PayloadLimits::default()).unwrap().store
}

fn codes(o: &TrustOutcome) -> Vec<ReasonCode> {
    o.reasons.iter().map(|r| r.code).collect()
}

const NOW: OffsetDateTime = datetime!(2025-06-01 0:00 UTC);

#[test]
fn untrusted_outcomes_are_cached_and_a_new_anchor_set_is_a_miss() {
    let (r1, r2) = (root("root 1"), root("root 2"));
    let leaf =
        issue("leaf", false, &r2, datetime!(2024-01-01 0:00 UTC), datetime!(2030-01-01 0:00 UTC));
    let chain = vec![leaf.parsed()];
    let a: Uuid = A.parse().unwrap();
    let v = Verifier::default();
    let only_r1 = store(1, &[&r1]);

    // Nothing cached yet: the bounded variant defers instead of building.
    assert!(v.validate_chain_cached(&EntryKey::Aaguid(a), &chain, &only_r1, NOW).is_none());
    assert_eq!(v.cache_stats().misses, 0, "a deferred attempt leaves the miss to the build");
    let first = v.validate_chain(&EntryKey::Aaguid(a), &chain, &only_r1, NOW);
    assert_eq!(v.cache_stats().misses, 1, "one call, one miss");
    assert!(!first.trusted);
    assert_eq!(codes(&first), [ReasonCode::UntrustedChain], "{:?}", first.reasons);
    // The untrusted outcome is cached: answered without building, and still untrusted.
    let hits = v.cache_stats().hits;
    let again = v.validate_chain_cached(&EntryKey::Aaguid(a), &chain, &only_r1, NOW).unwrap();
    assert_eq!(v.cache_stats().hits, hits + 1);
    assert!(!again.trusted && again.path.is_none());
    assert_eq!(again.reasons, first.reasons);

    // A new BLOB whose entry lists root 2: another anchor set, so a miss, then trusted.
    let with_r2 = store(2, &[&r1, &r2]);
    assert!(v.validate_chain_cached(&EntryKey::Aaguid(a), &chain, &with_r2, NOW).is_none());
    let trusted = v.validate_chain(&EntryKey::Aaguid(a), &chain, &with_r2, NOW);
    assert!(trusted.trusted, "{:?}", trusted.reasons);
    assert!(v.validate_chain_cached(&EntryKey::Aaguid(a), &chain, &with_r2, NOW).unwrap().trusted);
    // Back to a BLOB listing root 1 only (another `no`, the same anchors): the cached
    // failure applies, it did not turn into the other set's success.
    let back = v.validate_chain_cached(&EntryKey::Aaguid(a), &chain, &store(3, &[&r1]), NOW);
    assert!(!back.unwrap().trusted);
}

#[test]
fn a_cached_outcome_is_used_only_in_the_same_validity_states() {
    let r1 = root("root 1");
    let ca = issue("ca", true, &r1, datetime!(2024-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
    let leaf =
        issue("leaf", false, &ca, datetime!(2024-01-01 0:00 UTC), datetime!(2030-01-01 0:00 UTC));
    let chain = vec![leaf.parsed(), ca.parsed()];
    let a: Uuid = A.parse().unwrap();
    let key = &EntryKey::Aaguid(a);
    let s = store(1, &[&r1]);
    let v = Verifier::default();
    assert!(v.validate_chain(key, &chain, &s, NOW).trusted);
    assert!(
        v.validate_chain_cached(key, &chain, &s, datetime!(2025-12-31 0:00 UTC)).unwrap().trusted
    );
    // The CA expired: the cached success is not used...
    let late = datetime!(2026-06-01 0:00 UTC);
    assert!(v.validate_chain_cached(key, &chain, &s, late).is_none());
    let expired = v.validate_chain(key, &chain, &s, late);
    assert_eq!(codes(&expired), [ReasonCode::CertificateExpired]);
    assert!(expired.reasons[0].message.contains("2026-06-01"), "{:?}", expired.reasons);
    // ...and the cached failure names the time of the call that reads it.
    let later = datetime!(2026-07-01 0:00 UTC);
    let cached = v.validate_chain_cached(key, &chain, &s, later).unwrap();
    assert_eq!(codes(&cached), [ReasonCode::CertificateExpired]);
    assert!(cached.reasons[0].message.contains("2026-07-01"), "{:?}", cached.reasons);
    assert!(!cached.reasons[0].message.contains("2026-06-01"));
    // Back inside every window: the failure is not used either; built again, trusted.
    assert!(v.validate_chain_cached(key, &chain, &s, NOW).is_none());
    assert!(v.validate_chain(key, &chain, &s, NOW).trusted);
}

#[test]
fn a_listed_entry_needs_its_own_roots_and_operator_anchors_count_only_without_one() {
    let (r1, platform) = (root("root 1"), root("platform root"));
    let leaf = issue(
        "leaf",
        false,
        &platform,
        datetime!(2024-01-01 0:00 UTC),
        datetime!(2030-01-01 0:00 UTC),
    );
    let chain = vec![leaf.parsed()];
    let anchor = TrustAnchor { cert: platform.parsed(), label: "operator: platform".into() };
    let v = Verifier::new(VerifierOptions { extra_anchors: vec![anchor], ..Default::default() });
    let s = store(1, &[&r1]);
    // AAGUID A is listed with root 1: the operator's platform root does not vouch for it.
    let a: Uuid = A.parse().unwrap();
    let listed = v.validate_chain(&EntryKey::Aaguid(a), &chain, &s, NOW);
    assert!(!listed.trusted);
    assert_eq!(codes(&listed), [ReasonCode::UntrustedChain]);
    assert!(listed.entry.is_some());
    // AAGUID B has no entry: the operator anchor decides, with no entry and no status.
    let b: Uuid = B.parse().unwrap();
    let unlisted = v.validate_chain(&EntryKey::Aaguid(b), &chain, &s, NOW);
    assert!(unlisted.trusted, "{:?}", unlisted.reasons);
    assert!(unlisted.entry.is_none() && unlisted.verdict.is_none());
    assert_eq!(unlisted.anchor_label.as_deref(), Some("operator: platform"));
    // Without operator anchors: METADATA_NOT_FOUND, naming the key and the BLOB.
    let bare = Verifier::default().validate_chain(&EntryKey::Aaguid(b), &chain, &s, NOW);
    assert_eq!(codes(&bare), [ReasonCode::MetadataNotFound]);
    assert!(bare.reasons[0].message.contains(&format!("BLOB no 1 for AAGUID {b}")));
}

#[test]
fn untrusted_chains_cannot_evict_trusted_ones() {
    let (r1, other) = (root("root 1"), root("other"));
    let good =
        issue("good", false, &r1, datetime!(2024-01-01 0:00 UTC), datetime!(2030-01-01 0:00 UTC));
    let a: Uuid = A.parse().unwrap();
    let key = &EntryKey::Aaguid(a);
    let s = store(1, &[&r1]);
    let v = Verifier::with_cache_capacity(VerifierOptions::default(), 1);
    assert!(v.validate_chain(key, &[good.parsed()], &s, NOW).trusted);
    for i in 0..3 {
        let bad = issue(
            &format!("bad {i}"),
            false,
            &other,
            datetime!(2024-01-01 0:00 UTC),
            datetime!(2030-01-01 0:00 UTC),
        );
        assert!(!v.validate_chain(key, &[bad.parsed()], &s, NOW).trusted);
    }
    assert_eq!(v.cache_stats().entries, 2, "one trusted, one untrusted (capacity 1 each)");
    assert!(v.validate_chain_cached(key, &[good.parsed()], &s, NOW).unwrap().trusted);
    // Capacity 0: nothing is cached, trusted or not.
    let off = Verifier::with_cache_capacity(VerifierOptions::default(), 0);
    assert!(off.validate_chain(key, &[good.parsed()], &s, NOW).trusted);
    assert!(off.validate_chain_cached(key, &[good.parsed()], &s, NOW).is_none());
    assert_eq!(off.cache_stats().entries, 0);
}

/// A packed attestationObject with the credential key `cose` and `att_stmt`.
fn packed_object(cose: ciborium::Value, att_stmt: ciborium::Value) -> Vec<u8> {
    use ciborium::Value;
    let mut cose_bytes = Vec::new();
    ciborium::into_writer(&cose, &mut cose_bytes).unwrap();
    let mut auth = vec![0u8; 32];
    auth.push(0x41); // UP | AT
    auth.extend_from_slice(&[0, 0, 0, 1]);
    auth.extend_from_slice(&[7u8; 16]);
    auth.extend_from_slice(&[0, 4, 1, 2, 3, 4]);
    auth.extend_from_slice(&cose_bytes);
    let object = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text("packed".into())),
        (Value::Text("attStmt".into()), att_stmt),
        (Value::Text("authData".into()), Value::Bytes(auth)),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&object, &mut out).unwrap();
    out
}

fn ec2(crv: i64, alg: i64, point: &[u8]) -> ciborium::Value {
    use ciborium::Value;
    let half = (point.len() - 1) / 2;
    let int = |i: i64| Value::Integer(i.into());
    Value::Map(vec![
        (int(1), int(2)),
        (int(3), int(alg)),
        (int(-1), int(crv)),
        (int(-2), Value::Bytes(point[1..1 + half].to_vec())),
        (int(-3), Value::Bytes(point[1 + half..].to_vec())),
    ])
}

fn self_stmt(alg: i64) -> ciborium::Value {
    use ciborium::Value;
    Value::Map(vec![
        (Value::Text("alg".into()), Value::Integer(alg.into())),
        (Value::Text("sig".into()), Value::Bytes(vec![0x30, 0x06, 2, 1, 1, 2, 1, 1])),
    ])
}

#[test]
fn costly_statement_keys_are_not_verified_by_the_bounded_variant() {
    let v = Verifier::default();
    let run = |object: &[u8]| {
        let input = super::super::RegistrationInput {
            attestation_object: object,
            client_data_json: b"{}",
            expectations: None,
        };
        (v.verify_registration_cached(&input, None, NOW), v.verify_registration(&input, None, NOW))
    };
    // Self attestation with a P-256 key (bad signature): answered by the bounded variant,
    // the same answer as the full one.
    let p256 = KeyPair::generate().unwrap().public_key_raw().to_vec();
    let (cached, full) = run(&packed_object(ec2(1, -7, &p256), self_stmt(-7)));
    let cached = cached.expect("P-256 is verified inline");
    assert_eq!(cached.reasons, full.reasons);
    assert_eq!(cached.reasons[0].code, ReasonCode::BadSignature);
    // The same with a P-521 key: left to the full variant.
    use p521::ecdsa::{SigningKey, VerifyingKey};
    let p521_key = SigningKey::from_slice(&[0x01; 66]).unwrap();
    let point = VerifyingKey::from(&p521_key).to_encoded_point(false).as_bytes().to_vec();
    let (cached, full) = run(&packed_object(ec2(3, -36, &point), self_stmt(-36)));
    assert!(cached.is_none(), "P-521 verified inline");
    assert_eq!(full.reasons[0].code, ReasonCode::BadSignature, "{:?}", full.reasons);
}

#[test]
fn costly_keys_are_large_rsa_large_exponents_p384_and_p521() {
    let rsa = |bits: usize, e: &[u8]| {
        let mut n = vec![0u8; bits.div_ceil(8)];
        n[0] = 1 << ((bits - 1) % 8);
        PublicKey::Rsa { n: [vec![0, 0], n].concat(), e: e.to_vec() }
    };
    assert!(!costly_key(&rsa(2048, &[1, 0, 1])));
    assert!(!costly_key(&rsa(4096, &[0, 1, 0, 1])));
    assert!(costly_key(&rsa(4097, &[1, 0, 1])));
    assert!(costly_key(&rsa(8192, &[3])));
    assert!(costly_key(&rsa(2048, &[1, 0, 3])));
    assert!(costly_key(&rsa(2048, &[1, 0, 0, 0, 1])));
    assert!(costly_key(&PublicKey::Ec { curve: Curve::P521, point: vec![4; 133] }));
    assert!(costly_key(&PublicKey::Ec { curve: Curve::P384, point: vec![4; 97] }));
    assert!(!costly_key(&PublicKey::Ec { curve: Curve::P256, point: vec![4; 65] }));
    assert!(!costly_key(&PublicKey::Ed25519(vec![0; 32])));
    // x5c[0]'s key decides when there is one (a P-256 leaf), else the credential key.
    let r = root("root");
    let leaf = issue("leaf", false, &r, NOW, NOW);
    let x5c = ciborium::Value::Map(vec![(
        ciborium::Value::Text("x5c".into()),
        ciborium::Value::Array(vec![ciborium::Value::Bytes(leaf.cert.der().to_vec())]),
    )]);
    let big = rsa(8192, &[1, 0, 1]);
    assert!(!costly_statement_key(&x5c, &big));
    assert!(costly_statement_key(&ciborium::Value::Map(vec![]), &big));
}

/// The slow path without a second decode: a deferred verification owns what it decoded (the
/// input bytes may go) and finishes with the full variant's result.
#[test]
fn a_deferred_verification_finishes_as_the_full_one() {
    use super::super::{RegistrationInput, VerificationStep};
    use p521::ecdsa::{SigningKey, VerifyingKey};
    let v = Verifier::default();
    let p521_key = SigningKey::from_slice(&[0x01; 66]).unwrap();
    let point = VerifyingKey::from(&p521_key).to_encoded_point(false).as_bytes().to_vec();
    let object = packed_object(ec2(3, -36, &point), self_stmt(-36));
    let input = RegistrationInput {
        attestation_object: &object,
        client_data_json: b"{}",
        expectations: None,
    };
    let full = v.verify_registration(&input, None, NOW);
    let VerificationStep::Deferred(deferred) = v.begin_registration(&input, None, NOW) else {
        panic!("P-521 verified inline")
    };
    drop(object);
    let finished = v.finish_registration(deferred);
    assert_eq!(finished.reasons, full.reasons);
    assert_eq!(finished.reasons[0].code, ReasonCode::BadSignature);
    assert_eq!((finished.fmt, finished.aaguid), (full.fmt, full.aaguid));
    assert_eq!(finished.credential_public_key, full.credential_public_key);
    // P-256: done at once, the same answer.
    let p256 = KeyPair::generate().unwrap().public_key_raw().to_vec();
    let object = packed_object(ec2(1, -7, &p256), self_stmt(-7));
    let input = RegistrationInput {
        attestation_object: &object,
        client_data_json: b"{}",
        expectations: None,
    };
    let VerificationStep::Done(done) = v.begin_registration(&input, None, NOW) else {
        panic!("P-256 deferred")
    };
    assert_eq!(done.reasons, v.verify_registration(&input, None, NOW).reasons);
}
