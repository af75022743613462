//! A tiny HTTP/1.1 server on 127.0.0.1:0 standing in for the MDS and the CRL distribution
//! points: per-path canned answers (body with ETag → 304, any status with headers, a truncated
//! body, a hang), and a log of the requests it saw.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What one path answers.
#[derive(Debug, Clone)]
pub enum Route {
    /// 200 with `body`; with `etag`, a request carrying `If-None-Match: <etag>` gets 304.
    Ok { body: Vec<u8>, etag: Option<String> },
    /// Any status with extra headers and a body.
    Status { code: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// 200 claiming `claimed_len` bytes but sending only `body`, then closing.
    Truncated { body: Vec<u8>, claimed_len: usize },
    /// Accepts the request and never answers.
    Hang,
}

/// One request as seen by the server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
}

#[derive(Clone)]
pub struct MockServer {
    pub addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockServer {
    /// Binds 127.0.0.1:0 and serves until the runtime ends.
    pub async fn start() -> MockServer {
        MockServer::start_on("127.0.0.1:0").await
    }

    /// As [`MockServer::start`] on a chosen address (a host of a fleet test taken over by an
    /// impostor at the same address).
    pub async fn start_on(addr: &str) -> MockServer {
        let listener = TcpListener::bind(addr).await.unwrap();
        let server = MockServer {
            addr: listener.local_addr().unwrap(),
            routes: Arc::default(),
            seen: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else { return };
                let s = s.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let mut lines = text.split("\r\n");
                    let path =
                        lines.next().unwrap_or("").split(' ').nth(1).unwrap_or("/").to_string();
                    let if_none_match = lines
                        .filter_map(|l| l.split_once(':'))
                        .find(|(k, _)| k.eq_ignore_ascii_case("if-none-match"))
                        .map(|(_, v)| v.trim().to_string());
                    s.seen
                        .lock()
                        .unwrap()
                        .push(Seen { path: path.clone(), if_none_match: if_none_match.clone() });
                    let route = s.routes.lock().unwrap().get(&path).cloned();
                    let response = match route {
                        None => plain(404, &[], b"not found"),
                        Some(Route::Ok { body, etag }) => match etag {
                            Some(etag) if Some(&etag) == if_none_match.as_ref() => {
                                plain(304, &[("ETag".into(), etag)], b"")
                            }
                            etag => {
                                let headers: Vec<(String, String)> =
                                    etag.into_iter().map(|e| ("ETag".to_string(), e)).collect();
                                plain(200, &headers, &body)
                            }
                        },
                        Some(Route::Status { code, headers, body }) => plain(code, &headers, &body),
                        Some(Route::Truncated { body, claimed_len }) => {
                            let mut r = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {claimed_len}\r\nConnection: close\r\n\r\n"
                            )
                            .into_bytes();
                            r.extend_from_slice(&body);
                            r
                        }
                        Some(Route::Hang) => {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                            return;
                        }
                    };
                    let _ = conn.write_all(&response).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    /// What `path` answers now.
    pub fn route(&self, path: &str) -> Option<Route> {
        self.routes.lock().unwrap().get(path).cloned()
    }

    pub fn remove(&self, path: &str) {
        self.routes.lock().unwrap().remove(path);
    }

    /// Requests seen for `path`, oldest first.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen.lock().unwrap().iter().filter(|s| s.path == path).cloned().collect()
    }
}

fn plain(code: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut r =
        format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

/// A plain HTTP/1.1 GET of `path` at `addr` (the daemon's admin or mirror listener), the whole
/// response as text: status line, headers and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    out
}
