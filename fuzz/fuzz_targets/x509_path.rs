//! Certificate parsing and path building: the input is `now(8)` then certificates as
//! `len(2) ‖ DER` records; the first is the leaf, the rest candidate intermediates; every
//! testdata root is an anchor; both profiles.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mdsd::x509::{build_path, Cert, PathBudget, PathProfile};

fuzz_target!(|data: &[u8]| {
    let (now, mut rest) = mdsd_fuzz::time_from(data);
    let mut certs = Vec::new();
    // Every round consumes at least one byte (or ends the input).
    while !rest.is_empty() && certs.len() < 32 {
        let (der, tail) = mdsd_fuzz::split_u16(rest);
        rest = tail;
        if let Ok(c) = Cert::from_der(der) {
            let _ = (c.fido_key_identifier(), c.signature_scheme(), c.extensions().len());
            certs.push(Arc::new(c));
        }
    }
    let Some((leaf, intermediates)) = certs.split_first() else { return };
    for profile in [PathProfile::Metadata, PathProfile::Attestation] {
        let anchors = mdsd_fuzz::all_anchors();
        if let Ok(p) = build_path(leaf, intermediates, anchors, now, profile, PathBudget::default())
        {
            assert!(Arc::ptr_eq(&p.anchor, &anchors[p.anchor_index].cert));
        }
    }
});
