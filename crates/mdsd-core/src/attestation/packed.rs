//! The `packed` attestation statement format (WebAuthn L3 §8.2).
//!
//! Basic and AttCA attestation cannot be told apart from the statement alone (both are an x5c
//! chain); mdsd reports [`AttestationType::Basic`] for every x5c statement.

use crate::x509::Cert;

use super::common::{
    alg_field, bytes_field, check_aaguid_extension, credential, signed_data, stmt_map,
    verify_with_cert, x5c_field,
};
use super::reason::{Reason, ReasonCode};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};

const FMT: &str = "packed";

/// Verifies a `packed` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // §8.2 step 1: attStmt is valid CBOR of the syntax above.
    let map = stmt_map(input.att_stmt, FMT)?;
    let alg = alg_field(map, FMT)?;
    let sig = bytes_field(map, "sig", FMT)?;
    let x5c = x5c_field(map, FMT)?;
    let credential = credential(input)?;
    let data = signed_data(input);

    match x5c {
        // §8.2 step 2: x5c present.
        Some(chain) => {
            let leaf = match chain.first() {
                Some(leaf) => leaf,
                None => {
                    return Err(Reason::new(ReasonCode::MalformedStatement, "packed: x5c is empty"))
                }
            };
            // Step 2.1: sig is a valid signature over authenticatorData ‖ clientDataHash with the
            // attestation certificate's key and alg.
            verify_with_cert(leaf, alg, &data, sig)?;
            // Step 2.2: attestnCert meets §8.2.1.
            check_certificate_requirements(leaf)?;
            // Step 2.3: the AAGUID extension, if present, equals the authenticatorData AAGUID.
            check_aaguid_extension(leaf, &credential.aaguid)?;
            // Step 2.4/2.5: Basic or AttCA (indistinguishable), trust path x5c.
            Ok(StatementOutcome {
                attestation_type: AttestationType::Basic,
                coverage: Coverage::AuthenticatorData,
                trust_path: chain,
            })
        }
        // §8.2 step 3: self attestation.
        None => {
            // Step 3.1: alg matches the credential public key's alg.
            if alg != credential.public_key.alg {
                return Err(Reason::new(
                    ReasonCode::AlgorithmMismatch,
                    format!(
                        "packed self attestation: attStmt.alg {alg} differs from the credential key alg {}",
                        credential.public_key.alg
                    ),
                ));
            }
            // Step 3.2: sig verifies with the credential public key.
            credential.public_key.verify(&data, sig)?;
            Ok(StatementOutcome {
                attestation_type: AttestationType::SelfAttestation,
                coverage: Coverage::CredentialKey,
                trust_path: Vec::new(),
            })
        }
    }
}

/// WebAuthn L3 §8.2.1 packed attestation statement certificate requirements.
pub(crate) fn check_certificate_requirements(cert: &Cert) -> Result<(), Reason> {
    let fail = |msg: String| Err(Reason::new(ReasonCode::CertificateRequirements, msg));
    // Version MUST be set to 3 (value 2 in the encoding; Cert reports the human number).
    if cert.version() != 3 {
        return fail(format!("attestation certificate version is {}, not 3", cert.version()));
    }
    // Subject: C, O, OU = "Authenticator Attestation", CN.
    let attrs = cert
        .subject_attributes()
        .map_err(|e| Reason::new(ReasonCode::CertificateRequirements, e.to_string()))?;
    for (oid, name) in [(OID_C, "C"), (OID_O, "O"), (OID_CN, "CN")] {
        if !attrs.iter().any(|(o, v)| o == oid && !v.is_empty()) {
            return fail(format!("attestation certificate subject lacks {name}"));
        }
    }
    if !attrs.iter().any(|(o, v)| o == OID_OU && v == "Authenticator Attestation") {
        return fail(format!(
            "attestation certificate subject OU is not \"Authenticator Attestation\" (subject {})",
            cert.subject()
        ));
    }
    // Basic Constraints CA component false.
    if let Some(bc) = cert.basic_constraints() {
        if bc.ca {
            return fail("attestation certificate has basicConstraints CA=true".into());
        }
    }
    Ok(())
}

const OID_C: &str = "2.5.4.6";
const OID_O: &str = "2.5.4.10";
const OID_OU: &str = "2.5.4.11";
const OID_CN: &str = "2.5.4.3";
