//! Seed-corpus generator: extracts seeds for every fuzz target from ../shared/testdata into
//! fuzz/corpus/<target>/ (generated at run time, never committed).
//!
//! Run from fuzz/: `cargo +nightly run --example seeds`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value;
use mdsd::attestation::AuthenticatorData;
use mdsd_fuzz::{time_prefix, vectors, x5c, Template, SHARED};

const FORMATS: [&str; 8] =
    ["packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple", "none", "compound"];

fn u16_prefixed(a: &[u8]) -> Vec<u8> {
    let mut out = u16::try_from(a.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(a);
    out
}

fn cbor(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut seeds: BTreeMap<&str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut add = |target: &'static str, name: String, bytes: Vec<u8>| {
        seeds.entry(target).or_default().push((name, bytes));
    };
    for v in vectors() {
        let mut ao = time_prefix(v.valid_at).to_vec();
        ao.extend(u16_prefixed(&v.client_data_json));
        ao.extend_from_slice(&v.attestation_object);
        add("attestation_object", v.id.clone(), ao);

        let Ok(object) = ciborium::from_reader::<Value, _>(v.attestation_object.as_slice()) else {
            continue;
        };
        if object.as_map().is_none() {
            continue;
        }
        let t = Template::from_vector(&v.id);
        add("auth_data", v.id.clone(), t.auth_data.clone());
        if let Ok(a) = AuthenticatorData::parse(&t.auth_data) {
            if let Some(c) = a.attested_credential {
                add("cose_key", v.id.clone(), c.public_key.raw.clone());
            }
        }
        if let Some(sel) = FORMATS.iter().position(|f| *f == t.fmt) {
            let mut s = vec![u8::try_from(sel).unwrap()];
            s.extend(u16_prefixed(&t.auth_data));
            s.extend(cbor(&Value::Map(t.att_stmt.clone())));
            add("att_stmt", v.id.clone(), s);
        }
        let field = |k: &str| {
            t.att_stmt
                .iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .and_then(|(_, v)| v.as_bytes().cloned())
        };
        if let (Some(p), Some(c)) = (field("pubArea"), field("certInfo")) {
            let mut s = u16_prefixed(&p);
            s.extend(c);
            add("tpm_structs", v.id.clone(), s);
        }
        if let Some(r) = field("response") {
            add("safetynet_jws", v.id.clone(), r);
        }
        let chain = x5c(&t.att_stmt);
        if t.fmt == "android-key" {
            if let Some(leaf) = chain.first() {
                add("android_key_cert", v.id.clone(), leaf.clone());
            }
        }
        if !chain.is_empty() {
            let mut s = time_prefix(v.valid_at).to_vec();
            for c in &chain {
                s.extend(u16_prefixed(c));
            }
            add("x509_path", v.id.clone(), s);
        }
    }
    for entry in std::fs::read_dir(format!("{SHARED}/blobs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        if name.ends_with(".crl") {
            add("crl", name.clone(), bytes.clone());
            // The same CRL PEM-armoured (RFC 7468 §5), for the PEM branch of from_pem_or_der.
            let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let mut pem = String::from("-----BEGIN X509 CRL-----\n");
            for line in b64.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(line).unwrap());
                pem.push('\n');
            }
            pem.push_str("-----END X509 CRL-----\n");
            add("crl", format!("{name}.pem"), pem.into_bytes());
        }
        if name.ends_with(".jwt") {
            if bytes.len() <= 64 * 1024 {
                add("jws_blob", name.clone(), bytes.clone());
            }
            // blob_payload: the payload of a small BLOB whole; of a large one, every 16th
            // entry alone in a payload with the same top-level members.
            let payload = bytes
                .split(|b| *b == b'.')
                .nth(1)
                .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_ascii()).ok());
            if let Some(payload) = payload {
                // metadata_statement: every 8th entry's metadataStatement, as an operator's file.
                if let Ok(top) = serde_json::from_slice::<serde_json::Value>(&payload) {
                    let entries = top["entries"].as_array().cloned().unwrap_or_default();
                    for (i, entry) in entries.into_iter().enumerate().step_by(8) {
                        let statement = entry["metadataStatement"].to_string().into_bytes();
                        add("metadata_statement", format!("{name}-{i}"), statement);
                    }
                }
                if payload.len() <= 64 * 1024 {
                    add("blob_payload", name.clone(), payload);
                } else if let Ok(mut top) = serde_json::from_slice::<serde_json::Value>(&payload) {
                    let entries = top["entries"].as_array().cloned().unwrap_or_default();
                    for (i, entry) in entries.into_iter().enumerate().step_by(16) {
                        top["entries"] = serde_json::Value::Array(vec![entry]);
                        add("blob_payload", format!("{name}-{i}"), top.to_string().into_bytes());
                    }
                }
            }
            if let Ok(h) = mdsd::mds::parse_header(&bytes) {
                let mut s = time_prefix(mdsd_fuzz::rfc3339("2022-01-01T00:00:00Z")).to_vec();
                for c in h.x5c.unwrap_or_default() {
                    s.extend(u16_prefixed(&c));
                }
                add("x509_path", name.clone(), s);
            }
        }
    }
    for (target, list) in seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &list {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
        println!("{target}: {} seeds", list.len());
    }
}
