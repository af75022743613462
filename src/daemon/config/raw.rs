//! Raw settings, as given by the three sources: the TOML file ([`RawConfig::from_toml_file`]),
//! `MDSD_*` environment variables and command-line flags (both read by clap through the
//! attributes below: each flag names its variable). Every field is optional so the sources can
//! be layered ([`RawConfig::overlay`]); nothing is checked here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::files::{read_capped, MAX_CONFIG_FILE_BYTES};
use super::ConfigErrors;
use crate::policy::PolicyConfig;

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
    /// Passkey-provider display names (the community AAGUID list's format): a file path, a
    /// file:// or an https:// URL, read again on every refresh round. Default: the list bundled
    /// with the binary. Names only, marked as claimed; never used for decisions.
    #[arg(long, env = "MDSD_PASSKEY_PROVIDERS", value_name = "URL|FILE")]
    pub passkey_providers: Option<String>,
    /// Lowercase hex SHA-256 of the BLOB legalHeader the operator accepted (GetMetadataInfo
    /// shows the served one's): a BLOB whose legalHeader differs is still served, and reported
    /// (WARN, `mdsd_blob_legal_header_changed`, GetMetadataInfo).
    #[arg(long, env = "MDSD_ACCEPTED_LEGAL_HEADER_SHA256", value_name = "HEX")]
    pub accepted_legal_header_sha256: Option<String>,
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
            passkey_providers: over.passkey_providers.or(self.passkey_providers),
            accepted_legal_header_sha256: over
                .accepted_legal_header_sha256
                .or(self.accepted_legal_header_sha256),
            policy: over.policy.or(self.policy),
            config_file: over.config_file.or(self.config_file),
        }
    }
}
