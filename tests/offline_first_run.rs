//! The offline first run, as a new user meets it: `mdsd serve --config examples/offline/mdsd.toml`
//! from the repository root, with no network, reaches SERVING on the real December 2024 BLOB and
//! its real GlobalSign CRLs (testdata/offline/), judged at the pinned `danger_clock`; the
//! operator commands then answer against it. Also: what a daemon that cannot get a BLOB says
//! (log and readiness), and the distinct `mdsd health` exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mdsd_test_support::free_port;

const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Daemon {
    child: Child,
    grpc: String,
    admin: String,
}

impl Daemon {
    /// `mdsd serve --config CONFIG` from the repository root, on free ports and a fresh state
    /// directory (the example's own listen addresses and state directory are overridden only
    /// so that tests can run side by side).
    fn start(config: &str, extra: &[&str]) -> Daemon {
        let grpc = format!("127.0.0.1:{}", free_port());
        let admin = format!("127.0.0.1:{}", free_port());
        let state = std::env::temp_dir().join(format!("mdsd-offline-{}", free_port()));
        let child = Command::new(MDSD)
            .current_dir(ROOT)
            .args(["serve", "--config", config, "--listen", &grpc, "--admin-listen", &admin])
            .arg("--state-dir")
            .arg(&state)
            .args(extra)
            .env_remove("MDSD_LOG_FORMAT")
            .env("MDSD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Daemon { child, grpc, admin }
    }

    fn mdsd(&self, args: &[&str]) -> Output {
        Command::new(MDSD)
            .current_dir(ROOT)
            .args(args)
            .args(["--target", &self.grpc, "--timeout", "5s"])
            .output()
            .unwrap()
    }

    fn wait_for_health(&self, want: i32) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.mdsd(&["health"]);
            if out.status.code() == Some(want) {
                return;
            }
            assert!(Instant::now() < deadline, "health never exited {want}: {out:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the daemon (SIGTERM via `kill`) and returns its log.
    fn stop(mut self) -> String {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let mut log = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        log
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn testdata(name: &str) -> String {
    std::fs::read_to_string(PathBuf::from(ROOT).join("testdata/offline").join(name))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_offline_example_serves_the_real_2024_blob_at_its_pinned_time() {
    let daemon = Daemon::start("examples/offline/mdsd.toml", &[]);
    daemon.wait_for_health(0);

    let info = daemon.mdsd(&["info", "--json"]);
    assert_eq!(info.status.code(), Some(0), "{info:?}");
    let info: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(info["no"], 121);
    assert_eq!(info["entry_count"], 280);
    assert_eq!(info["revocation_checked"], true);
    assert_eq!(info["stale"], false);
    assert_eq!(info["danger_clock"], "2024-09-03T12:00:00Z");
    assert_eq!(info["verified_at"], "2024-09-03T12:00:00Z");
    assert_eq!(info["anchor"]["label"], "GlobalSign Root CA - R3");
    let text = stdout(&daemon.mdsd(&["info"]));
    assert!(text.contains("DANGER: danger_clock: everything is judged at 2024-09-03T12:00:00Z"));

    // The README's registration: a real YubiKey 5Ci, trusted through the BLOB.
    let verify = |challenge: &str| {
        daemon.mdsd(&[
            "verify-registration",
            "--attestation-object",
            &testdata("yubikey-5ci.attestation-object.b64url"),
            "--client-data-json",
            &testdata("yubikey-5ci.client-data-json.b64url"),
            "--rp-id",
            "example.com",
            "--origin",
            "https://example.com",
            "--challenge",
            challenge,
            "--json",
        ])
    };
    let out = verify("Y2hhbGxlbmdl");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["verdict"], "ACCEPTED", "{r}");
    assert_eq!(r["trusted"], true);
    assert_eq!(r["aaguid"], "c5ef55ff-ad9a-4b9f-b580-adebafe026d0");
    assert_eq!(r["authenticator"]["description"], "YubiKey 5 Series with Lightning");
    assert_eq!(r["metadata_no"], 121);
    // A challenge starting with '-' is a value, not a flag (and here the wrong one).
    let out = verify("-2hhbGxlbmdl");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["verdict"], "REJECTED", "{r}");

    let out = daemon.mdsd(&["lookup", "c5ef55ff-ad9a-4b9f-b580-adebafe026d0", "--json"]);
    let a: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(a["description"], "YubiKey 5 Series with Lightning");
    assert_eq!(a["current_status"], "FIDO_CERTIFIED");
    let out = daemon.mdsd(&["lookup", "00000000-0000-0000-0000-000000000001"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("NotFound"), "{out:?}");

    let out = daemon.mdsd(&["list", "--status", "REVOKED", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let revoked = list["authenticators"].as_array().unwrap();
    assert!(!revoked.is_empty());
    assert!(revoked.iter().all(|a| a["current_status"] == "REVOKED"), "{list}");
    let all = daemon.mdsd(&["list"]);
    assert!(stdout(&all).trim_end().ends_with("280 entries (BLOB no 121)"), "{}", stdout(&all));

    let metrics = http_get(&daemon.admin, "/metrics");
    assert!(metrics.contains("mdsd_danger{switch=\"danger_clock\"} 1"), "{metrics}");
    assert!(metrics.contains("mdsd_danger_clock_timestamp_seconds 1725364800"), "{metrics}");
    assert!(metrics.contains("mdsd_crl_fetches_total{source=\"file\"} 2"), "{metrics}");

    let log = daemon.stop();
    // WARN on the refresh, one outcome line, no CRL download attempted, no Rust debug output.
    assert!(log.contains("WARN") && log.contains("danger_clock=2024-09-03T12:00:00Z"), "{log}");
    assert!(log.contains("refresh finished outcome=updated trigger=schedule"), "{log}");
    assert!(!log.contains("CRL fetch failed") && !log.contains("CRL download"), "{log}");
    for debug in ["Some(", "Ok(", "None", "\"updated\""] {
        assert!(!log.contains(debug), "{debug} in {log}");
    }
}

#[test]
fn without_a_blob_the_daemon_says_when_it_retries_and_what_to_do() {
    let config = std::env::temp_dir().join(format!("mdsd-missing-{}.toml", free_port()));
    std::fs::write(&config, "mds_url = \"/nonexistent/mdsd/blob.jwt\"\n").unwrap();
    let daemon = Daemon::start(config.to_str().unwrap(), &[]);
    // NOT_SERVING: exit 1 (the daemon answered), apart from unreachable.
    daemon.wait_for_health(1);
    assert_eq!(stdout(&daemon.mdsd(&["health"])).trim(), "NOT_SERVING");
    assert_eq!(daemon.mdsd(&["health", "--live"]).status.code(), Some(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        let ready = http_get(&daemon.admin, "/readyz");
        if ready.contains("what to do") || Instant::now() > deadline {
            break ready;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.contains("503"), "{ready}");
    assert!(ready.contains("next try: 20"), "{ready}");
    assert!(ready.contains("what to do: mdsd re-reads /nonexistent/mdsd/blob.jwt"), "{ready}");
    let log = daemon.stop();
    assert!(log.contains("refresh failed and no verified BLOB is served"), "{log}");
    assert!(log.contains("next_refresh=20"), "{log}");
    assert!(log.contains("advice=mdsd re-reads /nonexistent/mdsd/blob.jwt"), "{log}");
    assert_eq!(log.lines().filter(|l| l.contains("refresh failed")).count(), 1, "{log}");
}

#[test]
fn a_value_with_a_line_break_stays_on_its_log_line() {
    let config = std::env::temp_dir().join(format!("mdsd-newline-{}.toml", free_port()));
    std::fs::write(&config, "mds_url = \"/nonexistent/two\\nlines/blob.jwt\"\n").unwrap();
    let daemon = Daemon::start(config.to_str().unwrap(), &[]);
    daemon.wait_for_health(1);
    std::thread::sleep(Duration::from_millis(500));
    let log = daemon.stop();
    assert!(log.contains("/nonexistent/two\\nlines/blob.jwt"), "{log}");
    assert!(log.lines().all(|l| l.starts_with("20")), "an event spans lines:\n{log}");
}

#[test]
fn health_exit_codes_tell_unreachable_from_not_serving() {
    let port = free_port();
    let out = Command::new(MDSD)
        .args(["health", "--target", &format!("127.0.0.1:{port}"), "--timeout", "2s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(stdout(&out).starts_with("UNREACHABLE"));
    for command in ["info", "lookup", "list"] {
        let mut args = vec![command, "--target", "unix:/nonexistent/mdsd.sock"];
        if command == "lookup" {
            args.push("c5ef55ff-ad9a-4b9f-b580-adebafe026d0");
        }
        let out = Command::new(MDSD).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{command}: {out:?}");
    }
    let out = Command::new(MDSD).args(["health", "--timeout", "soon"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn danger_clock_is_refused_for_a_url_source() {
    let out = Command::new(MDSD)
        .current_dir(ROOT)
        .args(["config", "check", "examples/offline/mdsd.toml"])
        .args(["--mds-url", "https://mds.fidoalliance.org/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("danger_clock: only allowed when every BLOB source is a local file"),
        "{err}"
    );
    let out = Command::new(MDSD)
        .current_dir(ROOT)
        .args(["config", "check", "examples/offline/mdsd.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("DANGER: danger_clock is on"));
}

#[test]
fn a_changed_setting_seen_by_the_file_watch_is_logged_as_needing_a_restart() {
    let config = std::env::temp_dir().join(format!("mdsd-restart-{}.toml", free_port()));
    let original = std::fs::read_to_string(PathBuf::from(ROOT).join("examples/offline/mdsd.toml"))
        .unwrap()
        .replace("testdata/", &format!("{ROOT}/testdata/"));
    std::fs::write(&config, &original).unwrap();
    let daemon = Daemon::start(config.to_str().unwrap(), &[]);
    daemon.wait_for_health(0);
    std::fs::write(&config, format!("{original}\nretry_min = \"5m\"\n")).unwrap();
    // The watch polls every 2 s; give it a few rounds, then stop and read the log.
    std::thread::sleep(Duration::from_secs(5));
    let log = daemon.stop();
    let line = log
        .lines()
        .find(|l| l.contains("takes effect only after a restart"))
        .unwrap_or_else(|| panic!("no restart-needed line in {log}"));
    assert!(line.contains("WARN") && line.contains("key=retry_min"), "{line}");
}

/// `GET path` over plain HTTP/1.1; the whole response (status line, headers, body).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::Write as _;
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(conn, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).unwrap();
    out
}
