//! Operator metadata statements (`metadata_statements`): the files read (a file, or every
//! `*.json` of a directory, in name order), checked by the core
//! ([`crate::mds::parse_metadata_statements`]) and served beside each BLOB in one extra-entries
//! slot ([`STATEMENTS_SLOT`], after every signed BLOB source). Re-read on SIGHUP: a set with
//! any bad file is refused whole and the statements in force stay.
//!
//! Precedence: the BLOB's own entries (and those of configured BLOB sources) keep every key
//! they claim, so a statement for a model the MDS lists is *shadowed*: never served, reported
//! (WARN, GetMetadataInfo), and the MDS entry with its status reports answers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::config::read_capped;
use super::state::{ExtraSlot, Shared};
use crate::limits::METADATA_STATEMENT_BYTES;
use crate::mds::{parse_metadata_statements, LocalStatement};
use crate::trust_store::{Entry, Origin, TrustStore};

/// The slot of operator statements among the extra entries: after every BLOB source.
pub fn statements_slot() -> ExtraSlot {
    ExtraSlot { order: STATEMENTS_SLOT, name: "operator-statements".to_string() }
}
/// The order of [`statements_slot`].
pub const STATEMENTS_SLOT: u32 = 1000;

/// Reads the statement files named by `paths` (a directory stands for its `*.json` regular
/// files, in name order, not recursively) and checks them all; every error at once, each
/// naming its file (and the field, when the file is read). A statement's origin names its
/// file by its last path component only: answers never disclose the operator's paths.
pub fn read_statement_files(paths: &[PathBuf]) -> Result<Vec<LocalStatement>, Vec<String>> {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match json_files(path) {
                Ok(found) if found.is_empty() => {
                    errors.push(format!("{}: a directory with no *.json file", path.display()))
                }
                Ok(found) => files.extend(found),
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            },
            // Regular files only (read_capped refuses FIFOs, devices, ...).
            _ => files.push(path.clone()),
        }
    }
    let mut read = Vec::with_capacity(files.len());
    for file in &files {
        // The core's bound, so that no more is ever read ("larger than 1048576 bytes").
        let cap = u64::try_from(METADATA_STATEMENT_BYTES.max).unwrap_or(u64::MAX);
        match read_capped(file, cap) {
            Ok(bytes) => read.push((display_name(file), bytes)),
            Err(e) => errors.push(format!("{}: {e}", file.display())),
        }
    }
    // The files that could be read are checked too: every error at once.
    match parse_metadata_statements(&read) {
        Ok(statements) if errors.is_empty() => Ok(statements),
        Ok(_) => Err(errors),
        Err(e) => {
            errors.extend(e.iter().map(ToString::to_string));
            Err(errors)
        }
    }
}

/// The `*.json` regular files (or links to them) of a directory, sorted by name.
fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let path = item?.path();
        let is_json = path.extension().is_some_and(|e| e == "json");
        if is_json && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The name a statement is answered with: its file's last component.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into())
}

/// An operator statement a signed source's entry shadows: the statement's file, the key, and
/// the origin of the entry that answers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadowed {
    pub file: String,
    pub key: String,
    pub by: Origin,
}

/// The operator statements of `store` shadowed by another entry, key by key.
pub fn shadowed(store: &TrustStore) -> Vec<Shadowed> {
    let entries = store.entries();
    store
        .duplicates()
        .iter()
        .filter_map(|d| {
            let file = match entries.get(d.shadowed)?.origin() {
                Origin::Operator { file } => file.to_string(),
                _ => return None,
            };
            let by = entries.get(d.kept)?.origin().clone();
            Some(Shadowed { file, key: d.key.clone(), by })
        })
        .collect()
}

/// Logs each shadowed statement of `store` at WARN.
pub fn warn_shadowed(store: &TrustStore) {
    for s in shadowed(store) {
        tracing::warn!(file = %s.file, key = %s.key, answered_by = %s.by,
            "operator metadata statement shadowed: signed metadata lists the same model, and its \
             entry (with its status reports) answers; add own roots for a listed model with \
             attestation_roots instead");
    }
}

/// The statements in force and the state of their reloading (GetMetadataInfo).
#[derive(Debug, Clone, Default)]
pub struct StatementsStatus {
    /// The configured `metadata_statements` paths.
    pub configured: Vec<PathBuf>,
    /// The entries in force, in file order.
    pub entries: Vec<Arc<Entry>>,
    pub loaded_at: Option<OffsetDateTime>,
    /// Every error of the last reload, one per line; `None` after a success.
    pub last_error: Option<String>,
    pub last_reload_at: Option<OffsetDateTime>,
}

/// The statements in force, kept beside the shared state.
#[derive(Debug, Default)]
pub struct Statements {
    status: Mutex<StatementsStatus>,
}

impl Statements {
    pub fn status(&self) -> StatementsStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Serves `statements` (read from `configured`) from now on, in place of those in force.
    pub fn install(
        shared: &Shared,
        configured: &[PathBuf],
        statements: Vec<LocalStatement>,
        now: OffsetDateTime,
    ) {
        for s in &statements {
            let keys = keys(&s.entry);
            tracing::info!(file = %origin_file(&s.entry), keys = %keys.join(", "),
                description = s.entry.description().unwrap_or(""),
                "operator metadata statement loaded (never FIDO-certified; trusted through its \
                 own roots only)");
            for note in &s.notes {
                tracing::info!(file = %origin_file(&s.entry), %note, "tolerated in a statement");
            }
            if !s.unknown_fields.is_empty() {
                tracing::info!(file = %origin_file(&s.entry), fields = %s.unknown_fields.join(", "),
                    "members of a statement this mdsd does not know (kept, not read)");
            }
        }
        let entries: Vec<Arc<Entry>> = statements.into_iter().map(|s| Arc::new(s.entry)).collect();
        shared.metrics.set_operator_statements(entries.len());
        if let Ok(mut status) = shared.statements.status.lock() {
            status.configured = configured.to_vec();
            status.entries = entries.clone();
            status.loaded_at = Some(now);
        }
        shared.set_extra_entries(statements_slot(), entries, now);
        if let Some(current) = shared.current() {
            warn_shadowed(&current.blob.store);
        }
    }

    /// Reads the configured files again (SIGHUP): served when every file is good; otherwise
    /// the statements in force stay and every error is logged and kept for GetMetadataInfo.
    /// Blocking file I/O. Returns the number of statements in force, or the errors.
    pub fn reload(shared: &Shared, now: OffsetDateTime) -> Result<usize, Vec<String>> {
        let configured = shared.statements.status().configured;
        if configured.is_empty() {
            return Ok(0);
        }
        let result = read_statement_files(&configured);
        shared.metrics.operator_statement_reload(result.is_ok());
        match result {
            Ok(statements) => {
                let count = statements.len();
                Statements::install(shared, &configured, statements, now);
                if let Ok(mut status) = shared.statements.status.lock() {
                    status.last_error = None;
                    status.last_reload_at = Some(now);
                }
                Ok(count)
            }
            Err(errors) => {
                for error in &errors {
                    tracing::error!(%error, "metadata statement reload refused; the statements \
                        in force stay");
                }
                if let Ok(mut status) = shared.statements.status.lock() {
                    status.last_error = Some(errors.join("\n"));
                    status.last_reload_at = Some(now);
                }
                Err(errors)
            }
        }
    }
}

/// The file an operator entry came from.
pub fn origin_file(entry: &Entry) -> &str {
    entry.origin().source().unwrap_or("")
}

/// An entry's lookup keys, as answers name them (`aaguid:…`, `aaid:…`, `key_identifier:…`).
pub fn keys(entry: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(entry.aaguid().map(|a| format!("aaguid:{a}")));
    out.extend(entry.aaid().map(|a| format!("aaid:{a}")));
    out.extend(entry.key_identifiers().iter().map(|k| format!("key_identifier:{k}")));
    out
}
