//! Raw settings, as given by the three sources: the TOML file ([`RawConfig::from_toml_file`]),
//! `MDSD_*` environment variables and command-line flags (both read by clap through the
//! attributes below: each flag names its variable). Every field is optional so the sources can
//! be layered ([`RawConfig::overlay`]); nothing is checked here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::blob_sources::RawBlobSource;
use super::files::{read_capped, MAX_CONFIG_FILE_BYTES};
use super::size::ByteSize;
use super::ConfigErrors;
use crate::policy::PolicyConfig;

/// Every setting, as given: each field is optional so sources can be layered. Field names are the
/// TOML keys; flags are the kebab-case forms; environment variables are `MDSD_` + upper case.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// gRPC listen address: `HOST:PORT` (TCP) or `unix:PATH` (Unix domain socket).
    /// Default 127.0.0.1:50051.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_LISTEN", value_name = "ADDR|unix:PATH")]
    pub listen: Option<String>,
    /// Admin HTTP listen address (/metrics, /livez, /readyz): `HOST:PORT`, or `off`.
    /// Default 127.0.0.1:9464.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_ADMIN_LISTEN", value_name = "ADDR|off")]
    pub admin_listen: Option<String>,
    /// File holding the secret bearer token that enables the admin control endpoint
    /// (POST /refresh). Without it control is disabled (403); /metrics and the probes never
    /// need a token.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_ADMIN_TOKEN_FILE", value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Shortest time between two accepted POST /refresh (earlier ones get 429 with
    /// Retry-After). Duration. Default 10s.
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_ADMIN_REFRESH_MIN_INTERVAL",
        value_name = "DURATION"
    )]
    pub admin_refresh_min_interval: Option<String>,
    /// TLS server certificate chain (PEM) for the gRPC listener; needs --tls-key.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for --tls-cert.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// CA bundle (PEM) client certificates must chain to (mTLS); needs --tls-cert.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_TLS_CLIENT_CA", value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// Directory for the persisted snapshot (last accepted BLOB, its CRLs, the CRL cache).
    /// Default /var/lib/mdsd.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where the BLOB comes from: an https:// or http:// URL, a file:// URL or a file path.
    /// Several sources are tried in order within each refresh (a mirror first, the MDS next):
    /// a TOML array, the flag repeated, or a comma-separated variable. Default
    /// https://mds.fidoalliance.org/.
    #[arg(
        long = "mds-url",
        allow_hyphen_values = true,
        env = "MDSD_MDS_URL",
        value_name = "URL|FILE",
        value_delimiter = ','
    )]
    #[serde(deserialize_with = "one_or_many")]
    pub mds_url: Vec<String>,
    /// Mirror listener (plain HTTP): publishes the verified BLOB, its CRLs and an index for
    /// other mdsd instances and MDS clients. `HOST:PORT`, or `off`. Default off.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_MIRROR_LISTEN", value_name = "ADDR|off")]
    pub mirror_listen: Option<String>,
    /// BLOB trust anchor (PEM or DER); repeatable. Replaces the built-in GlobalSign R3 and R46
    /// pins.
    #[arg(
        long = "mds-root",
        alias = "root",
        alias = "blob-root",
        allow_hyphen_values = true,
        env = "MDSD_MDS_ROOTS",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub mds_roots: Vec<PathBuf>,
    /// CRL file (PEM or DER) for the BLOB signing chain; repeatable. A chain certificate whose
    /// issuer has a current CRL here is not looked up at its distribution point.
    #[arg(
        long = "crl-file",
        alias = "crl",
        alias = "blob-crl",
        allow_hyphen_values = true,
        env = "MDSD_CRL_FILES",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub crl_files: Vec<PathBuf>,
    /// CRL mirror: an http(s) URL prefix or a directory; each CRL distribution point is looked
    /// up there by its last path segment instead of at its own URL.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_CRL_MIRROR", value_name = "URL|DIR")]
    pub crl_mirror: Option<String>,
    /// Largest BLOB accepted (downloads are cut off beyond it). Size: bytes or `64MiB`,
    /// `512KiB`, `1GiB`, `10MB`. Default 64MiB.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_MAX_BLOB_BYTES", value_name = "SIZE")]
    pub max_blob_bytes: Option<ByteSize>,
    /// How long a BLOB past its nextUpdate keeps being served (flagged stale) before
    /// verification fails closed. Duration: `90s`, `30m`, `36h`, `7d`. Default 7d.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_STALE_GRACE", value_name = "DURATION")]
    pub stale_grace: Option<String>,
    /// Longest time between two refreshes while all is well (conditional GETs are cheap).
    /// Default 24h.
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_REFRESH_INTERVAL",
        value_name = "DURATION"
    )]
    pub refresh_interval: Option<String>,
    /// Refresh at the latest this long before nextUpdate. Default 2d.
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_REFRESH_BEFORE_NEXT_UPDATE",
        value_name = "DURATION"
    )]
    pub refresh_before_next_update: Option<String>,
    /// First retry delay after a failed refresh (doubles per failure). Default 1m.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_RETRY_MIN", value_name = "DURATION")]
    pub retry_min: Option<String>,
    /// Longest retry delay after failed refreshes. Default 6h.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_RETRY_MAX", value_name = "DURATION")]
    pub retry_max: Option<String>,
    /// Random spread added to each refresh delay, in percent of the delay (0-50). Default 10.
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_REFRESH_JITTER_PERCENT",
        value_name = "PERCENT"
    )]
    pub refresh_jitter_percent: Option<u8>,
    /// Timeout for a whole download (BLOB or CRL). Default 60s.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_FETCH_TIMEOUT", value_name = "DURATION")]
    pub fetch_timeout: Option<String>,
    /// TCP/TLS connect timeout for downloads. Default 10s.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_CONNECT_TIMEOUT", value_name = "DURATION")]
    pub connect_timeout: Option<String>,
    /// Extra CA bundle (PEM) for HTTPS downloads (a mirror behind a private CA). The built-in
    /// web PKI roots stay trusted. The BLOB's own signature is checked independently of TLS.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_FETCH_CA_FILE", value_name = "FILE")]
    pub fetch_ca_file: Option<PathBuf>,
    /// Deadline for one gRPC call. Default 10s.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_REQUEST_TIMEOUT", value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Largest gRPC request message. Size: bytes or `1MiB`, `512KiB`. Default 1MiB.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_MAX_REQUEST_BYTES", value_name = "SIZE")]
    pub max_request_bytes: Option<ByteSize>,
    /// Extra attestation trust anchor (PEM or DER: Apple WebAuthn Root CA, Google hardware
    /// attestation roots, TPM vendor roots); repeatable.
    #[arg(
        long = "attestation-root",
        alias = "extra-root",
        allow_hyphen_values = true,
        env = "MDSD_ATTESTATION_ROOTS",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub attestation_roots: Vec<PathBuf>,
    /// Operator metadata statement (FIDO Metadata Statement JSON, the schema of an MDS entry's
    /// `metadataStatement`) for a model the MDS does not list, or a directory of `*.json`
    /// statements; repeatable. Trusted through its own roots only, marked operator-provided,
    /// never FIDO-certified; re-read on SIGHUP. See docs/config.md.
    #[arg(
        long = "metadata-statement",
        allow_hyphen_values = true,
        env = "MDSD_METADATA_STATEMENTS",
        value_name = "FILE|DIR",
        value_delimiter = ','
    )]
    pub metadata_statements: Vec<PathBuf>,
    /// DANGER: accept the BLOB signing chain without any revocation checking.
    #[arg(long, env = "MDSD_DANGER_SKIP_REVOCATION", num_args = 0..=1, default_missing_value = "true")]
    pub danger_skip_revocation: Option<bool>,
    /// DANGER: keep serving a stale BLOB after the grace period instead of failing closed.
    #[arg(long, env = "MDSD_DANGER_SERVE_STALE", num_args = 0..=1, default_missing_value = "true")]
    pub danger_serve_stale: Option<bool>,
    /// DANGER: judge everything (BLOB, CRLs, staleness, attestations) at this fixed RFC 3339
    /// instant instead of the system clock: offline demos, incident replay, tests. Refused
    /// unless the BLOB source (`mds_url`) is a local file; logged at WARN on every refresh and
    /// shown in GetMetadataInfo and the metrics.
    #[arg(long, allow_hyphen_values = true, env = "MDSD_DANGER_CLOCK", value_name = "RFC3339")]
    pub danger_clock: Option<String>,
    /// Passkey-provider display names (the community AAGUID list's format): a file path, a
    /// file:// or an https:// URL, read again on every refresh round. Default: the list bundled
    /// with the binary. Names only, marked as claimed; never used for decisions.
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_PASSKEY_PROVIDERS",
        value_name = "URL|FILE"
    )]
    pub passkey_providers: Option<String>,
    /// Lowercase hex SHA-256 of the BLOB legalHeader the operator accepted (GetMetadataInfo
    /// shows the served one's): a BLOB whose legalHeader differs is still served, and reported
    /// (WARN, `mdsd_blob_legal_header_changed`, GetMetadataInfo).
    #[arg(
        long,
        allow_hyphen_values = true,
        env = "MDSD_ACCEPTED_LEGAL_HEADER_SHA256",
        value_name = "HEX"
    )]
    pub accepted_legal_header_sha256: Option<String>,
    /// Passkey profiles (TOML `[policy]` section only; see docs/policy.md). When set,
    /// VerifyRegistration also answers whether the passkey is allowed for the request's
    /// `user_groups`.
    #[arg(skip)]
    pub policy: Option<PolicyConfig>,
    /// Further BLOB sources, each with its own pinned roots (TOML `[[blob_source]]` tables
    /// only; see docs/config.md, "Further BLOB sources").
    #[arg(skip)]
    pub blob_source: Vec<RawBlobSource>,
    /// The config file this came from (set by [`RawConfig::from_toml_file`]): watched and
    /// re-read for `[policy]` reloads (SIGHUP, file change).
    #[arg(skip)]
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
}

/// A TOML string or array of strings (`mds_url = "…"` or `mds_url = ["…", "…"]`).
pub(super) fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

impl RawConfig {
    /// Reads a TOML config file (unknown keys are errors: a typo must not be silently ignored),
    /// reporting every key in error at once.
    pub fn from_toml_file(path: &Path) -> Result<RawConfig, ConfigErrors> {
        let (raw, errors) = RawConfig::from_toml_file_partial(path);
        if errors.is_empty() {
            Ok(raw)
        } else {
            Err(ConfigErrors { errors })
        }
    }

    /// As [`RawConfig::from_toml_file`], but also returns what could be read when some keys are
    /// in error (so the rest can still be checked, and every problem reported in one go). Each
    /// error starts with `config file PATH: `.
    pub fn from_toml_file_partial(path: &Path) -> (RawConfig, Vec<String>) {
        let prefix = |e: String| format!("config file {}: {e}", path.display());
        let text = match read_capped(path, MAX_CONFIG_FILE_BYTES) {
            Ok(text) => text,
            Err(e) => return (RawConfig::default(), vec![prefix(e.to_string())]),
        };
        let Ok(text) = String::from_utf8(text) else {
            return (RawConfig::default(), vec![prefix("not UTF-8".to_string())]);
        };
        let (mut raw, errors) = RawConfig::from_toml_str_partial(&text);
        raw.config_file = Some(path.to_path_buf());
        (raw, errors.into_iter().map(prefix).collect())
    }

    /// Parses TOML text; the errors of every key, joined.
    pub fn from_toml_str(text: &str) -> Result<RawConfig, String> {
        match RawConfig::from_toml_str_partial(text) {
            (raw, errors) if errors.is_empty() => Ok(raw),
            (_, errors) => Err(errors.join("; ")),
        }
    }

    /// Parses TOML text key by key, so that every key in error is reported (serde stops at
    /// the first): a syntax error is one error; otherwise one error per unknown or ill-typed
    /// key, each naming its key. Returns the keys that could be read beside the errors.
    pub fn from_toml_str_partial(text: &str) -> (RawConfig, Vec<String>) {
        let one_line = |e: String| e.trim_end().replace('\n', " ");
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(e) => {
                let e: toml::de::Error = e;
                return (RawConfig::default(), vec![one_line(e.to_string())]);
            }
        };
        let mut raw = RawConfig::default();
        let mut errors = Vec::new();
        for (key, value) in table {
            let mut one = toml::Table::new();
            one.insert(key.clone(), value);
            match toml::Value::Table(one).try_into::<RawConfig>() {
                Ok(single) => raw = raw.overlay(single),
                Err(e) => errors.push(key_error(&key, &one_line(e.to_string()))),
            }
        }
        (raw, errors)
    }

    /// The key a [`RawConfig::from_toml_str_partial`] error is about (`None`: a syntax error).
    pub fn error_key(error: &str) -> Option<&str> {
        let rest = error.strip_prefix("key ")?;
        rest.split(':').next()
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
            mds_url: list(self.mds_url, over.mds_url),
            mirror_listen: over.mirror_listen.or(self.mirror_listen),
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
            metadata_statements: list(self.metadata_statements, over.metadata_statements),
            danger_skip_revocation: over.danger_skip_revocation.or(self.danger_skip_revocation),
            danger_serve_stale: over.danger_serve_stale.or(self.danger_serve_stale),
            danger_clock: over.danger_clock.or(self.danger_clock),
            passkey_providers: over.passkey_providers.or(self.passkey_providers),
            accepted_legal_header_sha256: over
                .accepted_legal_header_sha256
                .or(self.accepted_legal_header_sha256),
            policy: over.policy.or(self.policy),
            blob_source: list(self.blob_source, over.blob_source),
            config_file: over.config_file.or(self.config_file),
        }
    }
}

/// One error for one key: `key KEY: MESSAGE`, an unknown key with the closest known one.
fn key_error(key: &str, message: &str) -> String {
    // An unknown key inside a table (`[[blob_source]]`) is reported as serde words it.
    let nested = message.split('`').nth(1).is_some_and(|unknown| unknown != key);
    if message.starts_with("unknown field") && !nested {
        // serde lists the known keys in backquotes after the unknown one.
        let closest = message
            .split('`')
            .skip(3)
            .step_by(2)
            .map(|known| (strsim::jaro_winkler(key, known), known))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        return match closest {
            Some((_, known)) => format!("key {key}: unknown key (did you mean `{known}`?)"),
            None => format!("key {key}: unknown key (every key is in docs/config.md)"),
        };
    }
    let message = message.strip_suffix(&format!(" in `{key}`")).unwrap_or(message);
    format!("key {key}: {message}")
}
