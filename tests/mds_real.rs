//! BLOB verification against the real data in ../shared/testdata/blobs: production MDS3 BLOBs
//! (with the real GlobalSign CRLs where they exist), the FIDO conformance BLOBs, and the spec
//! example BLOB in its JOSE and (wrong) DER signature forms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use mdsd::mds::{builtin_roots, verify_blob, BlobError, BlobVerifyOptions, JwsAlg, VerifiedBlob};
use mdsd::x509::{certs_from_pem_or_der, Crl, RevocationError, RevocationMode, TrustAnchor};
use mdsd_test_support::shared;
use time::macros::datetime;
use time::OffsetDateTime;

const R3_SHA256: &str = "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b";
const FAKE_ROOT_SHA256: &str = "66d9770b5771109b8d83557ba27d589b56bdb3bfdbdea2d242c4ca0d5770a47c";

fn data(name: &str) -> Vec<u8> {
    shared::read(&format!("blobs/{name}"))
}

fn anchor(file: &str) -> TrustAnchor {
    let cert = certs_from_pem_or_der(&data(file)).unwrap().remove(0);
    TrustAnchor { cert: Arc::new(cert), label: file.to_string() }
}

fn crl(file: &str) -> Arc<Crl> {
    Arc::new(Crl::from_pem_or_der(&data(file)).unwrap())
}

fn skip_revocation(anchors: Vec<TrustAnchor>) -> BlobVerifyOptions {
    let mut opts = BlobVerifyOptions::new(anchors);
    opts.revocation = RevocationMode::DangerSkip;
    opts
}

const GS_CRLS: [&str; 2] = ["webauthn4j__root-r3.crl", "webauthn4j__gsextendvalsha2g3r3.crl"];
const BLOB_2024_12: &str = "s1r-J_fido-mds3__2024-12-02__blob.jwt";

fn with_gs_crls(crls: &[&str]) -> BlobVerifyOptions {
    let mut opts = BlobVerifyOptions::new(builtin_roots());
    opts.crls = crls.iter().map(|f| crl(f)).collect();
    opts
}

/// (file, no, entries, a time inside the signing chain's validity).
const PRODUCTION: [(&str, u64, usize, OffsetDateTime); 7] = [
    ("s1r-J_fido-mds3__2021-08-24__blob.jwt", 6, 79, datetime!(2021-08-25 0:00 UTC)),
    ("webauthn4j__blob.jwt", 9, 98, datetime!(2021-11-15 0:00 UTC)),
    ("s1r-J_fido-mds3__2022-06-02__blob.jwt", 16, 104, datetime!(2022-06-03 0:00 UTC)),
    ("tweag_webauthn__golden-metadata_big_blob.jwt", 23, 148, datetime!(2023-01-10 0:00 UTC)),
    (
        "tweag_webauthn__golden-metadata_big_blob-with-errors.jwt",
        25,
        160,
        datetime!(2023-03-10 0:00 UTC),
    ),
    ("s1r-J_fido-mds3__2023-07-02__blob.jwt", 29, 164, datetime!(2023-07-03 0:00 UTC)),
    (BLOB_2024_12, 121, 280, datetime!(2024-12-03 0:00 UTC)),
];

#[test]
fn production_blobs_verify_against_the_builtin_r3_pin() {
    let opts = skip_revocation(builtin_roots());
    for (file, no, entries, at) in PRODUCTION {
        let v = verify_blob(&data(file), &opts, at).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v.no, no, "{file}");
        assert_eq!(v.alg, JwsAlg::Rs256, "{file}");
        assert_eq!(v.anchor.cert.sha256_hex(), R3_SHA256, "{file}");
        assert_eq!(v.anchor.label, "GlobalSign Root CA - R3");
        assert_eq!(v.chain.len(), 2, "{file}");
        assert!(v.chain[0].subject().contains("mds.fidoalliance.org"), "{file}");
        assert!(!v.revocation_checked);
        // Every real entry is understood: nothing quarantined, every entry indexed.
        assert!(v.quarantined.is_empty(), "{file}: {:#?}", v.quarantined);
        assert_eq!(v.store.entries().len(), entries, "{file}");
        assert!(v.legal_header.as_deref().unwrap().starts_with("Retrieval and use of this BLOB"));
    }
}

#[test]
fn production_blobs_refuse_a_time_outside_the_leaf_validity() {
    // The 2021 leaf expired on 2022-05-14.
    let opts = skip_revocation(builtin_roots());
    let err =
        verify_blob(&data(PRODUCTION[0].0), &opts, datetime!(2022-06-01 0:00 UTC)).unwrap_err();
    assert_eq!(err.step(), "chain", "{err}");
}

#[test]
fn blob_2024_12_verifies_with_the_real_globalsign_crls() {
    let v =
        verify_blob(&data(BLOB_2024_12), &with_gs_crls(&GS_CRLS), datetime!(2024-09-03 12:00 UTC))
            .unwrap();
    assert_eq!(v.no, 121);
    assert!(v.revocation_checked);
    assert_eq!(v.next_update.to_string(), "2025-01-01");
    check_2024_12_store(&v);
}

fn check_2024_12_store(v: &VerifiedBlob) {
    let store = &v.store;
    assert_eq!(store.entries().len(), 280);
    // YubiKey 5 (USB-A, firmware 5.1), AAGUID cb69481e-8ff7-4039-93ec-0a2729a154a8.
    let yk = store.by_aaguid(&"cb69481e-8ff7-4039-93ec-0a2729a154a8".parse().unwrap()).unwrap();
    assert!(yk.description().unwrap().contains("YubiKey"), "{:?}", yk.description());
    assert!(!yk.attestation_roots().is_empty());
    // Entry 252 has an attestation root starting with a tab, entry 60 (Feitian BioPass FIDO2
    // Pro) two roots concatenated in one string: both load, with a warning each.
    assert!(v.quarantined.is_empty());
    let warned: Vec<usize> = v.warnings.iter().map(|w| w.index).collect();
    assert_eq!(warned, [60, 252], "{:#?}", v.warnings);
    let feitian =
        store.by_aaguid(&"4c0cf95d-2f40-43b5-ba42-4c83a11c04ba".parse().unwrap()).unwrap();
    assert_eq!(feitian.attestation_roots().len(), 4);
    // No lookup key is claimed by two entries; entry 103 (RSA DS100) lists its one key
    // identifier twice, and it is kept once.
    assert!(store.duplicates().is_empty(), "{:?}", store.duplicates());
    let ds100 = store.by_key_identifier("2806df6c60b1656a78f97a28e168e5ec8d2937b4").unwrap();
    assert_eq!(ds100.key_identifiers(), ["2806df6c60b1656a78f97a28e168e5ec8d2937b4"]);
    // Real data has a member mdsd does not know: counted, not fatal.
    assert_eq!(v.unknown.fields.get("statusReport.certificationProfiles"), Some(&7));
    assert!(v.unknown.statuses.is_empty());
    // 188 FIDO2 + 17 UAF entries are reachable by their identifiers.
    let by_aaguid = store.entries().iter().filter(|e| e.aaguid().is_some()).count();
    assert_eq!(by_aaguid, 188);
    assert_eq!(store.entries().iter().filter(|e| e.aaid().is_some()).count(), 17);
}

#[test]
fn blob_2024_12_fails_when_a_crl_is_missing() {
    let at = datetime!(2024-09-03 12:00 UTC);
    for present in GS_CRLS {
        let err = verify_blob(&data(BLOB_2024_12), &with_gs_crls(&[present]), at).unwrap_err();
        assert_eq!(err.step(), "revocation", "only {present}: {err}");
        assert!(matches!(err, BlobError::Revocation(RevocationError::Missing { .. })), "{err:?}");
    }
    let err = verify_blob(&data(BLOB_2024_12), &with_gs_crls(&[]), at).unwrap_err();
    assert_eq!(err.step(), "revocation");
}

#[test]
fn blob_2024_12_fails_when_a_crl_is_stale() {
    // The EV CA's CRL is valid 2024-08-31 .. 2024-09-07.
    for at in [datetime!(2024-09-10 0:00 UTC), datetime!(2024-08-30 0:00 UTC)] {
        let err = verify_blob(&data(BLOB_2024_12), &with_gs_crls(&GS_CRLS), at).unwrap_err();
        assert!(
            matches!(err, BlobError::Revocation(RevocationError::Stale { .. })),
            "{at}: {err:?}"
        );
    }
}

#[test]
fn blob_2024_12_is_refused_by_an_unrelated_root() {
    let opts = skip_revocation(vec![anchor("vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der")]);
    let err = verify_blob(&data(BLOB_2024_12), &opts, datetime!(2024-09-03 0:00 UTC)).unwrap_err();
    assert_eq!(err.step(), "chain", "{err}");
}

#[test]
fn blob_2024_12_rollback() {
    let mut opts = skip_revocation(builtin_roots());
    opts.last_accepted_no = Some(121);
    let err = verify_blob(&data(BLOB_2024_12), &opts, datetime!(2024-12-03 0:00 UTC)).unwrap_err();
    assert_eq!(err, BlobError::RollbackRefused { stored: 121, offered: 121 });
    opts.last_accepted_no = Some(120);
    verify_blob(&data(BLOB_2024_12), &opts, datetime!(2024-12-03 0:00 UTC)).unwrap();
}

/// The conformance root and both conformance CRLs, at a time inside both CRLs' windows.
fn conformance() -> (BlobVerifyOptions, OffsetDateTime) {
    let mut opts =
        BlobVerifyOptions::new(vec![anchor("vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der")]);
    opts.crls = vec![
        crl("vertx-web_FIDO2TCK__conformance_MDS3_MDSROOT.crl"),
        crl("vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"),
    ];
    (opts, datetime!(2019-06-01 0:00 UTC))
}

fn conformance_result(file: &str) -> Result<VerifiedBlob, BlobError> {
    let (opts, at) = conformance();
    verify_blob(&data(file), &opts, at)
}

#[test]
fn conformance_valid() {
    let v = conformance_result("webauthn-framework__conformance_VALID__26448d4dacea.jwt").unwrap();
    assert_eq!(v.no, 42);
    assert_eq!(v.alg, JwsAlg::Es256);
    assert_eq!(v.anchor.cert.sha256_hex(), FAKE_ROOT_SHA256);
    assert_eq!(v.store.entries().len(), 200);
    assert!(v.quarantined.is_empty(), "{:#?}", v.quarantined);
    assert!(v.revocation_checked);
    // The 100 UAF entries' root has an impossible notBefore (UTCTime 170229…: 29 February
    // 2017): left out with a warning, the entries still load.
    assert_eq!(v.warnings.len(), 100);
    assert!(v.warnings.iter().all(|w| w.index >= 100 && w.note.to_string().contains("left out")));
}

#[test]
fn conformance_bad_signature() {
    let err = conformance_result("webauthn-framework__conformance_BAD-SIGNATURE__36750a72e207.jwt")
        .unwrap_err();
    assert_eq!(err.step(), "signature", "{err}");
}

#[test]
fn conformance_broken_chain_revoked_x5c1() {
    let err = conformance_result(
        "webauthn-framework__conformance_BROKEN-CHAIN-REVOKED-X5C1__fafc34efeb5b.jwt",
    )
    .unwrap_err();
    assert_eq!(err.step(), "chain", "{err}");
}

#[test]
fn conformance_wrong_intermediate() {
    let err =
        conformance_result("webauthn-framework__conformance_WRONG-INTERMEDIATE__8341670cecc6.jwt")
            .unwrap_err();
    assert_eq!(err.step(), "chain", "{err}");
}

#[test]
fn conformance_revoked_leaf() {
    let err = conformance_result("webauthn-framework__conformance_REVOKED-LEAF__8654399fb853.jwt")
        .unwrap_err();
    match &err {
        BlobError::Revocation(RevocationError::Revoked { serial, .. }) => {
            assert!(serial.contains("04806749de307bbd5175a26d73f5f3"), "{serial}")
        }
        other => panic!("expected a revoked leaf, got {other:?}"),
    }
    // Without revocation checking the same BLOB verifies: the CRL is what refuses it.
    let (mut opts, at) = conformance();
    opts.revocation = RevocationMode::DangerSkip;
    verify_blob(&data("webauthn-framework__conformance_REVOKED-LEAF__8654399fb853.jwt"), &opts, at)
        .unwrap();
}

#[test]
fn conformance_copies_from_other_projects_verify_with_every_copy_of_the_root() {
    for root in [
        "vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der",
        "simplewebauthn__conformance_FAKE_Root_FAKE.pem",
        "webauthn-framework__MDS3ROOT.crt",
    ] {
        for blob in ["simplewebauthn__verifyJWT.test.ts.blob.jwt", "webauthn4j__test-blob.jwt"] {
            let (mut opts, at) = conformance();
            opts.anchors = vec![anchor(root)];
            let v = verify_blob(&data(blob), &opts, at).unwrap_or_else(|e| panic!("{blob}: {e}"));
            assert_eq!(v.no, 42);
            assert_eq!(v.anchor.cert.sha256_hex(), FAKE_ROOT_SHA256);
        }
    }
}

#[test]
fn conformance_fails_once_the_crls_expire() {
    // MDSROOT.crl's nextUpdate is 2020-02-01.
    let (opts, _) = conformance();
    let err = verify_blob(
        &data("webauthn-framework__conformance_VALID__26448d4dacea.jwt"),
        &opts,
        datetime!(2021-01-01 0:00 UTC),
    )
    .unwrap_err();
    assert_eq!(err.step(), "revocation", "{err}");
}

#[test]
fn spec_example_blob_verifies_with_its_own_root() {
    let opts = skip_revocation(vec![anchor("tweag_webauthn__golden-metadata_small_root.crt")]);
    let v = verify_blob(
        &data("tweag_webauthn__golden-metadata_small_blob.jwt"),
        &opts,
        datetime!(2023-01-25 0:00 UTC),
    )
    .unwrap();
    assert_eq!(v.no, 15);
    assert_eq!(v.alg, JwsAlg::Es256);
    assert_eq!(v.store.entries().len(), 2);
    // nextUpdate 2020-03-30 is long past: authentic, but stale.
    assert!(v.is_stale(datetime!(2023-01-25 0:00 UTC)));
}

#[test]
fn python_fido2_der_signature_copy_is_refused() {
    let opts = skip_revocation(vec![anchor("tweag_webauthn__golden-metadata_small_root.crt")]);
    let err = verify_blob(
        &data("python-fido2__test_mds3_EXAMPLE_BLOB_DER-signature.jwt"),
        &opts,
        datetime!(2023-01-25 0:00 UTC),
    )
    .unwrap_err();
    assert_eq!(err.step(), "signature", "{err}");
}

#[test]
fn edited_webauthn4j_pr1352_blob_is_refused_at_the_signature() {
    let opts = skip_revocation(builtin_roots());
    let err = verify_blob(
        &data("webauthn4j_pr1352__test-blob-with-new-auth-alg.jwt"),
        &opts,
        datetime!(2026-01-01 0:00 UTC),
    )
    .unwrap_err();
    assert_eq!(err.step(), "signature", "{err}");
}

#[test]
fn es256_header_on_the_real_rsa_chain_is_an_alg_key_mismatch() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let text = String::from_utf8(data(BLOB_2024_12)).unwrap();
    let (header, rest) = text.split_once('.').unwrap();
    let mut h: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    h["alg"] = "ES256".into();
    let forged = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(h.to_string()));
    let opts = skip_revocation(builtin_roots());
    let err = verify_blob(forged.as_bytes(), &opts, datetime!(2024-12-03 0:00 UTC)).unwrap_err();
    assert!(matches!(err, BlobError::AlgKeyMismatch { alg: JwsAlg::Es256, .. }), "{err:?}");
}

#[test]
fn ingest_time_of_the_2024_12_blob() {
    // Not an assertion: prints how long verification + store building takes (run with
    // `--release -- --nocapture` for meaningful numbers).
    let blob = data(BLOB_2024_12);
    let opts = with_gs_crls(&GS_CRLS);
    let start = std::time::Instant::now();
    let runs = 5;
    for _ in 0..runs {
        verify_blob(&blob, &opts, datetime!(2024-09-03 12:00 UTC)).unwrap();
    }
    println!("2024-12 BLOB (4.1 MB, 280 entries): {:?} per verify_blob", start.elapsed() / runs);
}

#[test]
fn payload_mutations_never_panic() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use mdsd::mds::{parse_payload, PayloadLimits};
    let text = String::from_utf8(data("tweag_webauthn__golden-metadata_small_blob.jwt")).unwrap();
    let payload = URL_SAFE_NO_PAD.decode(text.split('.').nth(1).unwrap()).unwrap();
    let limits = PayloadLimits::default();
    let parsed = parse_payload(&payload, &limits).unwrap();
    assert_eq!(parsed.store.entries().len(), 2);
    for i in (0..payload.len()).step_by(29) {
        for flip in [0x01, 0x22 ^ b'a'] {
            let mut m = payload.clone();
            m[i] ^= flip;
            // Refused, or parsed with some entries quarantined: never a panic.
            if let Ok(p) = parse_payload(&m, &limits) {
                assert_eq!(p.store.entries().len() + p.quarantined.len(), 2);
            }
        }
        let _ = parse_payload(&payload[..i], &limits);
    }
}

/// The two phases on the real 2024-12 BLOB: phase 1 names the CRLs the daemon fetches (the real
/// GlobalSign ones, whose files are in ../shared), phase 2 verifies with them exactly as
/// `verify_blob` does.
#[test]
fn blob_2024_12_inspected_names_its_crls_and_verifies_in_two_phases() {
    let bytes = data(BLOB_2024_12);
    let opts = with_gs_crls(&GS_CRLS);
    let inspected = mdsd::mds::inspect(bytes.as_slice(), &opts.inspect_limits()).unwrap();
    assert_eq!(inspected.alg(), Some(JwsAlg::Rs256));
    assert_eq!(inspected.x5u(), None);
    let subjects: Vec<&str> = inspected.x5c_certificates().iter().map(|c| c.subject()).collect();
    assert_eq!(subjects.len(), inspected.header().x5c.as_ref().unwrap().len(), "{subjects:?}");
    assert!(subjects[0].contains("mds.fidoalliance.org"), "{subjects:?}");
    assert_eq!(
        inspected.crl_distribution_points(),
        [
            "http://crl.globalsign.com/gs/gsextendvalsha2g3r3.crl",
            "http://crl.globalsign.com/root-r3.crl"
        ]
    );
    let at = datetime!(2024-09-03 12:00 UTC);
    let two_phases = inspected.verify(&opts, at).unwrap();
    check_2024_12_store(&two_phases);
    let one_call = verify_blob(&bytes, &opts, at).unwrap();
    assert_eq!(
        format!("{:?}", (two_phases.no, &two_phases.chain, two_phases.store.entries())),
        format!("{:?}", (one_call.no, &one_call.chain, one_call.store.entries()))
    );
    // Without the CRLs phase 1 named, phase 2 refuses at the revocation step.
    let err = inspected.verify(&with_gs_crls(&[]), at).unwrap_err();
    assert!(matches!(err, BlobError::Revocation(RevocationError::Missing { .. })), "{err:?}");
    assert!(std::ptr::eq(inspected.blob(), bytes.as_slice()));
}
