//! `mdsd health`: a `grpc.health.v1` probe for container HEALTHCHECKs and Kubernetes exec
//! probes (works with loopback-only and Unix-socket listeners, which kubelet's own gRPC probe
//! cannot reach).
//!
//! Exit codes: 0 SERVING (with `--live`: any answer), 1 anything else (NOT_SERVING, unreachable,
//! timeout), 2 bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mdsd::daemon::config::{parse_duration, ListenAddr, DEFAULT_LISTEN};
use mdsd::daemon::probe::{check, ProbeTls};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The daemon's gRPC address: HOST:PORT or unix:PATH.
    #[arg(long, env = "MDSD_LISTEN", default_value = DEFAULT_LISTEN, value_name = "ADDR|unix:PATH")]
    pub target: String,
    /// Service to ask about: "" (the server) or mdsd.v1.AttestationService.
    #[arg(long, default_value = "")]
    pub service: String,
    /// Deadline for connecting and for the call.
    #[arg(long, default_value = "3s", value_name = "DURATION")]
    pub timeout: String,
    /// CA bundle (PEM) for a TLS listener; enables TLS.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Server name to verify with TLS.
    #[arg(long, default_value = "localhost")]
    pub tls_domain: String,
    /// Client certificate (PEM) for mTLS; needs --tls-client-key.
    #[arg(long, value_name = "FILE")]
    pub tls_client_cert: Option<PathBuf>,
    /// Client key (PEM) for mTLS.
    #[arg(long, value_name = "FILE")]
    pub tls_client_key: Option<PathBuf>,
    /// Liveness mode: exit 0 whenever the server answers, whatever the status (a daemon that
    /// is NOT_SERVING while it waits for metadata is alive and must not be restarted).
    #[arg(long)]
    pub live: bool,
}

pub fn health(args: &HealthArgs) -> ExitCode {
    let usage = |msg: String| {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
        ExitCode::from(2)
    };
    let target = match ListenAddr::parse(&args.target) {
        Ok(t) => t,
        Err(e) => return usage(format!("--target: {e}")),
    };
    let timeout = match parse_duration(&args.timeout) {
        Ok(t) => t,
        Err(e) => return usage(format!("--timeout: {e}")),
    };
    let tls = match &args.tls_ca {
        None => None,
        Some(ca) => {
            let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
            let ca_pem = match read(ca) {
                Ok(b) => b,
                Err(e) => return usage(e),
            };
            let identity = match (&args.tls_client_cert, &args.tls_client_key) {
                (Some(c), Some(k)) => match (read(c), read(k)) {
                    (Ok(c), Ok(k)) => Some((c, k)),
                    (Err(e), _) | (_, Err(e)) => return usage(e),
                },
                (None, None) => None,
                _ => return usage("--tls-client-cert and --tls-client-key go together".into()),
            };
            Some(ProbeTls { ca_pem, domain: args.tls_domain.clone(), identity })
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage(format!("runtime: {e}")),
    };
    let result = runtime.block_on(check(&target, &args.service, tls.as_ref(), timeout));
    let mut out = std::io::stdout().lock();
    use std::io::Write as _;
    match result {
        Ok(status) => {
            let _ = writeln!(out, "{}", status.as_str_name());
            if args.live
                || status == tonic_health::pb::health_check_response::ServingStatus::Serving
            {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            let _ = writeln!(out, "UNREACHABLE: {e}");
            ExitCode::from(1)
        }
    }
}
