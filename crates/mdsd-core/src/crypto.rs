//! Public keys, signature verification and digests: the one place that talks to `ring` (and
//! `p521`).
//!
//! Every signature mdsd checks — certificates, CRLs, the BLOB's JWS, attestation statements — goes
//! through [`PublicKey::verify`], so the set of supported algorithms is defined here once; every
//! hash goes through [`DigestAlgorithm::digest`] ([`sha256`], [`sha1`] and the streaming
//! [`Sha256`] are shorthands). The crate's `clippy.toml` disallows ring's digest and verification
//! entry points (and p521's key constructor) everywhere else; the functions here that call them
//! say so with an `allow`.

mod digest;

use thiserror::Error;

pub use digest::{sha1, sha256, Digest, DigestAlgorithm, Sha256};

/// A signature scheme: hash, padding/curve and the encoding of the signature bytes.
///
/// ECDSA signatures come in two encodings: ASN.1 DER (X.509, CRLs, WebAuthn statements) and the
/// fixed-width `r‖s` form of JOSE (RFC 7518 §3.4). They are different schemes here on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    RsaPkcs1Sha1,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    /// ECDSA, DER-encoded signature.
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    /// ECDSA, JOSE fixed-width `r‖s` signature.
    EcdsaSha256Fixed,
    EcdsaSha384Fixed,
    EcdsaSha512Fixed,
    Ed25519,
}

/// Named elliptic curves mdsd knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Curve {
    P256,
    P384,
    P521,
}

/// A public key, as found in a certificate's SubjectPublicKeyInfo or a COSE key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// RSA: big-endian modulus and exponent without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// EC: uncompressed SEC1 point (`0x04‖x‖y`).
    Ec { curve: Curve, point: Vec<u8> },
    /// Ed25519: the 32-byte public key.
    Ed25519(Vec<u8>),
    /// A key type mdsd cannot use (kept so errors can name it).
    Unsupported { algorithm: String },
}

/// Why a signature did not verify.
///
/// The `Unsupported*` variants and [`SignatureError::RsaModulusSize`] say mdsd cannot check the
/// signature (all read "unsupported key or algorithm: …"); [`SignatureError::Invalid`] says the
/// check ran and failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The scheme needs another key type (e.g. an ES256 JWS header with an RSA leaf).
    #[error("signature scheme {scheme:?} cannot be used with a {key} key")]
    SchemeKeyMismatch { scheme: SignatureScheme, key: String },
    /// A key type mdsd recognises but cannot verify with ([`PublicKey::Unsupported`]: Ed448,
    /// ML-DSA, secp256k1, unknown SubjectPublicKeyInfo algorithms).
    #[error("unsupported key or algorithm: key algorithm {algorithm} (scheme {scheme:?})")]
    UnsupportedKey { algorithm: String, scheme: SignatureScheme },
    /// An ECDSA hash this curve is not verified with (P-256 and P-384 with SHA-256 or SHA-384,
    /// P-521 with SHA-512 only).
    #[error("unsupported key or algorithm: {scheme:?} with an EC {} key", .curve.name())]
    UnsupportedCurveScheme { curve: Curve, scheme: SignatureScheme },
    /// An RSA modulus outside what the scheme accepts: [`RSA_MIN_BITS_LEGACY`] or
    /// [`RSA_MIN_BITS_STRICT`] up to [`RSA_MAX_BITS`].
    #[error(
        "unsupported key or algorithm: RSA-{bits} with {scheme:?}: modulus must have \
         {min_bits}..{max_bits} bits"
    )]
    RsaModulusSize { bits: usize, min_bits: usize, max_bits: usize, scheme: SignatureScheme },
    /// The signatureAlgorithm of a certificate or CRL (`signed`) is not one mdsd supports, or
    /// differs from the one inside the signed part (RFC 5280 §4.1.1.2, §5.1.1.2).
    #[error("unsupported key or algorithm: {signed} signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm { signed: &'static str, oid: String },
    /// The public key is not a valid key of its type.
    #[error("malformed public key: {0}")]
    MalformedKey(MalformedKey),
    #[error("signature does not verify")]
    Invalid,
}

/// How a public key is broken (the evidence of [`SignatureError::MalformedKey`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MalformedKey {
    /// Not a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; x509-parser's words).
    #[error("SubjectPublicKeyInfo: {detail}")]
    Spki { detail: String },
    #[error("trailing bytes after SubjectPublicKeyInfo")]
    SpkiTrailingBytes,
    /// RSAPublicKey (RFC 8017 A.1.1) that parses only leniently: not its exact DER encoding.
    #[error("RSAPublicKey is not DER")]
    RsaNotDer,
    #[error("RSAPublicKey does not parse")]
    RsaUnparsable,
    #[error("RSA modulus or exponent is zero")]
    RsaZero,
    /// A COSE EC2 coordinate longer than the curve's field (RFC 9053 §7.1.1).
    #[error("EC {curve} coordinate {coordinate} is {len} bytes, more than {max}")]
    EcCoordinateTooLong { curve: Curve, coordinate: &'static str, len: usize, max: usize },
    /// Not an uncompressed SEC 1 point `0x04 || x || y` of the curve's size.
    #[error("EC {curve} point of {len} bytes is not an uncompressed point of {expected} bytes")]
    EcPointEncoding { curve: Curve, len: usize, expected: usize },
    /// A well-formed P-521 point that is not on the curve.
    #[error("EC {curve} point is not on the curve")]
    EcPointNotOnCurve { curve: Curve },
    #[error("Ed25519 key of {len} bytes, expected 32")]
    Ed25519Length { len: usize },
}

/// Dotted OIDs of the SubjectPublicKeyInfo algorithms and curves mdsd recognises.
mod oid {
    pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
    pub const ED25519: &str = "1.3.101.112";
    pub const ED448: &str = "1.3.101.113";
    pub const P256: &str = "1.2.840.10045.3.1.7";
    pub const P384: &str = "1.3.132.0.34";
    pub const P521: &str = "1.3.132.0.35";
}

/// Smallest RSA modulus accepted for PKCS#1 v1.5 with SHA-1, SHA-256 and SHA-512: attestation
/// certificates (old TPM and U2F CAs) still use 1024-bit keys, so ring's `*_1024_8192_*_LEGACY`
/// variants are used. ring has no legacy-size variant for SHA-384 and for PSS: those need
/// [`RSA_MIN_BITS_STRICT`] bits.
pub const RSA_MIN_BITS_LEGACY: usize = 1024;
/// Smallest RSA modulus accepted for PKCS#1 v1.5 SHA-384 and for RSASSA-PSS.
pub const RSA_MIN_BITS_STRICT: usize = 2048;
/// Largest RSA modulus accepted (ring's limit).
pub const RSA_MAX_BITS: usize = 8192;

impl Curve {
    /// Size in bytes of one field element (x, y, r or s).
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The curve's name as used in reports, e.g. `"P-256"`.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

impl std::fmt::Display for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PublicKey {
    /// Builds an RSA key from big-endian modulus and exponent, stripping leading zero bytes.
    pub fn rsa(n: &[u8], e: &[u8]) -> PublicKey {
        PublicKey::Rsa { n: strip_leading_zeros(n).to_vec(), e: strip_leading_zeros(e).to_vec() }
    }

    /// Builds an EC key from affine coordinates; `x` and `y` are left-padded to the curve size.
    ///
    /// Fails when a coordinate is longer than the curve allows (after removing leading zeros).
    pub fn ec(curve: Curve, x: &[u8], y: &[u8]) -> Result<PublicKey, SignatureError> {
        let size = curve.coordinate_len();
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(0x04);
        for (name, coord) in [("x", x), ("y", y)] {
            let coord = strip_leading_zeros(coord);
            if coord.len() > size {
                return Err(SignatureError::MalformedKey(MalformedKey::EcCoordinateTooLong {
                    curve,
                    coordinate: name,
                    len: coord.len(),
                    max: size,
                }));
            }
            point.resize(point.len() + (size - coord.len()), 0);
            point.extend_from_slice(coord);
        }
        Ok(PublicKey::Ec { curve, point })
    }

    /// Builds a key from a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
    ///
    /// Key types mdsd cannot use (DSA, Ed448, unknown curves, ...) become
    /// [`PublicKey::Unsupported`] naming the algorithm; only structurally broken input is an error.
    pub fn from_spki_der(spki: &[u8]) -> Result<PublicKey, SignatureError> {
        use x509_parser::prelude::FromDer;
        let (rest, info) =
            x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).map_err(|e| {
                SignatureError::MalformedKey(MalformedKey::Spki { detail: e.to_string() })
            })?;
        if !rest.is_empty() {
            return Err(SignatureError::MalformedKey(MalformedKey::SpkiTrailingBytes));
        }
        Self::from_spki(&info)
    }

    /// Builds a key from an already parsed SubjectPublicKeyInfo (see [`PublicKey::from_spki_der`]).
    pub fn from_spki(
        info: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
    ) -> Result<PublicKey, SignatureError> {
        let algorithm = info.algorithm.algorithm.to_id_string();
        let bits: &[u8] = &info.subject_public_key.data;
        match algorithm.as_str() {
            oid::RSA_ENCRYPTION => match info.parsed() {
                // RFC 8017 A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
                // INTEGER }, in DER: the parser also takes other outer tags and lengths, so the
                // bits must be exactly the DER encoding of what it read.
                Ok(x509_parser::public_key::PublicKey::RSA(rsa))
                    if der_rsa_public_key(rsa.modulus, rsa.exponent) != bits =>
                {
                    Err(SignatureError::MalformedKey(MalformedKey::RsaNotDer))
                }
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                    let key = PublicKey::rsa(rsa.modulus, rsa.exponent);
                    match &key {
                        PublicKey::Rsa { n, e } if !n.is_empty() && !e.is_empty() => Ok(key),
                        _ => Err(SignatureError::MalformedKey(MalformedKey::RsaZero)),
                    }
                }
                _ => Err(SignatureError::MalformedKey(MalformedKey::RsaUnparsable)),
            },
            oid::EC_PUBLIC_KEY => {
                let curve_oid = info
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                let curve = match curve_oid.as_deref() {
                    Some(oid::P256) => Curve::P256,
                    Some(oid::P384) => Curve::P384,
                    Some(oid::P521) => Curve::P521,
                    Some(other) => {
                        return Ok(PublicKey::Unsupported {
                            algorithm: format!("EC curve {other}"),
                        })
                    }
                    None => {
                        return Ok(PublicKey::Unsupported {
                            algorithm: "EC key without a named curve".into(),
                        })
                    }
                };
                let size = curve.coordinate_len();
                match bits.split_first() {
                    Some((0x04, xy)) if xy.len() == 2 * size => {
                        Ok(PublicKey::Ec { curve, point: bits.to_vec() })
                    }
                    Some((0x02 | 0x03, x)) if x.len() == size => Ok(PublicKey::Unsupported {
                        algorithm: format!("EC {} compressed point", curve.name()),
                    }),
                    _ => Err(SignatureError::MalformedKey(MalformedKey::EcPointEncoding {
                        curve,
                        len: bits.len(),
                        expected: 1 + 2 * size,
                    })),
                }
            }
            oid::ED25519 => {
                if bits.len() == 32 {
                    Ok(PublicKey::Ed25519(bits.to_vec()))
                } else {
                    Err(SignatureError::MalformedKey(MalformedKey::Ed25519Length {
                        len: bits.len(),
                    }))
                }
            }
            oid::ED448 => Ok(PublicKey::Unsupported { algorithm: "Ed448".into() }),
            other => Ok(PublicKey::Unsupported { algorithm: other.to_string() }),
        }
    }

    /// Human-readable key type, e.g. `"RSA-2048"`, `"EC P-256"`, `"Ed25519"`.
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { n, .. } => format!("RSA-{}", bit_len(n)),
            PublicKey::Ec { curve, .. } => format!("EC {}", curve.name()),
            PublicKey::Ed25519(_) => "Ed25519".to_string(),
            PublicKey::Unsupported { algorithm } => format!("unsupported ({algorithm})"),
        }
    }

    /// Verifies `signature` over `message` with this key under `scheme`.
    ///
    /// Fails with [`SignatureError::SchemeKeyMismatch`] when the scheme does not fit the key type
    /// (e.g. an ES256 JWS header with an RSA leaf), never silently.
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the crypto boundary: Ed25519
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        match self {
            PublicKey::Rsa { n, e } => verify_rsa(n, e, scheme, message, signature),
            PublicKey::Ec { curve, point } => verify_ec(*curve, point, scheme, message, signature),
            PublicKey::Ed25519(key) => {
                if scheme != SignatureScheme::Ed25519 {
                    return Err(self.mismatch(scheme));
                }
                ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
                    .verify(message, signature)
                    .map_err(|_| SignatureError::Invalid)
            }
            PublicKey::Unsupported { algorithm } => {
                Err(SignatureError::UnsupportedKey { algorithm: algorithm.clone(), scheme })
            }
        }
    }

    fn mismatch(&self, scheme: SignatureScheme) -> SignatureError {
        SignatureError::SchemeKeyMismatch { scheme, key: self.describe() }
    }
}

impl SignatureScheme {
    /// The scheme's family: which key type it needs.
    fn family(self) -> KeyFamily {
        use SignatureScheme::*;
        match self {
            RsaPkcs1Sha1 | RsaPkcs1Sha256 | RsaPkcs1Sha384 | RsaPkcs1Sha512 | RsaPssSha256
            | RsaPssSha384 | RsaPssSha512 => KeyFamily::Rsa,
            EcdsaSha256 | EcdsaSha384 | EcdsaSha512 | EcdsaSha256Fixed | EcdsaSha384Fixed
            | EcdsaSha512Fixed => KeyFamily::Ec,
            Ed25519 => KeyFamily::Ed25519,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyFamily {
    Rsa,
    Ec,
    Ed25519,
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the crypto boundary
fn verify_rsa(
    n: &[u8],
    e: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    use ring::signature as sig;
    use SignatureScheme::*;
    let key = PublicKey::Rsa { n: n.to_vec(), e: e.to_vec() };
    if scheme.family() != KeyFamily::Rsa {
        return Err(key.mismatch(scheme));
    }
    let (params, min_bits): (&sig::RsaParameters, usize) = match scheme {
        RsaPkcs1Sha1 => (&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_MIN_BITS_LEGACY),
        RsaPkcs1Sha256 => {
            (&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_MIN_BITS_LEGACY)
        }
        RsaPkcs1Sha384 => (&sig::RSA_PKCS1_2048_8192_SHA384, RSA_MIN_BITS_STRICT),
        RsaPkcs1Sha512 => {
            (&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY, RSA_MIN_BITS_LEGACY)
        }
        RsaPssSha256 => (&sig::RSA_PSS_2048_8192_SHA256, RSA_MIN_BITS_STRICT),
        RsaPssSha384 => (&sig::RSA_PSS_2048_8192_SHA384, RSA_MIN_BITS_STRICT),
        RsaPssSha512 => (&sig::RSA_PSS_2048_8192_SHA512, RSA_MIN_BITS_STRICT),
        _ => return Err(key.mismatch(scheme)),
    };
    let bits = bit_len(n);
    if bits < min_bits || bits > RSA_MAX_BITS {
        return Err(SignatureError::RsaModulusSize {
            bits,
            min_bits,
            max_bits: RSA_MAX_BITS,
            scheme,
        });
    }
    sig::RsaPublicKeyComponents { n, e }
        .verify(params, message, signature)
        .map_err(|_| SignatureError::Invalid)
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the crypto boundary
fn verify_ec(
    curve: Curve,
    point: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    use ring::signature as sig;
    use SignatureScheme::*;
    if scheme.family() != KeyFamily::Ec {
        return Err(SignatureError::SchemeKeyMismatch {
            scheme,
            key: format!("EC {}", curve.name()),
        });
    }
    if point.len() != 1 + 2 * curve.coordinate_len() || point.first() != Some(&0x04) {
        return Err(SignatureError::MalformedKey(MalformedKey::EcPointEncoding {
            curve,
            len: point.len(),
            expected: 1 + 2 * curve.coordinate_len(),
        }));
    }
    let fixed = matches!(scheme, EcdsaSha256Fixed | EcdsaSha384Fixed | EcdsaSha512Fixed);
    if curve == Curve::P521 {
        return verify_p521(point, scheme, fixed, message, signature);
    }
    let alg: &sig::EcdsaVerificationAlgorithm = match (curve, scheme) {
        (Curve::P256, EcdsaSha256 | EcdsaSha256Fixed) => &sig::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, EcdsaSha384 | EcdsaSha384Fixed) => &sig::ECDSA_P256_SHA384_ASN1,
        (Curve::P384, EcdsaSha256 | EcdsaSha256Fixed) => &sig::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, EcdsaSha384 | EcdsaSha384Fixed) => &sig::ECDSA_P384_SHA384_ASN1,
        _ => return Err(SignatureError::UnsupportedCurveScheme { curve, scheme }),
    };
    let der;
    let signature = if fixed {
        // RFC 7518 §3.4: r‖s, each exactly the curve's field size. ring has fixed variants only
        // for P-256/SHA-256 and P-384/SHA-384, so convert to DER and use one code path.
        der = fixed_to_der(signature, curve.coordinate_len())?;
        der.as_slice()
    } else {
        signature
    };
    sig::UnparsedPublicKey::new(alg, point)
        .verify(message, signature)
        .map_err(|_| SignatureError::Invalid)
}

#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the crypto boundary
fn verify_p521(
    point: &[u8],
    scheme: SignatureScheme,
    fixed: bool,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    use p521::ecdsa::signature::Verifier;
    if !matches!(scheme, SignatureScheme::EcdsaSha512 | SignatureScheme::EcdsaSha512Fixed) {
        return Err(SignatureError::UnsupportedCurveScheme { curve: Curve::P521, scheme });
    }
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| {
        SignatureError::MalformedKey(MalformedKey::EcPointNotOnCurve { curve: Curve::P521 })
    })?;
    let sig = if fixed {
        p521::ecdsa::Signature::from_slice(signature)
    } else {
        p521::ecdsa::Signature::from_der(signature)
    }
    .map_err(|_| SignatureError::Invalid)?;
    // p521's Verifier hashes the message with SHA-512.
    key.verify(message, &sig).map_err(|_| SignatureError::Invalid)
}

/// Converts a JOSE `r‖s` ECDSA signature (RFC 7518 §3.4) to ASN.1 DER `ECDSA-Sig-Value`.
fn fixed_to_der(signature: &[u8], size: usize) -> Result<Vec<u8>, SignatureError> {
    if signature.len() != 2 * size {
        return Err(SignatureError::Invalid);
    }
    let (r, s) = signature.split_at(size);
    let mut body = Vec::with_capacity(2 * size + 8);
    for int in [r, s] {
        let int = strip_leading_zeros(int);
        let needs_pad = int.first().is_none_or(|b| b & 0x80 != 0);
        body.push(0x02);
        push_der_len(&mut body, int.len() + usize::from(needs_pad));
        if needs_pad {
            body.push(0);
        }
        body.extend_from_slice(int);
    }
    let mut der = Vec::with_capacity(body.len() + 4);
    der.push(0x30);
    push_der_len(&mut der, body.len());
    der.extend_from_slice(&body);
    Ok(der)
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_len(bytes: &[u8]) -> usize {
    let bytes = strip_leading_zeros(bytes);
    match bytes.first() {
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// The DER encoding of RSAPublicKey { modulus, publicExponent } from the INTEGER contents.
fn der_rsa_public_key(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
        out.push(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            let significant = bytes.get(skip..).unwrap_or_default();
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
        out.extend_from_slice(content);
    }
    let mut body = Vec::with_capacity(modulus.len() + exponent.len() + 8);
    tlv(0x02, modulus, &mut body);
    tlv(0x02, exponent, &mut body);
    let mut out = Vec::with_capacity(body.len() + 4);
    tlv(0x30, &body, &mut out);
    out
}

#[cfg(test)]
mod tests;
