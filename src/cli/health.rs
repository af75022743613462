//! `mdsd health`: a `grpc.health.v1` probe for container HEALTHCHECKs and Kubernetes exec
//! probes (works with loopback-only and Unix-socket listeners, which kubelet's own gRPC probe
//! cannot reach).
//!
//! Exit codes: 0 SERVING (with `--live`: any answer), 1 the daemon answered NOT_SERVING (or
//! another status), 2 bad arguments, 3 unreachable (nothing listening, TLS failure, timeout).

use std::process::ExitCode;

use clap::Args;
use mdsd::daemon::probe::check;
use tonic_health::pb::health_check_response::ServingStatus;

use super::client::{block_on, unreachable, usage, ClientArgs};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Service to ask about: "" (the server) or mdsd.v1.AttestationService.
    #[arg(long, allow_hyphen_values = true, default_value = "", value_name = "SERVICE")]
    pub service: String,
    /// Liveness mode: exit 0 whenever the server answers, whatever the status (a daemon that
    /// is NOT_SERVING while it waits for metadata is alive and must not be restarted).
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

pub fn health(args: &HealthArgs) -> ExitCode {
    let target = match args.client.target() {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let result = block_on(check(&target.addr, &args.service, target.tls.as_ref(), target.timeout));
    let result = match result {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    use std::io::Write as _;
    match result {
        Ok(status) => {
            let _ = writeln!(std::io::stdout().lock(), "{}", status.as_str_name());
            if args.live || status == ServingStatus::Serving {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => unreachable(&e),
    }
}
