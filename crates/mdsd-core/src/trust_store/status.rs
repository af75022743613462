//! Status reports and the rules that apply them (MDS3 §3.1.3–§3.1.4): [`AuthenticatorStatus`],
//! [`StatusReport`], the relying party's [`StatusPolicy`], and on [`Entry`] the current status,
//! the effective order of reports and the verdict for one attestation ([`Entry::evaluate`]).

use std::sync::Arc;

use time::{Date, OffsetDateTime};

use super::Entry;
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
        use AuthenticatorStatus::*;
        match s {
            "NOT_FIDO_CERTIFIED" => NotFidoCertified,
            "FIDO_CERTIFIED" => FidoCertified,
            "USER_VERIFICATION_BYPASS" => UserVerificationBypass,
            "ATTESTATION_KEY_COMPROMISE" => AttestationKeyCompromise,
            "USER_KEY_REMOTE_COMPROMISE" => UserKeyRemoteCompromise,
            "USER_KEY_PHYSICAL_COMPROMISE" => UserKeyPhysicalCompromise,
            "UPDATE_AVAILABLE" => UpdateAvailable,
            "REVOKED" => Revoked,
            "SELF_ASSERTION_SUBMITTED" => SelfAssertionSubmitted,
            "FIDO_CERTIFIED_L1" => FidoCertifiedL1,
            "FIDO_CERTIFIED_L1plus" => FidoCertifiedL1Plus,
            "FIDO_CERTIFIED_L2" => FidoCertifiedL2,
            "FIDO_CERTIFIED_L2plus" => FidoCertifiedL2Plus,
            "FIDO_CERTIFIED_L3" => FidoCertifiedL3,
            "FIDO_CERTIFIED_L3plus" => FidoCertifiedL3Plus,
            "RETIRED" => Retired,
            "FIPS140_CERTIFIED_L1" => Fips140CertifiedL1,
            "FIPS140_CERTIFIED_L2" => Fips140CertifiedL2,
            "FIPS140_CERTIFIED_L3" => Fips140CertifiedL3,
            "FIPS140_CERTIFIED_L4" => Fips140CertifiedL4,
            _ => Unknown(s.to_string()),
        }
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
    /// favour (`Entry::effective_reports`).
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
#[cfg(test)]
pub(super) const KNOWN_STATUSES: [AuthenticatorStatus; 20] = [
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

impl Entry {
    /// The current status at `now`: the last of the reports effective at `now` in the order of
    /// `Entry::effective_reports`, except that an effective REVOKED report is always the
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
                            attestation_chain.iter().find(|c| c.sha256() == compromised.sha256())
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
