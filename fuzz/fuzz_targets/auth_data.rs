//! authenticatorData (WebAuthn L3 §6.1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::attestation::AuthenticatorData;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = AuthenticatorData::parse(data) {
        let _ = a.aaguid();
        // AT and ED flags agree with what was parsed.
        assert_eq!(a.flags.attested_credential_data(), a.attested_credential.is_some());
        assert_eq!(a.flags.extension_data(), a.extensions.is_some());
    }
});
