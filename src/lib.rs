//! mdsd: verified FIDO MDS3 metadata and WebAuthn attestation verification, as a daemon.
//!
//! Two crates (see ARCHITECTURE.md). The verification core, `mdsd-core` — [`crypto`], [`x509`],
//! [`mds`], [`trust_store`], [`attestation`], [`policy`], re-exported here under the same names —
//! is pure: no I/O, no clock; it takes bytes and `now` and returns values. This crate is the shell,
//! [`daemon`]: config, fetching, refresh, snapshot, gRPC, admin — every side effect; the CLI lives
//! in the binary.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

pub use mdsd_core::{
    attestation, catalog, changes, credentials, crypto, limits, mds, passkey_providers, policy,
    registration, trust_store, x509,
};

pub mod daemon;
