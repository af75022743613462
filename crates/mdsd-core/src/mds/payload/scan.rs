//! The one pass: the top level is read and, as `entries` goes by, every entry too (the members
//! `entry::entry_from_members` reads, kept raw and borrowed; all member names), so the payload is
//! scanned once. Each entry's text (its raw JSON) is located from the pass itself: its first
//! member name (borrowed from the payload) is preceded by `{` and whitespace only, its last
//! value (a borrowed raw value, or the statement, located the same way) followed by whitespace
//! and `}` only (JSON grammar; serde_json has checked the syntax).
//!
//! An entry the per-entry fast path would give up on (duplicate members, too many members, a
//! statement with duplicates) is still located and left to the general path (`read: None`).
//! Anything else unusual (an entry that is not an object, an escaped first member name, an
//! entry or statement that cannot be located, a statement that is neither an object nor
//! `null`) makes the whole pass give up (`None`): the two-pass readers then decide, exactly as
//! they always have. Real BLOBs never take that way.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::entry::{EntryRead, ENTRY_FIELDS, ENTRY_READ, STATEMENT_FIELDS, STATEMENT_READ};
use super::members::{listed, Key, Members};
use super::two_pass::{Names, MAX_MEMBERS};

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
            // As `two_pass::top`: duplicates and crowds are the general path's.
            if names.len() >= MAX_MEMBERS || names.contains(&key) {
                return Err(give_up("duplicate or many members"));
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
    let mut object =
        Object { members: Members::new(), names: Vec::new(), clean: true, first: None, end: None };
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
