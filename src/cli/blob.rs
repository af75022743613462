//! `mdsd blob verify` and `mdsd blob inspect`: offline BLOB verification for operators and
//! scripts, and the shared loader `mdsd attestation verify` uses for its `--blob`.
//!
//! Exit codes: 0 verified, 1 refused (the JSON `error.step` names the failing step), 2 the input
//! could not be read (`error.step` is `"input"`).
//!
//! Staleness is reported, never a refusal: a BLOB past its nextUpdate at the verification time
//! (`--at`, else now) still verifies (exit 0, `"verified": true`), with `"stale": true` and
//! `"days_past_next_update"` in JSON and a `warning:` line in text (MDS3 §3.2 step 3: the BLOB
//! is authentic, but a newer one should have been fetched by then).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use mdsd::mds::{builtin_roots, verify_blob, BlobError, BlobVerifyOptions, VerifiedBlob};
use mdsd::trust_store::Entry;
use mdsd::x509::{certs_from_pem_or_der, Crl, RevocationMode, TrustAnchor};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::BlobTrustArgs;

/// `println!` that does not panic when stdout is closed (`mdsd blob inspect | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that does not panic when stderr is closed.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// Why the CLI could not produce a verified BLOB.
#[derive(Debug, thiserror::Error)]
pub(super) enum LoadError {
    /// A file could not be read or parsed, or `--at` is not RFC 3339.
    #[error("{0}")]
    Input(String),
    /// The BLOB was read and refused.
    #[error("{0}")]
    Blob(#[from] BlobError),
}

impl LoadError {
    /// The failing step: `"input"` or one of [`BlobError::step`].
    pub(super) fn step(&self) -> &'static str {
        match self {
            LoadError::Input(_) => "input",
            LoadError::Blob(e) => e.step(),
        }
    }

    fn exit_code(&self) -> ExitCode {
        match self {
            LoadError::Input(_) => ExitCode::from(2),
            LoadError::Blob(_) => ExitCode::from(1),
        }
    }

    fn to_json(&self) -> Value {
        json!({ "step": self.step(), "message": self.to_string() })
    }
}

/// `--at` (RFC 3339) or, without it, the current time. Only the CLI reads the clock.
pub(super) fn parse_time(s: Option<&str>) -> Result<OffsetDateTime, LoadError> {
    match s {
        None => Ok(OffsetDateTime::now_utc()),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| LoadError::Input(format!("--at {text:?} is not an RFC 3339 time: {e}"))),
    }
}

/// Reads the BLOB, the roots (default: the built-in pins) and the CRLs, and verifies the BLOB at
/// `at` (default: now). `danger_skip_revocation` is logged at WARN. Used by
/// `mdsd attestation verify --blob`.
pub(super) fn load_verified_blob(
    blob: &Path,
    roots: &[PathBuf],
    crls: &[PathBuf],
    danger_skip_revocation: bool,
    at: Option<&str>,
) -> Result<VerifiedBlob, LoadError> {
    let now = parse_time(at)?;
    load_at(blob, roots, crls, danger_skip_revocation, now)
}

/// `mdsd blob verify`.
pub fn verify(args: &BlobTrustArgs) -> ExitCode {
    let now = match parse_time(args.at.as_deref()) {
        Ok(now) => now,
        Err(e) => return report_verify(args, None, Err(e)),
    };
    let result = load_at(&args.blob, &args.roots, &args.crls, args.danger_skip_revocation, now);
    report_verify(args, Some(now), result)
}

/// `mdsd blob inspect`.
pub fn inspect(args: &BlobTrustArgs) -> ExitCode {
    let loaded = parse_time(args.at.as_deref()).and_then(|now| {
        load_at(&args.blob, &args.roots, &args.crls, args.danger_skip_revocation, now)
            .map(|v| (v, now))
    });
    let (verified, now) = match loaded {
        Ok(ok) => ok,
        Err(e) => {
            if args.json {
                out!("{}", json!({ "verified": false, "error": e.to_json() }));
            } else {
                err!("BLOB REFUSED at step {}: {e}", e.step());
            }
            return e.exit_code();
        }
    };
    let rows: Vec<Value> = verified.store.entries().iter().map(|e| entry_json(e, now)).collect();
    if args.json {
        out!("{}", Value::Array(rows));
        return ExitCode::SUCCESS;
    }
    out!("{:<44}  {:<28}  DESCRIPTION", "ID", "STATUS");
    for (entry, row) in verified.store.entries().iter().zip(&rows) {
        let status = row["status"].as_str().unwrap_or("-");
        out!("{:<44}  {:<28}  {}", entry_id(entry), status, entry.description().unwrap_or("-"));
    }
    out!(
        "{} entries from BLOB no {} ({} quarantined){}",
        rows.len(),
        verified.no,
        verified.quarantined.len(),
        if verified.revocation_checked { "" } else { "; revocation NOT checked" }
    );
    ExitCode::SUCCESS
}

fn load_at(
    blob: &Path,
    roots: &[PathBuf],
    crls: &[PathBuf],
    danger_skip_revocation: bool,
    now: OffsetDateTime,
) -> Result<VerifiedBlob, LoadError> {
    let bytes = read(blob, "BLOB")?;
    let anchors = if roots.is_empty() { builtin_roots() } else { load_roots(roots)? };
    let mut opts = BlobVerifyOptions::new(anchors);
    opts.crls = crls
        .iter()
        .map(|path| {
            let bytes = read(path, "CRL")?;
            Crl::from_pem_or_der(&bytes)
                .map(Arc::new)
                .map_err(|e| LoadError::Input(format!("CRL {}: {e}", path.display())))
        })
        .collect::<Result<_, _>>()?;
    if danger_skip_revocation {
        tracing::warn!(
            blob = %blob.display(),
            ignored_crls = crls.len(),
            "DANGER: --danger-skip-revocation: the BLOB signing chain is NOT checked for \
             revocation; a revoked signing certificate would be accepted"
        );
        opts.revocation = RevocationMode::DangerSkip;
    }
    let verified = verify_blob(&bytes, &opts, now)?;
    for q in &verified.quarantined {
        tracing::warn!(index = q.index, id = %q.id.as_deref().unwrap_or("-"), reason = %q.reason, "entry quarantined");
    }
    if verified.unknown.total() > 0 {
        let counts = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter().map(|(k, n)| format!("{k} ({n})")).collect::<Vec<_>>().join(", ")
        };
        tracing::info!(fields = %counts(&verified.unknown.fields),
            statuses = %counts(&verified.unknown.statuses),
            "unknown payload members / status values kept");
    }
    if verified.is_stale(now) {
        tracing::warn!(next_update = %verified.next_update,
            days_past_next_update = days_past_next_update(&verified, now),
            "BLOB is past its nextUpdate");
    }
    Ok(verified)
}

fn load_roots(paths: &[PathBuf]) -> Result<Vec<TrustAnchor>, LoadError> {
    let mut anchors = Vec::new();
    for path in paths {
        let certs = certs_from_pem_or_der(&read(path, "root")?)
            .map_err(|e| LoadError::Input(format!("root {}: {e}", path.display())))?;
        for cert in certs {
            anchors.push(TrustAnchor { cert: Arc::new(cert), label: path.display().to_string() });
        }
    }
    Ok(anchors)
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|e| LoadError::Input(format!("{what} {}: {e}", path.display())))
}

fn report_verify(
    args: &BlobTrustArgs,
    now: Option<OffsetDateTime>,
    result: Result<VerifiedBlob, LoadError>,
) -> ExitCode {
    let at = now.and_then(|t| t.format(&Rfc3339).ok());
    match result {
        Ok(v) => {
            if args.json {
                out!("{}", verified_json(&v, at, now));
            } else {
                print_verified(&v, now);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                out!(
                    "{}",
                    json!({
                        "verified": false,
                        "verified_at": at,
                        "no": null,
                        "next_update": null,
                        "stale": null,
                        "days_past_next_update": null,
                        "entries": null,
                        "alg": null,
                        "root_sha256": null,
                        "quarantined": null,
                        // Known only when skipped on purpose.
                        "revocation_checked": if args.danger_skip_revocation {
                            Some(false)
                        } else {
                            None
                        },
                        "error": e.to_json(),
                    })
                );
            } else {
                err!("BLOB REFUSED at step {}: {e}", e.step());
            }
            e.exit_code()
        }
    }
}

fn verified_json(v: &VerifiedBlob, at: Option<String>, now: Option<OffsetDateTime>) -> Value {
    json!({
        "verified": true,
        "verified_at": at,
        "no": v.no,
        "next_update": v.next_update.to_string(),
        "stale": now.map(|n| v.is_stale(n)),
        "days_past_next_update": now.map(|n| days_past_next_update(v, n)),
        "entries": v.store.entries().len(),
        "alg": v.alg.as_str(),
        "root_sha256": v.anchor.cert.sha256_hex(),
        "root_label": v.anchor.label,
        "chain": v.chain.iter().map(|c| json!({
            "subject": c.subject(),
            "serial": c.serial_hex(),
            "sha256": c.sha256_hex(),
            "not_after": c.not_after().format(&Rfc3339).ok(),
        })).collect::<Vec<_>>(),
        "revocation_checked": v.revocation_checked,
        "quarantined": v.quarantined.iter().map(|q| json!({
            "index": q.index, "id": q.id, "reason": q.reason.to_string(),
        })).collect::<Vec<_>>(),
        "warnings": v.warnings.iter().map(|w| json!({
            "index": w.index, "id": w.id, "note": w.note.to_string(),
        })).collect::<Vec<_>>(),
        "unknown_fields": v.unknown.fields,
        "unknown_statuses": v.unknown.statuses,
        "duplicate_keys": v.store.duplicates().iter().map(|d| json!({
            "key": d.key, "kept": d.kept, "shadowed": d.shadowed,
        })).collect::<Vec<_>>(),
        "error": null,
    })
}

fn print_verified(v: &VerifiedBlob, now: Option<OffsetDateTime>) {
    out!(
        "BLOB verified: no {}, nextUpdate {}, {} entries ({} quarantined), alg {}",
        v.no,
        v.next_update,
        v.store.entries().len(),
        v.quarantined.len(),
        v.alg
    );
    out!("  anchored at: {} (sha256 {})", v.anchor.label, v.anchor.cert.sha256_hex());
    for cert in &v.chain {
        out!("  chain:       {} (serial {})", cert.subject(), cert.serial_hex());
    }
    if v.revocation_checked {
        out!("  revocation:  every chain certificate checked against a current CRL");
    } else {
        out!("  revocation:  NOT CHECKED (--danger-skip-revocation)");
    }
    if let Some(now) = now.filter(|n| v.is_stale(*n)) {
        out!(
            "  warning:     nextUpdate {} is {} days before the verification time {}; the BLOB \
             is stale, fetch a newer one",
            v.next_update,
            days_past_next_update(v, now),
            now.format(&Rfc3339).unwrap_or_else(|_| now.to_string())
        );
    }
    for q in &v.quarantined {
        out!("  quarantined: entry {} {}: {}", q.index, q.id.as_deref().unwrap_or("-"), q.reason);
    }
    for w in &v.warnings {
        out!("  warning:     entry {} {}: {}", w.index, w.id.as_deref().unwrap_or("-"), w.note);
    }
    if v.unknown.total() > 0 {
        out!(
            "  unknown:     {} members, {} status values (kept)",
            v.unknown.fields.values().sum::<usize>(),
            v.unknown.statuses.values().sum::<usize>()
        );
    }
}

/// Whole days from the BLOB's nextUpdate to the date of `now` (UTC); 0 while it is not stale
/// (nextUpdate is a date: the BLOB is stale from the day after it).
fn days_past_next_update(v: &VerifiedBlob, now: OffsetDateTime) -> i64 {
    if !v.is_stale(now) {
        return 0;
    }
    (now.to_offset(time::UtcOffset::UTC).date() - v.next_update).whole_days()
}

fn entry_id(entry: &Entry) -> String {
    if let Some(aaguid) = entry.aaguid() {
        aaguid.to_string()
    } else if let Some(aaid) = entry.aaid() {
        aaid.to_string()
    } else {
        match entry.key_identifiers() {
            [] => "-".to_string(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} +{}", rest.len()),
        }
    }
}

fn entry_json(entry: &Entry, now: OffsetDateTime) -> Value {
    let current = entry.current_status(now);
    json!({
        "aaguid": entry.aaguid().map(|g| g.to_string()),
        "aaid": entry.aaid(),
        "key_identifiers": entry.key_identifiers(),
        "description": entry.description(),
        "authenticator_version": entry.authenticator_version(),
        "status": current.map(|r| r.status.as_str()),
        "status_effective_date": current.and_then(|r| r.effective_date).map(|d| d.to_string()),
        "attestation_roots": entry.attestation_roots().len(),
    })
}
