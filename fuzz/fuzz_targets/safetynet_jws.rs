//! The SafetyNet JWS: the fuzz input is the `response` of a real android-safetynet statement.
#![no_main]

use std::sync::OnceLock;

use ciborium::Value;
use libfuzzer_sys::fuzz_target;
use mdsd_fuzz::Template;

fuzz_target!(|data: &[u8]| {
    static T: OnceLock<Template> = OnceLock::new();
    let t = T.get_or_init(|| {
        Template::from_vector("py_webauthn-android-safetynet-verify-attestation-android-safetynet")
    });
    let _ = t.verify(t.with("response", Value::Bytes(data.to_vec())));
});
