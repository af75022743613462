//! How the operator commands (`health`, `info`, `lookup`, `list`, `verify-registration`) reach
//! a running daemon: one set of connection flags, one way to connect, and the exit codes they
//! share.
//!
//! Exit codes: 0 answered (for `health`: SERVING), 1 the daemon answered but cannot give what
//! was asked (NOT_SERVING, not found, no metadata), 2 bad arguments, 3 unreachable (no answer
//! within `--timeout`: nothing listening, TLS failure, timeout).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use mdsd::daemon::config::{parse_duration, ListenAddr, DEFAULT_LISTEN};
use mdsd::daemon::probe::{connect, ProbeTls};
use tonic::transport::Channel;

/// Exit code: the daemon could not be reached.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit code: bad arguments.
pub const EXIT_USAGE: u8 = 2;

/// Where the daemon is and how to talk to it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ClientArgs {
    /// The daemon's gRPC address: HOST:PORT or unix:PATH.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_LISTEN", default_value = DEFAULT_LISTEN, value_name = "ADDR|unix:PATH")]
    pub target: String,
    /// Deadline for connecting and for the call.
    #[arg(long, allow_hyphen_values = true, default_value = "3s", value_name = "DURATION")]
    pub timeout: String,
    /// CA bundle (PEM) for a TLS listener; enables TLS.
    #[arg(long, allow_hyphen_values = true, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Server name to verify with TLS.
    #[arg(long, allow_hyphen_values = true, default_value = "localhost", value_name = "NAME")]
    pub tls_domain: String,
    /// Client certificate (PEM) for mTLS; needs --tls-client-key.
    #[arg(long, allow_hyphen_values = true, value_name = "FILE")]
    pub tls_client_cert: Option<PathBuf>,
    /// Client key (PEM) for mTLS.
    #[arg(long, allow_hyphen_values = true, value_name = "FILE")]
    pub tls_client_key: Option<PathBuf>,
}

/// The connection settings, checked.
pub struct Target {
    pub addr: ListenAddr,
    pub timeout: Duration,
    pub tls: Option<ProbeTls>,
}

impl ClientArgs {
    /// Checks the flags and reads the TLS files.
    pub fn target(&self) -> Result<Target, String> {
        let addr = ListenAddr::parse(&self.target).map_err(|e| format!("--target: {e}"))?;
        let timeout = parse_duration(&self.timeout).map_err(|e| format!("--timeout: {e}"))?;
        let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        let tls = match &self.tls_ca {
            None => None,
            Some(ca) => {
                let ca_pem = read(ca)?;
                let identity = match (&self.tls_client_cert, &self.tls_client_key) {
                    (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
                    (None, None) => None,
                    _ => return Err("--tls-client-cert and --tls-client-key go together".into()),
                };
                Some(ProbeTls { ca_pem, domain: self.tls_domain.clone(), identity })
            }
        };
        Ok(Target { addr, timeout, tls })
    }
}

impl Target {
    /// Opens a channel within the deadline.
    pub async fn channel(&self) -> Result<Channel, String> {
        tokio::time::timeout(self.timeout, connect(&self.addr, self.tls.as_ref(), self.timeout))
            .await
            .map_err(|_| format!("connect to {}: timed out", self.addr))?
    }
}

/// Prints `error: {msg}` and returns exit code 2.
pub fn usage(msg: &str) -> ExitCode {
    eprintln_safe(&format!("error: {msg}"));
    ExitCode::from(EXIT_USAGE)
}

/// Prints `UNREACHABLE: {msg}` on stdout (what probes read) and returns exit code 3.
pub fn unreachable(msg: &str) -> ExitCode {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "UNREACHABLE: {msg}");
    ExitCode::from(EXIT_UNREACHABLE)
}

/// Writes a line to stderr, ignoring a closed stderr.
pub fn eprintln_safe(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Runs `f` on a single-threaded runtime.
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    Ok(runtime.block_on(f))
}
