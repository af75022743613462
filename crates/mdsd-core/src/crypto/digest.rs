//! Message digests (FIPS 180-4): every hash mdsd computes — fingerprints, key identifiers,
//! clientDataHash, nonces, TPM names — goes through here, so the core has one crypto boundary.
//!
//! ring is called only in this file and in the signature code of [`crate::crypto`]; the crate's
//! `clippy.toml` refuses `ring::digest` anywhere else.

use std::fmt;

/// A hash function mdsd computes, as named by a COSE algorithm (RFC 9053 §2), a TPM `nameAlg`
/// (TPM 2.0 Part 2 §9.27) or a signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-1: identifiers (the FIDO key identifier, TPM names of old TPMs) and legacy RS1
    /// signatures only, never a fingerprint mdsd trusts on its own.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// The FIPS 180-4 name, e.g. `"SHA-256"` (for messages).
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The digest of `data`.
    #[allow(clippy::disallowed_methods)] // the crypto boundary: ring is called here
    pub fn digest(self, data: &[u8]) -> Digest {
        Digest { algorithm: self, value: ring::digest::digest(self.ring(), data) }
    }

    #[allow(clippy::disallowed_types)] // the crypto boundary
    fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            DigestAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &ring::digest::SHA256,
            DigestAlgorithm::Sha384 => &ring::digest::SHA384,
            DigestAlgorithm::Sha512 => &ring::digest::SHA512,
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest value; its bytes are [`Digest::as_ref`].
#[derive(Clone, Copy)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    value: ring::digest::Digest,
}

impl Digest {
    /// The algorithm that made this digest.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        self.value.as_ref()
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Digest) -> bool {
        self.algorithm() == other.algorithm() && self.as_ref() == other.as_ref()
    }
}

impl Eq for Digest {}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm(), hex::encode(self.as_ref()))
    }
}

/// SHA-1 digest (for identifiers such as the FIDO key identifier, never for trust decisions).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    fixed(DigestAlgorithm::Sha1.digest(data))
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    fixed(DigestAlgorithm::Sha256.digest(data))
}

/// SHA-256 over data given in pieces (e.g. a cache key over several certificates).
#[allow(clippy::disallowed_types)] // the crypto boundary: wraps ring's streaming context
pub struct Sha256(ring::digest::Context);

impl Sha256 {
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the crypto boundary
    pub fn new() -> Sha256 {
        Sha256(ring::digest::Context::new(&ring::digest::SHA256))
    }

    /// Appends `data` to the hashed input.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The SHA-256 of everything passed to [`Sha256::update`].
    pub fn finish(self) -> [u8; 32] {
        fixed(Digest { algorithm: DigestAlgorithm::Sha256, value: self.0.finish() })
    }
}

impl Default for Sha256 {
    fn default() -> Sha256 {
        Sha256::new()
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sha256 { .. }")
    }
}

/// The digest as an array. `N` is the algorithm's output length at every call site (checked in
/// debug builds); copying by `zip` keeps the function free of panics all the same.
fn fixed<const N: usize>(digest: Digest) -> [u8; N] {
    debug_assert_eq!(digest.algorithm.output_len(), N);
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(digest.as_ref()) {
        *o = *b;
    }
    out
}
