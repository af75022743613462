//! The BLOB payload (MDS3 §3.1.6 MetadataBLOBPayload): parsed tolerantly into trust-store entries.
//!
//! The top level (`no`, `nextUpdate`, `entries`) must be right or the whole BLOB is refused. Each
//! entry is parsed on its own from its original JSON text: unknown members and unknown status
//! values are kept and counted; an entry mdsd cannot understand (a known member of the wrong
//! type, a bad AAGUID, an undecodable certificate, ...) is quarantined with the reason and the
//! rest of the BLOB still loads.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use time::Date;
use uuid::Uuid;

use super::BlobError;
use crate::trust_store::{
    AuthenticatorStatus, Entry, LazyCert, RawJson, Roots, StatusReport, TrustStore,
};
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
    let text = shared_text(json.to_vec())?;
    let top = parse_top(&text)?;
    top.into_parsed(limits)
}

/// The payload as text, to be shared by the entries' [`RawJson`] (no copy).
pub(crate) fn shared_text(json: Vec<u8>) -> Result<Arc<String>, BlobError> {
    String::from_utf8(json)
        .map(Arc::new)
        .map_err(|e| BlobError::Payload { reason: format!("not UTF-8: {}", e.utf8_error()) })
}

/// The top level of the payload, entries read raw but not interpreted yet (so `no` can be
/// checked first).
pub(crate) struct Top<'a> {
    /// The whole payload, which the entries' raw JSON points into.
    text: &'a Arc<String>,
    pub no: u64,
    pub next_update: Date,
    pub legal_header: Option<String>,
    entries: TopEntries<'a>,
    unknown: UnknownCounts,
}

/// The entries as the top-level pass left them.
enum TopEntries<'a> {
    /// Split only: each entry is read in a pass of its own.
    Raw(Vec<&'a RawValue>),
    /// Read during the top-level pass ([`scan`]).
    Scanned(Vec<scan::EntryScan<'a>>),
}

impl<'a> TopEntries<'a> {
    fn len(&self) -> usize {
        match self {
            TopEntries::Raw(raw) => raw.len(),
            TopEntries::Scanned(scanned) => scanned.len(),
        }
    }
    /// Each entry's JSON text.
    #[cfg(test)]
    fn texts(&self) -> Vec<&'a str> {
        match self {
            TopEntries::Raw(raw) => raw.iter().map(|r| r.get()).collect(),
            TopEntries::Scanned(scanned) => scanned.iter().map(|s| s.text).collect(),
        }
    }
}

/// MetadataBLOBPayload members (MDS3 §3.1.6).
const TOP_FIELDS: &[&str] = &["legalHeader", "no", "nextUpdate", "entries"];

/// MDS3 §3.1.6: `no` (integer), `nextUpdate` (date) and `entries` (array) must be present and
/// well-formed; anything else refuses the BLOB.
pub(crate) fn parse_top(text: &Arc<String>) -> Result<Top<'_>, BlobError> {
    // Fastest path: one pass over the whole payload that also reads every entry (see `scan`).
    if let Some((members, entries, names)) = scan::top(text) {
        return top_from_members(text, &members, TopEntries::Scanned(entries), &names);
    }
    parse_top_two_pass(text)
}

/// [`parse_top`] without the one pass: a pass that splits `entries` as it goes (see `sparse`),
/// each entry read later on its own; the general path decides everything it gives up on, with
/// the exact error.
fn parse_top_two_pass(text: &Arc<String>) -> Result<Top<'_>, BlobError> {
    match sparse::top(text) {
        Some((members, entries, names)) => {
            top_from_members(text, &members, TopEntries::Raw(entries), &names)
        }
        None => parse_top_general(text),
    }
}

/// The checks of [`parse_top`] on the top level's members (`no`, `nextUpdate`, `legalHeader`),
/// its entries and all its member names.
fn top_from_members<'a>(
    text: &'a Arc<String>,
    members: &Members<'a>,
    entries: TopEntries<'a>,
    names: &[Cow<'a, str>],
) -> Result<Top<'a>, BlobError> {
    let bad = |reason: String| BlobError::Payload { reason };
    let mut unknown = UnknownCounts::default();
    for name in names.iter().filter(|n| !TOP_FIELDS.contains(&n.as_ref())) {
        unknown.field("payload", name);
    }
    let no: u64 = required(members, "no").map_err(bad)?;
    let next_update_text: String = required(members, "nextUpdate").map_err(bad)?;
    let next_update = parse_date(&next_update_text).map_err(|e| bad(format!("nextUpdate: {e}")))?;
    let legal_header: Option<String> = optional(members, "legalHeader").map_err(bad)?;
    Ok(Top { text, no, next_update, legal_header, entries, unknown })
}

/// [`parse_top`] with the whole top level as a map.
fn parse_top_general(text: &Arc<String>) -> Result<Top<'_>, BlobError> {
    let bad = |reason: String| BlobError::Payload { reason };
    let mut unknown = UnknownCounts::default();
    let members: Members<'_> =
        serde_json::from_str(text).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    for name in members.keys() {
        if !TOP_FIELDS.contains(&name.as_ref()) {
            unknown.field("payload", name);
        }
    }
    let no: u64 = required(&members, "no").map_err(bad)?;
    let next_update_text: String = required(&members, "nextUpdate").map_err(bad)?;
    let next_update = parse_date(&next_update_text).map_err(|e| bad(format!("nextUpdate: {e}")))?;
    let legal_header: Option<String> = optional(&members, "legalHeader").map_err(bad)?;
    let entries: Vec<&RawValue> = required(&members, "entries").map_err(bad)?;
    Ok(Top { text, no, next_update, legal_header, entries: TopEntries::Raw(entries), unknown })
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
        // Real BLOBs repeat attestation roots across entries: each distinct one is parsed once.
        let mut roots_cache =
            RootsCache { decoded: HashMap::new(), max_certs: limits.max_certs_per_entry };
        // Each entry's text and, when a pass has read them already, its members.
        let read: Box<dyn Iterator<Item = (&str, Option<EntryRead<'_>>)>> = match self.entries {
            TopEntries::Raw(raw) => {
                Box::new(raw.into_iter().map(|raw| (raw.get(), sparse::entry(raw.get()))))
            }
            TopEntries::Scanned(scanned) => {
                Box::new(scanned.into_iter().map(|scan| (scan.text, scan.read)))
            }
        };
        for (index, (text, read)) in read.enumerate() {
            // Unknown counts and warnings of a quarantined entry are discarded with it.
            let mut entry_unknown = UnknownCounts::default();
            let mut notes = Vec::new();
            let raw_json = raw_json_in(self.text, text);
            match parse_entry_read(
                text,
                read,
                raw_json,
                limits,
                &mut roots_cache,
                &mut entry_unknown,
                &mut notes,
            ) {
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

/// `raw`, an entry's text, as a range of the payload `text` when it lies inside it (it does for
/// every entry [`parse_top`] splits); a copy otherwise.
fn raw_json_in(text: &Arc<String>, raw: &str) -> RawJson {
    // Pointer arithmetic only locates `raw`; `RawJson::shared` bounds-checks the range and the
    // comparison below makes sure it is `raw` itself.
    let start = (raw.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    RawJson::shared(text, start..start.saturating_add(raw.len()))
        .filter(|shared| shared.get().as_ptr() == raw.as_ptr())
        .unwrap_or_else(|| RawJson::owned(raw))
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

type Members<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;

/// MDS3 §3.1.1 MetadataBLOBPayloadEntry → [`Entry`].
///
/// Tolerated defects (see [`RootsDecoded`]) are pushed to `warnings`.
#[cfg(test)]
fn parse_entry<'a>(
    raw: &'a RawValue,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<String>,
) -> Result<(Entry, Option<String>), EntryError> {
    let read = sparse::entry(raw.get());
    parse_entry_read(raw.get(), read, raw_json, limits, roots_cache, unknown, warnings)
}

/// An entry's members as a fast pass read them: its own, its statement's, all member names.
type EntryRead<'a> = (Members<'a>, Option<Members<'a>>, sparse::Names<'a>);

/// [`parse_entry`] with the entry's members read already (`read`) or, when the fast pass gave
/// up on the entry, from its `text`.
fn parse_entry_read<'a>(
    text: &'a str,
    read: Option<EntryRead<'a>>,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<String>,
) -> Result<(Entry, Option<String>), EntryError> {
    // Fast path: one pass that keeps only the members read below (see `sparse` and `scan`).
    // Anything it does not handle (not an object, a duplicate member, a statement that is not
    // an object) goes the general way, which gives the same result and the exact error.
    if let Some((members, statement, names)) = read {
        for name in names.entry.iter().filter(|n| !listed(ENTRY_FIELDS, n)) {
            unknown.field("entry", name);
        }
        for name in names.statement.iter().filter(|n| !listed(STATEMENT_FIELDS, n)) {
            unknown.field("metadataStatement", name);
        }
        return entry_from_members(
            raw_json,
            &members,
            statement.as_ref(),
            limits,
            roots_cache,
            unknown,
            warnings,
        );
    }
    parse_entry_general(text, raw_json, limits, roots_cache, unknown, warnings)
}

/// [`parse_entry`] without the fast path: the whole entry and statement as maps.
fn parse_entry_general<'a>(
    text: &'a str,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<String>,
) -> Result<(Entry, Option<String>), EntryError> {
    let fail = |reason: String| EntryError { id: None, reason };
    let members: Members<'_> =
        serde_json::from_str(text).map_err(|e| fail(format!("entry is not a JSON object: {e}")))?;
    for name in members.keys().filter(|n| !ENTRY_FIELDS.contains(&n.as_ref())) {
        unknown.field("entry", name);
    }
    let statement: Option<Members<'_>> = optional(&members, "metadataStatement").map_err(fail)?;
    if let Some(statement) = &statement {
        for name in statement.keys().filter(|n| !STATEMENT_FIELDS.contains(&n.as_ref())) {
            unknown.field("metadataStatement", name);
        }
    }
    entry_from_members(
        raw_json,
        &members,
        statement.as_ref(),
        limits,
        roots_cache,
        unknown,
        warnings,
    )
}

/// The entry members [`entry_from_members`] reads (all others are only named).
const ENTRY_READ: &[&str] = &[
    "aaguid",
    "aaid",
    "attestationCertificateKeyIdentifiers",
    "statusReports",
    "timeOfLastStatusChange",
];

/// The statement members [`entry_from_members`] reads.
const STATEMENT_READ: &[&str] = &[
    "aaguid",
    "aaid",
    "attestationCertificateKeyIdentifiers",
    "description",
    "authenticatorVersion",
    "attestationTypes",
    "authenticationAlgorithms",
    "attestationRootCertificates",
    "multiDeviceCredentialSupport",
    "keyScope",
];

/// MDS3 §3.1.1 from the entry's members (and its statement's, when it has an object there).
/// Reads only the members named in [`ENTRY_READ`] and [`STATEMENT_READ`].
fn entry_from_members<'a>(
    raw_json: RawJson,
    members: &Members<'a>,
    statement: Option<&Members<'a>>,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<String>,
) -> Result<(Entry, Option<String>), EntryError> {
    let fail = |id: &Option<String>, reason: String| EntryError { id: id.clone(), reason };
    // Identifiers: the entry's own, else the statement's (they are the same in real BLOBs).
    let ident =
        |name: &str| members.get(name).or_else(|| statement.and_then(|s| s.get(name))).copied();
    let aaguid_text = decode_str(ident("aaguid"), "aaguid").map_err(|e| fail(&None, e))?;
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
    let (description, authenticator_version, attestation_types, algorithms, roots, mdcs, key_scope) =
        match statement {
            None => (None, None, Vec::new(), Vec::new(), Vec::new(), None, None),
            Some(s) => {
                let description: Option<String> =
                    optional(s, "description").map_err(|e| fail(&id, e))?;
                let version: Option<u64> =
                    optional(s, "authenticatorVersion").map_err(|e| fail(&id, e))?;
                let types: Option<Vec<String>> =
                    optional(s, "attestationTypes").map_err(|e| fail(&id, e))?;
                let algorithms: Option<Vec<String>> =
                    optional(s, "authenticationAlgorithms").map_err(|e| fail(&id, e))?;
                // Borrowed from the payload when no string has escapes (the usual case); the
                // owned decode gives the same values, and the exact error otherwise.
                let root_texts: Vec<Cow<'a, str>> =
                    match optional::<Vec<&'a str>>(s, "attestationRootCertificates") {
                        Ok(texts) => texts.unwrap_or_default().into_iter().map(Cow::from).collect(),
                        Err(_) => optional::<Vec<String>>(s, "attestationRootCertificates")
                            .map_err(|e| fail(&id, e))?
                            .unwrap_or_default()
                            .into_iter()
                            .map(Cow::from)
                            .collect(),
                    };
                let mut roots = Vec::new();
                for (i, text) in root_texts.into_iter().enumerate() {
                    roots_cache
                        .apply(text, &mut cert_budget, &mut roots, &mut |note| {
                            warnings.push(format!("attestationRootCertificates[{i}]: {note}"))
                        })
                        .map_err(|e| fail(&id, format!("attestationRootCertificates[{i}]: {e}")))?;
                }
                let mdcs: Option<String> =
                    optional(s, "multiDeviceCredentialSupport").map_err(|e| fail(&id, e))?;
                let key_scope: Option<String> =
                    optional(s, "keyScope").map_err(|e| fail(&id, e))?;
                (
                    description,
                    version,
                    types.unwrap_or_default(),
                    algorithms.unwrap_or_default(),
                    roots,
                    mdcs,
                    key_scope,
                )
            }
        };

    // MDS3 §3.1.1: statusReports is required.
    let raw_reports: Vec<ReportMembers<'_>> =
        required(members, "statusReports").map_err(|e| fail(&id, e))?;
    let mut status_reports = Vec::with_capacity(raw_reports.len());
    for (i, report) in raw_reports.iter().enumerate() {
        let parsed = parse_status_report(report, &mut cert_budget, unknown)
            .map_err(|e| fail(&id, format!("statusReports[{i}]: {e}")))?;
        status_reports.push(parsed);
    }
    let tolsc = optional_str(members, "timeOfLastStatusChange").map_err(|e| fail(&id, e))?;
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
        attestation_roots: Roots::new(roots),
        status_reports,
        time_of_last_status_change,
        multi_device_credential_support: mdcs,
        key_scope,
        attestation_types,
        authentication_algorithms: algorithms,
        raw_json,
    };
    Ok((entry, id))
}

/// MDS3 §3.1.3 StatusReport.
fn parse_status_report(
    members: &ReportMembers<'_>,
    cert_budget: &mut usize,
    unknown: &mut UnknownCounts,
) -> Result<StatusReport, String> {
    for name in &members.unknown {
        unknown.field("statusReport", name);
    }
    let field = |name: &str| members.get(name);
    let status_text =
        decode_str(field("status"), "status")?.ok_or_else(|| "missing status".to_string())?;
    let status = AuthenticatorStatus::parse(&status_text);
    if status.is_unknown() {
        *unknown.statuses.entry(status_text.into_owned()).or_default() += 1;
    }
    let effective_date = match decode_str(field("effectiveDate"), "effectiveDate")? {
        Some(text) => Some(parse_date(&text).map_err(|e| format!("effectiveDate: {e}"))?),
        None => None,
    };
    let certificate = match decode_opt::<String>(field("certificate"), "certificate")? {
        Some(text) => {
            Some(parse_cert(&text, cert_budget).map_err(|e| format!("certificate: {e}"))?)
        }
        None => None,
    };
    Ok(StatusReport {
        status,
        effective_date,
        authenticator_version: decode_opt(field("authenticatorVersion"), "authenticatorVersion")?,
        certificate,
        url: decode_opt(field("url"), "url")?,
        certification_descriptor: decode_opt(
            field("certificationDescriptor"),
            "certificationDescriptor",
        )?,
    })
}

/// A status report's members, read without a map (MDS3 §3.1.3): the known ones in the place of
/// their name in [`STATUS_REPORT_FIELDS`], raw; the last of duplicates wins and every other name
/// is listed once, exactly as a map of the members keeps them.
struct ReportMembers<'a> {
    known: [Option<&'a RawValue>; STATUS_REPORT_FIELDS.len()],
    unknown: std::collections::BTreeSet<Cow<'a, str>>,
}

impl<'a> ReportMembers<'a> {
    fn get(&self, name: &str) -> Option<&'a RawValue> {
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
        while let Some(sparse::Key(name)) = map.next_key::<sparse::Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            match STATUS_REPORT_FIELDS.iter().position(|field| listed(&[field], &name)) {
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

/// One `attestationRootCertificates` string, decoded tolerantly (before the per-entry budget):
/// ASCII whitespace is ignored (the 2024-12 BLOB has a root starting with a tab), several DER
/// certificates concatenated in one string are split (the same BLOB's Feitian BioPass entry),
/// and a root that does not decode or parse is left out with a note (a missing root can only
/// make fewer chains trusted). Only the certificate budget is an error (it quarantines the
/// entry).
#[derive(Debug, Clone)]
struct RootsDecoded {
    whitespace: bool,
    outcome: RootsOutcome,
}

#[derive(Debug, Clone)]
enum RootsOutcome {
    NotBase64(String),
    /// `split` is the number of pieces when the string held several concatenated certificates.
    /// Only the first `max_certs_per_entry` pieces are parsed: `more` says there were others
    /// (the budget refuses them before they would be used).
    Pieces {
        split: Option<usize>,
        certs: Vec<Result<Arc<LazyCert>, String>>,
        more: bool,
    },
}

impl RootsDecoded {
    fn decode(text: &str, max_certs: usize) -> RootsDecoded {
        // Only ASCII whitespace is dropped, so a byte filter is exact.
        let whitespace = text.bytes().any(|b| b.is_ascii_whitespace());
        let compact: Cow<'_, [u8]> = if whitespace {
            Cow::Owned(text.bytes().filter(|b| !b.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(text.as_bytes())
        };
        let der = match STANDARD.decode(&compact) {
            Ok(der) => der,
            Err(e) => {
                return RootsDecoded { whitespace, outcome: RootsOutcome::NotBase64(e.to_string()) }
            }
        };
        let (split, pieces) = match split_der_sequences(&der) {
            Some(pieces) if pieces.len() > 1 => (Some(pieces.len()), pieces),
            _ => (None, vec![der.as_slice()]),
        };
        let more = pieces.len() > max_certs;
        let certs = pieces
            .into_iter()
            .take(max_certs)
            .map(|piece| {
                // Checked now (a root that does not parse is reported at load), parsed into a
                // `Cert` on first use.
                Cert::check_der(piece)
                    .map(|()| Arc::new(LazyCert::new(piece.to_vec())))
                    .map_err(|e| e.to_string())
            })
            .collect();
        RootsDecoded { whitespace, outcome: RootsOutcome::Pieces { split, certs, more } }
    }

    /// Adds the certificates to `roots` within `budget`, with the notes for the entry.
    fn apply(
        &self,
        budget: &mut usize,
        roots: &mut Vec<Arc<LazyCert>>,
        note: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        if self.whitespace {
            note("whitespace inside the base64 ignored".into());
        }
        let (split, certs, more) = match &self.outcome {
            RootsOutcome::NotBase64(e) => {
                note(format!("left out: not base64: {e}"));
                return Ok(());
            }
            RootsOutcome::Pieces { split, certs, more } => (split, certs, *more),
        };
        if let Some(n) = split {
            note(format!("{n} concatenated certificates split"));
        }
        for cert in certs {
            take_budget(budget)?;
            match cert {
                Ok(cert) => roots.push(cert.clone()),
                Err(e) => note(format!("left out: {e}")),
            }
        }
        if more {
            // The budget is at most `max_certs`, so it is spent by now: this refuses.
            take_budget(budget)?;
        }
        Ok(())
    }
}

/// Decoded `attestationRootCertificates` strings of one payload, by their text: real BLOBs
/// repeat the same roots in many entries (396 strings, 166 distinct in the 2024-12 BLOB).
struct RootsCache<'a> {
    decoded: HashMap<RootText<'a>, RootsDecoded>,
    max_certs: usize,
}

impl<'a> RootsCache<'a> {
    /// [`RootsDecoded::apply`] for `text`, decoding it on first sight.
    fn apply(
        &mut self,
        text: Cow<'a, str>,
        budget: &mut usize,
        roots: &mut Vec<Arc<LazyCert>>,
        note: &mut dyn FnMut(String),
    ) -> Result<(), String> {
        let key = RootText(text);
        if let Some(decoded) = self.decoded.get(&key) {
            return decoded.apply(budget, roots, note);
        }
        let decoded = RootsDecoded::decode(&key.0, self.max_certs);
        let result = decoded.apply(budget, roots, note);
        self.decoded.insert(key, decoded);
        result
    }
}

/// A root string as a cache key: compared whole, hashed on its length and its last 64 bytes
/// (the certificate's signature), which is enough to tell real roots apart and much cheaper
/// than hashing kilobytes of base64 per lookup.
#[derive(PartialEq, Eq)]
struct RootText<'a>(Cow<'a, str>);

impl std::hash::Hash for RootText<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let bytes = self.0.as_bytes();
        state.write_usize(bytes.len());
        state.write(bytes.get(bytes.len().saturating_sub(64)..).unwrap_or_default());
    }
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

/// A string member (absent or `null`: `None`), borrowed from the payload unless it has escapes:
/// the same value, and the same error, as `optional::<String>`.
fn optional_str<'a>(members: &Members<'a>, name: &str) -> Result<Option<Cow<'a, str>>, String> {
    decode_str(members.get(name).copied(), name)
}

/// [`decode_opt`] for a string, as [`optional_str`].
fn decode_str<'a>(raw: Option<&'a RawValue>, name: &str) -> Result<Option<Cow<'a, str>>, String> {
    match decode_opt::<&'a str>(raw, name) {
        Ok(text) => Ok(text.map(Cow::Borrowed)),
        // Escapes (or another type): the owned decode gives the value or the exact error.
        Err(_) => decode_opt::<String>(raw, name).map(|text| text.map(Cow::Owned)),
    }
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

/// `list.contains(name)`, with lengths and end bytes compared before the bytes: member names
/// are checked against these lists many times per entry, and most candidates differ there.
fn listed<S: AsRef<str>>(list: &[S], name: &str) -> bool {
    let (len, first, last) = (name.len(), name.bytes().next(), name.bytes().next_back());
    list.iter().map(AsRef::as_ref).any(|candidate: &str| {
        candidate.len() == len
            && candidate.bytes().next_back() == last
            && candidate.bytes().next() == first
            && candidate == name
    })
}

fn merge(into: &mut UnknownCounts, from: UnknownCounts) {
    for (k, v) in from.fields {
        *into.fields.entry(k).or_default() += v;
    }
    for (k, v) in from.statuses {
        *into.statuses.entry(k).or_default() += v;
    }
}

/// One-pass readers for the payload's objects: they keep the members that are read later (as
/// raw JSON, borrowed from the payload), skip the others (still fully validated by serde_json)
/// and list every member name. They give up (`None`) on anything the general path treats
/// specially — a duplicate member, a value of another JSON type than expected — so that the
/// general path decides those with its exact errors.
mod sparse {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::value::RawValue;

    use super::{Members, ENTRY_READ, STATEMENT_READ};

    /// Member names of an entry and of its statement, each listed once.
    pub(super) struct Names<'a> {
        pub entry: Vec<Cow<'a, str>>,
        pub statement: Vec<Cow<'a, str>>,
    }

    /// The top level: `(members no/nextUpdate/legalHeader, entries, member names)`.
    pub(super) type Top<'a> = (Members<'a>, Vec<&'a RawValue>, Vec<Cow<'a, str>>);

    pub(super) fn top(text: &str) -> Option<Top<'_>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let (members, names, entries) =
            Object { read: &["no", "nextUpdate", "legalHeader"], nested: Nested::Entries }
                .deserialize(&mut de)
                .ok()?;
        de.end().ok()?;
        match entries {
            Captured::Entries(entries) => Some((members, entries, names)),
            _ => None,
        }
    }

    /// An entry: `(its members read later, its statement's, member names)`. A statement that
    /// is `null` or absent gives `None` for the statement.
    pub(super) fn entry(text: &str) -> Option<(Members<'_>, Option<Members<'_>>, Names<'_>)> {
        let mut de = serde_json::Deserializer::from_str(text);
        let (members, entry_names, statement) =
            Object { read: ENTRY_READ, nested: Nested::Statement }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        let (statement, statement_names) = match statement {
            Captured::None => (None, Vec::new()),
            Captured::Statement(Some((members, names))) => (Some(members), names),
            Captured::Statement(None) => (None, Vec::new()),
            Captured::Entries(_) => return None,
        };
        Some((members, statement, Names { entry: entry_names, statement: statement_names }))
    }

    /// Objects with more members than this are left to the general path.
    pub(super) const MAX_MEMBERS: usize = 128;

    #[derive(Clone, Copy)]
    enum Nested {
        /// `entries`: an array, each element kept raw.
        Entries,
        /// `metadataStatement`: an object or `null`, read with [`STATEMENT_READ`].
        Statement,
        None,
    }

    type Read<'de> = (Members<'de>, Vec<Cow<'de, str>>);

    enum Captured<'de> {
        None,
        Entries(Vec<&'de RawValue>),
        Statement(Option<Read<'de>>),
    }

    #[derive(Clone, Copy)]
    struct Object {
        read: &'static [&'static str],
        nested: Nested,
    }

    impl<'de> DeserializeSeed<'de> for Object {
        type Value = (Members<'de>, Vec<Cow<'de, str>>, Captured<'de>);
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Object {
        type Value = (Members<'de>, Vec<Cow<'de, str>>, Captured<'de>);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = Members::new();
            let mut names: Vec<Cow<'de, str>> = Vec::new();
            let mut captured = Captured::None;
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                // serde_json into a map keeps the last of duplicate members: not this path.
                // The duplicate check is quadratic, so objects with many members go the general
                // way too (a map, O(n log n)).
                if names.len() >= MAX_MEMBERS {
                    return Err(de::Error::custom("many members"));
                }
                if names.contains(&key) {
                    return Err(de::Error::custom("duplicate member"));
                }
                match (self.nested, key.as_ref()) {
                    (Nested::Entries, "entries") => {
                        captured = Captured::Entries(map.next_value()?);
                    }
                    (Nested::Statement, "metadataStatement") => {
                        captured = Captured::Statement(map.next_value_seed(Statement)?);
                    }
                    (_, name) if self.read.contains(&name) => {
                        members.insert(key.clone(), map.next_value()?);
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                names.push(key);
            }
            Ok((members, names, captured))
        }
    }

    /// `metadataStatement`: `null` or an object.
    struct Statement;

    impl<'de> DeserializeSeed<'de> for Statement {
        type Value = Option<Read<'de>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_option(self)
        }
    }

    impl<'de> Visitor<'de> for Statement {
        type Value = Option<Read<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null or a JSON object")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            let (members, names, _) =
                Object { read: STATEMENT_READ, nested: Nested::None }.deserialize(d)?;
            Ok(Some((members, names)))
        }
    }

    /// A member name, borrowed from the payload unless it has escapes.
    pub(super) struct Key<'de>(pub Cow<'de, str>);

    impl<'de> de::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(KeyVisitor)
        }
    }

    struct KeyVisitor;

    impl<'de> Visitor<'de> for KeyVisitor {
        type Value = Key<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a member name")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Key(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Key(Cow::Owned(v.to_string())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Key(Cow::Owned(v)))
        }
    }
}

/// The one pass: the top level is read and, as `entries` goes by, every entry too (the members
/// [`entry_from_members`] reads, kept raw and borrowed; all member names), so the payload is
/// scanned once. Each entry's text (its raw JSON) is located from the pass itself: its first
/// member name (borrowed from the payload) is preceded by `{` and whitespace only, its last
/// value (a borrowed raw value, or the statement, located the same way) followed by whitespace
/// and `}` only (JSON grammar; serde_json has checked the syntax).
///
/// An entry the per-entry fast path would give up on (duplicate members, too many members, a
/// statement with duplicates) is still located and left to the general path (`read: None`).
/// Anything else unusual (an entry that is not an object, an escaped first member name, an
/// entry or statement that cannot be located, a statement that is neither an object nor
/// `null`) makes the whole pass give up (`None`): the two-pass readers then decide, exactly as
/// they always have. Real BLOBs never take that way.
mod scan {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{
        self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
    };
    use serde_json::value::RawValue;

    use super::sparse::{Key, Names, MAX_MEMBERS};
    use super::{
        listed, EntryRead, Members, ENTRY_FIELDS, ENTRY_READ, STATEMENT_FIELDS, STATEMENT_READ,
    };

    /// One entry as the pass left it.
    pub(super) struct EntryScan<'a> {
        /// The entry's JSON, `{` to `}`.
        pub text: &'a str,
        /// Its members, unless the general path must read `text`.
        pub read: Option<EntryRead<'a>>,
    }

    /// The top level: `(members no/nextUpdate/legalHeader, entries, member names)`.
    pub(super) type Top<'a> = (Members<'a>, Vec<EntryScan<'a>>, Vec<Cow<'a, str>>);

    pub(super) fn top(text: &str) -> Option<Top<'_>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let top = TopSeed { base: text }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        top
    }

    /// Where `ptr` (into `base`) is in `base`.
    fn offset(base: &str, ptr: *const u8) -> Option<usize> {
        (ptr as usize).checked_sub(base.as_ptr() as usize).filter(|&at| at <= base.len())
    }

    fn is_space(b: &u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r')
    }

    /// The offset of the `{` that opens the object whose first member name is `key` (borrowed
    /// from `base`): only `"` and whitespace lie between them.
    fn open(base: &str, key: &str) -> Option<usize> {
        let quote = offset(base, key.as_ptr())?.checked_sub(1)?;
        let bytes = base.as_bytes();
        if bytes.get(quote) != Some(&b'"') {
            return None;
        }
        let brace = bytes.get(..quote)?.iter().rposition(|b| !is_space(b))?;
        (bytes.get(brace) == Some(&b'{')).then_some(brace)
    }

    /// The offset just past the `}` that closes the object whose last member value ends at
    /// offset `end`: only whitespace lies between them.
    fn close(base: &str, end: usize) -> Option<usize> {
        let bytes = base.as_bytes();
        let brace = end.checked_add(bytes.get(end..)?.iter().position(|b| !is_space(b))?)?;
        (bytes.get(brace) == Some(&b'}')).then(|| brace.saturating_add(1))
    }

    /// The offset just past a raw value borrowed from `base`.
    fn end_of(base: &str, raw: &RawValue) -> Option<usize> {
        offset(base, raw.get().as_ptr())?.checked_add(raw.get().len())
    }

    fn give_up<E: de::Error>(what: &str) -> E {
        E::custom(format_args!("one pass gives up: {what}"))
    }

    struct TopSeed<'a> {
        base: &'a str,
    }

    impl<'de> DeserializeSeed<'de> for TopSeed<'de> {
        type Value = Option<Top<'de>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for TopSeed<'de> {
        type Value = Option<Top<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = Members::new();
            let mut names: Vec<Cow<'de, str>> = Vec::new();
            let mut entries = None;
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                // As `sparse::top`: duplicates and crowds are the general path's.
                if names.len() >= MAX_MEMBERS || names.contains(&key) {
                    return Err(give_up("duplicate or many members"));
                }
                match key.as_ref() {
                    "entries" => {
                        entries = Some(map.next_value_seed(EntriesSeed { base: self.base })?)
                    }
                    "no" | "nextUpdate" | "legalHeader" => {
                        members.insert(key.clone(), map.next_value()?);
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                names.push(key);
            }
            Ok(entries.map(|entries| (members, entries, names)))
        }
    }

    struct EntriesSeed<'a> {
        base: &'a str,
    }

    impl<'de> DeserializeSeed<'de> for EntriesSeed<'de> {
        type Value = Vec<EntryScan<'de>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for EntriesSeed<'de> {
        type Value = Vec<EntryScan<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(entry) = seq.next_element_seed(EntrySeed { base: self.base })? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }

    /// One object read in the pass: the members of `read` (raw), the names of its unknown
    /// members (those not in its `fields`: all the unknown counts need), whether the fast path
    /// can take it, and where it ends (offset past its `}`), when known.
    struct Object<'de> {
        members: Members<'de>,
        names: Vec<Cow<'de, str>>,
        clean: bool,
        first: Option<&'de str>,
        end: Option<usize>,
    }

    /// Reads the members of an object, each value raw (as cheap as skipping it, and it tells
    /// where the value ends), except `metadataStatement` when `statement` is given.
    fn read_object<'de, A: MapAccess<'de>>(
        base: &'de str,
        fields: &[&str],
        read: &[&str],
        mut statement: Option<&mut Option<Object<'de>>>,
        map: &mut A,
    ) -> Result<Object<'de>, A::Error> {
        let mut object = Object {
            members: Members::new(),
            names: Vec::new(),
            clean: true,
            first: None,
            end: None,
        };
        let mut first = true;
        // Known members seen (bit = place in `fields`), and how many members in all.
        let (mut seen, mut count) = (0u64, 0usize);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            count = count.saturating_add(1);
            if first {
                first = false;
                match &key {
                    Cow::Borrowed(name) => object.first = Some(name),
                    Cow::Owned(_) => return Err(give_up("escaped first member name")),
                }
            }
            // serde_json into a map keeps the last of duplicate members: the general path's.
            // Known names are told apart by a bit each, the others (listed in `names`) by
            // comparison; past the bound nothing more is listed (that check is quadratic).
            let bit = fields
                .iter()
                .position(|field| listed(&[field], &key))
                .and_then(|at| u32::try_from(at).ok())
                .and_then(|at| 1u64.checked_shl(at));
            if object.clean {
                let duplicate = match bit {
                    Some(bit) => seen & bit != 0,
                    None => listed(&object.names, &key),
                };
                seen |= bit.unwrap_or(0);
                if count > MAX_MEMBERS || duplicate {
                    object.clean = false;
                }
            }
            match (&mut statement, key.as_ref()) {
                (Some(slot), "metadataStatement") => {
                    let nested = map.next_value_seed(StatementSeed { base })?;
                    object.end = nested.as_ref().and_then(|s| s.end);
                    object.clean &= nested.as_ref().is_none_or(|s| s.clean);
                    if object.clean {
                        **slot = nested;
                    }
                }
                _ => {
                    let raw: &'de RawValue = map.next_value()?;
                    object.end = end_of(base, raw);
                    if object.clean && listed(read, &key) {
                        object.members.insert(key.clone(), raw);
                    }
                }
            }
            if object.clean && bit.is_none() {
                object.names.push(key);
            }
        }
        object.end = object.end.and_then(|end| close(base, end));
        Ok(object)
    }

    struct EntrySeed<'a> {
        base: &'a str,
    }

    impl<'de> DeserializeSeed<'de> for EntrySeed<'de> {
        type Value = EntryScan<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for EntrySeed<'de> {
        type Value = EntryScan<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an entry object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut statement = None;
            let entry =
                read_object(self.base, ENTRY_FIELDS, ENTRY_READ, Some(&mut statement), &mut map)?;
            let start = entry.first.and_then(|first| open(self.base, first));
            let text = match (start, entry.end) {
                (Some(start), Some(end)) => self.base.get(start..end),
                _ => None,
            }
            .ok_or_else(|| give_up("entry not located"))?;
            let read = entry.clean.then(|| {
                let (statement, statement_names) = match statement {
                    Some(s) => (Some(s.members), s.names),
                    None => (None, Vec::new()),
                };
                (entry.members, statement, Names { entry: entry.names, statement: statement_names })
            });
            Ok(EntryScan { text, read })
        }
    }

    /// `metadataStatement`: `null` or an object (anything else gives the whole pass up).
    struct StatementSeed<'a> {
        base: &'a str,
    }

    impl<'de> DeserializeSeed<'de> for StatementSeed<'de> {
        type Value = Option<Object<'de>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_option(self)
        }
    }

    impl<'de> Visitor<'de> for StatementSeed<'de> {
        type Value = Option<Object<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null or a JSON object")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(StatementObject { base: self.base }).map(Some)
        }
    }

    struct StatementObject<'a> {
        base: &'a str,
    }

    impl<'de> Visitor<'de> for StatementObject<'de> {
        type Value = Object<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            read_object(self.base, STATEMENT_FIELDS, STATEMENT_READ, None, &mut map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The payload of a real BLOB in ../shared/testdata/blobs.
    #[allow(clippy::disallowed_methods)] // test data: the only file the core reads, in tests
    fn real_payload(file: &str) -> Vec<u8> {
        let path = format!("{}/../../../shared/testdata/blobs/{file}", env!("CARGO_MANIFEST_DIR"));
        let blob = std::fs::read_to_string(&path).unwrap();
        let part = blob.trim_end().split('.').nth(1).unwrap().to_string();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()
    }

    const REAL: [&str; 4] = [
        "s1r-J_fido-mds3__2024-12-02__blob.jwt",
        "tweag_webauthn__golden-metadata_big_blob-with-errors.jwt",
        "webauthn4j__test-blob.jwt",
        "webauthn4j_pr1352__test-blob-with-new-auth-alg.jwt",
    ];

    /// Everything an entry parse yields, for comparison: with the fast path (when it takes the
    /// entry) or the general path only.
    fn outcome(raw: &RawValue, fast: bool) -> String {
        let limits = PayloadLimits::default();
        let mut cache =
            RootsCache { decoded: HashMap::new(), max_certs: limits.max_certs_per_entry };
        let (mut unknown, mut notes) = (UnknownCounts::default(), Vec::new());
        let raw_json = RawJson::owned(raw.get());
        let result = if fast {
            parse_entry(raw, raw_json, &limits, &mut cache, &mut unknown, &mut notes)
        } else {
            parse_entry_general(raw.get(), raw_json, &limits, &mut cache, &mut unknown, &mut notes)
        };
        let result = result.map_err(|EntryError { id, reason }| (id, reason));
        format!("{result:?} {unknown:?} {notes:?}")
    }

    fn general(raw: &RawValue) -> String {
        outcome(raw, false)
    }

    fn both(raw: &RawValue) -> String {
        outcome(raw, true)
    }

    #[test]
    fn fast_path_takes_every_real_entry_and_agrees_with_the_general_path() {
        for file in REAL {
            let payload = shared_text(real_payload(file)).unwrap();
            let text = &payload;
            let (_, entries, _) = sparse::top(text).unwrap_or_else(|| panic!("{file}: top"));
            let show = |t: Result<Top<'_>, BlobError>| {
                format!("{:?}", t.map(|t| (t.no, t.next_update, t.entries.texts())))
            };
            assert_eq!(show(parse_top(&payload)), show(parse_top_general(text)));
            // The one pass takes every real entry, locates its text exactly and reads the same
            // members as the per-entry fast path.
            let (_, scanned, _) = scan::top(text).unwrap_or_else(|| panic!("{file}: one pass"));
            assert_eq!(scanned.len(), entries.len());
            for (raw, scanned) in entries.iter().zip(&scanned) {
                assert_eq!(scanned.text, raw.get(), "{file}");
                let (members, statement, names) =
                    scanned.read.as_ref().unwrap_or_else(|| panic!("{file}: {}", raw.get()));
                let (s_members, s_statement, s_names) =
                    sparse::entry(raw.get()).unwrap_or_else(|| panic!("{file}: {}", raw.get()));
                assert_eq!(format!("{members:?}"), format!("{s_members:?}"));
                assert_eq!(format!("{statement:?}"), format!("{s_statement:?}"));
                // The one pass lists only the unknown names (all the counts read).
                let unknown = |names: &[Cow<'_, str>], fields: &[&str]| -> Vec<String> {
                    names
                        .iter()
                        .filter(|n| !fields.contains(&n.as_ref()))
                        .map(|n| n.to_string())
                        .collect()
                };
                let s_entry = unknown(&s_names.entry, ENTRY_FIELDS);
                let s_statement = unknown(&s_names.statement, STATEMENT_FIELDS);
                let (entry, statement) =
                    (unknown(&names.entry, &[]), unknown(&names.statement, &[]));
                assert_eq!((entry, statement), (s_entry, s_statement));
                assert_eq!(both(raw), general(raw), "{file}");
            }
            // The whole payload: one pass and two passes give the same store and report.
            assert_eq!(whole(parse_top(text)), whole(parse_top_two_pass(text)), "{file}");
            assert!(matches!(parse_top(text).unwrap().entries, TopEntries::Scanned(_)));
        }
    }

    /// Everything a whole payload parse yields, for comparison.
    fn whole(top: Result<Top<'_>, BlobError>) -> String {
        match top.and_then(|top| top.into_parsed(&PayloadLimits::default())) {
            Ok(p) => format!(
                "{} {} {:?} {:?} {:?} {:?} {:?} {:?}",
                p.no,
                p.next_update,
                p.legal_header,
                p.store.entries(),
                p.store.duplicates(),
                p.quarantined,
                p.warnings,
                p.unknown
            ),
            Err(e) => format!("{e:?}"),
        }
    }

    /// Payloads around odd entries: the one pass either gives up (whole or per entry) or reads
    /// them exactly like the two-pass readers.
    #[test]
    fn one_pass_agrees_with_two_passes_on_odd_payloads() {
        let (base, cases) = odd_entries();
        let wrap = |entries: &str| {
            Arc::new(format!("{{\"no\":1,\"nextUpdate\":\"2024-01-01\",\"entries\":[{entries}]}}"))
        };
        let mut taken = 0;
        for case in &cases {
            for text in [
                wrap(case),
                wrap(&format!("{base},{case},{base}")),
                wrap(&format!(" \n\t{case} \r\n, {base}\n")),
            ] {
                assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)), "{text}");
                if let Some((_, scanned, _)) = scan::top(&text) {
                    taken += 1;
                    let (_, split, _) = sparse::top(&text).unwrap();
                    let texts: Vec<&str> = scanned.iter().map(|s| s.text).collect();
                    assert_eq!(texts, split.iter().map(|r| r.get()).collect::<Vec<_>>());
                }
            }
        }
        assert!(taken > 20, "{taken}");
        // Located, but left to the general path: a duplicate member, in the entry or in its
        // statement.
        let dup = wrap(&base.replacen("{", r#"{"aaguid":"x","#, 1));
        assert!(scan::top(&dup).unwrap().1[0].read.is_none());
        let dup =
            wrap(&base.replacen(r#""description":"d""#, r#""description":"d","description":5"#, 1));
        assert!(scan::top(&dup).unwrap().1[0].read.is_none());
        let dup = wrap(&base.replacen("{", r#"{"newEntryThing":1,"#, 1));
        assert!(scan::top(&dup).unwrap().1[0].read.is_none());
        assert_eq!(whole(parse_top(&dup)), whole(parse_top_two_pass(&dup)));
        assert!(scan::top(&wrap(&base)).unwrap().1[0].read.is_some());
        // The whole pass gives up: not an object, `{}`, an escaped first name, a `null`
        // statement as the last member, a statement of another type.
        for entry in [
            "5".to_string(),
            "{}".to_string(),
            base.replacen(r#"{"aaguid""#, r#"{"aagui\u0064""#, 1),
            r#"{"aaid":"FFFF#0001","statusReports":[],"metadataStatement":null}"#.to_string(),
            base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":5,"x":{"#, 1),
        ] {
            let text = wrap(&entry);
            assert!(scan::top(&text).is_none(), "{entry}");
            assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)), "{text}");
        }
    }

    /// Shapes the fast path must either give up on or read exactly like the general path.
    #[test]
    fn fast_path_agrees_on_odd_entries() {
        let (base, cases) = odd_entries();
        for case in cases {
            let raw: Box<RawValue> = serde_json::from_str(&case).unwrap();
            assert_eq!(both(&raw), general(&raw), "{case}");
        }
        // The base entry takes the fast path; a duplicate member does not.
        assert!(sparse::entry(&base).is_some());
        assert!(sparse::entry(&base.replacen("{", r#"{"aaguid":"x","#, 1)).is_none());
        // Nor an object with more members than the fast path's bound (the general path reads
        // it, with the same result).
        let many: String =
            (0..sparse::MAX_MEMBERS).map(|i| format!(r#""extra{i}":{i},"#)).collect();
        let crowded = base.replacen("{", &format!("{{{many}"), 1);
        assert!(sparse::entry(&crowded).is_none());
        let raw: Box<RawValue> = serde_json::from_str(&crowded).unwrap();
        assert_eq!(both(&raw), general(&raw));
        assert!(both(&raw).contains("\"entry.extra127\": 1"));
        // The one pass leaves it to the general path too.
        let text =
            Arc::new(format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":[{crowded}]}}"#));
        assert!(scan::top(&text).unwrap().1[0].read.is_none());
        assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)));
    }

    /// An ordinary entry and odd variations of it.
    fn odd_entries() -> (String, Vec<String>) {
        let root = "MIIBfjCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGVCBGSURPIDAyMDAwIBcNMTYwNTAxMDAwMDAwWhgPMjA1MDA1MDEwMDAwMDBaMBcxFTATBgNVBAMMDEZUIEZJRE8gMDIwMDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNBmrRqVOxztTJVN19vtdqcL7tKQeol2nnM2/yYgvksZnr50SKbVgIEkzHQVOu80LVEE3lVheO1HjggxAlT6o4WjYDBeMB0GA1UdDgQWBBRJFWQt1bvG3jM6XgmV/IcjNtO/CzAfBgNVHSMEGDAWgBRJFWQt1bvG3jM6XgmV/IcjNtO/CzAMBgNVHRMEBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNHADBEAiAwfPqgIWIUB+QBBaVGsdHy0s5RMxlkzpSX/zSyTZmUpQIgB2wJ6nZRM8oX/nA43Rh6SJovM2XwCCH//+LirBAbB0M=";
        let base = json!({
            "aaguid": "0bb43545-fd2c-4185-87dd-feb0b2916ace",
            "metadataStatement": {
                "aaguid": "0bb43545-fd2c-4185-87dd-feb0b2916ace",
                "description": "d",
                "authenticatorVersion": 3,
                "attestationTypes": ["basic_full"],
                "attestationRootCertificates": [root],
                "icon": "data:image/png;base64,AAAA",
                "keyScope": "x",
                "newStatementThing": {"a": [1, 2]},
            },
            "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
            "timeOfLastStatusChange": "2020-01-01",
            "newEntryThing": true,
        })
        .to_string();
        let escaped_root = base.replace(&root[..20], &root[..20].replace('/', "\\/"));
        let cases: Vec<String> = vec![
            base.clone(),
            // Duplicates: the general path keeps the last one.
            base.replacen("{", r#"{"aaguid":"not a uuid","#, 1),
            base.replacen(r#""description":"d""#, r#""description":"d","description":5"#, 1),
            // The statement: null, wrong types, absent.
            base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":null,"x":{"#, 1),
            base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":5,"x":{"#, 1),
            base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":[],"x":{"#, 1),
            base.replacen(r#""metadataStatement":{"#, r#""other":{"#, 1),
            // An entry-level null identifier shadows the statement's.
            base.replacen(r#""aaguid":"0bb4"#, r#""aaguid":null,"y":"0bb4"#, 1),
            // Escapes in names and in root strings; whitespace in a root.
            base.replacen(r#""keyScope""#, r#""key\u0053cope""#, 1),
            escaped_root,
            base.replacen(root, &format!("\\t{root}"), 1),
            base.replacen(root, &format!(" {root} "), 1),
            base.replacen(root, "not base64!", 1),
            base.replacen(r#"[""#, "[5,\"", 1),
            // Wrong types the core refuses.
            base.replacen(r#""authenticatorVersion":3"#, r#""authenticatorVersion":"3""#, 1),
            base.replacen(r#""statusReports":["#, r#""statusReports":5,"z":["#, 1),
            "[]".into(),
            "5".into(),
            "{}".into(),
        ];
        (base, cases)
    }

    #[test]
    fn fast_top_agrees_on_odd_payloads() {
        let entries = r#"[{"aaguid":"0bb43545-fd2c-4185-87dd-feb0b2916ace","statusReports":[]}]"#;
        let cases = [
            format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":{entries}}}"#),
            format!(r#"{{"no":1,"no":2,"nextUpdate":"2024-01-01","entries":{entries}}}"#),
            format!(r#"{{"no":"1","nextUpdate":"2024-01-01","entries":{entries},"extra":1}}"#),
            r#"{"no":1,"nextUpdate":"2024-01-01","entries":null}"#.to_string(),
            r#"{"no":1,"nextUpdate":"2024-01-01","entries":{}}"#.to_string(),
            r#"{"no":1,"nextUpdate":"2024-01-01"}"#.to_string(),
            format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":{entries}}} x"#),
            format!(r#"{{"no":1,"nextUpdate":"2024-13-01","legalHeader":5,"entries":{entries}}}"#),
            "[]".to_string(),
        ];
        let show = |t: Result<Top<'_>, BlobError>| {
            format!(
                "{:?}",
                t.map(|t| (t.no, t.next_update, t.legal_header, t.entries.texts(), t.unknown))
            )
        };
        for case in cases {
            let case = Arc::new(case);
            assert_eq!(show(parse_top(&case)), show(parse_top_general(&case)), "{case}");
        }
    }

    #[test]
    fn report_members_read_like_a_map() {
        for text in [
            r#"{"status":"A","status":"B","x":1,"x":2,"y":null,"url":"u"}"#,
            r#"{"st\u0061tus":"A","certificate":null,"zz":{"a":[1]},"aa":true}"#,
            r#"{}"#,
            r#"5"#,
            r#"[]"#,
            r#"null"#,
            r#"{"status":"A""#,
        ] {
            let map: Result<Members<'_>, _> = serde_json::from_str(text);
            let ours: Result<ReportMembers<'_>, _> = serde_json::from_str(text);
            match (map, ours) {
                (Ok(map), Ok(ours)) => {
                    for field in STATUS_REPORT_FIELDS {
                        let raw = |r: Option<&RawValue>| r.map(|r| r.get().to_string());
                        assert_eq!(raw(map.get(*field).copied()), raw(ours.get(field)), "{text}");
                    }
                    let unknown: Vec<&str> = map
                        .keys()
                        .map(|k| k.as_ref())
                        .filter(|k| !STATUS_REPORT_FIELDS.contains(k))
                        .collect();
                    let ours: Vec<&str> = ours.unknown.iter().map(|k| k.as_ref()).collect();
                    assert_eq!(unknown, ours, "{text}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {} vs {}", a.is_ok(), b.is_ok()),
            }
        }
    }

    #[test]
    fn listed_is_contains() {
        for list in
            [ENTRY_FIELDS, STATEMENT_FIELDS, STATUS_REPORT_FIELDS, ENTRY_READ, STATEMENT_READ]
        {
            for name in ENTRY_FIELDS.iter().chain(STATEMENT_FIELDS).chain(STATUS_REPORT_FIELDS) {
                assert_eq!(listed(list, name), list.contains(name), "{name}");
                for odd in [format!("{name}x"), format!("x{name}"), name.replacen('a', "b", 1)] {
                    assert_eq!(listed(list, &odd), list.contains(&odd.as_str()), "{odd}");
                }
            }
            assert!(!listed(list, ""));
        }
        assert!(listed(&[String::new()], ""));
    }

    #[test]
    fn roots_cache_gives_the_same_certificates_and_notes_per_entry() {
        let roots = crate::mds::builtin_roots();
        let b64 = STANDARD.encode(roots[0].cert.der());
        let two = STANDARD.encode([roots[0].cert.der(), roots[1].cert.der()].concat());
        let mut cache = RootsCache { decoded: HashMap::new(), max_certs: 3 };
        for text in [format!(" {b64}"), two.clone(), "%%".into(), format!(" {b64}"), two.clone()] {
            let text: Cow<'_, str> = Cow::Owned(text);
            let mut notes = Vec::new();
            let mut got = Vec::new();
            let mut budget = 3;
            cache.apply(text.clone(), &mut budget, &mut got, &mut |n| notes.push(n)).unwrap();
            let mut fresh_notes = Vec::new();
            let mut fresh = Vec::new();
            let mut fresh_budget = 3;
            RootsDecoded::decode(&text, 3)
                .apply(&mut fresh_budget, &mut fresh, &mut |n| fresh_notes.push(n))
                .unwrap();
            assert_eq!(notes, fresh_notes);
            assert_eq!(budget, fresh_budget);
            let ders = |v: &[Arc<LazyCert>]| v.iter().map(|c| c.der().to_vec()).collect::<Vec<_>>();
            assert_eq!(ders(&got), ders(&fresh));
        }
        assert_eq!(cache.decoded.len(), 3);
        // The budget still refuses: two certificates with one left.
        let mut budget = 1;
        let err =
            cache.apply(Cow::Owned(two), &mut budget, &mut Vec::new(), &mut |_| ()).unwrap_err();
        assert!(err.contains("too many certificates"));
        // More pieces than the cache parses: refused by the budget all the same.
        let three = STANDARD.encode([roots[0].cert.der(); 4].concat());
        let mut budget = 3;
        let err =
            cache.apply(Cow::Owned(three), &mut budget, &mut Vec::new(), &mut |_| ()).unwrap_err();
        assert!(err.contains("too many certificates"));
    }
}
