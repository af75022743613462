//! The `compound` attestation statement format (WebAuthn L3 §8).

use super::{StatementInput, StatementResult};

/// Verifies a `compound` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    let _ = input;
    todo!("attestation: compound::verify")
}
