//! Trust-store lookups on the store built from the real 2024-12 BLOB: by AAGUID and by
//! attestation certificate key identifier (hits, a miss, and an uppercase key identifier), and
//! reading an entry's capabilities for Entra's certified-metadata rule (the first read parses
//! the entry's JSON, icons included, over the entries in turn; later reads are the kept answer).
//! Run: `cargo bench --bench trust_store`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsd_test_support::shared::{self, BLOB_2024_12};
use time::macros::datetime;
use uuid::Uuid;

fn trust_store(c: &mut Criterion) {
    let store = shared::blob_store(BLOB_2024_12, datetime!(2024-12-03 0:00 UTC));
    let aaguids: Vec<Uuid> = store.entries().iter().filter_map(|e| e.aaguid()).collect();
    let key_ids: Vec<String> =
        store.entries().iter().flat_map(|e| e.key_identifiers().to_vec()).collect();
    let upper: Vec<String> = key_ids.iter().map(|k| k.to_ascii_uppercase()).collect();
    assert!(!aaguids.is_empty() && !key_ids.is_empty());
    let missing = Uuid::from_u128(0x1234_5678);

    let mut group = c.benchmark_group("trust_store");
    let mut i = 0usize;
    group.bench_function("by_aaguid_hit", |b| {
        b.iter(|| {
            i = (i + 1) % aaguids.len();
            store.by_aaguid(black_box(&aaguids[i])).is_some()
        })
    });
    group.bench_function("by_aaguid_miss", |b| b.iter(|| store.by_aaguid(black_box(&missing))));
    let mut j = 0usize;
    group.bench_function("by_key_identifier_hit", |b| {
        b.iter(|| {
            j = (j + 1) % key_ids.len();
            store.by_key_identifier(black_box(&key_ids[j])).is_some()
        })
    });
    let mut k = 0usize;
    group.bench_function("by_key_identifier_uppercase", |b| {
        b.iter(|| {
            k = (k + 1) % upper.len();
            store.by_key_identifier(black_box(&upper[k])).is_some()
        })
    });
    let entries = store.entries();
    let mut m = 0usize;
    group.bench_function("capabilities_first_read", |b| {
        b.iter(|| {
            m = (m + 1) % entries.len();
            mdsd::policy::MetadataCapabilities::read(black_box(&entries[m]))
        })
    });
    group.bench_function("capabilities_from_entry", |b| {
        b.iter(|| {
            m = (m + 1) % entries.len();
            mdsd::policy::MetadataCapabilities::from_entry(black_box(&entries[m]))
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(1));
    targets = trust_store
}
criterion_main!(benches);
