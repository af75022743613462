//! X.509 for mdsd: certificates parsed once into owned values, path building to pinned anchors,
//! and CRL checks. Pure: the verification time is always an argument.
//!
//! Two profiles share one path builder: [`PathProfile::Metadata`] (the BLOB signing chain: strict
//! CA rules) and [`PathProfile::Attestation`] (authenticator chains: accepts the odd encodings and
//! critical extensions real authenticators ship, see REFERENCE.md §5).

mod cert;
mod crl;
mod frame;
mod path;

pub use cert::{BasicConstraints, Cert, CertError, Extension, KeyUsage};
pub use crl::{
    check_revocation, check_revocation_with, Crl, CrlError, RevocationError, RevocationMode,
    UnsupportedCrl,
};
pub use path::{
    build_path, PathBudget, PathError, PathProfile, TrustAnchor, VerifiedPath,
    KNOWN_CRITICAL_EXTENSIONS,
};

/// Parses one or more certificates from PEM (any number of `CERTIFICATE` blocks, text around them
/// is ignored) or from a single DER certificate.
///
/// Input containing `-----BEGIN` is read as PEM: blocks with other labels are skipped, and no
/// `CERTIFICATE` block at all is [`CertError::NoCertificate`]. Anything else is one DER
/// certificate.
pub fn certs_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Cert>, CertError> {
    const PEM_MARKER: &[u8] = b"-----BEGIN";
    if !bytes.windows(PEM_MARKER.len()).any(|w| w == PEM_MARKER) {
        return Ok(vec![Cert::from_der(bytes)?]);
    }
    let blocks = pem::parse_many(bytes).map_err(|e| CertError::Pem { detail: e.to_string() })?;
    let certs = blocks
        .iter()
        .filter(|block| block.tag() == "CERTIFICATE")
        .take(MAX_PEM_CERTS)
        .map(|block| Cert::from_der(block.contents()))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(certs)
}

/// Most certificates read from one PEM input (a bundle of roots is far below this).
pub const MAX_PEM_CERTS: usize = 1024;
