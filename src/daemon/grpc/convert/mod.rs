//! Proto ↔ core conversion, in one place: request checks (each failure names its field) and
//! core values to responses. Split by RPC; the helpers several RPCs share are here.

mod blob_sources;
mod chain;
mod credentials;
mod lookup;
mod metadata;
mod providers;
mod registration;
mod watch;

use time::OffsetDateTime;
use uuid::Uuid;

use super::super::proto;
use super::ApiError;
use crate::attestation::{AuthenticatorSummary, EntryKey, Reason};
use crate::limits::{self, Limit};
use crate::trust_store::{AuthenticatorStatus, Origin};

pub use blob_sources::blob_source_info;
pub use chain::{chain_request, chain_response};
pub use credentials::{authentication_request, credential_check, credentials, stored_credential};
pub use lookup::{authenticator, lookup_key, page_token, parse_page_token};
pub use metadata::{metadata_info, operator_statements_info, policy_info, public_source};
pub use providers::{passkey_provider, passkey_providers_info};
pub use registration::{expectations, provenance, registration_response};
pub use watch::{change_cause, change_event};

/// A passkey-profile decision.
pub fn policy_decision(d: &crate::policy::Decision) -> proto::PolicyDecision {
    let failure = |f: &crate::policy::Failure| proto::Reason {
        code: f.code.as_str().to_string(),
        message: f.message.clone(),
    };
    proto::PolicyDecision {
        allowed: d.allowed,
        profile: d.profile.clone().unwrap_or_default(),
        failures: d.failures.iter().map(failure).collect(),
        notes: d
            .notes
            .iter()
            .map(|n| proto::Reason {
                code: n.code.as_str().to_string(),
                message: n.message.clone(),
            })
            .collect(),
        outcomes: d
            .outcomes
            .iter()
            .map(|o| proto::ProfileOutcome {
                profile: o.profile.clone(),
                failures: o.failures.iter().map(failure).collect(),
            })
            .collect(),
    }
}

pub fn reason(r: &Reason) -> proto::Reason {
    proto::Reason { code: r.code.as_str().to_string(), message: r.message.clone() }
}

pub fn verdict_name(v: i32) -> &'static str {
    match proto::Verdict::try_from(v) {
        Ok(proto::Verdict::Accepted) => "ACCEPTED",
        Ok(proto::Verdict::Rejected) => "REJECTED",
        _ => "UNSPECIFIED",
    }
}

fn parse_aaguid(field: &str, s: &str) -> Result<Uuid, ApiError> {
    // Only the canonical hyphenated form (any case): no braces, URNs or bare hex.
    if s.len() != 36 {
        return Err(ApiError::invalid(field, format!("{s:?} is not a canonical UUID")));
    }
    Uuid::try_parse(s).map_err(|e| ApiError::invalid(field, format!("{s:?}: {e}")))
}

fn parse_key_identifier(field: &str, s: &str) -> Result<String, ApiError> {
    // SHA-1 of the subjectPublicKey: 20 bytes, 40 hex digits.
    if s.len() != 40 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(field, format!("{s:?} is not 40 hex digits")));
    }
    Ok(s.to_ascii_lowercase())
}

/// What the metadata says about an authenticator (VerifyRegistration, ValidateAttestationChain).
pub fn summary(a: &AuthenticatorSummary) -> proto::AuthenticatorSummary {
    proto::AuthenticatorSummary {
        description: a.description.clone().unwrap_or_default(),
        status: status_name(a.status.as_ref()),
        key_scope: a.key_scope.clone().unwrap_or_default(),
        multi_device_credential_support: a
            .multi_device_credential_support
            .clone()
            .unwrap_or_default(),
        verified: a.verified,
        origin: Some(origin(&a.origin)),
    }
}

/// Where an entry comes from.
pub fn origin(origin: &Origin) -> proto::MetadataOrigin {
    let kind = match origin {
        Origin::Blob { .. } => proto::OriginKind::BlobSource,
        Origin::Operator { .. } => proto::OriginKind::OperatorStatement,
        // `Origin` is non-exhaustive: a kind this daemon does not know is never called MDS.
        Origin::Mds => proto::OriginKind::FidoMds,
        _ => proto::OriginKind::Unspecified,
    };
    proto::MetadataOrigin {
        kind: kind as i32,
        source: origin.source().unwrap_or_default().to_string(),
    }
}

/// INVALID_ARGUMENT naming `field` when `count` is over `limit` ("N units, more than MAX").
fn within(field: &str, limit: Limit, count: usize) -> Result<(), ApiError> {
    limit.check(count).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// Checks the number of a request's `user_groups` (VerifyRegistration, EvaluateAuthentication,
/// CheckCredentials).
pub fn user_groups(count: usize) -> Result<(), ApiError> {
    within("user_groups", limits::USER_GROUPS, count)
}

/// The MDS name of a status, empty for none.
fn status_name(status: Option<&AuthenticatorStatus>) -> String {
    status.map(|s| s.as_str().to_string()).unwrap_or_default()
}

pub(super) fn timestamp(t: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests;
