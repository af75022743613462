//! TPM structures: `len(2) ‖ pubArea ‖ certInfo` placed into a real Windows Hello tpm statement.
#![no_main]

use std::sync::OnceLock;

use ciborium::Value;
use libfuzzer_sys::fuzz_target;
use mdsd_fuzz::Template;

fuzz_target!(|data: &[u8]| {
    static T: OnceLock<Template> = OnceLock::new();
    let t = T.get_or_init(|| {
        Template::from_vector("java-webauthn-server-tpm-RealExamples-WindowsHelloTpm")
    });
    let (pub_area, cert_info) = mdsd_fuzz::split_u16(data);
    let mut stmt = t.with("pubArea", Value::Bytes(pub_area.to_vec()));
    if let Some(e) = stmt.iter_mut().find(|(k, _)| k.as_text() == Some("certInfo")) {
        e.1 = Value::Bytes(cert_info.to_vec());
    }
    // The signature covers certInfo: only the unchanged certInfo can verify.
    let valid = t.verify(stmt);
    assert!(
        !valid
            || t.att_stmt.iter().any(|(k, v)| k.as_text() == Some("certInfo")
                && v.as_bytes().map(|b| b.as_slice()) == Some(cert_info))
    );
});
