//! One payload entry (MDS3 §3.1.1 MetadataBLOBPayloadEntry and its metadataStatement) →
//! [`Entry`], from the members a pass has read or, for entries the fast readers leave alone,
//! from the entry's text as maps. A defect the entry cannot be used with quarantines it
//! ([`EntryError`]); a tolerated one becomes a warning ([`EntryNote`]).

use std::borrow::Cow;

use uuid::Uuid;

use super::error::{EntryError, EntryNote, MemberError};
use super::members::{
    decode_opt, decode_raw, decode_str, listed, optional, optional_str, parse_date, required,
    Members,
};
use super::roots::{CertBudget, RootsCache};
use super::status::{parse_status_report, ReportMembers};
use super::two_pass;
use super::{PayloadLimits, UnknownCounts};
use crate::trust_store::{Entry, RawJson, Roots};

pub(super) const ENTRY_FIELDS: &[&str] = &[
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
pub(super) const STATEMENT_FIELDS: &[&str] = &[
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

/// An entry left out: what identifies it, when readable, and why.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) id: Option<String>,
    pub(super) reason: EntryError,
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
) -> Result<(Entry, Option<String>), Refused> {
    let read = two_pass::entry(raw.get());
    parse_entry_read(raw.get(), read, raw_json, limits, roots_cache, unknown, warnings)
}

/// An entry's members as a fast pass read them: its own, its statement's, all member names.
pub(super) type EntryRead<'a> = (Members<'a>, Option<Members<'a>>, two_pass::Names<'a>);

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
) -> Result<(Entry, Option<String>), Refused> {
    // Fast path: one pass that keeps only the members read below (see `two_pass` and `scan`).
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

/// [`parse_entry_read`] without the fast path: the whole entry and statement as maps.
pub(super) fn parse_entry_general<'a>(
    text: &'a str,
    raw_json: RawJson,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, Option<String>), Refused> {
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
pub(super) const ENTRY_READ: &[&str] = &[
    "aaguid",
    "aaid",
    "attestationCertificateKeyIdentifiers",
    "statusReports",
    "timeOfLastStatusChange",
];

/// The statement members [`entry_from_members`] reads.
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
/// Reads only the members named in [`ENTRY_READ`] and [`STATEMENT_READ`].
pub(super) fn entry_from_members<'a>(
    raw_json: RawJson,
    members: &Members<'a>,
    statement: Option<&Members<'a>>,
    limits: &PayloadLimits,
    roots_cache: &mut RootsCache<'a>,
    unknown: &mut UnknownCounts,
    warnings: &mut Vec<EntryNote>,
) -> Result<(Entry, Option<String>), Refused> {
    let fail = |id: &Option<String>, reason: EntryError| Refused { id: id.clone(), reason };
    let member = |id: &Option<String>, e: MemberError| fail(id, EntryError::Member(e));
    // Identifiers: the entry's own, else the statement's (they are the same in real BLOBs).
    let ident =
        |name: &str| members.get(name).or_else(|| statement.and_then(|s| s.get(name))).copied();
    let aaguid_text = decode_str(ident("aaguid"), "aaguid").map_err(|e| member(&None, e))?;
    let aaid: Option<String> = decode_opt(ident("aaid"), "aaid").map_err(|e| member(&None, e))?;
    let key_ids: Option<Vec<String>> = decode_opt(
        ident("attestationCertificateKeyIdentifiers"),
        "attestationCertificateKeyIdentifiers",
    )
    .map_err(|e| member(&None, e))?;
    let id = aaguid_text
        .as_ref()
        .map(|g| format!("aaguid:{g}"))
        .or_else(|| aaid.as_ref().map(|a| format!("aaid:{a}")))
        .or_else(|| key_ids.as_ref().map(|k| format!("key_identifiers:{}", k.join(","))));

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
    let builder = Entry::identified(aaguid, aaid, key_identifiers, raw_json)
        .map_err(|e| fail(&id, EntryError::Identity(e)))?;

    let mut cert_budget = CertBudget::new(limits.max_certs_per_entry);
    let (description, authenticator_version, attestation_types, algorithms, roots, mdcs, key_scope) =
        match statement {
            None => (None, None, Vec::new(), Vec::new(), Vec::new(), None, None),
            Some(s) => {
                let description: Option<String> =
                    optional(s, "description").map_err(|e| member(&id, e))?;
                let version: Option<u64> =
                    optional(s, "authenticatorVersion").map_err(|e| member(&id, e))?;
                let types: Option<Vec<String>> =
                    optional(s, "attestationTypes").map_err(|e| member(&id, e))?;
                let algorithms: Option<Vec<String>> =
                    optional(s, "authenticationAlgorithms").map_err(|e| member(&id, e))?;
                // Borrowed from the payload when no string has escapes (the usual case); the
                // owned decode gives the same values, and the exact error otherwise.
                let root_texts: Vec<Cow<'a, str>> =
                    match decode_raw::<Vec<&'a str>>(s.get("attestationRootCertificates").copied())
                    {
                        Ok(texts) => texts.unwrap_or_default().into_iter().map(Cow::from).collect(),
                        Err(_) => optional::<Vec<String>>(s, "attestationRootCertificates")
                            .map_err(|e| member(&id, e))?
                            .unwrap_or_default()
                            .into_iter()
                            .map(Cow::from)
                            .collect(),
                    };
                let mut roots = Vec::new();
                for (index, text) in root_texts.into_iter().enumerate() {
                    roots_cache
                        .apply(text, &mut cert_budget, &mut roots, &mut |note| {
                            warnings.push(EntryNote::AttestationRoot { index, note })
                        })
                        .map_err(|reason| {
                            fail(&id, EntryError::AttestationRoot { index, reason })
                        })?;
                }
                let mdcs: Option<String> =
                    optional(s, "multiDeviceCredentialSupport").map_err(|e| member(&id, e))?;
                let key_scope: Option<String> =
                    optional(s, "keyScope").map_err(|e| member(&id, e))?;
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
        required(members, "statusReports").map_err(|e| member(&id, e))?;
    let mut status_reports = Vec::with_capacity(raw_reports.len());
    for (index, report) in raw_reports.iter().enumerate() {
        let parsed = parse_status_report(report, &mut cert_budget, unknown)
            .map_err(|reason| fail(&id, EntryError::StatusReport { index, reason }))?;
        status_reports.push(parsed);
    }
    let tolsc = optional_str(members, "timeOfLastStatusChange").map_err(|e| member(&id, e))?;
    let time_of_last_status_change = match tolsc {
        Some(text) => {
            Some(parse_date(&text).map_err(|e| fail(&id, EntryError::TimeOfLastStatusChange(e)))?)
        }
        None => None,
    };

    let entry = builder
        .description(description)
        .authenticator_version(authenticator_version)
        .attestation_roots(Roots::new(roots))
        .attestation_types(attestation_types)
        .authentication_algorithms(algorithms)
        .multi_device_credential_support(mdcs)
        .key_scope(key_scope)
        .status_reports(status_reports)
        .time_of_last_status_change(time_of_last_status_change)
        .build();
    Ok((entry, id))
}
