//! Writes the generated ≥ 16 MiB benchmark BLOB (real 2024-12 entries, unique AAGUIDs, test PKI)
//! and what verifies it into a directory, for peak-RSS runs of `mdsd blob verify`:
//!
//! ```text
//! cargo run --release --example gen_big_blob -- /tmp/bigblob
//! /usr/bin/time -v target/release/mdsd blob verify --blob /tmp/bigblob/blob.jwt \
//!     --root /tmp/bigblob/root.der --crl /tmp/bigblob/root.crl --crl /tmp/bigblob/ca.crl \
//!     --at 2024-06-01T00:00:00Z
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdsd_test_support::big_blob;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "bigblob".into()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = std::fs::read(big_blob::SOURCE_BLOB).unwrap();
    let big = big_blob::generate(&real, big_blob::MIN_BYTES);
    std::fs::write(dir.join("blob.jwt"), &big.blob).unwrap();
    std::fs::write(dir.join("root.der"), &big.root_der).unwrap();
    std::fs::write(dir.join("root.crl"), &big.crls[0]).unwrap();
    std::fs::write(dir.join("ca.crl"), &big.crls[1]).unwrap();
    println!(
        "{}: {} bytes, {} entries",
        dir.join("blob.jwt").display(),
        big.blob.len(),
        big.entries
    );
}
