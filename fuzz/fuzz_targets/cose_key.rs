//! COSE_Key (RFC 9052 §7) as found in attested credential data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::attestation::CoseKey;

fuzz_target!(|data: &[u8]| {
    if let Ok((key, used)) = CoseKey::parse_prefix(data) {
        assert!(used <= data.len());
        assert_eq!(key.raw.as_slice(), &data[..used]);
        let _ = key.verify(b"message", &data[used..]);
    }
});
