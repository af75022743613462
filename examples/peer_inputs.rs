//! Times mdsd in process on the inputs of scripts/peers/run.sh, the same way that script times
//! python-fido2 and SimpleWebAuthn (warm, N runs one by one or batched, median), and prints one
//! JSON object per line.
//!
//! ```text
//! peer_inputs blob --label real --blob B.jwt [--root ROOT.der] [--crl F ...] --at T [--n 15] [--warmup 2]
//! peer_inputs att --vectors vectors.json --blob B.jwt --crl F ... --blob-at T --id ID [--id ID ...]
//! ```
//!
//! `blob`: `mds::verify_blob` (JWS, path to the pinned root, CRLs of every chain certificate,
//! signature, payload, rollback check, trust store with its indexes), the result dropped inside
//! the timed loop; without `--root` the built-in roots (GlobalSign Root CA - R3 and Root R46).
//! `att`: `Verifier::verify_registration`, bytes in, with the vector's challenge, origin and RP
//! ID as expectations (UP required, UV not), against the BLOB's trust store, at the vector's
//! `valid_at` (or 2024-06-01); with the default chain cache (warm) and without one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mdsd::attestation::{Expectations, RegistrationInput, Verifier, VerifierOptions};
use mdsd::mds::{builtin_roots, verify_blob, BlobVerifyOptions};
use mdsd::x509::{Cert, Crl, TrustAnchor};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let cmd = argv.first().cloned().unwrap_or_default();
    let args = Args::parse(argv.get(1..).unwrap_or_default());
    match cmd.as_str() {
        "blob" => blob(&args),
        "att" => att(&args),
        _ => panic!("usage: peer_inputs blob|att ... (see the file's header)"),
    }
}

/// `--flag value` pairs; `--crl` and `--id` may repeat.
#[derive(Default)]
struct Args {
    one: std::collections::HashMap<String, String>,
    crls: Vec<String>,
    ids: Vec<String>,
}

impl Args {
    fn parse(argv: &[String]) -> Args {
        let mut a = Args::default();
        for pair in argv.chunks(2) {
            let (flag, value) = (pair[0].trim_start_matches("--"), pair[1].clone());
            match flag {
                "crl" => a.crls.push(value),
                "id" => a.ids.push(value),
                _ => {
                    a.one.insert(flag.to_string(), value);
                }
            }
        }
        a
    }

    fn get(&self, flag: &str) -> &str {
        self.one.get(flag).unwrap_or_else(|| panic!("--{flag} is required"))
    }

    fn num(&self, flag: &str, default: usize) -> usize {
        self.one.get(flag).map_or(default, |v| v.parse().unwrap())
    }
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Options for a BLOB: `--root` (DER) or the built-in roots, and every `--crl`.
fn blob_options(args: &Args) -> BlobVerifyOptions {
    let anchors = match args.one.get("root") {
        Some(path) => vec![TrustAnchor {
            cert: Arc::new(Cert::from_der(&read(path)).unwrap()),
            label: path.clone(),
        }],
        None => builtin_roots(),
    };
    let mut opts = BlobVerifyOptions::new(anchors);
    opts.crls =
        args.crls.iter().map(|f| Arc::new(Crl::from_pem_or_der(&read(f)).unwrap())).collect();
    opts
}

/// A field of /proc/self/status in kB (`VmHWM`: peak resident set size, `VmRSS`: current).
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line =
        status.lines().find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// On-CPU time of the main thread, ns (the work here runs on it alone).
fn cpu_ns() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn emit(mut v: Value) {
    v["peer"] = json!("mdsd");
    v["version"] = json!(env!("CARGO_PKG_VERSION"));
    println!("{v}");
}

/// Runs `f` `warmup` times untimed, then `n` times one by one: wall times (ns) and the mean
/// CPU time per call (ns).
fn time_each(n: usize, warmup: usize, mut f: impl FnMut()) -> (Vec<f64>, f64) {
    for _ in 0..warmup {
        f();
    }
    let c0 = cpu_ns();
    let times = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_nanos() as f64
        })
        .collect();
    (times, (cpu_ns() - c0) / n as f64)
}

/// Same scheme as bench_fido2.py and bench_simplewebauthn.mjs: warm up ≥ 0.3 s (≥ 10 calls),
/// batches sized to ≈ 50 ms, median per-call time over 15 batches (ns); also the batch size
/// and the mean CPU time per call (ns).
fn per_call(mut f: impl FnMut()) -> (f64, usize, f64) {
    let (batches, batch_secs, warm_secs) = (15usize, 0.05f64, 0.3f64);
    let mut calls = 0usize;
    let t0 = Instant::now();
    while calls < 10 || t0.elapsed().as_secs_f64() < warm_secs {
        f();
        calls += 1;
    }
    let mean = t0.elapsed().as_secs_f64() / calls as f64;
    let size = ((batch_secs / mean).round() as usize).max(1);
    let c0 = cpu_ns();
    let per = (0..batches)
        .map(|_| {
            let t0 = Instant::now();
            for _ in 0..size {
                f();
            }
            t0.elapsed().as_nanos() as f64 / size as f64
        })
        .collect();
    (median(per), size, (cpu_ns() - c0) / (batches * size) as f64)
}

fn blob(args: &Args) {
    // Resident size before any input is read (the binary and its runtime).
    let baseline_rss_kb = status_kb("VmRSS");
    let blob = read(args.get("blob"));
    let opts = blob_options(args);
    let now = at(args.get("at"));
    let v = verify_blob(&blob, &opts, now).unwrap();
    assert!(v.quarantined.is_empty(), "quarantined entries: {:?}", v.quarantined);
    let entries = v.store.entries().len();
    drop(v);
    let first_rss_kb = status_kb("VmHWM");
    let (n, warmup) = (args.num("n", 15), args.num("warmup", 2));
    let (times, cpu) = time_each(n, warmup, || drop(verify_blob(&blob, &opts, now).unwrap()));
    emit(json!({
        "case": format!("blob:{}", args.get("label")),
        "fn": "mds::verify_blob",
        "bytes": blob.len(),
        "entries": entries,
        "crls": args.crls.len(),
        "n": n,
        "warmup": warmup,
        "median_ms": median(times.clone()) / 1e6,
        "min_ms": times.iter().copied().fold(f64::INFINITY, f64::min) / 1e6,
        "max_ms": times.iter().copied().fold(0.0, f64::max) / 1e6,
        "cpu_ms": cpu / 1e6,
        "peak_rss_kb": status_kb("VmHWM"),
        "peak_rss_first_kb": first_rss_kb,
        "baseline_rss_kb": baseline_rss_kb,
    }));
}

fn att(args: &Args) {
    #[derive(serde::Deserialize)]
    struct Vector {
        id: String,
        format: String,
        #[serde(rename = "attestationObject_b64url")]
        attestation_object: String,
        #[serde(rename = "clientDataJSON_b64url")]
        client_data_json: String,
        challenge_b64url: String,
        origin: String,
        #[serde(rename = "rpId")]
        rp_id: String,
        valid_at: Option<String>,
    }
    let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).unwrap();
    let vectors: Vec<Vector> = serde_json::from_slice(&read(args.get("vectors"))).unwrap();
    let store = verify_blob(&read(args.get("blob")), &blob_options(args), at(args.get("blob-at")))
        .unwrap()
        .store;
    let cached = Verifier::new(VerifierOptions::default());
    let uncached = Verifier::with_cache_capacity(VerifierOptions::default(), 0);
    for id in &args.ids {
        let v = vectors.iter().find(|v| &v.id == id).unwrap_or_else(|| panic!("no vector {id}"));
        let (ao, cdj) = (b64(&v.attestation_object), b64(&v.client_data_json));
        let expectations = Expectations {
            rp_id: Some(v.rp_id.clone()),
            origins: vec![v.origin.clone()],
            challenge: Some(b64(&v.challenge_b64url)),
            top_origins: None,
            require_user_presence: true,
            require_user_verification: false,
        };
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cdj,
            expectations: Some(&expectations),
        };
        let now = at(v.valid_at.as_deref().unwrap_or("2024-06-01T00:00:00Z"));
        let r = cached.verify_registration(&input, Some(&store), now);
        assert!(r.statement_valid, "{id}: {:?}", r.reasons);
        let outcome = format!(
            "statement_valid={} trusted={} reasons={:?}",
            r.statement_valid,
            r.trusted,
            r.reasons.iter().map(|x| x.code.as_str()).collect::<Vec<_>>()
        );
        for (mode, verifier) in
            [("chain cache (default), warm", &cached), ("no chain cache", &uncached)]
        {
            let (med, size, cpu) =
                per_call(|| drop(verifier.verify_registration(&input, Some(&store), now)));
            emit(json!({
                "case": format!("att:{}", v.format),
                "vector": id,
                "mode": format!("Verifier::verify_registration, bytes in, {mode}"),
                "outcome": outcome,
                "median_us": med / 1e3,
                "per_sec": 1e9 / med,
                "cpu_us": cpu / 1e3,
                "batch": size,
                "batches": 15,
            }));
        }
    }
}
