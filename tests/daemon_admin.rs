//! The admin endpoint of a real daemon (in-process, 127.0.0.1:0) against a local MDS: the
//! read-only routes need nothing; control (`POST /refresh`) is disabled without
//! `admin_token_file`, needs `Authorization: Bearer <token>` with one, refuses anything a web
//! browser sends whatever the token, and accepts at most one trigger per
//! `admin_refresh_min_interval`. A refused request must not make the daemon fetch anything.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mdsd::daemon::server::{start, Running};
use mdsd_test_support::mds_env::{in_days, MdsEnv, BLOB_PATH};

const TOKEN: &str = "3f1c9a0e5b7d2c4e8f6a1b3d5c7e9f0a";

/// One HTTP/1.1 request; answers (status, header block, body).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    conn.write_all(text.as_bytes()).await.unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

async fn wait_for_no(running: &Running, no: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.shared.current().map(|c| c.blob.no) != Some(no) {
        assert!(Instant::now() < deadline, "never served {no}: {:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn metric(text: &str, prefix: &str) -> Option<String> {
    text.lines().find(|l| l.starts_with(prefix)).map(|l| l[prefix.len()..].trim().to_string())
}

/// What a page open in a browser on the host can send cross-site without a preflight: a form
/// POST (Origin, Sec-Fetch-Site, text/plain). It, and a plain request without a token, used to
/// make the daemon fetch (every ~2 s at most); now both are refused and nothing is fetched.
#[tokio::test]
async fn without_a_token_control_is_disabled_and_nothing_is_fetched() {
    let env = MdsEnv::start("admin-disabled").await;
    env.serve_blob(1, env.blob(1, in_days(30), vec![]));
    let running = start(env.config()).await.unwrap();
    let admin = running.admin_addr.unwrap();
    wait_for_no(&running, 1).await;
    let fetches = env.server.seen(BLOB_PATH).len();

    let form = [
        ("Origin", "https://attacker.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Content-Type", "text/plain;charset=UTF-8"),
    ];
    let (status, _, body) = request(admin, "POST", "/refresh", &form).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("web browser"), "{body}");
    let (status, _, body) = request(admin, "POST", "/refresh", &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("control is disabled") && body.contains("admin_token_file"), "{body}");
    // A token does not help while control is off.
    let auth = format!("Bearer {TOKEN}");
    let (status, _, _) = request(admin, "POST", "/refresh", &[("Authorization", &auth)]).await;
    assert_eq!(status, 403);

    // Longer than the refresh loop's own 2 s trigger spacing: a trigger would have fetched.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(env.server.seen(BLOB_PATH).len(), fetches, "a refused request made mdsd fetch");

    // The read-only routes stay open.
    for path in ["/metrics", "/readyz", "/livez", "/healthz"] {
        assert_eq!(request(admin, "GET", path, &[]).await.0, 200, "{path}");
    }
    let (_, _, metrics) = request(admin, "GET", "/metrics", &[]).await;
    assert_eq!(
        metric(
            &metrics,
            "mdsd_admin_control_requests_total{route=\"refresh\",outcome=\"disabled\"}"
        )
        .as_deref(),
        Some("2"),
        "{metrics}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn token_enables_control_browsers_refused_rate_limited() {
    let env = MdsEnv::start("admin-token").await;
    env.serve_blob(1, env.blob(1, in_days(30), vec![]));
    let token_file = env.dir.join("admin.token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut raw = env.raw_config();
    raw.admin_token_file = Some(token_file);
    raw.admin_refresh_min_interval = Some("3s".into());
    let running = start(raw.check().unwrap()).await.unwrap();
    let admin = running.admin_addr.unwrap();
    wait_for_no(&running, 1).await;
    env.serve_blob(2, env.blob(2, in_days(30), vec![]));
    let fetches = env.server.seen(BLOB_PATH).len();
    let auth = format!("Bearer {TOKEN}");

    // No token, a wrong one, another scheme: 401 with the scheme to use.
    for headers in [
        vec![],
        vec![("Authorization", "Bearer 3f1c9a0e5b7d2c4e8f6a1b3d5c7e9f0b")],
        vec![("Authorization", "Basic YWRtaW46YWRtaW4=")],
    ] {
        let (status, head, body) = request(admin, "POST", "/refresh", &headers).await;
        assert_eq!(status, 401, "{headers:?}: {body}");
        assert!(head.contains("www-authenticate: bearer"), "{head}");
    }
    // The right token, sent the way a browser would: 403.
    for signal in [
        ("Origin", "http://127.0.0.1:9464"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ] {
        let (status, _, body) =
            request(admin, "POST", "/refresh", &[("Authorization", &auth), signal]).await;
        assert_eq!(status, 403, "{signal:?}: {body}");
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(env.server.seen(BLOB_PATH).len(), fetches, "a refused request made mdsd fetch");

    // Accepted (a request typed by the user says Sec-Fetch-Site: none), and it refreshes.
    let headers = [("Authorization", auth.as_str()), ("Sec-Fetch-Site", "none")];
    let (status, _, body) = request(admin, "POST", "/refresh", &headers).await;
    assert_eq!((status, body.as_str()), (202, "refresh triggered\n"));
    wait_for_no(&running, 2).await;
    // A second trigger within the interval: 429, Retry-After, nothing fetched.
    let fetches = env.server.seen(BLOB_PATH).len();
    let (status, head, body) = request(admin, "POST", "/refresh", &headers).await;
    assert_eq!(status, 429, "{body}");
    let retry_after: u64 = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in {head}"));
    assert!((1..=3).contains(&retry_after), "{retry_after}");
    // After it, accepted again.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _, _) = request(admin, "POST", "/refresh", &headers).await;
    assert_eq!(status, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.server.seen(BLOB_PATH).len() == fetches {
        assert!(Instant::now() < deadline, "the accepted trigger fetched nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(request(admin, "GET", "/refresh", &headers).await.0, 405);

    let (_, _, metrics) = request(admin, "GET", "/metrics", &[]).await;
    for (outcome, n) in
        [("accepted", "2"), ("unauthorized", "3"), ("browser", "3"), ("rate_limited", "1")]
    {
        let name =
            format!("mdsd_admin_control_requests_total{{route=\"refresh\",outcome=\"{outcome}\"}}");
        assert_eq!(metric(&metrics, &name).as_deref(), Some(n), "{name}: {metrics}");
    }
    running.shutdown().await;
}
