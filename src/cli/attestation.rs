//! `mdsd attestation verify`: verifies one registration attestation offline.
//!
//! The trust store comes from `--blob`, verified as `mdsd blob verify` does at `--blob-at`; the
//! attestation is judged at `--at`. `--metadata-statement` files are read and merged as the
//! daemon's `metadata_statements` are (after the BLOB's entries, never over them). Exit codes: 0 the statement is valid (trusted or not), 1 it
//! is invalid, 2 the input could not be read (bad base64, unreadable file, BLOB refused).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use base64::Engine;
use mdsd::attestation::{
    AttestationResult, Expectations, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::daemon::statements::{read_statement_files, shadowed};
use mdsd::trust_store::TrustStore;
use mdsd::x509::{certs_from_pem_or_der, TrustAnchor};
use serde_json::json;

use super::AttestationVerifyArgs;

/// `println!` that does not panic when stdout is closed.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `mdsd attestation verify`.
pub fn verify(args: &AttestationVerifyArgs) -> ExitCode {
    match run(args) {
        Ok(result) => {
            if args.json {
                // The VerifyRegistrationResponse the daemon would send, in the proto3 JSON
                // mapping: the shape the clients and grpcurl print (docs/integrate.md).
                let ceremony = args.rp_id.is_some()
                    || !args.origins.is_empty()
                    || args.challenge.is_some()
                    || args.require_user_verification;
                let now = super::blob::parse_time(args.at.as_deref())
                    .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
                let json = super::proto_json::registration(&result, ceremony, now);
                out!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
            } else {
                print_text(&result);
            }
            if result.statement_valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(InputError { step, message }) => {
            if args.json {
                let v = json!({ "error": { "step": step, "message": message } });
                out!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr().lock(), "error ({step}): {message}");
            }
            ExitCode::from(2)
        }
    }
}

/// Input that could not be used (exit 2).
struct InputError {
    step: &'static str,
    message: String,
}

fn input(message: String) -> InputError {
    InputError { step: "input", message }
}

fn b64url(value: &str, flag: &str) -> Result<Vec<u8>, InputError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|e| input(format!("{flag} is not base64url: {e}")))
}

fn run(args: &AttestationVerifyArgs) -> Result<AttestationResult, InputError> {
    let attestation_object = b64url(&args.attestation_object, "--attestation-object")?;
    let client_data_json = b64url(&args.client_data_json, "--client-data-json")?;
    let challenge = args.challenge.as_deref().map(|c| b64url(c, "--challenge")).transpose()?;
    let now = super::blob::parse_time(args.at.as_deref()).map_err(|e| input(e.to_string()))?;

    let blob_flags_without_blob = !args.blob_roots.is_empty()
        || !args.blob_crls.is_empty()
        || !args.metadata_statements.is_empty()
        || args.blob_at.is_some()
        || args.danger_skip_revocation;
    let store: Option<Arc<TrustStore>> = match &args.blob {
        Some(blob) => {
            let verified = super::blob::load_verified_blob(
                blob,
                &args.blob_roots,
                &args.blob_crls,
                args.danger_skip_revocation,
                args.blob_at.as_deref(),
            )
            .map_err(|e| InputError {
                step: e.step(),
                message: format!("--blob {}: {e}", blob.display()),
            })?;
            if args.metadata_statements.is_empty() {
                Some(verified.store)
            } else {
                // The daemon's loader and merge: the BLOB's entries keep their keys.
                let statements =
                    read_statement_files(&args.metadata_statements).map_err(|errors| {
                        InputError {
                            step: "metadata-statement",
                            message: format!("--metadata-statement: {}", errors.join("; ")),
                        }
                    })?;
                let extra = statements.into_iter().map(|s| Arc::new(s.entry));
                let store = verified.store.with_extra(extra);
                for s in shadowed(&store) {
                    use std::io::Write as _;
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "warning: --metadata-statement {}: {} is listed by {}, whose entry \
                         answers (the statement is shadowed)",
                        s.file,
                        s.key,
                        s.by
                    );
                }
                Some(Arc::new(store))
            }
        }
        None if blob_flags_without_blob => {
            return Err(input(
                "--blob-root, --blob-crl, --blob-at, --metadata-statement and \
                 --danger-skip-revocation need --blob"
                    .into(),
            ))
        }
        None => None,
    };
    let extra_anchors = load_extra_roots(&args.extra_roots)?;

    // Ceremony checks only for what was given (WebAuthn L3 §7.1); once any is, UP is required
    // unless turned off, as in VerifyRegistration.
    let expectations = (args.rp_id.is_some()
        || !args.origins.is_empty()
        || challenge.is_some()
        || args.require_user_verification)
        .then(|| Expectations {
            rp_id: args.rp_id.clone(),
            origins: args.origins.clone(),
            challenge,
            top_origins: None,
            require_user_presence: args.require_user_presence,
            require_user_verification: args.require_user_verification,
        });
    let verifier = Verifier::new(VerifierOptions { extra_anchors, ..Default::default() });
    Ok(verifier.verify_registration(
        &RegistrationInput {
            attestation_object: &attestation_object,
            client_data_json: &client_data_json,
            expectations: expectations.as_ref(),
        },
        store.as_deref(),
        now,
    ))
}

fn load_extra_roots(paths: &[PathBuf]) -> Result<Vec<TrustAnchor>, InputError> {
    let mut anchors = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| input(format!("--extra-root {}: {e}", path.display())))?;
        let certs = certs_from_pem_or_der(&bytes)
            .map_err(|e| input(format!("--extra-root {}: {e}", path.display())))?;
        for cert in certs {
            anchors.push(TrustAnchor { cert: Arc::new(cert), label: path.display().to_string() });
        }
    }
    Ok(anchors)
}

fn print_text(r: &AttestationResult) {
    let verdict = match (r.statement_valid, r.trusted) {
        (true, true) => "VALID, TRUSTED",
        (true, false) => "VALID, NOT TRUSTED",
        (false, _) => "INVALID",
    };
    out!("attestation: {verdict}");
    out!("format:           {}", r.format.map(|f| f.as_str()).or(r.fmt.as_deref()).unwrap_or("-"));
    out!("attestation type: {}", r.attestation_type.map(|t| t.as_str()).unwrap_or("-"));
    out!("aaguid:           {}", r.aaguid.map(|a| a.to_string()).unwrap_or_else(|| "-".into()));
    out!("credential kind:  {}", r.credential_kind.map(|k| k.as_str()).unwrap_or("-"));
    if let Some(a) = &r.authenticator {
        out!(
            "authenticator:    {} (status {}{})",
            a.description.as_deref().unwrap_or("(no description)"),
            a.status.as_ref().map_or("-", |s| s.as_str()),
            if a.verified { "" } else { "; NOT verified by a chain" }
        );
        if let Some(entry) = &r.entry {
            let origin = entry.origin();
            if !matches!(origin, mdsd::trust_store::Origin::Mds) {
                out!("metadata origin:  {origin} (not FIDO MDS metadata, never FIDO-certified)");
            }
        }
        if let Some(m) = &a.multi_device_credential_support {
            out!("metadata mdcs:    {m}");
        }
    }
    if let Some(note) = &r.kind_conflict {
        out!("note:             {note}");
    }
    if let Some((sha, label)) = &r.anchor {
        out!("anchor:           {label} (sha256 {sha})");
    }
    for (i, fp) in r.trust_path.iter().enumerate() {
        out!("path[{i}]:          sha256 {fp}");
    }
    if let Some(coverage) = r.provenance.coverage {
        out!("signature covers: {}", coverage.as_str());
    }
    if let Some(selector) = &r.provenance.entry_selected_by {
        out!("entry selected by: {}", selector.kind());
    }
    if !r.provenance.claimed.is_empty() {
        let claimed: Vec<&str> = r.provenance.claimed.iter().map(|f| f.as_str()).collect();
        out!("claimed (unsigned): {}", claimed.join(", "));
    }
    for reason in &r.reasons {
        out!("reason:           {reason}");
    }
}
