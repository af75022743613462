//! The `none` attestation statement format (WebAuthn L3 §8.7).

use super::common::stmt_map;
use super::reason::{Reason, ReasonCode};
use super::{AttestationType, Coverage, StatementInput, StatementOutcome, StatementResult};

/// Verifies a `none` statement: attStmt must be the empty map.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    let map = stmt_map(input.att_stmt, "none")?;
    if !map.is_empty() {
        return Err(Reason::new(
            ReasonCode::MalformedStatement,
            format!("none: attStmt must be an empty map, it has {} entries", map.len()),
        ));
    }
    Ok(StatementOutcome {
        attestation_type: AttestationType::None,
        coverage: Coverage::Nothing,
        trust_path: Vec::new(),
    })
}
