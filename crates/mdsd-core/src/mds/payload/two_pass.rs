//! The two-pass readers, the fallback of the one pass (`scan`): the top level is read with
//! `entries` split into raw values ([`top`]), then each entry in a pass of its own
//! ([`entry`]).
//!
//! Each is a single pass over its object: it keeps the members that are read later (as raw
//! JSON, borrowed from the payload), skips the others (still fully validated by serde_json) and
//! lists every member name. It gives up (`None`) on anything the general path treats specially
//! — a duplicate member, a value of another JSON type than expected — so that the general path
//! (maps) decides those with its exact errors.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::entry::{EntryRead, ENTRY_READ, STATEMENT_READ};
use super::fields::{EntryFields, StatementFields};
use super::members::{Key, Members};

/// Member names of an entry and of its statement, each listed once.
#[derive(Debug, Default)]
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

/// An entry: the members read later (raw), its statement's (`None` when the statement is
/// `null` or absent), all member names.
pub(super) fn entry(text: &str) -> Option<EntryRead<'_>> {
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
    Some(EntryRead {
        entry: EntryFields::from_members(&members),
        statement: statement.as_ref().map(StatementFields::from_members),
        names: Names { entry: entry_names, statement: statement_names },
    })
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
