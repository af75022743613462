//! Daemon configuration in two phases: [`RawConfig`] (TOML file, `MDSD_*` environment variables,
//! command-line flags; every field optional) → [`Config`] (checked, typed, files read), with every
//! error reported at once ([`ConfigErrors`]).
//!
//! Precedence: flag > environment variable > config file > built-in default. The environment
//! variables are read by clap together with the flags (each flag names its variable).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::admin::{AdminToken, DEFAULT_REFRESH_MIN_INTERVAL};
use super::files::{read_regular, Symlinks};
use crate::mds::{builtin_roots, DEFAULT_MAX_BLOB_BYTES};
use crate::policy::{PolicyConfig, PolicySet};
use crate::x509::{certs_from_pem_or_der, Crl, TrustAnchor};

/// The official MDS3 BLOB URL (the default source).
pub const DEFAULT_MDS_URL: &str = "https://mds.fidoalliance.org/";
/// Default gRPC listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
/// Default admin (metrics, probes) listen address: loopback only.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";
/// Default state directory (the persisted snapshot).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/mdsd";
/// Largest config file read.
const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;
/// Largest certificate / CRL / key file read.
const MAX_PEM_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest admin token file read.
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// Every setting, as given: each field is optional so sources can be layered. Field names are the
/// TOML keys; flags are the kebab-case forms; environment variables are `MDSD_` + upper case.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// gRPC listen address: `HOST:PORT` (TCP) or `unix:PATH` (Unix domain socket).
    /// Default 127.0.0.1:50051.
    #[arg(long, env = "MDSD_LISTEN", value_name = "ADDR|unix:PATH")]
    pub listen: Option<String>,
    /// Admin HTTP listen address (/metrics, /livez, /readyz): `HOST:PORT`, or `off`.
    /// Default 127.0.0.1:9464.
    #[arg(long, env = "MDSD_ADMIN_LISTEN", value_name = "ADDR|off")]
    pub admin_listen: Option<String>,
    /// File holding the secret bearer token that enables the admin control endpoint
    /// (POST /refresh). Without it control is disabled (403); /metrics and the probes never
    /// need a token.
    #[arg(long, env = "MDSD_ADMIN_TOKEN_FILE", value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Shortest time between two accepted POST /refresh (earlier ones get 429 with
    /// Retry-After). Duration. Default 10s.
    #[arg(long, env = "MDSD_ADMIN_REFRESH_MIN_INTERVAL", value_name = "DURATION")]
    pub admin_refresh_min_interval: Option<String>,
    /// TLS server certificate chain (PEM) for the gRPC listener; needs --tls-key.
    #[arg(long, env = "MDSD_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for --tls-cert.
    #[arg(long, env = "MDSD_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// CA bundle (PEM) client certificates must chain to (mTLS); needs --tls-cert.
    #[arg(long, env = "MDSD_TLS_CLIENT_CA", value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// Directory for the persisted snapshot (last accepted BLOB, its CRLs, the CRL cache).
    /// Default /var/lib/mdsd.
    #[arg(long, env = "MDSD_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where the BLOB comes from: an https:// or http:// URL, a file:// URL or a file path.
    /// Default https://mds.fidoalliance.org/.
    #[arg(long, env = "MDSD_MDS_URL", value_name = "URL|FILE")]
    pub mds_url: Option<String>,
    /// BLOB trust anchor (PEM or DER); repeatable. Replaces the built-in GlobalSign R3 and R46
    /// pins.
    #[arg(long = "mds-root", env = "MDSD_MDS_ROOTS", value_name = "FILE", value_delimiter = ',')]
    pub mds_roots: Vec<PathBuf>,
    /// CRL file (PEM or DER) for the BLOB signing chain; repeatable. Used beside fetched CRLs.
    #[arg(long = "crl-file", env = "MDSD_CRL_FILES", value_name = "FILE", value_delimiter = ',')]
    pub crl_files: Vec<PathBuf>,
    /// CRL mirror: an http(s) URL prefix or a directory; each CRL distribution point is looked
    /// up there by its last path segment instead of at its own URL.
    #[arg(long, env = "MDSD_CRL_MIRROR", value_name = "URL|DIR")]
    pub crl_mirror: Option<String>,
    /// Largest BLOB accepted, in bytes (downloads are cut off beyond it). Default 64 MiB.
    #[arg(long, env = "MDSD_MAX_BLOB_BYTES", value_name = "BYTES")]
    pub max_blob_bytes: Option<u64>,
    /// How long a BLOB past its nextUpdate keeps being served (flagged stale) before
    /// verification fails closed. Duration: `90s`, `30m`, `36h`, `7d`. Default 7d.
    #[arg(long, env = "MDSD_STALE_GRACE", value_name = "DURATION")]
    pub stale_grace: Option<String>,
    /// Longest time between two refreshes while all is well (conditional GETs are cheap).
    /// Default 24h.
    #[arg(long, env = "MDSD_REFRESH_INTERVAL", value_name = "DURATION")]
    pub refresh_interval: Option<String>,
    /// Refresh at the latest this long before nextUpdate. Default 2d.
    #[arg(long, env = "MDSD_REFRESH_BEFORE_NEXT_UPDATE", value_name = "DURATION")]
    pub refresh_before_next_update: Option<String>,
    /// First retry delay after a failed refresh (doubles per failure). Default 1m.
    #[arg(long, env = "MDSD_RETRY_MIN", value_name = "DURATION")]
    pub retry_min: Option<String>,
    /// Longest retry delay after failed refreshes. Default 6h.
    #[arg(long, env = "MDSD_RETRY_MAX", value_name = "DURATION")]
    pub retry_max: Option<String>,
    /// Random spread added to each refresh delay, in percent of the delay (0-50). Default 10.
    #[arg(long, env = "MDSD_REFRESH_JITTER_PERCENT", value_name = "PERCENT")]
    pub refresh_jitter_percent: Option<u8>,
    /// Timeout for a whole download (BLOB or CRL). Default 60s.
    #[arg(long, env = "MDSD_FETCH_TIMEOUT", value_name = "DURATION")]
    pub fetch_timeout: Option<String>,
    /// TCP/TLS connect timeout for downloads. Default 10s.
    #[arg(long, env = "MDSD_CONNECT_TIMEOUT", value_name = "DURATION")]
    pub connect_timeout: Option<String>,
    /// Extra CA bundle (PEM) for HTTPS downloads (a mirror behind a private CA). The built-in
    /// web PKI roots stay trusted. The BLOB's own signature is checked independently of TLS.
    #[arg(long, env = "MDSD_FETCH_CA_FILE", value_name = "FILE")]
    pub fetch_ca_file: Option<PathBuf>,
    /// Deadline for one gRPC call. Default 10s.
    #[arg(long, env = "MDSD_REQUEST_TIMEOUT", value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Largest gRPC request message, in bytes. Default 1 MiB.
    #[arg(long, env = "MDSD_MAX_REQUEST_BYTES", value_name = "BYTES")]
    pub max_request_bytes: Option<u64>,
    /// Extra attestation trust anchor (PEM or DER: Apple WebAuthn Root CA, Google hardware
    /// attestation roots, TPM vendor roots); repeatable.
    #[arg(
        long = "attestation-root",
        env = "MDSD_ATTESTATION_ROOTS",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub attestation_roots: Vec<PathBuf>,
    /// DANGER: accept the BLOB signing chain without any revocation checking.
    #[arg(long, env = "MDSD_DANGER_SKIP_REVOCATION", num_args = 0..=1, default_missing_value = "true")]
    pub danger_skip_revocation: Option<bool>,
    /// DANGER: keep serving a stale BLOB after the grace period instead of failing closed.
    #[arg(long, env = "MDSD_DANGER_SERVE_STALE", num_args = 0..=1, default_missing_value = "true")]
    pub danger_serve_stale: Option<bool>,
    /// Passkey profiles (TOML `[policy]` section only; see docs/policy.md). When set,
    /// VerifyRegistration also answers whether the passkey is allowed for the request's
    /// `user_groups`.
    #[arg(skip)]
    pub policy: Option<PolicyConfig>,
    /// The config file this came from (set by [`RawConfig::from_toml_file`]): watched and
    /// re-read for `[policy]` reloads (SIGHUP, file change).
    #[arg(skip)]
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
}

impl RawConfig {
    /// Reads a TOML config file (unknown keys are errors: a typo must not be silently ignored).
    pub fn from_toml_file(path: &Path) -> Result<RawConfig, ConfigErrors> {
        let text = read_capped(path, MAX_CONFIG_FILE_BYTES)
            .map_err(|e| ConfigErrors::one(format!("config file {}: {e}", path.display())))?;
        let text = String::from_utf8(text)
            .map_err(|_| ConfigErrors::one(format!("config file {}: not UTF-8", path.display())))?;
        let mut raw = RawConfig::from_toml_str(&text)
            .map_err(|e| ConfigErrors::one(format!("config file {}: {e}", path.display())))?;
        raw.config_file = Some(path.to_path_buf());
        Ok(raw)
    }

    /// Parses TOML text.
    pub fn from_toml_str(text: &str) -> Result<RawConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Layers `over` (flags and environment) on top of `self` (the file): a value set in `over`
    /// wins; lists set in `over` replace the file's lists.
    pub fn overlay(self, over: RawConfig) -> RawConfig {
        fn list<T>(base: Vec<T>, over: Vec<T>) -> Vec<T> {
            if over.is_empty() {
                base
            } else {
                over
            }
        }
        RawConfig {
            listen: over.listen.or(self.listen),
            admin_listen: over.admin_listen.or(self.admin_listen),
            admin_token_file: over.admin_token_file.or(self.admin_token_file),
            admin_refresh_min_interval: over
                .admin_refresh_min_interval
                .or(self.admin_refresh_min_interval),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            tls_client_ca: over.tls_client_ca.or(self.tls_client_ca),
            state_dir: over.state_dir.or(self.state_dir),
            mds_url: over.mds_url.or(self.mds_url),
            mds_roots: list(self.mds_roots, over.mds_roots),
            crl_files: list(self.crl_files, over.crl_files),
            crl_mirror: over.crl_mirror.or(self.crl_mirror),
            max_blob_bytes: over.max_blob_bytes.or(self.max_blob_bytes),
            stale_grace: over.stale_grace.or(self.stale_grace),
            refresh_interval: over.refresh_interval.or(self.refresh_interval),
            refresh_before_next_update: over
                .refresh_before_next_update
                .or(self.refresh_before_next_update),
            retry_min: over.retry_min.or(self.retry_min),
            retry_max: over.retry_max.or(self.retry_max),
            refresh_jitter_percent: over.refresh_jitter_percent.or(self.refresh_jitter_percent),
            fetch_timeout: over.fetch_timeout.or(self.fetch_timeout),
            connect_timeout: over.connect_timeout.or(self.connect_timeout),
            fetch_ca_file: over.fetch_ca_file.or(self.fetch_ca_file),
            request_timeout: over.request_timeout.or(self.request_timeout),
            max_request_bytes: over.max_request_bytes.or(self.max_request_bytes),
            attestation_roots: list(self.attestation_roots, over.attestation_roots),
            danger_skip_revocation: over.danger_skip_revocation.or(self.danger_skip_revocation),
            danger_serve_stale: over.danger_serve_stale.or(self.danger_serve_stale),
            policy: over.policy.or(self.policy),
            config_file: over.config_file.or(self.config_file),
        }
    }

    /// Checks every setting, reads the files named, and reports every problem at once.
    pub fn check(self) -> Result<Config, ConfigErrors> {
        let mut errs = Vec::new();

        let listen = ListenAddr::parse(self.listen.as_deref().unwrap_or(DEFAULT_LISTEN))
            .map_err(|e| errs.push(format!("listen: {e}")))
            .ok();
        let admin_listen = match self.admin_listen.as_deref().unwrap_or(DEFAULT_ADMIN_LISTEN) {
            "off" | "" => Some(None),
            s => s
                .parse::<SocketAddr>()
                .map(Some)
                .map_err(|e| errs.push(format!("admin_listen: {s:?} is not HOST:PORT ({e})")))
                .ok(),
        };

        let tls = check_tls(
            self.tls_cert.as_deref(),
            self.tls_key.as_deref(),
            self.tls_client_ca.as_deref(),
            &mut errs,
        );

        let state_dir = self.state_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
        if state_dir.as_os_str().is_empty() {
            errs.push("state_dir: empty path".to_string());
        }

        let source = BlobSource::parse(self.mds_url.as_deref().unwrap_or(DEFAULT_MDS_URL))
            .map_err(|e| errs.push(format!("mds_url: {e}")))
            .ok();

        let mut anchor_sources = Vec::new();
        let roots_builtin = self.mds_roots.is_empty();
        let roots = if roots_builtin {
            let roots = builtin_roots();
            if roots.is_empty() {
                errs.push("mds_roots: the built-in roots failed their pins".to_string());
            }
            roots
        } else {
            load_anchors(
                "mds_roots",
                MDS_ROOT_LABEL,
                &self.mds_roots,
                &mut anchor_sources,
                &mut errs,
            )
        };

        let crl_files = self
            .crl_files
            .iter()
            .filter_map(|path| match read_capped(path, MAX_PEM_FILE_BYTES) {
                Err(e) => {
                    errs.push(format!("crl_files: {}: {e}", path.display()));
                    None
                }
                Ok(bytes) => match Crl::from_pem_or_der(&bytes) {
                    Ok(crl) => Some(Arc::new(crl)),
                    Err(e) => {
                        errs.push(format!("crl_files: {}: {e}", path.display()));
                        None
                    }
                },
            })
            .collect();

        let crl_mirror = self.crl_mirror.as_deref().and_then(|s| {
            CrlMirror::parse(s).map_err(|e| errs.push(format!("crl_mirror: {e}"))).ok()
        });

        let max_blob_bytes = match self.max_blob_bytes {
            None => DEFAULT_MAX_BLOB_BYTES,
            Some(0) => {
                errs.push("max_blob_bytes: must be greater than 0".to_string());
                DEFAULT_MAX_BLOB_BYTES
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };

        let mut duration = |key: &str, value: Option<&str>, default: Duration| match value {
            None => default,
            Some(s) => parse_duration(s).unwrap_or_else(|e| {
                errs.push(format!("{key}: {e}"));
                default
            }),
        };
        let stale_grace =
            duration("stale_grace", self.stale_grace.as_deref(), Duration::from_secs(7 * DAY));
        let refresh = RefreshConfig {
            interval: duration(
                "refresh_interval",
                self.refresh_interval.as_deref(),
                Duration::from_secs(DAY),
            ),
            before_next_update: duration(
                "refresh_before_next_update",
                self.refresh_before_next_update.as_deref(),
                Duration::from_secs(2 * DAY),
            ),
            retry_min: duration("retry_min", self.retry_min.as_deref(), Duration::from_secs(60)),
            retry_max: duration(
                "retry_max",
                self.retry_max.as_deref(),
                Duration::from_secs(6 * 3600),
            ),
            jitter_percent: self.refresh_jitter_percent.unwrap_or(10),
        };
        let fetch_timeout =
            duration("fetch_timeout", self.fetch_timeout.as_deref(), Duration::from_secs(60));
        let connect_timeout =
            duration("connect_timeout", self.connect_timeout.as_deref(), Duration::from_secs(10));
        let request_timeout =
            duration("request_timeout", self.request_timeout.as_deref(), Duration::from_secs(10));
        let admin_refresh_min_interval = duration(
            "admin_refresh_min_interval",
            self.admin_refresh_min_interval.as_deref(),
            DEFAULT_REFRESH_MIN_INTERVAL,
        );

        if refresh.interval.is_zero() {
            errs.push("refresh_interval: must be greater than 0".to_string());
        }
        if refresh.retry_min.is_zero() {
            errs.push("retry_min: must be greater than 0".to_string());
        }
        if refresh.retry_min > refresh.retry_max {
            errs.push(format!(
                "retry_min ({}) is greater than retry_max ({})",
                format_duration(refresh.retry_min),
                format_duration(refresh.retry_max)
            ));
        }
        if refresh.jitter_percent > 50 {
            errs.push(format!(
                "refresh_jitter_percent: {} is more than 50",
                refresh.jitter_percent
            ));
        }
        for (key, d) in [
            ("fetch_timeout", fetch_timeout),
            ("connect_timeout", connect_timeout),
            ("request_timeout", request_timeout),
            ("admin_refresh_min_interval", admin_refresh_min_interval),
        ] {
            if d.is_zero() {
                errs.push(format!("{key}: must be greater than 0"));
            }
        }

        let fetch_ca_pem = self.fetch_ca_file.as_deref().and_then(|path| {
            match read_capped(path, MAX_PEM_FILE_BYTES) {
                Ok(pem) if certs_from_pem_or_der(&pem).is_ok() => Some(pem),
                Ok(_) => {
                    errs.push(format!("fetch_ca_file: {}: no PEM certificate", path.display()));
                    None
                }
                Err(e) => {
                    errs.push(format!("fetch_ca_file: {}: {e}", path.display()));
                    None
                }
            }
        });

        let admin_token = self.admin_token_file.as_deref().and_then(|path| {
            match read_capped(path, MAX_TOKEN_FILE_BYTES)
                .map_err(|e| e.to_string())
                .and_then(|bytes| AdminToken::from_file_contents(&bytes))
            {
                Ok(token) => Some(token),
                Err(e) => {
                    errs.push(format!("admin_token_file: {}: {e}", path.display()));
                    None
                }
            }
        });

        let max_request_bytes = match self.max_request_bytes {
            None => DEFAULT_MAX_REQUEST_BYTES,
            Some(n) if n < 1024 => {
                errs.push(format!("max_request_bytes: {n} is less than 1024"));
                DEFAULT_MAX_REQUEST_BYTES
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };

        let attestation_roots = load_anchors(
            "attestation_roots",
            ATTESTATION_ANCHOR_LABEL,
            &self.attestation_roots,
            &mut anchor_sources,
            &mut errs,
        );

        let policy = match self.policy.as_ref().map(PolicyConfig::build) {
            None => None,
            Some(Ok(set)) => Some(Arc::new(set)),
            Some(Err(e)) => {
                errs.extend(e.0.iter().map(|e| format!("policy: {e}")));
                None
            }
        };

        match (listen, admin_listen, source) {
            (Some(listen), Some(admin_listen), Some(source)) if errs.is_empty() => Ok(Config {
                listen,
                admin_listen,
                admin_control: AdminControl {
                    token: admin_token,
                    token_file: self.admin_token_file.clone(),
                    refresh_min_interval: admin_refresh_min_interval,
                },
                tls,
                state_dir,
                source,
                roots,
                roots_builtin,
                crl_files,
                crl_mirror,
                max_blob_bytes,
                stale_grace,
                refresh,
                fetch: FetchConfig {
                    timeout: fetch_timeout,
                    connect_timeout,
                    ca_pem: fetch_ca_pem,
                },
                grpc: GrpcLimits { request_timeout, max_request_bytes },
                attestation_roots,
                anchor_sources,
                policy,
                config_file: self.config_file.clone(),
                danger: Danger {
                    skip_revocation: self.danger_skip_revocation.unwrap_or(false),
                    serve_stale: self.danger_serve_stale.unwrap_or(false),
                },
            }),
            _ => Err(ConfigErrors { errors: errs }),
        }
    }
}

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
    pub source: BlobSource,
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
    /// Passkey profiles, checked; `None` when no `[policy]` section is configured.
    pub policy: Option<Arc<PolicySet>>,
    /// The config file read at start-up, if any: its `[policy]` section is reloaded on SIGHUP
    /// and when the file changes (see [`super::policy_reload`]).
    pub config_file: Option<PathBuf>,
    pub danger: Danger,
}

impl Config {
    /// The `danger_*` switches that are on, by name, for the start-up WARN log.
    pub fn dangers(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.danger.skip_revocation {
            on.push("danger_skip_revocation");
        }
        if self.danger.serve_stale {
            on.push("danger_serve_stale");
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
}

/// Every configuration problem found, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub errors: Vec<String>,
}

impl ConfigErrors {
    fn one(error: String) -> ConfigErrors {
        ConfigErrors { errors: vec![error] }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} configuration error(s):", self.errors.len())?;
        for e in &self.errors {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

const DAY: u64 = 24 * 3600;

/// Parses `90s`, `30m`, `36h`, `7d`, `1w` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("{s:?} is not a duration like 30s, 5m, 6h, 7d"))?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        "w" => 7 * DAY,
        other => return Err(format!("{s:?}: unknown unit {other:?} (use s, m, h, d, w)")),
    };
    n.checked_mul(scale).map(Duration::from_secs).ok_or_else(|| format!("{s:?} is too long"))
}

/// The shortest `parse_duration` form of `d` (whole seconds).
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    for (unit, scale) in [("w", 7 * DAY), ("d", DAY), ("h", 3600), ("m", 60)] {
        if s != 0 && s.is_multiple_of(scale) {
            return format!("{}{unit}", s / scale);
        }
    }
    format!("{s}s")
}

/// Reads an operator file (config, roots, CRLs, anchors, TLS material, the admin token):
/// regular files only, opened without blocking (a FIFO given by mistake would hang start-up),
/// refusing one larger than `max` bytes. Symbolic links are followed (Kubernetes mounts).
pub(crate) fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    Ok(read_regular(path, max, Symlinks::Follow)?)
}

/// Reads operator anchors. Their labels travel in answers (`anchor.label` of every gRPC
/// response, GetMetadataInfo), so they name the certificate, never the file:
/// `"<prefix>: <subject CN>"` (the whole subject when it has no CN). Where each came from is
/// recorded in `sources` for the start-up log only.
fn load_anchors(
    key: &'static str,
    prefix: &str,
    paths: &[PathBuf],
    sources: &mut Vec<AnchorSource>,
    errs: &mut Vec<String>,
) -> Vec<TrustAnchor> {
    let mut anchors = Vec::new();
    for path in paths {
        let certs = read_capped(path, MAX_PEM_FILE_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|bytes| certs_from_pem_or_der(&bytes).map_err(|e| e.to_string()));
        match certs {
            Ok(certs) => {
                for cert in certs {
                    let label = anchor_label(prefix, &cert);
                    sources.push(AnchorSource {
                        key,
                        label: label.clone(),
                        sha256: cert.sha256_hex(),
                        path: path.clone(),
                    });
                    anchors.push(TrustAnchor { label, cert: Arc::new(cert) });
                }
            }
            Err(e) => errs.push(format!("{key}: {}: {e}", path.display())),
        }
    }
    anchors
}

/// `"<prefix>: <CN>"`, or the whole subject without a CN, or the certificate's SHA-256 without
/// a subject.
fn anchor_label(prefix: &str, cert: &crate::x509::Cert) -> String {
    let common_name = x509_parser::parse_x509_certificate(cert.der()).ok().and_then(|(_, c)| {
        c.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string)
    });
    let name = match common_name {
        Some(cn) if !cn.trim().is_empty() => cn,
        _ if !cert.subject().trim().is_empty() => cert.subject().to_string(),
        _ => format!("sha256 {}", cert.sha256_hex()),
    };
    format!("{prefix}: {name}")
}

fn check_tls(
    cert: Option<&Path>,
    key: Option<&Path>,
    client_ca: Option<&Path>,
    errs: &mut Vec<String>,
) -> Option<TlsFiles> {
    let mut read = |name: &str, path: &Path| match read_capped(path, MAX_PEM_FILE_BYTES) {
        Ok(b) => Some(b),
        Err(e) => {
            errs.push(format!("{name}: {}: {e}", path.display()));
            None
        }
    };
    match (cert, key) {
        (None, None) => {
            if client_ca.is_some() {
                errs.push(
                    "tls_client_ca: needs tls_cert and tls_key (mTLS is on top of TLS)".into(),
                );
            }
            None
        }
        (Some(_), None) => {
            errs.push("tls_cert: needs tls_key".to_string());
            None
        }
        (None, Some(_)) => {
            errs.push("tls_key: needs tls_cert".to_string());
            None
        }
        (Some(cert), Some(key)) => {
            let cert_pem = read("tls_cert", cert);
            let key_pem = read("tls_key", key);
            let client_ca_pem = client_ca.map(|p| read("tls_client_ca", p));
            let (cert_pem, key_pem) = (cert_pem?, key_pem?);
            let client_ca_pem = match client_ca_pem {
                Some(None) => return None,
                Some(Some(pem)) => Some(pem),
                None => None,
            };
            Some(TlsFiles { cert_pem, key_pem, client_ca_pem })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(rel: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/")).join(rel)
    }

    #[test]
    fn defaults_are_loopback_official_url_builtin_roots() {
        let config = RawConfig::default().check().unwrap();
        assert_eq!(config.listen, ListenAddr::Tcp("127.0.0.1:50051".parse().unwrap()));
        assert_eq!(config.admin_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(config.source, BlobSource::Url(DEFAULT_MDS_URL.parse().unwrap()));
        assert!(config.roots_builtin);
        assert_eq!(config.roots.len(), 2);
        assert_eq!(config.max_blob_bytes, 64 * 1024 * 1024);
        assert_eq!(config.stale_grace, Duration::from_secs(7 * DAY));
        assert!(config.tls.is_none());
        assert!(config.dangers().is_empty());
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let raw = RawConfig {
            listen: Some("nowhere".into()),
            admin_listen: Some("also nowhere".into()),
            mds_url: Some("ftp://example.org/blob".into()),
            stale_grace: Some("7 fortnights".into()),
            retry_min: Some("2h".into()),
            retry_max: Some("1h".into()),
            refresh_jitter_percent: Some(80),
            tls_cert: Some("/nonexistent/cert.pem".into()),
            mds_roots: vec!["/nonexistent/root.pem".into()],
            max_blob_bytes: Some(0),
            ..RawConfig::default()
        };
        let errors = raw.check().unwrap_err().errors;
        let keys = [
            "listen:",
            "admin_listen:",
            "mds_url:",
            "stale_grace:",
            "retry_min (2h) is greater than retry_max (1h)",
            "refresh_jitter_percent:",
            "tls_cert: needs tls_key",
            "mds_roots: /nonexistent/root.pem",
            "max_blob_bytes:",
        ];
        for key in keys {
            assert!(errors.iter().any(|e| e.starts_with(key)), "{key} not in {errors:#?}");
        }
        assert_eq!(errors.len(), keys.len(), "{errors:#?}");
    }

    #[test]
    fn toml_file_then_flags_overlay() {
        let file = RawConfig::from_toml_str(
            r#"
            listen = "unix:/run/mdsd/mdsd.sock"
            admin_listen = "off"
            mds_url = "http://mirror.internal/mds.jwt"
            stale_grace = "36h"
            danger_serve_stale = true
            crl_files = []
            "#,
        )
        .unwrap();
        let flags = RawConfig { listen: Some("127.0.0.1:7000".into()), ..RawConfig::default() };
        let config = file.overlay(flags).check().unwrap();
        assert_eq!(config.listen, ListenAddr::Tcp("127.0.0.1:7000".parse().unwrap()));
        assert_eq!(config.admin_listen, None);
        assert_eq!(
            config.source,
            BlobSource::Url("http://mirror.internal/mds.jwt".parse().unwrap())
        );
        assert_eq!(config.stale_grace, Duration::from_secs(36 * 3600));
        assert_eq!(config.dangers(), ["danger_serve_stale"]);
    }

    #[test]
    fn unknown_toml_key_is_an_error() {
        let err = RawConfig::from_toml_str("listen_adress = \"127.0.0.1:1\"").unwrap_err();
        assert!(err.contains("listen_adress"), "{err}");
    }

    #[test]
    fn sources_parse() {
        assert_eq!(
            BlobSource::parse("/srv/mds.jwt").unwrap(),
            BlobSource::File("/srv/mds.jwt".into())
        );
        assert_eq!(
            BlobSource::parse("file:///srv/mds.jwt").unwrap(),
            BlobSource::File("/srv/mds.jwt".into())
        );
        assert!(BlobSource::parse("https://").is_err());
        assert!(BlobSource::parse("gopher://x/").is_err());
        assert_eq!(
            ListenAddr::parse("unix:/run/x.sock").unwrap(),
            ListenAddr::Unix("/run/x.sock".into())
        );
        assert!(ListenAddr::parse("unix:").is_err());
        let CrlMirror::Url(url) = CrlMirror::parse("http://m.internal/crls").unwrap() else {
            panic!("not a URL mirror")
        };
        assert_eq!(url.join("root-r3.crl").unwrap().as_str(), "http://m.internal/crls/root-r3.crl");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * DAY));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("99999999999999999999w").is_err());
        assert_eq!(format_duration(Duration::from_secs(36 * 3600)), "36h");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
    }

    #[test]
    fn tls_needs_both_files_and_mtls_needs_tls() {
        let errors = RawConfig { tls_client_ca: Some("/x/ca.pem".into()), ..RawConfig::default() }
            .check()
            .unwrap_err()
            .errors;
        assert!(
            errors.iter().any(|e| e.starts_with("tls_client_ca: needs tls_cert")),
            "{errors:?}"
        );
        let errors = RawConfig { tls_key: Some("/x/key.pem".into()), ..RawConfig::default() }
            .check()
            .unwrap_err()
            .errors;
        assert_eq!(errors, ["tls_key: needs tls_cert"]);
    }

    #[test]
    fn roots_and_crls_from_files_replace_builtin() {
        let raw = RawConfig {
            mds_roots: vec![testdata("blobs/webauthn4j__root-r3.crt")],
            crl_files: vec![
                testdata("blobs/webauthn4j__root-r3.crl"),
                testdata("blobs/webauthn4j__gsextendvalsha2g3r3.crl"),
            ],
            attestation_roots: vec![testdata("blobs/webauthn-framework__MDS3ROOT.crt")],
            ..RawConfig::default()
        };
        let config = raw.check().unwrap();
        assert!(!config.roots_builtin);
        assert_eq!(config.roots.len(), 1);
        assert_eq!(config.roots[0].cert.sha256_hex(), crate::mds::GLOBALSIGN_ROOT_R3_SHA256);
        assert_eq!(config.crl_files.len(), 2);
        assert_eq!(config.attestation_roots.len(), 1);
    }

    /// Operator anchor labels go into every gRPC answer that names an anchor: they carry the
    /// certificate's name, never the file it was read from (that is only logged at start-up,
    /// from `anchor_sources`).
    #[test]
    fn operator_anchor_labels_name_the_certificate_not_the_file() {
        let mds_root = testdata("blobs/webauthn4j__root-r3.crt");
        let attestation_root =
            testdata("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
        let raw = RawConfig {
            mds_roots: vec![mds_root.clone()],
            attestation_roots: vec![attestation_root.clone()],
            ..RawConfig::default()
        };
        let config = raw.check().unwrap();
        assert_eq!(config.roots[0].label, "operator MDS root: GlobalSign");
        assert_eq!(config.attestation_roots[0].label, "operator anchor: WebAuthn test vectors");
        for anchor in config.roots.iter().chain(&config.attestation_roots) {
            for part in ["testdata", "webauthn4j__root-r3", "w3c_webauthn", "/", ".crt", ".der"] {
                assert!(!anchor.label.contains(part), "{:?} names its file", anchor.label);
            }
        }
        let sources: Vec<_> =
            config.anchor_sources.iter().map(|s| (s.key, s.path.clone())).collect();
        assert_eq!(sources, [("mds_roots", mds_root), ("attestation_roots", attestation_root)]);
        assert_eq!(config.anchor_sources[1].sha256, config.attestation_roots[0].cert.sha256_hex());
    }

    #[test]
    fn a_crl_that_is_not_a_crl_is_an_error() {
        let raw = RawConfig {
            crl_files: vec![testdata("blobs/webauthn4j__root-r3.crt")],
            ..RawConfig::default()
        };
        let errors = raw.check().unwrap_err().errors;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("crl_files:"), "{errors:?}");
    }

    /// A FIFO named as an operator file (roots, CRLs, anchors, TLS material, the fetch CA,
    /// the config file itself) is reported at once as a configuration error naming its type;
    /// reading it used to block start-up for ever, without a log line.
    #[test]
    fn fifo_operator_files_are_refused_at_once() {
        use crate::daemon::files::test_support::{mkfifo, within_10s};
        let dir = std::env::temp_dir().join(format!("mdsd-config-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        mkfifo(&fifo);
        let raw = RawConfig {
            mds_roots: vec![fifo.clone()],
            crl_files: vec![fifo.clone()],
            attestation_roots: vec![fifo.clone()],
            tls_cert: Some(fifo.clone()),
            tls_key: Some(fifo.clone()),
            fetch_ca_file: Some(fifo.clone()),
            admin_token_file: Some(fifo.clone()),
            ..RawConfig::default()
        };
        let errors = within_10s(move || raw.check()).unwrap_err().errors;
        let keys = [
            "mds_roots:",
            "crl_files:",
            "attestation_roots:",
            "tls_cert:",
            "tls_key:",
            "fetch_ca_file:",
            "admin_token_file:",
        ];
        for key in keys {
            assert!(
                errors.iter().any(|e| e.starts_with(key) && e.contains("is a FIFO (named pipe)")),
                "{key} not in {errors:#?}"
            );
        }
        assert_eq!(errors.len(), keys.len(), "{errors:#?}");
        let path = fifo.clone();
        let err = within_10s(move || RawConfig::from_toml_file(&path)).unwrap_err();
        assert!(err.errors[0].contains("is a FIFO (named pipe)"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Control is off by default; a token file turns it on, and a bad one (missing, too short,
    /// not a header value) is a configuration error, as is a zero interval.
    #[test]
    fn admin_token_file_and_refresh_interval() {
        let config = RawConfig::default().check().unwrap();
        assert!(config.admin_control.token.is_none());
        assert_eq!(config.admin_control.refresh_min_interval, Duration::from_secs(10));

        let dir = std::env::temp_dir().join(format!("mdsd-config-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(&good, "0123456789abcdef0123456789abcdef\n").unwrap();
        let raw = RawConfig::from_toml_str(&format!(
            "admin_token_file = \"{}\"\nadmin_refresh_min_interval = \"30s\"",
            good.display()
        ))
        .unwrap();
        let config = raw.check().unwrap();
        let token = config.admin_control.token.as_ref().unwrap();
        assert!(token.matches(b"0123456789abcdef0123456789abcdef"));
        assert_eq!(config.admin_control.refresh_min_interval, Duration::from_secs(30));
        assert_eq!(config.admin_control.token_file.as_deref(), Some(good.as_path()));
        assert!(!format!("{config:?}").contains("0123456789abcdef"), "token in Debug output");

        let short = dir.join("short");
        std::fs::write(&short, "secret\n").unwrap();
        for (path, expected) in [(&short, "fewer than 16"), (&dir.join("missing"), "No such file")]
        {
            let raw = RawConfig {
                admin_token_file: Some(path.clone()),
                admin_refresh_min_interval: Some("0s".into()),
                ..RawConfig::default()
            };
            let errors = raw.check().unwrap_err().errors;
            assert!(
                errors.iter().any(|e| e.starts_with("admin_token_file:") && e.contains(expected)),
                "{errors:?}"
            );
            assert!(
                errors.iter().any(|e| e == "admin_refresh_min_interval: must be greater than 0"),
                "{errors:?}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The shipped example must stay valid: every key known, every value checked (file paths
    /// are all commented out or empty there).
    #[test]
    fn config_example_toml_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
        let raw = RawConfig::from_toml_file(Path::new(path)).unwrap();
        assert_eq!(raw.listen.as_deref(), Some(DEFAULT_LISTEN));
        let config = raw.check().unwrap();
        assert_eq!(config.refresh.interval, Duration::from_secs(DAY));
    }

    #[test]
    fn policy_section_is_checked_with_everything_else() {
        let raw = RawConfig::from_toml_str(
            r#"
            listen = "127.0.0.1:7001"
            [[policy.profiles]]
            name = "privileged"
            include_groups = ["admins"]
            attestation_enforcement = "registration_only"
            passkey_types = ["device_bound"]
            "#,
        )
        .unwrap();
        let config = raw.check().unwrap();
        assert_eq!(config.policy.unwrap().profiles().len(), 1);

        let raw = RawConfig::from_toml_str(
            r#"
            listen = "nowhere"
            [[policy.profiles]]
            name = "broken"
            passkey_types = ["teleported"]
            "#,
        )
        .unwrap();
        let errors = raw.check().unwrap_err().errors;
        assert!(errors.iter().any(|e| e.starts_with("listen:")), "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("policy:")), "{errors:?}");
        assert!(RawConfig::from_toml_str("[policy]\nprofils = []").is_err());
    }
}
