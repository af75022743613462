//! gRPC load client for the issue #6 load run: writes current-dated BLOBs for `mdsd serve`, drives
//! concurrent VerifyRegistration calls at an offered rate, and times a cold start to SERVING.
//! `scripts/load.sh` runs it end to end. Loopback only: every address must be 127.0.0.1.
//!
//! ```text
//! loadgen gen-blob DIR [VERSIONS] [MIN_BYTES]   # DIR/blob-<no>.jwt, root.der, root.crl, ca.crl
//! loadgen run ADDR VECTOR_ID CONCURRENCY RATE SECONDS [CONNECTIONS] [SERVER_PID]
//!                                               # RATE 0 = closed loop (as fast as answered)
//! loadgen coldstart ADDR -- MDSD ARGS...        # spawns the server, polls health every 1 ms
//! loadgen check-credentials ADDR [N] [ROUNDS] [SERVER_PID]
//!                                               # one CheckCredentials batch of N (10,000)
//!                                               # credentials, ROUNDS (20) times, one at a time
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    registered_credential, CheckCredentialsRequest, ListAuthenticatorsRequest,
    RegisteredCredential, Verdict, VerifyRegistrationRequest,
};
use mdsd_test_support::pki::{self, KeyAlg, Spec};
use mdsd_test_support::vectors::vector_json;
use mdsd_test_support::{b64, big_blob, blob};
use serde_json::Value;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Upper bounds so that a typo cannot turn the client into a flood.
const MAX_SECONDS: u64 = 120;
const MAX_CONCURRENCY: usize = 1024;
const MAX_RATE: u64 = 200_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen-blob") => gen_blob(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("coldstart") => coldstart(&args[1..]),
        Some("check-credentials") => check_credentials(&args[1..]),
        _ => {
            eprintln!(
                "usage: loadgen gen-blob|run|coldstart|check-credentials ... (see the file's header)"
            );
            std::process::exit(2);
        }
    }
}

fn loopback(addr: &str) -> SocketAddr {
    let addr: SocketAddr = addr.parse().expect("ADDR is 127.0.0.1:PORT");
    assert!(addr.ip().is_loopback(), "loopback only");
    addr
}

/// The ≥ 16 MiB BLOB of `mdsd_test_support::big_blob` (real entries, unique keys), re-signed by a
/// fresh test PKI with today's dates: nextUpdate and CRLs valid for 30 days from now, so that
/// `mdsd serve` (which uses the system clock) accepts it. VERSIONS copies differ only in `no`.
fn gen_blob(args: &[String]) {
    let dir = PathBuf::from(&args[0]);
    let versions: u64 = args.get(1).map_or(1, |s| s.parse().unwrap());
    let min_bytes: usize = args.get(2).map_or(big_blob::MIN_BYTES, |s| s.parse().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let real = std::fs::read(big_blob::SOURCE_BLOB).unwrap();
    let big = big_blob::generate(&real, min_bytes);
    let text = std::str::from_utf8(&big.blob).unwrap();
    let mut payload: Value = serde_json::from_slice(&b64(text.split('.').nth(1).unwrap())).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let next = now + time::Duration::days(30);
    payload["nextUpdate"] =
        Value::from(format!("{:04}-{:02}-{:02}", next.year(), u8::from(next.month()), next.day()));
    let root = pki::root("Load MDS root");
    let ca = pki::intermediate("Load MDS CA", &root);
    let leaf = pki::issue(Spec::leaf("mds.load.example").key(KeyAlg::Rsa2048), Some(&ca));
    let header = blob::header("RS256", &[&leaf, &ca]);
    for k in 0..versions {
        let no = 1000 + k;
        payload["no"] = Value::from(no);
        let jwt = blob::sign(&header, payload.to_string().as_bytes(), &leaf);
        std::fs::write(dir.join(format!("blob-{no}.jwt")), &jwt).unwrap();
        println!(
            "{}: {} bytes, {} entries",
            dir.join(format!("blob-{no}.jwt")).display(),
            jwt.len(),
            big.entries
        );
    }
    let from = now - time::Duration::days(1);
    std::fs::write(dir.join("root.der"), &root.der).unwrap();
    std::fs::write(dir.join("root.crl"), pki::crl(&root, &[], from, next)).unwrap();
    std::fs::write(dir.join("ca.crl"), pki::crl(&ca, &[], from, next)).unwrap();
}

fn request(id: &str) -> VerifyRegistrationRequest {
    let v = vector_json(id);
    VerifyRegistrationRequest {
        attestation_object: b64(&v["attestationObject_b64url"]),
        client_data_json: b64(&v["clientDataJSON_b64url"]),
        rp_id: v["rpId"].as_str().unwrap_or_default().to_string(),
        origins: v["origin"].as_str().map(|o| vec![o.to_string()]).unwrap_or_default(),
        challenge: b64(&v["challenge_b64url"]),
        ..Default::default()
    }
}

/// (utime + stime in clock ticks, VmHWM in kB) of a process.
fn proc_stats(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let cpu = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb = hwm.split_whitespace().nth(1)?.parse().ok()?;
    Some((cpu, kb))
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    accepted: u64,
    rejected: u64,
    other: u64,
    errors: u64,
    unsent: u64,
    first_error: Option<String>,
}

fn run(args: &[String]) {
    let addr = loopback(&args[0]);
    let req = request(&args[1]);
    let concurrency: usize = args[2].parse().unwrap();
    let rate: u64 = args[3].parse().unwrap();
    let seconds: u64 = args[4].parse().unwrap();
    let connections: usize = args.get(5).map_or(4, |s| s.parse().unwrap());
    let server_pid: Option<u32> = args.get(6).map(|s| s.parse().unwrap());
    assert!((1..=MAX_CONCURRENCY).contains(&concurrency) && rate <= MAX_RATE);
    assert!((1..=MAX_SECONDS).contains(&seconds) && (1..=64).contains(&connections));
    // The client gets one worker thread: the server keeps the other core.
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async move {
        let url = format!("http://{addr}");
        let mut channels = Vec::new();
        for _ in 0..connections {
            channels.push(Channel::from_shared(url.clone()).unwrap().connect().await.unwrap());
        }
        // Warm-up: one call per connection (chain cache, connection windows).
        for ch in &channels {
            AttestationServiceClient::new(ch.clone())
                .verify_registration(req.clone())
                .await
                .unwrap();
        }
        let before = server_pid.and_then(proc_stats);
        let start = tokio::time::Instant::now();
        let end = start + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for i in 0..concurrency {
            let mut client = AttestationServiceClient::new(channels[i % connections].clone());
            let req = req.clone();
            tasks.push(tokio::spawn(async move {
                let mut t = Tally::default();
                // Open loop: call n of this task is due at start + (n·C + i)/rate; latency is
                // measured from when it was due, so a slow server is not hidden (no
                // coordinated omission).
                let mut n: u64 = 0;
                loop {
                    let k = n * concurrency as u64 + i as u64;
                    let due = match (k * 1_000_000_000).checked_div(rate) {
                        None => tokio::time::Instant::now(),
                        Some(ns) => start + Duration::from_nanos(ns),
                    };
                    if due >= end {
                        break;
                    }
                    let now = tokio::time::Instant::now();
                    if now >= end {
                        // Behind schedule at the end: the calls still due are not sent (counted
                        // as unsent), so that a run never outlasts its duration.
                        t.unsent += (end - due).as_nanos() as u64 * rate
                            / concurrency as u64
                            / 1_000_000_000
                            + 1;
                        break;
                    }
                    if due > now {
                        tokio::time::sleep_until(due).await;
                    }
                    n += 1;
                    match client.verify_registration(req.clone()).await {
                        Ok(r) => match Verdict::try_from(r.into_inner().verdict) {
                            Ok(Verdict::Accepted) => t.accepted += 1,
                            Ok(Verdict::Rejected) => t.rejected += 1,
                            _ => t.other += 1,
                        },
                        Err(e) => {
                            t.errors += 1;
                            t.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                    let us = due.elapsed().as_micros();
                    t.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
                t
            }));
        }
        let mut all = Tally::default();
        for task in tasks {
            let t = task.await.unwrap();
            all.latencies_us.extend(t.latencies_us);
            all.accepted += t.accepted;
            all.rejected += t.rejected;
            all.other += t.other;
            all.errors += t.errors;
            all.unsent += t.unsent;
            if all.first_error.is_none() {
                all.first_error = t.first_error;
            }
        }
        let wall = start.elapsed().as_secs_f64();
        let after = server_pid.and_then(proc_stats);
        let lat = &mut all.latencies_us;
        lat.sort_unstable();
        let q = |p: f64| {
            let i = ((lat.len() as f64 * p).ceil() as usize).saturating_sub(1);
            lat.get(i).map_or(0.0, |&us| f64::from(us) / 1000.0)
        };
        let total = lat.len();
        let server = match (before, after) {
            (Some((c0, _)), Some((c1, hwm))) => format!(
                " server_cpu={:.0}% server_peak_rss={:.1}MB",
                (c1 - c0) as f64 / 100.0 / wall * 100.0,
                hwm as f64 / 1024.0
            ),
            _ => String::new(),
        };
        println!(
            "RESULT concurrency={concurrency} offered={} calls={total} wall={wall:.2}s \
             throughput={:.0}/s p50={:.2}ms p99={:.2}ms p999={:.2}ms max={:.2}ms \
             accepted={} rejected={} other={} errors={} unsent={}{server}",
            if rate == 0 { "closed".to_string() } else { format!("{rate}/s") },
            total as f64 / wall,
            q(0.50),
            q(0.99),
            q(0.999),
            q(1.0),
            all.accepted,
            all.rejected,
            all.other,
            all.errors,
            all.unsent,
        );
        if let Some(e) = all.first_error {
            println!("first error: {e}");
        }
    });
}

/// Spawns `MDSD ARGS...`, then asks grpc.health.v1 for the overall status every millisecond
/// until SERVING (bounded at 30 s); prints the time since spawn and leaves the server running
/// (its pid is printed; the caller stops it).
#[allow(clippy::zombie_processes)] // the server outlives loadgen on purpose
fn coldstart(args: &[String]) {
    let addr = loopback(&args[0]);
    let cmd = args.iter().skip_while(|a| *a != "--").skip(1).collect::<Vec<_>>();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let started = Instant::now();
        let child = std::process::Command::new(Path::new(cmd[0]))
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut first_connect = None;
        while started.elapsed() < Duration::from_secs(30) {
            let endpoint = Channel::from_shared(format!("http://{addr}")).unwrap();
            if let Ok(ch) = endpoint.connect().await {
                first_connect.get_or_insert(started.elapsed());
                let mut h = HealthClient::new(ch);
                loop {
                    let r = h.check(HealthCheckRequest { service: String::new() }).await;
                    match r.map(|r| ServingStatus::try_from(r.into_inner().status)) {
                        Ok(Ok(ServingStatus::Serving)) => {
                            println!(
                                "COLDSTART pid={} listening_after={:.1}ms serving_after={:.1}ms",
                                child.id(),
                                first_connect.unwrap_or_default().as_secs_f64() * 1000.0,
                                started.elapsed().as_secs_f64() * 1000.0
                            );
                            return;
                        }
                        Ok(_) if started.elapsed() < Duration::from_secs(30) => {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        _ => break,
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        println!("COLDSTART pid={} never SERVING within 30 s", child.id());
    });
}

/// One CheckCredentials batch of N credentials (at most 10,000, the per-call limit), sent
/// ROUNDS times one after the other over one connection: the round trip of the whole batch
/// (encode, send, judge, answer, decode). The credentials take turns: a listed AAGUID, an
/// unlisted one, a listed U2F key identifier, an unlisted one (the listed ones read from the
/// server with ListAuthenticators); every third has two fingerprints, every second a
/// registration time.
fn check_credentials(args: &[String]) {
    let addr = loopback(&args[0]);
    let n: usize = args.get(1).map_or(10_000, |s| s.parse().unwrap());
    let rounds: usize = args.get(2).map_or(20, |s| s.parse().unwrap());
    let server_pid: Option<u32> = args.get(3).map(|s| s.parse().unwrap());
    assert!((1..=10_000).contains(&n) && (1..=1000).contains(&rounds));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await;
        let mut api = AttestationServiceClient::new(channel.unwrap())
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20);
        let (mut aaguids, mut key_ids) = (Vec::new(), Vec::new());
        let mut page_token = String::new();
        while aaguids.len() < n / 4 || key_ids.len() < n / 4 {
            let page = api
                .list_authenticators(ListAuthenticatorsRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            for a in page.authenticators {
                if !a.aaguid.is_empty() {
                    aaguids.push(a.aaguid);
                }
                key_ids.extend(a.key_identifiers);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert!(!aaguids.is_empty() && !key_ids.is_empty(), "the BLOB lists no AAGUID/key id");
        use registered_credential::Authenticator;
        let credentials = (0..n)
            .map(|i| RegisteredCredential {
                authenticator: Some(match i % 4 {
                    0 => Authenticator::Aaguid(aaguids[i / 4 % aaguids.len()].clone()),
                    1 => Authenticator::Aaguid(format!("00000000-0000-4000-8000-{i:012x}")),
                    2 => Authenticator::KeyIdentifier(key_ids[i / 4 % key_ids.len()].clone()),
                    _ => Authenticator::KeyIdentifier(format!("{i:040x}")),
                }),
                attestation_sha256: if i % 3 == 0 {
                    vec![format!("{i:064x}"), "ab".repeat(32)]
                } else {
                    Vec::new()
                },
                registered_at: (i % 2 == 0).then(|| prost_types::Timestamp {
                    seconds: 1_700_000_000 + i as i64,
                    nanos: 0,
                }),
                credential_id: (i as u32).to_be_bytes().repeat(8),
                ..Default::default()
            })
            .collect();
        let req = CheckCredentialsRequest { credentials, ..Default::default() };
        let request_bytes = prost::Message::encoded_len(&req);
        let before = server_pid.and_then(proc_stats);
        let started = Instant::now();
        let mut times = Vec::new();
        let (mut trusted, mut response_bytes) = (0, 0);
        for _ in 0..rounds {
            let t = Instant::now();
            let r = api.check_credentials(req.clone()).await.unwrap().into_inner();
            times.push(t.elapsed());
            assert_eq!(r.results.len(), n);
            trusted = r.results.iter().filter(|c| c.trusted).count();
            response_bytes = prost::Message::encoded_len(&r);
        }
        let wall = started.elapsed().as_secs_f64();
        let after = server_pid.and_then(proc_stats);
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let server = match (before, after) {
            (Some((c0, _)), Some((c1, hwm))) => format!(
                " server_cpu_per_call={:.1}ms server_peak_rss={:.1}MB",
                (c1 - c0) as f64 * 10.0 / rounds as f64,
                hwm as f64 / 1024.0
            ),
            _ => String::new(),
        };
        println!(
            "CHECK_CREDENTIALS n={n} rounds={rounds} request={:.0}KB response={:.0}KB \
             min={:.2}ms p50={:.2}ms max={:.2}ms ({:.0} credentials/s) trusted={trusted}{server}",
            request_bytes as f64 / 1024.0,
            response_bytes as f64 / 1024.0,
            ms(times[0]),
            ms(times[rounds / 2]),
            ms(times[rounds - 1]),
            (n * rounds) as f64 / wall,
        );
    });
}
