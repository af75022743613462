//! The `apple` anonymous attestation statement format (WebAuthn L3 §8.8).

use super::common::{credential, signed_data, stmt_map, x5c_field};
use super::reason::{Reason, ReasonCode};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};
use crate::crypto::sha256;

const FMT: &str = "apple";

/// Apple anonymous attestation nonce extension.
pub const OID_APPLE_NONCE: &str = "1.2.840.113635.100.8.2";

/// Verifies an `apple` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: attStmt is valid CBOR with x5c.
    let map = stmt_map(input.att_stmt, FMT)?;
    let chain = x5c_field(map, FMT)?
        .ok_or_else(|| Reason::new(ReasonCode::MalformedStatement, "apple: x5c is missing"))?;
    let leaf = chain
        .first()
        .ok_or_else(|| Reason::new(ReasonCode::MalformedStatement, "apple: x5c is empty"))?;
    let credential = credential(input)?;
    // Step 2: nonceToHash = authenticatorData ‖ clientDataHash.
    // Step 3: nonce = SHA-256(nonceToHash).
    let nonce = sha256(&signed_data(input));
    // Step 4: nonce equals the value of extension 1.2.840.113635.100.8.2 in credCert.
    let ext = leaf.extension(OID_APPLE_NONCE).ok_or_else(|| {
        Reason::new(
            ReasonCode::CertificateRequirements,
            format!("apple: credential certificate lacks the nonce extension {OID_APPLE_NONCE}"),
        )
    })?;
    let in_cert = parse_nonce_extension(&ext.value).ok_or_else(|| {
        Reason::new(
            ReasonCode::CertificateRequirements,
            "apple: nonce extension is not SEQUENCE { [1] OCTET STRING (32 bytes) }",
        )
    })?;
    if in_cert != nonce.as_ref() {
        return Err(Reason::new(
            ReasonCode::NonceMismatch,
            format!(
                "apple: certificate nonce {} differs from SHA-256(authData ‖ clientDataHash) {}",
                hex::encode(in_cert),
                hex::encode(nonce.as_ref())
            ),
        ));
    }
    // Step 5: the credential public key equals the credCert subject public key.
    if leaf.public_key() != &credential.public_key.key {
        return Err(Reason::new(
            ReasonCode::CredentialKeyMismatch,
            format!(
                "apple: credential key ({}) differs from the certificate key ({})",
                credential.public_key.key.describe(),
                leaf.public_key().describe()
            ),
        ));
    }
    // Step 6: Anonymization CA, trust path x5c.
    Ok(StatementOutcome {
        attestation_type: AttestationType::AnonCa,
        coverage: Coverage::AuthenticatorData,
        trust_path: chain,
    })
}

/// The 32-byte nonce inside `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
fn parse_nonce_extension(der: &[u8]) -> Option<&[u8]> {
    let (tag, seq, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (tag, explicit, rest) = tlv(seq)?;
    if tag != 0xa1 || !rest.is_empty() {
        return None;
    }
    let (tag, octets, rest) = tlv(explicit)?;
    if tag != 0x04 || !rest.is_empty() || octets.len() != 32 {
        return None;
    }
    Some(octets)
}

/// One DER TLV (single-byte tag, definite length up to 2 length bytes).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        l @ 0..=0x7f => (usize::from(l), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (usize::from(l), rest)
        }
        0x82 => {
            let (l, rest) = rest.split_at_checked(2)?;
            (usize::from(u16::from_be_bytes([*l.first()?, *l.get(1)?])), rest)
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_extension_shape() {
        let mut der = vec![0x30, 0x24, 0xa1, 0x22, 0x04, 0x20];
        der.extend_from_slice(&[7; 32]);
        assert_eq!(parse_nonce_extension(&der), Some(&[7u8; 32][..]));
        der.push(0);
        assert_eq!(parse_nonce_extension(&der), None);
        assert_eq!(parse_nonce_extension(&[0x30, 0x02, 0x04, 0x00]), None);
    }
}
