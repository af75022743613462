//! The `android-safetynet` attestation statement format (WebAuthn L3 §8.5): a SafetyNet
//! attestation JWS whose nonce binds authenticatorData and clientDataHash, signed by a
//! certificate issued to `attest.android.com`. Deprecated by Google, still seen.
//!
//! Decisions (see the tests for each):
//! - The JWS is compact, its header `alg` must be an RS/PS/ES algorithm that fits the leaf key
//!   (ES signatures in the JOSE `r‖s` form), `x5c` is standard base64 DER, leaf first.
//! - Hostname: when the leaf has subjectAltName dNSNames, one must be `attest.android.com`
//!   (RFC 6125 §6.4.4); only without dNSNames is the subject CN consulted.
//! - `nonce` must equal, as a string, the padded standard base64 of
//!   SHA-256(authenticatorData ‖ clientDataHash).
//! - `ctsProfileMatch` must be `true` when `safetynet_require_cts` is set (default).
//! - `timestampMs` must lie in [now − safetynet_max_age_ms, now + safetynet_max_future_ms].
//!
//! The chain to the GlobalSign / Google roots is judged by the caller.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use thiserror::Error;
use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::common::{bytes_field, signed_data, stmt_map};
use super::reason::{from_signature_error, Reason, ReasonCode};
use super::tpm::stmt::{certs_from_ders, malformed, text_field};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};
use crate::crypto::{sha256, SignatureScheme};
use crate::x509::Cert;

const FORMAT: &str = "android-safetynet";
/// The hostname SafetyNet attestation certificates are issued to.
pub(crate) const SAFETYNET_HOSTNAME: &str = "attest.android.com";
/// Largest JWS accepted (real responses are 5–10 KiB).
pub(crate) const MAX_JWS_LEN: usize = 64 * 1024;
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// Verifies an `android-safetynet` statement (WebAuthn L3 §8.5 "Verification procedure").
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: CBOR decoding of attStmt.
    let entries = stmt_map(input.att_stmt, FORMAT)?;
    let ver = text_field(entries, "ver", FORMAT)?;
    if ver.is_empty() {
        return Err(malformed("android-safetynet attStmt.ver is empty"));
    }
    let response = bytes_field(entries, "response", FORMAT)?;

    // Step 2: response is a valid SafetyNet response: a JWS signed by its x5c leaf.
    let jws = Jws::parse(response).map_err(|e| {
        let code = match e {
            JwsError::TooLong(_) => ReasonCode::LimitExceeded,
            JwsError::UnsupportedAlg(_) => ReasonCode::UnsupportedAlgorithm,
            _ => ReasonCode::MalformedStatement,
        };
        Reason::new(code, format!("android-safetynet {e}"))
    })?;
    let x5c = certs_from_ders(&jws.x5c, FORMAT)?;
    let leaf = x5c.first().ok_or_else(|| malformed("android-safetynet JWS x5c is empty"))?;
    leaf.public_key()
        .verify(jws.scheme, jws.signing_input.as_bytes(), &jws.signature)
        .map_err(|e| from_signature_error(&e, "SafetyNet JWS leaf certificate"))?;

    // Step 3: nonce is base64(SHA-256(authenticatorData ‖ clientDataHash)).
    let expected = STANDARD.encode(sha256(&signed_data(input)));
    if jws.payload.nonce != expected {
        return Err(Reason::new(
            ReasonCode::NonceMismatch,
            format!(
                "android-safetynet nonce {:?} is not base64(SHA-256(authenticatorData ‖ \
                 clientDataHash)) {expected:?}",
                jws.payload.nonce
            ),
        ));
    }

    // Step 4: the response came from the SafetyNet service: the leaf is issued to
    // attest.android.com (SafetyNet documentation, "Verify the compatibility check response").
    check_hostname(leaf)?;

    // SafetyNet documentation: ctsProfileMatch states device integrity.
    if input.options.safetynet_require_cts && !jws.payload.cts_profile_match {
        return Err(Reason::new(
            ReasonCode::DeviceIntegrity,
            "android-safetynet ctsProfileMatch is false: the device failed the CTS profile check",
        ));
    }

    // SafetyNet documentation: timestampMs is when the response was generated; it must be
    // recent relative to the verification time.
    check_timestamp(jws.payload.timestamp_ms, input)?;

    // Step 5: attestation type Basic, trust path x5c.
    Ok(StatementOutcome {
        attestation_type: AttestationType::Basic,
        coverage: Coverage::AuthenticatorData,
        trust_path: x5c,
    })
}

/// The leaf must be issued to `attest.android.com`: a subjectAltName dNSName when the leaf
/// has any, otherwise the subject CN.
pub(crate) fn check_hostname(leaf: &Cert) -> Result<(), Reason> {
    let fail = |msg: String| Reason::new(ReasonCode::CertificateRequirements, msg);
    let mut dns_names = Vec::new();
    if let Some(ext) = leaf.extension(OID_SUBJECT_ALT_NAME) {
        match SubjectAlternativeName::from_der(&ext.value) {
            Ok(([], san)) => {
                for name in san.general_names {
                    if let GeneralName::DNSName(dns) = name {
                        dns_names.push(dns.to_string());
                    }
                }
            }
            _ => return Err(fail("android-safetynet leaf subjectAltName does not parse".into())),
        }
    }
    let matches = |name: &str| name.eq_ignore_ascii_case(SAFETYNET_HOSTNAME);
    if !dns_names.is_empty() {
        if dns_names.iter().any(|n| matches(n)) {
            return Ok(());
        }
        return Err(fail(format!(
            "android-safetynet leaf is issued to {dns_names:?}, not {SAFETYNET_HOSTNAME}"
        )));
    }
    let common_names: Vec<String> = match X509Name::from_der(leaf.subject_raw()) {
        Ok((_, name)) => {
            name.iter_common_name().filter_map(|cn| cn.as_str().ok().map(str::to_string)).collect()
        }
        Err(e) => return Err(fail(format!("android-safetynet leaf subject does not parse: {e}"))),
    };
    match common_names.as_slice() {
        [cn] if matches(cn) => Ok(()),
        _ => Err(fail(format!(
            "android-safetynet leaf subject {:?} is not CN={SAFETYNET_HOSTNAME}",
            leaf.subject()
        ))),
    }
}

fn check_timestamp(timestamp_ms: i64, input: &StatementInput<'_>) -> Result<(), Reason> {
    let now_ms = i64::try_from(input.now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let age_ms = now_ms.saturating_sub(timestamp_ms);
    let at = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| format!("{ms} ms"))
    };
    if age_ms > input.options.safetynet_max_age_ms {
        return Err(Reason::new(
            ReasonCode::StatementTimestamp,
            format!(
                "android-safetynet timestampMs {} is {age_ms} ms before {}, more than the \
                 {} ms allowed",
                at(timestamp_ms),
                input.now,
                input.options.safetynet_max_age_ms
            ),
        ));
    }
    if age_ms < 0 && age_ms.saturating_neg() > input.options.safetynet_max_future_ms {
        return Err(Reason::new(
            ReasonCode::StatementTimestamp,
            format!(
                "android-safetynet timestampMs {} is {} ms after {}, more than the {} ms allowed",
                at(timestamp_ms),
                age_ms.saturating_neg(),
                input.now,
                input.options.safetynet_max_future_ms
            ),
        ));
    }
    Ok(())
}

/// Why the SafetyNet response is not a usable JWS.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum JwsError {
    #[error("response is {0} bytes, more than {MAX_JWS_LEN}")]
    TooLong(usize),
    #[error("response is not UTF-8 text")]
    NotText,
    #[error("response is not a compact JWS (header.payload.signature)")]
    NotCompact,
    #[error("JWS {part} is not base64url without padding")]
    Base64 { part: &'static str },
    #[error("JWS {part} is not the expected JSON: {message}")]
    Json { part: &'static str, message: String },
    #[error("JWS header alg {0:?} is not supported")]
    UnsupportedAlg(String),
    #[error("JWS header x5c[{0}] is not standard base64")]
    X5cBase64(usize),
}

/// The JWS header fields SafetyNet uses (RFC 7515 §4.1).
#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    x5c: Vec<String>,
}

/// The SafetyNet attestation payload fields WebAuthn judges.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SafetynetPayload {
    pub nonce: String,
    pub timestamp_ms: i64,
    pub cts_profile_match: bool,
    #[serde(default)]
    pub basic_integrity: Option<bool>,
}

/// A parsed compact JWS.
#[derive(Debug)]
pub(crate) struct Jws {
    pub scheme: SignatureScheme,
    pub x5c: Vec<Vec<u8>>,
    pub payload: SafetynetPayload,
    /// `base64url(header) "." base64url(payload)`: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jws {
    pub(crate) fn parse(response: &[u8]) -> Result<Jws, JwsError> {
        if response.len() > MAX_JWS_LEN {
            return Err(JwsError::TooLong(response.len()));
        }
        let text = std::str::from_utf8(response).map_err(|_| JwsError::NotText)?;
        let mut parts = text.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::NotCompact);
        };
        let decode = |part: &'static str, v: &str| {
            URL_SAFE_NO_PAD.decode(v).map_err(|_| JwsError::Base64 { part })
        };
        let header: Header = serde_json::from_slice(&decode("header", h)?)
            .map_err(|e| JwsError::Json { part: "header", message: e.to_string() })?;
        let payload: SafetynetPayload = serde_json::from_slice(&decode("payload", p)?)
            .map_err(|e| JwsError::Json { part: "payload", message: e.to_string() })?;
        let signature = decode("signature", s)?;
        let scheme = jws_scheme(&header.alg)?;
        let x5c = header
            .x5c
            .iter()
            .enumerate()
            .map(|(i, c)| STANDARD.decode(c).map_err(|_| JwsError::X5cBase64(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let signing_input = format!("{h}.{p}");
        Ok(Jws { scheme, x5c, payload, signing_input, signature })
    }
}

/// JWS `alg` (RFC 7518 §3.1) to signature scheme; ECDSA in the JOSE fixed-width form.
fn jws_scheme(alg: &str) -> Result<SignatureScheme, JwsError> {
    Ok(match alg {
        "RS256" => SignatureScheme::RsaPkcs1Sha256,
        "RS384" => SignatureScheme::RsaPkcs1Sha384,
        "RS512" => SignatureScheme::RsaPkcs1Sha512,
        "PS256" => SignatureScheme::RsaPssSha256,
        "PS384" => SignatureScheme::RsaPssSha384,
        "PS512" => SignatureScheme::RsaPssSha512,
        "ES256" => SignatureScheme::EcdsaSha256Fixed,
        "ES384" => SignatureScheme::EcdsaSha384Fixed,
        "ES512" => SignatureScheme::EcdsaSha512Fixed,
        other => return Err(JwsError::UnsupportedAlg(other.to_string())),
    })
}

#[cfg(test)]
mod tests;
