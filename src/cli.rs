//! Command-line interface: argument definitions and dispatch to the subcommands.

mod attestation;
mod blob;
mod client;
mod config;
mod health;
mod ops;
mod proto_json;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// mdsd — verified FIDO MDS3 metadata and WebAuthn attestation verification.
#[derive(Debug, Parser)]
#[command(name = "mdsd", version, about)]
pub struct Cli {
    /// Log output format (logs go to stderr).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "MDSD_LOG_FORMAT",
        allow_hyphen_values = true,
        help_heading = "Global options"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify or inspect an MDS3 BLOB offline.
    #[command(subcommand)]
    Blob(BlobCommand),
    /// Verify WebAuthn attestations offline.
    #[command(subcommand)]
    Attestation(AttestationCommand),
    /// Run the daemon: BLOB refresh loop, gRPC service, admin endpoint.
    #[command(visible_alias = "run")]
    Serve(Box<serve::ServeArgs>),
    /// Ask a running daemon for its gRPC health (exit 0 SERVING, 1 NOT_SERVING, 3 unreachable).
    Health(health::HealthArgs),
    /// Ask a running daemon what it serves (GetMetadataInfo).
    Info(ops::InfoArgs),
    /// Ask a running daemon for one authenticator by AAGUID, key identifier or AAID.
    Lookup(ops::LookupArgs),
    /// Ask a running daemon for its authenticators, optionally by status or description.
    List(ops::ListArgs),
    /// Ask a running daemon to judge one registration (VerifyRegistration).
    VerifyRegistration(ops::VerifyRegistrationArgs),
    /// Check a daemon config file without starting the daemon.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file (with the MDSD_* variables set) and report every problem at once.
    Check(Box<config::CheckArgs>),
}

#[derive(Debug, Subcommand)]
pub enum BlobCommand {
    /// Verify a BLOB: JWS signature, signing chain to the pinned roots, CRLs, payload.
    Verify(BlobTrustArgs),
    /// List the entries of a verified BLOB (AAGUID / key ids, description, current status).
    Inspect(BlobTrustArgs),
}

/// How a BLOB is read and trusted; shared by `blob verify` and `blob inspect`.
#[derive(Debug, Args)]
pub struct BlobTrustArgs {
    /// The BLOB file (compact JWS).
    #[arg(long, allow_hyphen_values = true, value_name = "FILE")]
    pub blob: PathBuf,
    /// BLOB trust anchor (DER or PEM); repeatable. Replaces the built-in GlobalSign R3 and R46
    /// pins.
    #[arg(
        long = "mds-root",
        alias = "root",
        alias = "blob-root",
        allow_hyphen_values = true,
        value_name = "FILE"
    )]
    pub roots: Vec<PathBuf>,
    /// CRL file (DER or PEM) for the BLOB signing chain; repeatable.
    #[arg(
        long = "crl-file",
        alias = "crl",
        alias = "blob-crl",
        allow_hyphen_values = true,
        value_name = "FILE"
    )]
    pub crls: Vec<PathBuf>,
    /// DANGER: verify without any revocation checking.
    #[arg(long)]
    pub danger_skip_revocation: bool,
    /// Verification time (RFC 3339); default: now. Staleness (past nextUpdate) is judged at
    /// it too: reported (a warning, JSON `stale` / `days_past_next_update`), never a refusal.
    #[arg(long, allow_hyphen_values = true, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AttestationCommand {
    /// Verify one registration attestation.
    Verify(AttestationVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AttestationVerifyArgs {
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
    /// With ceremony checks: require the UP flag (as VerifyRegistration does by default);
    /// `--require-user-presence false` turns it off.
    #[arg(
        long,
        default_value_t = true,
        action = clap::ArgAction::Set,
        allow_hyphen_values = true,
        value_name = "BOOL"
    )]
    pub require_user_presence: bool,
    /// Require the UV flag (turns the ceremony checks on).
    #[arg(long)]
    pub require_user_verification: bool,
    /// Time to judge the attestation at (RFC 3339); default: now.
    #[arg(long, allow_hyphen_values = true, value_name = "RFC3339")]
    pub at: Option<String>,
    /// MDS BLOB to build the trust store from.
    #[arg(long, allow_hyphen_values = true, value_name = "FILE")]
    pub blob: Option<PathBuf>,
    /// BLOB trust anchor (DER or PEM); repeatable. Default: the built-in GlobalSign pins.
    #[arg(
        long = "mds-root",
        alias = "blob-root",
        alias = "root",
        allow_hyphen_values = true,
        value_name = "FILE"
    )]
    pub blob_roots: Vec<PathBuf>,
    /// CRL file (DER or PEM) for the BLOB signing chain; repeatable.
    #[arg(
        long = "crl-file",
        alias = "blob-crl",
        alias = "crl",
        allow_hyphen_values = true,
        value_name = "FILE"
    )]
    pub blob_crls: Vec<PathBuf>,
    /// Time to verify the BLOB at (RFC 3339); default: now.
    #[arg(long, allow_hyphen_values = true, value_name = "RFC3339")]
    pub blob_at: Option<String>,
    /// DANGER: verify the BLOB without revocation checking.
    #[arg(long)]
    pub danger_skip_revocation: bool,
    /// Extra attestation trust anchor (DER or PEM; Apple, Google, TPM vendor roots); repeatable.
    #[arg(
        long = "attestation-root",
        alias = "extra-root",
        allow_hyphen_values = true,
        value_name = "FILE"
    )]
    pub extra_roots: Vec<PathBuf>,
    /// Operator metadata statement (FIDO Metadata Statement JSON) for a model the BLOB does not
    /// list, served after the BLOB's entries (a model the BLOB lists keeps its MDS entry);
    /// repeatable; needs --blob. Trusted through its own roots only; answers mark it
    /// OPERATOR_STATEMENT.
    #[arg(long = "metadata-statement", allow_hyphen_values = true, value_name = "FILE|DIR")]
    pub metadata_statements: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Installs the tracing subscriber (stderr). Only the binary does this.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MDSD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        // One line per event: a value with a line break (an error text from a file, a peer)
        // is written with the break escaped.
        LogFormat::Text => {
            use tracing_subscriber::field::MakeExt as _;
            let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
                let raw = format!("{value:?}");
                let text = one_line(&raw);
                if field.name() == "message" {
                    write!(w, "{text}")
                } else {
                    write!(w, "{}={text}", field.name())
                }
            })
            .delimited(" ");
            builder.fmt_fields(fields).init();
        }
        LogFormat::Json => builder.json().init(),
    }
}

/// `text` with line breaks escaped (`\n`, `\r`), for one-line log events.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        text.replace('\n', "\\n").replace('\r', "\\r").into()
    } else {
        text.into()
    }
}

/// Checks every `MDSD_*` variable the command about to run reads, before clap parses the
/// command line (clap would stop at the first bad one and name its flag, not the variable):
/// every bad value, named by its variable, at once. `Some(exit code 2)` when any is bad.
pub fn env_errors() -> Option<ExitCode> {
    use clap::CommandFactory as _;
    let root = Cli::command();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let errors = env_errors_in(&root, &argv, |var| std::env::var_os(var));
    if errors.is_empty() {
        return None;
    }
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {} environment variable error(s):", errors.len());
    for e in errors {
        let _ = writeln!(err, "  - {e}");
    }
    Some(ExitCode::from(2))
}

/// The errors of the variables read by the (sub)command `argv` selects, `var` giving each
/// variable's value.
fn env_errors_in(
    root: &clap::Command,
    argv: &[String],
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<String> {
    // The command that will run: follow subcommand names through argv.
    let mut cmd = root;
    for word in argv {
        if let Some(sub) = cmd.find_subcommand(word) {
            cmd = sub;
        }
    }
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for arg in cmd.get_arguments().chain(root.get_arguments()) {
        let Some(name) = arg.get_env().and_then(|n| n.to_str()) else { continue };
        let Some(value) = var(name) else { continue };
        if value.is_empty() || !seen.insert(name.to_string()) {
            continue;
        }
        let Some(long) = arg.get_long() else { continue };
        // The argument alone, given the value as its flag (no env): clap's own parsing,
        // including list splitting and possible values.
        let probe = clap::Command::new("env")
            .no_binary_name(true)
            .arg(arg.clone().env(None::<&str>).required(false).global(false));
        let mut flag = std::ffi::OsString::from(format!("--{long}="));
        flag.push(&value);
        if let Err(e) = probe.try_get_matches_from([flag]) {
            let reason = std::error::Error::source(&e).map_or_else(
                || {
                    let possible: Vec<String> = arg
                        .get_possible_values()
                        .iter()
                        .map(|v| v.get_name().to_string())
                        .collect();
                    format!("possible values: {}", possible.join(", "))
                },
                |source| source.to_string(),
            );
            errors.push(format!("{name}={value:?}: {reason}"));
        }
    }
    errors
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Blob(BlobCommand::Verify(args)) => blob::verify(&args),
        Command::Blob(BlobCommand::Inspect(args)) => blob::inspect(&args),
        Command::Attestation(AttestationCommand::Verify(args)) => attestation::verify(&args),
        Command::Serve(args) => serve::serve(*args),
        Command::Health(args) => health::health(&args),
        Command::Info(args) => ops::info(&args),
        Command::Lookup(args) => ops::lookup(&args),
        Command::List(args) => ops::list(&args),
        Command::VerifyRegistration(args) => ops::verify_registration(&args),
        Command::Config(ConfigCommand::Check(args)) => config::check(&args),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use clap::CommandFactory as _;

    use super::*;

    /// Every flag that takes a value accepts one starting with `-` (a base64url challenge,
    /// credential id or attestation object may): each such argument of every command.
    #[test]
    fn every_value_flag_accepts_values_starting_with_a_dash() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let takes_value = arg.get_action().takes_values()
                    && arg.get_num_args().is_none_or(|n| n.min_values() > 0);
                if takes_value && !arg.is_allow_hyphen_values_set() {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "mdsd", &mut missing);
        assert!(missing.is_empty(), "value flags refusing a leading '-': {missing:#?}");
    }

    #[test]
    fn log_values_stay_on_one_line() {
        assert_eq!(one_line("a\nb\r\nc"), "a\\nb\\r\\nc");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn a_challenge_starting_with_a_dash_is_a_value() {
        let cli = Cli::try_parse_from([
            "mdsd",
            "attestation",
            "verify",
            "--attestation-object",
            "-o2Nm",
            "--client-data-json",
            "-eyJ0",
            "--challenge",
            "-Y2hh",
            "--origin",
            "https://example.com",
        ])
        .unwrap();
        let Command::Attestation(AttestationCommand::Verify(args)) = cli.command else {
            panic!("not attestation verify")
        };
        assert_eq!(args.challenge.as_deref(), Some("-Y2hh"));
        assert_eq!(args.attestation_object, "-o2Nm");
    }

    /// The old flag names still work (hidden aliases for a release) and mean the new ones.
    #[test]
    fn old_names_are_hidden_aliases() {
        let cli = Cli::try_parse_from([
            "mdsd",
            "attestation",
            "verify",
            "--attestation-object",
            "x",
            "--client-data-json",
            "y",
            "--blob-root",
            "r.pem",
            "--blob-crl",
            "c.crl",
            "--extra-root",
            "a.pem",
        ])
        .unwrap();
        let Command::Attestation(AttestationCommand::Verify(args)) = cli.command else {
            panic!("not attestation verify")
        };
        assert_eq!(args.blob_roots, [PathBuf::from("r.pem")]);
        assert_eq!(args.blob_crls, [PathBuf::from("c.crl")]);
        assert_eq!(args.extra_roots, [PathBuf::from("a.pem")]);
        let cli = Cli::try_parse_from([
            "mdsd", "blob", "verify", "--blob", "b", "--root", "r", "--crl", "c",
        ])
        .unwrap();
        let Command::Blob(BlobCommand::Verify(args)) = cli.command else { panic!("not blob") };
        assert_eq!((args.roots.len(), args.crls.len()), (1, 1));
        let help = Cli::command()
            .find_subcommand_mut("attestation")
            .unwrap()
            .find_subcommand_mut("verify")
            .unwrap()
            .render_help()
            .to_string();
        for old in ["--blob-root", "--blob-crl", "--extra-root"] {
            assert!(!help.contains(old), "{old} shown in help:\n{help}");
        }
        for new in ["--mds-root", "--crl-file", "--attestation-root"] {
            assert!(help.contains(new), "{new} missing from help:\n{help}");
        }
    }

    #[test]
    fn env_errors_name_every_bad_variable_of_the_command() {
        let root = Cli::command();
        let vars = |name: &str| match name {
            "MDSD_MAX_BLOB_BYTES" => Some("lots".into()),
            "MDSD_REFRESH_JITTER_PERCENT" => Some("ten".into()),
            "MDSD_DANGER_SERVE_STALE" => Some("yes".into()),
            "MDSD_LOG_FORMAT" => Some("xml".into()),
            _ => None,
        };
        let errors = env_errors_in(&root, &["serve".into()], vars);
        for var in [
            "MDSD_MAX_BLOB_BYTES=\"lots\"",
            "MDSD_REFRESH_JITTER_PERCENT=\"ten\"",
            "MDSD_DANGER_SERVE_STALE=\"yes\"",
            "MDSD_LOG_FORMAT=\"xml\"",
        ] {
            assert!(errors.iter().any(|e| e.starts_with(var)), "{var} not in {errors:#?}");
        }
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors.iter().all(|e| !e.contains("--")), "a flag named: {errors:#?}");
        // `blob verify` reads none of the daemon's variables.
        let errors = env_errors_in(&root, &["blob".into(), "verify".into()], |n| {
            (n == "MDSD_MAX_BLOB_BYTES").then(|| "lots".into())
        });
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
