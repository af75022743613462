//! The mirror role (`mirror_listen`): a plain-HTTP listener that republishes what this mdsd has
//! verified, so that a fleet makes one upstream download per refresh instead of one per pod.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` (and `HEAD`) | the served BLOB, byte for byte as signed; strong `ETag` (its SHA-256), `If-None-Match` → 304 |
//! | `GET /crl/<name>` | each CRL the served BLOB's signing chain was checked with; `<name>` is the last path segment of its distribution-point URL (what `crl_mirror` asks for) |
//! | `GET /index.json` | what is published: `no`, `nextUpdate`, the BLOB's SHA-256 and size, the CRL names |
//! | anything else | 404 (405 for another method on a known route) |
//!
//! Until a verified BLOB is held — and once the served BLOB is stale past the grace period
//! (`stale_grace`, unless `danger_serve_stale`) — every route answers 503 with `Retry-After`:
//! the mirror publishes exactly what this mdsd would itself answer requests with, nothing else.
//! A downstream mdsd then falls through to its next source (the MDS). Nothing is trusted
//! downstream on the mirror's word: the BLOB is self-authenticating (signature, chain, CRLs,
//! rollback are checked again by every reader), so plain HTTP is enough.
//!
//! The published bytes are kept with the served BLOB ([`Published`] in
//! [`Loaded::published`](super::state::Loaded)), so a request always sees a BLOB and the CRLs
//! it was verified with, swapped together.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::state::{Shared, Unavailable};
use crate::x509::{Cert, Crl};

/// Media type of the BLOB (a compact JWS / JWT, RFC 7519 §10.3.1).
pub const BLOB_CONTENT_TYPE: &str = "application/jwt";
/// Media type of a CRL (RFC 5280 §4.2.1.13: DER, `application/pkix-crl`).
pub const CRL_CONTENT_TYPE: &str = "application/pkix-crl";
/// Longest CRL name published (a file name).
const MAX_CRL_NAME: usize = 255;
/// `Retry-After` bounds for a 503 (seconds).
const RETRY_AFTER_DEFAULT: u64 = 30;
const RETRY_AFTER_MAX: u64 = 300;
/// Caches may store the answers but must revalidate each time (the ETag makes that cheap).
const CACHE_CONTROL: &str = "no-cache";

/// What the mirror publishes for one verified BLOB.
#[derive(Debug)]
pub struct Published {
    blob: Bytes,
    etag: HeaderValue,
    crls: Vec<PublishedCrl>,
    index: Bytes,
}

#[derive(Debug)]
struct PublishedCrl {
    name: String,
    der: Bytes,
    etag: HeaderValue,
}

#[derive(Serialize)]
struct Index<'a> {
    no: u64,
    #[serde(rename = "nextUpdate")]
    next_update: String,
    sha256: &'a str,
    bytes: usize,
    crls: Vec<&'a str>,
}

impl Published {
    /// The BLOB bytes exactly as verified (`sha256` their digest) and the CRLs its chain was
    /// checked with, each with the distribution-point URL it was obtained for. A CRL whose name
    /// ([`crl_name`]) is unusable or already taken is left out and logged.
    pub fn new(
        blob: Vec<u8>,
        sha256: [u8; 32],
        no: u64,
        next_update: Date,
        crls: Vec<(String, Vec<u8>)>,
    ) -> Published {
        let sha256_hex = hex::encode(sha256);
        let mut published: Vec<PublishedCrl> = Vec::new();
        for (url, der) in crls {
            let Some(name) = crl_name(&url) else {
                tracing::warn!(%url, "CRL not published by the mirror: its URL has no usable file name");
                continue;
            };
            if published.iter().any(|c| c.name == name) {
                // Same bytes under the same name (two chain certificates, one CRL): nothing to do.
                if !published.iter().any(|c| c.name == name && c.der[..] == der[..]) {
                    tracing::warn!(%url, name, "CRL not published by the mirror: another CRL has the same name");
                }
                continue;
            }
            let etag = strong_etag(&ring::digest::digest(&ring::digest::SHA256, &der));
            published.push(PublishedCrl { name: name.to_string(), der: Bytes::from(der), etag });
        }
        let index = Index {
            no,
            next_update: next_update.to_string(),
            sha256: &sha256_hex,
            bytes: blob.len(),
            crls: published.iter().map(|c| c.name.as_str()).collect(),
        };
        let mut index = serde_json::to_vec_pretty(&index).unwrap_or_default();
        index.push(b'\n');
        Published {
            etag: strong_etag(&sha256),
            blob: Bytes::from(blob),
            crls: published,
            index: Bytes::from(index),
        }
    }

    /// The BLOB bytes published (exactly as verified).
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The names of the CRLs published, in order.
    pub fn crl_names(&self) -> Vec<&str> {
        self.crls.iter().map(|c| c.name.as_str()).collect()
    }
}

/// The name a CRL is published under: the last path segment of its distribution-point URL, as
/// the downstream `crl_mirror` lookup asks for it. Only plain file-name characters
/// (`A-Z a-z 0-9 . _ ~ -`), never `.` or `..`, at most 255 bytes; `None` otherwise.
pub fn crl_name(url: &str) -> Option<&str> {
    let name = url.rsplit('/').next()?;
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
    (plain && !name.is_empty() && name != "." && name != ".." && name.len() <= MAX_CRL_NAME)
        .then_some(name)
}

/// The CRLs of a verified chain by distribution-point URL, for a BLOB restored from its
/// snapshot (which keeps CRLs without their URLs): for each URL of each chain certificate, the newest candidate CRL issued
/// by that certificate's issuer.
pub fn crls_for_chain<'a>(
    chain: &[Arc<Cert>],
    candidates: impl Iterator<Item = &'a [u8]>,
) -> Vec<(String, Vec<u8>)> {
    let parsed: Vec<Crl> = candidates.filter_map(|der| Crl::from_pem_or_der(der).ok()).collect();
    let mut out = Vec::new();
    for cert in chain {
        let newest = parsed
            .iter()
            .filter(|crl| crl.issuer_raw() == cert.issuer_raw())
            .max_by_key(|crl| crl.this_update());
        if let Some(crl) = newest {
            for url in cert.crl_distribution_points() {
                out.push((url.clone(), crl.der().to_vec()));
            }
        }
    }
    out
}

/// The mirror's routes over the shared state (see the module docs).
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(blob))
        .route("/index.json", get(index))
        .route("/crl/{name}", get(crl))
        .fallback(not_found)
        .with_state(shared)
}

/// What may be published now (the BLOB and CRLs swapped together), or why not.
fn published(shared: &Shared) -> Result<Arc<Published>, Unpublished> {
    let now = OffsetDateTime::now_utc();
    let why = match shared.for_request(now) {
        Ok((loaded, _stale)) => match &loaded.published {
            Some(published) => return Ok(published.clone()),
            None => "the served BLOB was loaded without its bytes".to_string(),
        },
        Err(Unavailable::NotLoaded { .. }) => "no verified BLOB yet".to_string(),
        Err(Unavailable::StaleBeyondGrace { no, next_update, .. }) => {
            format!("BLOB no {no} is stale since {next_update}, beyond the grace period")
        }
    };
    let retry_after = shared
        .status()
        .next_refresh_at
        .and_then(|at| u64::try_from((at - now).whole_seconds()).ok())
        .map_or(RETRY_AFTER_DEFAULT, |s| s.clamp(1, RETRY_AFTER_MAX));
    Err(Unpublished { why, retry_after })
}

/// Nothing verified to publish: a 503 with `Retry-After` (the next refresh, within bounds).
struct Unpublished {
    why: String,
    retry_after: u64,
}

impl Unpublished {
    fn respond(self, shared: &Shared, route: &'static str) -> Response {
        shared.metrics.mirror_request(route, 503);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, self.retry_after.to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            format!("mirror: nothing verified to publish: {}\n", self.why),
        )
            .into_response()
    }
}

async fn blob(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match published(&shared) {
        Ok(p) => answer(&shared, "blob", &headers, &p.etag, BLOB_CONTENT_TYPE, p.blob.clone()),
        Err(e) => e.respond(&shared, "blob"),
    }
}

async fn index(State(shared): State<Arc<Shared>>) -> Response {
    match published(&shared) {
        Ok(p) => {
            shared.metrics.mirror_request("index", 200);
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, CACHE_CONTROL),
                ],
                p.index.clone(),
            )
                .into_response()
        }
        Err(e) => e.respond(&shared, "index"),
    }
}

async fn crl(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let p = match published(&shared) {
        Ok(p) => p,
        Err(e) => return e.respond(&shared, "crl"),
    };
    // An exact match against the published names: no file system, nothing to traverse.
    match p.crls.iter().find(|c| c.name == name) {
        Some(c) => answer(&shared, "crl", &headers, &c.etag, CRL_CONTENT_TYPE, c.der.clone()),
        None => {
            shared.metrics.mirror_request("crl", 404);
            (StatusCode::NOT_FOUND, "mirror: no such CRL\n").into_response()
        }
    }
}

async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    shared.metrics.mirror_request("other", 404);
    (StatusCode::NOT_FOUND, "mirror: GET /, /index.json or /crl/<name>\n").into_response()
}

/// 200 with `body`, or 304 when `If-None-Match` names `etag` (or `*`).
fn answer(
    shared: &Shared,
    route: &'static str,
    headers: &HeaderMap,
    etag: &HeaderValue,
    content_type: &'static str,
    body: Bytes,
) -> Response {
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
    ];
    if if_none_match(headers, etag) {
        shared.metrics.mirror_request(route, 304);
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    shared.metrics.mirror_request(route, 200);
    (common, [(header::CONTENT_TYPE, content_type)], Body::from(body)).into_response()
}

/// RFC 9110 §13.1.2: true when any `If-None-Match` header lists `*` or an entity tag that
/// matches `etag` by weak comparison (a `W/` prefix ignored).
fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value.as_bytes().split(|b| *b == b',').any(|tag| {
            let tag = tag.trim_ascii();
            let tag = tag.strip_prefix(b"W/").unwrap_or(tag);
            tag == b"*" || tag == ours
        })
    })
}

/// `"sha256-<hex>"`: a strong entity tag for bytes with this digest.
fn strong_etag(digest: &impl AsRef<[u8]>) -> HeaderValue {
    let tag = format!("\"sha256-{}\"", hex::encode(digest.as_ref()));
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"unknown\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::daemon::metrics::Metrics;
    use crate::daemon::state::{loaded_for_tests, StalePolicy};
    use axum::body::to_bytes;
    use axum::http::{Method, Request};
    use std::time::Duration;
    use tower::ServiceExt;

    fn shared(grace: Duration) -> Arc<Shared> {
        Arc::new(Shared::new(StalePolicy { grace, serve_stale: false }, Arc::new(Metrics::new())))
    }

    /// A BLOB whose nextUpdate is `next_update`, published with one CRL.
    fn install(shared: &Shared, next_update: Date, publish: bool) {
        let json = format!(r#"{{"no": 9, "nextUpdate": "{next_update}", "entries": []}}"#);
        let now = OffsetDateTime::now_utc();
        let mut loaded = loaded_for_tests(&json, now);
        if publish {
            loaded.published = Some(Arc::new(Published::new(
                b"h.p.s".to_vec(),
                [1; 32],
                9,
                next_update,
                vec![("http://crl.example/ca.crl".into(), b"crl".to_vec())],
            )));
        }
        shared.install(loaded, now);
    }

    async fn call(shared: &Arc<Shared>, method: Method, path: &str) -> (u16, HeaderMap, Vec<u8>) {
        let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        let response = router(shared.clone()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap().to_vec();
        (status, headers, body)
    }

    /// Nothing verified yet, a BLOB stale beyond the grace period, a BLOB kept without its
    /// bytes: 503 with Retry-After on every route, nothing published.
    #[tokio::test]
    async fn nothing_verified_to_publish_is_503_with_retry_after() {
        let today = OffsetDateTime::now_utc().date();
        let empty = shared(Duration::from_secs(86_400));
        let stale = shared(Duration::from_secs(86_400));
        install(&stale, today - time::Duration::days(3), true);
        let bare = shared(Duration::from_secs(86_400));
        install(&bare, today + time::Duration::days(30), false);
        for (shared, why) in [
            (&empty, "no verified BLOB yet"),
            (&stale, "beyond the grace period"),
            (&bare, "without its bytes"),
        ] {
            for path in ["/", "/index.json", "/crl/ca.crl"] {
                let (status, headers, body) = call(shared, Method::GET, path).await;
                assert_eq!(status, 503, "{path}");
                assert_eq!(headers[header::RETRY_AFTER], "30", "{path}");
                let body = String::from_utf8(body).unwrap();
                assert!(body.contains(why), "{path}: {body}");
            }
        }
        // Within the grace period a stale BLOB is still published (it is still served).
        let within = shared(Duration::from_secs(7 * 86_400));
        install(&within, today - time::Duration::days(3), true);
        assert_eq!(call(&within, Method::GET, "/").await.0, 200);
    }

    #[tokio::test]
    async fn routes_are_bounded() {
        let shared = shared(Duration::from_secs(86_400));
        install(&shared, OffsetDateTime::now_utc().date() + time::Duration::days(30), true);
        let (status, headers, body) = call(&shared, Method::GET, "/").await;
        assert_eq!((status, body.as_slice()), (200, &b"h.p.s"[..]));
        assert_eq!(headers[header::CONTENT_TYPE], BLOB_CONTENT_TYPE);
        assert_eq!(headers[header::CACHE_CONTROL], CACHE_CONTROL);
        let (status, headers, body) = call(&shared, Method::HEAD, "/").await;
        assert_eq!((status, body.len()), (200, 0));
        assert!(headers.contains_key(header::ETAG));
        let (status, headers, body) = call(&shared, Method::GET, "/crl/ca.crl").await;
        assert_eq!((status, body.as_slice()), (200, &b"crl"[..]));
        assert_eq!(headers[header::CONTENT_TYPE], CRL_CONTENT_TYPE);
        for path in [
            "/crl/ca.crl/",
            "/crl/..%2Fca.crl",
            "/crl/%2e%2e",
            "/crl/../index.json/x",
            "/crl",
            "/metrics",
            "/index.json/x",
        ] {
            assert_eq!(call(&shared, Method::GET, path).await.0, 404, "{path}");
        }
        assert_eq!(call(&shared, Method::POST, "/").await.0, 405);
        assert_eq!(call(&shared, Method::DELETE, "/crl/ca.crl").await.0, 405);
        let text = shared.render_metrics(OffsetDateTime::now_utc());
        assert!(text.contains(r#"mdsd_mirror_requests_total{route="crl",code="404"} 2"#), "{text}");
    }

    #[test]
    fn crl_names_are_plain_file_names() {
        assert_eq!(crl_name("http://crl.globalsign.com/root-r3.crl"), Some("root-r3.crl"));
        assert_eq!(crl_name("http://127.0.0.1:9/crl/ca.crl"), Some("ca.crl"));
        assert_eq!(crl_name("http://crl.example/"), None);
        assert_eq!(crl_name("http://crl.example/a/.."), None);
        assert_eq!(crl_name("http://crl.example/a/."), None);
        assert_eq!(crl_name("http://crl.example/get?ca=1"), None);
        assert_eq!(crl_name("http://crl.example/%2e%2e"), None);
        assert_eq!(crl_name(&format!("http://crl.example/{}", "a".repeat(256))), None);
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        let etag = HeaderValue::from_static("\"sha256-ab\"");
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            if_none_match(&h, &etag)
        };
        assert!(with("\"sha256-ab\""));
        assert!(with("\"x\", W/\"sha256-ab\""));
        assert!(with("*"));
        assert!(!with("\"sha256-ac\""));
        assert!(!with("sha256-ab"));
        assert!(!if_none_match(&HeaderMap::new(), &etag));
    }

    #[test]
    fn published_names_each_crl_once_and_indexes_them() {
        let p = Published::new(
            b"a.b.c".to_vec(),
            [7; 32],
            12,
            time::macros::date!(2026 - 12 - 31),
            vec![
                ("http://crl.example/root.crl".into(), b"root".to_vec()),
                ("http://other.example/root.crl".into(), b"other".to_vec()),
                ("http://crl.example/ca.crl".into(), b"ca".to_vec()),
                ("http://crl.example/ca.crl".into(), b"ca".to_vec()),
                ("http://crl.example/".into(), b"nameless".to_vec()),
            ],
        );
        assert_eq!(p.crl_names(), ["root.crl", "ca.crl"]);
        assert_eq!(&p.crls[0].der[..], b"root");
        let index: serde_json::Value = serde_json::from_slice(&p.index).unwrap();
        assert_eq!(index["no"], 12);
        assert_eq!(index["nextUpdate"], "2026-12-31");
        assert_eq!(index["sha256"], hex::encode([7; 32]));
        assert_eq!(index["bytes"], 5);
        assert_eq!(index["crls"], serde_json::json!(["root.crl", "ca.crl"]));
        assert_eq!(
            p.etag,
            HeaderValue::from_str(&format!("\"sha256-{}\"", hex::encode([7; 32]))).unwrap()
        );
    }
}
