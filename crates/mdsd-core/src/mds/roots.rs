//! The built-in BLOB trust anchors: GlobalSign Root CA - R3 and GlobalSign Root R46 (from
//! Debian's ca-certificates), pinned by SHA-256 (REFERENCE.md §1, MDS3 §3.2 step 1).

use std::sync::Arc;

use crate::x509::{certs_from_pem_or_der, TrustAnchor};

/// The pinned roots: label, PEM bytes, SHA-256 of the DER certificate.
const PINNED: [(&str, &[u8], &str); 2] = [
    (
        "GlobalSign Root CA - R3",
        include_bytes!("../roots/globalsign_root_ca_r3.pem"),
        "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b",
    ),
    (
        "GlobalSign Root R46",
        include_bytes!("../roots/globalsign_root_r46.pem"),
        "4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9",
    ),
];

/// SHA-256 fingerprint of GlobalSign Root CA - R3 (signed the MDS BLOB until August 2026).
pub const GLOBALSIGN_ROOT_R3_SHA256: &str = PINNED[0].2;
/// SHA-256 fingerprint of GlobalSign Root R46 (signs the MDS BLOB since August 2026).
pub const GLOBALSIGN_ROOT_R46_SHA256: &str = PINNED[1].2;

/// The built-in trust anchors for the MDS BLOB signing chain.
///
/// Each embedded certificate is checked against its pinned fingerprint here; one that does not
/// parse or does not match (a tampered build) is left out rather than trusted.
pub fn builtin_roots() -> Vec<TrustAnchor> {
    pinned_anchors(&PINNED)
}

fn pinned_anchors(pinned: &[(&str, &[u8], &str)]) -> Vec<TrustAnchor> {
    pinned
        .iter()
        .filter_map(|(label, pem, sha256)| {
            let cert = certs_from_pem_or_der(pem).ok()?.into_iter().next()?;
            if cert.sha256_hex() != *sha256 {
                tracing::error!(label, expected = sha256, actual = %cert.sha256_hex(),
                    "built-in root does not match its pinned fingerprint; left out");
                return None;
            }
            Some(TrustAnchor { cert: Arc::new(cert), label: (*label).to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roots_match_their_pins() {
        let roots = builtin_roots();
        let fingerprints: Vec<String> = roots.iter().map(|a| a.cert.sha256_hex()).collect();
        assert_eq!(
            fingerprints,
            [
                "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b",
                "4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9"
            ]
        );
        assert_eq!(roots[0].label, "GlobalSign Root CA - R3");
        assert!(roots[0].cert.subject().contains("GlobalSign Root CA - R3"));
        assert!(roots[1].cert.subject().contains("GlobalSign Root R46"));
    }

    #[test]
    fn a_root_that_does_not_match_its_pin_is_left_out() {
        let (label, pem, _) = PINNED[0];
        let wrong = "00".repeat(32);
        assert!(pinned_anchors(&[(label, pem, wrong.as_str())]).is_empty());
        assert!(pinned_anchors(&[(label, b"not a certificate", PINNED[0].2)]).is_empty());
        assert_eq!(pinned_anchors(&[PINNED[0]]).len(), 1);
    }
}
