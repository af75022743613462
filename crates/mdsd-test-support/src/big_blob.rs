//! Generator of a large MDS3 BLOB for benchmarks: real entries of the 2024-12 production BLOB,
//! copied with unique AAGUIDs (and key identifiers / AAIDs), signed RS256 by a test PKI.
//!
//! Used by `benches/ingest.rs`, `examples/gen_big_blob.rs` and `examples/loadgen.rs`.

use serde_json::Value;
use time::OffsetDateTime;

use crate::pki::{self, t, KeyAlg, Spec};
use crate::{b64, blob};

/// The real BLOB the entries are copied from.
pub const SOURCE_BLOB: &str =
    shared_testdata_literal!("/blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt");

/// The generated BLOB's size floor: 16 MiB.
pub const MIN_BYTES: usize = 16 * 1024 * 1024;

/// A time inside the test PKI's validity and its CRLs' window ([`blob::at`]).
pub fn at() -> OffsetDateTime {
    blob::at()
}

/// A generated BLOB with what verifies it.
pub struct BigBlob {
    /// Compact JWS, RS256, x5c = [leaf (RSA-2048), CA (P-256)].
    pub blob: Vec<u8>,
    /// The root (P-256) to pin, DER.
    pub root_der: Vec<u8>,
    /// CRLs of the root and of the CA (both empty, valid 2024-05-01..2024-07-01), DER.
    pub crls: Vec<Vec<u8>>,
    /// The RSA leaf that signed (DER).
    pub leaf_der: Vec<u8>,
    /// Number of entries in the payload.
    pub entries: usize,
}

/// Builds a BLOB of at least `min_bytes` from the real entries of `source` (a compact JWS):
/// copy 0 is verbatim, copy k > 0 has every AAGUID, key identifier and AAID rewritten so that
/// each lookup key stays unique.
pub fn generate(source: &[u8], min_bytes: usize) -> BigBlob {
    let text = std::str::from_utf8(source).unwrap().trim_end();
    let payload_b64 = text.split('.').nth(1).unwrap();
    let payload: Value = serde_json::from_slice(&b64(payload_b64)).unwrap();
    let real: Vec<Value> = payload["entries"].as_array().unwrap().clone();
    let real_size: usize = real.iter().map(|e| e.to_string().len() + 1).sum();
    // base64url grows the payload by 4/3; add a margin for the header and signature.
    let target_json = min_bytes / 4 * 3 + 16 * 1024;
    let mut entries = Vec::new();
    let mut size = 0usize;
    let mut copy = 0u32;
    'outer: loop {
        for e in &real {
            let e = if copy == 0 { e.clone() } else { rewrite(e, copy) };
            size += e.to_string().len() + 1;
            entries.push(e);
            if size >= target_json && size >= real_size {
                break 'outer;
            }
        }
        copy += 1;
    }
    let count = entries.len();
    let mut payload = payload.clone();
    payload["entries"] = Value::from(entries);
    payload["no"] = Value::from(200u64);
    payload["nextUpdate"] = Value::from("2024-07-01");
    let payload = payload.to_string().into_bytes();

    let root = pki::root("Bench MDS root");
    let ca = pki::intermediate("Bench MDS CA", &root);
    let leaf = pki::issue(Spec::leaf("mds.bench.example").key(KeyAlg::Rsa2048), Some(&ca));
    let blob = blob::sign(&blob::header("RS256", &[&leaf, &ca]), &payload, &leaf);
    let crls =
        [&root, &ca].iter().map(|i| pki::crl(i, &[], t(2024, 5, 1), t(2024, 7, 1))).collect();
    BigBlob { blob, root_der: root.der.clone(), crls, leaf_der: leaf.der.clone(), entries: count }
}

/// Copy `copy` of a real entry, its lookup keys made unique (in the entry and its statement).
fn rewrite(entry: &Value, copy: u32) -> Value {
    let mut e = entry.clone();
    let fix_aaguid = |v: &mut Value| {
        if let Some(g) = v.as_str() {
            // Replace the first 8 hex digits: XOR with the copy number keeps copies apart.
            let head =
                u32::from_str_radix(&g[..8], 16).unwrap_or(0) ^ copy.wrapping_mul(0x9E37_79B9);
            *v = Value::from(format!("{head:08x}{}", &g[8..]));
        }
    };
    let fix_key_ids = |v: &mut Value| {
        if let Some(ids) = v.as_array_mut() {
            for id in ids {
                if let Some(s) = id.as_str() {
                    *id = Value::from(format!("{copy:08x}{}", s.get(8..).unwrap_or("")));
                }
            }
        }
    };
    let fix_aaid = |v: &mut Value| {
        if let Some(a) = v.as_str() {
            *v = Value::from(format!("{copy:04X}{}", a.get(4..).unwrap_or("")));
        }
    };
    if let Some(obj) = e.as_object_mut() {
        obj.get_mut("aaguid").map(fix_aaguid);
        obj.get_mut("attestationCertificateKeyIdentifiers").map(fix_key_ids);
        obj.get_mut("aaid").map(fix_aaid);
        if let Some(st) = obj.get_mut("metadataStatement").and_then(Value::as_object_mut) {
            st.get_mut("aaguid").map(fix_aaguid);
            st.get_mut("attestationCertificateKeyIdentifiers").map(fix_key_ids);
            st.get_mut("aaid").map(fix_aaid);
        }
    }
    e
}
