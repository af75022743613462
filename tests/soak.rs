//! Soak: the real `mdsd serve` binary on 127.0.0.1 under concurrent VerifyRegistration load
//! while new BLOBs are published and refreshed in (store swaps). Every answer is checked:
//! the good registration must be ACCEPTED, a wrong-challenge one REJECTED with
//! CEREMONY_MISMATCH, and the BLOB `no` a client sees never goes backwards. The daemon's RSS is
//! sampled from /proc every second.
//!
//! `cargo test --test soak` runs a short version (`MDSD_SOAK_SECS`, default 10 s);
//! `scripts/soak.sh` runs the multi-minute one and keeps the figures.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gen::{Fmt, Opts, CHALLENGE, ORIGIN, RP_ID};
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{Verdict, VerifyRegistrationRequest};
use mdsd_test_support::attestation as gen;
use mdsd_test_support::mds_env::{self, in_days, MdsEnv};
use mdsd_test_support::{blob, free_port};
use tonic::transport::Channel;

const MDSD: &str = env!("CARGO_BIN_EXE_mdsd");

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `POST path` with `Authorization: Bearer <token>`.
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

/// Kills the daemon on drop (a failed assertion must not leave it running).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
    wrong: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_across_refreshes() {
    let secs: u64 = std::env::var("MDSD_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let clients: usize =
        std::env::var("MDSD_SOAK_CLIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    let refresh_every = Duration::from_secs(
        std::env::var("MDSD_SOAK_REFRESH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2),
    );
    let made = gen::make(Fmt::Packed, &Opts::default(), None);
    let entry = || {
        let mut entries =
            vec![gen::EntrySpec::new(Some(made.aaguid), "soak authenticator", vec![&made.root])
                .json()];
        // Some bulk so a swap is not trivially small.
        entries.extend((0..200).map(|i| {
            blob::fido2_entry(&format!("cb69481e-8ff7-4039-93ec-{i:012x}"), "FIDO_CERTIFIED_L1")
        }));
        entries
    };
    let env = MdsEnv::start("soak").await;
    let mut no = 1000;
    env.serve_blob(no, env.blob(no, in_days(30), entry()));
    let grpc = format!("127.0.0.1:{}", free_port());
    let admin = format!("127.0.0.1:{}", free_port());
    let config = env.dir.join("mdsd.toml");
    // POST /refresh needs the token of admin_token_file; one trigger per refresh_every at most.
    let token = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
    let token_file = env.dir.join("admin.token");
    std::fs::write(&token_file, token).unwrap();
    std::fs::write(
        &config,
        format!(
            "listen = \"{grpc}\"\nadmin_listen = \"{admin}\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\nrefresh_interval = \"1h\"\nadmin_token_file = \"{}\"\nadmin_refresh_min_interval = \"1s\"\n",
            env.server.url(mds_env::BLOB_PATH),
            env.dir.join("root.pem").display(),
            env.state_dir().display(),
            token_file.display(),
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
    let pid = child.0.id();

    let good = VerifyRegistrationRequest {
        attestation_object: made.attestation_object.clone(),
        client_data_json: made.client_data_json.clone(),
        rp_id: RP_ID.into(),
        origins: vec![ORIGIN.into()],
        challenge: CHALLENGE.to_vec(),
        ..Default::default()
    };
    let mut wrong = good.clone();
    wrong.challenge = b"another challenge".to_vec();

    // Up and serving the first BLOB.
    let channel = loop {
        if let Ok(c) = Channel::from_shared(format!("http://{grpc}")).unwrap().connect().await {
            let mut api = AttestationServiceClient::new(c.clone());
            if let Ok(r) = api.verify_registration(good.clone()).await {
                if r.into_inner().verdict == Verdict::Accepted as i32 {
                    break c;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let counters = Arc::new(Counters::default());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut api = AttestationServiceClient::new(channel.clone());
        let (good, wrong, counters) = (good.clone(), wrong.clone(), counters.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen_no = 0u64;
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let expect_accept = !(i + c as u64).is_multiple_of(4);
                let req = if expect_accept { good.clone() } else { wrong.clone() };
                match api.verify_registration(req).await {
                    Ok(r) => {
                        let r = r.into_inner();
                        let right = if expect_accept {
                            r.verdict == Verdict::Accepted as i32 && r.reasons.is_empty()
                        } else {
                            r.verdict == Verdict::Rejected as i32
                                && r.reasons.iter().any(|x| x.code == "CEREMONY_MISMATCH")
                        };
                        if right && r.metadata_no >= seen_no {
                            seen_no = r.metadata_no;
                            counters.ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            eprintln!("wrong answer: no {} after {seen_no}: {r:?}", r.metadata_no);
                            counters.wrong.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        eprintln!("failed: {e:?}");
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            seen_no
        }));
    }

    // Publisher + RSS sampler.
    let started = Instant::now();
    let mut next_refresh = started + refresh_every;
    let mut samples: Vec<(u64, u64, u64)> = Vec::new(); // (second, RSS KiB, requests so far)
    let mut refreshes = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push((
            started.elapsed().as_secs(),
            rss_kib(pid),
            counters.ok.load(Ordering::Relaxed),
        ));
        if Instant::now() >= next_refresh {
            no += 1;
            env.serve_blob(no, env.blob(no, in_days(30), entry()));
            assert!(post(&admin, "/refresh", token).await.starts_with("HTTP/1.1 202"));
            refreshes += 1;
            next_refresh += refresh_every;
        }
    }
    let mut last_seen = Vec::new();
    for t in tasks {
        last_seen.push(t.await.unwrap());
    }
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = child.0.wait();

    let ok = counters.ok.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    let wrong_answers = counters.wrong.load(Ordering::Relaxed);
    println!("soak: {secs} s, {clients} clients, {refreshes} BLOBs published (no 1000..={no})");
    println!(
        "soak: {ok} right answers ({:.0}/s), {failed} failed, {wrong_answers} wrong; last no seen per client: {last_seen:?}",
        ok as f64 / secs as f64
    );
    println!("soak: second, daemon RSS KiB, right answers so far");
    for (s, rss, n) in &samples {
        println!("soak: {s:>4} {rss:>8} {n:>9}");
    }
    assert_eq!(failed, 0);
    assert_eq!(wrong_answers, 0);
    assert!(ok > 0);
    assert!(refreshes >= 1);
    // Every client saw a swap land.
    assert!(last_seen.iter().all(|n| *n > 1000), "{last_seen:?}");
}
