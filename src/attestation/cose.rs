//! COSE_Key (RFC 9052 §7, RFC 9053) credential public keys, and COSE algorithm identifiers.

use crate::crypto::{PublicKey, SignatureScheme};

use super::reason::Reason;

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

impl CoseKey {
    /// Decodes one COSE_Key from the start of `bytes`, returning it and the bytes consumed.
    pub fn parse_prefix(bytes: &[u8]) -> Result<(CoseKey, usize), Reason> {
        let _ = bytes;
        todo!("attestation: CoseKey::parse_prefix")
    }
}

/// The signature scheme for a COSE algorithm identifier (statements use DER ECDSA signatures).
/// Unknown or unsupported identifiers are an `UNSUPPORTED_ALGORITHM` reason naming the number.
pub fn scheme_for_alg(alg: i64) -> Result<SignatureScheme, Reason> {
    let _ = alg;
    todo!("attestation: scheme_for_alg")
}

/// The hash a COSE algorithm identifier uses (TPM extraData, ...).
pub fn digest_for_alg(alg: i64) -> Result<&'static ring::digest::Algorithm, Reason> {
    let _ = alg;
    todo!("attestation: digest_for_alg")
}
