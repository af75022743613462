//! Everything that can make an RPC fail ([`ApiError`]) and the one mapping from it to a gRPC
//! status with google.rpc error details ([`to_status`]). A rejected attestation is not here: it
//! is a response.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::super::state::Unavailable;

/// Error domain in google.rpc.ErrorInfo.
pub const ERROR_DOMAIN: &str = "mdsd.dev";

/// Everything that can make an RPC fail (a rejected attestation is not here: it is a response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request is malformed: `field` names the offending field.
    InvalidArgument { field: String, reason: String },
    /// No metadata can be used: none loaded yet (UNAVAILABLE) or stale beyond the grace period
    /// (FAILED_PRECONDITION).
    Metadata(Unavailable),
    /// A lookup found nothing.
    NotFound { what: String },
    /// A page token from another BLOB.
    PageTokenStale { token_no: u64, current_no: u64 },
    /// A policy RPC on a daemon without a `[policy]` section.
    PolicyNotConfigured,
    /// WatchStatusChanges: the diffs since `since_no` are not held any more.
    DiffNotRetained { since_no: u64, oldest: Option<u64> },
    /// WatchStatusChanges: an event after `since_sequence` is not held any more; `oldest`: the
    /// oldest sequence held.
    SequenceNotRetained { since_sequence: u64, oldest: Option<u64> },
    /// WatchStatusChanges: the subscriber fell more than the buffer behind; `missed` events
    /// were not delivered; the last one delivered had `no` `last_delivered` and sequence
    /// `last_sequence`.
    WatchLagged { missed: u64, last_delivered: Option<u64>, last_sequence: Option<u64> },
    /// A fault on mdsd's side.
    Internal(String),
}

impl ApiError {
    /// INVALID_ARGUMENT naming `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidArgument { field: field.into(), reason: reason.into() }
    }
}

/// The longest field name or reason (in characters) an INVALID_ARGUMENT status carries; longer
/// ones are cut and say how long they were. gRPC statuses travel in HTTP/2 headers.
const MAX_ECHO_CHARS: usize = 256;

/// `s` itself when short, else its first `max` characters and its length.
fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

/// The one mapping from [`ApiError`] to a gRPC status with google.rpc error details
/// (ErrorInfo with a stable `reason`, BadRequest field violations).
pub fn to_status(err: &ApiError) -> Status {
    let mut details = ErrorDetails::new();
    let info = |d: &mut ErrorDetails, reason: &str, meta: Vec<(&str, String)>| {
        let meta: HashMap<String, String> =
            meta.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        d.set_error_info(reason, ERROR_DOMAIN, meta);
    };
    match err {
        ApiError::InvalidArgument { field, reason } => {
            // Reasons may quote request values: bound what goes back into the (header-borne)
            // status message and details, whatever the caller sent.
            let field = bounded(field, MAX_ECHO_CHARS);
            let reason = bounded(reason, MAX_ECHO_CHARS);
            details.add_bad_request_violation(field.clone(), reason.clone());
            info(&mut details, "INVALID_ARGUMENT", vec![("field", field.clone())]);
            Status::with_error_details(Code::InvalidArgument, format!("{field}: {reason}"), details)
        }
        ApiError::Metadata(Unavailable::NotLoaded { last_error }) => {
            let mut meta = Vec::new();
            if let Some(e) = last_error {
                meta.push(("last_error", e.clone()));
            }
            info(&mut details, "METADATA_NOT_LOADED", meta);
            let message = match last_error {
                Some(e) => format!("no verified metadata loaded yet (last refresh: {e})"),
                None => "no verified metadata loaded yet".to_string(),
            };
            Status::with_error_details(Code::Unavailable, message, details)
        }
        ApiError::Metadata(Unavailable::StaleBeyondGrace { no, next_update, serve_until }) => {
            info(
                &mut details,
                "METADATA_STALE",
                vec![
                    ("metadata_no", no.to_string()),
                    ("next_update", next_update.to_string()),
                    ("serve_until", serve_until.to_string()),
                ],
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "metadata BLOB no {no} is stale (nextUpdate {next_update}) beyond the grace \
                     period that ended {serve_until}; failing closed"
                ),
                details,
            )
        }
        ApiError::NotFound { what } => {
            info(&mut details, "NOT_FOUND", vec![]);
            Status::with_error_details(Code::NotFound, what.clone(), details)
        }
        ApiError::PageTokenStale { token_no, current_no } => {
            info(
                &mut details,
                "PAGE_TOKEN_STALE",
                vec![("token_no", token_no.to_string()), ("metadata_no", current_no.to_string())],
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "page token is for BLOB no {token_no}; now serving {current_no}: start over"
                ),
                details,
            )
        }
        ApiError::PolicyNotConfigured => {
            info(&mut details, "POLICY_NOT_CONFIGURED", vec![]);
            Status::with_error_details(
                Code::FailedPrecondition,
                "no passkey profiles are configured ([policy] section)",
                details,
            )
        }
        ApiError::DiffNotRetained { since_no, oldest } => {
            let mut meta = vec![("since_no", since_no.to_string())];
            if let Some(o) = oldest {
                meta.push(("oldest_retained_no", o.to_string()));
            }
            info(&mut details, "DIFF_NOT_RETAINED", meta);
            let held = match oldest {
                Some(o) => format!("changes are held from BLOB no {o} on"),
                None => "no changes are held yet".to_string(),
            };
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "the status changes since BLOB no {since_no} are not retained ({held}): \
                     re-check every credential (CheckCredentials) and subscribe without since_no"
                ),
                details,
            )
        }
        ApiError::SequenceNotRetained { since_sequence, oldest } => {
            let mut meta = vec![("since_sequence", since_sequence.to_string())];
            if let Some(o) = oldest {
                meta.push(("oldest_retained_sequence", o.to_string()));
            }
            info(&mut details, "DIFF_NOT_RETAINED", meta);
            let held = match oldest {
                Some(o) => format!("events are held from sequence {o} on"),
                None => "no events are held".to_string(),
            };
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "the status changes after sequence {since_sequence} are not retained \
                     ({held}): re-check every credential (CheckCredentials) and subscribe \
                     without since_sequence"
                ),
                details,
            )
        }
        ApiError::WatchLagged { missed, last_delivered, last_sequence } => {
            let mut meta = vec![("missed", missed.to_string())];
            if let Some(n) = last_delivered {
                meta.push(("last_delivered_no", n.to_string()));
            }
            if let Some(s) = last_sequence {
                meta.push(("last_delivered_sequence", s.to_string()));
            }
            info(&mut details, "WATCH_LAGGED", meta);
            let resume = match last_sequence {
                Some(s) => format!("resubscribe with since_sequence = {s}"),
                None => "resubscribe with since_sequence = the last sequence you processed".into(),
            };
            Status::with_error_details(
                Code::Aborted,
                format!("this subscriber fell behind and {missed} event(s) were not delivered: {resume}"),
                details,
            )
        }
        ApiError::Internal(e) => {
            info(&mut details, "INTERNAL", vec![]);
            Status::with_error_details(Code::Internal, e.clone(), details)
        }
    }
}

/// The `code` label of `mdsd_grpc_requests_total`.
pub(super) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::NotFound => "NOT_FOUND",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Unavailable => "UNAVAILABLE",
        Code::Internal => "INTERNAL",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(status: &Status) -> ErrorDetails {
        status.get_error_details()
    }

    #[test]
    fn invalid_argument_echo_is_bounded() {
        let junk = "\u{0}\u{ffff}".repeat(10_000);
        let status = to_status(&ApiError::invalid("aaguid", format!("{junk:?} is not a UUID")));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().len() < 2 * MAX_ECHO_CHARS * 4, "{}", status.message().len());
        assert!(status.message().contains("bytes in all"));
        let short = to_status(&ApiError::invalid("aaguid", "\"x\" is not a UUID"));
        assert_eq!(short.message(), "aaguid: \"x\" is not a UUID");
    }

    #[test]
    fn invalid_argument_carries_field_violation_and_reason() {
        let status = to_status(&ApiError::invalid("x5c[2]", "not a DER certificate"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let d = details(&status);
        let bad = d.bad_request().unwrap();
        assert_eq!(bad.field_violations[0].field, "x5c[2]");
        assert_eq!(d.error_info().unwrap().reason, "INVALID_ARGUMENT");
        assert_eq!(d.error_info().unwrap().domain, ERROR_DOMAIN);
    }

    #[test]
    fn metadata_unavailability_maps_to_unavailable_and_failed_precondition() {
        let s =
            to_status(&ApiError::Metadata(Unavailable::NotLoaded { last_error: Some("x".into()) }));
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(details(&s).error_info().unwrap().reason, "METADATA_NOT_LOADED");
        let s = to_status(&ApiError::Metadata(Unavailable::StaleBeyondGrace {
            no: 7,
            next_update: time::macros::date!(2026 - 01 - 01),
            serve_until: time::macros::datetime!(2026-01-09 00:00 UTC),
        }));
        assert_eq!(s.code(), Code::FailedPrecondition);
        let info = details(&s).error_info().unwrap().clone();
        assert_eq!(info.reason, "METADATA_STALE");
        assert_eq!(info.metadata["metadata_no"], "7");
        assert_eq!(to_status(&ApiError::NotFound { what: "x".into() }).code(), Code::NotFound);
        assert_eq!(to_status(&ApiError::Internal("x".into())).code(), Code::Internal);
    }
}
