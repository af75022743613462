//! Operator files named by settings (config, roots, CRLs, anchors, TLS material, the admin
//! token): regular files only, opened without blocking, size-capped ([`read_capped`]), and the
//! readers that turn them into anchors and TLS material.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::super::files::{read_regular, Symlinks};
use super::{AnchorSource, TlsFiles};
use crate::x509::{certs_from_pem_or_der, TrustAnchor};

/// Largest config file read.
pub(super) const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;
/// Largest certificate / CRL / key file read.
pub(super) const MAX_PEM_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest admin token file read.
pub(super) const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// Reads an operator file (config, roots, CRLs, anchors, TLS material, the admin token):
/// regular files only, opened without blocking (a FIFO given by mistake would hang start-up),
/// refusing one larger than `max` bytes. Symbolic links are followed (Kubernetes mounts).
pub(crate) fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    Ok(read_regular(path, max, Symlinks::Follow)?)
}

/// Reads operator anchors. Their labels travel in answers (`anchor.label` of every gRPC
/// response, GetMetadataInfo), so they name the certificate, never the file:
/// `"<prefix>: <subject CN>"` (the whole subject when it has no CN). Where each came from is
/// recorded in `sources` for the start-up log only.
pub(super) fn load_anchors(
    key: &'static str,
    prefix: &str,
    paths: &[PathBuf],
    sources: &mut Vec<AnchorSource>,
    errs: &mut Vec<String>,
) -> Vec<TrustAnchor> {
    let mut anchors = Vec::new();
    for path in paths {
        let certs = read_capped(path, MAX_PEM_FILE_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|bytes| certs_from_pem_or_der(&bytes).map_err(|e| e.to_string()));
        match certs {
            Ok(certs) => {
                for cert in certs {
                    let label = anchor_label(prefix, &cert);
                    sources.push(AnchorSource {
                        key,
                        label: label.clone(),
                        sha256: cert.sha256_hex(),
                        path: path.clone(),
                    });
                    anchors.push(TrustAnchor { label, cert: Arc::new(cert) });
                }
            }
            Err(e) => errs.push(format!("{key}: {}: {e}", path.display())),
        }
    }
    anchors
}

/// `"<prefix>: <CN>"`, or the whole subject without a CN, or the certificate's SHA-256 without
/// a subject.
fn anchor_label(prefix: &str, cert: &crate::x509::Cert) -> String {
    let common_name = x509_parser::parse_x509_certificate(cert.der()).ok().and_then(|(_, c)| {
        c.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string)
    });
    let name = match common_name {
        Some(cn) if !cn.trim().is_empty() => cn,
        _ if !cert.subject().trim().is_empty() => cert.subject().to_string(),
        _ => format!("sha256 {}", cert.sha256_hex()),
    };
    format!("{prefix}: {name}")
}

pub(super) fn check_tls(
    cert: Option<&Path>,
    key: Option<&Path>,
    client_ca: Option<&Path>,
    errs: &mut Vec<String>,
) -> Option<TlsFiles> {
    let mut read = |name: &str, path: &Path| match read_capped(path, MAX_PEM_FILE_BYTES) {
        Ok(b) => Some(b),
        Err(e) => {
            errs.push(format!("{name}: {}: {e}", path.display()));
            None
        }
    };
    match (cert, key) {
        (None, None) => {
            if client_ca.is_some() {
                errs.push(
                    "tls_client_ca: needs tls_cert and tls_key (mTLS is on top of TLS)".into(),
                );
            }
            None
        }
        (Some(_), None) => {
            errs.push("tls_cert: needs tls_key".to_string());
            None
        }
        (None, Some(_)) => {
            errs.push("tls_key: needs tls_cert".to_string());
            None
        }
        (Some(cert), Some(key)) => {
            let cert_pem = read("tls_cert", cert);
            let key_pem = read("tls_key", key);
            let client_ca_pem = client_ca.map(|p| read("tls_client_ca", p));
            let (cert_pem, key_pem) = (cert_pem?, key_pem?);
            let client_ca_pem = match client_ca_pem {
                Some(None) => return None,
                Some(Some(pem)) => Some(pem),
                None => None,
            };
            Some(TlsFiles { cert_pem, key_pem, client_ca_pem })
        }
    }
}
