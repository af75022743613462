//! The statement cross-checked against its metadata entry: the attestation type against
//! `attestationTypes` (resolving Basic or AttCA), the credential algorithm against
//! `authenticationAlgorithms` (FIDO Registry §3.6.1 names).

use super::super::reason::{Reason, ReasonCode};
use super::super::AttestationType;
use crate::trust_store::Entry;

/// Basic and AttCA cannot be told apart from an x5c statement (WebAuthn L3 §8.2 step 2.4): the
/// entry's `attestationTypes` decides (`basic_full` → Basic, else `attca` → AttCA). tpm is AttCA
/// (§8.3) and apple AnonCA (§8.8); each must be listed. A type the entry does not list is
/// ATTESTATION_TYPE_MISMATCH; the statement's own type is returned then.
pub(super) fn resolve_attestation_type(
    stated: AttestationType,
    entry: &Entry,
    reasons: &mut Vec<Reason>,
) -> AttestationType {
    let listed = |name: &str| entry.attestation_types().iter().any(|t| t == name);
    let resolved = match stated {
        AttestationType::Basic if listed("basic_full") => Some(AttestationType::Basic),
        AttestationType::Basic | AttestationType::AttCa if listed("attca") => {
            Some(AttestationType::AttCa)
        }
        AttestationType::AnonCa if listed("anonca") => Some(AttestationType::AnonCa),
        _ => None,
    };
    resolved.unwrap_or_else(|| {
        reasons.push(Reason::new(
            ReasonCode::AttestationTypeMismatch,
            format!(
                "the statement is {} attestation{}, but the metadata entry of {} lists \
                 attestationTypes [{}]",
                stated.as_str(),
                if stated == AttestationType::Basic { " (or AttCA)" } else { "" },
                entry.description().unwrap_or("this authenticator"),
                entry.attestation_types().join(", ")
            ),
        ));
        stated
    })
}

/// The credential key's COSE algorithm should be one of the entry's `authenticationAlgorithms`
/// (FIDO Registry §3.6.1 names). A mismatch is a note (ALGORITHM_NOT_IN_METADATA), not a
/// refusal: the attestation signature covers the credential key, so a mismatch says the
/// metadata is incomplete (a real Security Key by Yubico makes RS256 credentials while its
/// entry lists EdDSA and ES256 only), not that another model made it. Decided only when mdsd
/// knows the names for the algorithm and every name the entry lists.
pub(super) fn check_algorithm(credential_alg: i64, entry: &Entry, reasons: &mut Vec<Reason>) {
    let listed = entry.authentication_algorithms();
    let Some(names) = fido_algorithm_names(credential_alg) else { return };
    if listed.is_empty() || listed.iter().any(|l| names.contains(&l.as_str())) {
        return;
    }
    if listed.iter().any(|l| !KNOWN_ALGORITHM_NAMES.contains(&l.as_str())) {
        return;
    }
    reasons.push(Reason::new(
        ReasonCode::AlgorithmNotInMetadata,
        format!(
            "the credential key is {} ({credential_alg}), but the metadata entry of {} lists \
             authenticationAlgorithms [{}]",
            super::super::alg_name(credential_alg),
            entry.description().unwrap_or("this authenticator"),
            listed.join(", ")
        ),
    ));
}

/// The FIDO Registry (§3.6.1 Authentication Algorithms) names of a COSE algorithm.
fn fido_algorithm_names(alg: i64) -> Option<&'static [&'static str]> {
    Some(match alg {
        -7 => &["secp256r1_ecdsa_sha256_raw", "secp256r1_ecdsa_sha256_der"],
        -35 => &["secp384r1_ecdsa_sha384_raw", "secp384r1_ecdsa_sha384_der"],
        -36 => &["secp521r1_ecdsa_sha512_raw", "secp521r1_ecdsa_sha512_der"],
        -47 => &["secp256k1_ecdsa_sha256_raw", "secp256k1_ecdsa_sha256_der"],
        -8 => &["ed25519_eddsa_sha512_raw"],
        -53 => &["ed448_eddsa_sha512_raw"],
        -257 => {
            &["rsassa_pkcsv15_sha256_raw", "rsassa_pkcsv15_sha256_der", "rsa_emsa_pkcs1_sha256_raw"]
        }
        -258 => &["rsassa_pkcsv15_sha384_raw", "rsassa_pkcsv15_sha384_der"],
        -259 => &["rsassa_pkcsv15_sha512_raw", "rsassa_pkcsv15_sha512_der"],
        -65535 => &["rsassa_pkcsv15_sha1_raw", "rsassa_pkcsv15_sha1_der"],
        -37 => &["rsassa_pss_sha256_raw", "rsassa_pss_sha256_der"],
        -38 => &["rsassa_pss_sha384_raw", "rsassa_pss_sha384_der"],
        -39 => &["rsassa_pss_sha512_raw", "rsassa_pss_sha512_der"],
        _ => return None,
    })
}

/// Every name [`fido_algorithm_names`] knows, plus the registry's SM2 names (no COSE number).
const KNOWN_ALGORITHM_NAMES: &[&str] = &[
    "secp256r1_ecdsa_sha256_raw",
    "secp256r1_ecdsa_sha256_der",
    "secp384r1_ecdsa_sha384_raw",
    "secp384r1_ecdsa_sha384_der",
    "secp521r1_ecdsa_sha512_raw",
    "secp521r1_ecdsa_sha512_der",
    "secp256k1_ecdsa_sha256_raw",
    "secp256k1_ecdsa_sha256_der",
    "ed25519_eddsa_sha512_raw",
    "ed448_eddsa_sha512_raw",
    "rsassa_pkcsv15_sha256_raw",
    "rsassa_pkcsv15_sha256_der",
    "rsa_emsa_pkcs1_sha256_raw",
    "rsassa_pkcsv15_sha384_raw",
    "rsassa_pkcsv15_sha384_der",
    "rsassa_pkcsv15_sha512_raw",
    "rsassa_pkcsv15_sha512_der",
    "rsassa_pkcsv15_sha1_raw",
    "rsassa_pkcsv15_sha1_der",
    "rsassa_pss_sha256_raw",
    "rsassa_pss_sha256_der",
    "rsassa_pss_sha384_raw",
    "rsassa_pss_sha384_der",
    "rsassa_pss_sha512_raw",
    "rsassa_pss_sha512_der",
    "sm2_sm3_raw",
];
