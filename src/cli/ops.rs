//! Operator commands against a running daemon, so routine questions need no grpcurl:
//! `mdsd info` (GetMetadataInfo), `mdsd lookup KEY` (GetAuthenticator), `mdsd list`
//! (ListAuthenticators, every page) and `mdsd verify-registration` (VerifyRegistration). Human
//! output by default, one JSON document with `--json`. Exit codes: see [`super::client`].

use std::process::ExitCode;

use base64::Engine as _;
use clap::Args;
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    get_authenticator_request::Key, Authenticator, GetAuthenticatorRequest, GetMetadataInfoRequest,
    GetMetadataInfoResponse, ListAuthenticatorsRequest, MetadataOrigin, OriginKind,
    VerifyRegistrationRequest, VerifyRegistrationResponse,
};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use tonic::transport::Channel;

use super::client::{block_on, eprintln_safe, unreachable, usage, ClientArgs, Target};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct LookupArgs {
    /// AAGUID (`cb69481e-8ff7-4039-93ec-0a2729a154a8`), U2F key identifier (40 hex digits) or
    /// UAF AAID (`VVVV#MMMM`).
    #[arg(allow_hyphen_values = true, value_name = "AAGUID|KEYID|AAID")]
    pub key: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries whose current status is one of these (`FIDO_CERTIFIED_L1`, `REVOKED`, ...);
    /// repeatable or comma-separated.
    #[arg(
        long = "status",
        allow_hyphen_values = true,
        value_delimiter = ',',
        value_name = "STATUS"
    )]
    pub statuses: Vec<String>,
    /// Only entries whose description contains this (case-insensitive).
    #[arg(long, allow_hyphen_values = true, value_name = "TEXT")]
    pub description: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct VerifyRegistrationArgs {
    /// attestationObject, base64url.
    #[arg(long, allow_hyphen_values = true, value_name = "B64URL")]
    pub attestation_object: String,
    /// clientDataJSON, base64url.
    #[arg(long, allow_hyphen_values = true, value_name = "B64URL")]
    pub client_data_json: String,
    /// Expected RP ID (checks rpIdHash).
    #[arg(long, allow_hyphen_values = true, value_name = "ID")]
    pub rp_id: Option<String>,
    /// Expected origin; repeatable (any one may match).
    #[arg(long = "origin", allow_hyphen_values = true, value_name = "URL")]
    pub origins: Vec<String>,
    /// Expected challenge, base64url.
    #[arg(long, allow_hyphen_values = true, value_name = "B64URL")]
    pub challenge: Option<String>,
    /// The user's groups, for the passkey profiles; repeatable.
    #[arg(long = "user-group", allow_hyphen_values = true, value_name = "GROUP")]
    pub user_groups: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Runs one RPC against the daemon: usage errors exit 2, an unreachable daemon 3, an error
/// answer 1 (printed), an answer goes to `show`.
fn call<T, F, Fut>(client: &ClientArgs, rpc: F, show: impl FnOnce(T) -> ExitCode) -> ExitCode
where
    F: FnOnce(AttestationServiceClient<Channel>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    let target: Target = match client.target() {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let timeout = target.timeout;
    let answer = block_on(async move {
        let channel = target.channel().await.map_err(Err)?;
        tokio::time::timeout(timeout, rpc(AttestationServiceClient::new(channel)))
            .await
            .map_err(|_| Err("no answer: timed out".to_string()))?
            .map_err(Ok)
    });
    match answer {
        Err(e) => usage(&e),
        Ok(Err(Err(e))) => unreachable(&e),
        Ok(Err(Ok(status))) => {
            eprintln_safe(&format!("error: {:?}: {}", status.code(), status.message()));
            ExitCode::from(1)
        }
        Ok(Ok(response)) => show(response.into_inner()),
    }
}

fn print(text: &str) -> ExitCode {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    ExitCode::SUCCESS
}

fn ts(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let nanos = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).ok()
}

pub fn info(args: &InfoArgs) -> ExitCode {
    call(
        &args.client,
        |mut c| async move { c.get_metadata_info(GetMetadataInfoRequest {}).await },
        |info| {
            if args.json {
                print(&info_json(&info).to_string())
            } else {
                print(&info_text(&info))
            }
        },
    )
}

fn info_json(i: &GetMetadataInfoResponse) -> Value {
    json!({
        "loaded": i.loaded,
        "no": i.no,
        "next_update": i.next_update,
        "source": i.source,
        "fetched_at": ts(i.fetched_at.as_ref()),
        "verified_at": ts(i.verified_at.as_ref()),
        "anchor": i.anchor.as_ref().map(|a| json!({"label": a.label, "sha256": a.sha256})),
        "entry_count": i.entry_count,
        "quarantined": i.quarantined.len(),
        "stale": i.stale,
        "serve_until": ts(i.serve_until.as_ref()),
        "last_error": i.last_error,
        "last_refresh_at": ts(i.last_refresh_at.as_ref()),
        "next_refresh_at": ts(i.next_refresh_at.as_ref()),
        "jws_alg": i.jws_alg,
        "revocation_checked": i.revocation_checked,
        "danger_clock": ts(i.danger_clock.as_ref()),
        "operator_statements": i.operator_statements.as_ref().map(|o| json!({
            "statements": o.statements.iter().map(|s| json!({
                "file": s.file,
                "keys": s.keys,
                "description": s.description,
                "shadowed": s.shadowed,
                "shadowed_keys": s.shadowed_keys,
            })).collect::<Vec<_>>(),
            "last_reload_error": o.last_reload_error,
            "loaded_at": ts(o.loaded_at.as_ref()),
            "last_reload_at": ts(o.last_reload_at.as_ref()),
        })),
        "blob_sources": i.blob_sources.iter().map(|b| json!({
            "name": b.name,
            "loaded": b.loaded,
            "no": b.no,
            "next_update": b.next_update,
            "stale": b.stale,
            "entry_count": b.entry_count,
            "verified_at": ts(b.verified_at.as_ref()),
            "served": b.served,
            "serve_until": ts(b.serve_until.as_ref()),
            "last_error": b.last_error,
            "last_refresh_at": ts(b.last_refresh_at.as_ref()),
            "last_success_at": ts(b.last_success_at.as_ref()),
            "consecutive_failures": b.consecutive_failures,
            "next_refresh_at": ts(b.next_refresh_at.as_ref()),
            "roots_sha256": b.roots_sha256,
        })).collect::<Vec<_>>(),
    })
}

fn info_text(i: &GetMetadataInfoResponse) -> String {
    let mut out = Vec::new();
    let opt = |t: Option<&prost_types::Timestamp>| ts(t).unwrap_or_else(|| "-".to_string());
    if i.loaded {
        out.push(format!("BLOB no {} from {} ({} entries)", i.no, i.source, i.entry_count));
        out.push(format!(
            "next update {}{}",
            i.next_update,
            if i.stale { " (STALE: past nextUpdate)" } else { "" }
        ));
        if let Some(a) = &i.anchor {
            out.push(format!("signed under {} (sha256 {})", a.label, a.sha256));
        }
        out.push(format!(
            "verified at {}, revocation {}",
            opt(i.verified_at.as_ref()),
            if i.revocation_checked { "checked" } else { "NOT checked (danger)" }
        ));
        if !i.quarantined.is_empty() {
            out.push(format!("quarantined entries: {}", i.quarantined.len()));
        }
    } else {
        out.push("no verified BLOB loaded: NOT_SERVING".to_string());
    }
    if !i.last_error.is_empty() {
        out.push(format!("last refresh failed: {}", i.last_error));
    }
    out.push(format!(
        "last refresh {}, next refresh {}",
        opt(i.last_refresh_at.as_ref()),
        opt(i.next_refresh_at.as_ref())
    ));
    if let Some(o) = &i.operator_statements {
        out.push(format!("operator metadata statements: {}", o.statements.len()));
        for s in &o.statements {
            let shadowed = if s.shadowed {
                format!(" (SHADOWED: {})", s.shadowed_keys.join(", "))
            } else {
                String::new()
            };
            out.push(format!("  {}: {}  {}{shadowed}", s.file, s.keys.join(", "), s.description));
        }
        if !o.last_reload_error.is_empty() {
            out.push(format!("  last reload refused: {}", o.last_reload_error));
        }
    }
    for b in &i.blob_sources {
        let held = if b.loaded {
            format!(
                "no {} ({} entries), next update {}{}",
                b.no,
                b.entry_count,
                b.next_update,
                if b.stale { " (STALE)" } else { "" }
            )
        } else {
            "nothing held yet".to_string()
        };
        let served = if b.served { "served" } else { "NOT served" };
        out.push(format!("blob source {}: {held}, {served}", b.name));
        if !b.last_error.is_empty() {
            out.push(format!(
                "blob source {}: last refresh failed ({} in a row): {}",
                b.name, b.consecutive_failures, b.last_error
            ));
        }
    }
    if let Some(clock) = ts(i.danger_clock.as_ref()) {
        out.push(format!("DANGER: danger_clock: everything is judged at {clock}, not now"));
    }
    out.join("\n")
}

/// Which kind of key the operator typed.
fn lookup_key(key: &str) -> Key {
    let hex32 = key.chars().filter(|c| *c != '-').count() == 32
        && key.chars().all(|c| c == '-' || c.is_ascii_hexdigit());
    if key.contains('#') {
        Key::Aaid(key.to_string())
    } else if hex32 {
        Key::Aaguid(key.to_string())
    } else {
        Key::KeyIdentifier(key.to_string())
    }
}

pub fn lookup(args: &LookupArgs) -> ExitCode {
    let request = GetAuthenticatorRequest { key: Some(lookup_key(&args.key)) };
    call(
        &args.client,
        |mut c| async move { c.get_authenticator(request).await },
        |answer| {
            let Some(a) = answer.authenticator else {
                eprintln_safe("error: the daemon answered without an authenticator");
                return ExitCode::from(1);
            };
            if args.json {
                let mut v = authenticator_json(&a);
                v["metadata_no"] = json!(answer.metadata_no);
                v["metadata_stale"] = json!(answer.metadata_stale);
                print(&v.to_string())
            } else {
                print(&authenticator_text(&a))
            }
        },
    )
}

fn key_of(a: &Authenticator) -> String {
    if !a.aaguid.is_empty() {
        a.aaguid.clone()
    } else if !a.aaid.is_empty() {
        a.aaid.clone()
    } else {
        a.key_identifiers.join(",")
    }
}

fn authenticator_json(a: &Authenticator) -> Value {
    json!({
        "aaguid": a.aaguid,
        "aaid": a.aaid,
        "key_identifiers": a.key_identifiers,
        "description": a.description,
        "current_status": a.current_status,
        "key_scope": a.key_scope,
        "multi_device_credential_support": a.multi_device_credential_support,
        "attestation_types": a.attestation_types,
        "attestation_root_sha256": a.attestation_root_sha256,
        "origin": a.origin.as_ref().map(origin_json),
    })
}

/// A MetadataOrigin as `{"kind": "FIDO_MDS" | "BLOB_SOURCE" | "OPERATOR_STATEMENT", "source"}`.
fn origin_json(o: &MetadataOrigin) -> Value {
    let kind = OriginKind::try_from(o.kind).unwrap_or(OriginKind::Unspecified);
    json!({"kind": kind.as_str_name(), "source": o.source})
}

fn authenticator_text(a: &Authenticator) -> String {
    let mut out =
        vec![format!("{}  {}", key_of(a), a.description), format!("status: {}", a.current_status)];
    if !a.key_scope.is_empty() {
        out.push(format!("key scope: {}", a.key_scope));
    }
    if !a.attestation_types.is_empty() {
        out.push(format!("attestation types: {}", a.attestation_types.join(", ")));
    }
    out.push(format!("attestation roots: {}", a.attestation_root_sha256.len()));
    if let Some(o) = a.origin.as_ref().filter(|o| o.kind != OriginKind::FidoMds as i32) {
        let kind = OriginKind::try_from(o.kind).unwrap_or(OriginKind::Unspecified);
        out.push(format!("origin: {} {} (not FIDO MDS metadata)", kind.as_str_name(), o.source));
    }
    out.join("\n")
}

pub fn list(args: &ListArgs) -> ExitCode {
    let statuses = args.statuses.clone();
    let description = args.description.clone().unwrap_or_default();
    call(
        &args.client,
        |mut c| async move {
            // Every page, each bound to the BLOB it started on.
            let mut all: Vec<Authenticator> = Vec::new();
            let mut token = String::new();
            loop {
                let page = c
                    .list_authenticators(ListAuthenticatorsRequest {
                        page_size: 500,
                        page_token: token,
                        description_contains: description.clone(),
                        statuses: statuses.clone(),
                        include_entry_json: false,
                    })
                    .await?;
                let mut page = page.into_inner();
                all.append(&mut page.authenticators);
                if page.next_page_token.is_empty() {
                    return Ok(tonic::Response::new((all, page.metadata_no, page.metadata_stale)));
                }
                token = page.next_page_token;
            }
        },
        |(all, no, stale)| {
            if args.json {
                let entries: Vec<Value> = all.iter().map(authenticator_json).collect();
                print(
                    &json!({"metadata_no": no, "metadata_stale": stale, "authenticators": entries})
                        .to_string(),
                )
            } else {
                let mut out: Vec<String> = all
                    .iter()
                    .map(|a| {
                        format!("{:<36}  {:<24}  {}", key_of(a), a.current_status, a.description)
                    })
                    .collect();
                out.push(format!(
                    "{} entries (BLOB no {no}{})",
                    all.len(),
                    if stale { ", stale" } else { "" }
                ));
                print(&out.join("\n"))
            }
        },
    )
}

pub fn verify_registration(args: &VerifyRegistrationArgs) -> ExitCode {
    let b64 = |flag: &str, s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|e| format!("{flag}: not base64url: {e}"))
    };
    let decoded = (|| -> Result<VerifyRegistrationRequest, String> {
        Ok(VerifyRegistrationRequest {
            attestation_object: b64("--attestation-object", &args.attestation_object)?,
            client_data_json: b64("--client-data-json", &args.client_data_json)?,
            rp_id: args.rp_id.clone().unwrap_or_default(),
            origins: args.origins.clone(),
            challenge: match &args.challenge {
                Some(c) => b64("--challenge", c)?,
                None => Vec::new(),
            },
            user_groups: args.user_groups.clone(),
            ..VerifyRegistrationRequest::default()
        })
    })();
    let request = match decoded {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    call(
        &args.client,
        |mut c| async move { c.verify_registration(request).await },
        |r| {
            if args.json {
                print(&registration_json(&r).to_string())
            } else {
                print(&registration_text(&r))
            }
        },
    )
}

fn registration_json(r: &VerifyRegistrationResponse) -> Value {
    json!({
        "verdict": r.verdict().as_str_name(),
        "trusted": r.trusted,
        "statement_valid": r.statement_valid,
        "format": r.format,
        "attestation_type": r.attestation_type,
        "aaguid": r.aaguid,
        "credential_kind": r.credential_kind().as_str_name(),
        "authenticator": r.authenticator.as_ref().map(|a| json!({
            "description": a.description, "status": a.status,
        })),
        "anchor": r.anchor.as_ref().map(|a| json!({"label": a.label, "sha256": a.sha256})),
        "metadata_no": r.metadata_no,
        "metadata_stale": r.metadata_stale,
        "reasons": r.reasons.iter().map(|x| json!({"code": x.code, "message": x.message})).collect::<Vec<_>>(),
    })
}

fn registration_text(r: &VerifyRegistrationResponse) -> String {
    let mut out = vec![format!(
        "{}: {} attestation ({}), {}",
        r.verdict().as_str_name(),
        r.format,
        r.attestation_type,
        if r.trusted { "trusted" } else { "NOT trusted" }
    )];
    out.push(format!("aaguid {} ({})", r.aaguid, r.credential_kind().as_str_name()));
    if let Some(a) = &r.authenticator {
        out.push(format!("authenticator: {} [{}]", a.description, a.status));
    }
    if let Some(a) = &r.anchor {
        out.push(format!("anchor: {}", a.label));
    }
    out.push(format!("judged against BLOB no {}", r.metadata_no));
    for reason in &r.reasons {
        out.push(format!("reason {}: {}", reason.code, reason.message));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_keys_are_told_apart() {
        assert!(matches!(lookup_key("c5ef55ff-ad9a-4b9f-b580-adebafe026d0"), Key::Aaguid(_)));
        assert!(matches!(lookup_key("c5ef55ffad9a4b9fb580adebafe026d0"), Key::Aaguid(_)));
        assert!(matches!(lookup_key("4e4e#4005"), Key::Aaid(_)));
        assert!(matches!(
            lookup_key("bf7bcaa0d0c6187a8c6abbdd16a15640e7c7bde2"),
            Key::KeyIdentifier(_)
        ));
    }
}
