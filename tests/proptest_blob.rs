//! Property tests for MDS3 BLOBs: a BLOB generated and signed at test time (rcgen PKI, ES256 and
//! RS256) verifies, and the same BLOB with any one byte changed — in the header, the payload,
//! the signature or a separator — is never verified. Arbitrary bytes never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::OnceLock;

use mdsd::mds::{parse_header, verify_blob, BlobVerifyOptions};
use mdsd::x509::RevocationMode;
use mdsd_test_support::blob::{self, at as now};
use mdsd_test_support::pki::{self, KeyAlg, Spec};
use proptest::prelude::*;
use proptest::sample::Index;

const AAGUID: &str = "0bb43545-fd2c-4185-87dd-feb0b2916ace";

/// A signed BLOB with the options that verify it.
struct Signed {
    alg: &'static str,
    blob: Vec<u8>,
    opts: BlobVerifyOptions,
}

/// Two BLOBs (root → CA → leaf): ES256 with a P-256 leaf and RS256 with an RSA-2048 leaf.
/// Revocation is skipped: it is not what this property is about, and a CRL check can only
/// refuse more.
fn signed() -> &'static [Signed] {
    static S: OnceLock<Vec<Signed>> = OnceLock::new();
    S.get_or_init(|| {
        let root = pki::root("proptest MDS root");
        let ca = pki::intermediate("proptest MDS CA", &root);
        let payload = blob::payload(
            7,
            vec![
                blob::fido2_entry(AAGUID, "FIDO_CERTIFIED_L1"),
                blob::u2f_entry(&["bf7d2e4a0f5e4c1b8a6e3d2c1b0a9f8e7d6c5b4a"], "REVOKED"),
            ],
        );
        [("ES256", KeyAlg::P256), ("RS256", KeyAlg::Rsa2048)]
            .into_iter()
            .map(|(alg, key)| {
                let leaf =
                    pki::issue(Spec::leaf(&format!("proptest {alg} signer")).key(key), Some(&ca));
                let blob = blob::sign(&blob::header(alg, &[&leaf, &ca]), &payload, &leaf);
                let mut opts = BlobVerifyOptions::new(vec![root.anchor()]);
                opts.revocation = RevocationMode::DangerSkip;
                Signed { alg, blob, opts }
            })
            .collect()
    })
}

/// Which third of the compact JWS a byte index falls in (for failure messages).
fn part_of(blob: &[u8], at: usize) -> &'static str {
    let dots: Vec<usize> =
        blob.iter().enumerate().filter(|(_, b)| **b == b'.').map(|(i, _)| i).collect();
    match at {
        a if dots.contains(&a) => "separator",
        a if a < dots[0] => "header",
        a if a < dots[1] => "payload",
        _ => "signature",
    }
}

#[test]
fn generated_blobs_verify_unmutated() {
    // Non-vacuity: the unmutated BLOBs verify and carry their entries.
    for s in signed() {
        let v = verify_blob(&s.blob, &s.opts, now()).unwrap_or_else(|e| panic!("{}: {e}", s.alg));
        assert_eq!(v.no, 7);
        assert_eq!(v.store.entries().len(), 2, "{}", s.alg);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn one_changed_byte_is_never_verified(which in any::<Index>(), at in any::<Index>(), xor in 1u8..=255) {
        let s = which.get(signed());
        let offset = at.index(s.blob.len());
        let mut blob = s.blob.clone();
        blob[offset] ^= xor;
        let result = verify_blob(&blob, &s.opts, now());
        prop_assert!(
            result.is_err(),
            "{}: byte {} ({}) ^ {:#04x} still verifies", s.alg, offset, part_of(&s.blob, offset), xor
        );
    }

    #[test]
    fn changed_byte_in_each_part_is_never_verified(which in any::<Index>(), part in 0usize..3, at in any::<Index>(), xor in 1u8..=255) {
        // The same property aimed at each part equally often (the payload dominates the bytes).
        let s = which.get(signed());
        let dots: Vec<usize> = s.blob.iter().enumerate().filter(|(_, b)| **b == b'.').map(|(i, _)| i).collect();
        let (start, end) = match part {
            0 => (0, dots[0]),
            1 => (dots[0] + 1, dots[1]),
            _ => (dots[1] + 1, s.blob.len()),
        };
        let offset = start + at.index(end - start);
        let mut blob = s.blob.clone();
        blob[offset] ^= xor;
        prop_assert!(
            verify_blob(&blob, &s.opts, now()).is_err(),
            "{}: byte {} ({}) ^ {:#04x} still verifies", s.alg, offset, part_of(&s.blob, offset), xor
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let s = &signed()[0];
        let _ = parse_header(&bytes);
        prop_assert!(verify_blob(&bytes, &s.opts, now()).is_err());
    }

    #[test]
    fn arbitrary_dotted_text_never_panics(parts in proptest::collection::vec("[A-Za-z0-9_=+/-]{0,64}", 1..5)) {
        let text = parts.join(".");
        let s = &signed()[0];
        let _ = parse_header(text.as_bytes());
        prop_assert!(verify_blob(text.as_bytes(), &s.opts, now()).is_err());
    }
}
