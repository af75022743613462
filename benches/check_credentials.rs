//! CheckCredentials on a batch of 10,000 stored credentials (the most one call accepts) against
//! the store of the real 2024-12 BLOB: known and unknown AAGUIDs and U2F key identifiers, some
//! with attestation fingerprints and registration times. Measured: the core
//! (`credentials::check_batch`), the same with a passkey-profile decision per credential, and
//! the whole work of the RPC between decoding and encoding (`grpc::check_credentials_batch`:
//! request checks and conversion, judging, response conversion); beside it the floor, one
//! trust-store lookup per credential.
//! Run: `cargo bench --bench check_credentials`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use mdsd::credentials::{check_batch, BatchPolicy, MAX_CREDENTIALS};
use mdsd::daemon::grpc::{check_credentials_batch, convert};
use mdsd::daemon::proto::RegisteredCredential;
use mdsd::daemon::proto::{registered_credential::Authenticator, CheckCredentialsRequest};
use mdsd::policy::PolicySet;
use mdsd::trust_store::{StatusPolicy, TrustStore};
use mdsd_test_support::policy::TWO_PROFILES_TOML;
use mdsd_test_support::shared::{self, BLOB_2024_12};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2024-12-03 0:00 UTC);

fn store() -> TrustStore {
    std::sync::Arc::try_unwrap(shared::blob_store(BLOB_2024_12, NOW)).unwrap()
}

/// Two profiles as in the README's Entra-like set-up.
fn policy() -> PolicySet {
    let raw = mdsd::daemon::config::RawConfig::from_toml_str(TWO_PROFILES_TOML).unwrap();
    raw.policy.unwrap().build().unwrap()
}

/// 10,000 credentials, in turn: a listed AAGUID, an unlisted one, a listed U2F key identifier,
/// an unlisted one; every third with two attestation fingerprints, every second with a
/// registration time; sign-in flags UP|UV (|BE|BS on odd ones).
fn request(store: &TrustStore) -> CheckCredentialsRequest {
    let aaguids: Vec<String> =
        store.entries().iter().filter_map(|e| e.aaguid()).map(|u| u.to_string()).collect();
    let key_ids: Vec<String> =
        store.entries().iter().flat_map(|e| e.key_identifiers().to_vec()).collect();
    let credentials = (0..MAX_CREDENTIALS)
        .map(|i| {
            let authenticator = match i % 4 {
                0 => Authenticator::Aaguid(aaguids[i / 4 % aaguids.len()].clone()),
                1 => Authenticator::Aaguid(format!("00000000-0000-4000-8000-{i:012x}")),
                2 => Authenticator::KeyIdentifier(key_ids[i / 4 % key_ids.len()].clone()),
                _ => Authenticator::KeyIdentifier(format!("{i:040x}")),
            };
            RegisteredCredential {
                credential_id: (i as u32).to_be_bytes().repeat(8),
                authenticator: Some(authenticator),
                attestation_sha256: if i % 3 == 0 {
                    vec![format!("{i:064x}"), "ab".repeat(32)]
                } else {
                    Vec::new()
                },
                registered_at: (i % 2 == 0).then(|| prost_types::Timestamp {
                    seconds: 1_700_000_000 + i as i64,
                    nanos: 0,
                }),
                flags: if i % 2 == 1 { 0x1D } else { 0x05 },
                ..Default::default()
            }
        })
        .collect();
    CheckCredentialsRequest { credentials, ..Default::default() }
}

/// Median of `rounds` timings of `f`.
fn median(rounds: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..rounds)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[rounds / 2]
}

fn check_credentials(c: &mut Criterion) {
    let store = store();
    let policy = policy();
    let status = StatusPolicy::default();
    let req = request(&store);
    let items: Vec<_> = req
        .credentials
        .iter()
        .enumerate()
        .map(|(i, c)| convert::stored_credential(i, c, true))
        .collect::<Result<_, _>>()
        .unwrap();
    let groups = vec!["staff".to_string()];
    let choice = policy.choose("", groups.clone()).unwrap();
    let with_policy = || BatchPolicy { policy: &policy, choice: &choice };
    // Sanity: the mix is what it says.
    let judged = check_batch(&store, &items, &status, None, NOW);
    let trusted = judged.iter().filter(|(v, _)| v.trusted).count();
    assert!(trusted > 0 && trusted < MAX_CREDENTIALS / 2, "{trusted} trusted");
    let mut policy_req = req.clone();
    policy_req.user_groups = groups.clone();
    let floor = || {
        for item in &items {
            black_box(item.stored.key.lookup(&store));
        }
    };

    let mut group = c.benchmark_group("check_credentials_10000");
    group.bench_function("core", |b| {
        b.iter(|| check_batch(&store, black_box(&items), &status, None, NOW))
    });
    group.bench_function("core_with_policy", |b| {
        b.iter(|| check_batch(&store, black_box(&items), &status, Some(with_policy()), NOW))
    });
    // The RPC owns its decoded request: the copy each iteration needs is made outside the timing.
    group.bench_function("rpc_work", |b| {
        b.iter_batched(
            || req.clone(),
            |r| check_credentials_batch(&store, black_box(r), None, &status, NOW),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("rpc_work_with_policy", |b| {
        b.iter_batched(
            || policy_req.clone(),
            |r| {
                check_credentials_batch(
                    &store,
                    black_box(r),
                    Some((&policy, &choice)),
                    &status,
                    NOW,
                )
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("floor_lookups", |b| b.iter(floor));
    group.finish();

    // Interleaved medians for the ratio line (the machine is shared).
    let (mut core, mut pol, mut rpc, mut fl) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        core.push(median(3, || drop(check_batch(&store, &items, &status, None, NOW))));
        pol.push(median(3, || {
            drop(check_batch(&store, &items, &status, Some(with_policy()), NOW))
        }));
        let mut copies: Vec<_> = (0..3).map(|_| req.clone()).collect();
        rpc.push(median(3, || {
            let r = copies.pop().unwrap();
            drop(check_credentials_batch(&store, r, None, &status, NOW))
        }));
        fl.push(median(3, floor));
    }
    for v in [&mut core, &mut pol, &mut rpc, &mut fl] {
        v.sort();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "RATIO check_credentials/10000: core {:.2} ms ({:.0} ns/credential, {:.1}x floor) | \
         with policy {:.2} ms | rpc work {:.2} ms ({:.1}x floor) | floor (lookups) {:.3} ms",
        ms(core[4]),
        ms(core[4]) * 1e6 / MAX_CREDENTIALS as f64,
        ms(core[4]) / ms(fl[4]),
        ms(pol[4]),
        ms(rpc[4]),
        ms(rpc[4]) / ms(fl[4]),
        ms(fl[4]),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = check_credentials
}
criterion_main!(benches);
