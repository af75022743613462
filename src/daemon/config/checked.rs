//! The checked configuration ([`Config`]) and its parts: typed, files already read. Built only
//! by [`RawConfig::check`](super::RawConfig::check).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::super::admin::AdminToken;
use crate::policy::PolicySet;
use crate::x509::{Crl, TrustAnchor};

/// Default largest gRPC request: 1 MiB (an attestationObject is at most 64 KiB by default).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: ListenAddr,
    /// `None`: no admin listener.
    pub admin_listen: Option<SocketAddr>,
    /// The admin control routes (POST /refresh): enabled by a token.
    pub admin_control: AdminControl,
    /// `None`: plaintext gRPC (fine on loopback and Unix sockets).
    pub tls: Option<TlsFiles>,
    pub state_dir: PathBuf,
    /// Where the BLOB is obtained, tried in order within each refresh (never empty).
    pub sources: Vec<BlobSource>,
    /// `Some`: publish the verified BLOB and its CRLs on this plain-HTTP listener (mirror role).
    pub mirror_listen: Option<SocketAddr>,
    /// BLOB trust anchors (MDS3 §3.2 step 1).
    pub roots: Vec<TrustAnchor>,
    /// True when `roots` are the built-in pins.
    pub roots_builtin: bool,
    /// Operator-supplied CRLs, used beside fetched ones.
    pub crl_files: Vec<Arc<Crl>>,
    pub crl_mirror: Option<CrlMirror>,
    pub max_blob_bytes: usize,
    pub stale_grace: Duration,
    pub refresh: RefreshConfig,
    pub fetch: FetchConfig,
    pub grpc: GrpcLimits,
    /// Operator attestation anchors for the verifier (Apple, Google, TPM vendors).
    pub attestation_roots: Vec<TrustAnchor>,
    /// Which file each operator anchor (`mds_roots`, `attestation_roots`) came from: for the
    /// start-up log only (the labels in answers never name files).
    pub anchor_sources: Vec<AnchorSource>,
    /// The configured `metadata_statements` paths (re-read on SIGHUP).
    pub metadata_statements: Vec<PathBuf>,
    /// The statements read from them at start-up, checked.
    pub statements: Vec<crate::mds::LocalStatement>,
    /// Where passkey-provider names are re-read on every refresh round; `None`: the bundled
    /// list only.
    pub passkey_providers: Option<BlobSource>,
    /// SHA-256 (lowercase hex) of the legalHeader the operator accepted; `None`: not checked.
    pub accepted_legal_header_sha256: Option<String>,
    /// Further BLOB sources (`[[blob_source]]`), in configuration order: each verified on its
    /// own against its own roots; their entries are served after the MDS BLOB's own.
    pub blob_sources: Vec<super::ExtraBlobSource>,
    /// Passkey profiles, checked; `None` when no `[policy]` section is configured.
    pub policy: Option<Arc<PolicySet>>,
    /// The config file read at start-up, if any: its `[policy]` section is reloaded on SIGHUP
    /// and when the file changes (see [`super::policy_reload`]).
    pub config_file: Option<PathBuf>,
    pub danger: Danger,
}

impl Config {
    /// The state directory of further BLOB source `name`: `state_dir/sources/<name>` (its
    /// snapshot, CRL cache and so its rollback floor).
    pub fn blob_source_state_dir(&self, name: &str) -> PathBuf {
        self.state_dir.join("sources").join(name)
    }

    /// The `danger_*` switches that are on, by name, for the start-up WARN log.
    pub fn dangers(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.danger.skip_revocation {
            on.push("danger_skip_revocation");
        }
        if self.danger.serve_stale {
            on.push("danger_serve_stale");
        }
        if self.danger.clock.is_some() {
            on.push("danger_clock");
        }
        on
    }
}

/// Label prefix of the operator's BLOB trust anchors (`mds_roots`).
pub const MDS_ROOT_LABEL: &str = "operator MDS root";
/// Label prefix of the operator's attestation anchors (`attestation_roots`).
pub const ATTESTATION_ANCHOR_LABEL: &str = "operator anchor";

/// Where an operator anchor came from (logged at start-up, never answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorSource {
    /// The setting: `mds_roots` or `attestation_roots`.
    pub key: &'static str,
    /// The label it is answered with.
    pub label: String,
    /// SHA-256 of the certificate, hex.
    pub sha256: String,
    pub path: PathBuf,
}

/// The admin endpoint's control part (see [`super::admin`]).
#[derive(Debug, Clone)]
pub struct AdminControl {
    /// `None`: control disabled (every control request answers 403).
    pub token: Option<AdminToken>,
    /// Where the token was read from (for the start-up log; the token itself is never logged).
    pub token_file: Option<PathBuf>,
    /// At most one accepted trigger per this interval.
    pub refresh_min_interval: Duration,
}

/// Where the gRPC server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Tcp(SocketAddr),
    /// A Unix domain socket path (sidecar deployments).
    Unix(PathBuf),
}

impl ListenAddr {
    /// `HOST:PORT` or `unix:PATH`.
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a socket path".to_string());
            }
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        s.parse::<SocketAddr>()
            .map(ListenAddr::Tcp)
            .map_err(|e| format!("{s:?} is neither HOST:PORT nor unix:PATH ({e})"))
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(addr) => write!(f, "{addr}"),
            ListenAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// TLS material for the gRPC listener, read at start-up.
#[derive(Clone)]
pub struct TlsFiles {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// Present: clients must present a certificate chaining to this bundle (mTLS).
    pub client_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the private key.
        f.debug_struct("TlsFiles")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .field("mtls", &self.client_ca_pem.is_some())
            .finish()
    }
}

/// Where the BLOB is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSource {
    /// An http(s) URL (the official MDS or a mirror).
    Url(reqwest::Url),
    /// A local file (air-gapped sites; updated by some other process).
    File(PathBuf),
}

impl BlobSource {
    /// `https://…`, `http://…`, `file://…` or a plain path.
    pub fn parse(s: &str) -> Result<BlobSource, String> {
        if s.is_empty() {
            return Err("empty".to_string());
        }
        if s.contains("://") {
            let url = reqwest::Url::parse(s).map_err(|e| format!("{s:?}: {e}"))?;
            return match url.scheme() {
                "https" | "http" if url.host_str().is_some() => Ok(BlobSource::Url(url)),
                "https" | "http" => Err(format!("{s:?}: no host")),
                "file" => url
                    .to_file_path()
                    .map(BlobSource::File)
                    .map_err(|()| format!("{s:?}: not a local file URL")),
                other => Err(format!("{s:?}: scheme {other} is not https, http or file")),
            };
        }
        Ok(BlobSource::File(PathBuf::from(s)))
    }
}

impl BlobSource {
    /// A label for logs and metrics that names no credentials: `host[:port]` of a URL (never its
    /// path, query or user info), `file` for a local path.
    pub fn host_label(&self) -> String {
        match self {
            BlobSource::Url(url) => match (url.host_str(), url.port()) {
                (Some(host), Some(port)) => format!("{host}:{port}"),
                (Some(host), None) => host.to_string(),
                (None, _) => "unknown".to_string(),
            },
            BlobSource::File(_) => "file".to_string(),
        }
    }
}

impl fmt::Display for BlobSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobSource::Url(url) => write!(f, "{url}"),
            BlobSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Where CRLs are looked up instead of their distribution point URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrlMirror {
    /// URL prefix; the distribution point's last path segment is appended.
    Url(reqwest::Url),
    /// Directory; the distribution point's last path segment is the file name.
    Dir(PathBuf),
}

impl CrlMirror {
    pub fn parse(s: &str) -> Result<CrlMirror, String> {
        match BlobSource::parse(s)? {
            BlobSource::Url(mut url) => {
                // Make the prefix a "directory" so `join` appends instead of replacing.
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(CrlMirror::Url(url))
            }
            BlobSource::File(path) => Ok(CrlMirror::Dir(path)),
        }
    }
}

/// Refresh schedule settings (see [`super::refresh::next_refresh`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshConfig {
    /// Longest time between refreshes while all is well.
    pub interval: Duration,
    /// Refresh at the latest this long before nextUpdate.
    pub before_next_update: Duration,
    /// First retry delay after a failure.
    pub retry_min: Duration,
    /// Cap on the retry delay.
    pub retry_max: Duration,
    /// Random spread added to each delay, in percent of it.
    pub jitter_percent: u8,
}

/// Download settings.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra PEM roots for HTTPS.
    pub ca_pem: Option<Vec<u8>>,
}

/// gRPC server limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrpcLimits {
    pub request_timeout: Duration,
    pub max_request_bytes: usize,
}

/// Risky switches; each one that is on is logged at WARN at start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Danger {
    pub skip_revocation: bool,
    pub serve_stale: bool,
    /// `danger_clock`: every judgement is made at this instant instead of the system clock
    /// (only with a local-file BLOB source; WARN on every refresh).
    pub clock: Option<time::OffsetDateTime>,
}
