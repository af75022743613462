//! Shared test helpers: `#[path = "support/mod.rs"] mod support;` in a test file.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod pki;
