//! The `android-key` attestation statement format (WebAuthn L3 §8.4): the credential key is an
//! Android Keystore key whose attestation certificate (x5c[0]) carries the key description
//! extension (1.3.6.1.4.1.11129.2.1.17) describing how the key was made and may be used.
//!
//! Decisions (see the tests for each):
//! - KeyDescription is parsed strictly: security levels must be ENUMERATED (the pre-fix W3C test
//!   vector encodes them as INTEGER and is rejected), integers must be minimal DER.
//! - origin must be *present* and equal KM_ORIGIN_GENERATED, and purpose must contain
//!   KM_PURPOSE_SIGN, in teeEnforced — or in the union with softwareEnforced when
//!   [`StatementOptions::android_key_allow_software`](super::StatementOptions) is set. An
//!   absent origin proves nothing about where the key was generated, so it is a rejection.
//! - allApplications must be absent from both lists.

use asn1_rs::{Any, Class, FromDer, Tag};
use thiserror::Error;

use super::common::{alg_field, bytes_field, credential, signed_data, stmt_map};
use super::reason::{from_signature_error, Reason, ReasonCode};
use super::tpm::stmt::required_x5c;
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};
use crate::attestation::cose::scheme_for_alg;

const FORMAT: &str = "android-key";

/// The Android key attestation extension (WebAuthn L3 §8.4.1).
pub(crate) const OID_KEY_DESCRIPTION: &str = "1.3.6.1.4.1.11129.2.1.17";
/// AuthorizationList tags (Android Keymaster `Tag`, without the type bits).
const KM_TAG_PURPOSE: u32 = 1;
const KM_TAG_ALL_APPLICATIONS: u32 = 600;
const KM_TAG_ORIGIN: u32 = 702;
/// KM_PURPOSE_SIGN and KM_ORIGIN_GENERATED (keymaster_defs.h).
pub(crate) const KM_PURPOSE_SIGN: i64 = 2;
pub(crate) const KM_ORIGIN_GENERATED: i64 = 0;
/// Most entries accepted in one AuthorizationList or purpose set (real lists have ~20).
const MAX_LIST_ENTRIES: usize = 128;

/// Verifies an `android-key` statement (WebAuthn L3 §8.4 "Verification procedure").
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: CBOR decoding of attStmt.
    let entries = stmt_map(input.att_stmt, FORMAT)?;
    let alg = alg_field(entries, FORMAT)?;
    let sig = bytes_field(entries, "sig", FORMAT)?;
    let x5c = required_x5c(entries, FORMAT)?;
    let credential = &credential(input)?.public_key;
    let leaf =
        x5c.first().ok_or_else(|| Reason::new(ReasonCode::MalformedStatement, "empty x5c"))?;

    // Step 2: sig is a valid signature over authenticatorData ‖ clientDataHash with the public
    // key of the first certificate in x5c, using alg.
    let scheme = scheme_for_alg(alg)?;
    leaf.public_key()
        .verify(scheme, &signed_data(input), sig)
        .map_err(|e| from_signature_error(&e, "android-key attestation certificate"))?;

    // Step 3: the leaf's public key is the credential public key.
    if *leaf.public_key() != credential.key {
        return Err(Reason::new(
            ReasonCode::CredentialKeyMismatch,
            format!(
                "android-key certificate key ({}) differs from the credential public key ({})",
                leaf.public_key().describe(),
                credential.key.describe()
            ),
        ));
    }

    // Step 4: the key description's attestationChallenge is clientDataHash.
    let ext = leaf.extension(OID_KEY_DESCRIPTION).ok_or_else(|| {
        Reason::new(
            ReasonCode::CertificateRequirements,
            format!("android-key attestation certificate lacks extension {OID_KEY_DESCRIPTION}"),
        )
    })?;
    let description = KeyDescription::parse(&ext.value).map_err(|e| {
        Reason::new(ReasonCode::CertificateRequirements, format!("android-key {e}"))
    })?;
    if description.attestation_challenge != input.client_data_hash {
        return Err(Reason::new(
            ReasonCode::NonceMismatch,
            format!(
                "android-key attestationChallenge {} is not clientDataHash {}",
                hex::encode(&description.attestation_challenge),
                hex::encode(input.client_data_hash)
            ),
        ));
    }

    // Step 5: the authorization lists.
    check_authorizations(&description, input.options.android_key_allow_software)?;

    // Step 6: attestation type Basic, trust path x5c.
    Ok(StatementOutcome {
        attestation_type: AttestationType::Basic,
        coverage: Coverage::AuthenticatorData,
        trust_path: x5c,
    })
}

/// WebAuthn L3 §8.4 step 5: allApplications absent from both lists; origin GENERATED and
/// purpose SIGN in teeEnforced (or in the union with softwareEnforced when `allow_software`).
pub(crate) fn check_authorizations(
    description: &KeyDescription,
    allow_software: bool,
) -> Result<(), Reason> {
    let fail = |msg: String| Reason::new(ReasonCode::CertificateRequirements, msg);
    let (sw, tee) = (&description.software_enforced, &description.tee_enforced);
    // "The AuthorizationList.allApplications field is not present on either authorization list
    // (softwareEnforced nor teeEnforced), since PublicKeyCredential MUST be scoped to the RP ID."
    if sw.all_applications || tee.all_applications {
        return Err(fail(
            "android-key key description has allApplications: the key is not \
                         scoped to the RP ID"
                .into(),
        ));
    }
    // "use only the teeEnforced authorization list if the RP wants to accept only keys from a
    // trusted execution environment, otherwise use the union of teeEnforced and
    // softwareEnforced."
    let lists: Vec<(&str, &AuthorizationList)> = if allow_software {
        vec![("teeEnforced", tee), ("softwareEnforced", sw)]
    } else {
        vec![("teeEnforced", tee)]
    };
    let where_ = if allow_software { "teeEnforced ∪ softwareEnforced" } else { "teeEnforced" };
    // "The value in the AuthorizationList.origin field is equal to KM_ORIGIN_GENERATED."
    let origins: Vec<(&str, i64)> =
        lists.iter().filter_map(|(name, l)| l.origin.map(|o| (*name, o))).collect();
    if origins.is_empty() {
        return Err(fail(format!(
            "android-key key description has no origin in {where_}{}",
            software_hint(allow_software, sw.origin.is_some())
        )));
    }
    if let Some((name, origin)) = origins.iter().find(|(_, o)| *o != KM_ORIGIN_GENERATED) {
        return Err(fail(format!(
            "android-key {name}.origin is {origin}, not KM_ORIGIN_GENERATED (0)"
        )));
    }
    // "The value in the AuthorizationList.purpose field is equal to KM_PURPOSE_SIGN" (a SET OF:
    // it must contain KM_PURPOSE_SIGN).
    let signs = lists.iter().any(|(_, l)| l.purpose.contains(&KM_PURPOSE_SIGN));
    if !signs {
        let sw_signs = sw.purpose.contains(&KM_PURPOSE_SIGN);
        return Err(fail(format!(
            "android-key key description has no purpose KM_PURPOSE_SIGN (2) in {where_}{}",
            software_hint(allow_software, sw_signs)
        )));
    }
    Ok(())
}

fn software_hint(allow_software: bool, in_software: bool) -> &'static str {
    if !allow_software && in_software {
        " (only softwareEnforced has it: software-backed keys are not accepted by policy)"
    } else {
        ""
    }
}

/// Android attestation SecurityLevel (ENUMERATED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecurityLevel {
    Software,
    TrustedEnvironment,
    StrongBox,
    Other(i64),
}

impl SecurityLevel {
    fn from_value(v: i64) -> SecurityLevel {
        match v {
            0 => SecurityLevel::Software,
            1 => SecurityLevel::TrustedEnvironment,
            2 => SecurityLevel::StrongBox,
            other => SecurityLevel::Other(other),
        }
    }
}

/// The fields of an AuthorizationList WebAuthn judges; other tags are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuthorizationList {
    /// purpose [1] EXPLICIT SET OF INTEGER.
    pub purpose: Vec<i64>,
    /// allApplications [600] EXPLICIT NULL.
    pub all_applications: bool,
    /// origin [702] EXPLICIT INTEGER.
    pub origin: Option<i64>,
}

/// KeyDescription (Android "Key and ID attestation" schema, all versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyDescription {
    pub attestation_version: i64,
    pub attestation_security_level: SecurityLevel,
    pub keymaster_version: i64,
    pub keymaster_security_level: SecurityLevel,
    pub attestation_challenge: Vec<u8>,
    pub software_enforced: AuthorizationList,
    pub tee_enforced: AuthorizationList,
}

/// Why the key description extension does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum KeyDescriptionError {
    #[error("key description is not DER: {0}")]
    Der(String),
    #[error("key description field {field} is {found}, expected {expected}")]
    WrongType { field: &'static str, expected: &'static str, found: String },
    #[error("key description lacks {0}")]
    Missing(&'static str),
    #[error("key description has {0} trailing bytes")]
    Trailing(usize),
    #[error("key description field {0} is not a minimal integer that fits 64 bits")]
    BadInteger(&'static str),
    #[error("key description {list} has tag [{tag}] more than once")]
    DuplicateTag { list: &'static str, tag: u32 },
    #[error("key description {0} has too many entries")]
    TooManyEntries(&'static str),
}

impl KeyDescription {
    /// Parses the extnValue contents of the key description extension.
    pub(crate) fn parse(der: &[u8]) -> Result<KeyDescription, KeyDescriptionError> {
        let (seq, rest) = tlv(der)?;
        if !rest.is_empty() {
            return Err(KeyDescriptionError::Trailing(rest.len()));
        }
        expect(&seq, "KeyDescription", Tag::Sequence, "SEQUENCE")?;
        let mut body = seq.data;
        let mut next = |field: &'static str| -> Result<Any<'_>, KeyDescriptionError> {
            if body.is_empty() {
                return Err(KeyDescriptionError::Missing(field));
            }
            let (any, rest) = tlv(body)?;
            body = rest;
            Ok(any)
        };
        let attestation_version = integer(&next("attestationVersion")?, "attestationVersion")?;
        let attestation_security_level =
            enumerated(&next("attestationSecurityLevel")?, "attestationSecurityLevel")?;
        let keymaster_version = integer(&next("keymasterVersion")?, "keymasterVersion")?;
        let keymaster_security_level =
            enumerated(&next("keymasterSecurityLevel")?, "keymasterSecurityLevel")?;
        let challenge = next("attestationChallenge")?;
        expect(&challenge, "attestationChallenge", Tag::OctetString, "OCTET STRING")?;
        let unique_id = next("uniqueId")?;
        expect(&unique_id, "uniqueId", Tag::OctetString, "OCTET STRING")?;
        let software_enforced =
            AuthorizationList::parse(&next("softwareEnforced")?, "softwareEnforced")?;
        let tee_enforced = AuthorizationList::parse(&next("teeEnforced")?, "teeEnforced")?;
        // Later schema versions may append fields; they are not judged.
        Ok(KeyDescription {
            attestation_version,
            attestation_security_level,
            keymaster_version,
            keymaster_security_level,
            attestation_challenge: challenge.data.to_vec(),
            software_enforced,
            tee_enforced,
        })
    }
}

impl AuthorizationList {
    fn parse(any: &Any<'_>, list: &'static str) -> Result<AuthorizationList, KeyDescriptionError> {
        expect(any, list, Tag::Sequence, "SEQUENCE")?;
        let mut out = AuthorizationList::default();
        let (mut seen_purpose, mut count) = (false, 0usize);
        let mut body = any.data;
        while !body.is_empty() {
            count += 1;
            if count > MAX_LIST_ENTRIES {
                return Err(KeyDescriptionError::TooManyEntries(list));
            }
            let (entry, rest) = tlv(body)?;
            body = rest;
            if entry.class() != Class::ContextSpecific || !entry.header.is_constructed() {
                return Err(KeyDescriptionError::WrongType {
                    field: list,
                    expected: "[n] EXPLICIT entries",
                    found: describe(&entry),
                });
            }
            let tag = entry.tag().0;
            let duplicate = KeyDescriptionError::DuplicateTag { list, tag };
            match tag {
                KM_TAG_PURPOSE => {
                    if std::mem::replace(&mut seen_purpose, true) {
                        return Err(duplicate);
                    }
                    let set = explicit_inner(&entry, "purpose")?;
                    expect(&set, "purpose", Tag::Set, "SET OF INTEGER")?;
                    let mut items = set.data;
                    while !items.is_empty() {
                        if out.purpose.len() >= MAX_LIST_ENTRIES {
                            return Err(KeyDescriptionError::TooManyEntries("purpose"));
                        }
                        let (item, rest) = tlv(items)?;
                        items = rest;
                        out.purpose.push(integer(&item, "purpose")?);
                    }
                }
                KM_TAG_ALL_APPLICATIONS => {
                    if std::mem::replace(&mut out.all_applications, true) {
                        return Err(duplicate);
                    }
                    let null = explicit_inner(&entry, "allApplications")?;
                    expect(&null, "allApplications", Tag::Null, "NULL")?;
                }
                KM_TAG_ORIGIN => {
                    if out.origin.is_some() {
                        return Err(duplicate);
                    }
                    let value = explicit_inner(&entry, "origin")?;
                    out.origin = Some(integer(&value, "origin")?);
                }
                // Other tags (algorithm, keySize, rootOfTrust, ...) are not judged here.
                _ => {}
            }
        }
        Ok(out)
    }
}

/// One DER TLV and the bytes after it.
fn tlv(bytes: &[u8]) -> Result<(Any<'_>, &[u8]), KeyDescriptionError> {
    match Any::from_der(bytes) {
        Ok((rest, any)) => Ok((any, rest)),
        Err(e) => Err(KeyDescriptionError::Der(e.to_string())),
    }
}

/// The single element inside an EXPLICIT tag.
fn explicit_inner<'a>(
    entry: &Any<'a>,
    field: &'static str,
) -> Result<Any<'a>, KeyDescriptionError> {
    let (inner, rest) = tlv(entry.data)?;
    if !rest.is_empty() {
        return Err(KeyDescriptionError::WrongType {
            field,
            expected: "one element inside the explicit tag",
            found: format!("{} extra bytes", rest.len()),
        });
    }
    Ok(inner)
}

fn describe(any: &Any<'_>) -> String {
    format!("{:?} tag {}", any.class(), any.tag().0)
}

fn expect(
    any: &Any<'_>,
    field: &'static str,
    tag: Tag,
    expected: &'static str,
) -> Result<(), KeyDescriptionError> {
    if any.class() != Class::Universal || any.tag() != tag {
        return Err(KeyDescriptionError::WrongType { field, expected, found: describe(any) });
    }
    Ok(())
}

fn integer(any: &Any<'_>, field: &'static str) -> Result<i64, KeyDescriptionError> {
    expect(any, field, Tag::Integer, "INTEGER")?;
    der_i64(any.data).ok_or(KeyDescriptionError::BadInteger(field))
}

/// SecurityLevel ::= ENUMERATED; an INTEGER here is a schema violation (strict on purpose).
fn enumerated(any: &Any<'_>, field: &'static str) -> Result<SecurityLevel, KeyDescriptionError> {
    expect(any, field, Tag::Enumerated, "ENUMERATED")?;
    der_i64(any.data).map(SecurityLevel::from_value).ok_or(KeyDescriptionError::BadInteger(field))
}

/// A minimal two's-complement DER integer body that fits in i64.
fn der_i64(body: &[u8]) -> Option<i64> {
    match body {
        [] => return None,
        [0x00, next, ..] if *next < 0x80 => return None,
        [0xff, next, ..] if *next >= 0x80 => return None,
        _ if body.len() > 8 => return None,
        _ => {}
    }
    let negative = body.first().is_some_and(|b| *b >= 0x80);
    let mut value: i64 = if negative { -1 } else { 0 };
    for b in body {
        value = (value << 8) | i64::from(*b);
    }
    Some(value)
}

#[cfg(test)]
mod tests;
