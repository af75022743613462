//! The `tpm` attestation statement format (WebAuthn L3 §8.3): a TPM 2.0 certifies the
//! credential key (pubArea) with an attestation identity key (AIK) whose certificate is x5c[0].
//!
//! Decisions (see the tests for each):
//! - `ver` must be "2.0"; `ecdaaKeyId` (ECDAA, removed in L2) is an unsupported algorithm.
//! - pubArea and certInfo are parsed strictly per TPM 2.0 Part 2 ([`structs`]): a scheme
//!   selector is always followed by its details (e.g. RSASSA by its hashAlg), no trailing bytes.
//! - The TPM manufacturer in the AIK certificate's SAN must be `id:` followed by 8 hex digits;
//!   an id missing from the TCG vendor registry is accepted (test TPMs use `id:00000000` and
//!   trust comes from the chain to an MDS root, which the caller builds) and only logged.
//! - A critical SAN (Windows Hello) is accepted; an absent basicConstraints means CA=false.

pub(crate) mod stmt;
pub(crate) mod structs;
#[cfg(test)]
pub(crate) mod testkit;

use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::prelude::FromDer;

use super::common::{
    alg_field, bytes_field, check_aaguid_extension, credential, signed_data, stmt_map,
};
use super::cose::{digest_for_alg, lookup_text, scheme_for_alg};
use super::reason::{from_signature_error, Reason, ReasonCode};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};
use crate::x509::Cert;
use stmt::{malformed, required_x5c, text_field};
use structs::{object_name, CertInfo, PubArea, TpmError};

const FORMAT: &str = "tpm";

/// tcg-kp-AIKCertificate (TCG EK Credential Profile §3.2.15; WebAuthn L3 §8.3.1).
pub(crate) const OID_TCG_KP_AIK_CERTIFICATE: &str = "2.23.133.8.3";
/// tcg-at-tpmManufacturer / tpmModel / tpmVersion (TCG EK Credential Profile §3.2.9).
pub(crate) const OID_TPM_MANUFACTURER: &str = "2.23.133.2.1";
pub(crate) const OID_TPM_MODEL: &str = "2.23.133.2.2";
pub(crate) const OID_TPM_VERSION: &str = "2.23.133.2.3";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// Verifies a `tpm` statement (WebAuthn L3 §8.3.2 "Verification procedure").
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    // Step 1: CBOR decoding of attStmt and extraction of its fields.
    let entries = stmt_map(input.att_stmt, FORMAT)?;
    let ver = text_field(entries, "ver", FORMAT)?;
    if ver != "2.0" {
        return Err(malformed(format!("tpm attStmt.ver is {ver:?}, only \"2.0\" is defined")));
    }
    if lookup_text(entries, "ecdaaKeyId").is_some() {
        return Err(Reason::new(
            ReasonCode::UnsupportedAlgorithm,
            "tpm statement uses ECDAA (ecdaaKeyId), which mdsd does not support",
        ));
    }
    let alg = alg_field(entries, FORMAT)?;
    let sig = bytes_field(entries, "sig", FORMAT)?;
    let cert_info_raw = bytes_field(entries, "certInfo", FORMAT)?;
    let pub_area_raw = bytes_field(entries, "pubArea", FORMAT)?;
    let x5c = required_x5c(entries, FORMAT)?;
    let credential = &credential(input)?.public_key;

    // Step 2: the key in pubArea (parameters + unique) is the credential public key.
    let pub_area = PubArea::parse(pub_area_raw).map_err(tpm_malformed)?;
    let tpm_key = pub_area.public_key().map_err(tpm_malformed)?;
    if tpm_key != credential.key {
        return Err(Reason::new(
            ReasonCode::CredentialKeyMismatch,
            format!(
                "tpm pubArea key ({}) differs from the credential public key ({})",
                tpm_key.describe(),
                credential.key.describe()
            ),
        ));
    }

    // Step 3: attToBeSigned = authenticatorData ‖ clientDataHash.
    let att_to_be_signed = signed_data(input);

    // Step 4: certInfo is a TPMS_ATTEST with magic TPM_GENERATED_VALUE and type
    // TPM_ST_ATTEST_CERTIFY (checked while parsing, the type selects the layout) ...
    let cert_info = CertInfo::parse(cert_info_raw).map_err(tpm_malformed)?;
    // ... extraData is the hash of attToBeSigned with the hash of `alg` ...
    let hash = digest_for_alg(alg)?;
    let expected = hash.digest(&att_to_be_signed);
    if cert_info.extra_data != expected.as_ref() {
        return Err(Reason::new(
            ReasonCode::NonceMismatch,
            format!(
                "tpm certInfo.extraData ({}) is not {} of authenticatorData ‖ clientDataHash ({})",
                hex::encode(&cert_info.extra_data),
                hash,
                hex::encode(expected.as_ref())
            ),
        ));
    }
    // ... and attested.name is the Name of pubArea (TPM 2.0 Part 1 §16) under its nameAlg.
    // qualifiedSigner, clockInfo, firmwareVersion and qualifiedName are not judged (§8.3.2).
    let expected_name = object_name(pub_area.name_alg, pub_area_raw);
    if cert_info.attested_name != expected_name {
        return Err(Reason::new(
            ReasonCode::CredentialKeyMismatch,
            format!(
                "tpm certInfo certifies the object named {}, but pubArea's name is {}",
                hex::encode(&cert_info.attested_name),
                hex::encode(&expected_name)
            ),
        ));
    }

    // Step 5: sig is a signature over certInfo by the AIK (x5c[0]) with `alg` ...
    let aik = x5c.first().ok_or_else(|| malformed("tpm x5c is empty"))?;
    let scheme = scheme_for_alg(alg)?;
    aik.public_key()
        .verify(scheme, cert_info_raw, sig)
        .map_err(|e| from_signature_error(&e, "AIK certificate"))?;
    // ... the AIK certificate meets §8.3.1 ...
    check_aik_certificate(aik)?;
    // ... and its id-fido-gen-ce-aaguid, if any, matches the AAGUID.
    check_aaguid_extension(aik, &input.auth_data.aaguid())?;

    // Step 6: attestation type AttCA, trust path x5c.
    Ok(StatementOutcome {
        attestation_type: AttestationType::AttCa,
        coverage: Coverage::AuthenticatorData,
        trust_path: x5c,
    })
}

/// The TPM identity in the AIK certificate's subjectAltName directoryName.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TpmIdentity {
    pub manufacturer: String,
    pub model: String,
    pub version: String,
}

/// WebAuthn L3 §8.3.1 "TPM Attestation Statement Certificate Requirements".
pub(crate) fn check_aik_certificate(aik: &Cert) -> Result<TpmIdentity, Reason> {
    let fail = |msg: String| Reason::new(ReasonCode::CertificateRequirements, msg);
    // Version MUST be set to 3.
    if aik.version() != 3 {
        return Err(fail(format!("tpm AIK certificate is version {}, not 3", aik.version())));
    }
    // Subject field MUST be set to empty.
    let subject_attributes = aik.subject_attributes().map_err(|e| fail(format!("tpm AIK {e}")))?;
    if !subject_attributes.is_empty() {
        return Err(fail(format!(
            "tpm AIK certificate subject must be empty, is {:?}",
            aik.subject()
        )));
    }
    // The Subject Alternative Name extension MUST be set as defined in TPMv2-EK-Profile §3.2.9
    // (it may be critical: with an empty subject RFC 5280 requires exactly that).
    let identity = tpm_identity(aik)?;
    // The Extended Key Usage extension MUST contain tcg-kp-AIKCertificate.
    if !aik.extended_key_usage().iter().any(|o| o == OID_TCG_KP_AIK_CERTIFICATE) {
        return Err(fail(format!(
            "tpm AIK certificate extended key usage {:?} lacks {OID_TCG_KP_AIK_CERTIFICATE}",
            aik.extended_key_usage()
        )));
    }
    // The Basic Constraints extension MUST have the CA component set to false.
    if let Some(bc) = aik.basic_constraints() {
        if bc.ca {
            return Err(fail("tpm AIK certificate has basicConstraints CA=true".into()));
        }
    }
    match tcg_vendor_name(&identity.manufacturer) {
        Some(vendor) => tracing::debug!(vendor, model = %identity.model, "tpm AIK manufacturer"),
        None => tracing::debug!(
            manufacturer = %identity.manufacturer,
            "tpm AIK manufacturer id is not in the TCG vendor registry (accepted)"
        ),
    }
    Ok(identity)
}

/// Reads tcg-at-tpmManufacturer/Model/Version from the SAN directoryName(s). Both encodings
/// seen in real certificates are accepted: one RDN holding all three attributes, or one RDN
/// per attribute. Each attribute must appear exactly once.
pub(crate) fn tpm_identity(aik: &Cert) -> Result<TpmIdentity, Reason> {
    let fail = |msg: String| Reason::new(ReasonCode::CertificateRequirements, msg);
    let ext = aik
        .extension(OID_SUBJECT_ALT_NAME)
        .ok_or_else(|| fail("tpm AIK certificate has no subjectAltName extension".into()))?;
    let san = match SubjectAlternativeName::from_der(&ext.value) {
        Ok(([], san)) => san,
        Ok(_) => return Err(fail("tpm AIK subjectAltName has trailing bytes".into())),
        Err(e) => return Err(fail(format!("tpm AIK subjectAltName does not parse: {e}"))),
    };
    let (mut manufacturer, mut model, mut version) = (None, None, None);
    for general_name in &san.general_names {
        let GeneralName::DirectoryName(name) = general_name else {
            continue;
        };
        for attr in name.iter_attributes() {
            let oid = attr.attr_type().to_id_string();
            let slot = match oid.as_str() {
                OID_TPM_MANUFACTURER => &mut manufacturer,
                OID_TPM_MODEL => &mut model,
                OID_TPM_VERSION => &mut version,
                _ => continue,
            };
            let value = attr
                .as_str()
                .map_err(|e| fail(format!("tpm AIK SAN attribute {oid} is not a string: {e}")))?;
            if slot.replace(value.to_string()).is_some() {
                return Err(fail(format!("tpm AIK SAN has attribute {oid} more than once")));
            }
        }
    }
    let require = |v: Option<String>, what: &str, oid: &str| match v {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(fail(format!("tpm AIK SAN lacks {what} ({oid})"))),
    };
    let identity = TpmIdentity {
        manufacturer: require(manufacturer, "tcg-at-tpmManufacturer", OID_TPM_MANUFACTURER)?,
        model: require(model, "tcg-at-tpmModel", OID_TPM_MODEL)?,
        version: require(version, "tcg-at-tpmVersion", OID_TPM_VERSION)?,
    };
    // TCG EK Credential Profile §3.2.9: the manufacturer is "id:" and the 4-byte vendor id as
    // 8 hex digits.
    let well_formed = identity
        .manufacturer
        .strip_prefix("id:")
        .is_some_and(|hex| hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(fail(format!(
            "tpm AIK SAN manufacturer {:?} is not \"id:\" and 8 hex digits",
            identity.manufacturer
        )));
    }
    Ok(identity)
}

/// The vendor named by a TPM manufacturer id (`id:XXXXXXXX`) in the TCG TPM Vendor ID
/// Registry, plus the FIDO conformance-tool id.
pub(crate) fn tcg_vendor_name(manufacturer: &str) -> Option<&'static str> {
    let id = manufacturer.strip_prefix("id:")?.to_ascii_uppercase();
    let name = match id.as_str() {
        "414D4400" => "AMD",
        "41544D4C" => "Atmel",
        "4252434D" => "Broadcom",
        "4353434F" => "Cisco",
        "464C5953" => "Flyslice Technologies",
        "524F4343" => "Fuzhou Rockchip",
        "474F4F47" => "Google",
        "48504900" => "HPI",
        "48504500" => "HPE",
        "48495349" => "Huawei",
        "49424D00" => "IBM",
        "49465800" => "Infineon",
        "494E5443" => "Intel",
        "4C454E00" => "Lenovo",
        "4D534654" => "Microsoft",
        "4E534D20" => "National Semiconductor",
        "4E545A00" => "Nationz",
        "4E544300" => "Nuvoton Technology",
        "51434F4D" => "Qualcomm",
        "534D5343" => "SMSC",
        "53544D20" => "STMicroelectronics",
        "534D534E" => "Samsung",
        "534E5300" => "Sinosun",
        "54584E00" => "Texas Instruments",
        "57454300" => "Winbond",
        "53454345" => "SecEdge",
        "FFFFF1D0" => "FIDO Alliance (conformance testing)",
        _ => return None,
    };
    Some(name)
}

fn tpm_malformed(err: TpmError) -> Reason {
    match err {
        TpmError::Unsupported { .. } => {
            Reason::new(ReasonCode::UnsupportedAlgorithm, err.to_string())
        }
        other => malformed(format!("tpm {other}")),
    }
}

#[cfg(test)]
mod tests;
