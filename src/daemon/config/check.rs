//! Raw settings → the checked [`Config`]: every value parsed and checked, every file named read
//! (and refused unless a regular file), every problem reported at once ([`ConfigErrors`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::super::admin::{AdminToken, DEFAULT_REFRESH_MIN_INTERVAL};
use super::duration::{format_duration, parse_duration, DAY};
use super::files::{
    check_tls, load_anchors, read_capped, MAX_PEM_FILE_BYTES, MAX_TOKEN_FILE_BYTES,
};
use super::{
    AdminControl, BlobSource, Config, ConfigErrors, CrlMirror, Danger, FetchConfig, GrpcLimits,
    ListenAddr, RawConfig, RefreshConfig, ATTESTATION_ANCHOR_LABEL, DEFAULT_ADMIN_LISTEN,
    DEFAULT_LISTEN, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MDS_URL, DEFAULT_STATE_DIR, MDS_ROOT_LABEL,
};
use crate::mds::{builtin_roots, DEFAULT_MAX_BLOB_BYTES};
use crate::policy::PolicyConfig;
use crate::x509::{certs_from_pem_or_der, Crl};

/// Most BLOB sources (`mds_url` entries) tried in one refresh.
pub const MAX_SOURCES: usize = 8;

/// An RFC 3339 instant (`2024-09-03T12:00:00Z`).
fn parse_rfc3339(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{s:?} is not an RFC 3339 time like 2024-09-03T12:00:00Z ({e})"))
}

impl RawConfig {
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

        let urls = if self.mds_url.is_empty() {
            vec![DEFAULT_MDS_URL.to_string()]
        } else {
            self.mds_url.clone()
        };
        if urls.len() > MAX_SOURCES {
            errs.push(format!("mds_url: {} sources, more than {MAX_SOURCES}", urls.len()));
        }
        let mut sources = Vec::new();
        for url in &urls {
            match BlobSource::parse(url) {
                Ok(source) if sources.contains(&source) => {
                    errs.push(format!("mds_url: {url:?} is listed twice"));
                }
                Ok(source) => sources.push(source),
                Err(e) => errs.push(format!("mds_url: {e}")),
            }
        }

        let mirror_listen = match self.mirror_listen.as_deref().unwrap_or("off") {
            "off" | "" => Some(None),
            s => s
                .parse::<SocketAddr>()
                .map(Some)
                .map_err(|e| errs.push(format!("mirror_listen: {s:?} is not HOST:PORT ({e})")))
                .ok(),
        };

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

        let max_blob_bytes = match self.max_blob_bytes.map(|b| b.0) {
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

        let max_request_bytes = match self.max_request_bytes.map(|b| b.0) {
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

        let statements =
            match super::super::statements::read_statement_files(&self.metadata_statements) {
                Ok(statements) => statements,
                Err(errors) => {
                    errs.extend(errors.into_iter().map(|e| format!("metadata_statements: {e}")));
                    Vec::new()
                }
            };

        let passkey_providers = self.passkey_providers.as_deref().and_then(|s| {
            BlobSource::parse(s).map_err(|e| errs.push(format!("passkey_providers: {e}"))).ok()
        });

        let accepted_legal_header_sha256 =
            self.accepted_legal_header_sha256.as_deref().and_then(|s| {
                let hex = s.trim().to_ascii_lowercase();
                if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Some(hex)
                } else {
                    errs.push(format!("accepted_legal_header_sha256: {s:?} is not 64 hex digits"));
                    None
                }
            });

        let policy = match self.policy.as_ref().map(PolicyConfig::build) {
            None => None,
            Some(Ok(set)) => Some(Arc::new(set)),
            Some(Err(e)) => {
                errs.extend(e.0.iter().map(|e| format!("policy: {e}")));
                None
            }
        };

        let blob_sources = super::blob_sources::check_blob_sources(
            &self.blob_source,
            &super::blob_sources::Defaults {
                max_blob_bytes: self.max_blob_bytes.map(|b| b.0),
                stale_grace,
            },
            &mut anchor_sources,
            &mut errs,
        );

        let danger_clock = self.danger_clock.as_deref().and_then(|s| {
            parse_rfc3339(s).map_err(|e| errs.push(format!("danger_clock: {e}"))).ok()
        });
        if danger_clock.is_some() {
            // Every source must be a local file: a pinned clock must never judge live metadata.
            for source in &sources {
                if let BlobSource::Url(url) = source {
                    errs.push(format!(
                        "danger_clock: only allowed when every BLOB source is a local file \
                         (mds_url = a path or file:// URL), not {url}: a pinned clock must never \
                         judge live metadata"
                    ));
                }
            }
            for source in &blob_sources {
                for url in &source.urls {
                    if let BlobSource::Url(url) = url {
                        errs.push(format!(
                            "danger_clock: only allowed when every BLOB source is a local file \
                             (blob_source {} url = a path or file:// URL), not {url}: a pinned \
                             clock must never judge live metadata",
                            source.name
                        ));
                    }
                }
            }
        }

        match (listen, admin_listen, mirror_listen) {
            (Some(listen), Some(admin_listen), Some(mirror)) if errs.is_empty() => Ok(Config {
                listen,
                admin_listen,
                admin_control: AdminControl {
                    token: admin_token,
                    token_file: self.admin_token_file.clone(),
                    refresh_min_interval: admin_refresh_min_interval,
                },
                tls,
                state_dir,
                sources,
                mirror_listen: mirror,
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
                metadata_statements: self.metadata_statements.clone(),
                statements,
                passkey_providers,
                accepted_legal_header_sha256,
                policy,
                blob_sources,
                config_file: self.config_file.clone(),
                danger: Danger {
                    skip_revocation: self.danger_skip_revocation.unwrap_or(false),
                    serve_stale: self.danger_serve_stale.unwrap_or(false),
                    clock: danger_clock,
                },
            }),
            _ => Err(ConfigErrors { errors: errs }),
        }
    }
}
