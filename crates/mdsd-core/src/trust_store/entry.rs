//! The trust store's model of one metadata entry (MDS3 §3.1.1): [`Entry`] with its accessors,
//! the builder the BLOB loader makes entries with, and the shared pieces entries hold — the
//! attestation roots parsed on first use ([`Roots`], [`LazyCert`]), the entry's JSON as a
//! range of the payload ([`RawJson`]) and its strings as ranges of the same payload ([`Text`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use thiserror::Error;
use time::Date;
use uuid::Uuid;

use super::origin::Origin;
use super::status::StatusReport;
use crate::policy::MetadataCapabilities;
use crate::x509::Cert;

/// A metadata entry, checked and indexed.
#[derive(Clone)]
pub struct Entry {
    pub(super) aaguid: Option<Uuid>,
    pub(super) aaid: Option<Text>,
    pub(super) key_identifiers: Vec<String>,
    pub(super) description: Option<Text>,
    pub(super) authenticator_version: Option<u64>,
    pub(super) attestation_roots: Roots,
    pub(super) status_reports: Vec<StatusReport>,
    pub(super) time_of_last_status_change: Option<Date>,
    pub(super) multi_device_credential_support: Option<Text>,
    pub(super) key_scope: Option<Text>,
    pub(super) attestation_types: Vec<String>,
    /// metadataStatement.authenticationAlgorithms (e.g. `secp256r1_ecdsa_sha256_raw`).
    pub(super) authentication_algorithms: Vec<String>,
    /// The entry's original JSON (metadataStatement and all), for clients that want everything.
    pub(super) raw_json: RawJson,
    /// Where the entry comes from ([`Origin::Mds`] unless set by [`Entry::with_origin`]).
    pub(super) origin: Origin,
    /// What the statement shows the model can do, read from `raw_json` on first use (a
    /// registration under Entra's certified-metadata check), once per entry rather than once
    /// per request.
    pub(crate) capabilities: OnceLock<MetadataCapabilities>,
}

/// An attestation root kept as DER and parsed into a [`Cert`] on first use, once: one instance
/// is shared by every entry of a BLOB that lists the same root. The loader has checked the DER:
/// a BLOB's roots as far as their frame ([`Cert::check_frame`], which on every real root agrees
/// with the full parse), a statement file's in full ([`Cert::check_der`]). A root whose full
/// parse still fails is left out on first use, with a warning in the log: a missing root can
/// only make fewer chains trusted.
pub(crate) struct LazyCert {
    der: Vec<u8>,
    cert: OnceLock<Option<Arc<Cert>>>,
}

impl LazyCert {
    /// DER that [`Cert::check_frame`] or [`Cert::check_der`] accepted.
    pub(crate) fn new(der: Vec<u8>) -> LazyCert {
        LazyCert { der, cert: OnceLock::new() }
    }
    /// A certificate parsed already.
    pub(crate) fn parsed(cert: Arc<Cert>) -> LazyCert {
        LazyCert { der: cert.der().to_vec(), cert: OnceLock::from(Some(cert)) }
    }
    #[cfg(test)]
    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }
    /// The parsed certificate (parsed now when this is the first call).
    pub(crate) fn get(&self) -> Option<&Arc<Cert>> {
        self.cert
            .get_or_init(|| match Cert::from_der(&self.der) {
                Ok(cert) => Some(Arc::new(cert)),
                Err(e) => {
                    tracing::warn!(error = %e, "an attestation root accepted at load does not \
                        parse; left out");
                    None
                }
            })
            .as_ref()
    }
}

impl fmt::Debug for LazyCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LazyCert(sha256 {})", hex::encode(crate::crypto::sha256(&self.der)))
    }
}

/// An entry's `attestationRootCertificates`, parsed on first use (see [`LazyCert`]).
#[derive(Clone, Default)]
pub(crate) struct Roots {
    lazy: Vec<Arc<LazyCert>>,
    parsed: OnceLock<Vec<Arc<Cert>>>,
}

impl Roots {
    pub(crate) fn new(lazy: Vec<Arc<LazyCert>>) -> Roots {
        Roots { lazy, parsed: OnceLock::new() }
    }
    /// The certificates, parsed on the first call.
    pub(crate) fn get(&self) -> &[Arc<Cert>] {
        self.parsed.get_or_init(|| self.lazy.iter().filter_map(|c| c.get().cloned()).collect())
    }
}

impl From<Vec<Arc<Cert>>> for Roots {
    fn from(certs: Vec<Arc<Cert>>) -> Roots {
        Roots::new(certs.into_iter().map(|c| Arc::new(LazyCert::parsed(c))).collect())
    }
}

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.lazy).finish()
    }
}

/// An entry's original JSON: a range of the BLOB payload, which every entry of the BLOB shares
/// (one copy of the payload, not one per entry).
#[derive(Clone)]
pub(crate) struct RawJson {
    text: Arc<String>,
    start: usize,
    end: usize,
}

impl RawJson {
    /// `text[range]`, or `None` when the range is not inside `text` on character boundaries.
    pub(crate) fn shared(text: &Arc<String>, range: std::ops::Range<usize>) -> Option<RawJson> {
        text.get(range.clone())?;
        Some(RawJson { text: text.clone(), start: range.start, end: range.end })
    }
    /// A copy of `text` on its own.
    pub(crate) fn owned(text: &str) -> RawJson {
        RawJson { text: Arc::new(text.to_string()), start: 0, end: text.len() }
    }
    pub(crate) fn get(&self) -> &str {
        // `shared` and `owned` checked the range; never empty in practice.
        self.text.get(self.start..self.end).unwrap_or_default()
    }
}

impl RawJson {
    /// `text` as a range of this JSON's payload when it is borrowed from it (no copy), else a
    /// copy of its own.
    pub(crate) fn text(&self, text: Cow<'_, str>) -> Text {
        if let Cow::Borrowed(borrowed) = &text {
            // Pointer arithmetic only locates `borrowed`; the range is checked, and compared
            // with `borrowed` itself.
            let start = (borrowed.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
            let range = start..start.saturating_add(borrowed.len());
            if self.text.get(range.clone()).is_some_and(|t| t.as_ptr() == borrowed.as_ptr()) {
                return Text::Payload(range);
            }
        }
        Text::Own(text.into_owned().into_boxed_str())
    }

    fn resolve<'e>(&'e self, text: &'e Text) -> &'e str {
        match text {
            Text::Payload(range) => self.text.get(range.clone()).unwrap_or_default(),
            Text::Own(own) => own,
        }
    }
}

/// A string of an entry: a range of the BLOB payload the entry's JSON lies in (no copy), or
/// a string of its own (one with escapes in the JSON, or an entry made outside a payload).
#[derive(Clone)]
pub(crate) enum Text {
    Payload(std::ops::Range<usize>),
    Own(Box<str>),
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::Own(text.into())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.get(), f)
    }
}

impl Entry {
    pub fn aaguid(&self) -> Option<Uuid> {
        self.aaguid
    }
    pub fn aaid(&self) -> Option<&str> {
        self.aaid.as_ref().map(|t| self.raw_json.resolve(t))
    }
    pub fn key_identifiers(&self) -> &[String] {
        &self.key_identifiers
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_ref().map(|t| self.raw_json.resolve(t))
    }
    pub fn authenticator_version(&self) -> Option<u64> {
        self.authenticator_version
    }
    /// `metadataStatement.attestationRootCertificates`: checked at load, parsed on the first
    /// call (once per BLOB for a root several entries list).
    pub fn attestation_roots(&self) -> &[Arc<Cert>] {
        self.attestation_roots.get()
    }
    pub fn status_reports(&self) -> &[StatusReport] {
        &self.status_reports
    }
    /// `timeOfLastStatusChange` (MDS3 §3.1.1).
    pub fn time_of_last_status_change(&self) -> Option<Date> {
        self.time_of_last_status_change
    }
    pub fn multi_device_credential_support(&self) -> Option<&str> {
        self.multi_device_credential_support.as_ref().map(|t| self.raw_json.resolve(t))
    }
    pub fn key_scope(&self) -> Option<&str> {
        self.key_scope.as_ref().map(|t| self.raw_json.resolve(t))
    }
    pub fn attestation_types(&self) -> &[String] {
        &self.attestation_types
    }
    /// metadataStatement.authenticationAlgorithms as listed.
    pub fn authentication_algorithms(&self) -> &[String] {
        &self.authentication_algorithms
    }
    pub fn raw_json(&self) -> &str {
        self.raw_json.get()
    }
    /// Where the entry comes from: the MDS, a further BLOB source, or an operator's file.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// This entry marked as coming from `origin` (the loaders make entries as [`Origin::Mds`]).
    #[must_use]
    pub fn with_origin(self, origin: Origin) -> Entry {
        Entry { origin, ..self }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("aaguid", &self.aaguid)
            .field("aaid", &self.aaid())
            .field("key_identifiers", &self.key_identifiers)
            .field("description", &self.description())
            .field("authenticator_version", &self.authenticator_version)
            .field("attestation_roots", &self.attestation_roots)
            .field("status_reports", &self.status_reports)
            .field("time_of_last_status_change", &self.time_of_last_status_change)
            .field("multi_device_credential_support", &self.multi_device_credential_support())
            .field("key_scope", &self.key_scope())
            .field("attestation_types", &self.attestation_types)
            .field("authentication_algorithms", &self.authentication_algorithms)
            .field("raw_json", &self.raw_json)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Why an [`Entry`] could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EntryBuildError {
    /// MDS3 §3.1.1: an entry is found by its AAGUID, AAID or attestation certificate key
    /// identifiers; one with none of them could never be looked up.
    #[error("no aaguid, aaid or attestationCertificateKeyIdentifiers")]
    NoIdentifier,
}

/// Makes an [`Entry`] in place: the identifiers first ([`Entry::identified`]), then what the
/// metadata statement and the status reports say, then [`EntryBuilder::build`]. Keeps the entry's invariants: at least one lookup
/// key; key identifiers in lowercase, each listed once.
#[derive(Debug)]
#[must_use]
pub(crate) struct EntryBuilder {
    entry: Entry,
}

impl Entry {
    /// Starts an entry with its lookup keys and its original JSON. Key identifiers are
    /// lowercased and listed once (real BLOBs repeat some within one entry); hex is the
    /// loader's check. Refused without any lookup key.
    pub(crate) fn identified(
        aaguid: Option<Uuid>,
        aaid: Option<Cow<'_, str>>,
        key_identifiers: Vec<String>,
        raw_json: RawJson,
    ) -> Result<EntryBuilder, EntryBuildError> {
        let key_identifiers = lowercase_once(key_identifiers);
        if aaguid.is_none() && aaid.is_none() && key_identifiers.is_empty() {
            return Err(EntryBuildError::NoIdentifier);
        }
        let aaid = aaid.map(|aaid| raw_json.text(aaid));
        Ok(EntryBuilder {
            entry: Entry {
                aaguid,
                aaid,
                key_identifiers,
                description: None,
                authenticator_version: None,
                attestation_roots: Roots::default(),
                status_reports: Vec::new(),
                time_of_last_status_change: None,
                multi_device_credential_support: None,
                key_scope: None,
                attestation_types: Vec::new(),
                authentication_algorithms: Vec::new(),
                raw_json,
                origin: Origin::Mds,
                capabilities: OnceLock::new(),
            },
        })
    }
}

/// Key identifiers lowercased, each listed once, in the order of their first appearance. A
/// short list (real entries list one to a few) is searched as it is built, without a set and
/// without copying any identifier.
fn lowercase_once(key_identifiers: Vec<String>) -> Vec<String> {
    const SHORT: usize = 16;
    let mut once = Vec::with_capacity(key_identifiers.len());
    let mut seen =
        (key_identifiers.len() > SHORT).then(|| HashSet::with_capacity(key_identifiers.len()));
    for mut k in key_identifiers {
        k.make_ascii_lowercase();
        let fresh = match &mut seen {
            Some(seen) => seen.insert(k.clone()),
            None => !once.contains(&k),
        };
        if fresh {
            once.push(k);
        }
    }
    once
}

impl EntryBuilder {
    /// `metadataStatement.description`.
    pub(crate) fn description(&mut self, description: Option<Cow<'_, str>>) -> &mut Self {
        self.entry.description = description.map(|t| self.entry.raw_json.text(t));
        self
    }
    /// `metadataStatement.authenticatorVersion`.
    pub(crate) fn authenticator_version(&mut self, version: Option<u64>) -> &mut Self {
        self.entry.authenticator_version = version;
        self
    }
    /// `metadataStatement.attestationRootCertificates`, checked by the loader.
    pub(crate) fn attestation_roots(&mut self, roots: Roots) -> &mut Self {
        self.entry.attestation_roots = roots;
        self
    }
    /// `metadataStatement.attestationTypes`.
    pub(crate) fn attestation_types(&mut self, types: Vec<String>) -> &mut Self {
        self.entry.attestation_types = types;
        self
    }
    /// `metadataStatement.authenticationAlgorithms`.
    pub(crate) fn authentication_algorithms(&mut self, algorithms: Vec<String>) -> &mut Self {
        self.entry.authentication_algorithms = algorithms;
        self
    }
    /// `metadataStatement.multiDeviceCredentialSupport`.
    pub(crate) fn multi_device_credential_support(
        &mut self,
        mdcs: Option<Cow<'_, str>>,
    ) -> &mut Self {
        self.entry.multi_device_credential_support = mdcs.map(|t| self.entry.raw_json.text(t));
        self
    }
    /// `metadataStatement.keyScope`.
    pub(crate) fn key_scope(&mut self, key_scope: Option<Cow<'_, str>>) -> &mut Self {
        self.entry.key_scope = key_scope.map(|t| self.entry.raw_json.text(t));
        self
    }
    /// `statusReports`, in the BLOB's order.
    pub(crate) fn status_reports(&mut self, reports: Vec<StatusReport>) -> &mut Self {
        self.entry.status_reports = reports;
        self
    }
    /// `timeOfLastStatusChange`.
    pub(crate) fn time_of_last_status_change(&mut self, date: Option<Date>) -> &mut Self {
        self.entry.time_of_last_status_change = date;
        self
    }
    pub(crate) fn build(self) -> Entry {
        self.entry
    }
}
