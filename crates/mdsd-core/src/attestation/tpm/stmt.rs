//! Statement helpers the tpm, android-key and android-safetynet verifiers need beyond
//! `attestation::common`: text fields, a required x5c, and DER lists from a JWS header.

use std::sync::Arc;

use ciborium::Value;

use crate::attestation::common::{field, x5c_field, MAX_X5C};
use crate::attestation::cose::kind;
use crate::attestation::reason::{Reason, ReasonCode};
use crate::x509::Cert;

pub(crate) fn malformed(msg: impl Into<String>) -> Reason {
    Reason::new(ReasonCode::MalformedStatement, msg)
}

/// A required text-string field.
pub(crate) fn text_field<'a>(
    map: &'a [(Value, Value)],
    name: &str,
    fmt: &str,
) -> Result<&'a str, Reason> {
    match field(map, name) {
        Some(Value::Text(t)) => Ok(t),
        Some(other) => Err(malformed(format!(
            "{fmt}: attStmt.{name} is {} instead of a text string",
            kind(other)
        ))),
        None => Err(malformed(format!("{fmt}: attStmt.{name} is missing"))),
    }
}

/// The x5c array, which these formats require, parsed leaf first (never empty).
pub(crate) fn required_x5c(map: &[(Value, Value)], fmt: &str) -> Result<Vec<Arc<Cert>>, Reason> {
    match x5c_field(map, fmt)? {
        Some(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(malformed(format!("{fmt}: attStmt.x5c is missing"))),
    }
}

/// Parses a leaf-first list of DER certificates (non-empty, at most [`MAX_X5C`]).
pub(crate) fn certs_from_ders(ders: &[Vec<u8>], fmt: &str) -> Result<Vec<Arc<Cert>>, Reason> {
    if ders.is_empty() {
        return Err(malformed(format!("{fmt}: x5c is empty")));
    }
    if ders.len() > MAX_X5C {
        return Err(Reason::new(
            ReasonCode::LimitExceeded,
            format!("{fmt}: x5c has {} certificates, more than {MAX_X5C}", ders.len()),
        ));
    }
    ders.iter()
        .enumerate()
        .map(|(i, der)| {
            crate::attestation::cache::CERTS
                .parse(der)
                .map_err(|e| malformed(format!("{fmt}: x5c[{i}]: {e}")))
        })
        .collect()
}
