//! Fault injection against the refresh path of a running daemon (tests/daemon_refresh.rs drives
//! the refresher alone): HTTP 500 and 429 with Retry-After, a connection reset mid-body, a body
//! that never ends (slowloris), a 1 GB body (claimed, and streamed without a length), wrong
//! content, a valid but older BLOB, the CRL server down (connection refused), a CRL listing the
//! signing certificate while a store is served, the state directory full or read-only (a tiny
//! tmpfs, when this process may mount one), and the process killed while it writes the snapshot.
//! For each: the previous trust store keeps serving, health and metrics tell the truth, nothing
//! unverified is served, and the state directory still loads.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mdsd::daemon::server::{start, Running};
use mdsd::daemon::snapshot_file::StateDir;
use mdsd_test_support::mds_env::{self, in_days, MdsEnv};
use mdsd_test_support::{blob, free_port, http, metric_value, now, pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const AAGUID: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");

/// How the misbehaving BLOB server answers.
#[derive(Debug, Clone)]
enum Fault {
    /// A proper 200 with this body and content type.
    Body { content_type: &'static str, body: Vec<u8> },
    /// Headers announce `body.len()`, half of it is sent, then the connection is reset (RST).
    ResetMidBody { body: Vec<u8> },
    /// Headers, then one byte every 200 ms, forever.
    Slowloris,
    /// `Content-Length: 1000000000`, then zeros as fast as the client reads them.
    ClaimedGigabyte,
    /// Chunked, no length: 1 GB of zeros in 64 KiB chunks as fast as the client reads them.
    ChunkedGigabyte,
    /// A non-success status with extra headers and a short body.
    Status { code: u16, headers: Vec<(&'static str, String)> },
}

#[derive(Clone)]
struct FaultServer {
    addr: std::net::SocketAddr,
    fault: Arc<Mutex<Fault>>,
    /// Body bytes written by the last answer before the client went away.
    sent: Arc<AtomicU64>,
    /// When each request arrived (its headers read), oldest first.
    requests: Arc<Mutex<Vec<Instant>>>,
}

impl FaultServer {
    async fn start(fault: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = FaultServer {
            addr: listener.local_addr().unwrap(),
            fault: Arc::new(Mutex::new(fault)),
            sent: Arc::default(),
            requests: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else { return };
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    s.requests.lock().unwrap().push(Instant::now());
                    let fault = s.fault.lock().unwrap().clone();
                    s.sent.store(0, Ordering::SeqCst);
                    match fault {
                        Fault::Status { code, headers } => {
                            let mut head = format!(
                                "HTTP/1.1 {code} X\r\nContent-Length: 4\r\nConnection: close\r\n"
                            );
                            for (k, v) in headers {
                                head.push_str(&format!("{k}: {v}\r\n"));
                            }
                            head.push_str("\r\noops");
                            let _ = conn.write_all(head.as_bytes()).await;
                            let _ = conn.shutdown().await;
                        }
                        Fault::Body { content_type, body } => {
                            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                            let _ = conn.write_all(head.as_bytes()).await;
                            let _ = conn.write_all(&body).await;
                            let _ = conn.shutdown().await;
                        }
                        Fault::ResetMidBody { body } => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            );
                            let _ = conn.write_all(head.as_bytes()).await;
                            let _ = conn.write_all(&body[..body.len() / 2]).await;
                            let _ = conn.flush().await;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            // SO_LINGER 0: close sends RST instead of FIN (does not block).
                            #[allow(deprecated)]
                            let _ = conn.set_linger(Some(Duration::ZERO));
                            drop(conn);
                        }
                        Fault::Slowloris => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
                            let _ = conn.write_all(head.as_bytes()).await;
                            loop {
                                if conn.write_all(b"e").await.is_err() {
                                    return;
                                }
                                s.sent.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(200)).await;
                            }
                        }
                        Fault::ClaimedGigabyte | Fault::ChunkedGigabyte => {
                            let chunked = matches!(fault, Fault::ChunkedGigabyte);
                            let head = if chunked {
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
                            } else {
                                "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n".to_string()
                            };
                            if conn.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let zeros = vec![b'0'; 64 * 1024];
                            let mut framed = format!("{:x}\r\n", zeros.len()).into_bytes();
                            framed.extend_from_slice(&zeros);
                            framed.extend_from_slice(b"\r\n");
                            while s.sent.load(Ordering::SeqCst) < 1_000_000_000 {
                                let out = if chunked { &framed } else { &zeros };
                                if conn.write_all(out).await.is_err() {
                                    return;
                                }
                                s.sent.fetch_add(zeros.len() as u64, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
        });
        server
    }

    fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn url(&self) -> String {
        format!("http://{}/blob.jwt", self.addr)
    }

    fn requests(&self) -> Vec<Instant> {
        self.requests.lock().unwrap().clone()
    }
}

fn entries() -> Vec<serde_json::Value> {
    vec![blob::fido2_entry(AAGUID, "FIDO_CERTIFIED_L1")]
}

async fn health(channel: &Channel) -> ServingStatus {
    let mut h = HealthClient::new(channel.clone());
    let r = h.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
    ServingStatus::try_from(r.status).unwrap()
}

/// Triggers a refresh and waits until the daemon has recorded one more failure.
async fn failed_refresh(running: &Running) -> String {
    let before = running.shared.status().consecutive_failures;
    running.shared.trigger_refresh();
    let started = Instant::now();
    loop {
        let status = running.shared.status();
        if status.consecutive_failures > before {
            return status.last_error.unwrap_or_default();
        }
        if started.elapsed() > Duration::from_secs(30) {
            let metrics = running.shared.render_metrics(now());
            let refreshes: Vec<&str> =
                metrics.lines().filter(|l| l.starts_with("mdsd_refreshes_total")).collect();
            panic!("no failure recorded: {status:?} {refreshes:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What must hold after every fault: BLOB `no` is served, health is SERVING, the metrics show
/// `failures` failures in a row and the served `no`, and the state directory loads `no`.
async fn still_serving(running: &Running, channel: &Channel, state: &Path, no: u64, failures: u32) {
    let (loaded, stale) = running.shared.for_request(now()).unwrap();
    assert_eq!(loaded.blob.no, no);
    assert!(!stale);
    assert_eq!(health(channel).await, ServingStatus::Serving);
    let metrics = running.shared.render_metrics(now());
    let line = |name: &str| {
        metrics
            .lines()
            .find(|l| !l.starts_with('#') && l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing in {metrics}"))
            .to_string()
    };
    assert!(line("refresh_consecutive_failures").ends_with(&format!(" {failures}")), "{metrics}");
    assert!(line("blob_no").ends_with(&format!(" {no}")), "{metrics}");
    let (dir, _) = StateDir::open(state).unwrap();
    assert_eq!(dir.load_snapshot(64 << 20).unwrap().unwrap().no, no);
}

#[tokio::test]
async fn broken_transfers_keep_the_previous_store_serving() {
    let env = MdsEnv::start("faults-net").await;
    // The CA's first CRL is current for a few seconds only: a CRL is cached until its
    // nextUpdate, so a revocation published later is seen once that CRL expired.
    let crl_expiry = now() + time::Duration::seconds(6);
    env.server.set(
        mds_env::CA_CRL_PATH,
        http::Route::Ok {
            body: pki::crl(&env.ca, &[], now() - time::Duration::days(1), crl_expiry),
            etag: None,
        },
    );
    let good = env.blob(10, in_days(30), entries());
    let server = FaultServer::start(Fault::Body {
        content_type: "application/octet-stream",
        body: good.clone(),
    })
    .await;
    let mut raw = env.raw_config();
    raw.mds_url = vec![server.url()];
    raw.max_blob_bytes = Some((4 << 20).into());
    raw.refresh_interval = Some("1h".into());
    let running = start(raw.check().unwrap()).await.unwrap();
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let started = Instant::now();
    while running.shared.current().is_none() {
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let state = env.state_dir();
    still_serving(&running, &channel, &state, 10, 0).await;
    let newer = env.blob(11, in_days(30), entries());
    let mut failures = 0;
    let mut table = Vec::new();

    // (First, while the CA's short-lived CRL is current.) A valid but older BLOB (a replay, or a mirror that went back): refused by the rollback
    // floor, with the step named in the metrics.
    server.set(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(9, in_days(60), entries()),
    });
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("valid older BLOB", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("rollback"), "{err}");
    let metrics = running.shared.render_metrics(now());
    assert!(metrics.contains("step=\"verify:rollback\"} 1"), "{metrics}");
    still_serving(&running, &channel, &state, 10, failures).await;

    // Connection reset after half of a valid, newer BLOB.
    server.set(Fault::ResetMidBody { body: newer.clone() });
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("reset mid-body", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("fetch"), "{err}");
    still_serving(&running, &channel, &state, 10, failures).await;

    // Slowloris: one byte every 200 ms; fetch_timeout (2 s) ends it.
    server.set(Fault::Slowloris);
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("slowloris", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("timeout"), "{err}");
    assert!(server.sent.load(Ordering::SeqCst) < 100, "the body kept flowing");
    still_serving(&running, &channel, &state, 10, failures).await;

    // 1 GB announced by Content-Length: refused from the header, before reading the body.
    server.set(Fault::ClaimedGigabyte);
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("Content-Length 1 GB", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("more than 4194304 bytes"), "{err}");
    still_serving(&running, &channel, &state, 10, failures).await;

    // 1 GB chunked (no length): cut once 4 MiB arrived; the server got to send only a little
    // more than that (socket buffers), not the gigabyte.
    server.set(Fault::ChunkedGigabyte);
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("chunked 1 GB", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("more than 4194304 bytes"), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = server.sent.load(Ordering::SeqCst);
    println!("chunked 1 GB: the server wrote {sent} body bytes before the client hung up");
    assert!(sent < 64 << 20, "{sent} bytes went out: the cap did not cut the stream");
    still_serving(&running, &channel, &state, 10, failures).await;

    // Wrong content: an HTML error page with 200, JSON, empty, the BLOB as base64 of itself.
    for (content_type, body) in [
        ("text/html", b"<html><body>Service Unavailable</body></html>".to_vec()),
        ("application/json", br#"{"error":"maintenance"}"#.to_vec()),
        ("application/octet-stream", Vec::new()),
        (
            "text/plain",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &newer).into_bytes(),
        ),
    ] {
        server.set(Fault::Body { content_type, body });
        let t = Instant::now();
        let err = failed_refresh(&running).await;
        table.push(("wrong content", t.elapsed(), err.clone()));
        failures += 1;
        assert!(err.contains("verify") || err.contains("JWS") || err.contains("jws"), "{err}");
        still_serving(&running, &channel, &state, 10, failures).await;
    }

    // A CRL that lists the BLOB signer: the newer BLOB is refused; the store accepted earlier
    // keeps serving (it was verified when the signer was not revoked; its own CRLs are kept).
    // The cached CRL must have expired first (until then it is the current word of the CA).
    let wait = crl_expiry - now() + time::Duration::seconds(1);
    if wait.is_positive() {
        tokio::time::sleep(Duration::try_from(wait).unwrap()).await;
    }
    env.serve_crls(&[env.signer.serial]);
    server.set(Fault::Body { content_type: "application/jwt", body: newer.clone() });
    let t = Instant::now();
    let err = failed_refresh(&running).await;
    table.push(("CRL lists the signer", t.elapsed(), err.clone()));
    failures += 1;
    assert!(err.contains("revoked"), "{err}");
    still_serving(&running, &channel, &state, 10, failures).await;

    // Everything repaired: the newer BLOB goes in, the failure count resets. It is served as
    // text/html on purpose: the content type is not what makes a BLOB trusted (nor refused).
    env.serve_crls(&[]);
    server.set(Fault::Body { content_type: "text/html", body: newer.clone() });
    running.shared.trigger_refresh();
    let started = Instant::now();
    while running.shared.current().map(|c| c.blob.no) != Some(11) {
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    still_serving(&running, &channel, &state, 11, 0).await;
    for (case, took, err) in table {
        let err: String = err.chars().take(100).collect();
        println!("{case:<22} {:>8.0} ms  {err}", took.as_secs_f64() * 1e3);
    }
    running.shutdown().await;
}

async fn wait_for(running: &Running, no: u64) {
    let started = Instant::now();
    while running.shared.current().map(|c| c.blob.no) != Some(no) {
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A metric's value: the first sample line starting with `prefix` (name and labels).
fn metric(running: &Running, prefix: &str) -> f64 {
    metric_value(&running.shared.render_metrics(now()), prefix)
}

/// Starts the daemon on `raw` and waits until it serves BLOB `no`; returns it with a gRPC
/// channel to it.
async fn start_serving(raw: mdsd::daemon::config::RawConfig, no: u64) -> (Running, Channel) {
    let running = start(raw.check().unwrap()).await.unwrap();
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    wait_for(&running, no).await;
    (running, channel)
}

/// HTTP 500, then 429 with Retry-After: the previous store keeps serving, the failures are
/// counted under the fetch step, the next refresh is scheduled no sooner than the Retry-After,
/// and an operator trigger does not make mdsd ask again before it has passed (RFC 9110
/// §10.2.3; the MDS answers 429 to clients that poll too often).
#[tokio::test]
async fn server_errors_and_retry_after_keep_the_previous_store_serving() {
    let env = MdsEnv::start("faults-status").await;
    let server = FaultServer::start(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(10, in_days(30), entries()),
    })
    .await;
    let mut raw = env.raw_config();
    raw.mds_url = vec![server.url()];
    raw.refresh_interval = Some("1h".into());
    let (running, channel) = start_serving(raw, 10).await;
    let state = env.state_dir();
    still_serving(&running, &channel, &state, 10, 0).await;

    server.set(Fault::Status { code: 500, headers: vec![] });
    let err = failed_refresh(&running).await;
    assert!(err.contains("HTTP 500"), "{err}");
    still_serving(&running, &channel, &state, 10, 1).await;

    let retry_after = Duration::from_secs(5);
    server.set(Fault::Status {
        code: 429,
        headers: vec![("Retry-After", retry_after.as_secs().to_string())],
    });
    let err = failed_refresh(&running).await;
    assert!(err.contains("HTTP 429"), "{err}");
    let refused = *server.requests().last().unwrap();
    still_serving(&running, &channel, &state, 10, 2).await;
    assert_eq!(metric(&running, "mdsd_refreshes_total{result=\"failed\",step=\"fetch\"}"), 2.0);
    // The schedule says so too (the back-off, 2 min here, is longer than the Retry-After).
    let next = metric(&running, "mdsd_refresh_next_timestamp_seconds");
    let unix_now = now().unix_timestamp() as f64;
    assert!(next >= unix_now + retry_after.as_secs_f64() - 1.0, "next {next}, now {unix_now}");

    // The MDS is back with a newer BLOB; an operator asks for a refresh at once. mdsd waits
    // for the Retry-After, then takes it.
    server.set(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(11, in_days(30), entries()),
    });
    let asked = server.requests().len();
    running.shared.trigger_refresh();
    wait_for(&running, 11).await;
    let requests = server.requests();
    let retried = requests[asked];
    assert!(
        retried - refused >= retry_after,
        "asked again {:?} after the 429 (Retry-After {retry_after:?})",
        retried - refused
    );
    assert_eq!(requests.len(), asked + 1, "{requests:?}");
    still_serving(&running, &channel, &state, 11, 0).await;
    running.shutdown().await;
}

/// A CRL distribution point that can be taken down (its listener closed: connection refused,
/// not a 404) and brought back on the same port. 200 with the body set for a path, else 404.
struct CrlPoint {
    addr: std::net::SocketAddr,
    crls: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl CrlPoint {
    async fn start() -> CrlPoint {
        let mut point =
            CrlPoint { addr: "127.0.0.1:0".parse().unwrap(), crls: Arc::default(), task: None };
        point.up().await;
        point
    }

    /// Listens again (on the port of the first start).
    async fn up(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.addr = listener.local_addr().unwrap();
        let crls = self.crls.clone();
        self.task = Some(tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else { return };
                let crls = crls.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let path = text.split(' ').nth(1).unwrap_or("/").to_string();
                    let body = crls.lock().unwrap().get(&path).cloned();
                    let (status, body) = match body {
                        Some(body) => ("200 OK", body),
                        None => ("404 Not Found", Vec::new()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(&body).await;
                    let _ = conn.shutdown().await;
                });
            }
        }));
    }

    /// Closes the listener: connections are refused from now on.
    async fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        let refused = std::net::TcpStream::connect(self.addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused}");
    }

    fn set(&self, path: &str, der: Vec<u8>) {
        self.crls.lock().unwrap().insert(path.to_string(), der);
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// The CRL server down (connection refused): while the cached CRLs are current, a newer BLOB
/// still verifies with them; once the CA's cached CRL has expired, a newer BLOB is refused
/// (its signer's revocation status cannot be learnt), the previous store keeps serving, health
/// stays SERVING, and the metrics count the failed CRL download and the revocation failure.
/// With the server back the newer BLOB goes in.
#[tokio::test]
async fn crl_server_down_keeps_the_previous_store_serving() {
    use mdsd_test_support::pki::Spec;
    let mut crl = CrlPoint::start().await;
    let root = pki::root("mdsd test MDS root");
    let ca = pki::issue(
        Spec::ca("mdsd test MDS CA").crl_url(&crl.url(mds_env::ROOT_CRL_PATH)),
        Some(&root),
    );
    let signer = pki::issue(
        Spec::leaf("mds.test.example").crl_url(&crl.url(mds_env::CA_CRL_PATH)),
        Some(&ca),
    );
    let dir = std::env::temp_dir().join(format!("mdsd-faults-crl-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("root.pem"), root.cert.pem()).unwrap();
    let env = MdsEnv { server: http::MockServer::start().await, root, ca, signer, dir };
    // The root's CRL is current for a week, the CA's for 20 s only (a CRL is cached until its
    // nextUpdate, so the outage becomes visible once it expired).
    let start_at = now();
    let ca_crl_expiry = start_at + time::Duration::seconds(20);
    let yesterday = start_at - time::Duration::days(1);
    let week = start_at + time::Duration::days(7);
    crl.set(mds_env::ROOT_CRL_PATH, pki::crl(&env.root, &[], yesterday, week));
    crl.set(mds_env::CA_CRL_PATH, pki::crl(&env.ca, &[], yesterday, ca_crl_expiry));

    let server = FaultServer::start(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(10, in_days(30), entries()),
    })
    .await;
    let mut raw = env.raw_config();
    raw.mds_url = vec![server.url()];
    raw.refresh_interval = Some("1h".into());
    let (running, channel) = start_serving(raw, 10).await;
    let state = env.state_dir();
    still_serving(&running, &channel, &state, 10, 0).await;
    assert_eq!(metric(&running, "mdsd_crl_fetches_total{source=\"download\"}"), 2.0);

    crl.down().await;

    // Down, but both cached CRLs are current: BLOB 11 verifies with them, nothing is fetched.
    server.set(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(11, in_days(30), entries()),
    });
    running.shared.trigger_refresh();
    wait_for(&running, 11).await;
    assert!(now() < ca_crl_expiry, "too slow: the CA's CRL expired before the cache was used");
    still_serving(&running, &channel, &state, 11, 0).await;
    assert_eq!(metric(&running, "mdsd_crl_fetches_total{source=\"cache\"}"), 2.0);
    assert_eq!(metric(&running, "mdsd_crl_fetch_failures_total"), 0.0);

    // Down, and the CA's cached CRL has expired: BLOB 12 is refused; 11 keeps serving.
    let wait = ca_crl_expiry - now() + time::Duration::seconds(1);
    if wait.is_positive() {
        tokio::time::sleep(Duration::try_from(wait).unwrap()).await;
    }
    server.set(Fault::Body {
        content_type: "application/jwt",
        body: env.blob(12, in_days(30), entries()),
    });
    let err = failed_refresh(&running).await;
    assert!(err.contains("revocation"), "{err}");
    still_serving(&running, &channel, &state, 11, 1).await;
    assert_eq!(metric(&running, "mdsd_crl_fetch_failures_total"), 1.0);
    // The root's CRL still came from the cache.
    assert_eq!(metric(&running, "mdsd_crl_fetches_total{source=\"cache\"}"), 3.0);
    let failed = "mdsd_refreshes_total{result=\"failed\",step=\"verify:revocation\"}";
    assert_eq!(metric(&running, failed), 1.0);
    assert_ne!(running.shared.current().unwrap().blob.no, 12);

    // Back up (same port) with a current CRL: BLOB 12 goes in, the failure count resets.
    let later = now() + time::Duration::days(7);
    crl.set(mds_env::CA_CRL_PATH, pki::crl(&env.ca, &[], yesterday, later));
    crl.up().await;
    running.shared.trigger_refresh();
    wait_for(&running, 12).await;
    still_serving(&running, &channel, &state, 12, 0).await;
    running.shutdown().await;
}

/// A tmpfs mounted at a path, unmounted on drop. `None` when mounting is not permitted.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(path.to_path_buf()))
    }

    fn remount(&self, opts: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Many entries so the BLOB (and the snapshot) are large.
fn many_entries(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            blob::fido2_entry(&format!("cb69481e-8ff7-4039-93ec-{i:012x}"), "FIDO_CERTIFIED_L1")
        })
        .collect()
}

/// The state directory on a full, then read-only filesystem (a 256 KiB tmpfs, remounted
/// read-only: root is not stopped by file modes, a read-only mount stops everyone). The
/// verified BLOB is served even though it cannot be persisted; the old snapshot stays intact.
#[tokio::test]
async fn state_dir_full_or_read_only_keeps_the_old_snapshot_intact() {
    let env = MdsEnv::start("faults-disk").await;
    let Some(fs) = Tmpfs::mount(&env.state_dir(), "256k") else {
        println!("SKIPPED: cannot mount a tmpfs here (needs CAP_SYS_ADMIN)");
        return;
    };
    env.serve_blob(20, env.blob(20, in_days(30), entries()));
    let mut raw = env.raw_config();
    raw.refresh_interval = Some("1h".into());
    let running = start(raw.clone().check().unwrap()).await.unwrap();
    wait_for(&running, 20).await;
    let snapshot = |dir: &Path| {
        let (d, _) = StateDir::open(dir).unwrap();
        d.load_snapshot(64 << 20).unwrap().map(|s| s.no)
    };
    assert_eq!(snapshot(&env.state_dir()), Some(20));
    let listing = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = listing(&env.state_dir());

    // Full: a BLOB larger than the filesystem. Verified, so served; not persisted; no temp
    // file left behind; the old snapshot still loads.
    let big = env.blob(21, in_days(30), many_entries(2000));
    assert!(big.len() > 256 * 1024, "{}", big.len());
    env.serve_blob(21, big);
    running.shared.trigger_refresh();
    wait_for(&running, 21).await;
    // The watch history (2000 new entries) does not fit either; it is written off the refresh
    // loop, so wait for that write to have failed, and not be tried again in a loop.
    let history_failures = || metric(&running, "mdsd_watch_history_write_failures_total");
    let started = Instant::now();
    while history_failures() < 1.0 {
        assert!(started.elapsed() < Duration::from_secs(30), "the history write never failed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(snapshot(&env.state_dir()), Some(20));
    assert_eq!(listing(&env.state_dir()), before, "a temp file was left on the full disk");
    assert!(running.shared.status().last_error.is_none());
    // The operator is told: the failed writes are counted.
    assert_eq!(metric(&running, "mdsd_snapshot_write_failures_total"), 1.0);
    assert_eq!(history_failures(), 1.0, "retried while nothing changed");

    // Read-only: same outcome.
    fs.remount("ro");
    env.serve_blob(22, env.blob(22, in_days(30), entries()));
    running.shared.trigger_refresh();
    wait_for(&running, 22).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(snapshot(&env.state_dir()), Some(20));
    running.shutdown().await;

    // A restart on the read-only state dir restores the last persisted BLOB (20) and, with
    // the network back, takes the newest again.
    fs.remount("rw");
    let running = start(raw.check().unwrap()).await.unwrap();
    wait_for(&running, 22).await;
    assert_eq!(snapshot(&env.state_dir()), Some(22));
    running.shutdown().await;
    drop(fs);
}

/// The real binary, SIGKILLed as soon as a snapshot temp file appears in the state directory
/// (i.e. mid-write), over and over. After each kill the state directory loads, and holds the
/// previous or the new BLOB, never a torn one.
/// Kills the child on drop (a failed assertion must not leave a daemon running).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// Multi-threaded: the polling loop below blocks one worker while the other serves the BLOB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_writing_the_snapshot_leaves_old_or_new() {
    let env = MdsEnv::start("faults-kill").await;
    let state = env.state_dir();
    let mut persisted: Option<u64> = None;
    let mut caught_mid_write = 0;
    let rounds = 9;
    for round in 0..rounds {
        let no = 100 + round;
        env.serve_blob(no, env.blob(no, in_days(30), many_entries(3000)));
        let config = env.dir.join("mdsd.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\nrefresh_interval = \"1h\"\n",
                free_port(),
                free_port(),
                env.server.url(mds_env::BLOB_PATH),
                env.dir.join("root.pem").display(),
                state.display(),
            ),
        )
        .unwrap();
        let mut child = Child(
            Command::new(MDSD)
                .args(["serve", "--config"])
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let snapshot_file = state.join(mdsd::daemon::snapshot_file::SNAPSHOT_FILE);
        let old_mtime = std::fs::metadata(&snapshot_file).and_then(|m| m.modified()).ok();
        let started = Instant::now();
        let mut mid_write = false;
        // Every third round (and the last) is left to finish, so later kills have an old
        // snapshot to keep; the others are killed 0–9 ms after the temp file appeared
        // (sometimes mid-write, sometimes around the rename).
        let kill = round % 3 != 0 && round + 1 < rounds;
        loop {
            let tmp = std::fs::read_dir(&state)
                .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().contains(".tmp-")))
                .unwrap_or(false);
            if tmp && kill {
                mid_write = true;
                std::thread::sleep(Duration::from_millis(round * 3 % 10));
                break;
            }
            let new_mtime = std::fs::metadata(&snapshot_file).and_then(|m| m.modified()).ok();
            if new_mtime.is_some() && new_mtime != old_mtime {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "round {round}: no write seen");
            std::thread::sleep(Duration::from_micros(200));
        }
        if kill {
            child.0.kill().unwrap(); // SIGKILL
        } else {
            std::thread::sleep(Duration::from_millis(200));
            let _ = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status();
        }
        child.0.wait().unwrap();
        caught_mid_write += usize::from(mid_write);
        let (dir, removed) = StateDir::open(&state).unwrap();
        let loaded = dir.load_snapshot(64 << 20).unwrap().map(|s| s.no);
        println!("round {round}: killed mid-write: {mid_write}, temp files removed: {removed}, snapshot: {loaded:?}");
        assert!(loaded == persisted || loaded == Some(no), "round {round}: {loaded:?}");
        persisted = loaded;
    }
    assert_eq!(persisted, Some(100 + rounds - 1));
    println!("{caught_mid_write} kills landed after the temp file appeared");
    assert!(caught_mid_write >= 1, "no kill landed during a write");
}
