//! Each format's statement parser: `fmt selector(1) ‖ len(2) ‖ authData ‖ attStmt CBOR`, wrapped
//! into an attestationObject with a fixed clientDataJSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::attestation::RegistrationInput;

/// The formats, in selector order (selector byte modulo the count).
pub const FORMATS: [&str; 8] =
    ["packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple", "none", "compound"];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else { return };
    let fmt = FORMATS[usize::from(*selector) % FORMATS.len()];
    let (auth_data, stmt) = mdsd_fuzz::split_u16(rest);
    let Ok(att_stmt) = ciborium::from_reader::<ciborium::Value, _>(stmt) else { return };
    let object = mdsd_fuzz::attestation_object(fmt, att_stmt, auth_data);
    let input = RegistrationInput {
        attestation_object: &object,
        client_data_json: b"{\"type\":\"webauthn.create\"}",
        expectations: None,
    };
    let now = mdsd_fuzz::rfc3339("2024-06-01T00:00:00Z");
    let _ = mdsd_fuzz::verifier().verify_registration(&input, None, now);
});
