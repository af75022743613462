//! Test kit for the tpm, android-key and android-safetynet unit tests: real vectors as
//! statement inputs, attStmt mutation, generated keys/certificates and small DER builders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, dead_code)]
// Reads the shared test vectors: the only I/O the core allows, in tests.
#![allow(clippy::disallowed_methods)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::attestation::{
    AuthenticatorData, Reason, ReasonCode, StatementInput, StatementOptions, StatementResult,
};

const VECTORS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/attestations/vectors.json");

pub(crate) type VerifyFn = fn(&StatementInput<'_>) -> StatementResult;

/// One statement to verify: attStmt, authenticatorData bytes, clientDataHash, time, options.
#[derive(Clone)]
pub(crate) struct Case {
    pub att_stmt: Value,
    pub auth_data: Vec<u8>,
    pub client_data_hash: [u8; 32],
    pub now: OffsetDateTime,
    pub options: StatementOptions,
}

impl Case {
    /// The vector `id` from vectors.json, at its `valid_at`, with default options.
    pub(crate) fn vector(id: &str) -> Case {
        let text = std::fs::read_to_string(VECTORS).expect("vectors.json");
        let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let v = all.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no vector {id}"));
        let object =
            URL_SAFE_NO_PAD.decode(v["attestationObject_b64url"].as_str().unwrap()).unwrap();
        let client_data =
            URL_SAFE_NO_PAD.decode(v["clientDataJSON_b64url"].as_str().unwrap()).unwrap();
        let Value::Map(map) = ciborium::from_reader::<Value, _>(object.as_slice()).unwrap() else {
            panic!("attestationObject is not a map")
        };
        let get = |k: &str| map.iter().find(|(key, _)| key.as_text() == Some(k)).unwrap().1.clone();
        let Value::Bytes(auth_data) = get("authData") else { panic!("authData") };
        Case {
            att_stmt: get("attStmt"),
            auth_data,
            client_data_hash: sha256(&client_data),
            now: OffsetDateTime::parse(v["valid_at"].as_str().unwrap(), &Rfc3339).unwrap(),
            options: StatementOptions::default(),
        }
    }

    /// Every vector id of `format` with its expected validity.
    pub(crate) fn vector_ids(format: &str) -> Vec<(String, bool)> {
        let text = std::fs::read_to_string(VECTORS).expect("vectors.json");
        let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        all.iter()
            .filter(|v| v["format"] == format)
            .map(|v| (v["id"].as_str().unwrap().to_string(), v["expected"] == "valid"))
            .collect()
    }

    pub(crate) fn run(&self, verify: VerifyFn) -> StatementResult {
        let auth_data = AuthenticatorData::parse(&self.auth_data).expect("authData parses");
        let input = StatementInput {
            att_stmt: &self.att_stmt,
            auth_data: &auth_data,
            auth_data_raw: &self.auth_data,
            client_data_hash: &self.client_data_hash,
            now: self.now,
            options: &self.options,
        };
        verify(&input)
    }

    fn entries(&mut self) -> &mut Vec<(Value, Value)> {
        match &mut self.att_stmt {
            Value::Map(m) => m,
            _ => panic!("attStmt is not a map"),
        }
    }

    /// Sets (or adds) attStmt[key].
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        let entries = self.entries();
        match entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)) {
            Some(slot) => slot.1 = value,
            None => entries.push((Value::Text(key.into()), value)),
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.entries().retain(|(k, _)| k.as_text() != Some(key));
    }

    pub(crate) fn get(&self, key: &str) -> Value {
        match &self.att_stmt {
            Value::Map(m) => m.iter().find(|(k, _)| k.as_text() == Some(key)).unwrap().1.clone(),
            _ => panic!("attStmt is not a map"),
        }
    }

    pub(crate) fn bytes(&self, key: &str) -> Vec<u8> {
        match self.get(key) {
            Value::Bytes(b) => b,
            other => panic!("attStmt.{key} is {other:?}"),
        }
    }

    /// Flips the lowest bit of byte `at(len)` of the byte string attStmt[key].
    pub(crate) fn flip_bit(&mut self, key: &str, at: impl FnOnce(usize) -> usize) {
        let mut bytes = self.bytes(key);
        let index = at(bytes.len());
        bytes[index] ^= 0x01;
        self.set(key, Value::Bytes(bytes));
    }

    /// attStmt.x5c as DER byte strings.
    pub(crate) fn x5c(&self) -> Vec<Vec<u8>> {
        match self.get("x5c") {
            Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::Bytes(b) => b,
                    _ => panic!("x5c item"),
                })
                .collect(),
            _ => panic!("x5c"),
        }
    }

    pub(crate) fn set_x5c(&mut self, certs: &[Vec<u8>]) {
        self.set("x5c", Value::Array(certs.iter().cloned().map(Value::Bytes).collect()));
    }
}

pub(crate) use crate::crypto::sha256;

/// Asserts a rejection with `code` whose message contains `needle`.
#[track_caller]
pub(crate) fn assert_rejected(result: &StatementResult, code: ReasonCode, needle: &str) {
    match result {
        Ok(_) => panic!("expected {code:?} ({needle}), got a valid statement"),
        Err(Reason { code: got, message }) => {
            assert_eq!(*got, code, "message: {message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }
}

/// An EC P-256 key usable both by rcgen (certificates) and ring (statement signatures).
pub(crate) struct EcKey {
    pub rcgen: rcgen::KeyPair,
    ring: ring::signature::EcdsaKeyPair,
}

impl EcKey {
    pub(crate) fn new() -> EcKey {
        let rcgen = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ring = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rcgen.serialize_der(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        EcKey { rcgen, ring }
    }

    /// DER ECDSA signature (COSE ES256 as statements carry it).
    pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.ring.sign(&ring::rand::SystemRandom::new(), msg).unwrap().as_ref().to_vec()
    }

    /// JOSE ES256 signature (r‖s).
    pub(crate) fn sign_fixed(&self, msg: &[u8]) -> Vec<u8> {
        let fixed = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &self.rcgen.serialize_der(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        fixed.sign(&ring::rand::SystemRandom::new(), msg).unwrap().as_ref().to_vec()
    }

    pub(crate) fn x(&self) -> Vec<u8> {
        self.rcgen.public_key_raw()[1..33].to_vec()
    }

    pub(crate) fn y(&self) -> Vec<u8> {
        self.rcgen.public_key_raw()[33..65].to_vec()
    }

    /// The COSE_Key (EC2, ES256) of this key.
    pub(crate) fn cose(&self) -> Vec<u8> {
        let key = Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer(2.into())),
            (Value::Integer(3.into()), Value::Integer((-7).into())),
            (Value::Integer((-1).into()), Value::Integer(1.into())),
            (Value::Integer((-2).into()), Value::Bytes(self.x())),
            (Value::Integer((-3).into()), Value::Bytes(self.y())),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&key, &mut out).unwrap();
        out
    }
}

/// authenticatorData with UP|AT, the given AAGUID and credential COSE key.
pub(crate) fn auth_data(aaguid: [u8; 16], cose_key: &[u8]) -> Vec<u8> {
    let mut out = sha256(b"example.com").to_vec();
    out.push(0x41);
    out.extend_from_slice(&[0, 0, 0, 7]);
    out.extend_from_slice(&aaguid);
    out.extend_from_slice(&[0, 16]);
    out.extend_from_slice(&[0xC1; 16]);
    out.extend_from_slice(cose_key);
    out
}

/// Certificate parameters valid 2024..2034 with the given subject (empty list: empty subject).
pub(crate) fn params(subject: &[(rcgen::DnType, &str)]) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.not_before = time::macros::datetime!(2024-01-01 0:00 UTC);
    p.not_after = time::macros::datetime!(2034-01-01 0:00 UTC);
    let mut dn = rcgen::DistinguishedName::new();
    for (t, v) in subject {
        dn.push(t.clone(), *v);
    }
    p.distinguished_name = dn;
    p
}

/// A self-signed test CA and its key.
pub(crate) fn test_ca() -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = params(&[(rcgen::DnType::CommonName, "mdsd test attestation CA")]);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    (p.self_signed(&key).unwrap(), key)
}

/// Minimal DER builders for extension values.
pub(crate) mod der {
    /// TLV with a one-byte tag.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend(len(content.len()));
        out.extend_from_slice(content);
        out
    }

    fn len(n: usize) -> Vec<u8> {
        if n < 0x80 {
            vec![n as u8]
        } else if n < 0x100 {
            vec![0x81, n as u8]
        } else {
            vec![0x82, (n >> 8) as u8, n as u8]
        }
    }

    pub(crate) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    pub(crate) fn set(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x31, &parts.concat())
    }

    pub(crate) fn int(v: i64) -> Vec<u8> {
        let bytes = v.to_be_bytes();
        let mut start = 0;
        while start < 7 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            if (b == 0 && next < 0x80) || (b == 0xff && next >= 0x80) {
                start += 1;
            } else {
                break;
            }
        }
        tlv(0x02, &bytes[start..])
    }

    pub(crate) fn enumerated(v: u8) -> Vec<u8> {
        tlv(0x0a, &[v])
    }

    pub(crate) fn octets(v: &[u8]) -> Vec<u8> {
        tlv(0x04, v)
    }

    pub(crate) fn null() -> Vec<u8> {
        vec![0x05, 0x00]
    }

    pub(crate) fn utf8(s: &str) -> Vec<u8> {
        tlv(0x0c, s.as_bytes())
    }

    pub(crate) fn oid(dotted: &str) -> Vec<u8> {
        let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
        let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
        for &arc in &arcs[2..] {
            let mut chunk = vec![(arc & 0x7f) as u8];
            let mut rest = arc >> 7;
            while rest > 0 {
                chunk.push(0x80 | (rest & 0x7f) as u8);
                rest >>= 7;
            }
            chunk.reverse();
            body.extend(chunk);
        }
        tlv(0x06, &body)
    }

    /// `[tag] EXPLICIT` (context-specific, constructed), including high tag numbers.
    pub(crate) fn explicit(tag: u32, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if tag < 31 {
            out.push(0xa0 | tag as u8);
        } else {
            out.push(0xbf);
            let mut chunk = vec![(tag & 0x7f) as u8];
            let mut rest = tag >> 7;
            while rest > 0 {
                chunk.push(0x80 | (rest & 0x7f) as u8);
                rest >>= 7;
            }
            chunk.reverse();
            out.extend(chunk);
        }
        out.extend(len(content.len()));
        out.extend_from_slice(content);
        out
    }
}
