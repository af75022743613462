//! The one pass: the top level is read and, as `entries` goes by, every entry too — the members
//! `entry::entry_from_fields` reads, each as the type the spec gives it (strings borrowed from
//! the payload, status reports and attestation root strings included), and the names of the
//! unknown members — so the payload is scanned once and nothing is parsed again.
//!
//! Each entry's text (its raw JSON) is located from the pass itself, by JSON grammar (serde_json
//! has checked the syntax): its first member name (borrowed from the payload) is preceded by `{`
//! and whitespace only; between one entry's `}` and the next entry's `{` lie whitespace and one
//! `,`; after the last entry's `}` come whitespace and the `]` of `entries`, then either `,` and
//! the next member name (borrowed) or the payload's closing `}`.
//!
//! An entry the fast path does not take (a duplicate member, too many members, a member of
//! another type than the spec's) is still located and left to the general path (`read: None`),
//! which reports it exactly. Anything else unusual (an entry that is not an object, an empty
//! entry, an escaped first member name, an escaped member name after `entries`) makes the whole
//! pass give up (`None`): the two-pass readers then decide, exactly as they always have. Real
//! BLOBs never take that way.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::entry::{entry_field, statement_field, EntryRead, ENTRY_FIELDS, STATEMENT_FIELDS};
use super::fields::{EntryFields, Member, ReportFields, StatementFields};
use super::members::{listed, place, Key, Members};
use super::status::{report_field, STATUS_REPORT_FIELDS};
use super::two_pass::{Names, MAX_MEMBERS};

/// The places of the members the pass reads in their lists (`field_list!`), for `match`es
/// on the place (the name is matched once, by the list's `*_field`).
const E_AAGUID: usize = place(ENTRY_FIELDS, "aaguid");
const E_AAID: usize = place(ENTRY_FIELDS, "aaid");
const E_KEY_IDENTIFIERS: usize = place(ENTRY_FIELDS, "attestationCertificateKeyIdentifiers");
const E_METADATA_STATEMENT: usize = place(ENTRY_FIELDS, "metadataStatement");
const E_STATUS_REPORTS: usize = place(ENTRY_FIELDS, "statusReports");
const E_TIME_OF_LAST_STATUS_CHANGE: usize = place(ENTRY_FIELDS, "timeOfLastStatusChange");
const S_AAGUID: usize = place(STATEMENT_FIELDS, "aaguid");
const S_AAID: usize = place(STATEMENT_FIELDS, "aaid");
const S_KEY_IDENTIFIERS: usize = place(STATEMENT_FIELDS, "attestationCertificateKeyIdentifiers");
const S_DESCRIPTION: usize = place(STATEMENT_FIELDS, "description");
const S_AUTHENTICATOR_VERSION: usize = place(STATEMENT_FIELDS, "authenticatorVersion");
const S_ATTESTATION_TYPES: usize = place(STATEMENT_FIELDS, "attestationTypes");
const S_AUTHENTICATION_ALGORITHMS: usize = place(STATEMENT_FIELDS, "authenticationAlgorithms");
const S_ATTESTATION_ROOT_CERTIFICATES: usize =
    place(STATEMENT_FIELDS, "attestationRootCertificates");
const S_MULTI_DEVICE_CREDENTIAL_SUPPORT: usize =
    place(STATEMENT_FIELDS, "multiDeviceCredentialSupport");
const S_KEY_SCOPE: usize = place(STATEMENT_FIELDS, "keyScope");
const R_STATUS: usize = place(STATUS_REPORT_FIELDS, "status");
const R_EFFECTIVE_DATE: usize = place(STATUS_REPORT_FIELDS, "effectiveDate");
const R_AUTHENTICATOR_VERSION: usize = place(STATUS_REPORT_FIELDS, "authenticatorVersion");
const R_CERTIFICATE: usize = place(STATUS_REPORT_FIELDS, "certificate");
const R_URL: usize = place(STATUS_REPORT_FIELDS, "url");
const R_CERTIFICATION_DESCRIPTOR: usize = place(STATUS_REPORT_FIELDS, "certificationDescriptor");

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
    let TopScan { members, entries: (starts, mut entries), names, after_entries } = top?;
    let texts = locate(text, &starts, after_entries)?;
    for (entry, text) in entries.iter_mut().zip(texts) {
        entry.text = text;
    }
    Some((members, entries, names))
}

/// The texts of entries that start at `starts` (each the offset of its `{`), in order; the
/// member after `entries` starts at `after_entries` (the offset of the `"` of its name), or
/// `entries` is the payload's last member.
fn locate<'a>(
    base: &'a str,
    starts: &[usize],
    after_entries: Option<usize>,
) -> Option<Vec<&'a str>> {
    let bytes = base.as_bytes();
    let mut texts = Vec::with_capacity(starts.len());
    if starts.is_empty() {
        return Some(texts);
    }
    // The `]` that closes `entries`: before `,` and the next member's name, or before the
    // payload's closing `}`.
    let array_end = match after_entries {
        Some(quote) => before(bytes, before(bytes, quote, b',')?, b']')?,
        None => before(bytes, before(bytes, bytes.len(), b'}')?, b']')?,
    };
    for (i, &start) in starts.iter().enumerate() {
        // This entry's `}` comes before the `,` ahead of the next entry, or before that `]`.
        let after = match starts.get(i + 1) {
            Some(&next) => before(bytes, next, b',')?,
            None => array_end,
        };
        let brace = before(bytes, after, b'}')?;
        texts.push(base.get(start..=brace)?);
    }
    Some(texts)
}

/// The offset of the last byte before `at` that is not whitespace, when that byte is `want`.
fn before(bytes: &[u8], at: usize, want: u8) -> Option<usize> {
    let at = bytes.get(..at)?.iter().rposition(|b| !is_space(b))?;
    (bytes.get(at) == Some(&want)).then_some(at)
}

/// Where `ptr` (into `base`) is in `base`.
fn offset(base: &str, ptr: *const u8) -> Option<usize> {
    (ptr as usize).checked_sub(base.as_ptr() as usize).filter(|&at| at <= base.len())
}

fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The offset of the `"` that opens `name` (borrowed from `base`).
fn quote(base: &str, name: &str) -> Option<usize> {
    let quote = offset(base, name.as_ptr())?.checked_sub(1)?;
    (base.as_bytes().get(quote) == Some(&b'"')).then_some(quote)
}

/// The offset of the `{` that opens the object whose first member name is `key` (borrowed
/// from `base`): only whitespace lies between them and the name's `"`.
fn open(base: &str, key: &str) -> Option<usize> {
    before(base.as_bytes(), quote(base, key)?, b'{')
}

fn give_up<E: de::Error>(what: &str) -> E {
    E::custom(format_args!("one pass gives up: {what}"))
}

/// The top level as the pass read it.
struct TopScan<'a> {
    members: Members<'a>,
    /// Each entry's start (the offset of its `{`), and the entries (their texts not located
    /// yet).
    entries: (Vec<usize>, Vec<EntryScan<'a>>),
    names: Vec<Cow<'a, str>>,
    /// The offset of the `"` of the member name after `entries`, if any.
    after_entries: Option<usize>,
}

struct TopSeed<'a> {
    base: &'a str,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'de> {
    type Value = Option<TopScan<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'de> {
    type Value = Option<TopScan<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Members::new();
        let mut names: Vec<Cow<'de, str>> = Vec::new();
        let mut entries = None;
        let mut after_entries = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            // As `two_pass::top`: duplicates and crowds are the general path's.
            if names.len() >= MAX_MEMBERS || names.contains(&key) {
                return Err(give_up("duplicate or many members"));
            }
            // The member after `entries` marks where the entries end.
            if entries.is_some() && after_entries.is_none() {
                let name = match &key {
                    Cow::Borrowed(name) => *name,
                    Cow::Owned(_) => return Err(give_up("escaped member name after entries")),
                };
                after_entries = Some(quote(self.base, name).ok_or_else(|| give_up("name"))?);
            }
            match key.as_ref() {
                "entries" => entries = Some(map.next_value_seed(EntriesSeed { base: self.base })?),
                "no" | "nextUpdate" | "legalHeader" => {
                    members.insert(key.clone(), map.next_value()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            names.push(key);
        }
        Ok(entries.map(|entries| TopScan { members, entries, names, after_entries }))
    }
}

struct EntriesSeed<'a> {
    base: &'a str,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'de> {
    type Value = (Vec<usize>, Vec<EntryScan<'de>>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'de> {
    type Value = (Vec<usize>, Vec<EntryScan<'de>>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // About one entry per 8 KiB of payload (real BLOBs: 15 KiB), so the list rarely grows.
        let estimate = seq.size_hint().unwrap_or(self.base.len() / 8192).min(4096);
        let (mut starts, mut entries) =
            (Vec::with_capacity(estimate), Vec::with_capacity(estimate));
        while let Some((start, read)) = seq.next_element_seed(EntrySeed { base: self.base })? {
            starts.push(start);
            entries.push(EntryScan { text: "", read });
        }
        Ok((starts, entries))
    }
}

/// Duplicate and crowd detection for one object: known names by a bit each (their place in
/// the list of the object's known members), the others by comparison with those listed.
#[derive(Default)]
struct Seen {
    bits: u64,
    count: usize,
}

impl Seen {
    /// Counts a member; false when it is a duplicate or one too many for the fast path
    /// (serde_json into a map keeps the last of duplicates: that is the general path's).
    fn fresh(&mut self, known: Option<usize>, name: &str, unknown: &[Cow<'_, str>]) -> bool {
        self.count = self.count.saturating_add(1);
        let bit = known.and_then(|at| u32::try_from(at).ok()).and_then(|at| 1u64.checked_shl(at));
        let duplicate = match bit {
            Some(bit) => {
                let seen = self.bits & bit != 0;
                self.bits |= bit;
                seen
            }
            None => listed(unknown, name),
        };
        self.count <= MAX_MEMBERS && !duplicate
    }
}

/// A value read as the type a member should have. Anything else is `Other`: the fast path
/// leaves the entry to the general path, which reports it with the exact error.
enum Got<T> {
    Null,
    Value(T),
    Other,
}

impl<T> Got<T> {
    /// Stores the value in `slot`; false for `Other`.
    fn store<'a>(self, slot: &mut Member<'a, T>) -> bool {
        match self {
            Got::Null => *slot = Member::Null,
            Got::Value(value) => *slot = Member::Value(value),
            Got::Other => return false,
        }
        true
    }
}

/// Visits of values of another type than wanted: `Other` (containers are read to their end).
macro_rules! other {
    (scalars) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
    };
    (u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
    };
    (strings) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
    };
    (seqs) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Got::Other)
        }
    };
    (maps) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Got::Other)
        }
    };
    (null) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
    };
}

/// A string (borrowed unless it has escapes) or `null`.
#[derive(Clone, Copy)]
struct Str;

impl<'de> DeserializeSeed<'de> for Str {
    type Value = Got<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = Got<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Got::Value(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Got::Value(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Got::Value(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Null)
    }
    other!(scalars);
    other!(u64);
    other!(seqs);
    other!(maps);
}

/// A `u64` or `null`.
struct U64;

impl<'de> DeserializeSeed<'de> for U64 {
    type Value = Got<u64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for U64 {
    type Value = Got<u64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Got::Value(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Null)
    }
    other!(scalars);
    other!(strings);
    other!(seqs);
    other!(maps);
}

/// An array whose every item `S` reads as a value, or `null`; any other array or value is
/// [`Got::Other`]. `ListOf(Str)` reads string lists, `ListOf(Report)` `statusReports`.
#[derive(Clone, Copy)]
struct ListOf<S>(S);

impl<'de, T, S> DeserializeSeed<'de> for ListOf<S>
where
    S: DeserializeSeed<'de, Value = Got<T>> + Copy,
{
    type Value = Got<Vec<T>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T, S> Visitor<'de> for ListOf<S>
where
    S: DeserializeSeed<'de, Value = Got<T>> + Copy,
{
    type Value = Got<Vec<T>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let mut all_values = true;
        while let Some(item) = seq.next_element_seed(self.0)? {
            match item {
                Got::Value(value) => list.push(value),
                Got::Null | Got::Other => all_values = false,
            }
        }
        Ok(if all_values { Got::Value(list) } else { Got::Other })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Null)
    }
    other!(scalars);
    other!(u64);
    other!(strings);
    other!(maps);
}

/// One status report (MDS3 §3.1.3): an object.
#[derive(Clone, Copy)]
struct Report;

impl<'de> DeserializeSeed<'de> for Report {
    type Value = Got<ReportFields<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Report {
    type Value = Got<ReportFields<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut report = ReportFields::default();
        let (mut seen, mut clean) = (Seen::default(), true);
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            // Past the first surprise nothing more is counted (the duplicate check is
            // quadratic): the general path reads the object.
            let known = report_field(&name);
            clean = clean && seen.fresh(known, &name, &report.unknown);
            clean &= match known {
                Some(R_STATUS) => map.next_value_seed(Str)?.store(&mut report.status),
                Some(R_EFFECTIVE_DATE) => {
                    map.next_value_seed(Str)?.store(&mut report.effective_date)
                }
                Some(R_AUTHENTICATOR_VERSION) => {
                    map.next_value_seed(U64)?.store(&mut report.authenticator_version)
                }
                Some(R_CERTIFICATE) => map.next_value_seed(Str)?.store(&mut report.certificate),
                Some(R_URL) => map.next_value_seed(Str)?.store(&mut report.url),
                Some(R_CERTIFICATION_DESCRIPTOR) => {
                    map.next_value_seed(Str)?.store(&mut report.certification_descriptor)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if clean && known.is_none() {
                        report.unknown.push(name);
                    }
                    true
                }
            };
        }
        Ok(if clean { Got::Value(report) } else { Got::Other })
    }
    other!(scalars);
    other!(u64);
    other!(strings);
    other!(seqs);
    other!(null);
}

/// `metadataStatement`: an object, or `null`. The value: its members and the names of its
/// unknown members.
struct Statement;

impl<'de> DeserializeSeed<'de> for Statement {
    type Value = Got<(StatementFields<'de>, Vec<Cow<'de, str>>)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Statement {
    type Value = Got<(StatementFields<'de>, Vec<Cow<'de, str>>)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut s = StatementFields::default();
        let mut unknown = Vec::new();
        let (mut seen, mut clean) = (Seen::default(), true);
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            let known = statement_field(&name);
            clean = clean && seen.fresh(known, &name, &unknown);
            clean &= match known {
                Some(S_AAGUID) => map.next_value_seed(Str)?.store(&mut s.aaguid),
                Some(S_AAID) => map.next_value_seed(Str)?.store(&mut s.aaid),
                Some(S_KEY_IDENTIFIERS) => {
                    map.next_value_seed(ListOf(Str))?.store(&mut s.key_identifiers)
                }
                Some(S_DESCRIPTION) => map.next_value_seed(Str)?.store(&mut s.description),
                Some(S_AUTHENTICATOR_VERSION) => {
                    map.next_value_seed(U64)?.store(&mut s.authenticator_version)
                }
                Some(S_ATTESTATION_TYPES) => {
                    map.next_value_seed(ListOf(Str))?.store(&mut s.attestation_types)
                }
                Some(S_AUTHENTICATION_ALGORITHMS) => {
                    map.next_value_seed(ListOf(Str))?.store(&mut s.authentication_algorithms)
                }
                Some(S_ATTESTATION_ROOT_CERTIFICATES) => {
                    map.next_value_seed(ListOf(Str))?.store(&mut s.attestation_root_certificates)
                }
                Some(S_MULTI_DEVICE_CREDENTIAL_SUPPORT) => {
                    map.next_value_seed(Str)?.store(&mut s.multi_device_credential_support)
                }
                Some(S_KEY_SCOPE) => map.next_value_seed(Str)?.store(&mut s.key_scope),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if clean && known.is_none() {
                        unknown.push(name);
                    }
                    true
                }
            };
        }
        Ok(if clean { Got::Value((s, unknown)) } else { Got::Other })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Got::Null)
    }
    other!(scalars);
    other!(u64);
    other!(strings);
    other!(seqs);
}

/// One entry: where it starts (the offset of its `{`) and, when the fast path takes it, its
/// members.
struct EntrySeed<'a> {
    base: &'a str,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'de> {
    type Value = (usize, Option<EntryRead<'de>>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'de> {
    type Value = (usize, Option<EntryRead<'de>>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an entry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entry = EntryFields::default();
        let mut statement = None;
        let mut names = Names::default();
        let mut start = None;
        let (mut seen, mut clean) = (Seen::default(), true);
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if start.is_none() {
                let first = match &name {
                    Cow::Borrowed(first) => *first,
                    Cow::Owned(_) => return Err(give_up("escaped first member name")),
                };
                start = Some(open(self.base, first).ok_or_else(|| give_up("entry not located"))?);
            }
            let known = entry_field(&name);
            clean = clean && seen.fresh(known, &name, &names.entry);
            clean &= match known {
                Some(E_AAGUID) => map.next_value_seed(Str)?.store(&mut entry.aaguid),
                Some(E_AAID) => map.next_value_seed(Str)?.store(&mut entry.aaid),
                Some(E_KEY_IDENTIFIERS) => {
                    map.next_value_seed(ListOf(Str))?.store(&mut entry.key_identifiers)
                }
                Some(E_STATUS_REPORTS) => {
                    map.next_value_seed(ListOf(Report))?.store(&mut entry.status_reports)
                }
                Some(E_TIME_OF_LAST_STATUS_CHANGE) => {
                    map.next_value_seed(Str)?.store(&mut entry.time_of_last_status_change)
                }
                Some(E_METADATA_STATEMENT) => match map.next_value_seed(Statement)? {
                    Got::Null => {
                        statement = None;
                        names.statement.clear();
                        true
                    }
                    Got::Value((fields, unknown)) => {
                        statement = Some(fields);
                        names.statement = unknown;
                        true
                    }
                    Got::Other => false,
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if clean && known.is_none() {
                        names.entry.push(name);
                    }
                    true
                }
            };
        }
        let start = start.ok_or_else(|| give_up("empty entry"))?;
        Ok((start, clean.then_some(EntryRead { entry, statement, names })))
    }
}
