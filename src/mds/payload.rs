//! The BLOB payload (MDS3 §3.1.6 MetadataBLOBPayload): parsed tolerantly into trust-store entries.
//!
//! The top level (`no`, `nextUpdate`, `entries`) must be right or the whole BLOB is refused. Each
//! entry is parsed on its own from its original JSON text: unknown members and unknown status
//! values are kept and counted; an entry mdsd cannot understand (a known member of the wrong
//! type, a bad AAGUID, an undecodable certificate, ...) is quarantined with the reason and the
//! rest of the BLOB still loads.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use time::Date;
use uuid::Uuid;

use super::BlobError;
use crate::trust_store::{AuthenticatorStatus, Entry, StatusReport, TrustStore};
use crate::x509::Cert;

/// Bounds on the work a payload may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadLimits {
    /// More entries than this refuses the BLOB (the real MDS had 280 at the end of 2024).
    pub max_entries: usize,
    /// More certificates than this in one entry (attestation roots plus status-report
    /// certificates) quarantines the entry.
    pub max_certs_per_entry: usize,
}

impl Default for PayloadLimits {
    fn default() -> Self {
        PayloadLimits { max_entries: 100_000, max_certs_per_entry: 64 }
    }
}

/// An entry that could not be understood and was left out of the trust store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Position in the payload's `entries` array.
    pub index: usize,
    /// What identifies the entry, when readable: `aaguid:…`, `aaid:…` or `key_identifiers:…`.
    pub id: Option<String>,
    pub reason: String,
}

/// A defect mdsd tolerated in an entry that was loaded (e.g. an attestation root that does not
/// parse and was left out: fewer roots can only make fewer chains trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryWarning {
    /// Position in the payload's `entries` array.
    pub index: usize,
    /// What identifies the entry (as in [`Quarantined::id`]).
    pub id: Option<String>,
    pub note: String,
}

/// Unknown members (by qualified name, e.g. `"statusReport.sunsetDay"`) and unknown
/// AuthenticatorStatus values, with how often each occurred.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownCounts {
    pub fields: BTreeMap<String, usize>,
    pub statuses: BTreeMap<String, usize>,
}

impl UnknownCounts {
    /// Total number of unknown members and status values seen.
    pub fn total(&self) -> usize {
        self.fields.values().sum::<usize>() + self.statuses.values().sum::<usize>()
    }
    fn field(&mut self, scope: &str, name: &str) {
        *self.fields.entry(format!("{scope}.{name}")).or_default() += 1;
    }
}

/// A parsed payload: the trust store plus everything a report needs.
#[derive(Debug)]
pub struct ParsedPayload {
    pub no: u64,
    pub next_update: Date,
    pub legal_header: Option<String>,
    pub store: TrustStore,
    pub quarantined: Vec<Quarantined>,
    pub warnings: Vec<EntryWarning>,
    pub unknown: UnknownCounts,
}

/// Parses a payload WITHOUT any signature, chain, revocation or rollback check.
///
/// For tests (hand-made entries) and fuzzing only: a store built this way is not trusted data.
/// Everything that serves relying parties must go through [`super::verify_blob`].
pub fn parse_payload(json: &[u8], limits: &PayloadLimits) -> Result<ParsedPayload, BlobError> {
    let top = parse_top(json)?;
    top.into_parsed(limits)
}

/// The top level of the payload, entries not yet parsed (so `no` can be checked first).
pub(crate) struct Top<'a> {
    pub no: u64,
    pub next_update: Date,
    pub legal_header: Option<String>,
    entries: Vec<&'a RawValue>,
    unknown: UnknownCounts,
}

/// MDS3 §3.1.6: `no` (integer), `nextUpdate` (date) and `entries` (array) must be present and
/// well-formed; anything else refuses the BLOB.
pub(crate) fn parse_top(json: &[u8]) -> Result<Top<'_>, BlobError> {
    let bad = |reason: String| BlobError::Payload { reason };
    let text = std::str::from_utf8(json).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let members: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    let mut unknown = UnknownCounts::default();
    for name in members.keys() {
        if !["legalHeader", "no", "nextUpdate", "entries"].contains(&name.as_str()) {
            unknown.field("payload", name);
        }
    }
    let no: u64 = required(&members, "no").map_err(bad)?;
    let next_update_text: String = required(&members, "nextUpdate").map_err(bad)?;
    let next_update = parse_date(&next_update_text).map_err(|e| bad(format!("nextUpdate: {e}")))?;
    let legal_header: Option<String> = optional(&members, "legalHeader").map_err(bad)?;
    let entries: Vec<&RawValue> = required(&members, "entries").map_err(bad)?;
    Ok(Top { no, next_update, legal_header, entries, unknown })
}

impl Top<'_> {
    /// Parses every entry (one pass), quarantining the ones that do not parse, and builds the
    /// trust store.
    pub(crate) fn into_parsed(self, limits: &PayloadLimits) -> Result<ParsedPayload, BlobError> {
        if self.entries.len() > limits.max_entries {
            return Err(BlobError::Payload {
                reason: format!(
                    "{} entries, more than the {} allowed",
                    self.entries.len(),
                    limits.max_entries
                ),
            });
        }
        let mut unknown = self.unknown;
        let mut quarantined = Vec::new();
        let mut warnings = Vec::new();
        let mut entries = Vec::with_capacity(self.entries.len());
        for (index, raw) in self.entries.into_iter().enumerate() {
            // Unknown counts and warnings of a quarantined entry are discarded with it.
            let mut entry_unknown = UnknownCounts::default();
            let mut notes = Vec::new();
            match parse_entry(raw, limits, &mut entry_unknown, &mut notes) {
                Ok((entry, id)) => {
                    merge(&mut unknown, entry_unknown);
                    warnings.extend(notes.into_iter().map(|note| EntryWarning {
                        index,
                        id: id.clone(),
                        note,
                    }));
                    entries.push(entry);
                }
                Err(EntryError { id, reason }) => {
                    quarantined.push(Quarantined { index, id, reason })
                }
            }
        }
        Ok(ParsedPayload {
            no: self.no,
            next_update: self.next_update,
            legal_header: self.legal_header,
            store: TrustStore::from_entries(self.no, self.next_update, entries),
            quarantined,
            warnings,
            unknown,
        })
    }
}

const ENTRY_FIELDS: &[&str] = &[
    "aaid",
    "aaguid",
    "attestationCertificateKeyIdentifiers",
    "metadataStatement",
    "biometricStatusReports",
    "statusReports",
    "timeOfLastStatusChange",
    "rogueListURL",
    "rogueListHash",
];

/// MetadataStatement members (FIDO Metadata Statement v3.0 §4, v3.1 additions).
const STATEMENT_FIELDS: &[&str] = &[
    "legalHeader",
    "aaid",
    "aaguid",
    "attestationCertificateKeyIdentifiers",
    "description",
    "alternativeDescriptions",
    "authenticatorVersion",
    "protocolFamily",
    "schema",
    "upv",
    "authenticationAlgorithms",
    "publicKeyAlgAndEncodings",
    "attestationTypes",
    "userVerificationDetails",
    "keyProtection",
    "isKeyRestricted",
    "isFreshUserVerificationRequired",
    "matcherProtection",
    "cryptoStrength",
    "attachmentHint",
    "tcDisplay",
    "tcDisplayContentType",
    "tcDisplayPNGCharacteristics",
    "attestationRootCertificates",
    "ecdaaTrustAnchors",
    "icon",
    "supportedExtensions",
    "authenticatorGetInfo",
    "friendlyNames",
    "multiDeviceCredentialSupport",
    "keyScope",
];

/// StatusReport members (MDS3 §3.1.3, v3.1 additions).
const STATUS_REPORT_FIELDS: &[&str] = &[
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
];

struct EntryError {
    id: Option<String>,
    reason: String,
}

type Members<'a> = BTreeMap<String, &'a RawValue>;

/// MDS3 §3.1.1 MetadataBLOBPayloadEntry → [`Entry`].
///
/// Tolerated defects (see [`parse_roots`]) are pushed to `warnings`.
fn parse_entry(
    raw: &RawValue,
    limits: &PayloadLimits,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<String>,
) -> Result<(Entry, Option<String>), EntryError> {
    let fail = |id: &Option<String>, reason: String| EntryError { id: id.clone(), reason };
    let members: Members<'_> = serde_json::from_str(raw.get())
        .map_err(|e| fail(&None, format!("entry is not a JSON object: {e}")))?;
    for name in members.keys().filter(|n| !ENTRY_FIELDS.contains(&n.as_str())) {
        unknown.field("entry", name);
    }
    let statement: Option<Members<'_>> =
        optional(&members, "metadataStatement").map_err(|e| fail(&None, e))?;
    if let Some(statement) = &statement {
        for name in statement.keys().filter(|n| !STATEMENT_FIELDS.contains(&n.as_str())) {
            unknown.field("metadataStatement", name);
        }
    }
    // Identifiers: the entry's own, else the statement's (they are the same in real BLOBs).
    let ident = |name: &str| {
        members.get(name).or_else(|| statement.as_ref().and_then(|s| s.get(name))).copied()
    };
    let aaguid_text: Option<String> =
        decode_opt(ident("aaguid"), "aaguid").map_err(|e| fail(&None, e))?;
    let aaid: Option<String> = decode_opt(ident("aaid"), "aaid").map_err(|e| fail(&None, e))?;
    let key_ids: Option<Vec<String>> = decode_opt(
        ident("attestationCertificateKeyIdentifiers"),
        "attestationCertificateKeyIdentifiers",
    )
    .map_err(|e| fail(&None, e))?;
    let id = aaguid_text
        .as_ref()
        .map(|g| format!("aaguid:{g}"))
        .or_else(|| aaid.as_ref().map(|a| format!("aaid:{a}")))
        .or_else(|| key_ids.as_ref().map(|k| format!("key_identifiers:{}", k.join(","))));

    let aaguid = match &aaguid_text {
        Some(text) => {
            Some(Uuid::try_parse(text).map_err(|e| fail(&id, format!("aaguid {text:?}: {e}")))?)
        }
        None => None,
    };
    let key_identifiers = key_ids.unwrap_or_default();
    for key_id in &key_identifiers {
        // Real BLOBs carry a few key identifiers of odd length; hex digits are all we demand.
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail(
                &id,
                format!("attestationCertificateKeyIdentifier {key_id:?} is not hex"),
            ));
        }
    }
    // Lowercase, and listed once (real BLOBs repeat some within one entry).
    let mut seen = std::collections::HashSet::with_capacity(key_identifiers.len());
    let key_identifiers: Vec<String> = key_identifiers
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .filter(|k| seen.insert(k.clone()))
        .collect();
    if aaguid.is_none() && aaid.is_none() && key_identifiers.is_empty() {
        return Err(fail(&id, "no aaguid, aaid or attestationCertificateKeyIdentifiers".into()));
    }

    let mut cert_budget = limits.max_certs_per_entry;
    let (description, authenticator_version, attestation_types, roots, mdcs, key_scope) =
        match &statement {
            None => (None, None, Vec::new(), Vec::new(), None, None),
            Some(s) => {
                let description: Option<String> =
                    optional(s, "description").map_err(|e| fail(&id, e))?;
                let version: Option<u64> =
                    optional(s, "authenticatorVersion").map_err(|e| fail(&id, e))?;
                let types: Option<Vec<String>> =
                    optional(s, "attestationTypes").map_err(|e| fail(&id, e))?;
                let root_texts: Option<Vec<String>> =
                    optional(s, "attestationRootCertificates").map_err(|e| fail(&id, e))?;
                let mut roots = Vec::new();
                for (i, text) in root_texts.unwrap_or_default().iter().enumerate() {
                    parse_roots(text, &mut cert_budget, &mut roots, &mut |note| {
                        warnings.push(format!("attestationRootCertificates[{i}]: {note}"))
                    })
                    .map_err(|e| fail(&id, format!("attestationRootCertificates[{i}]: {e}")))?;
                }
                let mdcs: Option<String> =
                    optional(s, "multiDeviceCredentialSupport").map_err(|e| fail(&id, e))?;
                let key_scope: Option<String> =
                    optional(s, "keyScope").map_err(|e| fail(&id, e))?;
                (description, version, types.unwrap_or_default(), roots, mdcs, key_scope)
            }
        };

    // MDS3 §3.1.1: statusReports is required.
    let raw_reports: Vec<Members<'_>> =
        required(&members, "statusReports").map_err(|e| fail(&id, e))?;
    let mut status_reports = Vec::with_capacity(raw_reports.len());
    for (i, report) in raw_reports.iter().enumerate() {
        let parsed = parse_status_report(report, &mut cert_budget, unknown)
            .map_err(|e| fail(&id, format!("statusReports[{i}]: {e}")))?;
        status_reports.push(parsed);
    }
    let tolsc: Option<String> =
        optional(&members, "timeOfLastStatusChange").map_err(|e| fail(&id, e))?;
    let time_of_last_status_change = match tolsc {
        Some(text) => {
            Some(parse_date(&text).map_err(|e| fail(&id, format!("timeOfLastStatusChange: {e}")))?)
        }
        None => None,
    };

    let entry = Entry {
        aaguid,
        aaid,
        key_identifiers,
        description,
        authenticator_version,
        attestation_roots: roots,
        status_reports,
        time_of_last_status_change,
        multi_device_credential_support: mdcs,
        key_scope,
        attestation_types,
        raw_json: Arc::from(raw.get()),
    };
    Ok((entry, id))
}

/// MDS3 §3.1.3 StatusReport.
fn parse_status_report(
    members: &Members<'_>,
    cert_budget: &mut usize,
    unknown: &mut UnknownCounts,
) -> Result<StatusReport, String> {
    for name in members.keys().filter(|n| !STATUS_REPORT_FIELDS.contains(&n.as_str())) {
        unknown.field("statusReport", name);
    }
    let status_text: String = required(members, "status")?;
    let status = AuthenticatorStatus::parse(&status_text);
    if status.is_unknown() {
        *unknown.statuses.entry(status_text).or_default() += 1;
    }
    let effective_date = match optional::<String>(members, "effectiveDate")? {
        Some(text) => Some(parse_date(&text).map_err(|e| format!("effectiveDate: {e}"))?),
        None => None,
    };
    let certificate = match optional::<String>(members, "certificate")? {
        Some(text) => {
            Some(parse_cert(&text, cert_budget).map_err(|e| format!("certificate: {e}"))?)
        }
        None => None,
    };
    Ok(StatusReport {
        status,
        effective_date,
        authenticator_version: optional(members, "authenticatorVersion")?,
        certificate,
        url: optional(members, "url")?,
        certification_descriptor: optional(members, "certificationDescriptor")?,
    })
}

/// One `attestationRootCertificates` string, tolerantly: ASCII whitespace is ignored (the
/// 2024-12 BLOB has a root starting with a tab), several DER certificates concatenated in one
/// string are split (the same BLOB's Feitian BioPass entry), and a root that does not decode or
/// parse is left out with a note (a missing root can only make fewer chains trusted). Only the
/// certificate budget is an error (it quarantines the entry).
fn parse_roots(
    text: &str,
    budget: &mut usize,
    roots: &mut Vec<Arc<Cert>>,
    note: &mut dyn FnMut(String),
) -> Result<(), String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() != text.len() {
        note("whitespace inside the base64 ignored".into());
    }
    let der = match STANDARD.decode(compact.as_bytes()) {
        Ok(der) => der,
        Err(e) => {
            note(format!("left out: not base64: {e}"));
            return Ok(());
        }
    };
    let pieces = match split_der_sequences(&der) {
        Some(pieces) if pieces.len() > 1 => {
            note(format!("{} concatenated certificates split", pieces.len()));
            pieces
        }
        _ => vec![der.as_slice()],
    };
    for piece in pieces {
        take_budget(budget)?;
        match Cert::from_der(piece) {
            Ok(cert) => roots.push(Arc::new(cert)),
            Err(e) => note(format!("left out: {e}")),
        }
    }
    Ok(())
}

/// A base64 DER certificate (status-report `certificate`), strictly apart from whitespace: a
/// report scoped to a certificate mdsd cannot read cannot be applied correctly.
fn parse_cert(text: &str, budget: &mut usize) -> Result<Arc<Cert>, String> {
    take_budget(budget)?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(compact.as_bytes()).map_err(|e| format!("not base64: {e}"))?;
    Cert::from_der(&der).map(Arc::new).map_err(|e| e.to_string())
}

fn take_budget(budget: &mut usize) -> Result<(), String> {
    if *budget == 0 {
        return Err("too many certificates in this entry".into());
    }
    *budget -= 1;
    Ok(())
}

/// Splits bytes into consecutive DER SEQUENCEs (tag 0x30, definite length of up to 4 bytes).
/// `None` when the bytes are not exactly such a concatenation.
fn split_der_sequences(mut der: &[u8]) -> Option<Vec<&[u8]>> {
    let mut pieces = Vec::new();
    while !der.is_empty() {
        let (&tag, rest) = der.split_first()?;
        let (&first, rest) = rest.split_first()?;
        if tag != 0x30 {
            return None;
        }
        let (len, header) = match first {
            0..=0x7f => (usize::from(first), 2),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                let bytes = rest.get(..n)?;
                (bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), 2 + n)
            }
            _ => return None,
        };
        let total = header.checked_add(len)?;
        pieces.push(der.get(..total)?);
        der = der.get(total..)?;
    }
    Some(pieces)
}

/// An ISO 8601 calendar date, `YYYY-MM-DD` (MDS3 uses this form for every date).
fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|e| format!("{text:?} is not a YYYY-MM-DD date: {e}"))
}

fn required<'a, T: Deserialize<'a>>(members: &Members<'a>, name: &str) -> Result<T, String> {
    optional(members, name)?.ok_or_else(|| format!("missing {name}"))
}

/// A member that may be absent. `null` counts as absent.
fn optional<'a, T: Deserialize<'a>>(
    members: &Members<'a>,
    name: &str,
) -> Result<Option<T>, String> {
    decode_opt(members.get(name).copied(), name)
}

fn decode_opt<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    name: &str,
) -> Result<Option<T>, String> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|e| format!("{name} has the wrong type: {e}")),
    }
}

fn merge(into: &mut UnknownCounts, from: UnknownCounts) {
    for (k, v) in from.fields {
        *into.fields.entry(k).or_default() += v;
    }
    for (k, v) in from.statuses {
        *into.statuses.entry(k).or_default() += v;
    }
}
