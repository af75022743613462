//! Helpers every statement format shares: attStmt field access, x5c decoding, the AAGUID
//! certificate extension, and signature checks with an attestation certificate.

use std::sync::Arc;

use ciborium::Value;
use uuid::Uuid;

use crate::x509::Cert;

use super::cose::{kind, scheme_for_alg};
use super::reason::{from_signature_error, Reason, ReasonCode};
use super::StatementInput;

/// Most certificates an `x5c` array may hold ([`crate::limits::X5C_CERTIFICATES`]).
pub const MAX_X5C: usize = crate::limits::X5C_CERTIFICATES.max;

/// id-fido-gen-ce-aaguid (FIDO Authenticator Metadata / WebAuthn L3 §8.2.1).
pub const OID_FIDO_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";
/// id-fido-gen-ce-sernum: the authenticator's serial number, in attestation certificates of
/// enterprise attestation (WebAuthn L3 §8.2.2).
pub const OID_FIDO_SERIAL_NUMBER: &str = "1.3.6.1.4.1.45724.1.1.2";

/// The attStmt as map entries; anything else is MALFORMED_STATEMENT.
pub(crate) fn stmt_map<'a>(att_stmt: &'a Value, fmt: &str) -> Result<&'a [(Value, Value)], Reason> {
    match att_stmt {
        Value::Map(entries) => Ok(entries),
        other => Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("{fmt}: attStmt is {} instead of a map", kind(other)),
        )),
    }
}

/// The value under a text key of attStmt.
pub(crate) fn field<'a>(map: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    super::cose::lookup_text(map, name)
}

/// A required byte-string field.
pub(crate) fn bytes_field<'a>(
    map: &'a [(Value, Value)],
    name: &str,
    fmt: &str,
) -> Result<&'a [u8], Reason> {
    match field(map, name) {
        Some(Value::Bytes(b)) => Ok(b),
        Some(other) => Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("{fmt}: attStmt.{name} is {} instead of a byte string", kind(other)),
        )),
        None => Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("{fmt}: attStmt.{name} is missing"),
        )),
    }
}

/// The required integer `alg` field (a COSEAlgorithmIdentifier).
pub(crate) fn alg_field(map: &[(Value, Value)], fmt: &str) -> Result<i64, Reason> {
    match field(map, "alg") {
        Some(v) => super::cose::int(v).and_then(|a| i64::try_from(a).ok()).ok_or_else(|| {
            Reason::new(
                ReasonCode::MalformedStatement,
                format!("{fmt}: attStmt.alg is {} instead of an integer", kind(v)),
            )
        }),
        None => Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("{fmt}: attStmt.alg is missing"),
        )),
    }
}

/// Decodes `x5c` (an array of DER certificates, leaf first). `None` when absent.
pub(crate) fn x5c_field(
    map: &[(Value, Value)],
    fmt: &str,
) -> Result<Option<Vec<Arc<Cert>>>, Reason> {
    let items = match field(map, "x5c") {
        None => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Reason::new(
                ReasonCode::MalformedStatement,
                format!("{fmt}: attStmt.x5c is {} instead of an array", kind(other)),
            ))
        }
    };
    if items.is_empty() {
        return Err(Reason::new(ReasonCode::MalformedStatement, format!("{fmt}: x5c is empty")));
    }
    if items.len() > MAX_X5C {
        return Err(Reason::new(
            ReasonCode::LimitExceeded,
            format!("{fmt}: x5c has {} certificates, more than {MAX_X5C}", items.len()),
        ));
    }
    let mut certs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let der = match item {
            Value::Bytes(b) => b,
            other => {
                return Err(Reason::new(
                    ReasonCode::MalformedStatement,
                    format!("{fmt}: x5c[{i}] is {} instead of a byte string", kind(other)),
                ))
            }
        };
        // Parsed once per distinct DER in the process (cache::CERTS): a repeated chain costs
        // no re-parse.
        let cert = super::cache::CERTS.parse(der).map_err(|e| {
            Reason::new(ReasonCode::MalformedStatement, format!("{fmt}: x5c[{i}]: {e}"))
        })?;
        certs.push(cert);
    }
    Ok(Some(certs))
}

/// WebAuthn L3 §8.2.1 (also §8.3.1 for TPM): if the certificate has the id-fido-gen-ce-aaguid
/// extension, it must be non-critical and hold the AAGUID of authenticatorData.
pub(crate) fn check_aaguid_extension(cert: &Cert, aaguid: &Uuid) -> Result<(), Reason> {
    match certificate_aaguid(cert)? {
        Some(in_cert) if in_cert != *aaguid => Err(Reason::new(
            ReasonCode::AaguidMismatch,
            format!(
                "certificate AAGUID extension {in_cert} differs from the authenticatorData AAGUID {aaguid}"
            ),
        )),
        _ => Ok(()),
    }
}

/// The serial number in the certificate's id-fido-gen-ce-sernum extension
/// (1.3.6.1.4.1.45724.1.1.2, WebAuthn L3 §8.2.2: enterprise attestation), `None` without the
/// extension. Its extnValue is an OCTET STRING; a value that is not one of 1–127 bytes
/// (short-form DER length, nothing after it) is refused with the bytes seen as evidence.
pub(crate) fn certificate_serial_number(cert: &Cert) -> Result<Option<Vec<u8>>, Reason> {
    let Some(ext) = cert.extension(OID_FIDO_SERIAL_NUMBER) else { return Ok(None) };
    match ext.value.as_slice() {
        [0x04, len, serial @ ..]
            if *len > 0 && *len < 0x80 && serial.len() == usize::from(*len) =>
        {
            Ok(Some(serial.to_vec()))
        }
        other => Err(Reason::new(
            ReasonCode::SerialNumberMalformed,
            format!(
                "the serial-number extension {OID_FIDO_SERIAL_NUMBER} is not an OCTET STRING of \
                 1-127 bytes ({}{})",
                hex::encode(other.get(..32).unwrap_or(other)),
                if other.len() > 32 { "…" } else { "" }
            ),
        )),
    }
}

/// The AAGUID the certificate's id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4)
/// binds it to, `None` without the extension; an extension that is critical or not an OCTET
/// STRING of 16 bytes breaks the certificate requirements (WebAuthn L3 §8.2.1).
pub(crate) fn certificate_aaguid(cert: &Cert) -> Result<Option<Uuid>, Reason> {
    let ext = match cert.extension(OID_FIDO_AAGUID) {
        Some(ext) => ext,
        None => return Ok(None),
    };
    if ext.critical {
        return Err(Reason::new(
            ReasonCode::CertificateRequirements,
            format!("the AAGUID extension {OID_FIDO_AAGUID} is marked critical"),
        ));
    }
    // extnValue holds an OCTET STRING of 16 bytes: 04 10 <aaguid>.
    match ext.value.as_slice() {
        [0x04, 0x10, rest @ ..] => Uuid::from_slice(rest).map(Some).map_err(|_| {
            Reason::new(
                ReasonCode::CertificateRequirements,
                format!(
                    "the AAGUID extension is not an OCTET STRING of 16 bytes ({})",
                    hex::encode(&ext.value)
                ),
            )
        }),
        other => Err(Reason::new(
            ReasonCode::CertificateRequirements,
            format!(
                "the AAGUID extension is not an OCTET STRING of 16 bytes ({})",
                hex::encode(other)
            ),
        )),
    }
}

/// authenticatorData ‖ clientDataHash: what most formats sign (WebAuthn L3 §8 figure 6).
pub(crate) fn signed_data(input: &StatementInput<'_>) -> Vec<u8> {
    let mut data = Vec::with_capacity(input.auth_data_raw.len() + 32);
    data.extend_from_slice(input.auth_data_raw);
    data.extend_from_slice(input.client_data_hash);
    data
}

/// Verifies a statement signature under COSE `alg` with a certificate's key.
pub(crate) fn verify_with_cert(
    cert: &Cert,
    alg: i64,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Reason> {
    let scheme = scheme_for_alg(alg)?;
    cert.public_key()
        .verify(scheme, message, signature)
        .map_err(|e| from_signature_error(&e, "attestation certificate key"))
}

/// The AAGUID of the attested credential, or a MALFORMED_AUTHENTICATOR_DATA reason when the
/// authenticatorData has none (registration needs AT: WebAuthn L3 §7.1 step 19).
pub(crate) fn credential<'a>(
    input: &'a StatementInput<'_>,
) -> Result<&'a super::AttestedCredential, Reason> {
    input.auth_data.attested_credential.as_ref().ok_or_else(|| {
        Reason::new(
            ReasonCode::MalformedAuthenticatorData,
            "authenticatorData has no attested credential data (AT flag not set)",
        )
    })
}
