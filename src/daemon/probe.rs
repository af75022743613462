//! A `grpc.health.v1` client for probes (`mdsd health`): container HEALTHCHECK and Kubernetes
//! exec probes, over TCP (optionally TLS/mTLS) or a Unix socket, with a deadline.

use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Uri};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::config::ListenAddr;

/// TLS settings for the probe.
#[derive(Debug, Clone, Default)]
pub struct ProbeTls {
    /// CA bundle (PEM) the server certificate must chain to.
    pub ca_pem: Vec<u8>,
    /// Name to check the server certificate against.
    pub domain: String,
    /// Client certificate and key (PEM) for mTLS.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

/// Asks the server at `target` for the health of `service` ("" = the whole server).
pub async fn check(
    target: &ListenAddr,
    service: &str,
    tls: Option<&ProbeTls>,
    timeout: Duration,
) -> Result<ServingStatus, String> {
    let channel = tokio::time::timeout(timeout, connect(target, tls, timeout))
        .await
        .map_err(|_| format!("connect to {target}: timed out after {timeout:?}"))??;
    let mut client = HealthClient::new(channel);
    let request = HealthCheckRequest { service: service.to_string() };
    let response = tokio::time::timeout(timeout, client.check(request))
        .await
        .map_err(|_| format!("health check: timed out after {timeout:?}"))?
        .map_err(|s| format!("health check: {} {}", s.code(), s.message()))?;
    ServingStatus::try_from(response.into_inner().status)
        .map_err(|e| format!("health check: unknown status: {e}"))
}

/// Opens a channel to the daemon at `target` (TCP, optionally TLS/mTLS, or a Unix socket).
pub async fn connect(
    target: &ListenAddr,
    tls: Option<&ProbeTls>,
    timeout: Duration,
) -> Result<Channel, String> {
    match target {
        ListenAddr::Tcp(addr) => {
            let scheme = if tls.is_some() { "https" } else { "http" };
            let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
                .map_err(|e| e.to_string())?
                .connect_timeout(timeout)
                .timeout(timeout);
            if let Some(tls) = tls {
                let mut config = ClientTlsConfig::new()
                    .ca_certificate(Certificate::from_pem(&tls.ca_pem))
                    .domain_name(tls.domain.clone());
                if let Some((cert, key)) = &tls.identity {
                    config = config.identity(Identity::from_pem(cert, key));
                }
                endpoint = endpoint.tls_config(config).map_err(|e| format!("TLS: {e}"))?;
            }
            endpoint.connect().await.map_err(|e| format!("connect to {addr}: {e}"))
        }
        ListenAddr::Unix(path) => {
            let path = path.clone();
            // The URI is required by the API but unused by the Unix connector.
            Endpoint::from_static("http://localhost")
                .timeout(timeout)
                .connect_with_connector(unix_connector(path))
                .await
                .map_err(|e| format!("connect to {target}: {e}"))
        }
    }
}

/// A connector that ignores the URI and dials the Unix socket at `path`.
fn unix_connector(
    path: std::path::PathBuf,
) -> impl tower::Service<
    Uri,
    Response = hyper_util::rt::TokioIo<tokio::net::UnixStream>,
    Error = std::io::Error,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |_: Uri| {
        let path = path.clone();
        async move { Ok(hyper_util::rt::TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
    })
}
