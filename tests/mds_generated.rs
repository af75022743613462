//! BLOB verification against BLOBs generated at test time (rcgen PKI + ring signatures): every
//! check of `mdsd::mds::verify_blob` has a case here that fails when the check is removed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use mdsd::mds::{
    inspect, verify_blob, BlobError, BlobVerifyOptions, CertBudgetExceeded, EntryError, EntryNote,
    InspectLimits, JwsAlg, MemberError, ReportCertificateError, RootNote, StatusReportError,
};
use mdsd::trust_store::AuthenticatorStatus;
use mdsd::x509::{Crl, PathError, RevocationError, RevocationMode};
use mdsd_test_support::blob::{self, at as now};
use mdsd_test_support::pki::{self, t, Issued, KeyAlg, Spec};
use rcgen::KeyUsagePurpose;
use serde_json::json;

const AAGUID_A: &str = "0bb43545-fd2c-4185-87dd-feb0b2916ace";
const AAGUID_B: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";

/// root → ca → leaf, with current CRLs for the CA and the leaf.
struct Pki {
    root: Issued,
    ca: Issued,
    leaf: Issued,
}

impl Pki {
    fn new() -> Pki {
        Pki::with_leaf(Spec::leaf("mds test signer"))
    }

    fn with_leaf(spec: Spec) -> Pki {
        let root = pki::root("MDS test root");
        let ca = pki::intermediate("MDS test CA", &root);
        let leaf = pki::issue(spec, Some(&ca));
        Pki { root, ca, leaf }
    }

    fn crls(&self) -> Vec<Arc<Crl>> {
        [&self.root, &self.ca].iter().map(|issuer| crl(issuer, &[])).collect()
    }

    fn opts(&self) -> BlobVerifyOptions {
        let mut opts = BlobVerifyOptions::new(vec![self.root.anchor()]);
        opts.crls = self.crls();
        opts
    }

    fn blob(&self, alg: &str, payload: &[u8]) -> Vec<u8> {
        blob::sign(&blob::header(alg, &[&self.leaf, &self.ca]), payload, &self.leaf)
    }
}

fn crl(issuer: &Issued, revoked: &[u64]) -> Arc<Crl> {
    let der = pki::crl(issuer, revoked, t(2024, 5, 1), t(2024, 7, 1));
    Arc::new(Crl::from_pem_or_der(&der).unwrap())
}

fn good_payload(no: u64) -> Vec<u8> {
    blob::payload(
        no,
        vec![
            blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED_L1"),
            blob::u2f_entry(&["bf7d2e4a0f5e4c1b8a6e3d2c1b0a9f8e7d6c5b4a"], "REVOKED"),
        ],
    )
}

fn refused(blob: &[u8], opts: &BlobVerifyOptions) -> BlobError {
    verify_blob(blob, opts, now()).expect_err("BLOB must be refused")
}

/// The error of phase 2 on a BLOB that phase 1 accepts.
fn refused_in_phase_2(blob: &[u8], opts: &BlobVerifyOptions) -> BlobError {
    let inspected = inspect(blob, &opts.inspect_limits()).expect("phase 1 reads the BLOB");
    inspected.verify(opts, now()).expect_err("BLOB must be refused")
}

#[test]
fn generated_es256_blob_verifies_with_crls() {
    let pki = Pki::new();
    let v = verify_blob(&pki.blob("ES256", &good_payload(10)), &pki.opts(), now()).unwrap();
    assert_eq!(v.no, 10);
    assert_eq!(v.alg, JwsAlg::Es256);
    assert_eq!(v.next_update.to_string(), "2024-07-01");
    assert_eq!(v.anchor.cert.sha256(), pki.root.parsed().sha256());
    assert_eq!(v.chain.len(), 2);
    assert_eq!(v.chain[0].der(), pki.leaf.der.as_slice());
    assert!(v.revocation_checked);
    assert!(v.quarantined.is_empty());
    assert_eq!(v.unknown.total(), 0);
    assert_eq!(v.legal_header.as_deref(), Some("mdsd test BLOB"));
    let store = &v.store;
    assert_eq!(store.entries().len(), 2);
    let a = store.by_aaguid(&AAGUID_A.parse().unwrap()).unwrap();
    assert_eq!(a.current_status(now()).unwrap().status, AuthenticatorStatus::FidoCertifiedL1);
    let u2f = store.by_key_identifier("bf7d2e4a0f5e4c1b8a6e3d2c1b0a9f8e7d6c5b4a").unwrap();
    assert_eq!(u2f.current_status(now()).unwrap().status, AuthenticatorStatus::Revoked);
}

#[test]
fn rsa_algorithms_verify_with_an_rsa_leaf() {
    let pki = Pki::with_leaf(Spec::leaf("rsa signer").key(KeyAlg::Rsa2048));
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let v = verify_blob(&pki.blob(alg, &good_payload(1)), &pki.opts(), now())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(v.alg.as_str(), alg);
    }
}

#[test]
fn es384_verifies_with_a_p384_leaf() {
    let pki = Pki::with_leaf(Spec::leaf("p384 signer").key(KeyAlg::P384));
    let v = verify_blob(&pki.blob("ES384", &good_payload(1)), &pki.opts(), now()).unwrap();
    assert_eq!(v.alg, JwsAlg::Es384);
}

#[test]
fn unordered_x5c_with_an_extra_cross_signed_certificate() {
    // The 2026 situation: a new root (R46-like) with its own CA, cross-signed by the old root
    // (R3-like); x5c carries leaf, the cross-signed root and the CA, not in path order.
    let old_root = pki::root("Old root R3");
    let new_root = pki::root("New root R46");
    let cross = pki::cross_sign(&new_root, &old_root);
    let ca = pki::intermediate("New EV CA 2025", &new_root);
    let leaf = pki::leaf("mds.example", &ca);
    let b = blob::sign(&blob::header("ES256", &[&leaf, &cross, &ca]), &good_payload(3), &leaf);
    let crls = vec![crl(&old_root, &[]), crl(&new_root, &[]), crl(&ca, &[])];

    // Anchored at the new root: the cross-signed certificate is not on the path.
    let mut opts = BlobVerifyOptions::new(vec![new_root.anchor()]);
    opts.crls = crls.clone();
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert_eq!(v.anchor.cert.sha256(), new_root.parsed().sha256());
    assert_eq!(v.chain.len(), 2);

    // Only the old root pinned: the path goes through the cross-signed certificate.
    let mut opts = BlobVerifyOptions::new(vec![old_root.anchor()]);
    opts.crls = crls.clone();
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert_eq!(v.anchor.label, "Old root R3");
    assert_eq!(v.chain.len(), 3);
    assert_eq!(v.chain[2].der(), cross.der.as_slice());

    // Both pinned: either is fine, the report names the one used.
    let mut opts = BlobVerifyOptions::new(vec![old_root.anchor(), new_root.anchor()]);
    opts.crls = crls;
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert!(["Old root R3", "New root R46"].contains(&v.anchor.label.as_str()));
}

#[test]
fn x5c_that_repeats_the_root_or_the_leaf_still_verifies() {
    let pki = Pki::new();
    for x5c in [vec![&pki.leaf, &pki.ca, &pki.root], vec![&pki.leaf, &pki.root, &pki.leaf, &pki.ca]]
    {
        let b = blob::sign(&blob::header("ES256", &x5c), &good_payload(1), &pki.leaf);
        let v = verify_blob(&b, &pki.opts(), now()).unwrap();
        assert_eq!(v.chain.len(), 2);
        assert_eq!(v.anchor.cert.der(), pki.root.der.as_slice());
    }
}

#[test]
fn expired_leaf_is_refused_at_the_chain_step() {
    let pki = Pki::with_leaf(Spec::leaf("expired signer").validity(t(2020, 1, 1), t(2024, 1, 1)));
    let err = refused(&pki.blob("ES256", &good_payload(1)), &pki.opts());
    assert_eq!(err.step(), "chain", "{err}");
    assert!(matches!(err, BlobError::Chain(PathError::Expired { .. })), "{err:?}");
}

#[test]
fn leaf_without_digital_signature_key_usage_is_refused() {
    let mut spec = Spec::leaf("cert-signing leaf");
    spec.key_usage = vec![KeyUsagePurpose::KeyCertSign];
    let pki = Pki::with_leaf(spec);
    let err = refused(&pki.blob("ES256", &good_payload(1)), &pki.opts());
    assert_eq!(err.step(), "chain");
    assert!(matches!(err, BlobError::LeafKeyUsage { .. }), "{err:?}");
    // A leaf without any keyUsage extension is acceptable (RFC 5280: no restriction).
    let mut spec = Spec::leaf("no keyUsage");
    spec.key_usage = Vec::new();
    let pki = Pki::with_leaf(spec);
    verify_blob(&pki.blob("ES256", &good_payload(1)), &pki.opts(), now()).unwrap();
}

#[test]
fn intermediate_without_key_cert_sign_is_refused() {
    let root = pki::root("MDS test root");
    let mut spec = Spec::ca("CA without keyCertSign");
    spec.key_usage = vec![KeyUsagePurpose::DigitalSignature];
    let ca = pki::issue(spec, Some(&root));
    let leaf = pki::leaf("signer", &ca);
    let b = blob::sign(&blob::header("ES256", &[&leaf, &ca]), &good_payload(1), &leaf);
    let mut opts = BlobVerifyOptions::new(vec![root.anchor()]);
    opts.revocation = RevocationMode::DangerSkip;
    let err = refused(&b, &opts);
    assert_eq!(err.step(), "chain", "{err}");
}

#[test]
fn unknown_and_disallowed_algorithms_are_refused() {
    let pki = Pki::new();
    for alg in ["HS256", "none", "es256", "ES256K", "EdDSA"] {
        let b = blob::sign_with(&blob::header(alg, &[&pki.leaf, &pki.ca]), &good_payload(1), |i| {
            blob::sign_raw("ES256", &pki.leaf.pkcs8(), i)
        });
        let err = refused(&b, &pki.opts());
        assert_eq!(err.step(), "alg", "{alg}: {err}");
        assert!(matches!(err, BlobError::AlgNotAllowed { .. }), "{alg}: {err:?}");
    }
    // ES256 itself, removed from the allow-list, is refused too.
    let mut opts = pki.opts();
    opts.allowed_algs = vec![JwsAlg::Rs256];
    let err = refused(&pki.blob("ES256", &good_payload(1)), &opts);
    assert!(matches!(err, BlobError::AlgNotAllowed { ref alg, .. } if alg == "ES256"), "{err:?}");
}

#[test]
fn eddsa_verifies_when_allowed() {
    let pki = Pki::with_leaf(Spec::leaf("ed25519 signer").key(KeyAlg::Ed25519));
    let mut opts = pki.opts();
    opts.allowed_algs.push(JwsAlg::EdDsa);
    let v = verify_blob(&pki.blob("EdDSA", &good_payload(1)), &opts, now()).unwrap();
    assert_eq!(v.alg, JwsAlg::EdDsa);
}

#[test]
fn alg_that_does_not_fit_the_leaf_key_is_its_own_error() {
    // ES256 header, RSA leaf (signed with RS256 so only the header lies).
    let pki = Pki::with_leaf(Spec::leaf("rsa signer").key(KeyAlg::Rsa2048));
    let b = blob::sign_with(&blob::header("ES256", &[&pki.leaf, &pki.ca]), &good_payload(1), |i| {
        blob::sign_raw("RS256", &pki.leaf.pkcs8(), i)
    });
    let err = refused(&b, &pki.opts());
    assert_eq!(err.step(), "alg");
    assert!(
        matches!(err, BlobError::AlgKeyMismatch { alg: JwsAlg::Es256, ref key, .. } if key.starts_with("RSA")),
        "{err:?}"
    );
    // ES384 header, P-256 leaf.
    let pki = Pki::new();
    let err =
        refused(&pki.blob("ES256", &good_payload(1)).replace_header_alg("ES384"), &pki.opts());
    assert!(matches!(err, BlobError::AlgKeyMismatch { alg: JwsAlg::Es384, .. }), "{err:?}");
    // RS256 header, EC leaf.
    let err =
        refused(&pki.blob("ES256", &good_payload(1)).replace_header_alg("RS256"), &pki.opts());
    assert!(matches!(err, BlobError::AlgKeyMismatch { alg: JwsAlg::Rs256, .. }), "{err:?}");
}

#[test]
fn signature_by_another_key_is_refused() {
    let pki = Pki::new();
    let other = pki::leaf("impostor", &pki.ca);
    let b = blob::sign(&blob::header("ES256", &[&pki.leaf, &pki.ca]), &good_payload(1), &other);
    let err = refused(&b, &pki.opts());
    assert_eq!(err.step(), "signature", "{err}");
    // A tampered payload under a good signature.
    let good = String::from_utf8(pki.blob("ES256", &good_payload(1))).unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], blob::b64url(&good_payload(2)), parts[2]);
    assert_eq!(refused(tampered.as_bytes(), &pki.opts()).step(), "signature");
}

#[test]
fn der_encoded_ecdsa_signature_is_not_jose() {
    let pki = Pki::new();
    let b = blob::sign_with(&blob::header("ES256", &[&pki.leaf, &pki.ca]), &good_payload(1), |i| {
        blob::sign_es256_der(&pki.leaf.pkcs8(), i)
    });
    let err = refused(&b, &pki.opts());
    assert_eq!(err.step(), "signature", "{err}");
}

#[test]
fn rollback_is_refused() {
    let pki = Pki::new();
    let b = pki.blob("ES256", &good_payload(10));
    let mut opts = pki.opts();
    for stored in [10, 11, u64::MAX] {
        opts.last_accepted_no = Some(stored);
        let err = refused(&b, &opts);
        assert_eq!(err, BlobError::RollbackRefused { stored, offered: 10 });
        assert_eq!(err.step(), "rollback");
    }
    opts.last_accepted_no = Some(9);
    assert_eq!(verify_blob(&b, &opts, now()).unwrap().no, 10);
    opts.last_accepted_no = Some(0);
    verify_blob(&b, &opts, now()).unwrap();
}

#[test]
fn rollback_is_judged_only_after_the_signature() {
    // A forged BLOB with an old `no` is a signature failure, not a rollback.
    let pki = Pki::new();
    let other = pki::leaf("impostor", &pki.ca);
    let b = blob::sign(&blob::header("ES256", &[&pki.leaf, &pki.ca]), &good_payload(1), &other);
    let mut opts = pki.opts();
    opts.last_accepted_no = Some(5);
    assert_eq!(refused(&b, &opts).step(), "signature");
}

#[test]
fn truncated_and_garbled_jws_are_refused() {
    let pki = Pki::new();
    let good = String::from_utf8(pki.blob("ES256", &good_payload(1))).unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let cases = [
        (format!("{}.{}", parts[0], parts[1]), "jws"),
        (format!("{good}.{}", parts[2]), "jws"),
        (format!("{}.{}.{}", parts[0], parts[1], &parts[2][..12]), "signature"),
        (format!("{}.{}.{}=", parts[0], parts[1], parts[2]), "jws"),
        (format!("{}.{}!.{}", parts[0], parts[1], parts[2]), "jws"),
        (format!("{}..{}", parts[0], parts[2]), "jws"),
        (String::new(), "jws"),
        (format!("{}.{}.{}", blob::b64url(b"not json"), parts[1], parts[2]), "header"),
        (format!("{}.{}.{}", blob::b64url(b"{\"alg\":[]}"), parts[1], parts[2]), "header"),
    ];
    for (input, step) in cases {
        let err = refused(input.as_bytes(), &pki.opts());
        assert_eq!(err.step(), step, "{input:.60}: {err}");
    }
    // One trailing newline (a BLOB saved as a text file) is fine.
    let mut with_newline = good.clone().into_bytes();
    with_newline.push(b'\n');
    verify_blob(&with_newline, &pki.opts(), now()).unwrap();
}

#[test]
fn oversized_blob_is_refused() {
    let pki = Pki::new();
    let b = pki.blob("ES256", &good_payload(1));
    let mut opts = pki.opts();
    opts.max_blob_bytes = b.len() - 1;
    let err = refused(&b, &opts);
    assert_eq!(err, BlobError::TooLarge { size: b.len(), max: b.len() - 1 });
    opts.max_blob_bytes = b.len();
    verify_blob(&b, &opts, now()).unwrap();
}

#[test]
fn too_many_or_broken_x5c_certificates_are_refused() {
    let pki = Pki::new();
    let many: Vec<&Issued> = std::iter::repeat_n(&pki.ca, 9).collect();
    let mut x5c = vec![&pki.leaf];
    x5c.extend(many);
    let b = blob::sign(&blob::header("ES256", &x5c), &good_payload(1), &pki.leaf);
    let err = refused(&b, &pki.opts());
    assert_eq!(err, BlobError::TooManyCertificates { count: 10, max: 8 });

    let mut header = blob::header("ES256", &[&pki.leaf]);
    header["x5c"] = json!([header["x5c"][0], "AAEC"]);
    let b = blob::sign(&header, &good_payload(1), &pki.leaf);
    let err = refused(&b, &pki.opts());
    assert!(matches!(err, BlobError::BadCertificate { index: 1, .. }), "{err:?}");
}

#[test]
fn chain_to_an_unpinned_root_is_refused() {
    let pki = Pki::new();
    let other_root = pki::root("Someone else's root");
    let mut opts = pki.opts();
    opts.anchors = vec![other_root.anchor()];
    let err = refused(&pki.blob("ES256", &good_payload(1)), &opts);
    assert_eq!(err.step(), "chain", "{err}");
    opts.anchors = Vec::new();
    assert_eq!(refused(&pki.blob("ES256", &good_payload(1)), &opts).step(), "chain");
}

#[test]
fn revocation_is_required_by_default() {
    let pki = Pki::new();
    let b = pki.blob("ES256", &good_payload(1));
    // Leaf listed on the CA's CRL.
    let mut opts = pki.opts();
    opts.crls = vec![crl(&pki.root, &[]), crl(&pki.ca, &[pki.leaf.serial])];
    let err = refused(&b, &opts);
    assert!(matches!(err, BlobError::Revocation(RevocationError::Revoked { .. })), "{err:?}");
    // CA listed on the root's CRL.
    opts.crls = vec![crl(&pki.root, &[pki.ca.serial]), crl(&pki.ca, &[])];
    assert_eq!(refused(&b, &opts).step(), "revocation");
    // The CA's CRL missing.
    opts.crls = vec![crl(&pki.root, &[])];
    let err = refused(&b, &opts);
    assert!(matches!(err, BlobError::Revocation(RevocationError::Missing { .. })), "{err:?}");
    // No CRLs at all.
    opts.crls = Vec::new();
    assert_eq!(refused(&b, &opts).step(), "revocation");
    // Stale: verified after the CRLs' nextUpdate (the leaf is still valid).
    let err = verify_blob(&b, &pki.opts(), t(2024, 8, 1)).unwrap_err();
    assert!(matches!(err, BlobError::Revocation(RevocationError::Stale { .. })), "{err:?}");
}

#[test]
fn danger_skip_revocation_verifies_and_says_so() {
    let pki = Pki::new();
    let mut opts = BlobVerifyOptions::new(vec![pki.root.anchor()]);
    opts.revocation = RevocationMode::DangerSkip;
    let v = verify_blob(&pki.blob("ES256", &good_payload(1)), &opts, now()).unwrap();
    assert!(!v.revocation_checked);
}

#[test]
fn without_x5c_or_x5u_the_anchor_signs() {
    let pki = Pki::new();
    let b = blob::sign(&blob::header("ES256", &[]), &good_payload(4), &pki.root);
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    assert!(v.chain.is_empty());
    assert_eq!(v.anchor.cert.der(), pki.root.der.as_slice());
    // Signed by a non-anchor key: refused at the signature step.
    let b = blob::sign(&blob::header("ES256", &[]), &good_payload(4), &pki.leaf);
    assert_eq!(refused(&b, &pki.opts()).step(), "signature");
    // No anchors at all.
    let b = blob::sign(&blob::header("ES256", &[]), &good_payload(4), &pki.root);
    let mut none = pki.opts();
    none.anchors = Vec::new();
    assert!(matches!(refused(&b, &none), BlobError::Chain(PathError::NoAnchors)));
    // No anchor has a key for the alg.
    let b = blob::sign_with(&blob::header("RS256", &[]), &good_payload(4), |_| vec![0; 256]);
    assert!(matches!(refused(&b, &pki.opts()), BlobError::AlgKeyMismatch { .. }));
}

#[test]
fn x5u_chain_is_used_only_from_the_blob_origin() {
    let pki = Pki::new();
    let mut header = blob::header("ES256", &[]);
    header["x5u"] = json!("https://mds.example.org/chain.pem");
    let b = blob::sign(&header, &good_payload(5), &pki.leaf);
    let mut opts = pki.opts();
    opts.blob_url = Some("https://mds.example.org/".into());
    opts.x5u_chain = Some(vec![pki.leaf.parsed(), pki.ca.parsed()]);
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert_eq!(v.chain.len(), 2);
    // Another origin.
    opts.blob_url = Some("https://mds.example.com/".into());
    let err = refused(&b, &opts);
    assert!(matches!(err, BlobError::X5uOrigin { .. }), "{err:?}");
    assert_eq!(err.step(), "x5u");
    // Unknown BLOB URL: cannot compare, refused.
    opts.blob_url = None;
    assert_eq!(refused(&b, &opts).step(), "x5u");
    // Chain not supplied.
    opts.blob_url = Some("https://mds.example.org/blob".into());
    opts.x5u_chain = None;
    assert!(matches!(refused(&b, &opts), BlobError::X5uChainMissing { .. }));
    // An empty download is no chain (not a fall-back to "the anchor signs").
    opts.x5u_chain = Some(Vec::new());
    assert!(matches!(refused(&b, &opts), BlobError::X5uChainMissing { .. }));
    // A supplied chain longer than allowed.
    opts.x5u_chain = Some(std::iter::repeat_n(pki.leaf.parsed(), 9).collect());
    assert!(matches!(refused(&b, &opts), BlobError::TooManyCertificates { count: 9, max: 8 }));
    // A supplied chain that does not lead to the anchor.
    let stranger = pki::leaf("stranger", &pki::root("other"));
    opts.x5u_chain = Some(vec![stranger.parsed()]);
    assert_eq!(refused(&b, &opts).step(), "chain");
}

#[test]
fn unknown_fields_and_statuses_are_kept_and_counted() {
    let pki = Pki::new();
    let mut entry = blob::fido2_entry(AAGUID_A, "QUANTUM_CERTIFIED_L9");
    entry["futureField"] = json!({"x": 1});
    entry["metadataStatement"]["shinyNewThing"] = json!(true);
    entry["statusReports"][0]["sunsetDay"] = json!("2030-01-01");
    entry["statusReports"]
        .as_array_mut()
        .unwrap()
        .push(json!({"status": "QUANTUM_CERTIFIED_L9", "effectiveDate": "2021-01-01"}));
    let mut second = blob::fido2_entry(AAGUID_B, "RETIRED");
    second["futureField"] = json!(null);
    let mut payload: serde_json::Value =
        serde_json::from_slice(&blob::payload(2, vec![entry, second])).unwrap();
    payload["topLevelNews"] = json!([]);
    let b = pki.blob("ES256", payload.to_string().as_bytes());
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    assert_eq!(v.store.entries().len(), 2);
    assert!(v.quarantined.is_empty());
    let fields = &v.unknown.fields;
    assert_eq!(fields.get("entry.futureField"), Some(&2));
    assert_eq!(fields.get("metadataStatement.shinyNewThing"), Some(&1));
    assert_eq!(fields.get("statusReport.sunsetDay"), Some(&1));
    assert_eq!(fields.get("payload.topLevelNews"), Some(&1));
    assert_eq!(v.unknown.statuses.get("QUANTUM_CERTIFIED_L9"), Some(&2));
    assert_eq!(v.unknown.total(), 7);
    let a = v.store.by_aaguid(&AAGUID_A.parse().unwrap()).unwrap();
    assert_eq!(
        a.current_status(now()).unwrap().status,
        AuthenticatorStatus::Unknown("QUANTUM_CERTIFIED_L9".into())
    );
    // The raw JSON keeps everything, unknown members included.
    assert!(a.raw_json().contains("shinyNewThing"));
    assert_eq!(
        v.store
            .by_aaguid(&AAGUID_B.parse().unwrap())
            .unwrap()
            .current_status(now())
            .unwrap()
            .status,
        AuthenticatorStatus::Retired
    );
}

#[test]
fn broken_entries_are_quarantined_and_the_rest_loads() {
    let pki = Pki::new();
    let good = blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED_L1");
    let bad_aaguid = blob::fido2_entry("not-a-uuid", "FIDO_CERTIFIED_L1");
    let mut bad_version = blob::fido2_entry(AAGUID_B, "FIDO_CERTIFIED");
    bad_version["metadataStatement"]["authenticatorVersion"] = json!("two");
    let mut bad_report_cert =
        blob::fido2_entry("11111111-2222-3333-4444-555555555555", "FIDO_CERTIFIED");
    bad_report_cert["statusReports"][0]["certificate"] = json!("AAECAwQ=");
    // An unreadable attestation root is left out (with a warning); the entry still loads.
    let mut bad_root = blob::fido2_entry("66666666-2222-3333-4444-555555555555", "FIDO_CERTIFIED");
    let root_b64 = base64_std(&pki.root.der);
    bad_root["metadataStatement"]["attestationRootCertificates"] =
        json!(["AAECAwQ=", "%%%", root_b64]);
    let mut bad_date = blob::u2f_entry(&["aa"], "FIDO_CERTIFIED");
    bad_date["statusReports"][0]["effectiveDate"] = json!("01/02/2020");
    let mut no_reports = blob::u2f_entry(&["bb"], "FIDO_CERTIFIED");
    no_reports.as_object_mut().unwrap().remove("statusReports");
    let bad_key_id = blob::u2f_entry(&["not hex"], "FIDO_CERTIFIED");
    let no_id = json!({"statusReports": [], "metadataStatement": {}});
    let not_object = json!("entry");
    let entries = vec![
        bad_aaguid,
        good,
        bad_version,
        bad_report_cert,
        bad_date,
        no_reports,
        bad_key_id,
        no_id,
        not_object,
        blob::u2f_entry(&["CC", "cc"], "FIDO_CERTIFIED"),
        bad_root,
    ];
    let b = pki.blob("ES256", &blob::payload(3, entries));
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    let indexes: Vec<usize> = v.quarantined.iter().map(|q| q.index).collect();
    assert_eq!(indexes, [0, 2, 3, 4, 5, 6, 7, 8], "{:#?}", v.quarantined);
    assert_eq!(v.store.entries().len(), 3);
    assert!(v.store.by_aaguid(&AAGUID_A.parse().unwrap()).is_some());
    // Key identifiers are lowercased and listed once.
    assert_eq!(v.store.by_key_identifier("cc").unwrap().key_identifiers(), ["cc"]);
    let with_bad_root =
        v.store.by_aaguid(&"66666666-2222-3333-4444-555555555555".parse().unwrap()).unwrap();
    assert_eq!(with_bad_root.attestation_roots().len(), 1);
    let notes: Vec<(usize, String)> =
        v.warnings.iter().map(|w| (w.index, w.note.to_string())).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.iter().all(|(i, n)| *i == 10 && n.contains("left out")), "{notes:?}");
    // The notes carry their evidence: which root, and why it was left out.
    assert!(matches!(
        v.warnings[0].note,
        EntryNote::AttestationRoot { index: 0, note: RootNote::NotACertificate(_) }
    ));
    assert!(matches!(
        v.warnings[1].note,
        EntryNote::AttestationRoot { index: 1, note: RootNote::NotBase64(_) }
    ));
    let q = &v.quarantined;
    assert_eq!(q[0].id.as_deref(), Some("aaguid:not-a-uuid"));
    let reasons: Vec<String> = q.iter().map(|q| q.reason.to_string()).collect();
    assert!(reasons[1].contains("authenticatorVersion"), "{}", reasons[1]);
    assert_eq!(q[1].id.as_deref(), Some(format!("aaguid:{AAGUID_B}").as_str()));
    assert!(reasons[2].contains("statusReports[0]: certificate"), "{}", reasons[2]);
    assert!(reasons[3].contains("effectiveDate"), "{}", reasons[3]);
    assert!(reasons[4].contains("statusReports"), "{}", reasons[4]);
    assert!(reasons[5].contains("not hex"), "{}", reasons[5]);
    assert!(q[6].id.is_none());
    assert!(reasons[7].contains("not a JSON object"), "{}", reasons[7]);
    // The reasons carry their evidence.
    assert!(matches!(&q[0].reason, EntryError::Aaguid { text, .. } if text == "not-a-uuid"));
    assert!(matches!(
        &q[1].reason,
        EntryError::Member(MemberError::WrongType { member: "authenticatorVersion", .. })
    ));
    assert!(matches!(
        &q[2].reason,
        EntryError::StatusReport {
            index: 0,
            reason: StatusReportError::Certificate(ReportCertificateError::NotACertificate(_))
        }
    ));
    assert!(matches!(
        &q[3].reason,
        EntryError::StatusReport { index: 0, reason: StatusReportError::EffectiveDate(d) }
            if d.text == "01/02/2020"
    ));
    assert_eq!(q[4].reason, EntryError::Member(MemberError::Missing { member: "statusReports" }));
    assert!(
        matches!(&q[5].reason, EntryError::KeyIdentifierNotHex { key_id } if key_id == "not hex")
    );
    assert!(matches!(q[6].reason, EntryError::Identity(_)));
    assert!(matches!(q[7].reason, EntryError::NotAnObject { .. }));
}

#[test]
fn bad_time_of_last_status_change_quarantines_the_entry() {
    let pki = Pki::new();
    let mut entry = blob::fido2_entry(AAGUID_B, "FIDO_CERTIFIED");
    entry["timeOfLastStatusChange"] = json!("yesterday");
    let good = blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED");
    let b = pki.blob("ES256", &blob::payload(1, vec![entry, good]));
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    assert_eq!(v.quarantined.len(), 1);
    assert!(v.quarantined[0].reason.to_string().contains("timeOfLastStatusChange"));
    assert!(matches!(
        &v.quarantined[0].reason,
        EntryError::TimeOfLastStatusChange(d) if d.text == "yesterday"
    ));
    let a = v.store.by_aaguid(&AAGUID_A.parse().unwrap()).unwrap();
    assert_eq!(a.time_of_last_status_change().unwrap().to_string(), "2020-01-01");
}

#[test]
fn staleness_is_reported_not_refused() {
    let pki = Pki::new();
    // nextUpdate is 2024-07-01.
    let v = verify_blob(&pki.blob("ES256", &good_payload(1)), &pki.opts(), now()).unwrap();
    assert!(!v.is_stale(t(2024, 7, 1)));
    assert!(v.is_stale(t(2024, 7, 2)));
}

#[test]
fn payload_top_level_must_be_right() {
    let pki = Pki::new();
    let entries = json!([blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED")]);
    let cases = [
        json!({"nextUpdate": "2024-07-01", "entries": entries}),
        json!({"no": "12", "nextUpdate": "2024-07-01", "entries": entries}),
        json!({"no": -1, "nextUpdate": "2024-07-01", "entries": entries}),
        json!({"no": 12, "entries": entries}),
        json!({"no": 12, "nextUpdate": "2024-13-01", "entries": entries}),
        json!({"no": 12, "nextUpdate": "2024-07-01T00:00:00Z", "entries": entries}),
        json!({"no": 12, "nextUpdate": "2024-07-01"}),
        json!({"no": 12, "nextUpdate": "2024-07-01", "entries": {}}),
        json!([1, 2, 3]),
    ];
    for payload in cases {
        let err = refused(&pki.blob("ES256", payload.to_string().as_bytes()), &pki.opts());
        assert_eq!(err.step(), "payload", "{payload}: {err}");
    }
    let err = refused(&pki.blob("ES256", b"\xff\xfe not utf-8"), &pki.opts());
    assert_eq!(err.step(), "payload");
}

#[test]
fn entry_count_is_bounded() {
    let pki = Pki::new();
    let b = pki.blob("ES256", &good_payload(1));
    let mut opts = pki.opts();
    opts.payload_limits.max_entries = 1;
    assert_eq!(refused(&b, &opts).step(), "payload");
    opts.payload_limits.max_entries = 2;
    verify_blob(&b, &opts, now()).unwrap();
}

#[test]
fn certificates_per_entry_are_bounded() {
    let pki = Pki::new();
    let root_b64 = base64_std(&pki.root.der);
    let mut entry = blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([root_b64, root_b64]);
    let b = pki.blob("ES256", &blob::payload(1, vec![entry]));
    let mut opts = pki.opts();
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert_eq!(v.store.entries()[0].attestation_roots().len(), 2);
    opts.payload_limits.max_certs_per_entry = 1;
    let v = verify_blob(&b, &opts, now()).unwrap();
    assert_eq!(v.quarantined.len(), 1);
    assert!(v.quarantined[0].reason.to_string().contains("too many certificates"));
    assert_eq!(
        v.quarantined[0].reason,
        EntryError::AttestationRoot { index: 1, reason: CertBudgetExceeded { max: 1 } }
    );
}

#[test]
fn concatenated_roots_are_split_and_whitespace_is_ignored() {
    let pki = Pki::new();
    let mut both = pki.root.der.clone();
    both.extend_from_slice(&pki.ca.der);
    let spaced = format!("\t{}\n", base64_std(&pki.leaf.der));
    let mut entry = blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([base64_std(&both), spaced]);
    let b = pki.blob("ES256", &blob::payload(1, vec![entry]));
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    let roots = v.store.entries()[0].attestation_roots();
    let ders: Vec<&[u8]> = roots.iter().map(|r| r.der()).collect();
    assert_eq!(ders, [pki.root.der.as_slice(), pki.ca.der.as_slice(), pki.leaf.der.as_slice()]);
    assert_eq!(v.warnings.len(), 2, "{:?}", v.warnings);
    // Trailing garbage that is not a certificate: the whole string is one bad root, left out.
    let mut tail = pki.root.der.clone();
    tail.extend_from_slice(&[0x30, 0x03, 1, 2, 3]);
    let mut entry = blob::fido2_entry(AAGUID_A, "FIDO_CERTIFIED");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([base64_std(&tail)]);
    let b = pki.blob("ES256", &blob::payload(1, vec![entry]));
    let v = verify_blob(&b, &pki.opts(), now()).unwrap();
    assert_eq!(v.store.entries()[0].attestation_roots().len(), 1);
    assert!(v.warnings.iter().any(|w| w.note.to_string().contains("left out")), "{:?}", v.warnings);
}

fn base64_std(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// Re-encodes the header of a compact JWS with another `alg`, keeping payload and signature.
trait ReplaceAlg {
    fn replace_header_alg(&self, alg: &str) -> Vec<u8>;
}

impl ReplaceAlg for Vec<u8> {
    fn replace_header_alg(&self, alg: &str) -> Vec<u8> {
        use base64::Engine;
        let text = std::str::from_utf8(self).unwrap();
        let (header, rest) = text.split_once('.').unwrap();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut h: serde_json::Value =
            serde_json::from_slice(&engine.decode(header).unwrap()).unwrap();
        h["alg"] = json!(alg);
        format!("{}.{rest}", blob::b64url(h.to_string().as_bytes())).into_bytes()
    }
}

#[test]
fn truncations_and_byte_flips_never_panic() {
    let pki = Pki::new();
    let b = pki.blob("ES256", &good_payload(1));
    let opts = pki.opts();
    for len in (0..b.len()).step_by(7) {
        assert!(verify_blob(&b[..len], &opts, now()).is_err(), "truncated to {len}");
    }
    for i in (0..b.len()).step_by(13) {
        for flip in [0x01, 0x20, 0x80] {
            let mut m = b.clone();
            m[i] ^= flip;
            assert!(verify_blob(&m, &opts, now()).is_err(), "byte {i} ^ {flip:#x}");
        }
    }
}

#[test]
fn inspect_names_the_chain_and_its_crls_and_verify_uses_them() {
    let root = pki::root("MDS test root");
    let mut ca_spec = Spec::ca("MDS test CA");
    ca_spec.crl_url = Some("http://crl.example.org/root.crl".into());
    let ca = pki::issue(ca_spec, Some(&root));
    let mut leaf_spec = Spec::leaf("mds test signer");
    leaf_spec.crl_url = Some("http://crl.example.org/ca.crl".into());
    let leaf = pki::issue(leaf_spec, Some(&ca));
    // The CA twice: its distribution point is named once.
    let b = blob::sign(&blob::header("ES256", &[&leaf, &ca, &ca]), &good_payload(7), &leaf);
    let inspected = inspect(b.clone(), &InspectLimits::default()).unwrap();
    assert_eq!(inspected.alg(), Some(JwsAlg::Es256));
    assert_eq!(inspected.x5u(), None);
    assert_eq!(inspected.x5c_certificates().len(), 3);
    assert_eq!(inspected.x5c_certificates()[0].der(), leaf.der.as_slice());
    assert_eq!(
        inspected.crl_distribution_points(),
        ["http://crl.example.org/ca.crl", "http://crl.example.org/root.crl"]
    );
    // Phase 2 with the CRLs the caller fetched; it may run again, and gives the bytes back.
    let mut opts = BlobVerifyOptions::new(vec![root.anchor()]);
    assert_eq!(inspected.verify(&opts, now()).unwrap_err().step(), "revocation");
    opts.crls = vec![crl(&root, &[]), crl(&ca, &[])];
    let first = inspected.verify(&opts, now()).unwrap();
    let again = inspected.verify(&opts, now()).unwrap();
    assert_eq!(first.no, 7);
    assert_eq!(first.chain.len(), 2);
    assert_eq!(first.store.entries()[0].raw_json(), again.store.entries()[0].raw_json());
    assert_eq!(inspected.into_blob(), b);
}

/// Phase 1 fails only where nothing can be read; every other defect waits for its own step in
/// phase 2, so a BLOB is refused at the same step, with the same error, in one call or in two.
#[test]
fn inspect_defers_defects_to_their_step() {
    let pki = Pki::new();
    // Size, JWS and header: phase 1.
    let b = pki.blob("ES256", &good_payload(1));
    let small = InspectLimits { max_blob_bytes: b.len() - 1, ..InspectLimits::default() };
    assert_eq!(
        inspect(b.as_slice(), &small).unwrap_err(),
        BlobError::TooLarge { size: b.len(), max: b.len() - 1 }
    );
    assert_eq!(inspect(&b"a.b"[..], &InspectLimits::default()).unwrap_err().step(), "jws");
    let bad_header = blob::sign_with(&json!({"typ": "JWT"}), &good_payload(1), |_| vec![1]);
    assert_eq!(inspect(bad_header, &InspectLimits::default()).unwrap_err().step(), "header");
    // An unknown alg: read, refused at the alg step.
    let hs256 = blob::header("HS256", &[&pki.leaf, &pki.ca]);
    let b = blob::sign_with(&hs256, &good_payload(1), |_| vec![0; 32]);
    let inspected = inspect(b.as_slice(), &InspectLimits::default()).unwrap();
    assert_eq!(inspected.alg(), None);
    assert_eq!(inspected.header().alg, "HS256");
    assert!(matches!(refused_in_phase_2(&b, &pki.opts()), BlobError::AlgNotAllowed { .. }));
    // A broken x5c certificate: the others are still named (their CRLs can be fetched); the
    // chain step refuses it.
    let mut header = blob::header("ES256", &[&pki.leaf, &pki.ca]);
    header["x5c"][1] = json!("AAEC");
    let b = blob::sign(&header, &good_payload(1), &pki.leaf);
    let inspected = inspect(b.as_slice(), &InspectLimits::default()).unwrap();
    assert_eq!(inspected.x5c_certificates().len(), 1);
    let err = refused_in_phase_2(&b, &pki.opts());
    assert!(matches!(err, BlobError::BadCertificate { index: 1, .. }), "{err:?}");
    assert_eq!(err, refused(&b, &pki.opts()));
    // ...after the alg step, which refuses first when both are wrong.
    let mut opts = pki.opts();
    opts.allowed_algs = vec![JwsAlg::Rs256];
    assert_eq!(refused_in_phase_2(&b, &opts).step(), "alg");
    // Too many x5c certificates: the first `max_x5c` are parsed, the chain step refuses.
    let mut x5c = vec![&pki.leaf];
    x5c.extend(std::iter::repeat_n(&pki.ca, 9));
    let b = blob::sign(&blob::header("ES256", &x5c), &good_payload(1), &pki.leaf);
    let inspected = inspect(b.as_slice(), &InspectLimits::default()).unwrap();
    assert_eq!(inspected.x5c_certificates().len(), 8);
    let err = refused_in_phase_2(&b, &pki.opts());
    assert_eq!(err, BlobError::TooManyCertificates { count: 10, max: 8 });
    // Inspected with a lower bound than the options allow: refused with that bound.
    let b = pki.blob("ES256", &good_payload(1));
    let one = InspectLimits { max_x5c: 1, ..InspectLimits::default() };
    let err = inspect(b.as_slice(), &one).unwrap().verify(&pki.opts(), now()).unwrap_err();
    assert_eq!(err, BlobError::TooManyCertificates { count: 2, max: 1 });
    // Phase 2 applies the size bound of its options too.
    let mut opts = pki.opts();
    opts.max_blob_bytes = b.len() - 1;
    let err = inspect(b.as_slice(), &InspectLimits::default()).unwrap().verify(&opts, now());
    assert_eq!(err.unwrap_err(), BlobError::TooLarge { size: b.len(), max: b.len() - 1 });
    // A payload that is not UTF-8: refused at the payload step, after the signature.
    let b = pki.blob("ES256", b"\xff\xfe");
    assert_eq!(refused_in_phase_2(&b, &pki.opts()).step(), "payload");
    let forged = blob::sign(&blob::header("ES256", &[&pki.leaf, &pki.ca]), b"\xff", &pki.ca);
    assert_eq!(refused_in_phase_2(&forged, &pki.opts()).step(), "signature");
}

/// With x5u the downloaded chain is used and x5c is not looked at (a broken x5c does not
/// matter); phase 1 names the x5u URL for the caller to check and fetch.
#[test]
fn inspect_names_x5u_and_verify_ignores_x5c_then() {
    let pki = Pki::new();
    let mut header = blob::header("ES256", &[&pki.leaf]);
    header["x5c"] = json!(["AAEC"]);
    header["x5u"] = json!("https://mds.example.org/chain.pem");
    let b = blob::sign(&header, &good_payload(5), &pki.leaf);
    let inspected = inspect(b.as_slice(), &InspectLimits::default()).unwrap();
    assert_eq!(inspected.x5u(), Some("https://mds.example.org/chain.pem"));
    assert!(inspected.x5c_certificates().is_empty());
    let mut opts = pki.opts();
    opts.blob_url = Some("https://mds.example.org/".into());
    opts.x5u_chain = Some(vec![pki.leaf.parsed(), pki.ca.parsed()]);
    assert_eq!(inspected.verify(&opts, now()).unwrap().chain.len(), 2);
    opts.x5u_chain = None;
    assert!(matches!(refused_in_phase_2(&b, &opts), BlobError::X5uChainMissing { .. }));
}
