//! BLOB ingest (verify JWS + path + CRLs + payload + trust store) against its floor: decode the
//! payload, one RSA-2048 PKCS#1 verification over the signing input (SHA-256 of it included),
//! one serde_json pass into `IgnoredAny`. Run: `cargo bench --bench ingest`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{black_box, criterion_group, Criterion, Throughput};
use mdsd::mds::{builtin_roots, verify_blob, BlobVerifyOptions};
use mdsd::x509::{Cert, Crl, TrustAnchor};
use mdsd_test_support::{big_blob, shared};
use time::macros::datetime;
use x509_parser::prelude::FromDer;

fn data(name: &str) -> Vec<u8> {
    shared::read(&format!("blobs/{name}"))
}

/// What the floor needs from a BLOB: the signing input, the decoded signature and the leaf's
/// SubjectPublicKey (x5c[0]).
struct Parts {
    signing_input: Vec<u8>,
    payload_b64: Vec<u8>,
    signature: Vec<u8>,
    leaf_spk: Vec<u8>,
}

fn parts(blob: &[u8]) -> Parts {
    let text = std::str::from_utf8(blob).unwrap().trim_end();
    let mut it = text.split('.');
    let (h, p, s) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
    let x5c0 = base64::engine::general_purpose::STANDARD
        .decode(header["x5c"][0].as_str().unwrap())
        .unwrap();
    let (_, leaf) = x509_parser::certificate::X509Certificate::from_der(&x5c0).unwrap();
    Parts {
        signing_input: format!("{h}.{p}").into_bytes(),
        payload_b64: p.as_bytes().to_vec(),
        signature: URL_SAFE_NO_PAD.decode(s).unwrap(),
        leaf_spk: leaf.public_key().subject_public_key.data.to_vec(),
    }
}

/// The floor: the work any verifier of this BLOB must do.
fn floor(p: &Parts) {
    let payload = URL_SAFE_NO_PAD.decode(&p.payload_b64).unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &p.leaf_spk,
    )
    .verify(&p.signing_input, &p.signature)
    .unwrap();
    let _: serde::de::IgnoredAny = serde_json::from_slice(&payload).unwrap();
    black_box(payload);
}

/// Median of `n` timed runs of `f` (for the ratio line printed beside criterion's figures).
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

fn bench_blob(
    c: &mut Criterion,
    name: &str,
    blob: &[u8],
    opts: &BlobVerifyOptions,
    at: time::OffsetDateTime,
) {
    // Sanity: it verifies, nothing quarantined.
    let v = verify_blob(blob, opts, at).unwrap();
    assert!(v.quarantined.is_empty());
    let entries = v.store.entries().len();
    drop(v);
    let p = parts(blob);
    floor(&p);

    let mut group = c.benchmark_group(format!("ingest/{name}"));
    group.throughput(Throughput::Bytes(blob.len() as u64));
    group.bench_function("verify_blob", |b| {
        b.iter(|| verify_blob(black_box(blob), opts, at).unwrap())
    });
    group.bench_function("floor", |b| b.iter(|| floor(black_box(&p))));
    group.finish();

    // Interleaved pairs, so that both sides see the same machine load: the ratio of the
    // medians, and the quartiles of the pairs' own ratios (how much the host moved it).
    let rounds = 51;
    let mut ingest = Vec::new();
    let mut fl = Vec::new();
    let mut pairs = Vec::new();
    for _ in 0..rounds {
        let i = median(1, || drop(verify_blob(blob, opts, at).unwrap()));
        let f = median(1, || floor(&p));
        pairs.push(i.as_secs_f64() / f.as_secs_f64());
        ingest.push(i);
        fl.push(f);
    }
    ingest.sort();
    fl.sort();
    pairs.sort_by(f64::total_cmp);
    let (i, f) = (ingest[rounds / 2], fl[rounds / 2]);
    println!(
        "RATIO ingest/{name}: {} bytes, {entries} entries: verify_blob {:.2} ms, floor {:.2} ms, ratio {:.2}x (pairs: quartiles {:.2}x to {:.2}x)",
        blob.len(),
        i.as_secs_f64() * 1e3,
        f.as_secs_f64() * 1e3,
        i.as_secs_f64() / f.as_secs_f64(),
        pairs[rounds / 4],
        pairs[3 * rounds / 4],
    );
}

fn ingest(c: &mut Criterion) {
    // The real 2024-12 BLOB with the real GlobalSign CRLs, inside their window.
    let real = data("s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let mut opts = BlobVerifyOptions::new(builtin_roots());
    opts.crls = ["webauthn4j__root-r3.crl", "webauthn4j__gsextendvalsha2g3r3.crl"]
        .iter()
        .map(|f| Arc::new(Crl::from_pem_or_der(&data(f)).unwrap()))
        .collect();
    bench_blob(c, "real_2024_12", &real, &opts, datetime!(2024-09-03 12:00 UTC));

    // A generated BLOB of at least 16 MiB from the same entries, test PKI, CRLs required.
    let big = big_blob::generate(&real, big_blob::MIN_BYTES);
    let mut opts = BlobVerifyOptions::new(vec![TrustAnchor {
        cert: Arc::new(Cert::from_der(&big.root_der).unwrap()),
        label: "bench root".into(),
    }]);
    opts.crls = big.crls.iter().map(|d| Arc::new(Crl::from_pem_or_der(d).unwrap())).collect();
    assert_eq!(
        verify_blob(&big.blob, &opts, big_blob::at()).unwrap().store.entries().len(),
        big.entries
    );
    bench_blob(c, "generated_16mb", &big.blob, &opts, big_blob::at());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = ingest
}
/// `MDSD_INGEST_ONCE=1`: one `verify_blob` and one floor of the real BLOB, then exit — for
/// instruction counts that do not move with the machine's load:
/// `valgrind --tool=callgrind --toggle-collect='*verify_blob*' <bench binary>` (then
/// `--toggle-collect='*ingest*floor*'`); `callgrind_annotate` shows where the difference goes.
fn once() {
    let real = data("s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let mut opts = BlobVerifyOptions::new(builtin_roots());
    opts.crls = ["webauthn4j__root-r3.crl", "webauthn4j__gsextendvalsha2g3r3.crl"]
        .iter()
        .map(|f| Arc::new(Crl::from_pem_or_der(&data(f)).unwrap()))
        .collect();
    drop(black_box(verify_blob(black_box(&real), &opts, datetime!(2024-09-03 12:00 UTC)).unwrap()));
    floor(black_box(&parts(&real)));
}

fn main() {
    if std::env::var_os("MDSD_INGEST_ONCE").is_some() {
        return once();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
