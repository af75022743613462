//! A fleet on one machine, with real `mdsd` processes on loopback addresses as hosts: one
//! stand-in MDS (127.0.0.1: test PKI, signed BLOBs, CRLs, every request counted), one mirror
//! mdsd (127.0.0.2, `mirror_listen`), three sidecar mdsds (127.0.0.3-5) with
//! `mds_url = [mirror, MDS]` and `crl_mirror` on the mirror.
//!
//! Shown and asserted: the sidecars load from the mirror; the MDS sees one BLOB download per
//! refresh of the fleet (the mirror's), not one per pod; with the mirror cut off the sidecars
//! keep serving, then fall back to the MDS on their next refresh; an impostor at the mirror's
//! address serving an older BLOB is refused (rollback), a tampered one too (signature), and
//! the MDS behind it is used instead. The figures (upstream fetches for N sidecars, time to
//! serve from the mirror, fail-over time) are printed with `eprintln!`
//! (`cargo test --test fleet -- --nocapture`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mdsd::daemon::refresh::MIN_TRIGGER_SPACING;
use mdsd_test_support::http::{MockServer, Route};
use mdsd_test_support::mds_env::{self, in_days, MdsEnv};
use mdsd_test_support::{b64url, blob, free_port};

const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const SIDECARS: usize = 3;
const AAGUID: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

/// One `mdsd serve` child: its addresses and log file; killed when dropped.
struct Daemon {
    name: String,
    child: Child,
    admin: String,
    log: PathBuf,
}

impl Daemon {
    /// Writes `<dir>/<name>.toml` (the common settings plus `extra`) and starts `mdsd serve` on
    /// `host` (gRPC and admin ports), JSON logs to `<dir>/<name>.log`.
    fn start(env: &MdsEnv, name: &str, host: &str, extra: &str) -> Daemon {
        let dir = env.dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let token_file = dir.join("admin.token");
        std::fs::write(&token_file, TOKEN).unwrap();
        let admin = format!("{host}:{}", free_port());
        let config = dir.join("mdsd.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"{host}:{grpc}\"\nadmin_listen = \"{admin}\"\n\
                 mds_roots = [\"{root}\"]\nstate_dir = \"{state}\"\n\
                 refresh_interval = \"1h\"\nretry_min = \"1h\"\nretry_max = \"1h\"\n\
                 fetch_timeout = \"2s\"\nconnect_timeout = \"1s\"\n\
                 admin_token_file = \"{token}\"\nadmin_refresh_min_interval = \"1s\"\n{extra}",
                grpc = free_port(),
                root = env.dir.join("root.pem").display(),
                state = dir.join("state").display(),
                token = token_file.display(),
            ),
        )
        .unwrap();
        let log = dir.join("mdsd.log");
        let child = Command::new(MDSD)
            .args(["serve", "--config"])
            .arg(&config)
            .env("MDSD_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon { name: name.to_string(), child, admin, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin)
    }

    /// SIGTERM, then waits for a clean exit.
    fn stop(&mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        assert_eq!(self.child.wait().unwrap().code(), Some(0), "{} exit", self.name);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{} log: {}", self.name, self.log.display());
            if let Ok(log) = std::fs::read_to_string(&self.log) {
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                for line in tail.iter().rev() {
                    eprintln!("  {line}");
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

/// The sum of the samples of `name` whose labels contain every one of `labels`
/// (`key="value"`), from a Prometheus text exposition.
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|want| rest.contains(want)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

async fn metrics(d: &Daemon) -> String {
    client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap()
}

/// `POST /refresh` with the bearer token until accepted (202): a 429 within
/// `admin_refresh_min_interval` (1 s here) of the last trigger is retried.
async fn refresh(d: &Daemon) {
    let started = Instant::now();
    loop {
        let request = client().post(d.url("/refresh")).bearer_auth(TOKEN);
        match request.send().await.unwrap().status().as_u16() {
            202 => return,
            429 if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("{} refresh: HTTP {other}", d.name),
        }
    }
}

/// Polls `check(metrics)` on `d` until true (20 s at most); returns the time it took.
async fn wait_metrics(d: &Daemon, what: &str, check: impl Fn(&str) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(response) = client().get(d.url("/metrics")).send().await {
            if check(&response.text().await.unwrap_or_default()) {
                return started.elapsed();
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{}: never {what}", d.name);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `d` serves BLOB `no` (loaded, the gauge at `no`).
async fn wait_serving(d: &Daemon, no: u64) -> Duration {
    wait_metrics(d, &format!("serving BLOB {no}"), |m| {
        metric(m, "mdsd_blob_loaded", &[]) == 1.0 && metric(m, "mdsd_blob_no", &[]) == no as f64
    })
    .await
}

async fn ready(d: &Daemon) -> (u16, String) {
    let response = client().get(d.url("/readyz")).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The number of BLOB downloads the stand-in MDS has answered.
fn upstream_blob_requests(env: &MdsEnv) -> usize {
    env.server.seen(mds_env::BLOB_PATH).len()
}

fn blob_with(env: &MdsEnv, no: u64) -> Vec<u8> {
    env.blob(no, in_days(30), vec![blob::fido2_entry(AAGUID, "FIDO_CERTIFIED_L1")])
}

/// `blob` with its payload rewritten (`no` raised to `no`) and the signature kept: what a
/// compromised mirror would serve to push a fleet forward.
fn tampered(blob: &[u8], no: u64) -> Vec<u8> {
    let text = std::str::from_utf8(blob).unwrap();
    let mut parts = text.split('.');
    let (header, payload, signature) =
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let mut json: serde_json::Value =
        serde_json::from_slice(&mdsd_test_support::b64(payload)).unwrap();
    json["no"] = serde_json::Value::from(no);
    format!("{header}.{}.{signature}", b64url(json.to_string().as_bytes())).into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_serves_the_fleet_and_sources_fail_over() {
    let env = MdsEnv::start("fleet").await;
    env.serve_blob(10, blob_with(&env, 10));
    let mds_url = env.server.url(mds_env::BLOB_PATH);

    // --- the mirror (127.0.0.2) loads from the MDS.
    let mirror_addr = format!("127.0.0.2:{}", free_port());
    let mirror_url = format!("http://{mirror_addr}/");
    let mut mirror = Daemon::start(
        &env,
        "mirror",
        "127.0.0.2",
        &format!("mds_url = \"{mds_url}\"\nmirror_listen = \"{mirror_addr}\"\n"),
    );
    let mirror_ready = wait_serving(&mirror, 10).await; // polled from right after the spawn
    eprintln!("fleet: mirror serving BLOB 10 {} ms after start", mirror_ready.as_millis());
    assert_eq!(upstream_blob_requests(&env), 1);

    // What it publishes: the BLOB byte for byte, with a strong ETag and 304; the CRLs by name;
    // the index; nothing else.
    let http = client();
    let got = http.get(&mirror_url).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.headers()["content-type"], "application/jwt");
    let etag = got.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("\"sha256-"), "{etag}");
    assert_eq!(got.bytes().await.unwrap().to_vec(), blob_with_bytes_of(&env));
    let again = http.get(&mirror_url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let head = http.head(&mirror_url).send().await.unwrap();
    assert_eq!((head.status().as_u16(), head.headers()["etag"].to_str().unwrap()), (200, &*etag));
    let index = http.get(format!("{mirror_url}index.json")).send().await.unwrap();
    let index: serde_json::Value = serde_json::from_slice(&index.bytes().await.unwrap()).unwrap();
    assert_eq!(index["no"], 10);
    assert_eq!(index["crls"], serde_json::json!(["ca.crl", "root.crl"]));
    for name in ["ca.crl", "root.crl"] {
        let crl = http.get(format!("{mirror_url}crl/{name}")).send().await.unwrap();
        assert_eq!(crl.status().as_u16(), 200, "{name}");
        assert!(mdsd::x509::Crl::from_pem_or_der(&crl.bytes().await.unwrap()).is_ok(), "{name}");
    }
    for path in ["crl/other.crl", "crl/..%2Fmdsd.toml", "crl/", "etc/passwd", "mds/blob.jwt"] {
        let status = http.get(format!("{mirror_url}{path}")).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 404, "{path}");
    }

    // --- three sidecars (127.0.0.3-5): mirror first, the MDS second, CRLs from the mirror.
    let sidecar_config =
        format!("mds_url = [\"{mirror_url}\", \"{mds_url}\"]\ncrl_mirror = \"{mirror_url}crl/\"\n");
    let crl_requests = |env: &MdsEnv| {
        env.server.seen(mds_env::CA_CRL_PATH).len() + env.server.seen(mds_env::ROOT_CRL_PATH).len()
    };
    let upstream_crls = crl_requests(&env);
    let spawned = Instant::now();
    let sidecars: Vec<Daemon> = (0..SIDECARS)
        .map(|i| {
            Daemon::start(
                &env,
                &format!("sidecar{i}"),
                &format!("127.0.0.{}", 3 + i),
                &sidecar_config,
            )
        })
        .collect();
    let mut to_serve = Duration::ZERO;
    for sidecar in &sidecars {
        wait_serving(sidecar, 10).await;
        to_serve = to_serve.max(spawned.elapsed());
        let m = metrics(sidecar).await;
        assert_eq!(
            metric(&m, "mdsd_source_fetches_total", &["source=\"0\"", "result=\"updated\""]),
            1.0
        );
        assert_eq!(metric(&m, "mdsd_source_fetches_total", &["source=\"1\""]), 0.0);
        assert_eq!(metric(&m, "mdsd_crl_fetches_total", &["source=\"download\""]), 2.0);
        assert_eq!(ready(sidecar).await.0, 200);
    }
    eprintln!(
        "fleet: {SIDECARS} sidecars serving from the mirror within {} ms of their start",
        to_serve.as_millis()
    );
    // Not one upstream request from the sidecars: the BLOB and both CRLs came from the mirror.
    assert_eq!(upstream_blob_requests(&env), 1);
    assert_eq!(crl_requests(&env), upstream_crls);
    let m = metrics(&mirror).await;
    assert_eq!(metric(&m, "mdsd_mirror_requests_total", &["route=\"blob\"", "code=\"200\""]), 5.0);
    assert_eq!(metric(&m, "mdsd_mirror_requests_total", &["route=\"crl\"", "code=\"200\""]), 8.0);

    // --- a new BLOB: one refresh of the mirror, then of every sidecar: one upstream download.
    env.serve_blob(11, blob_with(&env, 11));
    refresh(&mirror).await;
    wait_serving(&mirror, 11).await;
    for sidecar in &sidecars {
        refresh(sidecar).await;
    }
    for sidecar in &sidecars {
        wait_serving(sidecar, 11).await;
    }
    let upstream = upstream_blob_requests(&env);
    eprintln!(
        "fleet: upstream BLOB downloads for {SIDECARS} sidecars + 1 mirror over 2 refreshes: \
         {upstream} (without the mirror: {})",
        2 * SIDECARS
    );
    assert_eq!(upstream, 2);

    // --- the mirror cut off: the sidecars keep serving, then fall back to the MDS.
    mirror.stop();
    for sidecar in &sidecars {
        assert_eq!(ready(sidecar).await, (200, "ready: BLOB no 11\n".to_string()));
    }
    env.serve_blob(12, blob_with(&env, 12));
    // Past the minimum spacing after the last attempt, so the trigger starts a round at once:
    // the time measured is the round's (dead mirror, then the MDS), not the spacing.
    tokio::time::sleep(MIN_TRIGGER_SPACING).await;
    let failover_started = Instant::now();
    for sidecar in &sidecars {
        refresh(sidecar).await;
    }
    let mut failover = Duration::ZERO;
    for sidecar in &sidecars {
        wait_serving(sidecar, 12).await;
        failover = failover.max(failover_started.elapsed());
        let m = metrics(sidecar).await;
        let failed = ["source=\"0\"", "result=\"failed\"", "step=\"fetch\""];
        assert_eq!(metric(&m, "mdsd_source_fetches_total", &failed), 1.0);
        let from_mds = ["source=\"1\"", "result=\"updated\""];
        assert_eq!(metric(&m, "mdsd_source_fetches_total", &from_mds), 1.0);
    }
    eprintln!(
        "fleet: mirror down; {SIDECARS} sidecars fell back to the MDS {} ms after their refresh \
         was triggered (mirror refusing connections)",
        failover.as_millis()
    );
    assert_eq!(upstream_blob_requests(&env), 2 + SIDECARS);

    // --- an impostor at the mirror's address: an older BLOB (validly signed) is refused by the
    // rollback check, a tampered one by the signature; the MDS behind it answers (304).
    let impostor = MockServer::start_on(&mirror_addr).await;
    let before = upstream_blob_requests(&env);
    let rounds = [
        (blob_with(&env, 11), "verify:rollback"),
        (tampered(&blob_with(&env, 12), 99), "verify:signature"),
    ];
    for (round, (served, step)) in rounds.into_iter().enumerate() {
        impostor.set("/", Route::Ok { body: served, etag: None });
        for sidecar in &sidecars {
            refresh(sidecar).await;
        }
        for sidecar in &sidecars {
            let refused = ["source=\"0\"", "result=\"failed\"", &format!("step=\"{step}\"")];
            let unchanged = ["source=\"1\"", "result=\"unchanged\""];
            wait_metrics(sidecar, step, |m| {
                metric(m, "mdsd_source_fetches_total", &refused) == 1.0
                    && metric(m, "mdsd_source_fetches_total", &unchanged) == (round + 1) as f64
            })
            .await;
            assert_eq!(ready(sidecar).await, (200, "ready: BLOB no 12\n".to_string()));
        }
    }
    assert_eq!(impostor.seen("/").len(), 2 * SIDECARS);
    // The MDS answered each of those refreshes with 304 (the ETag of that source), no download.
    let seen = env.server.seen(mds_env::BLOB_PATH);
    let later = seen.get(before..).unwrap_or_default();
    assert_eq!(later.len(), 2 * SIDECARS);
    assert!(later.iter().all(|s| s.if_none_match.as_deref() == Some("\"12\"")), "{later:?}");
    eprintln!(
        "fleet: impostor mirror refused ({SIDECARS} sidecars: older BLOB → rollback, tampered \
         BLOB → signature); still serving BLOB 12"
    );
    // CRLs: the mirror's first download only; every later round used caches (mirror, sidecars).
    assert_eq!(crl_requests(&env), 2);
    eprintln!("fleet: upstream CRL downloads in all: {}", crl_requests(&env));
    drop(sidecars);
}

/// The bytes the stand-in MDS serves for BLOB 10, as the mirror must republish them.
fn blob_with_bytes_of(env: &MdsEnv) -> Vec<u8> {
    match env.server.route(mds_env::BLOB_PATH) {
        Some(Route::Ok { body, .. }) => body,
        other => panic!("{other:?}"),
    }
}
