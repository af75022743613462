//! The daemon shell: configuration, fetching, the refresh loop, the on-disk snapshot, the gRPC
//! service and the admin endpoint. Every side effect lives here; the verification core stays pure.
#![deny(clippy::await_holding_lock, clippy::await_holding_refcell_ref)]

pub mod admin;
pub mod advice;
pub mod blob_sources;
pub mod config;
pub mod fetch;
pub mod files;
pub mod grpc;
pub mod metrics;
pub mod mirror;
pub mod passkey_providers;
pub mod policy_reload;
pub mod probe;
pub mod proto;
pub mod refresh;
pub mod server;
pub mod snapshot_file;
pub mod state;
pub mod state_lock;
pub mod statements;
pub mod watch;
