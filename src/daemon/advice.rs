//! What the refresh loop tells the operator: one log line per refresh round with its outcome
//! (scheduled and requested rounds alike), what to do when no verified BLOB can be obtained,
//! the `danger_clock` warning, and which chain certificates are already covered by operator
//! CRL files (so their distribution points are not fetched).

use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, Time};

use super::config::{BlobSource, Config};
use super::state::StalePolicy;
use crate::mds::VerifiedBlob;
use crate::x509::{Cert, Crl};

/// An instant as RFC 3339 (`2024-09-03T12:00:00Z`), the form every log line uses.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Splits the signing chain into the certificates whose issuer has an operator CRL file current
/// at `now` (counted) and the rest (returned: their distribution points are fetched).
pub fn split_by_operator_crls(
    chain: &[Arc<Cert>],
    crl_files: &[Arc<Crl>],
    now: OffsetDateTime,
) -> (usize, Vec<Arc<Cert>>) {
    let covered = |cert: &Cert| {
        crl_files.iter().any(|crl| crl.issuer_raw() == cert.issuer_raw() && crl.is_current(now))
    };
    let to_fetch: Vec<Arc<Cert>> = chain.iter().filter(|c| !covered(c)).cloned().collect();
    (chain.len() - to_fetch.len(), to_fetch)
}

/// WARN, once per refresh round, that judgements are made at a pinned instant.
pub fn warn_pinned_clock(pinned: OffsetDateTime) {
    tracing::warn!(
        danger_clock = %rfc3339(pinned),
        "DANGER: danger_clock is set: the BLOB, its CRLs and every answer are judged at this \
         pinned time, not the real one (offline demos, incident replay, tests only)"
    );
}

/// What an accepted BLOB is at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Before its nextUpdate.
    Current,
    /// Past nextUpdate, within the stale grace (or `danger_serve_stale`): served, flagged.
    Stale,
    /// Past nextUpdate and the grace: accepted (it verifies and is newer) but not served.
    PastGrace { serve_until: OffsetDateTime },
}

/// Classifies a BLOB whose nextUpdate is `next_update` at `now` under `policy` (the same rule
/// as [`super::state::Shared::serve_until`]).
pub fn accepted_kind(
    next_update: time::Date,
    policy: StalePolicy,
    now: OffsetDateTime,
) -> Accepted {
    let stale_from = next_update.next_day().map(|d| d.with_time(Time::MIDNIGHT).assume_utc());
    match stale_from {
        Some(from) if now < from => Accepted::Current,
        _ if policy.serve_stale => Accepted::Stale,
        stale_from => {
            let grace = time::Duration::try_from(policy.grace).unwrap_or(time::Duration::MAX);
            let serve_until = stale_from.unwrap_or(now).saturating_add(grace);
            if now >= serve_until {
                Accepted::PastGrace { serve_until }
            } else {
                Accepted::Stale
            }
        }
    }
}

/// Logs an accepted BLOB as what it is: current, stale but within the grace period, or already
/// past its grace (accepted because it verifies and is newer, but not served: fail closed).
pub fn log_accepted(verified: &VerifiedBlob, policy: StalePolicy, now: OffsetDateTime) {
    let next_update = verified.next_update.to_string();
    let entries = verified.store.entries().len();
    let quarantined = verified.quarantined.len();
    let anchor = verified.anchor.label.as_str();
    match accepted_kind(verified.next_update, policy, now) {
        Accepted::Current => tracing::info!(no = verified.no, %next_update, entries, quarantined,
            %anchor, "BLOB accepted"),
        Accepted::Stale => tracing::warn!(no = verified.no, %next_update, entries, quarantined,
            %anchor, "BLOB accepted while already stale (past nextUpdate): served, flagged stale"),
        Accepted::PastGrace { serve_until } => tracing::error!(
            no = verified.no, %next_update, serve_until = %rfc3339(serve_until), entries,
            quarantined, %anchor,
            "BLOB accepted but already past nextUpdate and the stale grace: not served (fail \
             closed) until a newer BLOB arrives"
        ),
    }
}

/// How a refresh round ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `updated` or `unchanged`.
    Done(&'static str),
    /// The error (displayed) and its step.
    Failed(String, String),
}

/// The one log line of a refresh round: its outcome, what started it (`schedule` or
/// `request`), what is served, and when the next round is; after a failure with nothing served,
/// also what the operator can do.
pub fn log_outcome(
    outcome: &Outcome,
    trigger: &'static str,
    failures: u32,
    serving: Option<u64>,
    next_at: OffsetDateTime,
    config: &Config,
) {
    let next_refresh = rfc3339(next_at);
    let serving = serving.map_or_else(|| "nothing".to_string(), |no| format!("BLOB no {no}"));
    match outcome {
        Outcome::Done(result) => tracing::info!(outcome = %result, %trigger, %serving,
            %next_refresh, "refresh finished"),
        Outcome::Failed(error, step) if serving == "nothing" => tracing::error!(
            outcome = "failed", %trigger, %step, %error, consecutive = failures, %next_refresh,
            advice = %what_to_do(&config.sources),
            "refresh failed and no verified BLOB is served: NOT_SERVING until one verifies"
        ),
        Outcome::Failed(error, step) => tracing::warn!(outcome = "failed", %trigger, %step,
            %error, consecutive = failures, %serving, %next_refresh,
            "refresh failed; keeping the current store"),
    }
}

/// What an operator can do when no BLOB can be obtained from `source` (log and readiness).
pub fn what_to_do(sources: &[BlobSource]) -> String {
    let urls: Vec<String> = sources
        .iter()
        .filter_map(|s| match s {
            BlobSource::Url(url) => Some(url.to_string()),
            BlobSource::File(_) => None,
        })
        .collect();
    let mut advice = Vec::new();
    if !urls.is_empty() {
        advice.push(format!(
            "mdsd retries {} by itself. Without access to it: serve a BLOB copied by another \
             process from a local file (mds_url = \"/path/blob.jwt\", with crl_files for its \
             CRLs), or point mds_url at a mirror and crl_mirror at a CRL mirror; to try mdsd \
             offline, see examples/offline/mdsd.toml (docs/config.md)",
            urls.join(" and ")
        ));
    }
    for source in sources {
        if let BlobSource::File(path) = source {
            advice.push(format!(
                "mdsd re-reads {} by itself: check that it is a current BLOB, and that its \
                 signing chain's CRLs are available (crl_files, or crl_mirror); see \
                 docs/config.md",
                path.display()
            ));
        }
    }
    advice.join(". ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn advice_names_the_offline_mirror_and_file_options() {
        let url = BlobSource::parse("https://mds.fidoalliance.org/").unwrap();
        let text = what_to_do(std::slice::from_ref(&url));
        for needle in ["mds_url = \"/path/blob.jwt\"", "crl_mirror", "examples/offline/mdsd.toml"] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        let file = BlobSource::parse("/srv/blob.jwt").unwrap();
        assert!(what_to_do(std::slice::from_ref(&file)).contains("/srv/blob.jwt"));
        let both = what_to_do(&[url, file]);
        assert!(both.contains("mds.fidoalliance.org") && both.contains("/srv/blob.jwt"), "{both}");
    }

    #[test]
    fn an_accepted_blob_is_classified_as_what_it_is() {
        use std::time::Duration;
        use time::macros::{date, datetime};
        let policy = StalePolicy { grace: Duration::from_secs(7 * 86_400), serve_stale: false };
        let next = date!(2025 - 01 - 01);
        assert_eq!(accepted_kind(next, policy, datetime!(2025-01-01 23:59 UTC)), Accepted::Current);
        assert_eq!(accepted_kind(next, policy, datetime!(2025-01-02 00:00 UTC)), Accepted::Stale);
        assert_eq!(
            accepted_kind(next, policy, datetime!(2025-01-09 00:00 UTC)),
            Accepted::PastGrace { serve_until: datetime!(2025-01-09 00:00 UTC) }
        );
        let forever = StalePolicy { serve_stale: true, ..policy };
        assert_eq!(accepted_kind(next, forever, datetime!(2026-01-01 00:00 UTC)), Accepted::Stale);
    }

    #[test]
    fn times_are_rfc3339() {
        let t = time::macros::datetime!(2024-09-03 12:00 UTC);
        assert_eq!(rfc3339(t), "2024-09-03T12:00:00Z");
    }
}
