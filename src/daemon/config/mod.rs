//! Daemon configuration in two phases: [`RawConfig`] (TOML file, `MDSD_*` environment variables,
//! command-line flags; every field optional) → [`Config`] (checked, typed, files read), with every
//! error reported at once ([`ConfigErrors`]).
//!
//! Precedence: flag > environment variable > config file > built-in default. The environment
//! variables are read by clap together with the flags (each flag names its variable).
//!
//! One job per file: `raw` (the settings as given, and how sources layer), `check` (raw →
//! checked, every error at once), `checked` (the [`Config`] and its parts), `files` (operator
//! files: regular files only, size-capped; anchors and TLS material), `duration` (the duration
//! syntax), `blob_sources` (the further BLOB sources, `[[blob_source]]`).

mod blob_sources;
mod check;
mod checked;
mod duration;
mod files;
mod raw;
mod restart;
mod size;

use std::fmt;

pub use blob_sources::{ExtraBlobSource, RawBlobSource, MAX_BLOB_SOURCES};
pub use check::MAX_SOURCES;
pub use checked::{
    AdminControl, AnchorSource, BlobSource, Config, CrlMirror, Danger, FetchConfig, GrpcLimits,
    ListenAddr, RefreshConfig, TlsFiles, ATTESTATION_ANCHOR_LABEL, DEFAULT_MAX_REQUEST_BYTES,
    MDS_ROOT_LABEL,
};
pub use duration::{format_duration, parse_duration};
pub(crate) use files::read_capped;
pub use raw::RawConfig;
pub use restart::{changed_settings, settings_table};
pub use size::ByteSize;

/// The official MDS3 BLOB URL (the default source).
pub const DEFAULT_MDS_URL: &str = "https://mds.fidoalliance.org/";
/// Default gRPC listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
/// Default admin (metrics, probes) listen address: loopback only.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9464";
/// Default state directory (the persisted snapshot).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/mdsd";

/// Every configuration problem found, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub errors: Vec<String>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} configuration error(s):", self.errors.len())?;
        for e in &self.errors {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests;
