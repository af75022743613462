//! Command-line interface: argument definitions and dispatch to the subcommands.

mod attestation;
mod blob;
mod client;
mod config;
mod health;
mod ops;
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
    Check(config::CheckArgs),
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
    #[arg(long = "mds-root", alias = "root", alias = "blob-root", allow_hyphen_values = true, value_name = "FILE")]
    pub roots: Vec<PathBuf>,
    /// CRL file (DER or PEM) for the BLOB signing chain; repeatable.
    #[arg(long = "crl-file", alias = "crl", alias = "blob-crl", allow_hyphen_values = true, value_name = "FILE")]
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
    #[arg(long = "mds-root", alias = "blob-root", alias = "root", allow_hyphen_values = true, value_name = "FILE")]
    pub blob_roots: Vec<PathBuf>,
    /// CRL file (DER or PEM) for the BLOB signing chain; repeatable.
    #[arg(long = "crl-file", alias = "blob-crl", alias = "crl", allow_hyphen_values = true, value_name = "FILE")]
    pub blob_crls: Vec<PathBuf>,
    /// Time to verify the BLOB at (RFC 3339); default: now.
    #[arg(long, allow_hyphen_values = true, value_name = "RFC3339")]
    pub blob_at: Option<String>,
    /// DANGER: verify the BLOB without revocation checking.
    #[arg(long)]
    pub danger_skip_revocation: bool,
    /// Extra attestation trust anchor (DER or PEM; Apple, Google, TPM vendor roots); repeatable.
    #[arg(long = "attestation-root", alias = "extra-root", allow_hyphen_values = true, value_name = "FILE")]
    pub extra_roots: Vec<PathBuf>,
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
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
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
