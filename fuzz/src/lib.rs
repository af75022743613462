//! Shared fixtures for the mdsd fuzz targets: real vectors, a real trust store, anchors and
//! attestation-statement templates from ../shared/testdata, each loaded once.
//!
//! Everything here runs once per process (in `OnceLock`s); the targets themselves are a few
//! lines over mdsd's public API. Fixture loading may panic: a broken fixture is a set-up error,
//! not a finding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value;
use mdsd::attestation::{Expectations, RegistrationInput, Verifier, VerifierOptions};
use mdsd::mds::{verify_blob, BlobVerifyOptions};
use mdsd::trust_store::TrustStore;
use mdsd::x509::{certs_from_pem_or_der, RevocationMode, TrustAnchor};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// ../shared/testdata, seen from the fuzz package.
pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata");

/// One registration vector of attestations/vectors.json, decoded.
#[derive(Debug, Clone)]
pub struct Vector {
    pub id: String,
    pub format: String,
    pub attestation_object: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub valid_at: OffsetDateTime,
}

pub fn b64url(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).unwrap()
}

pub fn rfc3339(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

/// All 130 vectors (`valid_at` defaults to 2024-06-01 when absent).
pub fn vectors() -> &'static [Vector] {
    static V: OnceLock<Vec<Vector>> = OnceLock::new();
    V.get_or_init(|| {
        let raw = std::fs::read(format!("{SHARED}/attestations/vectors.json")).unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_slice(&raw).unwrap();
        list.iter()
            .map(|v| Vector {
                id: v["id"].as_str().unwrap().to_string(),
                format: v["format"].as_str().unwrap().to_string(),
                attestation_object: b64url(v["attestationObject_b64url"].as_str().unwrap()),
                client_data_json: b64url(v["clientDataJSON_b64url"].as_str().unwrap()),
                valid_at: v["valid_at"]
                    .as_str()
                    .map(|s| rfc3339(&s.replace("+00:00", "Z")))
                    .unwrap_or_else(|| rfc3339("2024-06-01T00:00:00Z")),
            })
            .collect()
    })
}

pub fn vector(id: &str) -> &'static Vector {
    vectors().iter().find(|v| v.id == id).unwrap()
}

/// Certificates of every file in a testdata directory (PEM or DER), as anchors.
pub fn anchors_in(dir: &str) -> Vec<TrustAnchor> {
    let mut names: Vec<_> = std::fs::read_dir(format!("{SHARED}/{dir}"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pem") || n.ends_with(".crt") || n.ends_with(".der")
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for path in names {
        for cert in certs_from_pem_or_der(&std::fs::read(&path).unwrap()).unwrap() {
            let label = path.file_name().unwrap().to_string_lossy().to_string();
            out.push(TrustAnchor { cert: Arc::new(cert), label });
        }
    }
    out
}

/// Every root of testdata (BLOB roots and attestation roots).
pub fn all_anchors() -> &'static [TrustAnchor] {
    static A: OnceLock<Vec<TrustAnchor>> = OnceLock::new();
    A.get_or_init(|| {
        let mut a = anchors_in("blobs");
        a.extend(anchors_in("attestations/roots"));
        a
    })
}

/// The trust store of the real 2024-12-02 MDS BLOB (280 entries), verified without CRLs.
pub fn store() -> &'static TrustStore {
    static S: OnceLock<Arc<TrustStore>> = OnceLock::new();
    S.get_or_init(|| {
        let blob =
            std::fs::read(format!("{SHARED}/blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt")).unwrap();
        let mut opts = BlobVerifyOptions::new(mdsd::mds::builtin_roots());
        opts.revocation = RevocationMode::DangerSkip;
        verify_blob(&blob, &opts, rfc3339("2024-12-15T00:00:00Z")).unwrap().store
    })
}

/// A verifier with the attestation roots as extra anchors and no chain cache (so every
/// execution does the same work whatever ran before).
pub fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let options = VerifierOptions {
            extra_anchors: anchors_in("attestations/roots"),
            ..VerifierOptions::default()
        };
        Verifier::with_cache_capacity(options, 0)
    })
}

/// Splits `len(2 BE) ‖ first ‖ rest`. An input shorter than 2 bytes is all `first` (and `rest`
/// is empty), so a loop over records always ends.
pub fn split_u16(data: &[u8]) -> (&[u8], &[u8]) {
    match data {
        [a, b, rest @ ..] => {
            let n = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
            rest.split_at(n)
        }
        _ => (data, &[]),
    }
}

/// `now` from 8 bytes (unix seconds, clamped to 1990..2100), else 2024-06-01.
pub fn time_from(data: &[u8]) -> (OffsetDateTime, &[u8]) {
    match data.split_first_chunk::<8>() {
        Some((t, rest)) => {
            let secs = i64::from_be_bytes(*t).rem_euclid(3_500_000_000) + 631_152_000;
            (OffsetDateTime::from_unix_timestamp(secs).unwrap(), rest)
        }
        None => (rfc3339("2024-06-01T00:00:00Z"), data),
    }
}

/// Ceremony expectations for `client_data_json` (WebAuthn L3 §7.1 steps 7–15). With `derived`,
/// the challenge, origin and topOrigin are read from the JSON itself, so the matching branches
/// are reachable; otherwise they are fixed values no seed carries (the mismatch branches), with
/// an RP ID and both UP and UV required.
pub fn expectations_for(client_data_json: &[u8], derived: bool) -> Expectations {
    if !derived {
        return Expectations {
            rp_id: Some("example.com".into()),
            origins: vec!["https://example.com".into()],
            challenge: Some(b"fuzz challenge".to_vec()),
            top_origins: Some(Vec::new()),
            require_user_presence: true,
            require_user_verification: true,
        };
    }
    let json: serde_json::Value = serde_json::from_slice(client_data_json).unwrap_or_default();
    let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Expectations {
        rp_id: None,
        origins: text("origin").into_iter().collect(),
        challenge: text("challenge").and_then(|c| URL_SAFE_NO_PAD.decode(c).ok()),
        top_origins: Some(text("topOrigin").into_iter().collect()),
        require_user_presence: true,
        require_user_verification: false,
    }
}

/// Inverse of [`time_from`] for seeds.
pub fn time_prefix(t: OffsetDateTime) -> [u8; 8] {
    (t.unix_timestamp() - 631_152_000).to_be_bytes()
}

/// `{fmt, attStmt, authData}` in CBOR.
pub fn attestation_object(fmt: &str, att_stmt: Value, auth_data: &[u8]) -> Vec<u8> {
    let map = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), att_stmt),
        (Value::Text("authData".into()), Value::Bytes(auth_data.to_vec())),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

/// The pieces of a real vector's attestation object, to rebuild it around fuzzed parts.
#[derive(Debug, Clone)]
pub struct Template {
    pub fmt: String,
    pub att_stmt: Vec<(Value, Value)>,
    pub auth_data: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub now: OffsetDateTime,
}

impl Template {
    pub fn from_vector(id: &str) -> Template {
        let v = vector(id);
        let object: Value = ciborium::from_reader(v.attestation_object.as_slice()).unwrap();
        let map = object.into_map().unwrap();
        let get = |k: &str| map.iter().find(|(key, _)| key.as_text() == Some(k)).unwrap().1.clone();
        Template {
            fmt: get("fmt").into_text().unwrap(),
            att_stmt: get("attStmt").into_map().unwrap(),
            auth_data: get("authData").into_bytes().unwrap(),
            client_data_json: v.client_data_json.clone(),
            now: v.valid_at,
        }
    }

    /// A copy of the statement with `key` set to `value`.
    pub fn with(&self, key: &str, value: Value) -> Vec<(Value, Value)> {
        let mut stmt = self.att_stmt.clone();
        match stmt.iter_mut().find(|(k, _)| k.as_text() == Some(key)) {
            Some(entry) => entry.1 = value,
            None => stmt.push((Value::Text(key.into()), value)),
        }
        stmt
    }

    /// Verifies the template with `att_stmt` in place of its statement (no trust store).
    pub fn verify(&self, att_stmt: Vec<(Value, Value)>) -> bool {
        let object = attestation_object(&self.fmt, Value::Map(att_stmt), &self.auth_data);
        let input = RegistrationInput {
            attestation_object: &object,
            client_data_json: &self.client_data_json,
            expectations: None,
        };
        verifier().verify_registration(&input, None, self.now).statement_valid
    }
}

/// The x5c DER list of a statement.
pub fn x5c(stmt: &[(Value, Value)]) -> Vec<Vec<u8>> {
    stmt.iter()
        .find(|(k, _)| k.as_text() == Some("x5c"))
        .and_then(|(_, v)| v.as_array())
        .map(|a| a.iter().filter_map(|c| c.as_bytes().cloned()).collect())
        .unwrap_or_default()
}

/// The signing path of the FAKE conformance BLOB (leaf ← FAKE CA-1 FAKE ← FAKE Root FAKE), built
/// at 2019-01-01; the vertx-web CRLs are issued by its CA-1 and root.
pub fn fake_blob_path() -> mdsd::x509::VerifiedPath {
    use mdsd::x509::{build_path, Cert, PathBudget, PathProfile};
    let blob = std::fs::read(format!(
        "{SHARED}/blobs/webauthn-framework__conformance_VALID__26448d4dacea.jwt"
    ))
    .unwrap();
    let header = mdsd::mds::parse_header(&blob).unwrap();
    let certs: Vec<Arc<Cert>> =
        header.x5c.unwrap().iter().map(|d| Arc::new(Cert::from_der(d).unwrap())).collect();
    let anchors = anchors_in("blobs");
    build_path(
        &certs[0],
        &certs[1..],
        &anchors,
        rfc3339("2019-01-01T00:00:00Z"),
        PathProfile::Metadata,
        PathBudget::default(),
    )
    .unwrap()
}
