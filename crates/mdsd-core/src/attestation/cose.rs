//! COSE_Key (RFC 9052 §7, RFC 9053) credential public keys, and COSE algorithm identifiers.
//!
//! Keys whose type mdsd recognises but cannot verify with (Ed448, ML-DSA, secp256k1) parse into a
//! [`CoseKey`] whose `key` is [`PublicKey::Unsupported`]: a `none` attestation of such a key is
//! still a valid statement, but any signature check with it is a clear `UNSUPPORTED_ALGORITHM`.

use ciborium::Value;
use thiserror::Error;

use crate::crypto::{Curve, DigestAlgorithm, PublicKey, SignatureScheme};

use super::reason::{Reason, ReasonCode};

/// A credential public key decoded from its COSE_Key form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoseKey {
    /// The COSE `alg` (label 3), e.g. -7 for ES256.
    pub alg: i64,
    /// The key material.
    pub key: PublicKey,
    /// The COSE_Key bytes as they appeared in authenticatorData.
    pub raw: Vec<u8>,
}

/// Nesting limit for one COSE_Key (a flat map; 4 leaves room for odd but harmless encodings).
pub const COSE_KEY_MAX_DEPTH: usize = 4;
/// Most entries a COSE_Key map may have.
pub const COSE_KEY_MAX_ENTRIES: usize = 32;

// COSE key types (RFC 9053 §7, draft-ietf-cose-dilithium for AKP).
const KTY_OKP: i128 = 1;
const KTY_EC2: i128 = 2;
const KTY_RSA: i128 = 3;
const KTY_AKP: i128 = 7;

// COSE_Key labels.
const LABEL_KTY: i128 = 1;
const LABEL_ALG: i128 = 3;
const LABEL_CRV_OR_N: i128 = -1;
const LABEL_X_OR_E: i128 = -2;
const LABEL_Y: i128 = -3;

impl CoseKey {
    /// Decodes one COSE_Key from the start of `bytes`, returning it and the bytes consumed.
    ///
    /// WebAuthn L3 §6.5.2: credentialPublicKey is a CBOR-encoded COSE_Key with `kty` and `alg`
    /// present; key type, curve and algorithm must agree.
    pub fn parse_prefix(bytes: &[u8]) -> Result<(CoseKey, usize), Reason> {
        let (value, consumed) = decode_prefix(bytes, COSE_KEY_MAX_DEPTH).map_err(|e| {
            Reason::new(ReasonCode::MalformedCredentialKey, format!("COSE_Key: {e}"))
        })?;
        let raw = bytes.get(..consumed).unwrap_or_default().to_vec();
        let entries = match &value {
            Value::Map(entries) => entries,
            _ => return Err(malformed("COSE_Key is not a CBOR map")),
        };
        if entries.len() > COSE_KEY_MAX_ENTRIES {
            return Err(malformed(format!("COSE_Key has {} entries", entries.len())));
        }
        check_no_duplicate_keys(&value).map_err(|e| malformed(e.to_string()))?;

        let kty = match lookup(entries, LABEL_KTY) {
            Some(v) => int(v).ok_or_else(|| {
                malformed(format!("COSE_Key kty is {} instead of an integer", kind(v)))
            })?,
            None => return Err(malformed("COSE_Key lacks kty (label 1)")),
        };
        let alg = match lookup(entries, LABEL_ALG) {
            Some(v) => int(v)
                .and_then(|a| i64::try_from(a).ok())
                .ok_or_else(|| malformed(format!("COSE_Key alg is {} not an integer", kind(v))))?,
            None => return Err(malformed("COSE_Key lacks alg (label 3)")),
        };

        let key = match kty {
            KTY_EC2 => ec2_key(entries, alg)?,
            KTY_RSA => rsa_key(entries, alg)?,
            KTY_OKP => okp_key(entries, alg)?,
            KTY_AKP => akp_key(entries, alg)?,
            other => {
                return Err(Reason::new(
                    ReasonCode::UnsupportedAlgorithm,
                    format!("COSE key type {other} is not supported (alg {alg})"),
                ))
            }
        };
        Ok((CoseKey { alg, key, raw }, consumed))
    }

    /// Verifies `signature` over `message` with this key under its own `alg`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Reason> {
        let scheme = scheme_for_alg(self.alg)?;
        self.key
            .verify(scheme, message, signature)
            .map_err(|e| super::reason::from_signature_error(&e, "credential key"))
    }
}

/// The signature scheme for a COSE algorithm identifier (statements use DER ECDSA signatures).
/// Unknown or unsupported identifiers are an `UNSUPPORTED_ALGORITHM` reason naming the number.
pub fn scheme_for_alg(alg: i64) -> Result<SignatureScheme, Reason> {
    // RFC 9053 §2, RFC 8812, RFC 9864 (fully specified ESP256/384/512, Ed25519).
    let scheme = match alg {
        -7 | -9 => SignatureScheme::EcdsaSha256,
        -35 | -51 => SignatureScheme::EcdsaSha384,
        -36 | -52 => SignatureScheme::EcdsaSha512,
        -37 => SignatureScheme::RsaPssSha256,
        -38 => SignatureScheme::RsaPssSha384,
        -39 => SignatureScheme::RsaPssSha512,
        -257 => SignatureScheme::RsaPkcs1Sha256,
        -258 => SignatureScheme::RsaPkcs1Sha384,
        -259 => SignatureScheme::RsaPkcs1Sha512,
        -65535 => SignatureScheme::RsaPkcs1Sha1,
        -8 | -19 => SignatureScheme::Ed25519,
        other => {
            return Err(Reason::new(
                ReasonCode::UnsupportedAlgorithm,
                format!("COSE algorithm {other} ({}) is not supported", alg_name(other)),
            ))
        }
    };
    Ok(scheme)
}

/// The hash a COSE algorithm identifier uses (TPM extraData, ...): RFC 9053 §2.1 (ES*), RFC 8230
/// §2 (PS*, RS*), RFC 9864 (ESP*), WebAuthn L3 §5.8.5 (RS1). EdDSA hashes internally: no single
/// message digest.
pub fn digest_for_alg(alg: i64) -> Result<DigestAlgorithm, Reason> {
    match alg {
        -7 | -9 | -37 | -257 => Ok(DigestAlgorithm::Sha256),
        -35 | -51 | -38 | -258 => Ok(DigestAlgorithm::Sha384),
        -36 | -52 | -39 | -259 => Ok(DigestAlgorithm::Sha512),
        -65535 => Ok(DigestAlgorithm::Sha1),
        other => Err(Reason::new(
            ReasonCode::UnsupportedAlgorithm,
            format!("COSE algorithm {other} ({}) has no single message digest", alg_name(other)),
        )),
    }
}

/// A readable name for a COSE algorithm number (for messages only).
pub fn alg_name(alg: i64) -> &'static str {
    match alg {
        -7 => "ES256",
        -9 => "ESP256",
        -35 => "ES384",
        -51 => "ESP384",
        -36 => "ES512",
        -52 => "ESP512",
        -37 => "PS256",
        -38 => "PS384",
        -39 => "PS512",
        -257 => "RS256",
        -258 => "RS384",
        -259 => "RS512",
        -65535 => "RS1",
        -8 => "EdDSA",
        -19 => "Ed25519",
        -53 => "Ed448",
        -47 => "ES256K",
        -48 => "ML-DSA-44",
        -49 => "ML-DSA-65",
        -50 => "ML-DSA-87",
        _ => "unknown",
    }
}

/// Why bytes are not one well-formed CBOR item within mdsd's bounds (RFC 8949; WebAuthn L3 §6.5.4
/// and CTAP2 §8 "canonical CBOR" for the maps).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum CborError {
    /// The item nests arrays, maps or tags deeper than the caller's limit: a bound on the work
    /// untrusted input can cause, not a malformation (callers report it as `LIMIT_EXCEEDED`
    /// where the limit is configurable).
    #[error("CBOR nesting deeper than {max_depth}")]
    NestingLimitExceeded { max_depth: usize },
    /// The input ends inside the item (RFC 8949 §3: a truncated data item is not well-formed).
    #[error("CBOR truncated")]
    Truncated,
    /// Not well-formed CBOR (RFC 8949 §3, Appendix F) at this byte offset.
    #[error("CBOR syntax error at byte {offset}")]
    Syntax { offset: usize },
    /// Well-formed but not a valid item for the decoder (e.g. an invalid UTF-8 text string,
    /// RFC 8949 §5.3.1), with the decoder's words and the byte offset when it knows one.
    #[error("CBOR: {detail}")]
    Invalid { offset: Option<usize>, detail: String },
    /// A map larger than [`MAX_MAP_ENTRIES`] (the duplicate check is quadratic).
    #[error("CBOR map has {entries} entries, more than {max}")]
    MapTooLarge { entries: usize, max: usize },
    /// A map with the same key twice (RFC 8949 §5.6: not valid; CTAP2 canonical CBOR).
    #[error("CBOR map has a duplicate key {key}")]
    DuplicateKey { key: String },
}

/// Decodes one CBOR item from the start of `bytes` with a nesting limit, returning it and the
/// number of bytes it occupied.
pub(crate) fn decode_prefix(bytes: &[u8], max_depth: usize) -> Result<(Value, usize), CborError> {
    let mut reader: &[u8] = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, max_depth)
        .map_err(|e| match e {
            ciborium::de::Error::RecursionLimitExceeded => {
                CborError::NestingLimitExceeded { max_depth }
            }
            // Reading from a slice fails only at its end.
            ciborium::de::Error::Io(_) => CborError::Truncated,
            ciborium::de::Error::Syntax(offset) => CborError::Syntax { offset },
            ciborium::de::Error::Semantic(offset, detail) => CborError::Invalid { offset, detail },
        })?;
    let consumed = bytes.len().saturating_sub(reader.len());
    Ok((value, consumed))
}

/// Most entries one CBOR map may have (the duplicate check is quadratic; real attestation
/// objects have maps of a handful of entries).
pub const MAX_MAP_ENTRIES: usize = 256;

/// Rejects maps (at any depth) with duplicate keys (RFC 8949 §5.6: such maps are not valid;
/// WebAuthn relies on CTAP2 canonical CBOR), and maps larger than [`MAX_MAP_ENTRIES`].
pub(crate) fn check_no_duplicate_keys(value: &Value) -> Result<(), CborError> {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Map(entries) => {
                if entries.len() > MAX_MAP_ENTRIES {
                    return Err(CborError::MapTooLarge {
                        entries: entries.len(),
                        max: MAX_MAP_ENTRIES,
                    });
                }
                for (i, (k, val)) in entries.iter().enumerate() {
                    if entries.iter().skip(i + 1).any(|(other, _)| other == k) {
                        return Err(CborError::DuplicateKey { key: describe_key(k) });
                    }
                    stack.push(k);
                    stack.push(val);
                }
            }
            Value::Array(items) => stack.extend(items.iter()),
            Value::Tag(_, inner) => stack.push(inner),
            _ => {}
        }
    }
    Ok(())
}

/// Looks up an integer label in a decoded CBOR map.
pub(crate) fn lookup(entries: &[(Value, Value)], label: i128) -> Option<&Value> {
    entries.iter().find(|(k, _)| int(k) == Some(label)).map(|(_, v)| v)
}

/// Looks up a text label in a decoded CBOR map.
pub(crate) fn lookup_text<'a>(entries: &'a [(Value, Value)], label: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| matches!(k, Value::Text(t) if t == label)).map(|(_, v)| v)
}

/// The integer value of a CBOR item, if it is one.
pub(crate) fn int(value: &Value) -> Option<i128> {
    match value {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

/// A short name for the CBOR type of `value` (for messages).
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) => "an integer",
        Value::Bytes(_) => "a byte string",
        Value::Float(_) => "a float",
        Value::Text(_) => "a text string",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Tag(_, _) => "a tagged item",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        _ => "an unknown CBOR item",
    }
}

fn describe_key(k: &Value) -> String {
    match k {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Text(t) => format!("{t:?}"),
        other => kind(other).to_string(),
    }
}

fn malformed(msg: impl Into<String>) -> Reason {
    Reason::new(ReasonCode::MalformedCredentialKey, msg)
}

fn bytes_field<'a>(
    entries: &'a [(Value, Value)],
    label: i128,
    what: &str,
) -> Result<&'a [u8], Reason> {
    match lookup(entries, label) {
        Some(Value::Bytes(b)) => Ok(b),
        Some(other) => Err(malformed(format!(
            "COSE_Key {what} (label {label}) is {} instead of a byte string",
            kind(other)
        ))),
        None => Err(malformed(format!("COSE_Key lacks {what} (label {label})"))),
    }
}

fn int_field(entries: &[(Value, Value)], label: i128, what: &str) -> Result<i128, Reason> {
    match lookup(entries, label) {
        Some(v) => int(v).ok_or_else(|| {
            malformed(format!("COSE_Key {what} (label {label}) is {} not an integer", kind(v)))
        }),
        None => Err(malformed(format!("COSE_Key lacks {what} (label {label})"))),
    }
}

fn alg_mismatch(alg: i64, key: &str) -> Reason {
    Reason::new(
        ReasonCode::MalformedCredentialKey,
        format!("COSE_Key alg {alg} ({}) does not fit a {key} key", alg_name(alg)),
    )
}

/// RFC 9053 §7.1.1: EC2 keys: crv, x, y (uncompressed form only).
fn ec2_key(entries: &[(Value, Value)], alg: i64) -> Result<PublicKey, Reason> {
    let crv = int_field(entries, LABEL_CRV_OR_N, "crv")?;
    let curve = match crv {
        1 => Curve::P256,
        2 => Curve::P384,
        3 => Curve::P521,
        8 => {
            if alg != -47 {
                return Err(alg_mismatch(alg, "secp256k1"));
            }
            return Ok(PublicKey::Unsupported { algorithm: "EC secp256k1 (ES256K)".into() });
        }
        other => {
            return Err(Reason::new(
                ReasonCode::UnsupportedAlgorithm,
                format!("COSE EC2 curve {other} is not supported"),
            ))
        }
    };
    // ES256/384/512 name only the hash (RFC 9053 §2.1); ESP256/384/512 (RFC 9864) fix the curve.
    let alg_ok = match alg {
        -7 | -35 | -36 => true,
        -9 => curve == Curve::P256,
        -51 => curve == Curve::P384,
        -52 => curve == Curve::P521,
        _ => false,
    };
    if !alg_ok {
        return Err(alg_mismatch(alg, &format!("EC2 {}", curve.name())));
    }
    let x = bytes_field(entries, LABEL_X_OR_E, "x")?;
    let y = match lookup(entries, LABEL_Y) {
        Some(Value::Bytes(b)) => b.as_slice(),
        Some(Value::Bool(_)) => {
            return Err(Reason::new(
                ReasonCode::UnsupportedAlgorithm,
                "COSE EC2 key with a compressed point (y is a sign bit) is not supported",
            ))
        }
        Some(other) => return Err(malformed(format!("COSE_Key y (label -3) is {}", kind(other)))),
        None => return Err(malformed("COSE_Key lacks y (label -3)")),
    };
    let size = curve.coordinate_len();
    if x.len() != size || y.len() != size {
        return Err(malformed(format!(
            "EC2 {} coordinates must be {size} bytes, got x {} and y {}",
            curve.name(),
            x.len(),
            y.len()
        )));
    }
    PublicKey::ec(curve, x, y).map_err(|e| malformed(e.to_string()))
}

/// RFC 8230 §4: RSA keys: n, e.
fn rsa_key(entries: &[(Value, Value)], alg: i64) -> Result<PublicKey, Reason> {
    if !matches!(alg, -37 | -38 | -39 | -257 | -258 | -259 | -65535) {
        return Err(alg_mismatch(alg, "RSA"));
    }
    let n = bytes_field(entries, LABEL_CRV_OR_N, "n")?;
    let e = bytes_field(entries, LABEL_X_OR_E, "e")?;
    let key = PublicKey::rsa(n, e);
    match &key {
        PublicKey::Rsa { n, e } if !n.is_empty() && !e.is_empty() => Ok(key),
        _ => Err(malformed("RSA modulus or exponent is zero")),
    }
}

/// RFC 9053 §7.2: OKP keys: crv, x.
fn okp_key(entries: &[(Value, Value)], alg: i64) -> Result<PublicKey, Reason> {
    let crv = int_field(entries, LABEL_CRV_OR_N, "crv")?;
    let x = bytes_field(entries, LABEL_X_OR_E, "x")?;
    match crv {
        6 => {
            if !matches!(alg, -8 | -19) {
                return Err(alg_mismatch(alg, "OKP Ed25519"));
            }
            if x.len() != 32 {
                return Err(malformed(format!("Ed25519 key of {} bytes, expected 32", x.len())));
            }
            Ok(PublicKey::Ed25519(x.to_vec()))
        }
        7 => {
            if !matches!(alg, -8 | -53) {
                return Err(alg_mismatch(alg, "OKP Ed448"));
            }
            if x.len() != 57 {
                return Err(malformed(format!("Ed448 key of {} bytes, expected 57", x.len())));
            }
            Ok(PublicKey::Unsupported { algorithm: "Ed448".into() })
        }
        other => Err(Reason::new(
            ReasonCode::UnsupportedAlgorithm,
            format!("COSE OKP curve {other} is not a supported signature curve"),
        )),
    }
}

/// draft-ietf-cose-dilithium: AKP keys (ML-DSA): pub (label -1). Recognised, not verifiable.
fn akp_key(entries: &[(Value, Value)], alg: i64) -> Result<PublicKey, Reason> {
    let expected_len = match alg {
        -48 => 1312,
        -49 => 1952,
        -50 => 2592,
        _ => return Err(alg_mismatch(alg, "AKP")),
    };
    let public = bytes_field(entries, LABEL_CRV_OR_N, "pub")?;
    if public.len() != expected_len {
        return Err(malformed(format!(
            "{} public key of {} bytes, expected {expected_len}",
            alg_name(alg),
            public.len()
        )));
    }
    Ok(PublicKey::Unsupported { algorithm: alg_name(alg).to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    fn i(n: i64) -> Value {
        Value::Integer(n.into())
    }

    fn ec2(alg: i64, crv: i64, len: usize) -> Value {
        Value::Map(vec![
            (i(1), i(2)),
            (i(3), i(alg)),
            (i(-1), i(crv)),
            (i(-2), Value::Bytes(vec![1; len])),
            (i(-3), Value::Bytes(vec![2; len])),
        ])
    }

    #[test]
    fn es256_p256_parses_and_reports_consumed_length() {
        let mut bytes = enc(&ec2(-7, 1, 32));
        let n = bytes.len();
        bytes.extend_from_slice(&[0xa0, 0xff]);
        let (key, consumed) = CoseKey::parse_prefix(&bytes).unwrap();
        assert_eq!(consumed, n);
        assert_eq!(key.alg, -7);
        assert_eq!(key.raw.len(), n);
        assert!(matches!(key.key, PublicKey::Ec { curve: Curve::P256, .. }));
    }

    #[test]
    fn ec2_wrong_coordinate_length_is_rejected() {
        let err = CoseKey::parse_prefix(&enc(&ec2(-7, 1, 31))).unwrap_err();
        assert_eq!(err.code, ReasonCode::MalformedCredentialKey);
    }

    #[test]
    fn ec2_with_rsa_alg_is_rejected() {
        let err = CoseKey::parse_prefix(&enc(&ec2(-257, 1, 32))).unwrap_err();
        assert_eq!(err.code, ReasonCode::MalformedCredentialKey);
    }

    #[test]
    fn esp256_requires_p256() {
        assert!(CoseKey::parse_prefix(&enc(&ec2(-9, 1, 32))).is_ok());
        assert!(CoseKey::parse_prefix(&enc(&ec2(-9, 2, 48))).is_err());
    }

    #[test]
    fn unknown_curve_is_unsupported() {
        let err = CoseKey::parse_prefix(&enc(&ec2(-7, 42, 32))).unwrap_err();
        assert_eq!(err.code, ReasonCode::UnsupportedAlgorithm);
    }

    #[test]
    fn missing_alg_is_rejected() {
        let v = Value::Map(vec![(i(1), i(1)), (i(-1), i(6)), (i(-2), Value::Bytes(vec![0; 32]))]);
        let err = CoseKey::parse_prefix(&enc(&v)).unwrap_err();
        assert!(err.message.contains("alg"), "{err}");
    }

    #[test]
    fn ed25519_and_ed448() {
        let ed = Value::Map(vec![
            (i(1), i(1)),
            (i(3), i(-8)),
            (i(-1), i(6)),
            (i(-2), Value::Bytes(vec![0; 32])),
        ]);
        let (key, _) = CoseKey::parse_prefix(&enc(&ed)).unwrap();
        assert!(matches!(key.key, PublicKey::Ed25519(_)));
        let ed448 = Value::Map(vec![
            (i(1), i(1)),
            (i(3), i(-8)),
            (i(-1), i(7)),
            (i(-2), Value::Bytes(vec![0; 57])),
        ]);
        let (key, _) = CoseKey::parse_prefix(&enc(&ed448)).unwrap();
        assert!(matches!(key.key, PublicKey::Unsupported { .. }));
        let err = key.verify(b"m", b"s").unwrap_err();
        assert_eq!(err.code, ReasonCode::UnsupportedAlgorithm);
    }

    #[test]
    fn rsa_parses() {
        let v = Value::Map(vec![
            (i(1), i(3)),
            (i(3), i(-257)),
            (i(-1), Value::Bytes(vec![0xc5; 256])),
            (i(-2), Value::Bytes(vec![1, 0, 1])),
        ]);
        let (key, _) = CoseKey::parse_prefix(&enc(&v)).unwrap();
        assert!(matches!(key.key, PublicKey::Rsa { .. }));
    }

    #[test]
    fn text_kty_is_rejected() {
        // SoloKey v2 firmware bug: kty "OKP" as text.
        let v = Value::Map(vec![
            (i(1), Value::Text("OKP".into())),
            (i(3), i(-8)),
            (i(-1), i(6)),
            (i(-2), Value::Bytes(vec![0; 32])),
        ]);
        let err = CoseKey::parse_prefix(&enc(&v)).unwrap_err();
        assert_eq!(err.code, ReasonCode::MalformedCredentialKey);
    }

    #[test]
    fn duplicate_labels_are_rejected() {
        let v = Value::Map(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(3), i(-7)),
            (i(-1), i(1)),
            (i(-2), Value::Bytes(vec![1; 32])),
            (i(-3), Value::Bytes(vec![2; 32])),
        ]);
        let err = CoseKey::parse_prefix(&enc(&v)).unwrap_err();
        assert!(err.message.contains("duplicate"), "{err}");
    }

    #[test]
    fn truncated_and_deep_cbor_is_rejected() {
        let bytes = enc(&ec2(-7, 1, 32));
        for cut in 0..bytes.len() {
            assert!(CoseKey::parse_prefix(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut deep = vec![0x81u8; 100];
        deep.push(0x00);
        let err = CoseKey::parse_prefix(&deep).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
    }

    #[test]
    fn decode_errors_are_told_apart() {
        let mut deep = vec![0x81u8; 100];
        deep.push(0x00);
        let err = decode_prefix(&deep, 4).unwrap_err();
        assert_eq!(err, CborError::NestingLimitExceeded { max_depth: 4 });
        assert_eq!(err.to_string(), "CBOR nesting deeper than 4");
        // The same item within the limit decodes.
        assert!(decode_prefix(&deep, 128).is_ok());
        // An array of two items with one present; an empty input.
        assert_eq!(decode_prefix(&[0x82, 0x01], 4).unwrap_err(), CborError::Truncated);
        assert_eq!(decode_prefix(&[], 4).unwrap_err(), CborError::Truncated);
        assert_eq!(CborError::Truncated.to_string(), "CBOR truncated");
        // Additional information 28 is reserved (RFC 8949 §3): not well-formed.
        let err = decode_prefix(&[0x81, 0x1c], 4).unwrap_err();
        assert!(matches!(err, CborError::Syntax { .. }), "{err:?}");
        assert!(err.to_string().starts_with("CBOR syntax error at byte "), "{err}");
        // A break code where an item must start: the decoder's own words.
        let err = decode_prefix(&[0x81, 0xff], 4).unwrap_err();
        assert!(matches!(&err, CborError::Invalid { detail, .. } if detail.contains("break")));
        assert!(err.to_string().starts_with("CBOR: "), "{err}");
    }

    #[test]
    fn key_shape_rejections() {
        let b = |n: usize| Value::Bytes(vec![1; n]);
        type Case = (Vec<(Value, Value)>, ReasonCode, &'static str);
        let cases: Vec<Case> = vec![
            (vec![(i(3), i(-7))], ReasonCode::MalformedCredentialKey, "lacks kty"),
            (vec![(i(1), i(9)), (i(3), i(-7))], ReasonCode::UnsupportedAlgorithm, "key type 9"),
            (
                vec![
                    (i(1), i(2)),
                    (i(3), i(-7)),
                    (i(-1), i(1)),
                    (i(-2), b(32)),
                    (i(-3), Value::Bool(true)),
                ],
                ReasonCode::UnsupportedAlgorithm,
                "compressed",
            ),
            (
                vec![(i(1), i(3)), (i(3), i(-7)), (i(-1), b(256)), (i(-2), b(3))],
                ReasonCode::MalformedCredentialKey,
                "RSA",
            ),
            (
                vec![
                    (i(1), i(3)),
                    (i(3), i(-257)),
                    (i(-1), Value::Bytes(vec![0; 4])),
                    (i(-2), b(3)),
                ],
                ReasonCode::MalformedCredentialKey,
                "zero",
            ),
            (
                vec![(i(1), i(1)), (i(3), i(-8)), (i(-1), i(6)), (i(-2), b(31))],
                ReasonCode::MalformedCredentialKey,
                "Ed25519 key of 31",
            ),
            (
                vec![(i(1), i(1)), (i(3), i(-7)), (i(-1), i(6)), (i(-2), b(32))],
                ReasonCode::MalformedCredentialKey,
                "OKP Ed25519",
            ),
            (
                vec![(i(1), i(1)), (i(3), i(-8)), (i(-1), i(4)), (i(-2), b(32))],
                ReasonCode::UnsupportedAlgorithm,
                "OKP curve 4",
            ),
            (
                vec![(i(1), i(7)), (i(3), i(-48)), (i(-1), b(100))],
                ReasonCode::MalformedCredentialKey,
                "ML-DSA-44",
            ),
            (
                vec![(i(1), i(7)), (i(3), i(-7)), (i(-1), b(1312))],
                ReasonCode::MalformedCredentialKey,
                "AKP",
            ),
            (
                vec![(i(1), i(2)), (i(3), i(-7)), (i(-1), i(1)), (i(-2), i(5)), (i(-3), b(32))],
                ReasonCode::MalformedCredentialKey,
                "byte string",
            ),
        ];
        for (entries, code, needle) in cases {
            let err = CoseKey::parse_prefix(&enc(&Value::Map(entries))).unwrap_err();
            assert_eq!(err.code, code, "{needle}: {err}");
            assert!(err.message.contains(needle), "{needle}: {err}");
        }
        let not_map = CoseKey::parse_prefix(&enc(&i(1))).unwrap_err();
        assert!(not_map.message.contains("not a CBOR map"));
        // ML-DSA keys of the right size parse, as unsupported.
        let (k, _) = CoseKey::parse_prefix(&enc(&Value::Map(vec![
            (i(1), i(7)),
            (i(3), i(-48)),
            (i(-1), b(1312)),
        ])))
        .unwrap();
        assert_eq!(k.key, PublicKey::Unsupported { algorithm: "ML-DSA-44".into() });
    }

    #[test]
    fn huge_maps_are_rejected() {
        let big = Value::Map((0..300).map(|n| (i(n), i(0))).collect());
        let err = check_no_duplicate_keys(&big).unwrap_err();
        assert_eq!(err, CborError::MapTooLarge { entries: 300, max: MAX_MAP_ENTRIES });
        assert!(err.to_string().contains("300 entries"), "{err}");
        let ok = Value::Array(vec![Value::Map((0..200).map(|n| (i(n), i(0))).collect())]);
        assert!(check_no_duplicate_keys(&ok).is_ok());
        let dup = Value::Array(vec![Value::Map(vec![(i(1), i(0)), (i(1), i(1))])]);
        assert_eq!(check_no_duplicate_keys(&dup), Err(CborError::DuplicateKey { key: "1".into() }));
    }

    #[test]
    fn schemes_and_digests() {
        assert_eq!(scheme_for_alg(-7).unwrap(), SignatureScheme::EcdsaSha256);
        assert_eq!(scheme_for_alg(-65535).unwrap(), SignatureScheme::RsaPkcs1Sha1);
        assert_eq!(scheme_for_alg(-8).unwrap(), SignatureScheme::Ed25519);
        let err = scheme_for_alg(-48).unwrap_err();
        assert_eq!(err.code, ReasonCode::UnsupportedAlgorithm);
        assert!(err.message.contains("ML-DSA-44"));
        assert_eq!(digest_for_alg(-258).unwrap(), DigestAlgorithm::Sha384);
        assert_eq!(digest_for_alg(-9).unwrap(), DigestAlgorithm::Sha256);
        assert_eq!(digest_for_alg(-65535).unwrap(), DigestAlgorithm::Sha1);
        assert!(digest_for_alg(-8).is_err());
    }
}
