//! Status reports of an entry (MDS3 §3.1.3 StatusReport) → [`StatusReport`]: their members
//! read without a map, the status value kept when unknown, the report's certificate.

use std::borrow::Cow;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{MemberError, ReportCertificateError, StatusReportError};
use super::fields::ReportFields;
use super::members::{parse_date, Key};
use super::roots::CertBudget;
use super::UnknownCounts;
use crate::trust_store::{AuthenticatorStatus, StatusReport};
use crate::x509::Cert;

field_list! {
    /// StatusReport members (MDS3 §3.1.3, v3.1 additions).
    STATUS_REPORT_FIELDS,
    report_field,
    [
        "status",
        "effectiveDate",
        "authenticatorVersion",
        "certificate",
        "url",
        "certificationDescriptor",
        "certificateNumber",
        "certificationPolicyVersion",
        "certificationRequirementsVersion",
        "batchCertificate",
        "sunsetDate",
        "fipsRevision",
        "fipsPhysicalSecurityLevel",
    ]
}

/// MDS3 §3.1.3 StatusReport, from its members as a reader left them.
pub(super) fn parse_status_report(
    fields: ReportFields<'_>,
    cert_budget: &mut CertBudget,
    unknown: &mut UnknownCounts,
) -> Result<StatusReport, StatusReportError> {
    for name in &fields.unknown {
        unknown.field("statusReport", name);
    }
    let status_text = fields
        .status
        .get("status")
        .and_then(|text| text.ok_or(MemberError::Missing { member: "status" }))
        .map_err(StatusReportError::Member)?;
    let status = AuthenticatorStatus::parse(&status_text);
    if status.is_unknown() {
        *unknown.statuses.entry(status_text.into_owned()).or_default() += 1;
    }
    let effective_date = match fields.effective_date.get("effectiveDate")? {
        Some(text) => Some(parse_date(&text).map_err(StatusReportError::EffectiveDate)?),
        None => None,
    };
    let certificate = match fields.certificate.get("certificate")? {
        Some(text) => Some(parse_cert(&text, cert_budget).map_err(StatusReportError::Certificate)?),
        None => None,
    };
    Ok(StatusReport {
        status,
        effective_date,
        authenticator_version: fields.authenticator_version.get("authenticatorVersion")?,
        certificate,
        url: fields.url.get("url")?.map(Cow::into_owned),
        certification_descriptor: fields
            .certification_descriptor
            .get("certificationDescriptor")?
            .map(Cow::into_owned),
    })
}

/// A status report's members, read without a map (MDS3 §3.1.3): the known ones in the place of
/// their name in [`STATUS_REPORT_FIELDS`], raw; the last of duplicates wins and every other name
/// is listed once, exactly as a map of the members keeps them.
pub(super) struct ReportMembers<'a> {
    known: [Option<&'a RawValue>; STATUS_REPORT_FIELDS.len()],
    pub(super) unknown: std::collections::BTreeSet<Cow<'a, str>>,
}

impl<'a> ReportMembers<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a RawValue> {
        let at = STATUS_REPORT_FIELDS.iter().position(|field| *field == name)?;
        self.known.get(at).copied().flatten()
    }
}

impl<'de> Deserialize<'de> for ReportMembers<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ReportVisitor)
    }
}

struct ReportVisitor;

impl<'de> serde::de::Visitor<'de> for ReportVisitor {
    type Value = ReportMembers<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // What a map's visitor says, so that errors read the same.
        f.write_str("a map")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut report = ReportMembers {
            known: [None; STATUS_REPORT_FIELDS.len()],
            unknown: std::collections::BTreeSet::new(),
        };
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            match report_field(&name) {
                Some(at) => {
                    if let Some(slot) = report.known.get_mut(at) {
                        *slot = Some(value);
                    }
                }
                None => {
                    report.unknown.insert(name);
                }
            }
        }
        Ok(report)
    }
}

/// A base64 DER certificate (status-report `certificate`), strictly apart from whitespace: a
/// report scoped to a certificate mdsd cannot read cannot be applied correctly.
fn parse_cert(text: &str, budget: &mut CertBudget) -> Result<Arc<Cert>, ReportCertificateError> {
    budget.take().map_err(ReportCertificateError::Budget)?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(compact.as_bytes()).map_err(ReportCertificateError::NotBase64)?;
    Cert::from_der(&der).map(Arc::new).map_err(ReportCertificateError::NotACertificate)
}

impl From<MemberError> for StatusReportError {
    fn from(e: MemberError) -> Self {
        StatusReportError::Member(e)
    }
}
