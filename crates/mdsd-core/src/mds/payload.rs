//! The BLOB payload (MDS3 §3.1.6 MetadataBLOBPayload): parsed tolerantly into trust-store entries.
//!
//! The top level (`no`, `nextUpdate`, `entries`) must be right or the whole BLOB is refused. Each
//! entry is parsed on its own from its original JSON text: unknown members and unknown status
//! values are kept and counted; an entry mdsd cannot understand (a known member of the wrong
//! type, a bad AAGUID, an undecodable certificate, ...) is quarantined with the reason and the
//! rest of the BLOB still loads.

//!
//! The readers, fastest first, all giving the same results (the tests compare them on real and
//! odd payloads):
//! - `scan`: one pass over the whole payload that reads every entry as `entries` goes by;
//! - `two_pass`: the fallback when the one pass gives up: the top level with `entries` split,
//!   then each entry on its own;
//! - the general path (here and in `entry`): objects read as maps, with the exact errors.
//!
//! What an entry means is `entry` (with `status` for its status reports and `roots` for its
//! attestation roots); `members` reads typed values out of raw members. `statement` reads an
//! operator's metadata statement file into an entry with the same interpretation, strictly.

#[macro_use]
mod members;
mod entry;
mod error;
mod fields;
mod roots;
mod scan;
mod statement;
mod status;
mod two_pass;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::value::RawValue;
use time::Date;

use super::BlobError;
use crate::trust_store::{RawJson, TrustStore};
pub use error::{
    CertBudgetExceeded, DateError, EntryError, EntryNote, MemberError, PayloadError,
    ReportCertificateError, RootNote, StatusReportError,
};

pub use statement::{
    parse_metadata_statement, parse_metadata_statements, LocalStatement, StatementError,
    StatementProblem,
};

use entry::{parse_entry_read, EntryRead, Refused};
use members::{optional, parse_date, required, Members};
use roots::{RootCheck, RootsCache};

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
    /// Why; its message is what reports show.
    pub reason: EntryError,
}

/// A defect mdsd tolerated in an entry that was loaded (e.g. an attestation root that does not
/// parse and was left out: fewer roots can only make fewer chains trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryWarning {
    /// Position in the payload's `entries` array.
    pub index: usize,
    /// What identifies the entry (as in [`Quarantined::id`]).
    pub id: Option<String>,
    /// What was tolerated; its message is what reports show.
    pub note: EntryNote,
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
    Ok(top.into_parsed(limits)?)
}

/// The payload as text, to be shared by the entries' [`RawJson`] (no copy).
pub(crate) fn shared_text(json: Vec<u8>) -> Result<Arc<String>, PayloadError> {
    String::from_utf8(json).map(Arc::new).map_err(|e| PayloadError::NotUtf8(e.utf8_error()))
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
pub(crate) fn parse_top(text: &Arc<String>) -> Result<Top<'_>, PayloadError> {
    // Fastest path: one pass over the whole payload that also reads every entry (see `scan`).
    if let Some((members, entries, names)) = scan::top(text) {
        return top_from_members(text, &members, TopEntries::Scanned(entries), &names);
    }
    parse_top_two_pass(text)
}

/// [`parse_top`] without the one pass: a pass that splits `entries` as it goes (see `two_pass`),
/// each entry read later on its own; the general path decides everything it gives up on, with
/// the exact error.
fn parse_top_two_pass(text: &Arc<String>) -> Result<Top<'_>, PayloadError> {
    match two_pass::top(text) {
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
) -> Result<Top<'a>, PayloadError> {
    let mut unknown = UnknownCounts::default();
    for name in names.iter().filter(|n| !TOP_FIELDS.contains(&n.as_ref())) {
        unknown.field("payload", name);
    }
    let no: u64 = required(members, "no")?;
    let next_update_text: String = required(members, "nextUpdate")?;
    let next_update = parse_date(&next_update_text).map_err(PayloadError::NextUpdate)?;
    let legal_header: Option<String> = optional(members, "legalHeader")?;
    Ok(Top { text, no, next_update, legal_header, entries, unknown })
}

/// [`parse_top`] with the whole top level as a map.
fn parse_top_general(text: &Arc<String>) -> Result<Top<'_>, PayloadError> {
    let mut unknown = UnknownCounts::default();
    let members: Members<'_> =
        serde_json::from_str(text).map_err(|e| PayloadError::NotJson { reason: e.to_string() })?;
    for name in members.keys() {
        if !TOP_FIELDS.contains(&name.as_ref()) {
            unknown.field("payload", name);
        }
    }
    let no: u64 = required(&members, "no")?;
    let next_update_text: String = required(&members, "nextUpdate")?;
    let next_update = parse_date(&next_update_text).map_err(PayloadError::NextUpdate)?;
    let legal_header: Option<String> = optional(&members, "legalHeader")?;
    let entries: Vec<&RawValue> = required(&members, "entries")?;
    Ok(Top { text, no, next_update, legal_header, entries: TopEntries::Raw(entries), unknown })
}

impl Top<'_> {
    /// Parses every entry (one pass), quarantining the ones that do not parse, and builds the
    /// trust store.
    pub(crate) fn into_parsed(self, limits: &PayloadLimits) -> Result<ParsedPayload, PayloadError> {
        if self.entries.len() > limits.max_entries {
            return Err(PayloadError::TooManyEntries {
                count: self.entries.len(),
                max: limits.max_entries,
            });
        }
        let mut unknown = self.unknown;
        let mut quarantined = Vec::new();
        let mut warnings = Vec::new();
        let mut entries = Vec::with_capacity(self.entries.len());
        // Real BLOBs repeat attestation roots across entries: each distinct one is decoded and
        // checked once, as far as its frame (parsed in full on first use).
        let mut roots_cache = RootsCache::new(limits.max_certs_per_entry, RootCheck::Frame);
        // Each entry's text and, when a pass has read them already, its members.
        let read: Box<dyn Iterator<Item = (&str, Option<EntryRead<'_>>)>> = match self.entries {
            TopEntries::Raw(raw) => {
                Box::new(raw.into_iter().map(|raw| (raw.get(), two_pass::entry(raw.get()))))
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
                        id: id.text(),
                        note,
                    }));
                    entries.push(entry);
                }
                Err(Refused { id, reason }) => quarantined.push(Quarantined { index, id, reason }),
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

fn merge(into: &mut UnknownCounts, from: UnknownCounts) {
    for (k, v) in from.fields {
        *into.fields.entry(k).or_default() += v;
    }
    for (k, v) in from.statuses {
        *into.statuses.entry(k).or_default() += v;
    }
}

#[cfg(test)]
mod tests;
