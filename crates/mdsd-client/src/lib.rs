//! Rust client for mdsd: one method per RPC of `proto/mdsd/v1/mdsd.proto`, with the names,
//! defaults and error model of the Python and Node clients (docs/integrate.md, "Client
//! packages"): target `127.0.0.1:50051` (or `unix:PATH`), 10 s per call, failures as
//! [`MdsdError`] with the gRPC code, the google.rpc.ErrorInfo `reason` and the BadRequest field
//! violations. A REJECTED attestation is a normal response.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use mdsd_client::{proto, Client};
//! let mut mdsd = Client::connect("127.0.0.1:50051").await?;
//! let answer = mdsd
//!     .verify_registration(proto::VerifyRegistrationRequest {
//!         attestation_object: vec![/* … */],
//!         client_data_json: vec![/* … */],
//!         rp_id: "example.org".into(),
//!         origins: vec!["https://example.org".into()],
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("{:?} {:?}", answer.verdict(), answer.reasons);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Uri};
use tonic_types::StatusExt;

/// The generated `mdsd.v1` messages and tonic client.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("mdsd.v1");
}

use proto::attestation_service_client::AttestationServiceClient;

/// Where mdsd listens by default (docs/config.md `listen`).
pub const DEFAULT_TARGET: &str = "127.0.0.1:50051";
/// Per-call deadline unless [`Options::timeout`] says otherwise (the daemon's own default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS for the channel: the server is verified against `ca_pem`; `identity` (certificate chain
/// and key, PEM) adds a client certificate (mTLS); `server_name` overrides the name checked
/// in the server certificate (e.g. "localhost" when dialling an IP).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub ca_pem: Vec<u8>,
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    pub server_name: Option<String>,
}

/// Connection options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Per-call deadline ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// TLS; `None` for plaintext (loopback, Unix sockets).
    pub tls: Option<Tls>,
}

impl Default for Options {
    fn default() -> Options {
        Options { timeout: DEFAULT_TIMEOUT, tls: None }
    }
}

/// A failed RPC (or a failed connection: code UNAVAILABLE, no reason).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code_name}{}: {message}", if reason.is_empty() { String::new() } else { format!(" [{reason}]") })]
pub struct MdsdError {
    /// The gRPC status code.
    pub code: tonic::Code,
    /// Its canonical name ("INVALID_ARGUMENT"), as the other clients print it.
    pub code_name: &'static str,
    /// The status message, for people.
    pub message: String,
    /// google.rpc.ErrorInfo.reason: the stable code to branch on; empty without ErrorInfo.
    pub reason: String,
    /// ErrorInfo.domain ("mdsd.dev").
    pub domain: String,
    /// ErrorInfo.metadata.
    pub metadata: HashMap<String, String>,
    /// google.rpc.BadRequest field violations: (field, description).
    pub field_violations: Vec<(String, String)>,
}

impl From<tonic::Status> for MdsdError {
    fn from(status: tonic::Status) -> MdsdError {
        let details = status.get_error_details();
        let (reason, domain, metadata) = match details.error_info() {
            Some(info) => (info.reason.clone(), info.domain.clone(), info.metadata.clone()),
            None => Default::default(),
        };
        let field_violations = details
            .bad_request()
            .map(|b| {
                b.field_violations
                    .iter()
                    .map(|v| (v.field.clone(), v.description.clone()))
                    .collect()
            })
            .unwrap_or_default();
        MdsdError {
            code: status.code(),
            code_name: code_name(status.code()),
            message: status.message().to_string(),
            reason,
            domain,
            metadata,
            field_violations,
        }
    }
}

impl MdsdError {
    fn connect(target: &str, e: impl std::fmt::Display) -> MdsdError {
        MdsdError {
            code: tonic::Code::Unavailable,
            code_name: "UNAVAILABLE",
            message: format!("connect to {target}: {e}"),
            reason: String::new(),
            domain: String::new(),
            metadata: HashMap::new(),
            field_violations: Vec::new(),
        }
    }
}

/// The canonical upper-case name of a gRPC code.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The client: cheap to clone (one HTTP/2 connection shared).
#[derive(Debug, Clone)]
pub struct Client {
    inner: AttestationServiceClient<Channel>,
    timeout: Duration,
}

impl Client {
    /// Connects to `target` (HOST:PORT or unix:PATH) with the default [`Options`].
    pub async fn connect(target: &str) -> Result<Client, MdsdError> {
        Client::connect_with(target, Options::default()).await
    }

    /// Connects with `options`.
    pub async fn connect_with(target: &str, options: Options) -> Result<Client, MdsdError> {
        let channel = if let Some(path) = target.strip_prefix("unix:") {
            if options.tls.is_some() {
                return Err(MdsdError::connect(target, "TLS over a unix: socket is not supported"));
            }
            // The URI is required by the API but unused by the Unix connector.
            Endpoint::from_static("http://localhost")
                .connect_with_connector(unix_connector(path.into()))
                .await
                .map_err(|e| MdsdError::connect(target, e))?
        } else {
            let scheme = if options.tls.is_some() { "https" } else { "http" };
            let mut endpoint = Endpoint::from_shared(format!("{scheme}://{target}"))
                .map_err(|e| MdsdError::connect(target, e))?;
            if let Some(tls) = &options.tls {
                let mut config =
                    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
                if let Some((cert, key)) = &tls.identity {
                    config = config.identity(Identity::from_pem(cert, key));
                }
                if let Some(name) = &tls.server_name {
                    config = config.domain_name(name.clone());
                }
                endpoint =
                    endpoint.tls_config(config).map_err(|e| MdsdError::connect(target, e))?;
            }
            endpoint.connect().await.map_err(|e| MdsdError::connect(target, e))?
        };
        Ok(Client { inner: AttestationServiceClient::new(channel), timeout: options.timeout })
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }

    /// VerifyRegistration.
    pub async fn verify_registration(
        &mut self,
        request: proto::VerifyRegistrationRequest,
    ) -> Result<proto::VerifyRegistrationResponse, MdsdError> {
        let r = self.request(request);
        Ok(self.inner.verify_registration(r).await?.into_inner())
    }

    /// ValidateAttestationChain.
    pub async fn validate_attestation_chain(
        &mut self,
        request: proto::ValidateAttestationChainRequest,
    ) -> Result<proto::ValidateAttestationChainResponse, MdsdError> {
        let r = self.request(request);
        Ok(self.inner.validate_attestation_chain(r).await?.into_inner())
    }

    /// GetAuthenticator by one key.
    pub async fn get_authenticator(
        &mut self,
        key: proto::get_authenticator_request::Key,
    ) -> Result<proto::GetAuthenticatorResponse, MdsdError> {
        let r = self.request(proto::GetAuthenticatorRequest { key: Some(key) });
        Ok(self.inner.get_authenticator(r).await?.into_inner())
    }

    /// ListAuthenticators.
    pub async fn list_authenticators(
        &mut self,
        request: proto::ListAuthenticatorsRequest,
    ) -> Result<proto::ListAuthenticatorsResponse, MdsdError> {
        let r = self.request(request);
        Ok(self.inner.list_authenticators(r).await?.into_inner())
    }

    /// GetMetadataInfo.
    pub async fn get_metadata_info(&mut self) -> Result<proto::GetMetadataInfoResponse, MdsdError> {
        let r = self.request(proto::GetMetadataInfoRequest {});
        Ok(self.inner.get_metadata_info(r).await?.into_inner())
    }

    /// EvaluateAuthentication.
    pub async fn evaluate_authentication(
        &mut self,
        request: proto::EvaluateAuthenticationRequest,
    ) -> Result<proto::EvaluateAuthenticationResponse, MdsdError> {
        let r = self.request(request);
        Ok(self.inner.evaluate_authentication(r).await?.into_inner())
    }

    /// CheckCredentials.
    pub async fn check_credentials(
        &mut self,
        request: proto::CheckCredentialsRequest,
    ) -> Result<proto::CheckCredentialsResponse, MdsdError> {
        let r = self.request(request);
        Ok(self.inner.check_credentials(r).await?.into_inner())
    }

    /// WatchStatusChanges: the stream of events (no deadline: it runs until dropped), the
    /// retained ones of BLOBs newer than `since_no` first.
    pub async fn watch_status_changes(
        &mut self,
        since_no: Option<u64>,
    ) -> Result<tonic::Streaming<proto::StatusChangeEvent>, MdsdError> {
        let request = proto::WatchStatusChangesRequest { since_no, since_sequence: None };
        Ok(self.inner.watch_status_changes(request).await?.into_inner())
    }

    /// WatchStatusChanges resumed after the event with `sequence` (the last one processed):
    /// the retained events after it first, then live ones.
    pub async fn watch_status_changes_since_sequence(
        &mut self,
        sequence: u64,
    ) -> Result<tonic::Streaming<proto::StatusChangeEvent>, MdsdError> {
        let request =
            proto::WatchStatusChangesRequest { since_no: None, since_sequence: Some(sequence) };
        Ok(self.inner.watch_status_changes(request).await?.into_inner())
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
