//! The real data in `../shared/testdata`, beside the checkout (never copied into the repo):
//! production and conformance BLOBs with their roots and CRLs (`blobs/`), the 130 real
//! attestation vectors and the vendor roots they chain to (`attestations/`). Paths resolve from
//! the workspace root, wherever the test, bench or example that asks lives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mdsd_core::mds::{builtin_roots, verify_blob, BlobVerifyOptions};
use mdsd_core::trust_store::TrustStore;
use mdsd_core::x509::{certs_from_pem_or_der, RevocationMode, TrustAnchor};
use time::OffsetDateTime;

/// `../shared/testdata` of the workspace root, as a string for `format!("{SHARED}/blobs/…")`
/// (no trailing slash; not normalised: it goes through `crates/mdsd-test-support/../..`).
pub const SHARED: &str = shared_testdata_literal!("");

/// The real 2024-12 production BLOB (no 121, 4.15 MB, 280 entries), under `blobs/`.
pub const BLOB_2024_12: &str = "s1r-J_fido-mds3__2024-12-02__blob.jwt";

/// `../shared/testdata` of the workspace root.
pub fn shared_testdata() -> &'static Path {
    Path::new(SHARED)
}

/// `rel` under `../shared/testdata` (`"blobs/…"`, `"attestations/vectors.json"`).
pub fn path(rel: &str) -> PathBuf {
    shared_testdata().join(rel)
}

/// Reads `rel` under `../shared/testdata`; panics with the path, and says what is missing when
/// the directory itself is.
pub fn read(rel: &str) -> Vec<u8> {
    let path = path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}{}", path.display(), missing_hint()))
}

/// The file names in the directory `rel` under `../shared/testdata`, sorted.
pub fn list(rel: &str) -> Vec<PathBuf> {
    let dir = path(rel);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}{}", dir.display(), missing_hint()));
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn missing_hint() -> &'static str {
    if shared_testdata().is_dir() {
        ""
    } else {
        " (../shared/testdata is missing beside the checkout: the tests read real MDS and \
         attestation data from it)"
    }
}

/// The trust store of the real BLOB `blobs/<file>`, verified against the built-in roots at `at`
/// (a time inside its signing chain's validity) without CRLs: none contemporaneous with the
/// older BLOBs exist.
pub fn blob_store(file: &str, at: OffsetDateTime) -> Arc<TrustStore> {
    let blob = read(&format!("blobs/{file}"));
    let mut opts = BlobVerifyOptions::new(builtin_roots());
    opts.revocation = RevocationMode::DangerSkip;
    verify_blob(&blob, &opts, at).unwrap_or_else(|e| panic!("blobs/{file} at {at}: {e}")).store
}

/// Every certificate in `attestations/roots` (Apple, Google, TPM vendors, the W3C test CA, …) as
/// an operator extra anchor labelled with its file name, in file-name order.
pub fn attestation_anchors() -> Vec<TrustAnchor> {
    let mut out = Vec::new();
    for path in list("attestations/roots") {
        let label = path.file_name().unwrap().to_string_lossy().to_string();
        let certs = certs_from_pem_or_der(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for cert in certs {
            out.push(TrustAnchor { cert: Arc::new(cert), label: label.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_beside_the_workspace_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert_eq!(
            shared_testdata().canonicalize().unwrap(),
            root.join("../shared/testdata").canonicalize().unwrap()
        );
        assert!(path("attestations/vectors.json").is_file());
    }
}
