//! Property tests over the real registration vectors (../shared/testdata/attestations): a
//! one-byte mutation of a signed part of a valid attestation is never `statement_valid`.
//!
//! What is signed, per format, without expectations (clientDataJSON is only hashed, so every
//! byte of it reaches the signature through clientDataHash):
//! - packed, tpm, android-key, apple: every byte of authData (signature, TPM extraData or Apple
//!   nonce over authData ‖ clientDataHash); `sig` (packed, tpm, android-key); tpm `certInfo`
//!   (signed by the AIK) and `pubArea` (its name is in certInfo); the leaf's subjectPublicKey
//!   (it verifies `sig`, or must equal the credential key: android-key, apple).
//! - fido-u2f: only rpIdHash, the credential ID and the credential key's x and y enter the
//!   signed data (FIDO U2F raw message §4.3); flags, signCount, AAGUID, the COSE encoding of
//!   the key and extensions are NOT signed. `sig` and the leaf's key are.
//! - android-safetynet: every byte of `response` (a JWS whose signature covers header and
//!   payload, whose nonce covers authData ‖ clientDataHash); `ver` is not signed.
//! - none: nothing is signed, so the property does not apply (none vectors are excluded).
//!
//! Not signed for any format: the encoding and order of the attestationObject map and of
//! attStmt, the `fmt` text (but changing it changes the verification procedure), x5c
//! certificates other than the leaf, and the leaf's bytes outside its key (the statement does
//! not check the issuer's signature on the leaf; that is a trust question).
//!
//! Two properties: a mutation aimed at a signed span (structured, always in a signed byte) is
//! never valid; a mutation anywhere in the raw attestationObject that stays valid lies outside
//! every signed span. A plain test checks the baseline so neither property is vacuous.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::ops::Range;
use std::sync::OnceLock;

use ciborium::Value;
use mdsd::attestation::{AuthenticatorData, RegistrationInput, Verifier};
use mdsd::x509::Cert;
use mdsd_test_support::b64;
use mdsd_test_support::vectors::vectors_json;
use proptest::prelude::*;
use proptest::sample::Index;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Which byte string a signed span lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    AuthData,
    ClientData,
    /// A byte-string field of attStmt.
    Stmt(&'static str),
    /// The DER of x5c[0] (the span is its subjectPublicKey bits).
    Leaf,
}

/// A statement-valid vector, decomposed.
#[derive(Debug)]
struct Case {
    id: String,
    fmt: String,
    raw: Vec<u8>,
    att_stmt: Vec<(Value, Value)>,
    auth_data: Vec<u8>,
    client_data: Vec<u8>,
    now: OffsetDateTime,
    /// Signed spans, relative to their part.
    signed: Vec<(Part, Range<usize>)>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn field<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| Verifier::with_cache_capacity(Default::default(), 0))
}

fn statement_valid(object: &[u8], client_data: &[u8], now: OffsetDateTime) -> bool {
    let input = RegistrationInput {
        attestation_object: object,
        client_data_json: client_data,
        expectations: None,
    };
    verifier().verify_registration(&input, None, now).statement_valid
}

fn encode(fmt: &str, att_stmt: &[(Value, Value)], auth_data: &[u8]) -> Vec<u8> {
    let map = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(att_stmt.to_vec())),
        (Value::Text("authData".into()), Value::Bytes(auth_data.to_vec())),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

/// The signed spans of authData for fido-u2f: rpIdHash, credential ID, COSE x and y.
fn u2f_auth_data_spans(auth_data: &[u8]) -> Vec<(Part, Range<usize>)> {
    let parsed = AuthenticatorData::parse(auth_data).unwrap();
    let cred = parsed.attested_credential.unwrap();
    let id_start = 32 + 1 + 4 + 16 + 2;
    let mut spans = vec![(Part::AuthData, 0..32)];
    if !cred.credential_id.is_empty() {
        spans.push((Part::AuthData, id_start..id_start + cred.credential_id.len()));
    }
    let key_start = id_start + cred.credential_id.len();
    let key: Value = ciborium::from_reader(cred.public_key.raw.as_slice()).unwrap();
    for label in [-2i64, -3] {
        let coord = key
            .as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_integer().map(i128::from) == Some(i128::from(label)))
            .and_then(|(_, v)| v.as_bytes())
            .unwrap();
        let at = find(&cred.public_key.raw, coord).unwrap();
        spans.push((Part::AuthData, key_start + at..key_start + at + coord.len()));
    }
    spans
}

/// Vectors that verify at their `valid_at` (none excluded), with their signed spans.
fn cases() -> &'static [Case] {
    static C: OnceLock<Vec<Case>> = OnceLock::new();
    C.get_or_init(|| {
        let list = vectors_json();
        let mut out = Vec::new();
        for v in list {
            let object = b64(v["attestationObject_b64url"].as_str().unwrap());
            let client_data = b64(v["clientDataJSON_b64url"].as_str().unwrap());
            let now = v["valid_at"]
                .as_str()
                .map(|s| OffsetDateTime::parse(&s.replace("+00:00", "Z"), &Rfc3339).unwrap())
                .unwrap_or_else(|| {
                    OffsetDateTime::parse("2024-06-01T00:00:00Z", &Rfc3339).unwrap()
                });
            if !statement_valid(&object, &client_data, now) {
                continue;
            }
            let map =
                ciborium::from_reader::<Value, _>(object.as_slice()).unwrap().into_map().unwrap();
            let fmt = field(&map, "fmt").unwrap().as_text().unwrap().to_string();
            if fmt == "none" {
                continue;
            }
            let att_stmt = field(&map, "attStmt").unwrap().as_map().unwrap().clone();
            let auth_data = field(&map, "authData").unwrap().as_bytes().unwrap().clone();
            let mut signed = vec![(Part::ClientData, 0..client_data.len())];
            if fmt == "fido-u2f" {
                signed.extend(u2f_auth_data_spans(&auth_data));
            } else {
                signed.push((Part::AuthData, 0..auth_data.len()));
            }
            for key in ["sig", "certInfo", "pubArea", "response"] {
                if let Some(b) = field(&att_stmt, key).and_then(|v| v.as_bytes()) {
                    signed.push((Part::Stmt(key), 0..b.len()));
                }
            }
            let leaf = field(&att_stmt, "x5c")
                .and_then(|x| x.as_array())
                .and_then(|a| a.first())
                .and_then(|c| c.as_bytes());
            if let Some(leaf) = leaf {
                let cert = Cert::from_der(leaf).unwrap();
                let bits = cert.public_key_bits();
                let at = find(leaf, bits).unwrap();
                signed.push((Part::Leaf, at..at + bits.len()));
            }
            out.push(Case {
                id: v["id"].as_str().unwrap().to_string(),
                fmt,
                raw: object,
                att_stmt,
                auth_data,
                client_data,
                now,
                signed,
            });
        }
        out
    })
}

/// The bytes of `part` in a case.
fn part_bytes(case: &Case, part: Part) -> &[u8] {
    match part {
        Part::AuthData => &case.auth_data,
        Part::ClientData => &case.client_data,
        Part::Stmt(key) => field(&case.att_stmt, key).unwrap().as_bytes().unwrap(),
        Part::Leaf => {
            field(&case.att_stmt, "x5c").unwrap().as_array().unwrap()[0].as_bytes().unwrap()
        }
    }
}

/// Verifies `case` with byte `offset` of `part` XORed with `xor`.
fn verify_mutated(case: &Case, part: Part, offset: usize, xor: u8) -> bool {
    let mut bytes = part_bytes(case, part).to_vec();
    bytes[offset] ^= xor;
    let mut auth_data = case.auth_data.clone();
    let mut client_data = case.client_data.clone();
    let mut stmt = case.att_stmt.clone();
    match part {
        Part::AuthData => auth_data = bytes,
        Part::ClientData => client_data = bytes,
        Part::Stmt(key) => {
            stmt.iter_mut().find(|(k, _)| k.as_text() == Some(key)).unwrap().1 = Value::Bytes(bytes)
        }
        Part::Leaf => {
            let x5c = stmt.iter_mut().find(|(k, _)| k.as_text() == Some("x5c")).unwrap();
            let mut certs = x5c.1.as_array().unwrap().clone();
            certs[0] = Value::Bytes(bytes);
            x5c.1 = Value::Array(certs);
        }
    }
    statement_valid(&encode(&case.fmt, &stmt, &auth_data), &client_data, case.now)
}

/// Signed spans mapped into the raw attestationObject (clientDataJSON is not in it).
fn raw_signed_spans(case: &Case) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (part, span) in &case.signed {
        if *part == Part::ClientData {
            continue;
        }
        let base = find(&case.raw, part_bytes(case, *part)).unwrap();
        out.push(base + span.start..base + span.end);
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn baseline_reencoded_vectors_stay_valid() {
    // Non-vacuity: the cases exist, cover the signed formats, and re-encoding the outer CBOR
    // (an unsigned change) keeps every one valid, so only the mutation can make them invalid.
    let cases = cases();
    assert!(cases.len() >= 90, "only {} statement-valid vectors", cases.len());
    for fmt in ["packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple"] {
        assert!(cases.iter().any(|c| c.fmt == fmt), "no valid {fmt} vector");
    }
    for case in cases {
        let object = encode(&case.fmt, &case.att_stmt, &case.auth_data);
        assert!(statement_valid(&object, &case.client_data, case.now), "{}", case.id);
        assert!(!raw_signed_spans(case).is_empty(), "{}", case.id);
    }
}

#[test]
fn u2f_unsigned_auth_data_bytes_are_really_unsigned() {
    // Shows the fido-u2f span list is not too generous: the signCount is outside it and a
    // changed signCount still verifies (FIDO U2F signs neither flags nor counter).
    let case = cases().iter().find(|c| c.fmt == "fido-u2f").expect("a fido-u2f vector");
    assert!(case.signed.iter().all(|(p, r)| *p != Part::AuthData || !r.contains(&35)));
    assert!(verify_mutated(case, Part::AuthData, 35, 0x01), "{}", case.id);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn signed_byte_mutation_is_never_valid(which in any::<Index>(), span in any::<Index>(), at in any::<Index>(), xor in 1u8..=255) {
        let case = which.get(cases());
        let (part, range) = span.get(&case.signed).clone();
        let offset = range.start + at.index(range.len());
        prop_assert!(
            !verify_mutated(case, part, offset, xor),
            "{}: {:?} byte {} ^ {:#04x} still statement_valid", case.id, part, offset, xor
        );
    }

    #[test]
    fn raw_mutation_that_stays_valid_is_unsigned(which in any::<Index>(), at in any::<Index>(), xor in 1u8..=255) {
        let case = which.get(cases());
        let offset = at.index(case.raw.len());
        let mut raw = case.raw.clone();
        raw[offset] ^= xor;
        if statement_valid(&raw, &case.client_data, case.now) {
            let spans = raw_signed_spans(case);
            prop_assert!(
                spans.iter().all(|s| !s.contains(&offset)),
                "{}: raw byte {} ^ {:#04x} in a signed span stays statement_valid", case.id, offset, xor
            );
        }
    }
}
