//! mdsd: verified FIDO MDS3 metadata and WebAuthn attestation verification.
//!
//! The crate has two layers (see ARCHITECTURE.md). The verification core — [`crypto`], [`x509`],
//! [`mds`], [`trust_store`], [`attestation`] — is pure: no I/O, no clock; it takes bytes and `now`
//! and returns values. The daemon shell — [`daemon`]: config, fetching, refresh, snapshot, gRPC,
//! admin — does every side effect; the CLI lives in the binary.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

pub mod attestation;
pub mod crypto;
pub mod daemon;
pub mod mds;
pub mod policy;
pub mod trust_store;
pub mod x509;
