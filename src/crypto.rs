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

impl PublicKey {
    /// Human-readable key type, e.g. `"RSA-2048"`, `"EC P-256"`, `"Ed25519"`.
    pub fn describe(&self) -> String {
        todo!("crypto: describe")
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
        let _ = (scheme, message, signature);
        todo!("crypto: verify")
    }
}
