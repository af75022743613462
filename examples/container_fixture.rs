//! Writes a test MDS as files, for running mdsd with no network (scripts/ci/container.sh runs
//! the container's root filesystem with it): a BLOB signed now by a fresh test PKI (root → CA →
//! signer), the root as PEM, and the two CRLs in a directory named as a `crl_mirror`
//! (`<dir>/crl/<last segment of each distribution point>`).
//!
//! ```text
//! cargo run --example container_fixture -- /tmp/mds-fixture
//! mdsd serve --mds-url /tmp/mds-fixture/blob.jwt --mds-root /tmp/mds-fixture/root.pem \
//!     --crl-mirror /tmp/mds-fixture/crl --state-dir /tmp/mds-fixture/state
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdsd_test_support::{blob, pki};
use time::{Duration, OffsetDateTime};

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: <output dir>"));
    std::fs::create_dir_all(dir.join("crl")).unwrap();
    // The distribution points name hosts that do not resolve: only the mirror directory serves.
    let root = pki::root("mdsd fixture MDS root");
    let ca = pki::issue(
        pki::Spec::ca("mdsd fixture MDS CA").crl_url("http://crl.invalid/root.crl"),
        Some(&root),
    );
    let signer = pki::issue(
        pki::Spec::leaf("mds.fixture.invalid").crl_url("http://crl.invalid/ca.crl"),
        Some(&ca),
    );
    let now = OffsetDateTime::now_utc();
    let (from, to) = (now - Duration::days(1), now + Duration::days(7));
    std::fs::write(dir.join("crl/root.crl"), pki::crl(&root, &[], from, to)).unwrap();
    std::fs::write(dir.join("crl/ca.crl"), pki::crl(&ca, &[], from, to)).unwrap();
    std::fs::write(dir.join("root.pem"), root.cert.pem()).unwrap();

    let entries =
        vec![blob::fido2_entry("cb69481e-8ff7-4039-93ec-0a2729a154a8", "FIDO_CERTIFIED_L1")];
    let mut payload: serde_json::Value =
        serde_json::from_slice(&blob::payload(7, entries)).unwrap();
    payload["nextUpdate"] = (now + Duration::days(30)).date().to_string().into();
    let header = blob::header("ES256", &[&signer, &ca]);
    let jwt = blob::sign(&header, payload.to_string().as_bytes(), &signer);
    std::fs::write(dir.join("blob.jwt"), jwt).unwrap();
    println!("{}: blob.jwt (no 7), root.pem, crl/root.crl, crl/ca.crl", dir.display());
}
