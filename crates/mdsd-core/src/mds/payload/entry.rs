//! One payload entry (MDS3 §3.1.1 MetadataBLOBPayloadEntry and its metadataStatement) →
//! [`Entry`], from the members a pass has read or, for entries the fast readers leave alone,
//! from the entry's text as maps. A defect the entry cannot be used with quarantines it
//! ([`EntryError`]); a tolerated one becomes a warning ([`EntryNote`]).

use std::borrow::Cow;

use uuid::Uuid;

use super::error::{EntryError, EntryNote, MemberError};
use super::fields::{EntryFields, Member, StatementFields};
use super::members::{optional, parse_date, Members};
use super::roots::{CertBudget, RootsCache};
use super::status::parse_status_report;
#[cfg(test)]
use super::two_pass;
use super::two_pass::Names;
use super::{PayloadLimits, UnknownCounts};
use crate::trust_store::{Entry, RawJson, Roots};

field_list! {
    /// MetadataBLOBPayloadEntry members (MDS3 §3.1.1).
    ENTRY_FIELDS,
    entry_field,
    [
        "aaid",
        "aaguid",
        "attestationCertificateKeyIdentifiers",
        "metadataStatement",
        "biometricStatusReports",
        "statusReports",
        "timeOfLastStatusChange",
        "rogueListURL",
        "rogueListHash",
    ]
}

field_list! {
    /// MetadataStatement members (FIDO Metadata Statement v3.0 §4, v3.1 additions).
    STATEMENT_FIELDS,
    statement_field,
    [
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
    ]
}

/// An entry left out: what identifies it, when readable, and why.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) id: Option<String>,
    pub(super) reason: EntryError,
}

/// What identifies an entry in reports (`aaguid:…`, `aaid:…` or `key_identifiers:…`, the
/// payload's text as it stands), written out only when a report names the entry: most entries
/// have neither a warning nor a defect.
pub(super) enum EntryId<'a> {
    Unknown,
    Aaguid(Cow<'a, str>),
    Aaid(Cow<'a, str>),
    /// Written out already: the list moves into the entry.
    KeyIdentifiers(String),
}

impl EntryId<'_> {
    /// The text reports show.
    pub(super) fn text(&self) -> Option<String> {
        match self {
            EntryId::Unknown => None,
            EntryId::Aaguid(aaguid) => Some(format!("aaguid:{aaguid}")),
            EntryId::Aaid(aaid) => Some(format!("aaid:{aaid}")),
            EntryId::KeyIdentifiers(text) => Some(text.clone()),
        }
    }
}

impl std::fmt::Debug for EntryId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text().fmt(f)
    }
}

/// [`parse_entry_read`] on an entry's raw value, as the two-pass reader reads it.
#[cfg(test)]
pub(super) fn parse_entry<'a>(
    raw: &'a serde_json::value::RawValue,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, EntryId<'a>), Refused> {
    let read = two_pass::entry(raw.get());
    parse_entry_read(raw.get(), read, raw_json, limits, roots_cache, unknown, warnings)
}

/// An entry's members as a fast pass read them: the ones mdsd reads (typed by the one pass,
/// raw from the two-pass reader), its statement's (`None`: absent or `null`), and member names
/// (at least all the unknown ones).
#[derive(Debug)]
pub(super) struct EntryRead<'a> {
    pub entry: EntryFields<'a>,
    pub statement: Option<StatementFields<'a>>,
    pub names: Names<'a>,
}

/// MDS3 §3.1.1 MetadataBLOBPayloadEntry → [`Entry`], from the entry's members as a fast pass
/// read them (`read`) or, when it gave up on the entry, from its `text`. Tolerated defects
/// (see `roots::RootsDecoded`) are pushed to `warnings`.
pub(super) fn parse_entry_read<'a>(
    text: &'a str,
    read: Option<EntryRead<'a>>,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, EntryId<'a>), Refused> {
    // Fast path: a pass that kept only the members read below (see `two_pass` and `scan`).
    // Anything it does not handle (not an object, a duplicate member, a member of an
    // unexpected type) goes the general way, which gives the same result and the exact error.
    if let Some(read) = read {
        for name in read.names.entry.iter().filter(|n| entry_field(n).is_none()) {
            unknown.field("entry", name);
        }
        for name in read.names.statement.iter().filter(|n| statement_field(n).is_none()) {
            unknown.field("metadataStatement", name);
        }
        return entry_from_fields(
            raw_json,
            read.entry,
            read.statement,
            limits,
            roots_cache,
            unknown,
            warnings,
        );
    }
    parse_entry_general(text, raw_json, limits, roots_cache, unknown, warnings)
}

/// [`parse_entry_read`] without the fast path: the whole entry and statement as maps.
pub(super) fn parse_entry_general<'a>(
    text: &'a str,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, EntryId<'a>), Refused> {
    let fail = |reason: EntryError| Refused { id: None, reason };
    let members: Members<'_> = serde_json::from_str(text)
        .map_err(|e| fail(EntryError::NotAnObject { reason: e.to_string() }))?;
    for name in members.keys().filter(|n| !ENTRY_FIELDS.contains(&n.as_ref())) {
        unknown.field("entry", name);
    }
    let statement: Option<Members<'_>> =
        optional(&members, "metadataStatement").map_err(|e| fail(EntryError::Member(e)))?;
    if let Some(statement) = &statement {
        for name in statement.keys().filter(|n| !STATEMENT_FIELDS.contains(&n.as_ref())) {
            unknown.field("metadataStatement", name);
        }
    }
    entry_from_fields(
        raw_json,
        EntryFields::from_members(&members),
        statement.as_ref().map(StatementFields::from_members),
        limits,
        roots_cache,
        unknown,
        warnings,
    )
}

/// The entry members [`entry_from_fields`] reads (all others are only named).
pub(super) const ENTRY_READ: &[&str] = &[
    "aaguid",
    "aaid",
    "attestationCertificateKeyIdentifiers",
    "statusReports",
    "timeOfLastStatusChange",
];

/// The statement members [`entry_from_fields`] reads.
pub(super) const STATEMENT_READ: &[&str] = &[
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
/// Each member is decoded where it is read, so the first defect in this order is the one
/// reported.
pub(super) fn entry_from_fields<'a>(
    raw_json: RawJson,
    entry: EntryFields<'a>,
    statement: Option<StatementFields<'a>>,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, EntryId<'a>), Refused> {
    let fail = |id: &EntryId<'_>, reason: EntryError| Refused { id: id.text(), reason };
    let member = |id: &EntryId<'_>, e: MemberError| fail(id, EntryError::Member(e));
    let unknown_id = EntryId::Unknown;
    let mut statement = statement;
    // Identifiers: the entry's own, else the statement's (they are the same in real BLOBs).
    let (s_aaguid, s_aaid, s_key_ids) = match statement.as_mut() {
        Some(s) => (take(&mut s.aaguid), take(&mut s.aaid), take(&mut s.key_identifiers)),
        None => Default::default(),
    };
    let aaguid_text =
        entry.aaguid.or(s_aaguid).get("aaguid").map_err(|e| member(&unknown_id, e))?;
    let aaid = entry.aaid.or(s_aaid).get("aaid").map_err(|e| member(&unknown_id, e))?;
    let key_ids: Option<Vec<String>> = entry
        .key_identifiers
        .or(s_key_ids)
        .get("attestationCertificateKeyIdentifiers")
        .map_err(|e| member(&unknown_id, e))?
        .map(|ids| ids.into_iter().map(Cow::into_owned).collect());
    let id = match (&aaguid_text, &aaid, &key_ids) {
        (Some(aaguid), _, _) => EntryId::Aaguid(aaguid.clone()),
        (None, Some(aaid), _) => EntryId::Aaid(aaid.clone()),
        (None, None, Some(k)) => {
            EntryId::KeyIdentifiers(format!("key_identifiers:{}", k.join(",")))
        }
        (None, None, None) => EntryId::Unknown,
    };

    let aaguid =
        match &aaguid_text {
            Some(text) => Some(Uuid::try_parse(text).map_err(|reason| {
                fail(&id, EntryError::Aaguid { text: text.to_string(), reason })
            })?),
            None => None,
        };
    let key_identifiers = key_ids.unwrap_or_default();
    for key_id in &key_identifiers {
        // Real BLOBs carry a few key identifiers of odd length; hex digits are all we demand.
        if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail(&id, EntryError::KeyIdentifierNotHex { key_id: key_id.clone() }));
        }
    }
    // Lowercased and listed once by the builder (real BLOBs repeat some within one entry).
    let mut builder = Entry::identified(aaguid, aaid, key_identifiers, raw_json)
        .map_err(|e| fail(&id, EntryError::Identity(e)))?;

    let mut cert_budget = CertBudget::new(limits.max_certs_per_entry);
    let (description, authenticator_version, attestation_types, algorithms, roots, mdcs, key_scope) =
        match statement {
            None => (None, None, Vec::new(), Vec::new(), Vec::new(), None, None),
            Some(s) => {
                let description = s.description.get("description").map_err(|e| member(&id, e))?;
                let version = s
                    .authenticator_version
                    .get("authenticatorVersion")
                    .map_err(|e| member(&id, e))?;
                let types =
                    s.attestation_types.get("attestationTypes").map_err(|e| member(&id, e))?;
                let algorithms = s
                    .authentication_algorithms
                    .get("authenticationAlgorithms")
                    .map_err(|e| member(&id, e))?;
                let root_texts = s
                    .attestation_root_certificates
                    .get("attestationRootCertificates")
                    .map_err(|e| member(&id, e))?;
                let mut roots = Vec::new();
                for (index, text) in root_texts.unwrap_or_default().into_iter().enumerate() {
                    roots_cache
                        .apply(text, &mut cert_budget, &mut roots, &mut |note| {
                            warnings.push(EntryNote::AttestationRoot { index, note })
                        })
                        .map_err(|reason| {
                            fail(&id, EntryError::AttestationRoot { index, reason })
                        })?;
                }
                let mdcs = s
                    .multi_device_credential_support
                    .get("multiDeviceCredentialSupport")
                    .map_err(|e| member(&id, e))?;
                let key_scope = s.key_scope.get("keyScope").map_err(|e| member(&id, e))?;
                let owned = |list: Option<Vec<Cow<'_, str>>>| -> Vec<String> {
                    list.unwrap_or_default().into_iter().map(Cow::into_owned).collect()
                };
                (description, version, owned(types), owned(algorithms), roots, mdcs, key_scope)
            }
        };

    // MDS3 §3.1.1: statusReports is required.
    let raw_reports = entry
        .status_reports
        .get("statusReports")
        .and_then(|r| r.ok_or(MemberError::Missing { member: "statusReports" }))
        .map_err(|e| member(&id, e))?;
    let mut status_reports = Vec::with_capacity(raw_reports.len());
    for (index, report) in raw_reports.into_iter().enumerate() {
        let parsed = parse_status_report(report, &mut cert_budget, unknown)
            .map_err(|reason| fail(&id, EntryError::StatusReport { index, reason }))?;
        status_reports.push(parsed);
    }
    let tolsc = entry
        .time_of_last_status_change
        .get("timeOfLastStatusChange")
        .map_err(|e| member(&id, e))?;
    let time_of_last_status_change = match tolsc {
        Some(text) => {
            Some(parse_date(&text).map_err(|e| fail(&id, EntryError::TimeOfLastStatusChange(e)))?)
        }
        None => None,
    };

    builder
        .description(description)
        .authenticator_version(authenticator_version)
        .attestation_roots(Roots::new(roots))
        .attestation_types(attestation_types)
        .authentication_algorithms(algorithms)
        .multi_device_credential_support(mdcs)
        .key_scope(key_scope)
        .status_reports(status_reports)
        .time_of_last_status_change(time_of_last_status_change);
    let entry = builder.build();
    Ok((entry, id))
}

/// Moves a member out, leaving it absent.
fn take<'a, T>(member: &mut Member<'a, T>) -> Member<'a, T> {
    std::mem::take(member)
}
