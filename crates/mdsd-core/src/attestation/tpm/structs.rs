//! TPM 2.0 structures carried by the `tpm` attestation format (TPM 2.0 Library Part 2):
//! `TPMT_PUBLIC` (pubArea) and `TPMS_ATTEST` with `TPMS_CERTIFY_INFO` (certInfo).
//!
//! Parsing is strict: every size prefix is checked against the bytes left, every union
//! selector must be one this module knows (so the layout that follows is known), and no
//! trailing bytes are allowed. Values that mdsd does not judge (objectAttributes, clockInfo,
//! firmwareVersion, qualifiedName) are kept or skipped but never interpreted loosely.

use thiserror::Error;

use crate::crypto::{Curve, DigestAlgorithm, PublicKey};

/// TPM_ALG_ID values used here (TPM 2.0 Part 2 §6.3, Table 9).
pub(crate) mod alg {
    pub const RSA: u16 = 0x0001;
    pub const SHA1: u16 = 0x0004;
    pub const AES: u16 = 0x0006;
    pub const MGF1: u16 = 0x0007;
    pub const SHA256: u16 = 0x000B;
    pub const SHA384: u16 = 0x000C;
    pub const SHA512: u16 = 0x000D;
    pub const NULL: u16 = 0x0010;
    pub const SM4: u16 = 0x0013;
    pub const RSASSA: u16 = 0x0014;
    pub const RSAES: u16 = 0x0015;
    pub const RSAPSS: u16 = 0x0016;
    pub const OAEP: u16 = 0x0017;
    pub const ECDSA: u16 = 0x0018;
    pub const ECDH: u16 = 0x0019;
    pub const ECDAA: u16 = 0x001A;
    pub const SM2: u16 = 0x001B;
    pub const ECSCHNORR: u16 = 0x001C;
    pub const ECMQV: u16 = 0x001D;
    pub const KDF1_SP800_56A: u16 = 0x0020;
    pub const KDF2: u16 = 0x0021;
    pub const KDF1_SP800_108: u16 = 0x0022;
    pub const ECC: u16 = 0x0023;
    pub const CAMELLIA: u16 = 0x0026;
}

/// TPM_GENERATED_VALUE (TPM 2.0 Part 2 §6.2): every TPM-produced attestation starts with it.
pub(crate) const TPM_GENERATED_VALUE: u32 = 0xff54_4347;
/// TPM_ST_ATTEST_CERTIFY (TPM 2.0 Part 2 §6.9).
pub(crate) const TPM_ST_ATTEST_CERTIFY: u16 = 0x8017;

/// Largest pubArea / certInfo accepted (a 4096-bit RSA pubArea is about 600 bytes).
pub(crate) const MAX_STRUCTURE_LEN: usize = 4096;

/// Why pubArea or certInfo is not a well-formed TPM structure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum TpmError {
    #[error("{structure} is {len} bytes, more than the {max}-byte limit")]
    TooLong { structure: &'static str, len: usize, max: usize },
    #[error("{structure} is truncated in field {field} at offset {offset}")]
    Truncated { structure: &'static str, field: &'static str, offset: usize },
    #[error("{structure} has {count} trailing bytes")]
    TrailingBytes { structure: &'static str, count: usize },
    /// A union selector or enumerated value this parser does not know: the layout that follows
    /// it cannot be determined, so the structure is rejected.
    #[error("{structure}: unsupported {field} 0x{value:04x}")]
    Unsupported { structure: &'static str, field: &'static str, value: u16 },
    #[error("{structure}: {message}")]
    Invalid { structure: &'static str, message: String },
    /// TPM 2.0 Part 2 §10.12.8: `magic` must be TPM_GENERATED_VALUE.
    #[error("certInfo magic is 0x{found:08x}, not TPM_GENERATED_VALUE 0xff544347")]
    BadMagic { found: u32 },
    /// WebAuthn L3 §8.3.2: `type` must be TPM_ST_ATTEST_CERTIFY.
    #[error("certInfo type is 0x{found:04x}, not TPM_ST_ATTEST_CERTIFY 0x8017")]
    BadType { found: u16 },
}

/// A hash algorithm a TPM Name may use (nameAlg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl NameAlg {
    pub(crate) fn from_id(id: u16) -> Option<NameAlg> {
        match id {
            alg::SHA1 => Some(NameAlg::Sha1),
            alg::SHA256 => Some(NameAlg::Sha256),
            alg::SHA384 => Some(NameAlg::Sha384),
            alg::SHA512 => Some(NameAlg::Sha512),
            _ => None,
        }
    }
    pub(crate) fn id(self) -> u16 {
        match self {
            NameAlg::Sha1 => alg::SHA1,
            NameAlg::Sha256 => alg::SHA256,
            NameAlg::Sha384 => alg::SHA384,
            NameAlg::Sha512 => alg::SHA512,
        }
    }
    pub(crate) fn digest(self) -> DigestAlgorithm {
        match self {
            NameAlg::Sha1 => DigestAlgorithm::Sha1,
            NameAlg::Sha256 => DigestAlgorithm::Sha256,
            NameAlg::Sha384 => DigestAlgorithm::Sha384,
            NameAlg::Sha512 => DigestAlgorithm::Sha512,
        }
    }
}

/// The key of a `TPMT_PUBLIC` (its `parameters` and `unique` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TpmKey {
    /// TPMS_RSA_PARMS + TPM2B_PUBLIC_KEY_RSA.
    Rsa { key_bits: u16, exponent: u32, modulus: Vec<u8> },
    /// TPMS_ECC_PARMS + TPMS_ECC_POINT; `curve_id` is the TPM_ECC_CURVE value.
    Ecc { curve_id: u16, x: Vec<u8>, y: Vec<u8> },
}

/// pubArea: TPMT_PUBLIC (TPM 2.0 Part 2 §12.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PubArea {
    pub name_alg: NameAlg,
    pub object_attributes: u32,
    pub auth_policy: Vec<u8>,
    pub key: TpmKey,
}

impl PubArea {
    /// Parses a complete TPMT_PUBLIC; trailing bytes are an error.
    pub(crate) fn parse(bytes: &[u8]) -> Result<PubArea, TpmError> {
        const S: &str = "pubArea";
        let mut r = Reader::new(S, bytes)?;
        let key_type = r.u16("type")?;
        let name_alg_id = r.u16("nameAlg")?;
        let name_alg = NameAlg::from_id(name_alg_id).ok_or(TpmError::Unsupported {
            structure: S,
            field: "nameAlg",
            value: name_alg_id,
        })?;
        let object_attributes = r.u32("objectAttributes")?;
        let auth_policy = r.sized("authPolicy")?.to_vec();
        let key = match key_type {
            alg::RSA => {
                // TPMS_RSA_PARMS (§12.2.3.5): symmetric, scheme, keyBits, exponent.
                r.sym_def_object()?;
                r.scheme("scheme", rsa_scheme_detail_len)?;
                let key_bits = r.u16("keyBits")?;
                let exponent = r.u32("exponent")?;
                // unique: TPM2B_PUBLIC_KEY_RSA (§11.2.4.5).
                let modulus = r.sized("unique.rsa")?.to_vec();
                TpmKey::Rsa { key_bits, exponent, modulus }
            }
            alg::ECC => {
                // TPMS_ECC_PARMS (§12.2.3.6): symmetric, scheme, curveID, kdf.
                r.sym_def_object()?;
                r.scheme("scheme", ecc_scheme_detail_len)?;
                let curve_id = r.u16("curveID")?;
                r.scheme("kdf", kdf_scheme_detail_len)?;
                // unique: TPMS_ECC_POINT (§11.2.5.2).
                let x = r.sized("unique.x")?.to_vec();
                let y = r.sized("unique.y")?.to_vec();
                TpmKey::Ecc { curve_id, x, y }
            }
            _ => {
                return Err(TpmError::Unsupported { structure: S, field: "type", value: key_type })
            }
        };
        r.finish()?;
        Ok(PubArea { name_alg, object_attributes, auth_policy, key })
    }

    /// The public key as mdsd's [`PublicKey`], with the TPM-specific checks: an RSA exponent of
    /// 0 means 65537 (Part 2 §12.2.3.5), the modulus length must match keyBits, the curve must
    /// be one mdsd supports and the coordinates must fit it.
    pub(crate) fn public_key(&self) -> Result<PublicKey, TpmError> {
        const S: &str = "pubArea";
        match &self.key {
            TpmKey::Rsa { key_bits, exponent, modulus } => {
                let exponent = if *exponent == 0 { 65537 } else { *exponent };
                let key = PublicKey::rsa(modulus, &exponent.to_be_bytes());
                if let PublicKey::Rsa { n, .. } = &key {
                    if n.len().saturating_mul(8) != usize::from(*key_bits) {
                        return Err(TpmError::Invalid {
                            structure: S,
                            message: format!(
                                "RSA modulus is {} bytes but keyBits is {key_bits}",
                                n.len()
                            ),
                        });
                    }
                }
                Ok(key)
            }
            TpmKey::Ecc { curve_id, x, y } => {
                let curve = match *curve_id {
                    0x0003 => Curve::P256,
                    0x0004 => Curve::P384,
                    0x0005 => Curve::P521,
                    other => {
                        return Err(TpmError::Unsupported {
                            structure: S,
                            field: "curveID",
                            value: other,
                        })
                    }
                };
                if x.is_empty() || y.is_empty() {
                    return Err(TpmError::Invalid {
                        structure: S,
                        message: "ECC point has an empty coordinate".into(),
                    });
                }
                PublicKey::ec(curve, x, y)
                    .map_err(|e| TpmError::Invalid { structure: S, message: e.to_string() })
            }
        }
    }
}

/// The parts of certInfo (TPMS_ATTEST, TPM 2.0 Part 2 §10.12.12) that WebAuthn checks, for
/// `type == TPM_ST_ATTEST_CERTIFY` (the only type accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertInfo {
    pub qualified_signer: Vec<u8>,
    pub extra_data: Vec<u8>,
    pub firmware_version: u64,
    /// TPMS_CERTIFY_INFO.name (§10.12.3): nameAlg ‖ H(pubArea) of the certified object.
    pub attested_name: Vec<u8>,
    pub attested_qualified_name: Vec<u8>,
}

impl CertInfo {
    /// Parses a complete TPMS_ATTEST; magic and type are checked here because `type` selects
    /// the layout of `attested`. Trailing bytes are an error.
    pub(crate) fn parse(bytes: &[u8]) -> Result<CertInfo, TpmError> {
        let mut r = Reader::new("certInfo", bytes)?;
        // WebAuthn L3 §8.3.2: "Verify that magic is set to TPM_GENERATED_VALUE."
        let magic = r.u32("magic")?;
        if magic != TPM_GENERATED_VALUE {
            return Err(TpmError::BadMagic { found: magic });
        }
        // WebAuthn L3 §8.3.2: "Verify that type is set to TPM_ST_ATTEST_CERTIFY."
        let st = r.u16("type")?;
        if st != TPM_ST_ATTEST_CERTIFY {
            return Err(TpmError::BadType { found: st });
        }
        let qualified_signer = r.sized("qualifiedSigner")?.to_vec();
        let extra_data = r.sized("extraData")?.to_vec();
        // clockInfo: TPMS_CLOCK_INFO (§10.11.1) clock u64, resetCount u32, restartCount u32,
        // safe u8. Not judged by WebAuthn (real and test TPM vectors carry arbitrary values).
        r.take("clockInfo", 17)?;
        let firmware_version = r.u64("firmwareVersion")?;
        // attested: TPMS_CERTIFY_INFO (§10.12.3).
        let attested_name = r.sized("attested.name")?.to_vec();
        let attested_qualified_name = r.sized("attested.qualifiedName")?.to_vec();
        r.finish()?;
        Ok(CertInfo {
            qualified_signer,
            extra_data,
            firmware_version,
            attested_name,
            attested_qualified_name,
        })
    }
}

/// The TPM Name of an object (TPM 2.0 Part 1 §16): nameAlg (big-endian) ‖ H_nameAlg(pubArea).
pub(crate) fn object_name(name_alg: NameAlg, pub_area: &[u8]) -> Vec<u8> {
    let digest = name_alg.digest().digest(pub_area);
    let mut name = Vec::with_capacity(2 + digest.as_ref().len());
    name.extend_from_slice(&name_alg.id().to_be_bytes());
    name.extend_from_slice(digest.as_ref());
    name
}

/// TPMI_ALG_HASH values (Part 2 §9.27): SHA-1, SHA-256/384/512, SM3-256, SHA3-256/384/512.
fn is_tpmi_alg_hash(id: u16) -> bool {
    matches!(id, 0x0004 | 0x000B | 0x000C | 0x000D | 0x0012 | 0x0027 | 0x0028 | 0x0029)
}

/// Length of TPMU_ASYM_SCHEME details for an RSA scheme (Part 2 §11.2.3.5), `None` if unknown.
fn rsa_scheme_detail_len(scheme: u16) -> Option<usize> {
    match scheme {
        alg::NULL | alg::RSAES => Some(0),
        alg::RSASSA | alg::RSAPSS | alg::OAEP => Some(2),
        _ => None,
    }
}

/// Length of TPMU_ASYM_SCHEME details for an ECC scheme (Part 2 §11.2.5.6).
fn ecc_scheme_detail_len(scheme: u16) -> Option<usize> {
    match scheme {
        alg::NULL => Some(0),
        alg::ECDSA | alg::ECDH | alg::SM2 | alg::ECSCHNORR | alg::ECMQV => Some(2),
        // TPMS_SCHEME_ECDAA: hashAlg u16, count u16.
        alg::ECDAA => Some(4),
        _ => None,
    }
}

/// Length of TPMU_KDF_SCHEME details (Part 2 §11.2.3.2).
fn kdf_scheme_detail_len(scheme: u16) -> Option<usize> {
    match scheme {
        alg::NULL => Some(0),
        alg::MGF1 | alg::KDF1_SP800_56A | alg::KDF2 | alg::KDF1_SP800_108 => Some(2),
        _ => None,
    }
}

/// A bounds-checked big-endian reader over one TPM structure.
struct Reader<'a> {
    structure: &'static str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(structure: &'static str, bytes: &'a [u8]) -> Result<Reader<'a>, TpmError> {
        if bytes.len() > MAX_STRUCTURE_LEN {
            return Err(TpmError::TooLong { structure, len: bytes.len(), max: MAX_STRUCTURE_LEN });
        }
        Ok(Reader { structure, bytes, pos: 0 })
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], TpmError> {
        let truncated = TpmError::Truncated { structure: self.structure, field, offset: self.pos };
        let end = self.pos.checked_add(n).ok_or(truncated.clone())?;
        let out = self.bytes.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], TpmError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, TpmError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, TpmError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, TpmError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// A TPM2B_*: u16 size, then that many bytes.
    fn sized(&mut self, field: &'static str) -> Result<&'a [u8], TpmError> {
        let len = self.u16(field)?;
        self.take(field, usize::from(len))
    }

    /// TPMT_SYM_DEF_OBJECT (Part 2 §11.1.7): algorithm, then keyBits and mode unless NULL.
    fn sym_def_object(&mut self) -> Result<(), TpmError> {
        let algorithm = self.u16("symmetric.algorithm")?;
        match algorithm {
            alg::NULL => Ok(()),
            alg::AES | alg::SM4 | alg::CAMELLIA => {
                self.take("symmetric.keyBits+mode", 4)?;
                Ok(())
            }
            other => Err(TpmError::Unsupported {
                structure: self.structure,
                field: "symmetric.algorithm",
                value: other,
            }),
        }
    }

    /// A scheme selector followed by its union member, whose length `detail_len` knows.
    fn scheme(
        &mut self,
        field: &'static str,
        detail_len: fn(u16) -> Option<usize>,
    ) -> Result<u16, TpmError> {
        let scheme = self.u16(field)?;
        let len = detail_len(scheme).ok_or(TpmError::Unsupported {
            structure: self.structure,
            field,
            value: scheme,
        })?;
        let details = self.take(field, len)?;
        // Every scheme detail this parser knows starts with hashAlg, a TPMI_ALG_HASH (§9.27).
        if let Some(hash) = details.first_chunk::<2>().map(|b| u16::from_be_bytes(*b)) {
            if !is_tpmi_alg_hash(hash) {
                return Err(TpmError::Invalid {
                    structure: self.structure,
                    message: format!(
                        "{field} 0x{scheme:04x} has hashAlg 0x{hash:04x}, which is not a hash \
                         algorithm (are the scheme details missing?)"
                    ),
                });
            }
        }
        Ok(scheme)
    }

    fn finish(self) -> Result<(), TpmError> {
        match self.bytes.len().saturating_sub(self.pos) {
            0 => Ok(()),
            count => Err(TpmError::TrailingBytes { structure: self.structure, count }),
        }
    }
}
