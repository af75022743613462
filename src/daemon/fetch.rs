//! Downloads: the BLOB (conditional GET with ETag → 304, size cap while streaming, timeouts,
//! 429 Retry-After), an x5u chain, and the CRLs of the signing chain (distribution points, an
//! operator mirror, an on-disk cache kept until each CRL's nextUpdate).
//!
//! Nothing here decides trust: every byte fetched goes to the core's `verify_blob`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use thiserror::Error;
use time::OffsetDateTime;

use super::config::{BlobSource, CrlMirror, FetchConfig};
use super::files::{read_regular, ReadError, Symlinks};
use super::snapshot_file::StateDir;
use crate::x509::{Cert, Crl};

/// Largest CRL or x5u chain downloaded.
pub const MAX_AUX_BYTES: usize = 16 * 1024 * 1024;
/// Most CRL distribution points fetched for one BLOB.
const MAX_CRL_URLS: usize = 16;

/// What a BLOB download produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobFetch {
    /// New bytes (or bytes that could not be shown to be unchanged).
    Fetched { bytes: Vec<u8>, etag: Option<String>, fetched_at: OffsetDateTime },
    /// `304 Not Modified` for the ETag sent.
    NotModified,
}

/// Why a download failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    /// A non-success HTTP status; `retry_after` from a 429 or 503 answer.
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16, retry_after: Option<Duration> },
    /// The body exceeded the cap (counted while streaming, or from Content-Length).
    #[error("{url}: more than {max} bytes")]
    TooLarge { url: String, max: usize },
    /// Connect, TLS, timeout, truncated body, …
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    /// A local file could not be read.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

impl FetchError {
    /// The Retry-After delay the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
    /// A short label for metrics: `status`, `too_large`, `transport`, `file`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Status { .. } => "status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Transport { .. } => "transport",
            FetchError::File { .. } => "file",
        }
    }
}

/// An HTTP client with the daemon's timeouts and roots.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    /// Builds the client: rustls (ring) with the web PKI roots plus `cfg.ca_pem`, no redirects
    /// to other schemes, the configured timeouts.
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, String> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mdsd/", env!("CARGO_PKG_VERSION")))
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(5));
        if let Some(pem) = &cfg.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("fetch_ca_file: {e}"))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Fetcher { client })
    }

    /// Fetches the BLOB from `source`, at most `max` bytes. With `etag`, sends If-None-Match
    /// and maps 304 to [`BlobFetch::NotModified`].
    pub async fn fetch_blob(
        &self,
        source: &BlobSource,
        etag: Option<&str>,
        max: usize,
    ) -> Result<BlobFetch, FetchError> {
        match source {
            BlobSource::File(path) => {
                let bytes = read_file(path, max).await?;
                Ok(BlobFetch::Fetched { bytes, etag: None, fetched_at: OffsetDateTime::now_utc() })
            }
            BlobSource::Url(url) => {
                let mut request = self.client.get(url.clone());
                if let Some(etag) = etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                let response = request.send().await.map_err(|e| transport(url.as_str(), &e))?;
                if response.status() == reqwest::StatusCode::NOT_MODIFIED {
                    return Ok(BlobFetch::NotModified);
                }
                let etag = response
                    .headers()
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let bytes = read_body(url.as_str(), response, max).await?;
                Ok(BlobFetch::Fetched { bytes, etag, fetched_at: OffsetDateTime::now_utc() })
            }
        }
    }

    /// Fetches any URL (CRL, x5u chain), at most `max` bytes.
    pub async fn fetch_url(&self, url: &str, max: usize) -> Result<Vec<u8>, FetchError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| FetchError::Transport { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::Transport {
                url: url.to_string(),
                reason: "only http and https URLs are fetched".into(),
            });
        }
        let response = self.client.get(parsed).send().await.map_err(|e| transport(url, &e))?;
        read_body(url, response, max).await
    }

    /// Collects the CRLs for a signing chain: for each certificate's CRL distribution points
    /// (bounded), a cached CRL that is still current at `now`, else a fresh download (via the
    /// mirror when configured), else a stale cached copy as a last resort (the core then reports
    /// exactly which CRL is stale). A URL mirror that fails is followed by the distribution point
    /// itself (a directory mirror, for air-gapped sites, is not). `state` is only read here; downloads are listed in
    /// [`CrlFetch::downloaded`] for the caller to cache after a successful verification. Failures are returned beside the CRLs that were found: a
    /// missing CRL is the core's decision to refuse (MDS3 §3.2 step 2), not this function's.
    pub async fn fetch_crls(
        &self,
        chain: &[Arc<Cert>],
        mirror: Option<&CrlMirror>,
        state: Option<&StateDir>,
        now: OffsetDateTime,
    ) -> CrlFetch {
        let mut urls: Vec<String> = Vec::new();
        for cert in chain {
            for url in cert.crl_distribution_points() {
                if !urls.contains(url) && urls.len() < MAX_CRL_URLS {
                    urls.push(url.clone());
                }
            }
        }
        let mut out = CrlFetch::default();
        for url in urls {
            let cached = state
                .and_then(|s| s.load_cached_crl(&url))
                .and_then(|bytes| Crl::from_pem_or_der(&bytes).ok().map(|crl| (bytes, crl)));
            if let Some((bytes, crl)) = &cached {
                if crl.next_update().is_some_and(|next| next > now) {
                    out.crls.push((url.clone(), bytes.clone(), Arc::new(crl.clone())));
                    out.cache_hits += 1;
                    continue;
                }
            }
            match self.fetch_crl(&url, mirror).await {
                Ok((bytes, crl)) => {
                    // Not cached yet: only CRLs that took part in a successful verification
                    // are (see `CrlFetch::downloaded`), so a forged CRL with a far nextUpdate
                    // cannot pin itself in the cache.
                    out.downloaded.push((url.clone(), bytes.clone()));
                    out.crls.push((url, bytes, Arc::new(crl)));
                }
                Err(e) => {
                    if let Some((bytes, crl)) = cached {
                        tracing::warn!(%url, error = %e, "CRL download failed; using the cached copy");
                        out.crls.push((url.clone(), bytes, Arc::new(crl)));
                    }
                    out.errors.push(e);
                }
            }
        }
        out
    }

    async fn fetch_crl(
        &self,
        url: &str,
        mirror: Option<&CrlMirror>,
    ) -> Result<(Vec<u8>, Crl), FetchError> {
        let bytes = match mirror {
            None => self.fetch_url(url, MAX_AUX_BYTES).await?,
            Some(mirror) => {
                let name = url.rsplit('/').next().filter(|n| !n.is_empty() && *n != "..");
                let name = name.ok_or_else(|| FetchError::Transport {
                    url: url.to_string(),
                    reason: "no file name to look up in the CRL mirror".into(),
                })?;
                match mirror {
                    CrlMirror::Url(base) => {
                        let target = base.join(name).map_err(|e| FetchError::Transport {
                            url: url.to_string(),
                            reason: format!("mirror URL: {e}"),
                        })?;
                        // A mirror that fails (down, 404, not a CRL) is not the last word: the
                        // distribution point itself is asked next, so that a fleet whose mirror
                        // is gone falls back to the CA as it does to the MDS for the BLOB.
                        match self.fetch_url(target.as_str(), MAX_AUX_BYTES).await {
                            Ok(bytes) if Crl::from_pem_or_der(&bytes).is_ok() => bytes,
                            outcome => {
                                let error = match outcome {
                                    Ok(_) => "not a usable CRL".to_string(),
                                    Err(e) => e.to_string(),
                                };
                                tracing::warn!(
                                    %url,
                                    mirror = %target,
                                    %error,
                                    "CRL mirror failed; asking the distribution point"
                                );
                                self.fetch_url(url, MAX_AUX_BYTES).await?
                            }
                        }
                    }
                    CrlMirror::Dir(dir) => read_file(&dir.join(name), MAX_AUX_BYTES).await?,
                }
            }
        };
        let crl = Crl::from_pem_or_der(&bytes).map_err(|e| FetchError::Transport {
            url: url.to_string(),
            reason: format!("not a usable CRL: {e}"),
        })?;
        Ok((bytes, crl))
    }
}

/// CRLs found for a chain, and the downloads that failed.
#[derive(Debug, Default)]
pub struct CrlFetch {
    /// (distribution point URL, bytes as fetched, parsed CRL).
    pub crls: Vec<(String, Vec<u8>, Arc<Crl>)>,
    pub errors: Vec<FetchError>,
    /// CRLs served from the on-disk cache.
    pub cache_hits: usize,
    /// (URL, bytes) downloaded this round: the caller caches them once the BLOB verified.
    pub downloaded: Vec<(String, Vec<u8>)>,
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), relative to
/// `now`. A date in the past is a zero delay.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

async fn read_body(
    url: &str,
    response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, FetchError> {
    let status = response.status();
    if !status.is_success() {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            retry_after,
        });
    }
    if response.content_length().is_some_and(|len| len > max as u64) {
        return Err(FetchError::TooLarge { url: url.to_string(), max });
    }
    // Sized from Content-Length when given (bounded by `max` above): no regrowth copies.
    let hint = response.content_length().and_then(|len| usize::try_from(len).ok());
    let mut body = Vec::with_capacity(hint.unwrap_or(0).min(max));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport(url, &e))?;
        if body.len().saturating_add(chunk.len()) > max {
            return Err(FetchError::TooLarge { url: url.to_string(), max });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a local file (a file BLOB source, a file in a CRL mirror directory) on the blocking
/// pool: regular files only (a FIFO would block the refresh for ever), at most `max` bytes.
async fn read_file(path: &Path, max: usize) -> Result<Vec<u8>, FetchError> {
    let owned = path.to_path_buf();
    let result =
        tokio::task::spawn_blocking(move || read_regular(&owned, max as u64, Symlinks::Follow))
            .await;
    let file_err = |reason: String| FetchError::File { path: path.display().to_string(), reason };
    match result {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(ReadError::TooLarge { .. })) => {
            Err(FetchError::TooLarge { url: path.display().to_string(), max })
        }
        Ok(Err(e)) => Err(file_err(e.to_string())),
        Err(e) => Err(file_err(e.to_string())),
    }
}

fn transport(url: &str, e: &reqwest::Error) -> FetchError {
    // reqwest's Display omits the cause chain ("error sending request"); include it.
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        reason.push_str(" (timeout)");
    }
    FetchError::Transport { url: url.to_string(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// A FIFO as the file BLOB source or in a CRL mirror directory fails the round at once
    /// (it used to block the refresh loop for ever); so does a directory.
    #[tokio::test]
    async fn non_regular_local_files_fail_at_once() {
        use crate::daemon::files::test_support::mkfifo;
        let dir = std::env::temp_dir().join(format!("mdsd-fetch-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("blob.jwt");
        mkfifo(&fifo);
        let fetcher = Fetcher::new(&FetchConfig {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            ca_pem: None,
        })
        .unwrap();
        let source = BlobSource::File(fifo.clone());
        let fetched =
            tokio::time::timeout(Duration::from_secs(10), fetcher.fetch_blob(&source, None, 1024))
                .await
                .expect("blocked on the FIFO");
        match fetched {
            Err(FetchError::File { path, reason }) => {
                assert_eq!(path, fifo.display().to_string());
                assert!(reason.contains("is a FIFO (named pipe)"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let source = BlobSource::File(dir.clone());
        let fetched = fetcher.fetch_blob(&source, None, 1024).await;
        let refused = matches!(&fetched, Err(FetchError::File { reason, .. })
            if reason.contains("is a directory"));
        assert!(refused, "{fetched:?}");
        let mirror = CrlMirror::Dir(dir.clone());
        mkfifo(&dir.join("ca.crl"));
        let crl = tokio::time::timeout(
            Duration::from_secs(10),
            fetcher.fetch_crl("http://crl.example/ca.crl", Some(&mirror)),
        )
        .await
        .expect("blocked on the FIFO");
        assert!(matches!(crl, Err(FetchError::File { .. })), "{crl:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = datetime!(2026-11-25 12:00:00 UTC);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 12:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
