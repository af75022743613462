//! The trust store: an immutable snapshot of verified MDS entries, indexed for lookup.
//!
//! Built once from a verified BLOB payload ([`crate::mds`]) and replaced whole on refresh, never
//! mutated in place. Lookups are by AAGUID (FIDO2), attestation certificate key identifier (U2F)
//! and AAID (UAF).

use std::fmt;
use std::sync::{Arc, OnceLock};

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::x509::Cert;

/// MDS3 AuthenticatorStatus (MDS3 §3.1.4). Unknown values are kept verbatim (MDS3: "unknown
/// values MUST be ignored", so they never fail a BLOB).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthenticatorStatus {
    NotFidoCertified,
    FidoCertified,
    UserVerificationBypass,
    AttestationKeyCompromise,
    UserKeyRemoteCompromise,
    UserKeyPhysicalCompromise,
    UpdateAvailable,
    Revoked,
    SelfAssertionSubmitted,
    FidoCertifiedL1,
    FidoCertifiedL1Plus,
    FidoCertifiedL2,
    FidoCertifiedL2Plus,
    FidoCertifiedL3,
    FidoCertifiedL3Plus,
    Retired,
    Fips140CertifiedL1,
    Fips140CertifiedL2,
    Fips140CertifiedL3,
    Fips140CertifiedL4,
    /// A value this version of mdsd does not know.
    Unknown(String),
}

impl AuthenticatorStatus {
    /// Parses the MDS string form (`"FIDO_CERTIFIED_L1"`); unknown strings become `Unknown`.
    pub fn parse(s: &str) -> AuthenticatorStatus {
        KNOWN_STATUSES
            .iter()
            .find(|status| status.as_str() == s)
            .cloned()
            .unwrap_or_else(|| AuthenticatorStatus::Unknown(s.to_string()))
    }
    /// The MDS string form.
    pub fn as_str(&self) -> &str {
        use AuthenticatorStatus::*;
        match self {
            NotFidoCertified => "NOT_FIDO_CERTIFIED",
            FidoCertified => "FIDO_CERTIFIED",
            UserVerificationBypass => "USER_VERIFICATION_BYPASS",
            AttestationKeyCompromise => "ATTESTATION_KEY_COMPROMISE",
            UserKeyRemoteCompromise => "USER_KEY_REMOTE_COMPROMISE",
            UserKeyPhysicalCompromise => "USER_KEY_PHYSICAL_COMPROMISE",
            UpdateAvailable => "UPDATE_AVAILABLE",
            Revoked => "REVOKED",
            SelfAssertionSubmitted => "SELF_ASSERTION_SUBMITTED",
            FidoCertifiedL1 => "FIDO_CERTIFIED_L1",
            FidoCertifiedL1Plus => "FIDO_CERTIFIED_L1plus",
            FidoCertifiedL2 => "FIDO_CERTIFIED_L2",
            FidoCertifiedL2Plus => "FIDO_CERTIFIED_L2plus",
            FidoCertifiedL3 => "FIDO_CERTIFIED_L3",
            FidoCertifiedL3Plus => "FIDO_CERTIFIED_L3plus",
            Retired => "RETIRED",
            Fips140CertifiedL1 => "FIPS140_CERTIFIED_L1",
            Fips140CertifiedL2 => "FIPS140_CERTIFIED_L2",
            Fips140CertifiedL3 => "FIPS140_CERTIFIED_L3",
            Fips140CertifiedL4 => "FIPS140_CERTIFIED_L4",
            Unknown(s) => s,
        }
    }
    /// True for a value this version of mdsd does not know.
    /// The statuses MDS3 §3.1.4 defines as security issues of the model or its keys: REVOKED,
    /// ATTESTATION_KEY_COMPROMISE, USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE,
    /// USER_KEY_PHYSICAL_COMPROMISE. Ordering ties among status reports are broken in their
    /// favour ([`Entry::effective_reports`]).
    pub fn is_security_issue(&self) -> bool {
        matches!(
            self,
            AuthenticatorStatus::Revoked
                | AuthenticatorStatus::AttestationKeyCompromise
                | AuthenticatorStatus::UserVerificationBypass
                | AuthenticatorStatus::UserKeyRemoteCompromise
                | AuthenticatorStatus::UserKeyPhysicalCompromise
        )
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, AuthenticatorStatus::Unknown(_))
    }
}

/// Every status value of MDS3 v3.1.1 §3.1.4 (all but `Unknown`).
const KNOWN_STATUSES: [AuthenticatorStatus; 20] = [
    AuthenticatorStatus::NotFidoCertified,
    AuthenticatorStatus::FidoCertified,
    AuthenticatorStatus::UserVerificationBypass,
    AuthenticatorStatus::AttestationKeyCompromise,
    AuthenticatorStatus::UserKeyRemoteCompromise,
    AuthenticatorStatus::UserKeyPhysicalCompromise,
    AuthenticatorStatus::UpdateAvailable,
    AuthenticatorStatus::Revoked,
    AuthenticatorStatus::SelfAssertionSubmitted,
    AuthenticatorStatus::FidoCertifiedL1,
    AuthenticatorStatus::FidoCertifiedL1Plus,
    AuthenticatorStatus::FidoCertifiedL2,
    AuthenticatorStatus::FidoCertifiedL2Plus,
    AuthenticatorStatus::FidoCertifiedL3,
    AuthenticatorStatus::FidoCertifiedL3Plus,
    AuthenticatorStatus::Retired,
    AuthenticatorStatus::Fips140CertifiedL1,
    AuthenticatorStatus::Fips140CertifiedL2,
    AuthenticatorStatus::Fips140CertifiedL3,
    AuthenticatorStatus::Fips140CertifiedL4,
];

/// One status report of an entry (MDS3 §3.1.3), kept as the BLOB had it.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub status: AuthenticatorStatus,
    pub effective_date: Option<Date>,
    pub authenticator_version: Option<u64>,
    /// The batch certificate this report is scoped to (ATTESTATION_KEY_COMPROMISE), if any.
    pub certificate: Option<Arc<Cert>>,
    pub url: Option<String>,
    pub certification_descriptor: Option<String>,
}

/// Which statuses make an authenticator untrusted: relying-party policy with sensible defaults.
#[derive(Debug, Clone)]
pub struct StatusPolicy {
    /// Statuses that make an entry untrusted when they are its current status (or, for scoped
    /// ATTESTATION_KEY_COMPROMISE, when they name the attestation certificate).
    pub untrusted: Vec<AuthenticatorStatus>,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        StatusPolicy {
            untrusted: vec![
                AuthenticatorStatus::Revoked,
                AuthenticatorStatus::AttestationKeyCompromise,
                AuthenticatorStatus::UserVerificationBypass,
                AuthenticatorStatus::UserKeyRemoteCompromise,
                AuthenticatorStatus::UserKeyPhysicalCompromise,
            ],
        }
    }
}

/// The outcome of applying an entry's status reports to one attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusVerdict {
    /// The current status (latest effective report at `now`).
    pub status: Option<AuthenticatorStatus>,
    /// False when a status in the policy's untrusted list applies to this attestation.
    pub trusted: bool,
    /// Human-readable explanation when `trusted` is false.
    pub reason: Option<String>,
    /// The status that caused the refusal, when `trusted` is false.
    pub refused_status: Option<AuthenticatorStatus>,
}

/// A metadata entry, checked and indexed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub(crate) aaguid: Option<Uuid>,
    pub(crate) aaid: Option<String>,
    pub(crate) key_identifiers: Vec<String>,
    pub(crate) description: Option<String>,
    pub(crate) authenticator_version: Option<u64>,
    pub(crate) attestation_roots: Roots,
    pub(crate) status_reports: Vec<StatusReport>,
    pub(crate) time_of_last_status_change: Option<Date>,
    pub(crate) multi_device_credential_support: Option<String>,
    pub(crate) key_scope: Option<String>,
    pub(crate) attestation_types: Vec<String>,
    /// metadataStatement.authenticationAlgorithms (e.g. `secp256r1_ecdsa_sha256_raw`).
    pub(crate) authentication_algorithms: Vec<String>,
    /// The entry's original JSON (metadataStatement and all), for clients that want everything.
    pub(crate) raw_json: RawJson,
}

/// An attestation root kept as DER and parsed into a [`Cert`] on first use, once: one instance
/// is shared by every entry of a BLOB that lists the same root. The loader has checked the DER
/// with [`Cert::check_der`], so the parse succeeds (a root that does not is left out, with a
/// warning in the log, as it would have been at load).
pub(crate) struct LazyCert {
    der: Vec<u8>,
    cert: OnceLock<Option<Arc<Cert>>>,
}

impl LazyCert {
    /// DER that [`Cert::check_der`] accepted.
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
        self.aaid.as_deref()
    }
    pub fn key_identifiers(&self) -> &[String] {
        &self.key_identifiers
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
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
        self.multi_device_credential_support.as_deref()
    }
    pub fn key_scope(&self) -> Option<&str> {
        self.key_scope.as_deref()
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
    /// The current status at `now`: the last of the reports effective at `now` in the order of
    /// [`Entry::effective_reports`], except that an effective REVOKED report is always the
    /// current status (MDS3 §3.1.4: REVOKED is final; no later report reinstates the model).
    pub fn current_status(&self, now: OffsetDateTime) -> Option<&StatusReport> {
        let effective = self.effective_reports(now);
        effective
            .iter()
            .rev()
            .find(|(_, r)| r.status == AuthenticatorStatus::Revoked)
            .or_else(|| effective.last())
            .map(|(_, report)| *report)
    }
    /// Applies the status reports to an attestation made with `attestation_chain` (leaf first;
    /// empty for none/self) under `policy` at `now`: ATTESTATION_KEY_COMPROMISE with a
    /// `certificate` only hits chains containing that certificate; UPDATE_AVAILABLE that fixes an
    /// earlier security status refuses `authenticatorVersion`s that are not newer.
    ///
    /// The rules, in order (the first that refuses decides):
    /// 1. MDS3 §3.1.4 ATTESTATION_KEY_COMPROMISE: every effective report with this status counts,
    ///    not only the current one (a later certification does not un-compromise a batch key).
    ///    With `certificate` it refuses only chains that contain that certificate (compared by
    ///    DER); without, it refuses the whole model.
    /// 2. The current status, when it is in `policy.untrusted` (other than a scoped
    ///    ATTESTATION_KEY_COMPROMISE, handled by rule 1).
    /// 3. MDS3 §3.1.4 UPDATE_AVAILABLE: when the latest effective UPDATE_AVAILABLE report follows
    ///    a report whose status is in `policy.untrusted` (the update fixes a security issue), the
    ///    metadata statement's `authenticatorVersion` must be at least the report's
    ///    `authenticatorVersion`; an unknown version is refused.
    pub fn evaluate(
        &self,
        attestation_chain: &[Arc<Cert>],
        policy: &StatusPolicy,
        now: OffsetDateTime,
    ) -> StatusVerdict {
        let effective = self.effective_reports(now);
        let current = self.current_status(now).map(|report| report.status.clone());
        let refuse = |status: AuthenticatorStatus, reason: String| StatusVerdict {
            status: current.clone(),
            trusted: false,
            reason: Some(reason),
            refused_status: Some(status),
        };

        // Rule 1: ATTESTATION_KEY_COMPROMISE, scoped by `certificate` when present.
        let akc = AuthenticatorStatus::AttestationKeyCompromise;
        if policy.untrusted.contains(&akc) {
            for (_, report) in effective.iter().filter(|(_, r)| r.status == akc) {
                match &report.certificate {
                    Some(compromised) => {
                        if let Some(hit) =
                            attestation_chain.iter().find(|c| c.der() == compromised.der())
                        {
                            return refuse(
                                akc,
                                format!(
                                    "ATTESTATION_KEY_COMPROMISE reported{} for the batch \
                                     certificate {} (sha256 {}) in the attestation chain",
                                    date_suffix(report.effective_date),
                                    hit.subject(),
                                    hit.sha256_hex()
                                ),
                            );
                        }
                    }
                    None => {
                        return refuse(
                            akc,
                            format!(
                                "ATTESTATION_KEY_COMPROMISE reported{} for the whole model \
                                 (no batch certificate named)",
                                date_suffix(report.effective_date)
                            ),
                        );
                    }
                }
            }
        }

        // Rule 2: the current status (REVOKED whenever a REVOKED report is effective).
        if let Some(report) = self.current_status(now) {
            if report.status != akc && policy.untrusted.contains(&report.status) {
                return refuse(
                    report.status.clone(),
                    format!(
                        "current status is {}{}",
                        report.status.as_str(),
                        date_suffix(report.effective_date)
                    ),
                );
            }
        }

        // Rule 3: UPDATE_AVAILABLE fixing an earlier security status.
        let update = effective
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (_, r))| r.status == AuthenticatorStatus::UpdateAvailable);
        if let Some((position, (_, update))) = update {
            let fixed = effective
                .get(..position)
                .unwrap_or_default()
                .iter()
                .rev()
                .map(|(_, r)| &r.status)
                .find(|status| policy.untrusted.contains(status));
            if let (Some(fixed), Some(required)) = (fixed, update.authenticator_version) {
                let ok = self.authenticator_version.is_some_and(|v| v >= required);
                if !ok {
                    let have = self
                        .authenticator_version
                        .map_or_else(|| "unknown".to_string(), |v| v.to_string());
                    return refuse(
                        AuthenticatorStatus::UpdateAvailable,
                        format!(
                            "UPDATE_AVAILABLE{} fixes {} from authenticatorVersion {required}; \
                             the metadata statement describes version {have}",
                            date_suffix(update.effective_date),
                            fixed.as_str()
                        ),
                    );
                }
            }
        }

        StatusVerdict { status: current, trusted: true, reason: None, refused_status: None }
    }

    /// The reports effective at `now` (effectiveDate not after `now`'s UTC date), in effective
    /// order, each with its index in [`Entry::status_reports`]. The order fails closed where the
    /// BLOB leaves it open:
    /// - dated reports by date;
    /// - an undated report of a security status ([`AuthenticatorStatus::is_security_issue`]) goes
    ///   after every dated one (nothing shows it was superseded); other undated reports go
    ///   before every dated one (they are the oldest, as in real BLOBs);
    /// - on the same date a security report goes after the others;
    /// - remaining ties keep the BLOB's list order.
    pub(crate) fn effective_reports(&self, now: OffsetDateTime) -> Vec<(usize, &StatusReport)> {
        let today = now.to_offset(time::UtcOffset::UTC).date();
        let mut reports: Vec<(usize, &StatusReport)> = self
            .status_reports
            .iter()
            .enumerate()
            .filter(|(_, r)| r.effective_date.is_none_or(|d| d <= today))
            .collect();
        // (rank, date, security) with rank 0 = undated non-security, 1 = dated, 2 = undated
        // security; a stable sort keeps list order on the remaining ties.
        reports.sort_by_key(|(_, r)| {
            let security = r.status.is_security_issue();
            match r.effective_date {
                None if security => (2u8, None, true),
                None => (0, None, false),
                Some(d) => (1, Some(d), security),
            }
        });
        reports
    }
}

fn date_suffix(date: Option<Date>) -> String {
    date.map_or_else(String::new, |d| format!(" effective {d}"))
}

/// Two entries claim the same lookup key. The first entry keeps the key (first wins); the
/// later one stays in [`TrustStore::entries`] but is not reachable by that key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// `"aaguid:<uuid>"`, `"key_identifier:<hex>"` or `"aaid:<aaid>"`.
    pub key: String,
    /// Index (in [`TrustStore::entries`]) of the entry that keeps the key.
    pub kept: usize,
    /// Index of the entry that lost it.
    pub shadowed: usize,
}

/// An immutable, indexed snapshot of one verified BLOB.
#[derive(Debug)]
pub struct TrustStore {
    pub(crate) no: u64,
    pub(crate) next_update: Date,
    pub(crate) entries: Vec<Arc<Entry>>,
    pub(crate) by_aaguid: std::collections::HashMap<Uuid, usize>,
    pub(crate) by_key_identifier: std::collections::HashMap<String, usize>,
    pub(crate) by_aaid: std::collections::HashMap<String, usize>,
    pub(crate) duplicates: Vec<DuplicateKey>,
}

impl TrustStore {
    /// Builds the indexes in one pass over `entries` (in BLOB order). A key claimed by several
    /// entries stays with the first one; the others are listed in [`TrustStore::duplicates`]
    /// (real BLOBs repeat U2F key identifiers across entries).
    pub(crate) fn from_entries(no: u64, next_update: Date, entries: Vec<Entry>) -> TrustStore {
        use std::collections::hash_map::Entry as Slot;
        use std::collections::HashMap;
        let mut by_aaguid = HashMap::new();
        let mut by_key_identifier = HashMap::new();
        let mut by_aaid = HashMap::new();
        let mut duplicates = Vec::new();
        fn claim<K: std::hash::Hash + Eq>(
            map: &mut HashMap<K, usize>,
            key: K,
            index: usize,
            name: impl FnOnce() -> String,
            duplicates: &mut Vec<DuplicateKey>,
        ) {
            match map.entry(key) {
                Slot::Vacant(slot) => {
                    slot.insert(index);
                }
                Slot::Occupied(slot) => {
                    if *slot.get() != index {
                        duplicates.push(DuplicateKey {
                            key: name(),
                            kept: *slot.get(),
                            shadowed: index,
                        });
                    }
                }
            }
        }
        for (index, entry) in entries.iter().enumerate() {
            if let Some(aaguid) = entry.aaguid {
                claim(
                    &mut by_aaguid,
                    aaguid,
                    index,
                    || format!("aaguid:{aaguid}"),
                    &mut duplicates,
                );
            }
            for key_id in &entry.key_identifiers {
                let key_id = key_id.to_ascii_lowercase();
                let name = format!("key_identifier:{key_id}");
                claim(&mut by_key_identifier, key_id, index, || name, &mut duplicates);
            }
            if let Some(aaid) = &entry.aaid {
                claim(
                    &mut by_aaid,
                    aaid.clone(),
                    index,
                    || format!("aaid:{aaid}"),
                    &mut duplicates,
                );
            }
        }
        TrustStore {
            no,
            next_update,
            entries: entries.into_iter().map(Arc::new).collect(),
            by_aaguid,
            by_key_identifier,
            by_aaid,
            duplicates,
        }
    }

    /// Lookup keys claimed by more than one entry (first wins).
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }
    /// The BLOB serial number this snapshot was built from.
    pub fn no(&self) -> u64 {
        self.no
    }
    pub fn next_update(&self) -> Date {
        self.next_update
    }
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }
    pub fn by_aaguid(&self, aaguid: &Uuid) -> Option<&Arc<Entry>> {
        self.by_aaguid.get(aaguid).and_then(|&i| self.entries.get(i))
    }
    /// Lookup by hex key identifier (compared in lowercase).
    pub fn by_key_identifier(&self, key_id: &str) -> Option<&Arc<Entry>> {
        let found = match self.by_key_identifier.get(key_id) {
            Some(found) => Some(found),
            None => self.by_key_identifier.get(&key_id.to_ascii_lowercase()),
        };
        found.and_then(|&i| self.entries.get(i))
    }
    pub fn by_aaid(&self, aaid: &str) -> Option<&Arc<Entry>> {
        self.by_aaid.get(aaid).and_then(|&i| self.entries.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn report(status: &str, date: Option<Date>) -> StatusReport {
        StatusReport {
            status: AuthenticatorStatus::parse(status),
            effective_date: date,
            authenticator_version: None,
            certificate: None,
            url: None,
            certification_descriptor: None,
        }
    }

    fn entry(reports: Vec<StatusReport>) -> Entry {
        Entry {
            aaguid: Some(Uuid::from_u128(1)),
            aaid: None,
            key_identifiers: Vec::new(),
            description: Some("test authenticator".into()),
            authenticator_version: Some(5),
            attestation_roots: Roots::default(),
            status_reports: reports,
            time_of_last_status_change: None,
            multi_device_credential_support: None,
            key_scope: None,
            attestation_types: Vec::new(),
            authentication_algorithms: Vec::new(),
            raw_json: RawJson::owned("{}"),
        }
    }

    /// Two distinct real certificates (the built-in roots) to stand in for batch certificates.
    fn two_certs() -> (Arc<Cert>, Arc<Cert>) {
        let roots = crate::mds::builtin_roots();
        (roots[0].cert.clone(), roots[1].cert.clone())
    }

    const NOW: OffsetDateTime = datetime!(2024-06-01 12:00 UTC);

    #[test]
    fn status_strings_round_trip() {
        for status in KNOWN_STATUSES {
            assert_eq!(AuthenticatorStatus::parse(status.as_str()), status);
            assert!(!status.is_unknown());
        }
        assert_eq!(AuthenticatorStatus::parse("RETIRED"), AuthenticatorStatus::Retired);
        assert_eq!(
            AuthenticatorStatus::parse("FIPS140_CERTIFIED_L4"),
            AuthenticatorStatus::Fips140CertifiedL4
        );
        assert_eq!(
            AuthenticatorStatus::parse("FIDO_CERTIFIED_L1plus"),
            AuthenticatorStatus::FidoCertifiedL1Plus
        );
        let odd = AuthenticatorStatus::parse("QUANTUM_CERTIFIED");
        assert_eq!(odd, AuthenticatorStatus::Unknown("QUANTUM_CERTIFIED".into()));
        assert_eq!(odd.as_str(), "QUANTUM_CERTIFIED");
        // Case matters: MDS values are exact.
        assert!(AuthenticatorStatus::parse("revoked").is_unknown());
    }

    #[test]
    fn current_status_is_latest_effective() {
        let e = entry(vec![
            report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
            report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
            report("REVOKED", Some(date!(2030 - 01 - 01))),
        ]);
        // The report dated in the future is not effective yet; order in the list does not matter.
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL2);
        assert_eq!(
            e.current_status(datetime!(2030-01-01 0:00 UTC)).unwrap().status,
            AuthenticatorStatus::Revoked
        );
        assert_eq!(
            e.current_status(datetime!(2021-01-01 0:00 UTC)).unwrap().status,
            AuthenticatorStatus::FidoCertifiedL1
        );
        assert!(e.current_status(datetime!(2019-01-01 0:00 UTC)).is_none());
    }

    #[test]
    fn current_status_ties_go_to_the_later_report_and_undated_count_as_oldest() {
        let d = Some(date!(2022 - 02 - 02));
        let e = entry(vec![report("FIDO_CERTIFIED_L1", d), report("REVOKED", d)]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
        let e = entry(vec![report("FIDO_CERTIFIED_L1", d), report("NOT_FIDO_CERTIFIED", None)]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL1);
        let e = entry(vec![report("NOT_FIDO_CERTIFIED", None)]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::NotFidoCertified);
    }

    /// Issue #11: an undated REVOKED report was outranked by any dated report (undated sorted
    /// first). REVOKED is final wherever it sorts; an undated security report is not shown to
    /// be superseded; on the same date the security report wins whatever the list order.
    #[test]
    fn revoked_and_compromise_reports_are_never_outranked_by_ordering() {
        let policy = StatusPolicy::default();
        // Undated REVOKED, then a dated certification.
        let e = entry(vec![
            report("REVOKED", None),
            report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
        ]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
        let verdict = e.evaluate(&[], &policy, NOW);
        assert!(!verdict.trusted);
        assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::Revoked));
        // Dated REVOKED, then a later certification: still REVOKED (final).
        let e = entry(vec![
            report("REVOKED", Some(date!(2021 - 01 - 01))),
            report("FIDO_CERTIFIED_L3", Some(date!(2023 - 01 - 01))),
        ]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::Revoked);
        assert!(!e.evaluate(&[], &policy, NOW).trusted);
        // ...but not before it is effective.
        let before = datetime!(2020-06-01 0:00 UTC);
        let e = entry(vec![
            report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
            report("REVOKED", Some(date!(2021 - 01 - 01))),
        ]);
        assert!(e.evaluate(&[], &policy, before).trusted);
        // Undated compromise reports sort after every dated one.
        for status in [
            "USER_VERIFICATION_BYPASS",
            "USER_KEY_REMOTE_COMPROMISE",
            "USER_KEY_PHYSICAL_COMPROMISE",
        ] {
            let e = entry(vec![
                report(status, None),
                report("FIDO_CERTIFIED_L1", Some(date!(2022 - 01 - 01))),
            ]);
            assert_eq!(e.current_status(NOW).unwrap().status.as_str(), status);
            assert!(!e.evaluate(&[], &policy, NOW).trusted, "{status}");
        }
        // The same date: the security report wins, whichever comes first in the list.
        let d = Some(date!(2022 - 02 - 02));
        let e = entry(vec![report("USER_VERIFICATION_BYPASS", d), report("FIDO_CERTIFIED_L1", d)]);
        assert_eq!(
            e.current_status(NOW).unwrap().status,
            AuthenticatorStatus::UserVerificationBypass
        );
        assert!(!e.evaluate(&[], &policy, NOW).trusted);
        // An undated ordinary report is still the oldest.
        let e = entry(vec![
            report("FIDO_CERTIFIED_L1", Some(date!(2022 - 01 - 01))),
            report("NOT_FIDO_CERTIFIED", None),
        ]);
        assert_eq!(e.current_status(NOW).unwrap().status, AuthenticatorStatus::FidoCertifiedL1);
    }

    #[test]
    fn untrusted_current_status_refuses() {
        let policy = StatusPolicy::default();
        for status in [
            "REVOKED",
            "USER_VERIFICATION_BYPASS",
            "USER_KEY_REMOTE_COMPROMISE",
            "USER_KEY_PHYSICAL_COMPROMISE",
        ] {
            let e = entry(vec![
                report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
                report(status, Some(date!(2022 - 01 - 01))),
            ]);
            let verdict = e.evaluate(&[], &policy, NOW);
            assert!(!verdict.trusted, "{status}");
            assert_eq!(verdict.refused_status.as_ref().unwrap().as_str(), status);
            assert!(verdict.reason.unwrap().contains(status));
        }
        let e = entry(vec![report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01)))]);
        let verdict = e.evaluate(&[], &policy, NOW);
        assert!(verdict.trusted);
        assert_eq!(verdict.status, Some(AuthenticatorStatus::FidoCertifiedL1));
    }

    #[test]
    fn policy_decides_which_statuses_refuse() {
        let e = entry(vec![report("RETIRED", Some(date!(2022 - 01 - 01)))]);
        assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
        let strict = StatusPolicy { untrusted: vec![AuthenticatorStatus::Retired] };
        assert!(!e.evaluate(&[], &strict, NOW).trusted);
        let revoked = entry(vec![report("REVOKED", Some(date!(2022 - 01 - 01)))]);
        let lax = StatusPolicy { untrusted: Vec::new() };
        assert!(revoked.evaluate(&[], &lax, NOW).trusted);
    }

    #[test]
    fn a_later_good_status_supersedes_an_old_bad_one() {
        let e = entry(vec![
            report("USER_VERIFICATION_BYPASS", Some(date!(2020 - 01 - 01))),
            report("FIDO_CERTIFIED_L1", Some(date!(2021 - 01 - 01))),
        ]);
        assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
    }

    #[test]
    fn attestation_key_compromise_is_scoped_by_certificate() {
        let (compromised, other) = two_certs();
        let mut akc = report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01)));
        akc.certificate = Some(compromised.clone());
        // Followed by a later certification: the batch key stays compromised.
        let e = entry(vec![akc, report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01)))]);
        let policy = StatusPolicy::default();
        let verdict = e.evaluate(&[other.clone(), compromised.clone()], &policy, NOW);
        assert!(!verdict.trusted);
        assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::AttestationKeyCompromise));
        assert!(verdict.reason.unwrap().contains(&compromised.sha256_hex()));
        // Another batch of the same model is not affected.
        assert!(e.evaluate(std::slice::from_ref(&other), &policy, NOW).trusted);
        assert!(e.evaluate(&[], &policy, NOW).trusted);
        // Scoped, as the current status: still only the named batch.
        let mut akc = report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01)));
        akc.certificate = Some(compromised.clone());
        let e = entry(vec![akc]);
        assert!(e.evaluate(&[other], &policy, NOW).trusted);
        assert!(!e.evaluate(&[compromised], &policy, NOW).trusted);
    }

    #[test]
    fn attestation_key_compromise_without_certificate_is_model_wide() {
        let (a, _) = two_certs();
        let e = entry(vec![
            report("ATTESTATION_KEY_COMPROMISE", Some(date!(2022 - 01 - 01))),
            report("FIDO_CERTIFIED_L2", Some(date!(2023 - 01 - 01))),
        ]);
        let verdict = e.evaluate(&[a], &StatusPolicy::default(), NOW);
        assert!(!verdict.trusted);
        assert!(verdict.reason.unwrap().contains("whole model"));
        // Not effective yet → not applied.
        let e = entry(vec![report("ATTESTATION_KEY_COMPROMISE", Some(date!(2025 - 01 - 01)))]);
        assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
    }

    #[test]
    fn update_available_fixing_a_security_status_needs_the_new_version() {
        let mut update = report("UPDATE_AVAILABLE", Some(date!(2022 - 01 - 01)));
        update.authenticator_version = Some(6);
        let reports = vec![
            report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))),
            report("USER_VERIFICATION_BYPASS", Some(date!(2021 - 01 - 01))),
            update,
        ];
        let policy = StatusPolicy::default();
        // The statement still describes version 5: refused.
        let old = entry(reports.clone());
        let verdict = old.evaluate(&[], &policy, NOW);
        assert!(!verdict.trusted);
        assert_eq!(verdict.refused_status, Some(AuthenticatorStatus::UpdateAvailable));
        assert_eq!(verdict.status, Some(AuthenticatorStatus::UpdateAvailable));
        assert!(verdict.reason.unwrap().contains("USER_VERIFICATION_BYPASS"));
        // Unknown version: refused.
        let mut unknown = entry(reports.clone());
        unknown.authenticator_version = None;
        assert!(!unknown.evaluate(&[], &policy, NOW).trusted);
        // The statement describes the fixed version: trusted.
        let mut fixed = entry(reports);
        fixed.authenticator_version = Some(6);
        assert!(fixed.evaluate(&[], &policy, NOW).trusted);
    }

    #[test]
    fn update_available_without_an_earlier_security_status_is_informational() {
        let mut update = report("UPDATE_AVAILABLE", Some(date!(2022 - 01 - 01)));
        update.authenticator_version = Some(9);
        let e = entry(vec![report("FIDO_CERTIFIED_L1", Some(date!(2020 - 01 - 01))), update]);
        assert!(e.evaluate(&[], &StatusPolicy::default(), NOW).trusted);
    }

    #[test]
    fn store_indexes_and_first_wins_on_duplicates() {
        let mut a = entry(vec![]);
        a.key_identifiers = vec!["AbCd".into(), "1234".into()];
        a.aaid = Some("FFFF#0001".into());
        let mut b = entry(vec![]);
        b.aaguid = Some(Uuid::from_u128(2));
        b.key_identifiers = vec!["abcd".into()];
        let mut c = entry(vec![]);
        c.description = Some("duplicate aaguid".into());
        let store = TrustStore::from_entries(7, date!(2024 - 07 - 01), vec![a, b, c]);
        assert_eq!(store.no(), 7);
        assert_eq!(store.entries().len(), 3);
        assert_eq!(
            store.by_aaguid(&Uuid::from_u128(1)).unwrap().description(),
            Some("test authenticator")
        );
        assert_eq!(store.by_aaguid(&Uuid::from_u128(2)).unwrap().key_identifiers(), ["abcd"]);
        assert_eq!(store.by_key_identifier("abcd").unwrap().aaid(), Some("FFFF#0001"));
        assert_eq!(store.by_key_identifier("ABCD").unwrap().aaid(), Some("FFFF#0001"));
        assert!(store.by_key_identifier("1234").is_some());
        assert!(store.by_key_identifier("5678").is_none());
        assert!(store.by_aaid("FFFF#0001").is_some());
        assert_eq!(
            store.duplicates(),
            [
                DuplicateKey { key: "key_identifier:abcd".into(), kept: 0, shadowed: 1 },
                DuplicateKey {
                    key: "aaguid:00000000-0000-0000-0000-000000000001".into(),
                    kept: 0,
                    shadowed: 2
                },
            ]
        );
    }
}
