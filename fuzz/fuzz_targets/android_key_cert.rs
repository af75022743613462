//! The Android key description: the fuzz input replaces the leaf of a real android-key x5c.
#![no_main]

use std::sync::OnceLock;

use ciborium::Value;
use libfuzzer_sys::fuzz_target;
use mdsd_fuzz::Template;

fuzz_target!(|data: &[u8]| {
    static T: OnceLock<Template> = OnceLock::new();
    let t = T.get_or_init(|| {
        Template::from_vector(
            "py_webauthn-android-key-verify-attestation-android-key-hardware-authority",
        )
    });
    let mut x5c = mdsd_fuzz::x5c(&t.att_stmt);
    if let Some(leaf) = x5c.first_mut() {
        *leaf = data.to_vec();
    }
    let x5c = Value::Array(x5c.into_iter().map(Value::Bytes).collect());
    let _ = t.verify(t.with("x5c", x5c));
});
