//! The verification core of mdsd: verified FIDO MDS3 metadata and WebAuthn attestation
//! verification, as a library a relying party can use without running the daemon.
//!
//! Pure by construction: no I/O, no clock, no environment, no async runtime. Every function takes
//! bytes and `now` and returns values (the crate's `clippy.toml` disallows reading the clock and
//! the environment, and its dependency tree holds no runtime, network or server crate).
//!
//! - [`crypto`]: public keys and the one `PublicKey::verify` every signature goes through.
//! - [`x509`]: certificates, path building to trust anchors, CRLs.
//! - [`mds`]: the MDS3 BLOB (JWS, signing chain, CRLs, payload, rollback) → a [`trust_store::TrustStore`].
//! - [`trust_store`]: the immutable snapshot of entries, indexes and status rules.
//! - [`attestation`]: WebAuthn attestation statements of every format, judged against the store.
//! - [`policy`]: passkey profiles (the Entra ID model) decided on verified facts.
//! - [`registration`]: a registration verified and decided in one call.
//! - [`catalog`]: entries by key or filtered, with their status at `now`.
//! - [`credentials`]: stored credentials re-judged under today's metadata.
//! - [`changes`]: the status changes between two trust stores.
//! - [`limits`]: request bounds (sizes and counts a request may carry), in one place.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

pub mod attestation;
pub mod catalog;
pub mod changes;
pub mod credentials;
pub mod crypto;
pub mod limits;
pub mod mds;
pub mod policy;
pub mod registration;
pub mod trust_store;
pub mod x509;
