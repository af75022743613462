//! Operator-supplied metadata statements (FIDO Metadata Statement v3.0 §4, the schema of an
//! MDS entry's `metadataStatement`): one JSON document per file → an [`Entry`] marked
//! [`Origin::Operator`], read by the same interpretation as a BLOB entry (`entry`), but
//! strictly: what a BLOB loader tolerates (an undecodable root left out) refuses a statement,
//! because the operator can fix the file and a statement nobody signed must say exactly what
//! it means.
//!
//! A statement has no status reports (only the MDS issues them), is served after the BLOB's
//! own entries and never over them ([`crate::trust_store::TrustStore::with_extra`]), and
//! trusts attestations chained to its own `attestationRootCertificates` only.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;

use super::entry::{parse_entry_general, Refused};
use super::error::{EntryError, EntryNote, MemberError, RootNote};
use super::members::Members;
use super::roots::{RootCheck, RootsCache};
use super::{PayloadLimits, UnknownCounts};
use crate::limits::{METADATA_STATEMENT_BYTES, METADATA_STATEMENT_FILES};
use crate::trust_store::{Entry, EntryBuildError, Origin, RawJson};
use crate::x509::CertError;

/// One checked statement: its entry (origin [`Origin::Operator`]) and what was tolerated.
#[derive(Debug, Clone)]
pub struct LocalStatement {
    /// The entry, served beside the BLOB's. Its raw JSON is the statement wrapped as an MDS
    /// entry: `{"metadataStatement": <the file's object>, "statusReports": []}`, so clients
    /// read it as they read any entry.
    pub entry: Entry,
    /// Defects tolerated (whitespace inside a root's base64, certificates concatenated in one
    /// string).
    pub notes: Vec<EntryNote>,
    /// Members this mdsd does not know (kept in the raw JSON, never read), by name.
    pub unknown_fields: Vec<String>,
}

/// Why operator statements were refused: the file, the JSON field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StatementError {
    /// Bound on operator input ([`METADATA_STATEMENT_FILES`]).
    #[error("{count} metadata statement files, more than the {max} allowed")]
    TooManyFiles { count: usize, max: usize },
    /// One file is not a usable metadata statement.
    #[error("metadata statement {file}: {problem}")]
    Invalid { file: String, problem: StatementProblem },
    /// Two statements describe the same model (the first file listed would win silently).
    #[error("metadata statement {file}: {key} is already described by {first}")]
    DuplicateKey { file: String, key: String, first: String },
}

/// What is wrong in one statement file. [`StatementProblem::field`] names the JSON member.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StatementProblem {
    /// Bound on operator input ([`METADATA_STATEMENT_BYTES`]).
    #[error("{size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    /// RFC 8259 §8.1: JSON text is UTF-8.
    #[error("not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    /// FIDO Metadata Statement §4: a statement is a JSON object.
    #[error("not a JSON object: {reason}")]
    NotAnObject { reason: String },
    /// The file holds an MDS BLOB entry (or BLOB), not a statement: status reports are the
    /// MDS's alone.
    #[error(
        "`{field}` is a member of an MDS BLOB entry, not of a metadata statement (give the \
         entry's `metadataStatement` object; only the MDS issues status reports)"
    )]
    BlobEntry { field: String },
    /// A member the statement needs is absent or `null`.
    #[error("`{field}` is missing")]
    Missing { field: String },
    /// A member of another type than the schema gives it.
    #[error("`{field}` has the wrong type: {reason}")]
    WrongType { field: String, reason: String },
    /// A list that must not be empty.
    #[error("`{field}` is empty: {why}")]
    Empty { field: String, why: &'static str },
    /// FIDO Metadata Statement §4: `aaguid` is a UUID.
    #[error("`aaguid` {text:?} is not a UUID: {reason}")]
    Aaguid { text: String, reason: uuid::Error },
    /// The nil AAGUID is what U2F keys and model-hiding passkeys send: it names no model.
    #[error("`aaguid` is the nil AAGUID, which names no model")]
    NilAaguid,
    /// FIDO Metadata Statement §4: key identifiers are hex strings.
    #[error("`attestationCertificateKeyIdentifiers`: {key_id:?} is not hex")]
    KeyIdentifierNotHex { key_id: String },
    /// No lookup key: the statement could never be found.
    #[error("no `aaguid`, `aaid` or `attestationCertificateKeyIdentifiers`: it names no model")]
    NoIdentifier,
    /// An attestation root that is not base64.
    #[error("`attestationRootCertificates[{index}]` is not base64: {reason}")]
    RootNotBase64 { index: usize, reason: base64::DecodeError },
    /// An attestation root that is not an X.509 certificate mdsd can use.
    #[error("`attestationRootCertificates[{index}]` is not a certificate: {reason}")]
    RootNotACertificate { index: usize, reason: CertError },
    /// More certificates than a BLOB entry may hold ([`PayloadLimits::max_certs_per_entry`]).
    #[error("`attestationRootCertificates` holds more than {max} certificates")]
    TooManyRoots { max: usize },
}

impl StatementProblem {
    /// The JSON member the problem is in (`attestationRootCertificates[1]`,
    /// `userVerificationDetails[0][0].userVerificationMethod`); `None` for the whole file.
    pub fn field(&self) -> Option<Cow<'_, str>> {
        use StatementProblem as P;
        match self {
            P::TooLarge { .. } | P::NotUtf8(_) | P::NotAnObject { .. } | P::NoIdentifier => None,
            P::BlobEntry { field }
            | P::Missing { field }
            | P::WrongType { field, .. }
            | P::Empty { field, .. } => Some(Cow::Borrowed(field)),
            P::Aaguid { .. } | P::NilAaguid => Some(Cow::Borrowed("aaguid")),
            P::KeyIdentifierNotHex { .. } => {
                Some(Cow::Borrowed("attestationCertificateKeyIdentifiers"))
            }
            P::RootNotBase64 { index, .. } | P::RootNotACertificate { index, .. } => {
                Some(Cow::Owned(format!("attestationRootCertificates[{index}]")))
            }
            P::TooManyRoots { .. } => Some(Cow::Borrowed("attestationRootCertificates")),
        }
    }
}

/// Members of an MDS BLOB entry that a statement never has.
const ENTRY_ONLY: &[&str] =
    &["metadataStatement", "statusReports", "biometricStatusReports", "timeOfLastStatusChange"];

/// Reads one statement file (`json`, named `file` in errors and in the entry's origin).
pub fn parse_metadata_statement(json: &[u8], file: &str) -> Result<LocalStatement, StatementError> {
    parse(json, file).map_err(|problem| StatementError::Invalid { file: file.to_string(), problem })
}

/// Reads every statement file (name, bytes) into entries: each checked by
/// [`parse_metadata_statement`], then no two may claim the same AAGUID, AAID or key
/// identifier. Every error is reported at once.
pub fn parse_metadata_statements(
    files: &[(String, Vec<u8>)],
) -> Result<Vec<LocalStatement>, Vec<StatementError>> {
    if let Err(e) = METADATA_STATEMENT_FILES.check(files.len()) {
        return Err(vec![StatementError::TooManyFiles {
            count: e.count,
            max: METADATA_STATEMENT_FILES.max,
        }]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut claimed: HashMap<String, &str> = HashMap::new();
    for (file, bytes) in files {
        match parse_metadata_statement(bytes, file) {
            Err(e) => errors.push(e),
            Ok(statement) => {
                for key in keys(&statement.entry) {
                    match claimed.get(&key) {
                        Some(first) => errors.push(StatementError::DuplicateKey {
                            file: file.clone(),
                            key,
                            first: (*first).to_string(),
                        }),
                        None => {
                            claimed.insert(key, file);
                        }
                    }
                }
                out.push(statement);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The lookup keys an entry claims, as [`crate::trust_store::DuplicateKey`] names them.
fn keys(entry: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(entry.aaguid().map(|a| format!("aaguid:{a}")));
    out.extend(entry.aaid().map(|a| format!("aaid:{a}")));
    out.extend(entry.key_identifiers().iter().map(|k| format!("key_identifier:{k}")));
    out
}

fn parse(json: &[u8], file: &str) -> Result<LocalStatement, StatementProblem> {
    use StatementProblem as P;
    if let Err(e) = METADATA_STATEMENT_BYTES.check(json.len()) {
        return Err(P::TooLarge { size: e.count, max: METADATA_STATEMENT_BYTES.max });
    }
    let text = std::str::from_utf8(json).map_err(P::NotUtf8)?;
    // The statement alone first: an object, and no member of an entry. Only then is it
    // wrapped, so nothing in the file can add members beside `metadataStatement`.
    let members: Members<'_> =
        serde_json::from_str(text).map_err(|e| P::NotAnObject { reason: e.to_string() })?;
    if let Some(field) = ENTRY_ONLY.iter().find(|f| members.contains_key(**f)) {
        return Err(P::BlobEntry { field: (*field).to_string() });
    }
    check_schema(&members)?;

    let wrapped = Arc::new(format!(
        "{{\"metadataStatement\":{},\"statusReports\":[]}}",
        text.trim_matches(|c: char| c.is_ascii_whitespace())
    ));
    let raw_json = RawJson::shared(&wrapped, 0..wrapped.len())
        .unwrap_or_else(|| RawJson::owned(wrapped.as_str()));
    let limits = PayloadLimits::default();
    let mut roots_cache = RootsCache::new(limits.max_certs_per_entry, RootCheck::Full);
    let mut unknown = UnknownCounts::default();
    let mut notes = Vec::new();
    let (entry, _) = parse_entry_general(
        wrapped.as_str(),
        raw_json,
        &limits,
        &mut roots_cache,
        &mut unknown,
        &mut notes,
    )
    .map_err(|Refused { reason, .. }| problem(reason))?;
    // What a BLOB loader tolerates with a note, a statement may not: the operator can fix it.
    let mut tolerated = Vec::new();
    for note in notes {
        match note {
            EntryNote::AttestationRoot { index, note: RootNote::NotBase64(reason) } => {
                return Err(P::RootNotBase64 { index, reason })
            }
            EntryNote::AttestationRoot { index, note: RootNote::NotACertificate(reason) } => {
                return Err(P::RootNotACertificate { index, reason })
            }
            other => tolerated.push(other),
        }
    }
    if entry.aaguid().is_some_and(|a| a.is_nil()) {
        return Err(P::NilAaguid);
    }
    let unknown_fields = unknown
        .fields
        .into_keys()
        .map(|k| k.strip_prefix("metadataStatement.").map(str::to_string).unwrap_or(k))
        .collect();
    Ok(LocalStatement {
        entry: entry.with_origin(Origin::Operator { file: Arc::from(file) }),
        notes: tolerated,
        unknown_fields,
    })
}

/// The BLOB loader's refusal of an entry, as the statement's problem.
fn problem(reason: EntryError) -> StatementProblem {
    use StatementProblem as P;
    match reason {
        EntryError::NotAnObject { reason } => P::NotAnObject { reason },
        EntryError::Member(MemberError::Missing { member }) => {
            P::Missing { field: member.to_string() }
        }
        EntryError::Member(MemberError::WrongType { member, reason }) => {
            P::WrongType { field: member.to_string(), reason }
        }
        EntryError::Aaguid { text, reason } => P::Aaguid { text, reason },
        EntryError::KeyIdentifierNotHex { key_id } => P::KeyIdentifierNotHex { key_id },
        EntryError::Identity(EntryBuildError::NoIdentifier) => P::NoIdentifier,
        EntryError::AttestationRoot { reason, .. } => P::TooManyRoots { max: reason.max },
        // The wrapper has no status reports and no timeOfLastStatusChange (`ENTRY_ONLY`);
        // should the loader grow a check, it still refuses with what it said.
        other => P::WrongType { field: "metadataStatement".to_string(), reason: other.to_string() },
    }
}

/// The members a statement must have and those whose shape the policy reads (the BLOB loader
/// reads them as "not shown" when odd; an operator's file must say what it means).
fn check_schema(members: &Members<'_>) -> Result<(), StatementProblem> {
    use StatementProblem as P;
    let wrong = |field: String, reason: &str| P::WrongType { field, reason: reason.to_string() };
    let value = |name: &str| -> Result<Option<serde_json::Value>, StatementProblem> {
        match members.get(name) {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<serde_json::Value>(raw.get())
                .map(|v| Some(v).filter(|v| !v.is_null()))
                .map_err(|e| wrong(name.to_string(), &e.to_string())),
        }
    };
    // FIDO Metadata Statement §4: required members mdsd depends on.
    for name in ["description", "protocolFamily"] {
        match value(name)? {
            None => return Err(P::Missing { field: name.to_string() }),
            Some(serde_json::Value::String(_)) => {}
            Some(_) => return Err(wrong(name.to_string(), "expected a string")),
        }
    }
    for (name, why) in [
        ("attestationTypes", "the statement allows no attestation type"),
        ("attestationRootCertificates", "a statement trusts attestations through its roots only"),
    ] {
        match value(name)? {
            None => return Err(P::Missing { field: name.to_string() }),
            Some(serde_json::Value::Array(list)) if list.is_empty() => {
                return Err(P::Empty { field: name.to_string(), why })
            }
            Some(serde_json::Value::Array(list)) => {
                for (i, item) in list.iter().enumerate() {
                    if !item.is_string() {
                        return Err(wrong(format!("{name}[{i}]"), "expected a string"));
                    }
                }
            }
            Some(_) => return Err(wrong(name.to_string(), "expected an array of strings")),
        }
    }
    // userVerificationDetails: an array of arrays (the combinations) of descriptors, each
    // naming its `userVerificationMethod`.
    if let Some(details) = value("userVerificationDetails")? {
        let field = "userVerificationDetails";
        let combos = details
            .as_array()
            .ok_or_else(|| wrong(field.to_string(), "expected an array of arrays"))?;
        for (i, combo) in combos.iter().enumerate() {
            let combo = combo
                .as_array()
                .ok_or_else(|| wrong(format!("{field}[{i}]"), "expected an array"))?;
            for (j, descriptor) in combo.iter().enumerate() {
                let method = descriptor.get("userVerificationMethod");
                if !method.is_some_and(serde_json::Value::is_string) {
                    return Err(wrong(
                        format!("{field}[{i}][{j}].userVerificationMethod"),
                        "expected a string",
                    ));
                }
            }
        }
    }
    // authenticatorGetInfo.options: CTAP2.1 §6.4, option name → boolean.
    if let Some(info) = value("authenticatorGetInfo")? {
        let info = info
            .as_object()
            .ok_or_else(|| wrong("authenticatorGetInfo".to_string(), "expected an object"))?;
        if let Some(options) = info.get("options").filter(|o| !o.is_null()) {
            let options = options.as_object().ok_or_else(|| {
                wrong("authenticatorGetInfo.options".to_string(), "expected an object")
            })?;
            for (name, v) in options {
                if !v.is_boolean() {
                    return Err(wrong(
                        format!("authenticatorGetInfo.options.{name}"),
                        "expected true or false",
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
