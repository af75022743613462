//! The real binary: `mdsd serve` as a child process configured by a TOML file plus flags and
//! environment, probed with `mdsd health`, refreshed through `POST /refresh` on the admin port
//! (with the bearer token of `admin_token_file`),
//! stopped with SIGTERM (graceful: exit 0), restarted offline from its state directory; a second
//! daemon on the same state directory is refused. Also: a
//! bad configuration exits 2 listing every error.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mdsd_test_support::mds_env::{self, in_days, MdsEnv};
use mdsd_test_support::{blob, free_port};

const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");

/// `mdsd serve --config <config> --admin-listen <admin>`, JSON logs on stderr (piped).
fn serve(config: &std::path::Path, admin: &str) -> std::process::Child {
    Command::new(MDSD)
        .args(["serve", "--config"])
        .arg(config)
        .args(["--admin-listen", admin])
        .env("MDSD_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn health(target: &str) -> (Option<i32>, String) {
    let target = target.to_string();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(MDSD)
            .args(["health", "--target", &target, "--timeout", "2s"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
    .await
    .unwrap()
}

/// `POST path` with `Authorization: Bearer <token>`, as `curl -X POST -H ...` sends it.
async fn post(addr: &str, path: &str, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn serve_refresh_and_sigterm() {
    let env = MdsEnv::start("process").await;
    let grpc = format!("127.0.0.1:{}", free_port());
    let admin = format!("127.0.0.1:{}", free_port());
    let config = env.dir.join("mdsd.toml");
    // Control (POST /refresh) needs a token file; the token itself comes from the file only.
    let token = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
    let token_file = env.dir.join("admin.token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    std::fs::write(
        &config,
        format!(
            "listen = \"{grpc}\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\nrefresh_interval = \"1h\"\nadmin_token_file = \"{}\"\n",
            env.server.url(mds_env::BLOB_PATH),
            env.dir.join("root.pem").display(),
            env.state_dir().display(),
            token_file.display(),
        ),
    )
    .unwrap();
    let mut child = serve(&config, &admin);

    // Up, but no BLOB yet.
    let started = Instant::now();
    loop {
        let (code, out) = health(&grpc).await;
        if out == "NOT_SERVING" {
            assert_eq!(code, Some(1));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never came up: {out}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    env.serve_blob(
        8,
        env.blob(
            8,
            in_days(30),
            vec![blob::fido2_entry("cb69481e-8ff7-4039-93ec-0a2729a154a8", "FIDO_CERTIFIED_L1")],
        ),
    );
    assert!(post(&admin, "/refresh", "wrong").await.starts_with("HTTP/1.1 401"));
    assert!(post(&admin, "/refresh", token).await.starts_with("HTTP/1.1 202"));
    let started = Instant::now();
    loop {
        let (code, out) = health(&grpc).await;
        if code == Some(0) {
            assert_eq!(out, "SERVING");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never SERVING: {out}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exit.code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    // JSON logs, one object per line, with the accepted BLOB and the shutdown.
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let messages: Vec<&str> =
        lines.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(messages.contains(&"BLOB accepted"), "{messages:?}");
    assert!(messages.contains(&"SIGTERM: shutting down"), "{messages:?}");
    assert!(messages.contains(&"mdsd stopped"), "{messages:?}");
    // The control requests are logged (accepted at INFO, refused at WARN), the token never.
    assert!(messages.contains(&"admin: POST /refresh accepted; refresh triggered"), "{messages:?}");
    assert!(messages.contains(&"admin: POST /refresh refused"), "{messages:?}");
    assert!(!logs.contains(token), "the token is in the logs");

    // Restart with the MDS down: SERVING from the snapshot alone, and the restore says what it
    // cost (read, verification, checksum on the side).
    for path in [mds_env::BLOB_PATH, mds_env::CA_CRL_PATH, mds_env::ROOT_CRL_PATH] {
        env.server.remove(path);
    }
    let mut child = serve(&config, &admin);
    let started = Instant::now();
    loop {
        let (code, out) = health(&grpc).await;
        if code == Some(0) {
            assert_eq!(out, "SERVING");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never SERVING: {out}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    let restored = logs
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["fields"]["message"] == "snapshot read and verified")
        .unwrap_or_else(|| panic!("no restore timings in {logs}"));
    for key in ["read_ms", "verify_ms", "checksum_ms", "total_ms"] {
        assert!(restored["fields"][key].as_f64().is_some(), "{key} in {restored}");
    }
    assert_eq!(restored["fields"]["digest_recorded"], true, "{restored}");
}

/// A FIFO planted at the snapshot path: the real binary used to hang at start-up for ever
/// without a log line. Now it logs one ERROR naming the path and the file type, serves the
/// download, and replaces the FIFO with a regular snapshot file.
#[tokio::test]
async fn fifo_snapshot_is_logged_at_error_and_replaced() {
    let env = MdsEnv::start("process-fifo").await;
    env.serve_blob(
        9,
        env.blob(
            9,
            in_days(30),
            vec![blob::fido2_entry("cb69481e-8ff7-4039-93ec-0a2729a154a8", "FIDO_CERTIFIED_L1")],
        ),
    );
    std::fs::create_dir_all(env.state_dir()).unwrap();
    let snapshot = env.state_dir().join("snapshot.v1");
    assert!(Command::new("mkfifo").arg(&snapshot).status().unwrap().success());
    let grpc = format!("127.0.0.1:{}", free_port());
    let admin = format!("127.0.0.1:{}", free_port());
    let config = env.dir.join("mdsd.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"{grpc}\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\n",
            env.server.url(mds_env::BLOB_PATH),
            env.dir.join("root.pem").display(),
            env.state_dir().display(),
        ),
    )
    .unwrap();
    let mut child = serve(&config, &admin);
    let started = Instant::now();
    loop {
        let (code, out) = health(&grpc).await;
        if code == Some(0) {
            break;
        }
        if started.elapsed() > Duration::from_secs(20) {
            // Unblock a reader stuck on the FIFO before failing, so the child can be stopped.
            std::thread::spawn(move || std::fs::write(&snapshot, b"x"));
            let _ = child.kill();
            panic!("never SERVING: {out}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    let lines: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let refused: Vec<_> = lines
        .iter()
        .filter(|l| l["level"] == "ERROR" && l["fields"]["file_type"] == "fifo")
        .collect();
    assert_eq!(refused.len(), 1, "{logs}");
    assert_eq!(refused[0]["fields"]["path"], snapshot.display().to_string(), "{logs}");
    let message = refused[0]["fields"]["message"].as_str().unwrap();
    assert!(message.contains("not a regular file"), "{message}");
    assert!(std::fs::symlink_metadata(&snapshot).unwrap().file_type().is_file());
}

#[test]
fn bad_configuration_exits_2_with_every_error() {
    let out = Command::new(MDSD)
        .args(["serve", "--listen", "nowhere", "--stale-grace", "soon", "--tls-key", "/x.key"])
        .env("MDSD_RETRY_MIN", "1h")
        .env("MDSD_RETRY_MAX", "1m")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 configuration error(s)"), "{stderr}");
    for key in
        ["listen:", "stale_grace:", "tls_key:", "retry_min (1h) is greater than retry_max (1m)"]
    {
        assert!(stderr.contains(key), "{key} missing in {stderr}");
    }
}

/// Two daemons on one state directory would overwrite each other's snapshot and remove each
/// other's temporary files. The second refuses to start, naming the directory and the holder
/// (pid, host); the first keeps serving; once it is gone, the directory is free again.
#[tokio::test]
async fn second_daemon_on_the_same_state_dir_is_refused() {
    let env = MdsEnv::start("process-lock").await;
    env.serve_blob(
        9,
        env.blob(
            9,
            in_days(30),
            vec![blob::fido2_entry("cb69481e-8ff7-4039-93ec-0a2729a154a8", "FIDO_CERTIFIED_L1")],
        ),
    );
    let config_for = |grpc: &str| {
        let config = env.dir.join(format!("mdsd-{}.toml", grpc.replace([':', '.'], "-")));
        std::fs::write(
            &config,
            format!(
                "listen = \"{grpc}\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\n",
                env.server.url(mds_env::BLOB_PATH),
                env.dir.join("root.pem").display(),
                env.state_dir().display(),
            ),
        )
        .unwrap();
        config
    };
    let first_grpc = format!("127.0.0.1:{}", free_port());
    let mut first = serve(&config_for(&first_grpc), &format!("127.0.0.1:{}", free_port()));
    let started = Instant::now();
    while health(&first_grpc).await.0 != Some(0) {
        assert!(started.elapsed() < Duration::from_secs(20), "first never SERVING");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let second_grpc = format!("127.0.0.1:{}", free_port());
    let second_config = config_for(&second_grpc);
    let second_admin = format!("127.0.0.1:{}", free_port());
    let out = tokio::task::spawn_blocking({
        let (config, admin) = (second_config.clone(), second_admin.clone());
        move || serve(&config, &admin).wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success(), "the second daemon started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let state = env.state_dir().display().to_string();
    assert!(
        stderr.contains(&format!("state directory {state} is in use by another mdsd")),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("pid={} host=", first.id())), "{stderr}");
    // The first one is untouched.
    assert_eq!(health(&first_grpc).await.0, Some(0));

    Command::new("kill").args(["-TERM", &first.id().to_string()]).status().unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(0));
    let mut again = serve(&second_config, &second_admin);
    let started = Instant::now();
    while health(&second_grpc).await.0 != Some(0) {
        assert!(started.elapsed() < Duration::from_secs(20), "the directory stayed locked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Command::new("kill").args(["-TERM", &again.id().to_string()]).status().unwrap();
    assert_eq!(again.wait().unwrap().code(), Some(0));
}
