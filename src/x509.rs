//! X.509 for mdsd: certificates parsed once into owned values, path building to pinned anchors,
//! and CRL checks. Pure: the verification time is always an argument.
//!
//! Two profiles share one path builder: [`PathProfile::Metadata`] (the BLOB signing chain: strict
//! CA rules) and [`PathProfile::Attestation`] (authenticator chains: accepts the odd encodings and
//! critical extensions real authenticators ship, see REFERENCE.md §5).

mod cert;
mod crl;
mod path;

pub use cert::{BasicConstraints, Cert, CertError, Extension, KeyUsage};
pub use crl::{check_revocation, Crl, CrlError, RevocationError, RevocationMode};
pub use path::{build_path, PathBudget, PathError, PathProfile, TrustAnchor, VerifiedPath};

/// Parses one or more certificates from PEM (any number of `CERTIFICATE` blocks, text around them
/// is ignored) or from a single DER certificate.
pub fn certs_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Cert>, CertError> {
    let _ = bytes;
    todo!("x509: certs_from_pem_or_der")
}
