//! The admin HTTP endpoint (loopback by default, separate from gRPC), in two parts:
//!
//! * read-only, open to anyone who can reach the port: `/metrics` (Prometheus text), `/livez`
//!   and `/healthz` (the process answers), `/readyz` (a verified, not-too-stale BLOB is loaded);
//! * control, `POST /refresh` (refresh now): disabled unless the operator configures
//!   `admin_token_file`. A control request must carry `Authorization: Bearer <token>`
//!   (compared in constant time), must not come from a web browser (no `Origin`, no
//!   `Sec-Fetch-Site` other than `none`, no form content type: any page open on the host could
//!   otherwise send one), and at most one is accepted per `admin_refresh_min_interval`.
//!
//! | answer | when |
//! |---|---|
//! | 202 | accepted |
//! | 403 | sent by a browser (whatever the token), or control disabled (no token configured) |
//! | 401 | missing or wrong bearer token (`WWW-Authenticate: Bearer`) |
//! | 429 | within the minimum interval of the last accepted trigger (`Retry-After`) |

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::state::{Shared, Unavailable};

/// Shortest token accepted from `admin_token_file`.
pub const MIN_TOKEN_LEN: usize = 16;
/// Longest token accepted from `admin_token_file`.
pub const MAX_TOKEN_LEN: usize = 1024;
/// Default `admin_refresh_min_interval`.
pub const DEFAULT_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(10);

/// The bearer token that enables the control routes. Only its SHA-256 is kept; a presented
/// token is hashed and the digests compared in constant time (neither the token's bytes nor
/// its length leak through timing).
#[derive(Clone)]
pub struct AdminToken {
    sha256: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// The token in a token file: surrounding whitespace (a trailing newline) removed, then
    /// [`MIN_TOKEN_LEN`] to [`MAX_TOKEN_LEN`] visible ASCII characters (what an HTTP header
    /// carries unchanged).
    pub fn from_file_contents(bytes: &[u8]) -> Result<AdminToken, String> {
        let token = bytes.trim_ascii();
        if token.is_empty() {
            return Err("the file holds no token".into());
        }
        if !token.iter().all(|b| b.is_ascii_graphic()) {
            return Err("the token must be visible ASCII characters only (no spaces)".into());
        }
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "the token is {} characters, fewer than {MIN_TOKEN_LEN} (make one with \
                 `openssl rand -hex 32`)",
                token.len()
            ));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(format!("the token is longer than {MAX_TOKEN_LEN} characters"));
        }
        Ok(AdminToken { sha256: sha256(token) })
    }

    /// True when `presented` is the token. The digests are compared without an early exit
    /// (ring's `constant_time::verify_slices_are_equal` is deprecated); comparing digests
    /// rather than tokens already means a timing difference could only tell an attacker about
    /// SHA-256 outputs of guesses, never about the token's bytes.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let presented = sha256(presented);
        let diff = presented.iter().zip(&self.sha256).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    super::state::blob_digest(bytes)
}

/// Why a control request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Sent by a web browser: the header that says so.
    Browser(&'static str),
    /// No `admin_token_file` is configured.
    Disabled,
    /// No `Authorization: Bearer` header.
    MissingToken,
    /// A bearer token that is not the configured one (or several Authorization headers).
    WrongToken,
    /// Within the minimum interval of the last accepted trigger.
    TooSoon { retry_after: Duration },
}

impl Refusal {
    /// The metrics label: `browser`, `disabled`, `unauthorized` or `rate_limited`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Refusal::Browser(_) => "browser",
            Refusal::Disabled => "disabled",
            Refusal::MissingToken | Refusal::WrongToken => "unauthorized",
            Refusal::TooSoon { .. } => "rate_limited",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Browser(_) | Refusal::Disabled => StatusCode::FORBIDDEN,
            Refusal::MissingToken | Refusal::WrongToken => StatusCode::UNAUTHORIZED,
            Refusal::TooSoon { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn into_response(self, min_interval: Duration) -> Response {
        let status = self.status();
        match self {
            Refusal::Browser(signal) => (
                status,
                format!(
                    "refused: control requests from a web browser are not accepted ({signal}); \
                     use a command-line client\n"
                ),
            )
                .into_response(),
            Refusal::Disabled => (
                status,
                "control is disabled: set admin_token_file (--admin-token-file, \
                 MDSD_ADMIN_TOKEN_FILE) to a file holding a secret token, then send \
                 `Authorization: Bearer <token>` (see docs/config.md)\n",
            )
                .into_response(),
            Refusal::MissingToken | Refusal::WrongToken => (
                status,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"mdsd-admin\"")],
                "a valid `Authorization: Bearer <token>` (the token in admin_token_file) is \
                 required\n",
            )
                .into_response(),
            Refusal::TooSoon { retry_after } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                (
                    status,
                    [(header::RETRY_AFTER, HeaderValue::from(secs))],
                    format!(
                        "a refresh was triggered less than {} s ago; retry in {secs} s\n",
                        min_interval.as_secs()
                    ),
                )
                    .into_response()
            }
        }
    }
}

/// The control part of the admin endpoint: the token (if any) and the trigger rate limit.
#[derive(Debug)]
pub struct Control {
    token: Option<AdminToken>,
    min_interval: Duration,
    last_accepted: Mutex<Option<Instant>>,
}

impl Control {
    /// `token: None` disables control.
    pub fn new(token: Option<AdminToken>, min_interval: Duration) -> Control {
        Control { token, min_interval, last_accepted: Mutex::new(None) }
    }

    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// Decides a control request from its headers at `now`, in this order: browser signals
    /// (refused whatever the token), control disabled, bearer token, rate limit. An accepted
    /// request starts a new interval; a refused one does not.
    pub fn authorize(&self, headers: &HeaderMap, now: Instant) -> Result<(), Refusal> {
        if let Some(signal) = browser_signal(headers) {
            return Err(Refusal::Browser(signal));
        }
        let Some(token) = &self.token else { return Err(Refusal::Disabled) };
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let presented = match (values.next(), values.next()) {
            (None, _) => return Err(Refusal::MissingToken),
            (Some(_), Some(_)) => return Err(Refusal::WrongToken),
            (Some(value), None) => bearer(value.as_bytes()).ok_or(Refusal::WrongToken)?,
        };
        if !token.matches(presented) {
            return Err(Refusal::WrongToken);
        }
        let mut last = self.last_accepted.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = *last {
            let since = now.saturating_duration_since(at);
            if since < self.min_interval {
                return Err(Refusal::TooSoon { retry_after: self.min_interval - since });
            }
        }
        *last = Some(now);
        Ok(())
    }
}

/// The header showing that a web browser sent the request, if any: `Origin` (sent with every
/// cross-origin request and every POST), `Sec-Fetch-Site` other than `none` (`none` is a
/// request the user made directly), or a content type an HTML form or a no-CORS `fetch` can
/// send cross-site without a preflight (unparsable ones included).
fn browser_signal(headers: &HeaderMap) -> Option<&'static str> {
    if headers.contains_key(header::ORIGIN) {
        return Some("Origin header");
    }
    if headers.get_all("sec-fetch-site").iter().any(|v| !v.as_bytes().eq_ignore_ascii_case(b"none"))
    {
        return Some("Sec-Fetch-Site header");
    }
    for value in headers.get_all(header::CONTENT_TYPE) {
        let essence = value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase());
        match essence.as_deref() {
            None | Some("") => return Some("unparsable Content-Type"),
            Some("application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain") => {
                return Some("form Content-Type")
            }
            Some(_) => {}
        }
    }
    None
}

/// The token of `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || rest.first() != Some(&b' ') {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// What the admin routes share.
#[derive(Debug)]
struct Admin {
    shared: Arc<Shared>,
    control: Control,
}

/// The admin routes over the shared state; `control` decides `POST /refresh`. Serve with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that refusals log the peer.
pub fn router(shared: Arc<Shared>, control: Control) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(live))
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
        .route("/refresh", post(refresh))
        .with_state(Arc::new(Admin { shared, control }))
}

async fn metrics(State(admin): State<Arc<Admin>>) -> impl IntoResponse {
    let shared = &admin.shared;
    let body = shared.render_metrics(shared.now());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
}

async fn live() -> &'static str {
    "ok\n"
}

async fn ready(State(admin): State<Arc<Admin>>) -> (StatusCode, String) {
    match admin.shared.for_request(admin.shared.now()) {
        Ok((loaded, false)) => (StatusCode::OK, format!("ready: BLOB no {}\n", loaded.blob.no)),
        Ok((loaded, true)) => (
            StatusCode::OK,
            format!(
                "ready (stale): BLOB no {} past nextUpdate {}\n",
                loaded.blob.no, loaded.blob.next_update
            ),
        ),
        Err(Unavailable::NotLoaded { last_error }) => {
            let status = admin.shared.status();
            let mut text = format!(
                "not ready: no verified BLOB yet ({})\n",
                last_error.as_deref().unwrap_or("first refresh pending")
            );
            if let Some(next) = status.next_refresh_at {
                text.push_str(&format!("next try: {}\n", super::advice::rfc3339(next)));
            }
            if let Some(advice) = status.advice {
                text.push_str(&format!("what to do: {advice}\n"));
            }
            (StatusCode::SERVICE_UNAVAILABLE, text)
        }
        Err(Unavailable::StaleBeyondGrace { no, next_update, serve_until }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: BLOB no {no} stale since {next_update}, grace ended {}\n",
                super::advice::rfc3339(serve_until)
            ),
        ),
    }
}

async fn refresh(State(admin): State<Arc<Admin>>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let peer = peer.map(|p| p.to_string()).unwrap_or_default();
    let headers = request.headers();
    match admin.control.authorize(headers, Instant::now()) {
        Ok(()) => {
            admin.shared.metrics.admin_control("refresh", "accepted");
            tracing::info!(%peer, "admin: POST /refresh accepted; refresh triggered");
            admin.shared.trigger_refresh();
            (StatusCode::ACCEPTED, "refresh triggered\n").into_response()
        }
        Err(refusal) => {
            admin.shared.metrics.admin_control("refresh", refusal.outcome());
            // Header values are attacker-chosen: logged escaped (Debug), the token never.
            let origin = headers.get(header::ORIGIN);
            match &refusal {
                Refusal::TooSoon { retry_after } => tracing::info!(%peer,
                    retry_after_secs = retry_after.as_secs(),
                    "admin: POST /refresh refused: too soon after the last trigger"),
                _ => tracing::warn!(%peer, outcome = refusal.outcome(), detail = ?refusal,
                    ?origin, status = refusal.status().as_u16(), "admin: POST /refresh refused"),
            }
            refusal.into_response(admin.control.min_interval)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn control(min_interval: Duration) -> Control {
        Control::new(Some(AdminToken::from_file_contents(TOKEN.as_bytes()).unwrap()), min_interval)
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn bearer_header() -> (&'static str, String) {
        ("authorization", format!("Bearer {TOKEN}"))
    }

    #[test]
    fn token_file_contents_are_checked() {
        assert!(AdminToken::from_file_contents(format!("{TOKEN}\n").as_bytes()).is_ok());
        assert!(AdminToken::from_file_contents(format!("  {TOKEN}\r\n").as_bytes())
            .unwrap()
            .matches(TOKEN.as_bytes()));
        for (contents, expected) in [
            ("", "no token"),
            ("\n\n", "no token"),
            ("short-token", "fewer than 16"),
            ("0123456789abcdef 0123", "visible ASCII"),
            ("0123456789abcdef\u{e9}", "visible ASCII"),
        ] {
            let err = AdminToken::from_file_contents(contents.as_bytes()).unwrap_err();
            assert!(err.contains(expected), "{contents:?}: {err}");
        }
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        assert!(AdminToken::from_file_contents(long.as_bytes()).is_err());
        assert_eq!(
            format!("{:?}", AdminToken::from_file_contents(TOKEN.as_bytes()).unwrap()),
            "AdminToken(<redacted>)"
        );
    }

    #[test]
    fn token_must_match_exactly() {
        let token = AdminToken::from_file_contents(TOKEN.as_bytes()).unwrap();
        assert!(token.matches(TOKEN.as_bytes()));
        assert!(!token.matches(&TOKEN.as_bytes()[1..]));
        assert!(!token.matches(format!("{TOKEN}0").as_bytes()));
        assert!(!token.matches(TOKEN.to_uppercase().as_bytes()));
        assert!(!token.matches(b""));
    }

    #[test]
    fn bearer_scheme_parsing() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Bearerabc"), None);
        assert_eq!(bearer(b"Bearer "), None);
        assert_eq!(bearer(b"Basic YWxhZGRpbjpvcGVuc2VzYW1l"), None);
        assert_eq!(bearer(b"Bear"), None);
    }

    /// Without a token file nothing is accepted, not even a request a browser could not send.
    #[test]
    fn disabled_control_refuses_everything() {
        let disabled = Control::new(None, DEFAULT_REFRESH_MIN_INTERVAL);
        assert!(!disabled.enabled());
        let (name, value) = bearer_header();
        let err = disabled.authorize(&headers(&[(name, &value)]), Instant::now()).unwrap_err();
        assert_eq!(err, Refusal::Disabled);
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        assert_eq!(disabled.authorize(&HeaderMap::new(), Instant::now()), Err(Refusal::Disabled));
    }

    /// Browser signals are refused whatever the token: a page on the host (or one that rebinds
    /// DNS to it) must not be able to trigger refreshes.
    #[test]
    fn browser_requests_are_refused_even_with_the_token() {
        let control = control(Duration::from_secs(10));
        let (name, value) = bearer_header();
        let now = Instant::now();
        for extra in [
            ("origin", "https://evil.example"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-site", "same-site"),
            ("content-type", "text/plain;charset=UTF-8"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-type", "Multipart/Form-Data; boundary=x"),
            ("content-type", ""),
        ] {
            let err = control.authorize(&headers(&[(name, &value), extra]), now).unwrap_err();
            assert!(matches!(err, Refusal::Browser(_)), "{extra:?}: {err:?}");
            assert_eq!(err.status(), StatusCode::FORBIDDEN);
        }
        // A request the user made directly, and a JSON body, are not browser signals.
        for extra in [("sec-fetch-site", "none"), ("content-type", "application/json")] {
            let c = self::control(Duration::from_secs(10));
            assert_eq!(c.authorize(&headers(&[(name, &value), extra]), now), Ok(()), "{extra:?}");
        }
    }

    #[test]
    fn missing_or_wrong_token_is_unauthorized() {
        let control = control(Duration::from_secs(10));
        let now = Instant::now();
        assert_eq!(control.authorize(&HeaderMap::new(), now), Err(Refusal::MissingToken));
        for value in [
            "Bearer wrong-token-wrong-token",
            "Basic YWRtaW46YWRtaW4=",
            TOKEN,
            &format!("Bearer {TOKEN}x"),
        ] {
            let err = control.authorize(&headers(&[("authorization", value)]), now).unwrap_err();
            assert_eq!(err, Refusal::WrongToken, "{value}");
            assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        }
        let (name, value) = bearer_header();
        let twice = headers(&[(name, &value), (name, &value)]);
        assert_eq!(control.authorize(&twice, now), Err(Refusal::WrongToken));
        // Refusals did not use up the interval.
        assert_eq!(control.authorize(&headers(&[(name, &value)]), now), Ok(()));
    }

    #[test]
    fn one_accepted_trigger_per_interval() {
        let control = control(Duration::from_secs(10));
        let (name, value) = bearer_header();
        let ok = headers(&[(name, &value)]);
        let t0 = Instant::now();
        assert_eq!(control.authorize(&ok, t0), Ok(()));
        let err = control.authorize(&ok, t0 + Duration::from_millis(2500)).unwrap_err();
        assert_eq!(err, Refusal::TooSoon { retry_after: Duration::from_millis(7500) });
        assert_eq!(err.status(), StatusCode::TOO_MANY_REQUESTS);
        let response = err.into_response(Duration::from_secs(10));
        assert_eq!(response.headers()[header::RETRY_AFTER], "8");
        // A refused trigger does not restart the interval.
        assert_eq!(control.authorize(&ok, t0 + Duration::from_secs(10)), Ok(()));
        assert!(control.authorize(&ok, t0 + Duration::from_secs(19)).is_err());
    }
}
