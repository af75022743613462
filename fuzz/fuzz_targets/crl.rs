//! CRL parsing and revocation checking: the input is a CRL (PEM or DER), checked against the
//! FAKE conformance BLOB signing path (leaf ← FAKE CA-1 ← FAKE Root) at 2019-01-01.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mdsd::x509::{check_revocation, Crl, RevocationMode, VerifiedPath};

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<VerifiedPath> = OnceLock::new();
    let path = P.get_or_init(mdsd_fuzz::fake_blob_path);
    if let Ok(crl) = Crl::from_pem_or_der(data) {
        let now = mdsd_fuzz::rfc3339("2019-01-01T00:00:00Z");
        let _ = (crl.is_current(now), crl.revoked_count(), crl.crl_number(), crl.lists(&[1]));
        let _ = check_revocation(path, &[Arc::new(crl)], now, RevocationMode::Require);
    }
});
