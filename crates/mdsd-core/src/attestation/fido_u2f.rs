//! The `fido-u2f` attestation statement format (WebAuthn L3 §8.6).
//!
//! Basic and AttCA cannot be told apart: reported as [`AttestationType::Basic`], except when the
//! certificate's key is the credential key itself, which is self attestation.

use crate::crypto::{Curve, PublicKey, SignatureScheme};

use super::common::{bytes_field, credential, stmt_map, x5c_field};
use super::reason::{from_signature_error, Reason, ReasonCode};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};

const FMT: &str = "fido-u2f";

/// Verifies a `fido-u2f` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: attStmt is valid CBOR with x5c and sig.
    let map = stmt_map(input.att_stmt, FMT)?;
    let sig = bytes_field(map, "sig", FMT)?;
    let chain = x5c_field(map, FMT)?
        .ok_or_else(|| Reason::new(ReasonCode::MalformedStatement, "fido-u2f: x5c is missing"))?;
    // Step 2: x5c has exactly one element; its key is an EC P-256 key.
    let cert = match chain.as_slice() {
        [cert] => cert,
        other => {
            return Err(Reason::new(
                ReasonCode::MalformedStatement,
                format!("fido-u2f: x5c must have exactly one certificate, it has {}", other.len()),
            ))
        }
    };
    if !matches!(cert.public_key(), PublicKey::Ec { curve: Curve::P256, .. }) {
        return Err(Reason::new(
            ReasonCode::CertificateRequirements,
            format!(
                "fido-u2f: attestation certificate key is {}, not EC P-256",
                cert.public_key().describe()
            ),
        ));
    }
    // Step 3: credentialId and credentialPublicKey from authenticatorData.
    let credential = credential(input)?;
    // Step 4: the credential key is EC2 P-256; publicKeyU2F = 0x04 ‖ x ‖ y.
    let point = match &credential.public_key.key {
        PublicKey::Ec { curve: Curve::P256, point } if point.len() == 65 => point,
        other => {
            return Err(Reason::new(
                ReasonCode::CredentialKeyMismatch,
                format!("fido-u2f: credential key is {}, not EC P-256", other.describe()),
            ))
        }
    };
    // Step 5: verificationData = 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ publicKeyU2F.
    let mut data = Vec::with_capacity(1 + 32 + 32 + credential.credential_id.len() + 65);
    data.push(0x00);
    data.extend_from_slice(&input.auth_data.rp_id_hash);
    data.extend_from_slice(input.client_data_hash);
    data.extend_from_slice(&credential.credential_id);
    data.extend_from_slice(point);
    // Step 6: verify sig with the certificate key (ECDSA P-256 SHA-256).
    cert.public_key()
        .verify(SignatureScheme::EcdsaSha256, &data, sig)
        .map_err(|e| from_signature_error(&e, "fido-u2f attestation certificate key"))?;
    // Step 7: attestation type and trust path.
    let attestation_type = if cert.public_key() == &credential.public_key.key {
        AttestationType::SelfAttestation
    } else {
        AttestationType::Basic
    };
    Ok(StatementOutcome {
        attestation_type,
        coverage: Coverage::U2fRegistration,
        trust_path: chain,
    })
}
