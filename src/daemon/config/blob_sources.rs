//! Further BLOB sources (`[[blob_source]]`, issue #15): BLOBs other than the FIDO MDS (e.g. the
//! FIDO conformance endpoints, for certification testing), each with its own pinned roots,
//! CRLs, rollback counter and schedule; their entries are served after the MDS BLOB's own.
//! A config-file feature only (no flag, no environment variable). Raw form, checks, checked
//! form.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::files::{load_anchors, read_capped, MAX_PEM_FILE_BYTES};
use super::size::ByteSize;
use super::{AnchorSource, BlobSource, CrlMirror};
use crate::mds::DEFAULT_MAX_BLOB_BYTES;
use crate::x509::{Crl, TrustAnchor};

/// Most further BLOB sources.
pub const MAX_BLOB_SOURCES: usize = 8;
/// Longest source name.
pub const MAX_BLOB_SOURCE_NAME: usize = 32;

/// One `[[blob_source]]` table, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawBlobSource {
    /// Unique name, `[a-z0-9-]` (metrics labels, state file names, answers). Required.
    pub name: Option<String>,
    /// Where this BLOB comes from: a URL or path, or a list of mirrors of this one BLOB tried
    /// in order (as `mds_url`). Required.
    #[serde(deserialize_with = "super::raw::one_or_many")]
    pub url: Vec<String>,
    /// This BLOB's own trust anchors (PEM or DER files). Required: the built-in GlobalSign
    /// roots are not used unless listed.
    pub mds_roots: Vec<PathBuf>,
    /// CRL files (PEM or DER) for this BLOB's signing chain.
    pub crl_files: Vec<PathBuf>,
    /// CRL mirror for this BLOB's signing chain (as `crl_mirror`).
    pub crl_mirror: Option<String>,
    /// Largest BLOB accepted from this source. Default: `max_blob_bytes`, else 64MiB.
    pub max_blob_bytes: Option<ByteSize>,
    /// How long this BLOB is served past its nextUpdate. Default: `stale_grace`.
    pub stale_grace: Option<String>,
}

/// A checked further BLOB source.
#[derive(Debug, Clone)]
pub struct ExtraBlobSource {
    /// `[a-z0-9-]`, unique.
    pub name: String,
    /// Mirrors of this one BLOB, tried in order within a round (never empty).
    pub urls: Vec<BlobSource>,
    /// This BLOB's trust anchors (never empty; never the built-in ones unless listed).
    pub roots: Vec<TrustAnchor>,
    pub crl_files: Vec<Arc<Crl>>,
    pub crl_mirror: Option<CrlMirror>,
    pub max_blob_bytes: usize,
    pub stale_grace: Duration,
}

impl ExtraBlobSource {
    /// Lowercase hex SHA-256 of each pinned root, in configuration order.
    pub fn roots_sha256(&self) -> Vec<String> {
        self.roots.iter().map(|r| r.cert.sha256_hex()).collect()
    }
}

/// What the checks of the top-level settings hand over for the sources' defaults.
pub(super) struct Defaults {
    pub max_blob_bytes: Option<u64>,
    pub stale_grace: Duration,
}

/// Checks every `[[blob_source]]`; each error is `blob_source NAME: KEY: ...` (`blob_source
/// [INDEX]` when the name is missing).
pub(super) fn check_blob_sources(
    raw: &[RawBlobSource],
    defaults: &Defaults,
    anchor_sources: &mut Vec<AnchorSource>,
    errs: &mut Vec<String>,
) -> Vec<ExtraBlobSource> {
    if raw.len() > MAX_BLOB_SOURCES {
        errs.push(format!("blob_source: {} sources, more than {MAX_BLOB_SOURCES}", raw.len()));
    }
    let mut checked: Vec<ExtraBlobSource> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (index, source) in raw.iter().enumerate() {
        let mut local = Vec::new();
        let name = match source.name.as_deref() {
            None => {
                local.push("name: missing".to_string());
                None
            }
            Some(name) => match check_name(name) {
                Err(e) => {
                    local.push(format!("name: {e}"));
                    None
                }
                Ok(()) if names.contains(&name) => {
                    local.push("name: used by another blob_source".to_string());
                    None
                }
                Ok(()) => {
                    names.push(name);
                    Some(name)
                }
            },
        };
        let one = check_one(source, name.unwrap_or_default(), defaults, anchor_sources, &mut local);
        let label = match source.name.as_deref() {
            Some(name) => format!("blob_source {name}"),
            None => format!("blob_source [{index}]"),
        };
        errs.extend(local.iter().map(|e| format!("{label}: {e}")));
        if let (Some(one), true) = (one, local.is_empty()) {
            checked.push(one);
        }
    }
    checked
}

/// `[a-z0-9-]`, 1 to [`MAX_BLOB_SOURCE_NAME`] characters, starting with a letter or digit (it
/// names a directory under the state directory and a metrics label).
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_BLOB_SOURCE_NAME {
        return Err(format!("{name:?} must have 1 to {MAX_BLOB_SOURCE_NAME} characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(format!("{name:?} may hold only a-z, 0-9 and -"));
    }
    if name.starts_with('-') {
        return Err(format!("{name:?} must start with a letter or digit"));
    }
    Ok(())
}

fn check_one(
    raw: &RawBlobSource,
    name: &str,
    defaults: &Defaults,
    anchor_sources: &mut Vec<AnchorSource>,
    errs: &mut Vec<String>,
) -> Option<ExtraBlobSource> {
    if raw.url.is_empty() {
        errs.push("url: missing".to_string());
    }
    if raw.url.len() > super::MAX_SOURCES {
        errs.push(format!("url: {} mirrors, more than {}", raw.url.len(), super::MAX_SOURCES));
    }
    let mut urls = Vec::new();
    for url in &raw.url {
        match BlobSource::parse(url) {
            Ok(source) if urls.contains(&source) => {
                errs.push(format!("url: {url:?} is listed twice"));
            }
            Ok(source) => urls.push(source),
            Err(e) => errs.push(format!("url: {e}")),
        }
    }

    if raw.mds_roots.is_empty() {
        errs.push(
            "mds_roots: missing (a further BLOB source needs its own pinned roots; the built-in \
             ones are not used for it)"
                .to_string(),
        );
    }
    let mut root_errs = Vec::new();
    let roots = load_anchors(
        "blob_source",
        &format!("blob source {name} root"),
        &raw.mds_roots,
        anchor_sources,
        &mut root_errs,
    );
    // load_anchors names its key first: `blob_source: PATH: ...`.
    errs.extend(
        root_errs
            .iter()
            .map(|e| format!("mds_roots: {}", e.strip_prefix("blob_source: ").unwrap_or(e))),
    );

    let mut crl_files = Vec::new();
    for path in &raw.crl_files {
        let crl = read_capped(path, MAX_PEM_FILE_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|bytes| Crl::from_pem_or_der(&bytes).map_err(|e| e.to_string()));
        match crl {
            Ok(crl) => crl_files.push(Arc::new(crl)),
            Err(e) => errs.push(format!("crl_files: {}: {e}", path.display())),
        }
    }

    let crl_mirror = raw
        .crl_mirror
        .as_deref()
        .and_then(|s| CrlMirror::parse(s).map_err(|e| errs.push(format!("crl_mirror: {e}"))).ok());

    let max_blob_bytes = match raw.max_blob_bytes.map(|b| b.0).or(defaults.max_blob_bytes) {
        None => DEFAULT_MAX_BLOB_BYTES,
        Some(0) => {
            errs.push("max_blob_bytes: must be greater than 0".to_string());
            DEFAULT_MAX_BLOB_BYTES
        }
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };

    let stale_grace = match raw.stale_grace.as_deref() {
        None => defaults.stale_grace,
        Some(s) => super::parse_duration(s).unwrap_or_else(|e| {
            errs.push(format!("stale_grace: {e}"));
            defaults.stale_grace
        }),
    };

    Some(ExtraBlobSource {
        name: name.to_string(),
        urls,
        roots,
        crl_files,
        crl_mirror,
        max_blob_bytes,
        stale_grace,
    })
}
