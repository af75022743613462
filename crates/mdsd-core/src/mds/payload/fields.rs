//! The members of an entry, its metadata statement and its status reports that mdsd reads, as
//! a reader left them: typed by the one pass (`scan`), or raw for the general path and the
//! two-pass reader, decoded when read with the exact error ([`Member::get`]). The meaning is
//! `entry` and `status`; this is only where the values come from.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::error::MemberError;
use super::members::{decode_opt, decode_raw, decode_str, Members};
use super::status::ReportMembers;

/// One member: absent, `null`, a value of the type the spec gives it (read by the one pass),
/// or raw JSON not decoded yet.
#[derive(Debug, Clone, Default)]
pub(super) enum Member<'a, T> {
    #[default]
    Absent,
    Null,
    Value(T),
    Raw(&'a RawValue),
}

impl<'a, T: Decode<'a>> Member<'a, T> {
    /// The member `name` of a map read by the general path.
    pub(super) fn raw(members: &Members<'a>, name: &str) -> Member<'a, T> {
        members.get(name).map_or(Member::Absent, |raw| Member::Raw(raw))
    }

    /// The value: `None` when absent or `null`; a raw value is decoded now, with the error
    /// `decode_opt` gives for it.
    pub(super) fn get(self, name: &'static str) -> Result<Option<T>, MemberError> {
        match self {
            Member::Absent | Member::Null => Ok(None),
            Member::Value(value) => Ok(Some(value)),
            Member::Raw(raw) => T::decode(raw, name),
        }
    }

    /// This member, or `other` when this one is absent (`null` is not absent: it shadows).
    pub(super) fn or(self, other: Member<'a, T>) -> Member<'a, T> {
        match self {
            Member::Absent => other,
            present => present,
        }
    }
}

/// How a raw member is decoded into the type it should have (`null`: `None`).
pub(super) trait Decode<'a>: Sized {
    fn decode(raw: &'a RawValue, name: &'static str) -> Result<Option<Self>, MemberError>;
}

impl<'a> Decode<'a> for Cow<'a, str> {
    fn decode(raw: &'a RawValue, name: &'static str) -> Result<Option<Self>, MemberError> {
        decode_str(Some(raw), name)
    }
}

impl<'a> Decode<'a> for u64 {
    fn decode(raw: &'a RawValue, name: &'static str) -> Result<Option<Self>, MemberError> {
        decode_opt(Some(raw), name)
    }
}

impl<'a> Decode<'a> for Vec<Cow<'a, str>> {
    fn decode(raw: &'a RawValue, name: &'static str) -> Result<Option<Self>, MemberError> {
        // Borrowed when no string has escapes (the usual case); the owned decode gives the
        // same values, and the exact error otherwise.
        match decode_raw::<Vec<&'a str>>(Some(raw)) {
            Ok(texts) => Ok(texts.map(|t| t.into_iter().map(Cow::Borrowed).collect())),
            Err(_) => decode_opt::<Vec<String>>(Some(raw), name)
                .map(|t| t.map(|t| t.into_iter().map(Cow::Owned).collect())),
        }
    }
}

impl<'a> Decode<'a> for Vec<ReportFields<'a>> {
    fn decode(raw: &'a RawValue, name: &'static str) -> Result<Option<Self>, MemberError> {
        let reports = decode_opt::<Vec<ReportMembers<'a>>>(Some(raw), name)?;
        Ok(reports.map(|r| r.into_iter().map(ReportFields::from).collect()))
    }
}

/// MDS3 §3.1.1: the entry members mdsd reads.
#[derive(Debug, Default)]
pub(super) struct EntryFields<'a> {
    pub aaguid: Member<'a, Cow<'a, str>>,
    pub aaid: Member<'a, Cow<'a, str>>,
    pub key_identifiers: Member<'a, Vec<Cow<'a, str>>>,
    pub status_reports: Member<'a, Vec<ReportFields<'a>>>,
    pub time_of_last_status_change: Member<'a, Cow<'a, str>>,
}

impl<'a> EntryFields<'a> {
    /// From the entry's members as a map (raw).
    pub(super) fn from_members(members: &Members<'a>) -> EntryFields<'a> {
        EntryFields {
            aaguid: Member::raw(members, "aaguid"),
            aaid: Member::raw(members, "aaid"),
            key_identifiers: Member::raw(members, "attestationCertificateKeyIdentifiers"),
            status_reports: Member::raw(members, "statusReports"),
            time_of_last_status_change: Member::raw(members, "timeOfLastStatusChange"),
        }
    }
}

/// FIDO Metadata Statement §4: the statement members mdsd reads.
#[derive(Debug, Default)]
pub(super) struct StatementFields<'a> {
    pub aaguid: Member<'a, Cow<'a, str>>,
    pub aaid: Member<'a, Cow<'a, str>>,
    pub key_identifiers: Member<'a, Vec<Cow<'a, str>>>,
    pub description: Member<'a, Cow<'a, str>>,
    pub authenticator_version: Member<'a, u64>,
    pub attestation_types: Member<'a, Vec<Cow<'a, str>>>,
    pub authentication_algorithms: Member<'a, Vec<Cow<'a, str>>>,
    pub attestation_root_certificates: Member<'a, Vec<Cow<'a, str>>>,
    pub multi_device_credential_support: Member<'a, Cow<'a, str>>,
    pub key_scope: Member<'a, Cow<'a, str>>,
}

impl<'a> StatementFields<'a> {
    /// From the statement's members as a map (raw).
    pub(super) fn from_members(members: &Members<'a>) -> StatementFields<'a> {
        StatementFields {
            aaguid: Member::raw(members, "aaguid"),
            aaid: Member::raw(members, "aaid"),
            key_identifiers: Member::raw(members, "attestationCertificateKeyIdentifiers"),
            description: Member::raw(members, "description"),
            authenticator_version: Member::raw(members, "authenticatorVersion"),
            attestation_types: Member::raw(members, "attestationTypes"),
            authentication_algorithms: Member::raw(members, "authenticationAlgorithms"),
            attestation_root_certificates: Member::raw(members, "attestationRootCertificates"),
            multi_device_credential_support: Member::raw(members, "multiDeviceCredentialSupport"),
            key_scope: Member::raw(members, "keyScope"),
        }
    }
}

/// MDS3 §3.1.3: the status report members mdsd reads, and the names of the unknown ones
/// (each once, as a map of the members has them).
#[derive(Debug, Default)]
pub(super) struct ReportFields<'a> {
    pub status: Member<'a, Cow<'a, str>>,
    pub effective_date: Member<'a, Cow<'a, str>>,
    pub authenticator_version: Member<'a, u64>,
    pub certificate: Member<'a, Cow<'a, str>>,
    pub url: Member<'a, Cow<'a, str>>,
    pub certification_descriptor: Member<'a, Cow<'a, str>>,
    pub unknown: Vec<Cow<'a, str>>,
}

impl<'a> From<ReportMembers<'a>> for ReportFields<'a> {
    fn from(members: ReportMembers<'a>) -> ReportFields<'a> {
        fn raw<'a, T>(members: &ReportMembers<'a>, name: &str) -> Member<'a, T> {
            members.get(name).map_or(Member::Absent, Member::Raw)
        }
        ReportFields {
            status: raw(&members, "status"),
            effective_date: raw(&members, "effectiveDate"),
            authenticator_version: raw(&members, "authenticatorVersion"),
            certificate: raw(&members, "certificate"),
            url: raw(&members, "url"),
            certification_descriptor: raw(&members, "certificationDescriptor"),
            unknown: members.unknown.into_iter().collect(),
        }
    }
}
