//! An operator's metadata statement file: any bytes are a statement or an error naming the
//! file, never a panic; an accepted statement is an operator entry with a lookup key, at least
//! one attestation root and no status report (only the MDS issues them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::mds::parse_metadata_statement;
use mdsd::trust_store::Origin;

fuzz_target!(|data: &[u8]| {
    match parse_metadata_statement(data, "fuzz.json") {
        Ok(s) => {
            let e = &s.entry;
            assert!(matches!(e.origin(), Origin::Operator { .. }));
            assert!(e.aaguid().is_some() || e.aaid().is_some() || !e.key_identifiers().is_empty());
            assert!(!e.attestation_roots().is_empty());
            assert!(e.status_reports().is_empty());
        }
        Err(e) => assert!(e.to_string().contains("fuzz.json")),
    }
});
