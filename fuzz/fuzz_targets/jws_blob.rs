//! The MDS3 BLOB: `mds::parse_header` and `mds::verify_blob` with every testdata root pinned and
//! revocation skipped (DangerSkip), at 2022-01-01 (inside the example and FAKE chains' validity).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mdsd::mds::{parse_header, verify_blob, BlobVerifyOptions};
use mdsd::x509::RevocationMode;

fuzz_target!(|data: &[u8]| {
    static O: OnceLock<BlobVerifyOptions> = OnceLock::new();
    let opts = O.get_or_init(|| {
        let mut o = BlobVerifyOptions::new(mdsd_fuzz::all_anchors().to_vec());
        o.revocation = RevocationMode::DangerSkip;
        o
    });
    let _ = parse_header(data);
    let _ = verify_blob(data, opts, mdsd_fuzz::rfc3339("2022-01-01T00:00:00Z"));
});
