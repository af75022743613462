//! The MDS3 payload parser alone (`mds::parse_payload`, MDS3 §3.1.6 MetadataBLOBPayload): bytes
//! → trust store. In production it only ever sees payloads whose signature verified, so
//! `jws_blob` reaches it with unmodified seeds only; this target fuzzes it directly (the
//! compromised-signer / hostile-mirror-with-a-valid-signature case).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::mds::{parse_payload, PayloadLimits};

fuzz_target!(|data: &[u8]| {
    let limits = PayloadLimits { max_entries: 64, max_certs_per_entry: 16 };
    if let Ok(parsed) = parse_payload(data, &limits) {
        let entries = parsed.store.entries();
        assert!(entries.len() <= limits.max_entries);
        // Every stored entry with an AAGUID is found by it.
        for entry in entries {
            if let Some(aaguid) = entry.aaguid() {
                assert!(parsed.store.by_aaguid(&aaguid).is_some());
            }
        }
    }
});
