//! Public keys and signature verification: the one place that talks to `ring` (and `p521`).
//!
//! Every signature mdsd checks — certificates, CRLs, the BLOB's JWS, attestation statements — goes
//! through [`PublicKey::verify`], so the set of supported algorithms is defined here once.

use thiserror::Error;

/// A signature scheme: hash, padding/curve and the encoding of the signature bytes.
///
/// ECDSA signatures come in two encodings: ASN.1 DER (X.509, CRLs, WebAuthn statements) and the
/// fixed-width `r‖s` form of JOSE (RFC 7518 §3.4). They are different schemes here on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
pub enum Curve {
    P256,
    P384,
    P521,
}

/// A public key, as found in a certificate's SubjectPublicKeyInfo or a COSE key.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("signature scheme {scheme:?} cannot be used with a {key} key")]
    SchemeKeyMismatch { scheme: SignatureScheme, key: String },
    #[error("unsupported key or algorithm: {0}")]
    Unsupported(String),
    #[error("malformed public key: {0}")]
    MalformedKey(String),
    #[error("signature does not verify")]
    Invalid,
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
                return Err(SignatureError::MalformedKey(format!(
                    "EC {} coordinate {name} is {} bytes, more than {size}",
                    curve.name(),
                    coord.len()
                )));
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
        let (rest, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki)
            .map_err(|e| SignatureError::MalformedKey(format!("SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(SignatureError::MalformedKey(
                "trailing bytes after SubjectPublicKeyInfo".into(),
            ));
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
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                    let key = PublicKey::rsa(rsa.modulus, rsa.exponent);
                    match &key {
                        PublicKey::Rsa { n, e } if !n.is_empty() && !e.is_empty() => Ok(key),
                        _ => Err(SignatureError::MalformedKey(
                            "RSA modulus or exponent is zero".into(),
                        )),
                    }
                }
                _ => Err(SignatureError::MalformedKey("RSAPublicKey does not parse".into())),
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
                    _ => Err(SignatureError::MalformedKey(format!(
                        "EC {} point of {} bytes is not an uncompressed point",
                        curve.name(),
                        bits.len()
                    ))),
                }
            }
            oid::ED25519 => {
                if bits.len() == 32 {
                    Ok(PublicKey::Ed25519(bits.to_vec()))
                } else {
                    Err(SignatureError::MalformedKey(format!(
                        "Ed25519 key of {} bytes, expected 32",
                        bits.len()
                    )))
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
            PublicKey::Unsupported { algorithm } => Err(SignatureError::Unsupported(format!(
                "key algorithm {algorithm} (scheme {scheme:?})"
            ))),
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
        return Err(SignatureError::Unsupported(format!(
            "{} with {scheme:?}: modulus must have {min_bits}..{RSA_MAX_BITS} bits",
            key.describe()
        )));
    }
    sig::RsaPublicKeyComponents { n, e }
        .verify(params, message, signature)
        .map_err(|_| SignatureError::Invalid)
}

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
        return Err(SignatureError::MalformedKey(format!(
            "EC {} point must be 0x04||x||y of {} bytes, got {}",
            curve.name(),
            1 + 2 * curve.coordinate_len(),
            point.len()
        )));
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
        _ => {
            return Err(SignatureError::Unsupported(format!(
                "{scheme:?} with an EC {} key",
                curve.name()
            )))
        }
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

fn verify_p521(
    point: &[u8],
    scheme: SignatureScheme,
    fixed: bool,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    use p521::ecdsa::signature::Verifier;
    if !matches!(scheme, SignatureScheme::EcdsaSha512 | SignatureScheme::EcdsaSha512Fixed) {
        return Err(SignatureError::Unsupported(format!("{scheme:?} with an EC P-521 key")));
    }
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
        .map_err(|_| SignatureError::MalformedKey("EC P-521 point is not on the curve".into()))?;
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

/// SHA-1 digest (for identifiers such as the FIDO key identifier, never for trust decisions).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(digest.as_ref());
    out
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{self as rs, KeyPair};

    /// Test-only RSA key, made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
    const RSA2048_PKCS8_PEM: &str = include_str!("../../mdsd-test-support/data/rsa2048.pk8.pem");
    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`, public SPKI (DER, hex)…
    const RSA1024_SPKI_HEX: &str = "30819f300d06092a864886f70d010101050003818d0030818902818100abc018b17ac62f441f3b3437b11a0c906cbe9f67de1c8b39b7756601bce5373b5e6c3f74bee8172a990eb2536807f181b8a700f5dbc66d2a0ff36cf1d4e9b0675dd08a32309477bf639f6d100dd26abb05612097e9e71694b61ed73f0b2d545899be1a8425f814d1cfe95932315d6421c8d0d2bdd33db9664d4f220b7aaa34b90203010001";
    /// … and `openssl dgst -sha1 -sign` over [`RSA1024_MSG`].
    const RSA1024_SHA1_SIG_HEX: &str = "30a1b6f791531027f029f7cf5ac5d3410df400cd3a882ef695169572c55b6037a794fd4316f8a027cd8fd69d939c0e4e7ee58b55729a76fff1dc27a7f1ece354c60407d64cca68853018df0a6fd66b873fd1c712e7370b23f15b2b94ba15cb8c11042de7578c8fe09d861405cddd90f10402624c886905ad3a0749b85a74cf5c";
    const RSA1024_MSG: &[u8] = b"mdsd legacy vector";
    const MSG: &[u8] = b"the message mdsd verifies";

    fn rsa2048() -> (rs::RsaKeyPair, PublicKey) {
        let der = pem::parse(RSA2048_PKCS8_PEM).unwrap().into_contents();
        let pair = rs::RsaKeyPair::from_pkcs8(&der).unwrap();
        let parts: rs::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
        let key = PublicKey::rsa(&parts.n, &parts.e);
        (pair, key)
    }

    fn ec_pair(signing: &'static rs::EcdsaSigningAlgorithm) -> rs::EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = rs::EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
        rs::EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap()
    }

    fn ec_key(curve: Curve, pair: &rs::EcdsaKeyPair) -> PublicKey {
        PublicKey::Ec { curve, point: pair.public_key().as_ref().to_vec() }
    }

    fn tampered() -> Vec<u8> {
        let mut m = MSG.to_vec();
        m[0] ^= 1;
        m
    }

    #[test]
    fn rsa_pkcs1_and_pss_verify_and_reject_tampering() {
        let (pair, key) = rsa2048();
        let rng = SystemRandom::new();
        let cases: [(&'static dyn rs::RsaEncoding, SignatureScheme); 6] = [
            (&rs::RSA_PKCS1_SHA256, SignatureScheme::RsaPkcs1Sha256),
            (&rs::RSA_PKCS1_SHA384, SignatureScheme::RsaPkcs1Sha384),
            (&rs::RSA_PKCS1_SHA512, SignatureScheme::RsaPkcs1Sha512),
            (&rs::RSA_PSS_SHA256, SignatureScheme::RsaPssSha256),
            (&rs::RSA_PSS_SHA384, SignatureScheme::RsaPssSha384),
            (&rs::RSA_PSS_SHA512, SignatureScheme::RsaPssSha512),
        ];
        for (encoding, scheme) in cases {
            let mut sig = vec![0; pair.public().modulus_len()];
            pair.sign(encoding, &rng, MSG, &mut sig).unwrap();
            assert_eq!(key.verify(scheme, MSG, &sig), Ok(()), "{scheme:?}");
            assert_eq!(key.verify(scheme, &tampered(), &sig), Err(SignatureError::Invalid));
        }
        // A PKCS#1 SHA-256 signature is not a PSS signature and not a SHA-512 one.
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(&rs::RSA_PKCS1_SHA256, &rng, MSG, &mut sig).unwrap();
        assert_eq!(
            key.verify(SignatureScheme::RsaPssSha256, MSG, &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(SignatureScheme::RsaPkcs1Sha512, MSG, &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(key.describe(), "RSA-2048");
    }

    #[test]
    fn rsa_1024_legacy_sha1_vector_verifies_but_pss_needs_2048_bits() {
        let key = PublicKey::from_spki_der(&hex::decode(RSA1024_SPKI_HEX).unwrap()).unwrap();
        assert_eq!(key.describe(), "RSA-1024");
        let sig = hex::decode(RSA1024_SHA1_SIG_HEX).unwrap();
        assert_eq!(key.verify(SignatureScheme::RsaPkcs1Sha1, RSA1024_MSG, &sig), Ok(()));
        assert_eq!(
            key.verify(SignatureScheme::RsaPkcs1Sha1, b"other", &sig),
            Err(SignatureError::Invalid)
        );
        assert!(matches!(
            key.verify(SignatureScheme::RsaPssSha256, RSA1024_MSG, &sig),
            Err(SignatureError::Unsupported(m)) if m.contains("2048")
        ));
        assert!(matches!(
            key.verify(SignatureScheme::RsaPkcs1Sha384, RSA1024_MSG, &sig),
            Err(SignatureError::Unsupported(_))
        ));
    }

    #[test]
    fn rsa_keys_below_1024_bits_are_unsupported() {
        let key = PublicKey::rsa(&[0xc3; 64], &[1, 0, 1]);
        assert!(matches!(
            key.verify(SignatureScheme::RsaPkcs1Sha256, MSG, &[0; 64]),
            Err(SignatureError::Unsupported(_))
        ));
    }

    #[test]
    fn ecdsa_p256_and_p384_der_and_fixed() {
        let cases = [
            (&rs::ECDSA_P256_SHA256_ASN1_SIGNING, Curve::P256, SignatureScheme::EcdsaSha256),
            (&rs::ECDSA_P256_SHA256_FIXED_SIGNING, Curve::P256, SignatureScheme::EcdsaSha256Fixed),
            (&rs::ECDSA_P384_SHA384_ASN1_SIGNING, Curve::P384, SignatureScheme::EcdsaSha384),
            (&rs::ECDSA_P384_SHA384_FIXED_SIGNING, Curve::P384, SignatureScheme::EcdsaSha384Fixed),
        ];
        let rng = SystemRandom::new();
        for (signing, curve, scheme) in cases {
            let pair = ec_pair(signing);
            let key = ec_key(curve, &pair);
            // Several signatures so both high-bit and low-bit r/s values go through fixed_to_der.
            for _ in 0..8 {
                let sig = pair.sign(&rng, MSG).unwrap();
                assert_eq!(key.verify(scheme, MSG, sig.as_ref()), Ok(()), "{scheme:?}");
                assert_eq!(
                    key.verify(scheme, &tampered(), sig.as_ref()),
                    Err(SignatureError::Invalid)
                );
            }
            // DER and fixed are different schemes: the other encoding does not verify.
            let sig = pair.sign(&rng, MSG).unwrap();
            let other = match scheme {
                SignatureScheme::EcdsaSha256 => SignatureScheme::EcdsaSha256Fixed,
                SignatureScheme::EcdsaSha256Fixed => SignatureScheme::EcdsaSha256,
                SignatureScheme::EcdsaSha384 => SignatureScheme::EcdsaSha384Fixed,
                _ => SignatureScheme::EcdsaSha384,
            };
            assert_eq!(key.verify(other, MSG, sig.as_ref()), Err(SignatureError::Invalid));
            assert!(matches!(
                key.verify(SignatureScheme::EcdsaSha512, MSG, sig.as_ref()),
                Err(SignatureError::Unsupported(_))
            ));
        }
    }

    #[test]
    fn ecdsa_fixed_signature_of_wrong_length_is_invalid() {
        let pair = ec_pair(&rs::ECDSA_P256_SHA256_FIXED_SIGNING);
        let key = ec_key(Curve::P256, &pair);
        let sig = pair.sign(&SystemRandom::new(), MSG).unwrap();
        let mut long = sig.as_ref().to_vec();
        long.push(0);
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &long),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &sig.as_ref()[..63]),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn fixed_to_der_pads_high_bit_and_strips_zeros() {
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80; // r = 0x80 00..00 → needs a 0x00 pad
        fixed[63] = 0x05; // s = 5 → leading zeros stripped
        let der = fixed_to_der(&fixed, 32).unwrap();
        let mut expected = vec![0x30, 33 + 2 + 3, 0x02, 33, 0x00, 0x80];
        expected.extend_from_slice(&[0; 31]);
        expected.extend_from_slice(&[0x02, 0x01, 0x05]);
        assert_eq!(der, expected);
        assert_eq!(fixed_to_der(&fixed[..63], 32), Err(SignatureError::Invalid));
    }

    #[test]
    fn ecdsa_p521_der_and_fixed() {
        use p521::ecdsa::signature::Signer;
        let signing = p521::ecdsa::SigningKey::from_slice(&[0x01; 66]).unwrap();
        let point =
            p521::ecdsa::VerifyingKey::from(&signing).to_encoded_point(false).as_bytes().to_vec();
        let key = PublicKey::Ec { curve: Curve::P521, point };
        let sig: p521::ecdsa::Signature = signing.sign(MSG);
        let der = sig.to_der();
        let fixed = sig.to_bytes();
        assert_eq!(key.verify(SignatureScheme::EcdsaSha512, MSG, der.as_bytes()), Ok(()));
        assert_eq!(key.verify(SignatureScheme::EcdsaSha512Fixed, MSG, &fixed), Ok(()));
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha512, &tampered(), der.as_bytes()),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha512Fixed, &tampered(), &fixed),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha512, MSG, &fixed),
            Err(SignatureError::Invalid)
        );
        assert!(matches!(
            key.verify(SignatureScheme::EcdsaSha256, MSG, der.as_bytes()),
            Err(SignatureError::Unsupported(_))
        ));
        assert_eq!(key.describe(), "EC P-521");
    }

    #[test]
    fn ed25519_verifies_and_rejects_other_schemes() {
        let rng = SystemRandom::new();
        let pkcs8 = rs::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = rs::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let key = PublicKey::Ed25519(pair.public_key().as_ref().to_vec());
        let sig = pair.sign(MSG);
        assert_eq!(key.verify(SignatureScheme::Ed25519, MSG, sig.as_ref()), Ok(()));
        assert_eq!(
            key.verify(SignatureScheme::Ed25519, &tampered(), sig.as_ref()),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha256, MSG, sig.as_ref()),
            Err(SignatureError::SchemeKeyMismatch {
                scheme: SignatureScheme::EcdsaSha256,
                key: "Ed25519".into()
            })
        );
    }

    #[test]
    fn scheme_key_mismatch_is_reported() {
        let (_, rsa) = rsa2048();
        let ec = ec_key(Curve::P256, &ec_pair(&rs::ECDSA_P256_SHA256_ASN1_SIGNING));
        assert_eq!(
            rsa.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &[0; 64]),
            Err(SignatureError::SchemeKeyMismatch {
                scheme: SignatureScheme::EcdsaSha256Fixed,
                key: "RSA-2048".into()
            })
        );
        assert_eq!(
            ec.verify(SignatureScheme::RsaPkcs1Sha256, MSG, &[0; 256]),
            Err(SignatureError::SchemeKeyMismatch {
                scheme: SignatureScheme::RsaPkcs1Sha256,
                key: "EC P-256".into()
            })
        );
        assert!(matches!(
            rsa.verify(SignatureScheme::Ed25519, MSG, &[0; 64]),
            Err(SignatureError::SchemeKeyMismatch { .. })
        ));
        assert!(matches!(
            ec.verify(SignatureScheme::Ed25519, MSG, &[0; 64]),
            Err(SignatureError::SchemeKeyMismatch { .. })
        ));
    }

    #[test]
    fn unsupported_key_names_its_algorithm() {
        let key = PublicKey::Unsupported { algorithm: "Ed448".into() };
        assert!(matches!(
            key.verify(SignatureScheme::Ed25519, MSG, &[0; 64]),
            Err(SignatureError::Unsupported(m)) if m.contains("Ed448")
        ));
    }

    #[test]
    fn malformed_ec_point_is_rejected() {
        let key = PublicKey::Ec { curve: Curve::P256, point: vec![0x04; 33] };
        assert!(matches!(
            key.verify(SignatureScheme::EcdsaSha256, MSG, &[0; 70]),
            Err(SignatureError::MalformedKey(_))
        ));
        let key = PublicKey::Ec { curve: Curve::P521, point: vec![0x04; 133] };
        assert!(matches!(
            key.verify(SignatureScheme::EcdsaSha512, MSG, &[0; 70]),
            Err(SignatureError::MalformedKey(_))
        ));
    }

    #[test]
    fn constructors_normalise() {
        assert_eq!(
            PublicKey::rsa(&[0, 0, 0xc1, 2], &[0, 1, 0, 1]),
            PublicKey::Rsa { n: vec![0xc1, 2], e: vec![1, 0, 1] }
        );
        let key = PublicKey::ec(Curve::P256, &[7; 31], &[0, 0, 0, 9]).unwrap();
        let PublicKey::Ec { point, .. } = &key else { panic!() };
        assert_eq!(point.len(), 65);
        assert_eq!(point[0], 4);
        assert_eq!(&point[1..3], &[0, 7]);
        assert_eq!(&point[33..64], &[0; 31]);
        assert_eq!(point[64], 9);
        // Leading zeros beyond the curve size are fine, more significant bytes are not.
        let mut x = vec![0; 40];
        x[39] = 1;
        assert!(PublicKey::ec(Curve::P256, &x, &[1]).is_ok());
        assert!(matches!(
            PublicKey::ec(Curve::P256, &[1; 33], &[1]),
            Err(SignatureError::MalformedKey(_))
        ));
    }

    #[test]
    fn spki_of_generated_keys() {
        for (alg, expected) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, "EC P-256"),
            (&rcgen::PKCS_ECDSA_P384_SHA384, "EC P-384"),
            (&rcgen::PKCS_ED25519, "Ed25519"),
        ] {
            let pair = rcgen::KeyPair::generate_for(alg).unwrap();
            let key = PublicKey::from_spki_der(&pair.public_key_der()).unwrap();
            assert_eq!(key.describe(), expected);
            let raw = pair.public_key_raw();
            match &key {
                PublicKey::Ec { point, .. } => assert_eq!(point.as_slice(), raw),
                PublicKey::Ed25519(k) => assert_eq!(k.as_slice(), raw),
                other => panic!("{other:?}"),
            }
        }
        let (_, rsa) = rsa2048();
        let der = pem::parse(RSA2048_PKCS8_PEM).unwrap().into_contents();
        let pair = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
        assert_eq!(PublicKey::from_spki_der(&pair.public_key_der()).unwrap(), rsa);
    }

    #[test]
    fn spki_unknown_curve_and_algorithm_are_unsupported_and_garbage_is_malformed() {
        // SPKI with id-ecPublicKey on secp256k1 (1.3.132.0.10).
        let mut spki = hex::decode("3056301006072a8648ce3d020106052b8104000a034200").unwrap();
        spki.push(4);
        spki.extend_from_slice(&[1; 64]);
        assert_eq!(
            PublicKey::from_spki_der(&spki).unwrap(),
            PublicKey::Unsupported { algorithm: "EC curve 1.3.132.0.10".into() }
        );
        // Ed448 (1.3.101.113).
        let mut spki = hex::decode("3043300506032b6571033a00").unwrap();
        spki.extend_from_slice(&[1; 57]);
        assert_eq!(
            PublicKey::from_spki_der(&spki).unwrap(),
            PublicKey::Unsupported { algorithm: "Ed448".into() }
        );
        assert!(matches!(
            PublicKey::from_spki_der(&[0x30, 0x03, 1, 2, 3]),
            Err(SignatureError::MalformedKey(_))
        ));
        // Ed25519 key of the wrong length.
        let mut spki = hex::decode("3022300506032b6570031900").unwrap();
        spki.extend_from_slice(&[1; 24]);
        assert!(matches!(PublicKey::from_spki_der(&spki), Err(SignatureError::MalformedKey(_))));
    }

    #[test]
    fn digests() {
        assert_eq!(hex::encode(sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
