//! An owned, pre-parsed X.509 certificate: every field mdsd's checks read, extracted once.

use std::fmt;

use thiserror::Error;
use time::OffsetDateTime;

use crate::crypto::{PublicKey, SignatureError, SignatureScheme};

/// A certificate parsed once; cheap to query, cheap to clone behind an `Arc`.
#[derive(Clone)]
pub struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) sha256: [u8; 32],
    pub(crate) version: u32,
    /// The DER bytes of `tbsCertificate` (what the issuer signed).
    pub(crate) tbs: Vec<u8>,
    pub(crate) serial: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer: String,
    pub(crate) subject: String,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) public_key: PublicKey,
    /// The BIT STRING contents of subjectPublicKey (input to the FIDO key identifier).
    pub(crate) public_key_bits: Vec<u8>,
    /// `None` when the certificate's signature algorithm is not one mdsd supports.
    pub(crate) signature_scheme: Option<SignatureScheme>,
    pub(crate) signature_algorithm_oid: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) basic_constraints: Option<BasicConstraints>,
    pub(crate) key_usage: Option<KeyUsage>,
    pub(crate) extended_key_usage: Vec<String>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    pub(crate) crl_distribution_points: Vec<String>,
    pub(crate) extensions: Vec<Extension>,
}

/// basicConstraints (RFC 5280 §4.2.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
    pub critical: bool,
}

/// keyUsage bits (RFC 5280 §4.2.1.3), bit 0 = digitalSignature … bit 8 = decipherOnly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;
    pub fn has(&self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// One extension as it appears in the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// Dotted OID, e.g. `"1.3.6.1.4.1.45724.1.1.4"`.
    pub oid: String,
    pub critical: bool,
    /// The extnValue OCTET STRING contents (DER of the extension's own structure).
    pub value: Vec<u8>,
}

/// Why bytes are not a usable certificate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertError {
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(String),
    #[error("no certificate found in PEM input")]
    NoCertificate,
}

impl Cert {
    /// Parses one DER certificate. Trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<Cert, CertError> {
        let _ = der;
        todo!("x509: Cert::from_der")
    }
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// SHA-256 of the DER encoding (the fingerprint used for pins and reports).
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Serial number bytes as encoded (two's complement, may be negative).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn subject_raw(&self) -> &[u8] {
        &self.subject_raw
    }
    pub fn issuer_raw(&self) -> &[u8] {
        &self.issuer_raw
    }
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
    }
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }
    pub fn extended_key_usage(&self) -> &[String] {
        &self.extended_key_usage
    }
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }
    pub fn crl_distribution_points(&self) -> &[String] {
        &self.crl_distribution_points
    }
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }
    pub fn extension(&self, oid: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.oid == oid)
    }
    /// True when subject and issuer names are byte-identical.
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }
    /// The FIDO attestation certificate key identifier: lowercase hex of SHA-1 over the
    /// subjectPublicKey BIT STRING contents (MDS3 `attestationCertificateKeyIdentifiers`).
    pub fn fido_key_identifier(&self) -> String {
        todo!("x509: fido_key_identifier")
    }
    /// Verifies this certificate's signature with `issuer_key`.
    pub fn verify_signed_by(&self, issuer_key: &PublicKey) -> Result<(), SignatureError> {
        let _ = issuer_key;
        todo!("x509: verify_signed_by")
    }
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial_hex())
            .field("sha256", &self.sha256_hex())
            .finish()
    }
}
