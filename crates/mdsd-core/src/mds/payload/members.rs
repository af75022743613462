//! Reading members of the payload's JSON objects: the member map, member names borrowed from
//! the payload, typed values (or the [`MemberError`] the quarantine reports), dates.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use time::Date;

use super::error::{DateError, MemberError};

/// A list of member names (`pub(super) const $list: &[&str]`) and `fn $index(name) ->
/// Option<usize>`, its place in the list, by a `match` on the name (no scan of the list).
macro_rules! field_list {
    ($(#[$doc:meta])* $list:ident, $index:ident, [$($name:literal),* $(,)?]) => {
        $(#[$doc])*
        pub(super) const $list: &[&str] = &[$($name),*];

        /// The place of `name` in the list of the same name's constant, if it is there.
        pub(super) fn $index(name: &str) -> Option<usize> {
            match name {
                $($name => Some(const { super::members::place($list, $name) }),)*
                _ => None,
            }
        }
    };
}

/// The place of `name` in `list`; evaluated at compile time by `field_list!` (a name that is
/// not in its list does not compile).
#[allow(clippy::indexing_slicing)] // compile-time only; the loops stay in bounds
pub(super) const fn place(list: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < list.len() {
        let (a, b) = (list[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("a field_list! name is not in its list")
}

/// An object's members by name, each value raw (borrowed from the payload).
pub(super) type Members<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;

/// An ISO 8601 calendar date, `YYYY-MM-DD` (MDS3 uses this form for every date).
pub(super) fn parse_date(text: &str) -> Result<Date, DateError> {
    // The usual shape read directly; anything else (and an impossible date) goes through the
    // format description, which gives the same date or the exact error.
    if let Some(date) = plain_date(text) {
        return Ok(date);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, &format).map_err(|reason| DateError { text: text.to_string(), reason })
}

/// `dddd-dd-dd` as a valid calendar date, exactly as `[year]-[month]-[day]` reads it.
fn plain_date(text: &str) -> Option<Date> {
    let b: &[u8; 10] = text.as_bytes().try_into().ok()?;
    let digit = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| u16::from(c - b'0'));
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = digit(0)? * 1000 + digit(1)? * 100 + digit(2)? * 10 + digit(3)?;
    let month = u8::try_from(digit(5)? * 10 + digit(6)?).ok()?;
    let day = u8::try_from(digit(8)? * 10 + digit(9)?).ok()?;
    let month = time::Month::try_from(month).ok()?;
    Date::from_calendar_date(i32::from(year), month, day).ok()
}

pub(super) fn required<'a, T: Deserialize<'a>>(
    members: &Members<'a>,
    name: &'static str,
) -> Result<T, MemberError> {
    optional(members, name)?.ok_or(MemberError::Missing { member: name })
}

/// A member that may be absent. `null` counts as absent.
pub(super) fn optional<'a, T: Deserialize<'a>>(
    members: &Members<'a>,
    name: &'static str,
) -> Result<Option<T>, MemberError> {
    decode_opt(members.get(name).copied(), name)
}

/// [`decode_opt`] for a string (absent or `null`: `None`), borrowed from the payload unless it
/// has escapes: the same value, and the same error, as `decode_opt::<String>`.
pub(super) fn decode_str<'a>(
    raw: Option<&'a RawValue>,
    name: &'static str,
) -> Result<Option<Cow<'a, str>>, MemberError> {
    match decode_raw::<&'a str>(raw) {
        Ok(text) => Ok(text.map(Cow::Borrowed)),
        // Escapes (or another type): the owned decode gives the value or the exact error.
        Err(_) => decode_opt::<String>(raw, name).map(|text| text.map(Cow::Owned)),
    }
}

/// A member's value as `T` (absent or `null`: `None`).
pub(super) fn decode_opt<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
    name: &'static str,
) -> Result<Option<T>, MemberError> {
    decode_raw(raw).map_err(|e| MemberError::WrongType { member: name, reason: e.to_string() })
}

/// [`decode_opt`] with serde_json's error as it is (not formatted: callers that fall back on
/// error do not pay for a message).
pub(super) fn decode_raw<'a, T: Deserialize<'a>>(
    raw: Option<&'a RawValue>,
) -> serde_json::Result<Option<T>> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str(raw.get()).map(Some),
    }
}

/// `list.contains(name)`, with lengths and end bytes compared before the bytes: member names
/// are checked against these lists many times per entry, and most candidates differ there.
pub(super) fn listed<S: AsRef<str>>(list: &[S], name: &str) -> bool {
    let (len, first, last) = (name.len(), name.bytes().next(), name.bytes().next_back());
    list.iter().map(AsRef::as_ref).any(|candidate: &str| {
        candidate.len() == len
            && candidate.bytes().next_back() == last
            && candidate.bytes().next() == first
            && candidate == name
    })
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
